//! `model.embeddings.*` and ModernBERT's input rule: how a batch of token-id rows becomes the
//! tensors the embeddings and the attention read. No position or token-type embeddings (the
//! layers rotate queries and keys instead, `super::rotary`); the additive mask of the global
//! layers, and the local (sliding-window) layers' built band by band.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm};
use burn::tensor::{Device, Tensor, TensorData};

use super::ModernBertConfig;
use super::layer::layer_norm;
use crate::error::Result;
use crate::model::{HostEmbeddings, Words};

/// `model.embeddings.*`: token embeddings, then LayerNorm (no bias where `norm_bias` is false).
#[derive(Module, Debug)]
pub struct Embeddings {
    pub tok_embeddings: Embedding,
    pub norm: LayerNorm,
}

impl Embeddings {
    pub fn new(c: &ModernBertConfig, device: &Device) -> Self {
        Self {
            tok_embeddings: EmbeddingConfig::new(c.vocab_size, c.hidden_size).init(device),
            norm: layer_norm(c, device),
        }
    }

    /// Words (ids or looked-up rows) → `[batch, seq, hidden]`.
    pub fn forward(&self, words: Words) -> Tensor<3> {
        let x = match words {
            Words::Ids(ids) => self.tok_embeddings.forward(ids),
            Words::Vectors(vectors) => vectors,
        };
        self.norm.forward(x)
    }
}

/// One padded batch on its way into the model: the words, and what the attention masks with.
pub struct ModelInput {
    /// Token ids `[batch, seq]` right-padded with `pad_token_id` (positions are then 0.. for every
    /// row, as HF's eager and sdpa paths number them), or their embedding rows.
    pub words: Words,
    pub masks: Masks,
}

/// The batch's masks: padding for every layer; a local layer's window joins it per band
/// ([`Masks::band_bias`]).
pub struct Masks {
    /// Real tokens per row (mean pooling divides by it).
    pub lengths: Vec<usize>,
    /// `[batch, 1, 1, seq]`: 0 for real keys, `f32::MIN` for padding (HF fills with the dtype's
    /// minimum, not −∞).
    pub global_bias: Tensor<4>,
    /// The local layers' band masks, built once per band for the batch (every local layer reads
    /// the same ones): by query rows and window.
    bands: RefCell<HashMap<(usize, usize, usize), Tensor<4>>>,
}

impl ModelInput {
    /// Pads `rows` (token ids per pair) to the longest and builds the tensors on `device`,
    /// looking the words up in `host` when the table lives there (an error if it lacks a row).
    pub fn new(
        rows: &[&[u32]],
        config: &ModernBertConfig,
        host: Option<&HostEmbeddings>,
        device: &Device,
    ) -> Result<Self> {
        let batch = rows.len();
        let seq = rows.iter().map(|r| r.len()).max().unwrap_or(0);
        let lengths: Vec<usize> = rows.iter().map(|r| r.len()).collect();
        let mut input_ids = Vec::with_capacity(batch * seq);
        for row in rows {
            input_ids.extend((0..seq).map(|t| row.get(t).copied().unwrap_or(config.pad_token_id)));
        }
        let global: Vec<f32> = lengths.iter().flat_map(|&len| (0..seq).map(move |j| key_bias(len, j))).collect();
        Ok(ModelInput {
            words: Words::new(&input_ids, [batch, seq], host, device)?,
            masks: Masks {
                global_bias: Tensor::<4>::from_data(TensorData::new(global, [batch, 1, 1, seq]), device),
                bands: RefCell::default(),
                lengths,
            },
        })
    }
}

/// Padding is masked by place: a typed `<pad>` is a real, attended token.
fn key_bias(len: usize, j: usize) -> f32 {
    if j < len { 0.0 } else { f32::MIN }
}

impl Masks {
    /// The additive mask of query rows `rows` over keys `keys` for a local layer with `window`
    /// on burn's ops: `[batch, 1, rows, keys]`, keys further than the window from their query
    /// `f32::MIN` as padding is — one value per (query, key), never the sum of two minima (that
    /// would be −∞, and a row of −∞ a NaN): HF fills the global mask's minimum in, as here. Built
    /// per band of rows, so no `[batch, 1, seq, seq]` mask is ever held (268 MB at 8,192 tokens).
    pub fn band_bias(&self, rows: Range<usize>, keys: Range<usize>, window: usize) -> Tensor<4> {
        let key = (rows.start, rows.end, window);
        if let Some(bias) = self.bands.borrow().get(&key).filter(|b| b.dims()[3] == keys.len()) {
            return bias.clone();
        }
        let mut bias = Vec::with_capacity(self.lengths.len() * rows.len() * keys.len());
        for &len in &self.lengths {
            for i in rows.clone() {
                bias.extend(keys.clone().map(|j| if i.abs_diff(j) > window { f32::MIN } else { key_bias(len, j) }));
            }
        }
        let shape = [self.lengths.len(), 1, rows.len(), keys.len()];
        let bias = Tensor::<4>::from_data(TensorData::new(bias, shape), &self.global_bias.device());
        self.bands.borrow_mut().insert(key, bias.clone());
        bias
    }
}
