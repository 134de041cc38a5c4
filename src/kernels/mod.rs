//! Numeric kernels on plain slices, with no burn in them: the 4×8 register-tiled matmul with
//! fused bias / GELU ([`gemm`]), the four-lane elementwise functions ([`simd`]: erf, exp,
//! softmax), and the per-head attention built on them ([`attention`]). In wasm they compile to
//! simd128 and beat burn-flex's (README.md, "Speed in the browser", from BENCHMARKS.md runs);
//! natively the same algorithms run on 4-lane arrays so that `cargo test` checks them against
//! PyTorch. Whether a model uses them is decided when it is built (`model::Kernels`), never here.

pub mod attention;
pub mod gemm;
pub mod int8;
pub mod simd;

/// Deterministic values in [-1, 1) without a dependency, for the kernels' tests.
#[cfg(test)]
fn test_values(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}
