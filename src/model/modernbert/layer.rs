//! `model.layers.N.*`: a pre-norm layer — `h + attn(attn_norm(h))`, then `h + mlp(mlp_norm(h))`
//! — with fused q/k/v, rotary queries and keys, and a GeGLU feed-forward.

// Fields carry the HF tensor names (`Wqkv`, `Wo`, `Wi`).
#![allow(non_snake_case)]

use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use super::ModernBertConfig;
use super::embeddings::Masks;
use super::rotary::Rotary;
use crate::model::Ops;

#[derive(Module, Debug)]
pub struct Layer {
    /// HF's `nn.Identity()` in layer 0 (the embeddings' norm precedes it): no tensor, `None`.
    pub attn_norm: Option<LayerNorm>,
    pub attn: Attention,
    pub mlp_norm: LayerNorm,
    pub mlp: Mlp,
}

#[derive(Module, Debug)]
pub struct Attention {
    /// `[hidden, 3 · hidden]`: q, k, v side by side, each split into heads.
    pub Wqkv: Linear,
    pub Wo: Linear,
    num_heads: usize,
}

#[derive(Module, Debug)]
pub struct Mlp {
    /// `[hidden, 2 · intermediate]`: the activated input, then the gate.
    pub Wi: Linear,
    pub Wo: Linear,
}

fn linear(d_in: usize, d_out: usize, bias: bool, device: &Device) -> Linear {
    LinearConfig::new(d_in, d_out).with_bias(bias).init(device)
}

/// A LayerNorm as the config has them (a bias only where `norm_bias`).
pub fn layer_norm(c: &ModernBertConfig, device: &Device) -> LayerNorm {
    LayerNormConfig::new(c.hidden_size).with_epsilon(c.norm_eps).with_bias(c.norm_bias).init(device)
}

impl Layer {
    pub fn new(index: usize, c: &ModernBertConfig, device: &Device) -> Self {
        let h = c.hidden_size;
        Self {
            attn_norm: (index > 0).then(|| layer_norm(c, device)),
            attn: Attention {
                Wqkv: linear(h, 3 * h, c.attention_bias, device),
                Wo: linear(h, h, c.attention_bias, device),
                num_heads: c.num_attention_heads,
            },
            mlp_norm: layer_norm(c, device),
            mlp: Mlp {
                Wi: linear(h, 2 * c.intermediate_size, c.mlp_bias, device),
                Wo: linear(c.intermediate_size, h, c.mlp_bias, device),
            },
        }
    }

    /// `[batch, seq, hidden]` → `[batch, rows, hidden]`: every row, or with `first_only` the first
    /// token's alone (exact: rows depend on each other only through keys and values). `window`:
    /// this layer's sliding window (a local layer), `None` for a global one.
    pub fn forward(
        &self,
        h: Tensor<3>,
        first_only: bool,
        masks: &Masks,
        window: Option<usize>,
        rotary: &Rotary,
        ops: &Ops,
    ) -> Tensor<3> {
        let x = match &self.attn_norm {
            Some(norm) => norm.forward(h.clone()),
            None => h.clone(),
        };
        let residual = if first_only { h.narrow(1, 0, 1) } else { h };
        let h = residual + self.attn.forward(x, first_only, masks, window, rotary, ops);
        let m = self.mlp.forward(self.mlp_norm.forward(h.clone()), ops);
        h + m
    }
}

impl Attention {
    /// HF's eager attention: `softmax(q · kᵀ · d^-½ + mask) · v`, then `Wo`. Queries are every
    /// row of `x`, or its first with `first_only`. On a local layer both paths read only the band
    /// of keys within the window of a block of queries (the tiled kernels in
    /// `kernels/attention.rs`, burn's ops below with [`Masks::band_bias`]).
    fn forward(&self, x: Tensor<3>, first_only: bool, masks: &Masks, window: Option<usize>, rotary: &Rotary, ops: &Ops) -> Tensor<3> {
        let [batch, seq, hidden] = x.dims();
        let (heads, head_dim) = (self.num_heads, hidden / self.num_heads);
        let q_len = if first_only { 1 } else { seq };
        let rotate = |rows: &mut [f32], len: usize| rotary.apply_to_rows(rows, len, hidden);
        let x = match ops.fused_self_attention(&self.Wqkv, x, heads, q_len, &masks.global_bias, window, rotate) {
            Ok(context) => return ops.linear(&self.Wo, context),
            Err(x) => x,
        };
        let qkv = ops.linear(&self.Wqkv, x);
        let split = |part: usize, len: usize| qkv.clone().narrow(2, part * hidden, hidden).narrow(1, 0, len).reshape([batch, len, heads, head_dim]);
        let (q, k) = (rotary.apply(split(0, q_len)), rotary.apply(split(1, seq)));
        let v = qkv.narrow(2, 2 * hidden, hidden);
        let (q, k) = (q.swap_dims(1, 2), k.swap_dims(1, 2));
        let v = v.reshape([batch, seq, heads, head_dim]).swap_dims(1, 2);
        let (k_t, scale) = (k.swap_dims(2, 3), 1.0 / (head_dim as f64).sqrt());
        let context = match window {
            // A local layer in bands of query rows, each over the keys its rows' windows reach:
            // O(seq · window), not seq². The keys left out would weigh exact zeros.
            Some(w) => {
                // Bands of 4 windows' rows (fewer, larger steps on a GPU), halved until their
                // scores fit the instance's activation budget.
                let mut rows = (4 * w).max(64);
                let band_bytes = |rows: usize| (4 * batch * heads * rows * (rows + 2 * w)) as u64;
                while rows > 4 && band_bytes(rows) > ops.max_activation_bytes() {
                    rows /= 2;
                }
                let bands = (0..q_len).step_by(rows).map(|start| {
                    let end = (start + rows).min(q_len);
                    let keys = start.saturating_sub(w)..(end + w).min(seq);
                    let bias = masks.band_bias(start..end, keys.clone(), w);
                    let k_t = k_t.clone().narrow(3, keys.start, keys.len());
                    let scores = q.clone().narrow(2, start, end - start).matmul(k_t) * scale + bias;
                    ops.softmax(scores).matmul(v.clone().narrow(2, keys.start, keys.len()))
                });
                Tensor::cat(bands.collect(), 2)
            }
            None => {
                let attend = |q: Tensor<4>, bias: Tensor<4>| ops.softmax(q.matmul(k_t.clone()) * scale + bias).matmul(v.clone());
                ops.in_query_slices(q, masks.global_bias.clone(), seq, attend)
            }
        };
        ops.linear(&self.Wo, context.swap_dims(1, 2).reshape([batch, q_len, hidden]))
    }
}

impl Mlp {
    /// `Wo(gelu(input) · gate)` where `Wi(x)` = [input | gate] (exact erf GELU, HF's "gelu").
    fn forward(&self, x: Tensor<3>, ops: &Ops) -> Tensor<3> {
        ops.gated_gelu(&self.Wi, &self.Wo, x)
    }
}
