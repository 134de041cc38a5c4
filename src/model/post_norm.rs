//! The post-norm encoder BERT introduced and XLM-R kept (HF's XLM-R layers are "Copied from
//! transformers.models.bert"): `{bert,roberta}.encoder.layer.N.*`, fields named like those tensors.
//! Shared by the families that use it (`bert/`, `xlm_roberta/`); each passes its [`LayerShape`].

// `LayerNorm` fields carry the HF tensor name (the derive also binds it as a variable).
#![allow(non_snake_case)]

use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::error::{Error, Result};
use crate::model::Ops;

/// What a family's config says about its encoder layers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerShape {
    pub hidden_size: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub layer_norm_eps: f64,
}

impl LayerShape {
    /// Refuses a shape these layers cannot compute, naming the `config.json` field.
    pub fn check(&self) -> Result<()> {
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Err(Error::config(
                "hidden_size",
                format!("{} is not divisible by num_attention_heads = {}", self.hidden_size, self.num_attention_heads),
            ));
        }
        if !(self.layer_norm_eps.is_finite() && self.layer_norm_eps > 0.0) {
            return Err(Error::config("layer_norm_eps", "must be a positive number"));
        }
        Ok(())
    }
}

/// `encoder.*`: the layers in order.
#[derive(Module, Debug)]
pub struct Encoder {
    pub layer: Vec<Layer>,
}

impl Encoder {
    pub fn new(c: &LayerShape, num_hidden_layers: usize, device: &Device) -> Self {
        Self { layer: (0..num_hidden_layers).map(|_| Layer::new(c, device)).collect() }
    }

    /// `[batch, seq, hidden]` → `[batch, 1, hidden]`: the first token's output, which is all the
    /// heads of these families read. The last layer computes that row alone (its keys and values
    /// still see every token).
    pub fn forward_first_token(&self, mut hidden: Tensor<3>, attention_bias: Tensor<4>, ops: &Ops) -> Tensor<3> {
        let last = self.layer.len().saturating_sub(1);
        for (i, layer) in self.layer.iter().enumerate() {
            hidden = if i == last {
                layer.forward_first_token(hidden, attention_bias.clone(), ops)
            } else {
                layer.forward(hidden, attention_bias.clone(), ops)
            };
        }
        hidden
    }
}

#[derive(Module, Debug)]
pub struct Layer {
    pub attention: Attention,
    pub intermediate: Intermediate,
    pub output: Output,
}

#[derive(Module, Debug)]
pub struct Attention {
    /// HF `attention.self` (renamed on load; `self` is a Rust keyword).
    pub self_: SelfAttention,
    pub output: SelfOutput,
}

#[derive(Module, Debug)]
pub struct SelfAttention {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    num_heads: usize,
}

#[derive(Module, Debug)]
pub struct SelfOutput {
    pub dense: Linear,
    pub LayerNorm: LayerNorm,
}

#[derive(Module, Debug)]
pub struct Intermediate {
    pub dense: Linear,
}

#[derive(Module, Debug)]
pub struct Output {
    pub dense: Linear,
    pub LayerNorm: LayerNorm,
}

fn linear(d_in: usize, d_out: usize, device: &Device) -> Linear {
    LinearConfig::new(d_in, d_out).init(device)
}

fn layer_norm(c: &LayerShape, device: &Device) -> LayerNorm {
    LayerNormConfig::new(c.hidden_size).with_epsilon(c.layer_norm_eps).init(device)
}

impl Layer {
    pub fn new(c: &LayerShape, device: &Device) -> Self {
        let h = c.hidden_size;
        Self {
            attention: Attention {
                self_: SelfAttention {
                    query: linear(h, h, device),
                    key: linear(h, h, device),
                    value: linear(h, h, device),
                    num_heads: c.num_attention_heads,
                },
                output: SelfOutput { dense: linear(h, h, device), LayerNorm: layer_norm(c, device) },
            },
            intermediate: Intermediate { dense: linear(h, c.intermediate_size, device) },
            output: Output { dense: linear(c.intermediate_size, h, device), LayerNorm: layer_norm(c, device) },
        }
    }

    /// `[batch, seq, hidden]` → `[batch, seq, hidden]`.
    pub fn forward(&self, x: Tensor<3>, attention_bias: Tensor<4>, k: &Ops) -> Tensor<3> {
        let context = self.attention.self_.forward(x.clone(), x.clone(), attention_bias, k);
        self.feed_forward(context, x, k)
    }

    /// Like [`forward`](Self::forward) but computes only the first token's output row:
    /// `[batch, seq, hidden]` → `[batch, 1, hidden]`. Exact, because every row of a layer depends
    /// on the other rows only through keys and values.
    pub fn forward_first_token(&self, x: Tensor<3>, attention_bias: Tensor<4>, k: &Ops) -> Tensor<3> {
        let first = x.clone().narrow(1, 0, 1);
        let context = self.attention.self_.forward(first.clone(), x, attention_bias, k);
        self.feed_forward(context, first, k)
    }

    fn feed_forward(&self, context: Tensor<3>, residual: Tensor<3>, k: &Ops) -> Tensor<3> {
        let attention_output = self.attention.output.forward(context, residual, k);
        let width = k.out_features(&self.intermediate.dense);
        k.in_row_slices(attention_output, width, |x| {
            let intermediate = k.linear_gelu(&self.intermediate.dense, x.clone());
            self.output.forward(intermediate, x, k)
        })
    }
}

impl SelfAttention {
    /// Scaled dot-product attention of `queries` `[b, q, h]` over `keys_values` `[b, k, h]`,
    /// with `attention_bias` `[b, 1, 1, k]` added to the scores. Returns `[b, q, h]`.
    pub fn forward(&self, queries: Tensor<3>, keys_values: Tensor<3>, attention_bias: Tensor<4>, k: &Ops) -> Tensor<3> {
        let projections = [&self.query, &self.key, &self.value];
        if let Some(context) = k.attention(projections, self.num_heads, &queries, &keys_values, &attention_bias) {
            return context;
        }
        let [batch, q_len, hidden] = queries.dims();
        let [_, k_len, _] = keys_values.dims();
        let heads = self.num_heads;
        let head_dim = hidden / heads;
        let split = |t: Tensor<3>, len: usize| t.reshape([batch, len, heads, head_dim]).swap_dims(1, 2);

        // Scaling q before the product costs q·h multiplies instead of q·k per head.
        let scale = 1.0 / (head_dim as f64).sqrt();
        let q = split(k.linear(&self.query, queries) * scale, q_len);
        let key = split(k.linear(&self.key, keys_values.clone()), k_len);
        let value = split(k.linear(&self.value, keys_values), k_len);

        let key_t = key.swap_dims(2, 3);
        let attend = |q: Tensor<4>, bias: Tensor<4>| k.softmax(q.matmul(key_t.clone()) + bias).matmul(value.clone());
        let context = k.in_query_slices(q, attention_bias, k_len, attend);
        context.swap_dims(1, 2).reshape([batch, q_len, hidden])
    }
}

impl SelfOutput {
    fn forward(&self, context: Tensor<3>, residual: Tensor<3>, k: &Ops) -> Tensor<3> {
        self.LayerNorm.forward(k.linear(&self.dense, context) + residual)
    }
}

impl Output {
    fn forward(&self, intermediate: Tensor<3>, residual: Tensor<3>, k: &Ops) -> Tensor<3> {
        self.LayerNorm.forward(k.linear(&self.dense, intermediate) + residual)
    }
}
