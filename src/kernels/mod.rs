//! Numeric kernels on plain slices, with no burn in them: the 4×8 register-tiled matmul with
//! fused bias / GELU ([`gemm`]) and the four-lane elementwise functions ([`simd`]: erf, exp,
//! softmax). In wasm they compile to simd128 and beat burn-flex's (BENCHMARKS.md, "What each
//! optimisation bought"); natively the same algorithms run on 4-lane arrays so that `cargo test`
//! checks them against PyTorch. Whether a model uses them is decided when it is built
//! (`model::Kernels`), never here.

pub mod attention;
pub mod gemm;
pub mod simd;
