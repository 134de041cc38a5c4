//! Ops that keep one step's activations within the instance's budget (a GPU's largest storage
//! binding): attention in slices of query rows, a position-wise block in slices of tokens. Each
//! slice computes exactly what the whole would for its rows.

use burn::tensor::Tensor;

use super::ops::{Kernels, Ops};

/// Bytes of a feed-forward block's widest activation one slice may hold on the CPU kernels: 1,024
/// tokens of a 2,048-wide GeGLU input, so inputs up to ~1,000 tokens run in one slice as before.
pub const ROW_SLICE_BYTES: u64 = 8 << 20;

impl Ops {
    /// `attend(q, bias)` — a family's `softmax(q · kᵀ + bias) · v` over `k_len` keys, for `q`
    /// `[b, heads, q, d]` and `bias` `[b, 1 or heads, 1 or q, k]` — in slices of query rows whose
    /// scores fit this instance's activation budget, joined again: each query row's softmax reads
    /// only its own scores, so the context is the same. A long input on a GPU whose largest
    /// binding cannot hold its `heads × q × k` scores (bge-m3 at 8,192 tokens: 4.3 GB) runs this way.
    pub fn in_query_slices(&self, q: Tensor<4>, bias: Tensor<4>, k_len: usize, attend: impl Fn(Tensor<4>, Tensor<4>) -> Tensor<4>) -> Tensor<4> {
        let [batch, heads, q_len, _] = q.dims();
        let row_bytes = (4 * batch * heads * k_len.max(1)) as u64;
        let rows = ((self.max_activation_bytes() / row_bytes) as usize).max(1);
        if rows >= q_len {
            return attend(q, bias);
        }
        let per_row = bias.dims()[2] > 1;
        let slices = (0..q_len)
            .step_by(rows)
            .map(|start| {
                let n = rows.min(q_len - start);
                let bias = if per_row { bias.clone().narrow(2, start, n) } else { bias.clone() };
                attend(q.clone().narrow(2, start, n), bias)
            })
            .collect();
        Tensor::cat(slices, 2)
    }

    /// `f(x)` for a position-wise `f` (a feed-forward block) whose widest activation is `width`
    /// values per token, in slices of `x`'s `[b, seq, h]` sequence that fit this instance's
    /// activation budget, joined again (each token's output reads only its own row). On the CPU
    /// kernels the slices also stay within [`ROW_SLICE_BYTES`]: the same arithmetic per row, and a
    /// long input's feed-forward no longer holds `seq × intermediate` floats at once (README,
    /// "Long passages": the peak memory of 8,192 tokens).
    pub fn in_row_slices(&self, x: Tensor<3>, width: usize, f: impl Fn(Tensor<3>) -> Tensor<3>) -> Tensor<3> {
        let [batch, seq, _] = x.dims();
        let budget = match self.kernels() {
            Kernels::Tiled => self.max_activation_bytes().min(ROW_SLICE_BYTES),
            Kernels::Burn => self.max_activation_bytes(),
        };
        let rows = ((budget / (4 * batch * width.max(1)) as u64) as usize).max(1);
        if rows >= seq {
            return f(x);
        }
        let slices = (0..seq).step_by(rows).map(|start| f(x.clone().narrow(1, start, rows.min(seq - start)))).collect();
        Tensor::cat(slices, 1)
    }
}
