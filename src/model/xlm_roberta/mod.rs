//! XLM-R cross-encoders (`XLMRobertaForSequenceClassification`, e.g.
//! `hotchpotch/japanese-reranker-cross-encoder-small-v1`). Field paths mirror the Hugging Face
//! tensor names (`roberta.encoder.layer.3.attention.output.LayerNorm.weight`) so loading is a
//! name-for-name copy. One exception, forced by Rust: HF's `attention.self` is `attention.self_`
//! here (`self` cannot be a field name); [`NAMING`] renames it on the way in.
//!
//! The spec of record is `transformers/models/xlm_roberta/modeling_xlm_roberta.py` at inference:
//! no dropout, no cross-attention, no cache.

mod config;
mod embeddings;
mod head;

use std::collections::HashMap;
use std::ops::Range;

use burn::module::Module;
use burn::tensor::{Device, Tensor};

pub use crate::model::post_norm::{Attention, Encoder, Intermediate, Layer, Output, SelfAttention, SelfOutput};
pub use config::{ARCHITECTURE, XlmRobertaConfig};
pub use embeddings::{Embeddings, ModelInput, create_position_ids_from_input_ids};
pub use head::ClassificationHead;

use crate::error::Result;
use crate::load::{Header, Int8Tensor, Naming, Weights};
use crate::model::checkpoint::{self, Layout};
use crate::model::ops::to_f16;
use crate::model::{BuildOptions, CrossEncoder, HostEmbeddings, Ops, Precision, Row};

/// How this family's module paths relate to the checkpoint's tensor names.
pub const NAMING: Naming = Naming {
    prefixes: &["roberta.embeddings.", "roberta.encoder.", "classifier."],
    buffers: &["position_ids", "token_type_ids"],
    renames: &[(".attention.self.", ".attention.self_.")],
};

const WORD_EMBEDDINGS: &str = "roberta.embeddings.word_embeddings.weight";

/// The module path of the encoder, whose `Linear`s run int8 under [`Precision::Int8`].
const ENCODER: &str = "roberta.encoder.";

/// Checks every tensor `config` implies against the file's `header`, before anything it sizes
/// is allocated ([`checkpoint::check_header`]).
pub fn check_header(config: &XlmRobertaConfig, header: &Header) -> Result<()> {
    let template = |n, device: &Device| XlmRobertaForSequenceClassification::new(&XlmRobertaConfig { num_hidden_layers: n, ..config.clone() }, device);
    checkpoint::check_header(template, &NAMING, "roberta.encoder.layer.", config.num_hidden_layers, header)
}

/// The byte ranges to read for a model whose word-embedding rows arrive on demand.
pub fn eager_ranges(header: &Header) -> Vec<Range<u64>> {
    checkpoint::eager_ranges(header, &NAMING, WORD_EMBEDDINGS)
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

impl XlmRobertaForSequenceClassification {
    /// A model of the configured shape with uninitialised (lazy) parameters, to be filled from a
    /// checkpoint; burn allocates nothing until a parameter is read or replaced.
    pub fn new(config: &XlmRobertaConfig, device: &Device) -> Self {
        Self {
            roberta: XlmRobertaModel {
                embeddings: Embeddings::new(config, device),
                encoder: Encoder::new(&config.layer_shape(), config.num_hidden_layers, device),
            },
            classifier: ClassificationHead::new(config, device),
        }
    }

    /// `[batch]` logits (num_labels = 1) for a padded batch.
    pub fn forward(&self, input: ModelInput, ops: &Ops) -> Tensor<1> {
        let hidden = self.roberta.embeddings.forward(input.words, input.position_ids);
        let first = self.roberta.encoder.forward_first_token(hidden, input.attention_bias, ops);
        self.classifier.forward(first)
    }
}

/// An XLM-R cross-encoder ready to score: the checkpoint's module and how this instance runs it.
pub struct XlmRoberta {
    model: XlmRobertaForSequenceClassification,
    /// The word-embedding table when it lives in host memory (then the module's parameter is
    /// left unallocated).
    host_embeddings: Option<HostEmbeddings>,
    pad_token_id: u32,
    device: Device,
    ops: Ops,
}

impl XlmRoberta {
    /// Reads the weights of `model.safetensors` into a model built as `options` say. From
    /// [`Weights::Parts`] the word embeddings are a host table filled on demand, whatever
    /// `options.host_word_embeddings` says. Under [`Precision::Int8`] the encoder's weights in
    /// an int8 file are packed as stored, without an f32 copy.
    pub fn load(config: &XlmRobertaConfig, weights: Weights, options: &BuildOptions) -> Result<Self> {
        let mut model = XlmRobertaForSequenceClassification::new(config, &options.device);
        let layout = Layout {
            naming: &NAMING,
            word_embeddings: WORD_EMBEDDINGS,
            shape: [config.vocab_size, config.hidden_size],
            int8_under: ENCODER,
        };
        let (host_embeddings, stored) = checkpoint::fill(&mut model, weights, &layout, options)?;
        Self::build(model, host_embeddings, config, options, stored)
    }

    /// A model from a module already filled (or randomly initialised, as the backend
    /// self-check's is). Under [`Precision::Int8`] the encoder's `Linear` weights are quantized
    /// here, under [`Precision::F16`] cast to f16 (the embeddings and the head stay f32).
    pub fn from_module(
        model: XlmRobertaForSequenceClassification,
        host_embeddings: Option<HostEmbeddings>,
        config: &XlmRobertaConfig,
        options: &BuildOptions,
    ) -> Result<Self> {
        Self::build(model, host_embeddings, config, options, HashMap::new())
    }

    /// [`Self::from_module`], with the encoder weights an int8 file held (by path in the encoder).
    fn build(
        mut model: XlmRobertaForSequenceClassification,
        host_embeddings: Option<HostEmbeddings>,
        config: &XlmRobertaConfig,
        options: &BuildOptions,
        stored: HashMap<String, Int8Tensor>,
    ) -> Result<Self> {
        let mut ops = Ops::new(options.kernels, options.max_activation_bytes);
        match options.precision {
            Precision::Int8 => model.roberta.encoder = ops.quantize(model.roberta.encoder, stored)?,
            Precision::F16 => model.roberta.encoder = to_f16(model.roberta.encoder),
            Precision::F32 => {}
        }
        Ok(Self { model, host_embeddings, pad_token_id: config.pad_token_id, device: options.device.clone(), ops })
    }
}

impl CrossEncoder for XlmRoberta {
    fn forward(&self, rows: &[Row<'_>]) -> Result<Tensor<1>> {
        let rows: Vec<&[u32]> = rows.iter().map(|r| r.ids).collect();
        let input = ModelInput::new(&rows, self.pad_token_id, self.host_embeddings.as_ref(), &self.device)?;
        Ok(self.model.forward(input, &self.ops))
    }

    fn host_embeddings(&self) -> Option<&HostEmbeddings> {
        self.host_embeddings.as_ref()
    }
}
