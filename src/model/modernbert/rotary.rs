//! Rotary position embeddings as HF's `ModernBertRotaryEmbedding` and `apply_rotary_pos_emb`
//! compute them (non-interleaved: the head's two halves rotate together), for positions
//! `0..seq` — the padded batch's, which right padding leaves equal to every row's own.

use std::cell::OnceCell;

use burn::tensor::{Device, Tensor, TensorData};

/// The cos / sin tables of one θ for one batch length.
pub struct Rotary {
    head_dim: usize,
    /// `[seq, head_dim / 2]`: `cos(p · inv_freq[i])` (both halves of a head use the same angles).
    cos: Vec<f32>,
    /// `[seq, head_dim / 2]`: `sin(p · inv_freq[i])`; the first half of a head takes it negated,
    /// so that `x · cos + swap_halves(x) · sin` is HF's `x · cos + rotate_half(x) · sin`.
    sin: Vec<f32>,
    /// Whole-head `[1, seq, 1, head_dim]` tables for burn's ops, made the first time they ask.
    tensors: OnceCell<(Tensor<4>, Tensor<4>)>,
    device: Device,
}

impl Rotary {
    pub fn new(theta: f64, head_dim: usize, seq: usize, device: &Device) -> Self {
        let half = head_dim / 2;
        // As HF, in f32: inv_freq = 1 / θ^(2i / d), the angle one f32 product p · inv_freq. The
        // power and the cos / sin are taken in f64 and rounded, so every platform gets the
        // correctly rounded f32 (PyTorch's are within an ulp of it).
        let inv_freq: Vec<f32> =
            (0..half).map(|i| 1.0f32 / (theta.powf(((2 * i) as f32 / head_dim as f32) as f64) as f32)).collect();
        let angles = || (0..seq).flat_map(|p| inv_freq.iter().map(move |f| (p as f32 * f) as f64));
        let cos = angles().map(|a| a.cos() as f32).collect();
        let sin = angles().map(|a| a.sin() as f32).collect();
        Self { head_dim, cos, sin, tensors: OnceCell::new(), device: device.clone() }
    }

    /// Rotates `x` `[batch, len, heads, head_dim]` (heads not yet moved before positions) at
    /// positions `0..len`, on burn's ops.
    pub fn apply(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, len, _, head_dim] = x.dims();
        let half = head_dim / 2;
        let (cos, sin) = self.tensors.get_or_init(|| {
            let seq = self.cos.len() / half.max(1);
            let whole = |v: &[f32], first: f32| -> Vec<f32> {
                v.chunks_exact(half).flat_map(|row| row.iter().map(move |x| first * x).chain(row.iter().copied())).collect()
            };
            let table = |v: Vec<f32>| Tensor::<4>::from_data(TensorData::new(v, [1, seq, 1, head_dim]), &self.device);
            (table(whole(&self.cos, 1.0)), table(whole(&self.sin, -1.0)))
        });
        let (cos, sin) = (cos.clone().narrow(1, 0, len), sin.clone().narrow(1, 0, len));
        let swapped = Tensor::cat(vec![x.clone().narrow(3, half, half), x.clone().narrow(3, 0, half)], 3);
        x * cos + swapped * sin
    }

    /// Rotates, in place, queries or keys `x` `[batch, len, hidden]` (row-major, `head_dim`-wide
    /// heads) at positions `0..len`: [`Self::apply`]'s arithmetic, product by product, on host
    /// rows.
    pub fn apply_to_rows(&self, x: &mut [f32], len: usize, hidden: usize) {
        let half = self.head_dim / 2;
        for (p, row) in x.chunks_exact_mut(hidden).enumerate().map(|(r, row)| (r % len, row)) {
            let (cos, sin) = (&self.cos[p * half..(p + 1) * half], &self.sin[p * half..(p + 1) * half]);
            for head in row.chunks_exact_mut(2 * half) {
                let (a, b) = head.split_at_mut(half);
                for i in 0..half {
                    // x · cos + swap_halves(x) · sin, the first half's sin negated.
                    let (x, y) = (a[i], b[i]);
                    a[i] = x * cos[i] + y * (-sin[i]);
                    b[i] = y * cos[i] + x * sin[i];
                }
            }
        }
    }
}
