//! The wasm CPU fast paths, chosen in one place: `Linear` (matmul + bias, GELU fused) and the
//! whole self-attention through [`super::gemm`]'s 4×8 simd128 kernel and [`super::simd`]'s
//! vectorised exp. burn-flex computes the same things, but in V8 these run ~1.6× faster
//! (`bench/profile.mjs`: 3.22 → 2.05 s for 8 pairs of 128 tokens). Natively, on WebGPU, for
//! other dtypes or shapes that do not fit (widths not a multiple of 8), it is burn's own ops.

use std::sync::atomic::{AtomicBool, Ordering};

use burn::nn::Linear;
use burn::tensor::activation::{gelu, softmax as burn_softmax};
use burn::tensor::{DType, Device, Tensor, TensorData};

use super::gemm::{self, Epilogue};
use super::simd;

/// `x · W + b` for `x` `[batch, seq, d_in]`. On a CPU device in wasm, with f32 tensors and
/// `d_out` a multiple of 8, the product runs in [`super::gemm`] (faster than burn-flex's in V8);
/// everywhere else, and on any surprise, it is burn's own `Linear::forward`.
pub fn linear(linear: &Linear, x: Tensor<3>) -> Tensor<3> {
    if enabled()
        && is_cpu(&x.device())
        && let Some(y) = fast(linear, x.clone(), Epilogue::Bias)
    {
        return y;
    }
    linear.forward(x)
}

/// `gelu(x · W + b)`, the GELU fused into the matmul on the fast path.
pub fn linear_gelu(linear: &Linear, x: Tensor<3>) -> Tensor<3> {
    if enabled()
        && is_cpu(&x.device())
        && let Some(y) = fast(linear, x.clone(), Epilogue::BiasGelu)
    {
        return y;
    }
    gelu(linear.forward(x))
}

/// Multi-head scaled dot-product attention with its q/k/v projections, all on the fast path:
/// `queries` `[b, q, h]` over `keys_values` `[b, k, h]`, `attention_bias` `[b, 1, 1, k]`;
/// returns the context `[b, q, h]`, or `None` where the fast path does not apply (then the
/// caller runs burn's ops). Per (batch, head): S = Q·Kᵀ + bias (the 4×8 kernel, the mask as
/// the bias epilogue), softmax, S·V written straight into the head's columns of the context.
pub fn attention(
    projections: [&Linear; 3],
    num_heads: usize,
    queries: &Tensor<3>,
    keys_values: &Tensor<3>,
    attention_bias: &Tensor<4>,
) -> Option<Tensor<3>> {
    let device = queries.device();
    if !enabled() || !is_cpu(&device) {
        return None;
    }
    let [batch, q_len, hidden] = queries.dims();
    let [_, k_len, _] = keys_values.dims();
    let head_dim = hidden / num_heads;
    let f32s = [queries.dtype(), keys_values.dtype(), attention_bias.dtype()].iter().all(|d| *d == DType::F32);
    if !f32s || !gemm::supported(hidden) || !gemm::supported(head_dim) || k_len == 0 {
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
    let mut q = project(wq, xq.as_slice::<f32>().ok()?, batch * q_len)?;
    let k = project(wk, xkv.as_slice::<f32>().ok()?, batch * k_len)?;
    let v = project(wv, xkv.as_slice::<f32>().ok()?, batch * k_len)?;
    // Scaling q (q·h multiplies) rather than the scores (q·k per head), as the burn path does.
    let scale = 1.0 / (head_dim as f32).sqrt();
    q.iter_mut().for_each(|x| *x *= scale);

    // One task per (batch row, head): S = Q·Kᵀ + mask, softmax, S·V into the task's own
    // [q, head_dim] block; the blocks are then laid side by side. Tasks run on the thread pool
    // where there is one (threaded build, in a Worker).
    let k8 = gemm::padded(k_len);
    let head = |(b, head): (usize, usize)| -> Vec<f32> {
        let col = head * head_dim;
        let mut bias_row = vec![0.0f32; k8];
        bias_row[..k_len].copy_from_slice(&mask[b * k_len..(b + 1) * k_len]);
        let key_t = gemm::pack(head_dim, k_len, |d, j| k[(b * k_len + j) * hidden + col + d]);
        let mut scores = vec![0.0f32; q_len * k8];
        gemm::gemm(
            &q[b * q_len * hidden + col..],
            hidden,
            q_len,
            head_dim,
            &key_t,
            Some(&bias_row),
            Epilogue::Bias,
            &mut scores,
            k8,
        );
        // Softmax with the division moved past ·V: head_dim multiplies per row instead of k_len.
        let scales: Vec<f32> = scores.chunks_exact_mut(k8).map(|row| simd::exp_shifted(&mut row[..k_len])).collect();
        let value = gemm::pack(k_len, head_dim, |j, d| v[(b * k_len + j) * hidden + col + d]);
        let mut out = vec![0.0f32; q_len * head_dim];
        gemm::gemm(&scores, k8, q_len, k_len, &value, None, Epilogue::Bias, &mut out, head_dim);
        for (row, &scale) in out.chunks_exact_mut(head_dim).zip(&scales) {
            simd::scale_row(row, scale);
        }
        out
    };
    let tasks: Vec<(usize, usize)> = (0..batch).flat_map(|b| (0..num_heads).map(move |h| (b, h))).collect();
    let blocks: Vec<Vec<f32>> = crate::parallel::map_tasks(tasks.clone(), head);
    let mut context = vec![0.0f32; batch * q_len * hidden];
    for (&(b, h), block) in tasks.iter().zip(&blocks) {
        for (i, row) in block.chunks_exact(head_dim).enumerate() {
            let at = (b * q_len + i) * hidden + h * head_dim;
            context[at..at + head_dim].copy_from_slice(row);
        }
    }
    Some(Tensor::<3>::from_data(TensorData::new(context, [batch, q_len, hidden]), &device))
}

/// Softmax over the last dimension (attention scores `[batch, heads, q, k]`).
pub fn softmax(scores: Tensor<4>) -> Tensor<4> {
    if enabled() && is_cpu(&scores.device()) && scores.dtype() == DType::F32 {
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

/// On in wasm (where they are faster), off natively (where burn-flex's AVX kernels are).
static ENABLED: AtomicBool = AtomicBool::new(cfg!(target_arch = "wasm32"));

fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Turns the fast paths on or off for the whole process: lets native tests run the wasm
/// algorithms against the PyTorch reference (`tests/cpu_kernels.rs`). Not for production use.
#[doc(hidden)]
pub fn set_cpu_kernels(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

fn is_cpu(device: &Device) -> bool {
    crate::CpuBackend::compiled().iter().any(|b| b.device().as_ref() == Some(device))
}

fn fast(linear: &Linear, x: Tensor<3>, epilogue: Epilogue) -> Option<Tensor<3>> {
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
