//! BERT cross-encoders (`BertForSequenceClassification`: the BERT-ja rerankers
//! `hotchpotch/japanese-reranker-cross-encoder-{base,large}-v1`, on cl-tohoku's Japanese BERTs).
//! Field paths mirror the Hugging Face tensor names (`bert.encoder.layer.3.output.dense.weight`);
//! HF's `attention.self` is `attention.self_` here, renamed by [`NAMING`]. The encoder layers are
//! the post-norm ones XLM-R shares (`model/post_norm.rs`); what is BERT's own: absolute positions
//! from 0, two token types (the input rule, `embeddings.rs`), and the pooler + classifier head.
//!
//! The spec of record is `transformers/models/bert/modeling_bert.py` at inference: no dropout, no
//! cross-attention, no cache. The tokenizer (`BertJapaneseTokenizer`: MeCab + WordPiece) is
//! `tokenize/bert_japanese.rs`.

mod config;
mod embeddings;
mod head;

use std::collections::HashMap;
use std::ops::Range;

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};

pub use config::{ARCHITECTURE, BertConfig};
pub use embeddings::{Embeddings, ModelInput, token_type_ids};
pub use head::Pooler;

use crate::error::Result;
use crate::load::{Header, Int8Tensor, Naming, Weights};
use crate::model::checkpoint::{self, Layout};
use crate::model::ops::to_f16;
use crate::model::post_norm::Encoder;
use crate::model::{BuildOptions, CrossEncoder, HostEmbeddings, Ops, Precision, Row};

/// How this family's module paths relate to the checkpoint's tensor names.
pub const NAMING: Naming = Naming {
    prefixes: &["bert.embeddings.", "bert.encoder.", "bert.pooler.", "classifier."],
    buffers: &["position_ids", "token_type_ids"],
    renames: &[(".attention.self.", ".attention.self_.")],
};

const WORD_EMBEDDINGS: &str = "bert.embeddings.word_embeddings.weight";

/// The module path of the encoder, whose `Linear`s run int8 under [`Precision::Int8`].
const ENCODER: &str = "bert.encoder.";

/// Checks every tensor `config` implies against the file's `header`, before anything it sizes
/// is allocated ([`checkpoint::check_header`]).
pub fn check_header(config: &BertConfig, header: &Header) -> Result<()> {
    let template = |n, device: &Device| BertForSequenceClassification::new(&BertConfig { num_hidden_layers: n, ..config.clone() }, device);
    checkpoint::check_header(template, &NAMING, "bert.encoder.layer.", config.num_hidden_layers, header)
}

/// The byte ranges to read for a model whose word-embedding rows arrive on demand.
pub fn eager_ranges(header: &Header) -> Vec<Range<u64>> {
    checkpoint::eager_ranges(header, &NAMING, WORD_EMBEDDINGS)
}

#[derive(Module, Debug)]
pub struct BertModel {
    pub embeddings: Embeddings,
    pub encoder: Encoder,
    pub pooler: Pooler,
}

#[derive(Module, Debug)]
pub struct BertForSequenceClassification {
    pub bert: BertModel,
    pub classifier: Linear,
}

impl BertForSequenceClassification {
    /// A model of the configured shape with uninitialised (lazy) parameters, to be filled from a
    /// checkpoint.
    pub fn new(config: &BertConfig, device: &Device) -> Self {
        Self {
            bert: BertModel {
                embeddings: Embeddings::new(config, device),
                encoder: Encoder::new(&config.layer_shape(), config.num_hidden_layers, device),
                pooler: Pooler::new(config, device),
            },
            classifier: head::classifier(config, device),
        }
    }

    /// `[batch]` logits (num_labels = 1) for a padded batch.
    pub fn forward(&self, input: ModelInput, ops: &Ops) -> Tensor<1> {
        let hidden = self.bert.embeddings.forward(input.words, input.position_ids, input.token_type_ids);
        let first = self.bert.encoder.forward_first_token(hidden, input.attention_bias, ops);
        let pooled = self.bert.pooler.forward(first);
        let [batch, _] = pooled.dims();
        self.classifier.forward(pooled).reshape([batch])
    }
}

/// A BERT cross-encoder ready to score: the checkpoint's module and how this instance runs it.
pub struct Bert {
    model: BertForSequenceClassification,
    host_embeddings: Option<HostEmbeddings>,
    pad_token_id: u32,
    device: Device,
    ops: Ops,
}

impl Bert {
    /// Reads the weights of `model.safetensors` into a model built as `options` say (the same
    /// paths as XLM-R's: word embeddings on the host or filled on demand, int8 kept packed).
    pub fn load(config: &BertConfig, weights: Weights, options: &BuildOptions) -> Result<Self> {
        let mut model = BertForSequenceClassification::new(config, &options.device);
        let layout = Layout {
            naming: &NAMING,
            word_embeddings: WORD_EMBEDDINGS,
            shape: [config.vocab_size, config.hidden_size],
            int8_under: ENCODER,
        };
        let (host_embeddings, stored) = checkpoint::fill(&mut model, weights, &layout, options)?;
        Self::build(model, host_embeddings, config, options, stored)
    }

    fn build(
        mut model: BertForSequenceClassification,
        host_embeddings: Option<HostEmbeddings>,
        config: &BertConfig,
        options: &BuildOptions,
        stored: HashMap<String, Int8Tensor>,
    ) -> Result<Self> {
        let mut ops = Ops::new(options.kernels, options.max_activation_bytes);
        match options.precision {
            Precision::Int8 => model.bert.encoder = ops.quantize(model.bert.encoder, stored)?,
            Precision::F16 => model.bert.encoder = to_f16(model.bert.encoder),
            Precision::F32 => {}
        }
        Ok(Self { model, host_embeddings, pad_token_id: config.pad_token_id, device: options.device.clone(), ops })
    }
}

impl CrossEncoder for Bert {
    fn forward(&self, rows: &[Row<'_>]) -> Result<Tensor<1>> {
        let input = ModelInput::new(rows, self.pad_token_id, self.host_embeddings.as_ref(), &self.device)?;
        Ok(self.model.forward(input, &self.ops))
    }

    fn host_embeddings(&self) -> Option<&HostEmbeddings> {
        self.host_embeddings.as_ref()
    }
}
