//! Blocks computed in host rows from end to end on the tiled and int8 paths: a family's
//! intermediate values (a GeGLU's `[a | g]`, self-attention's fused q/k/v) stay one buffer each,
//! with no burn tensor — and no copy — per step. Long inputs are where that shows: at 2,048 tokens
//! burn's scalar GELU was an eighth of ModernBERT's time in the browser, and at 8,192 the q/k/v
//! split and rotary temporaries were tens of MB of the peak (README, "Long passages"). Where
//! these paths do not apply (burn's kernels: WebGPU; f16 weights), burn's ops compute the same.

use burn::nn::Linear;
use burn::tensor::activation::gelu;
use burn::tensor::{DType, Tensor, TensorData};

use super::ops::{Kernels, Ops};
use super::slices::ROW_SLICE_BYTES;
use crate::kernels::gemm::{self, Epilogue};
use crate::kernels::int8::{self, PackedInt8};
use crate::kernels::{attention, simd};

impl Ops {
    /// A gated feed-forward block, `Wo(gelu(a) · g)` where `Wi(x)` = `[a | g]` (ModernBERT's
    /// GeGLU, exact-erf GELU), in slices of rows within the activation budget (at most
    /// [`ROW_SLICE_BYTES`] of `Wi`'s output on the CPU kernels). On host rows: the weights packed
    /// once for every slice, one buffer for a slice's `Wi` output reused by each, the gate applied
    /// in it with the kernels' vectorised GELU ([`simd::gelu_gate`]), `Wo` written straight into
    /// the block's output: no tensor, pack or join per slice (fewer large allocations between
    /// the layer's `seq × hidden` buffers). Else burn's ops, slice by slice.
    pub fn gated_gelu(&self, wi: &Linear, wo: &Linear, x: Tensor<3>) -> Tensor<3> {
        let width = self.out_features(wi);
        let x = match self.gated_gelu_rows(wi, wo, x) {
            Ok(y) => return y,
            Err(x) => x,
        };
        self.in_row_slices(x, width, |x| {
            let y = self.linear(wi, x);
            let half = y.dims()[2] / 2;
            let (input, gate) = (y.clone().narrow(2, 0, half), y.narrow(2, half, half));
            self.linear(wo, gelu(input) * gate)
        })
    }

    /// [`Self::gated_gelu`] on host rows, or `Err(x)` where they do not apply.
    #[allow(clippy::result_large_err)]
    fn gated_gelu_rows(&self, wi: &Linear, wo: &Linear, x: Tensor<3>) -> Result<Tensor<3>, Tensor<3>> {
        let [batch, seq, d_in] = x.dims();
        if self.kernels() != Kernels::Tiled || x.dtype() != DType::F32 {
            return Err(x);
        }
        let (Some(wi), Some(wo)) = (self.host_linear(wi), self.host_linear(wo)) else { return Err(x) };
        let (width, inner, d_out) = (wi.d_out, wo.d_in, wo.d_out);
        if width != 2 * inner || wi.d_in != d_in {
            return Err(x);
        }
        let rows = batch * seq;
        let budget = self.max_activation_bytes().min(ROW_SLICE_BYTES);
        let slice = ((budget / (4 * width as u64)) as usize).clamp(1, rows.max(1));
        let device = x.device();
        // x's values copied out and x let go before the products are allocated.
        let Ok(data) = x.clone().try_into_data() else { return Err(x) };
        drop(x);
        let Ok(xs) = data.as_slice::<f32>() else { return Err(Tensor::<3>::from_data(data, &device)) };
        let (mut y, mut first, mut out) = (vec![0.0f32; slice * width], vec![0.0f32; inner], vec![0.0f32; rows * d_out]);
        for start in (0..rows).step_by(slice) {
            let n = slice.min(rows - start);
            let y = &mut y[..n * width];
            wi.apply_into(&xs[start * d_in..(start + n) * d_in], n, Epilogue::Bias, y);
            // Row r's gated values go to `y[r·inner..]`, before where its own input starts
            // (r·width) for r ≥ 1, so the one buffer does; row 0 through a row's copy.
            simd::gelu_gate(&y[..inner], &y[inner..width], &mut first);
            y[..inner].copy_from_slice(&first);
            for r in 1..n {
                let (front, back) = y.split_at_mut(r * width);
                simd::gelu_gate(&back[..inner], &back[inner..width], &mut front[r * inner..(r + 1) * inner]);
            }
            wo.apply_into(&y[..n * inner], n, Epilogue::Bias, &mut out[start * d_out..(start + n) * d_out]);
        }
        Ok(Tensor::<3>::from_data(TensorData::new(out, [batch, seq, d_out]), &device))
    }

    /// Self-attention from one fused projection, in host rows: `x · Wqkv + b` computed in row
    /// chunks into three buffers, q `[b, q_len, h]` (each row's first `q_len` positions), k and v
    /// `[b, s, h]` — none larger than `s × h`, so a long input's allocations fit where an earlier
    /// layer's were freed (one `3 · s × h` buffer per layer fragmented the browser's heap: its
    /// peak grew with every call) — then `rotate(buffer, len)` on q and k in place (the family's
    /// positions, `len` rows per batch row: ModernBERT's rotary), then the heads
    /// ([`attention::attention`]), keys within `window` of their query where there is one,
    /// `key_bias` `[b, 1, 1, s]` added. The context `[b, q_len, h]`, or `Err(x)` untouched where
    /// this path does not apply (the caller runs burn's ops then).
    #[allow(clippy::too_many_arguments, clippy::result_large_err)]
    pub fn fused_self_attention(
        &self,
        wqkv: &Linear,
        x: Tensor<3>,
        heads: usize,
        q_len: usize,
        key_bias: &Tensor<4>,
        window: Option<usize>,
        rotate: impl Fn(&mut [f32], usize),
    ) -> Result<Tensor<3>, Tensor<3>> {
        let [batch, seq, hidden] = x.dims();
        let fits = self.kernels() == Kernels::Tiled
            && self.host_dims(wqkv) == Some([hidden, 3 * hidden])
            && attention::supported(hidden, heads);
        if !fits || seq == 0 || q_len > seq || x.dtype() != DType::F32 || key_bias.dtype() != DType::F32 {
            return Err(x);
        }
        let Some(mask) = key_bias.clone().try_into_data().ok().and_then(|d| d.try_into_vec::<f32>().ok()) else {
            return Err(x);
        };
        let device = x.device();
        // x's values copied out and x let go before the projections are allocated (not held beside
        // its copy); if a projection then declines, x is rebuilt from them.
        let Ok(data) = x.clone().try_into_data() else { return Err(x) };
        drop(x);
        let parts = data.as_slice::<f32>().ok().and_then(|xs| self.project_parts(wqkv, xs, batch, seq, q_len));
        let Some([mut q, mut k, v]) = parts else { return Err(Tensor::<3>::from_data(data, &device)) };
        drop(data);
        rotate(&mut q, q_len);
        rotate(&mut k, seq);
        let dims = attention::Dims { batch, q_len, k_len: seq, hidden, heads, window };
        let context = attention::attention(q, &k, &v, &mask, dims);
        Ok(Tensor::<3>::from_data(TensorData::new(context, [batch, q_len, hidden]), &device))
    }

    /// `x · W + b` for `x` `[batch, seq, d_in]` (row-major) and `W` `[d_in, 3 · h]`, as three
    /// buffers of its column thirds: the first for each batch row's first `q_len` positions
    /// alone, the others for all. Computed in chunks of rows whose product fits
    /// [`ROW_SLICE_BYTES`], so no `3 · s × h` buffer exists. `None` where [`Self::project`] is.
    fn project_parts(&self, linear: &Linear, x: &[f32], batch: usize, seq: usize, q_len: usize) -> Option<[Vec<f32>; 3]> {
        let linear = self.host_linear(linear)?;
        let (d_in, d_out) = (linear.d_in, linear.d_out);
        let (h, rows) = (d_out / 3, batch * seq);
        if x.len() != rows * d_in {
            return None;
        }
        let chunk = (ROW_SLICE_BYTES as usize / (4 * d_out)).clamp(1, rows.max(1));
        let mut y = vec![0.0f32; chunk * d_out];
        let mut q = Vec::with_capacity(batch * q_len * h);
        let (mut k, mut v) = (Vec::with_capacity(rows * h), Vec::with_capacity(rows * h));
        for start in (0..rows).step_by(chunk) {
            let n = chunk.min(rows - start);
            let y = &mut y[..n * d_out];
            linear.apply_into(&x[start * d_in..(start + n) * d_in], n, Epilogue::Bias, y);
            for (r, row) in (start..start + n).zip(y.chunks_exact(d_out)) {
                if r % seq < q_len {
                    q.extend_from_slice(&row[..h]);
                }
                k.extend_from_slice(&row[h..2 * h]);
                v.extend_from_slice(&row[2 * h..]);
            }
        }
        Some([q, k, v])
    }
}

/// A `Linear` ready for many products on host rows: its f32 weight packed once for the tiles, or
/// its int8 copy, and its bias.
pub(super) struct HostLinear<'a> {
    pub d_in: usize,
    pub d_out: usize,
    weight: HostWeight<'a>,
    bias: Option<Vec<f32>>,
}

enum HostWeight<'a> {
    Packed(Vec<f32>),
    Int8(&'a PackedInt8),
}

impl HostLinear<'_> {
    pub fn new<'a>(d_in: usize, d_out: usize, bias: Option<Vec<f32>>, weight: Result<&[f32], &'a PackedInt8>) -> HostLinear<'a> {
        let weight = match weight {
            Ok(w) => HostWeight::Packed(gemm::pack(d_in, d_out, |k, j| w[k * d_out + j])),
            Err(packed) => HostWeight::Int8(packed),
        };
        HostLinear { d_in, d_out, weight, bias }
    }

    /// `epilogue(x · W + b)` for `rows` rows of `x` (`[rows, d_in]`), as `[rows, d_out]`.
    pub fn apply(&self, x: &[f32], rows: usize, epilogue: Epilogue) -> Vec<f32> {
        match &self.weight {
            HostWeight::Int8(w) => int8::matmul(x, rows, w, self.bias.as_deref(), epilogue),
            HostWeight::Packed(_) => {
                let mut out = vec![0.0f32; rows * self.d_out];
                self.apply_into(x, rows, epilogue, &mut out);
                out
            }
        }
    }

    /// [`Self::apply`] into `out` (`[rows, d_out]`).
    pub fn apply_into(&self, x: &[f32], rows: usize, epilogue: Epilogue, out: &mut [f32]) {
        match &self.weight {
            HostWeight::Packed(packed) => {
                gemm::gemm(x, self.d_in, rows, self.d_in, packed, self.bias.as_deref(), epilogue, out, self.d_out)
            }
            HostWeight::Int8(w) => out.copy_from_slice(&int8::matmul(x, rows, w, self.bias.as_deref(), epilogue)),
        }
    }
}
