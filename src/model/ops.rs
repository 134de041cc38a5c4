//! The ops of a model instance whose implementation is chosen when the instance is built
//! ([`Kernels`], kept by the instance like HF's `attn_implementation`): `Linear` (matmul + bias,
//! GELU fused), the whole self-attention and softmax, either as burn's ops or, on the CPU, as
//! `crate::kernels`' 4×8 tiles and vectorised exp (faster than burn-flex in V8: README.md,
//! "Speed in the browser", from BENCHMARKS.md runs). For other dtypes, or widths the tiles do not take (not a
//! multiple of 8), an op falls back to burn's own.

use burn::nn::Linear;
use burn::tensor::activation::{gelu, softmax as burn_softmax};
use burn::tensor::{DType, Tensor, TensorData};

use crate::kernels::gemm::{self, Epilogue};
use crate::kernels::{attention, simd};

/// Which code computes a model instance's matmuls, attention and softmax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// burn's ops, on whatever device the model is on.
    Burn,
    /// ja-rerank's own CPU kernels (`crate::kernels`): simd128 in wasm, where they beat
    /// burn-flex; natively the same algorithms on 4-lane arrays (slower than burn-flex's AVX,
    /// but they let native tests check the wasm arithmetic against PyTorch). CPU devices only.
    Tiled,
}

impl Kernels {
    pub fn name(self) -> &'static str {
        match self {
            Kernels::Burn => "burn",
            Kernels::Tiled => "tiled",
        }
    }

    /// `x · W + b` for `x` `[batch, seq, d_in]`.
    pub fn linear(self, linear: &Linear, x: Tensor<3>) -> Tensor<3> {
        if self == Kernels::Tiled
            && let Some(y) = tiled(linear, x.clone(), Epilogue::Bias)
        {
            return y;
        }
        linear.forward(x)
    }

    /// `gelu(x · W + b)`, the GELU fused into the matmul on the tiled path.
    pub fn linear_gelu(self, linear: &Linear, x: Tensor<3>) -> Tensor<3> {
        if self == Kernels::Tiled
            && let Some(y) = tiled(linear, x.clone(), Epilogue::BiasGelu)
        {
            return y;
        }
        gelu(linear.forward(x))
    }

    /// Softmax over the last dimension (attention scores `[batch, heads, q, k]`).
    pub fn softmax(self, scores: Tensor<4>) -> Tensor<4> {
        if self == Kernels::Tiled && scores.dtype() == DType::F32 {
            let dims = scores.dims();
            let device = scores.device();
            if let Ok(data) = scores.clone().try_into_data()
                && let Ok(mut values) = data.try_into_vec::<f32>()
            {
                simd::softmax_rows(&mut values, dims[3]);
                return Tensor::<4>::from_data(TensorData::new(values, dims), &device);
            }
        }
        burn_softmax(scores, 3)
    }

    /// Multi-head scaled dot-product attention with its q/k/v projections, all on the tiled path:
    /// `queries` `[b, q, h]` over `keys_values` `[b, k, h]`, `attention_bias` `[b, 1, 1, k]`;
    /// returns the context `[b, q, h]`, or `None` where the tiled path does not apply (then the
    /// caller runs burn's ops). The projections on the 4×8 tiles, the heads in
    /// [`attention::attention`].
    pub fn attention(
        self,
        projections: [&Linear; 3],
        num_heads: usize,
        queries: &Tensor<3>,
        keys_values: &Tensor<3>,
        attention_bias: &Tensor<4>,
    ) -> Option<Tensor<3>> {
        if self != Kernels::Tiled {
            return None;
        }
        let device = queries.device();
        let [batch, q_len, hidden] = queries.dims();
        let [_, k_len, _] = keys_values.dims();
        let f32s = [queries.dtype(), keys_values.dtype(), attention_bias.dtype()].iter().all(|d| *d == DType::F32);
        if !f32s || !attention::supported(hidden, num_heads) || k_len == 0 {
            return None;
        }
        let project = |linear: &Linear, x: &[f32], rows: usize| -> Option<Vec<f32>> {
            if linear.weight.dims() != [hidden, hidden] {
                return None;
            }
            apply(linear, x, rows, Epilogue::Bias)
        };
        let xq = queries.clone().try_into_data().ok()?;
        let xkv = keys_values.clone().try_into_data().ok()?;
        let mask = attention_bias.clone().try_into_data().ok()?.try_into_vec::<f32>().ok()?;
        let [wq, wk, wv] = projections;
        let q = project(wq, xq.as_slice::<f32>().ok()?, batch * q_len)?;
        let k = project(wk, xkv.as_slice::<f32>().ok()?, batch * k_len)?;
        let v = project(wv, xkv.as_slice::<f32>().ok()?, batch * k_len)?;

        let dims = attention::Dims { batch, q_len, k_len, hidden, heads: num_heads };
        let context = attention::attention(q, &k, &v, &mask, dims);
        Some(Tensor::<3>::from_data(TensorData::new(context, [batch, q_len, hidden]), &device))
    }
}

fn tiled(linear: &Linear, x: Tensor<3>, epilogue: Epilogue) -> Option<Tensor<3>> {
    let [batch, seq, _] = x.dims();
    let [_, d_out] = linear.weight.dims();
    // Checked before converting x, so a fallback costs nothing.
    if !gemm::supported(d_out) || x.dtype() != DType::F32 {
        return None;
    }
    let device = x.device();
    let x = x.try_into_data().ok()?;
    let y = apply(linear, x.as_slice::<f32>().ok()?, batch * seq, epilogue)?;
    Some(Tensor::<3>::from_data(TensorData::new(y, [batch, seq, d_out]), &device))
}

/// `epilogue(x · W + b)` for `rows` rows of `x` (row-major `[rows, d_in]`); `None` unless W and b
/// are f32 and `d_out` is a width the kernel takes.
fn apply(linear: &Linear, x: &[f32], rows: usize, epilogue: Epilogue) -> Option<Vec<f32>> {
    let weight = linear.weight.val();
    let [d_in, d_out] = weight.dims();
    if !gemm::supported(d_out) || weight.dtype() != DType::F32 || x.len() != rows * d_in {
        return None;
    }
    let w = weight.try_into_data().ok()?;
    let b = match &linear.bias {
        Some(b) if b.val().dtype() == DType::F32 => Some(b.val().try_into_data().ok()?.try_into_vec::<f32>().ok()?),
        Some(_) => return None,
        None => None,
    };
    Some(gemm::matmul_bias(x, w.as_slice::<f32>().ok()?, b.as_deref(), epilogue, rows, d_in, d_out))
}
