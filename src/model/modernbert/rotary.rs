//! Rotary position embeddings as HF's `ModernBertRotaryEmbedding` and `apply_rotary_pos_emb`
//! compute them (non-interleaved: the head's two halves rotate together), for positions
//! `0..seq` — the padded batch's, which right padding leaves equal to every row's own.

use burn::tensor::{Device, Tensor, TensorData};

/// The cos / sin tables of one θ for one batch length.
pub struct Rotary {
    /// `[1, seq, 1, head_dim]`: `cos(p · inv_freq[i mod half])`.
    cos: Tensor<4>,
    /// `[1, seq, 1, head_dim]`: `sin(p · inv_freq[i mod half])`, negated on the first half, so
    /// that `x · cos + swap_halves(x) · sin` is HF's `x · cos + rotate_half(x) · sin`.
    sin: Tensor<4>,
}

impl Rotary {
    pub fn new(theta: f64, head_dim: usize, seq: usize, device: &Device) -> Self {
        let half = head_dim / 2;
        // As HF, in f32: inv_freq = 1 / θ^(2i / d), the angle one f32 product p · inv_freq. The
        // power and the cos / sin are taken in f64 and rounded, so every platform gets the
        // correctly rounded f32 (PyTorch's are within an ulp of it).
        let inv_freq: Vec<f32> =
            (0..half).map(|i| 1.0f32 / (theta.powf(((2 * i) as f32 / head_dim as f32) as f64) as f32)).collect();
        let mut cos = Vec::with_capacity(seq * head_dim);
        let mut sin = Vec::with_capacity(seq * head_dim);
        for p in 0..seq {
            let angles: Vec<f64> = inv_freq.iter().map(|f| (p as f32 * f) as f64).collect();
            for h in 0..2 {
                cos.extend(angles.iter().map(|a| a.cos() as f32));
                let sign = if h == 0 { -1.0f32 } else { 1.0 };
                sin.extend(angles.iter().map(|a| sign * a.sin() as f32));
            }
        }
        let table = |v: Vec<f32>| Tensor::<4>::from_data(TensorData::new(v, [1, seq, 1, head_dim]), device);
        Self { cos: table(cos), sin: table(sin) }
    }

    /// Rotates `x` `[batch, len, heads, head_dim]` (heads not yet moved before positions) at
    /// positions `0..len`.
    pub fn apply(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, len, _, head_dim] = x.dims();
        let half = head_dim / 2;
        let (cos, sin) = (self.cos.clone().narrow(1, 0, len), self.sin.clone().narrow(1, 0, len));
        let swapped = Tensor::cat(vec![x.clone().narrow(3, half, half), x.clone().narrow(3, 0, half)], 3);
        x * cos + swapped * sin
    }
}
