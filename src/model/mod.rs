//! `XLMRobertaForSequenceClassification` as a burn [`Module`]. Field paths mirror the Hugging
//! Face tensor names (`roberta.encoder.layer.3.attention.output.LayerNorm.weight`) so loading is
//! a name-for-name copy. One exception, forced by Rust: HF's `attention.self` is `attention.self_`
//! here (`self` cannot be a field name); `load.rs` renames it on the way in.
//!
//! The spec of record is `transformers/models/xlm_roberta/modeling_xlm_roberta.py` at inference:
//! no dropout, no cross-attention, no cache.

mod embeddings;
mod fast;
mod gemm;
mod head;
mod layer;
mod simd;

pub use embeddings::{Embeddings, Words};
#[doc(hidden)]
pub use fast::set_cpu_kernels;
pub use head::ClassificationHead;
pub use layer::{Attention, Intermediate, Layer, Output, SelfAttention, SelfOutput};

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};

use crate::config::ModelConfig;

#[derive(Module, Debug)]
pub struct Encoder {
    pub layer: Vec<Layer>,
}

#[derive(Module, Debug)]
pub struct XlmRobertaModel {
    pub embeddings: Embeddings,
    pub encoder: Encoder,
}

#[derive(Module, Debug)]
pub struct XlmRobertaForSequenceClassification {
    pub roberta: XlmRobertaModel,
    pub classifier: ClassificationHead,
}

/// One padded batch on its way into the model.
pub struct ModelInput {
    /// Token ids `[batch, seq]` right-padded with `pad_token_id`, or their embedding rows.
    pub words: Words,
    /// `[batch, seq]` RoBERTa position ids: real tokens `pad+1 ..`, pads `pad`.
    pub position_ids: Tensor<2, Int>,
    /// `[batch, 1, 1, seq]` additive mask: 0 for real tokens, a huge negative for pads.
    pub attention_bias: Tensor<4>,
}

impl XlmRobertaForSequenceClassification {
    /// A model of the configured shape with uninitialised (lazy) parameters, to be filled by
    /// `load::load_weights`; burn allocates nothing until a parameter is read or replaced.
    pub fn new(config: &ModelConfig, device: &Device) -> Self {
        Self {
            roberta: XlmRobertaModel {
                embeddings: Embeddings::new(config, device),
                encoder: Encoder { layer: (0..config.num_hidden_layers).map(|_| Layer::new(config, device)).collect() },
            },
            classifier: ClassificationHead::new(config, device),
        }
    }

    /// `[batch]` logits (num_labels = 1) for a padded batch.
    pub fn forward(&self, input: ModelInput) -> Tensor<1> {
        let mut hidden = self.roberta.embeddings.forward(input.words, input.position_ids);
        let last = self.roberta.encoder.layer.len().saturating_sub(1);
        for (i, layer) in self.roberta.encoder.layer.iter().enumerate() {
            hidden = if i == last {
                // The head reads only the first token: the last layer computes that row alone
                // (its keys and values still see every token).
                layer.forward_first_token(hidden, input.attention_bias.clone())
            } else {
                layer.forward(hidden, input.attention_bias.clone())
            };
        }
        self.classifier.forward(hidden)
    }
}
