//! Model families behind one interface. A family is one folder named after it
//! (`xlm_roberta/`), holding its config, its modules (fields named like the checkpoint's tensors,
//! so loading is a name-for-name copy), its input rule (position ids, token types, masks: beside
//! the embeddings that read them) and its head. The reranker drives any family through
//! [`CrossEncoder`] — token-id rows in, one logit per row out — picked from `config.json` by
//! [`ModelConfig`]. Adding a family: a folder, a [`ModelConfig`] variant, two match arms here.
//!
//! Shared by the families: [`ops`] (each op on burn or on `crate::kernels`, as the instance was
//! built; `slices.rs` adds the ones that keep a long input within the activation budget),
//! [`checkpoint`] (filling a module: where the word embeddings go, which int8 weights stay packed)
//! and [`HostEmbeddings`] (a word-embedding table kept off the device).

pub mod bert;
pub mod checkpoint;
mod fused;
mod host_embeddings;
pub mod modernbert;
pub mod ops;
pub mod post_norm;
mod slices;
pub mod xlm_roberta;

use std::ops::Range;

use burn::tensor::{Device, Tensor};

use crate::config::ConfigJson;
use crate::error::{Error, Result};
use crate::load::{Header, Weights};
pub use host_embeddings::{HostEmbeddings, Words};
pub use ops::{Kernels, Ops, Precision};
pub use slices::ROW_SLICE_BYTES;
pub use bert::BertConfig;
pub use modernbert::ModernBertConfig;
pub use xlm_roberta::XlmRobertaConfig;

/// One pair as the tokenizer made it: its token ids (special tokens included, unpadded) and where
/// its second segment starts (the first id the tokenizer gives token type 1; `ids.len()` when it
/// gives none). Only families with token types read the second.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub ids: &'a [u32],
    pub second_segment: usize,
}

impl<'a> Row<'a> {
    /// A row with no second segment (every token type 0).
    pub fn ids(ids: &'a [u32]) -> Self {
        Self { ids, second_segment: ids.len() }
    }
}

/// A cross-encoder ready to score, whatever its family.
pub trait CrossEncoder: Send + Sync {
    /// One logit per row, still on the device; the family pads the batch and builds its own
    /// position ids, token types and masks. Fails only when a word-embedding row the batch needs
    /// is not held (a table filled on demand).
    fn forward(&self, rows: &[Row<'_>]) -> Result<Tensor<1>>;

    /// The word-embedding table this instance keeps in host memory, if it keeps one there.
    fn host_embeddings(&self) -> Option<&HostEmbeddings>;
}

/// How to build a model instance; chosen once, kept by the instance.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub device: Device,
    /// Keep the word-embedding table in host memory and send only the looked-up rows to the
    /// device (for GPUs whose largest storage binding cannot hold the table). Same scores.
    pub host_word_embeddings: bool,
    pub kernels: Kernels,
    /// [`Precision::Int8`] quantizes the encoder's `Linear` weights when the instance is built
    /// (CPU devices only: the reranker's policy checks).
    pub precision: Precision,
    /// Largest attention-score tensor (`batch × heads × query rows × keys × 4` bytes) one step may
    /// create — on a GPU, at most its largest storage binding: a longer input computes attention
    /// in slices of query rows that fit ([`Ops::in_query_slices`]). Same scores.
    pub max_activation_bytes: u64,
}

/// The sizes every family has, for the reranker's policies (token limit, memory fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer, the widest activation per token.
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    /// The longest pair the model reads, special tokens included.
    pub max_tokens: usize,
    /// The id a batch is padded with: a padded batch looks its word-embedding row up too.
    pub pad_token_id: u32,
}

impl Dims {
    /// At least how many parameters a model of these sizes has: its word embeddings, and per
    /// layer the four attention projections and one feed-forward matrix (every family has more).
    /// Saturating: a config's sizes are untrusted.
    pub fn min_parameters(&self) -> u64 {
        let (h, i) = (self.hidden_size as u64, self.intermediate_size as u64);
        let per_layer = h.saturating_mul(h).saturating_mul(4).saturating_add(h.saturating_mul(i));
        (self.vocab_size as u64)
            .saturating_mul(h)
            .saturating_add(per_layer.saturating_mul(self.num_hidden_layers as u64))
    }
}

/// `config.json`: which family, and its typed config.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelConfig {
    XlmRoberta(XlmRobertaConfig),
    Bert(BertConfig),
    ModernBert(ModernBertConfig),
}

impl ModelConfig {
    /// Reads `config.json` and picks the family by `model_type`; refuses, naming the field,
    /// anything this crate cannot run exactly.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let json = ConfigJson::parse(bytes)?;
        match json.model_type()?.as_str() {
            "xlm-roberta" => Ok(Self::XlmRoberta(XlmRobertaConfig::from_json(&json)?)),
            "modernbert" => Ok(Self::ModernBert(ModernBertConfig::from_json(&json)?)),
            "bert" => Ok(Self::Bert(BertConfig::from_json(&json)?)),
            other => Err(Error::config(
                "model_type",
                format!("\"{other}\" is not supported (supported: \"xlm-roberta\", \"modernbert\", \"bert\")"),
            )),
        }
    }

    /// The family's `model_type`.
    pub fn family(&self) -> &'static str {
        match self {
            Self::XlmRoberta(_) => "xlm-roberta",
            Self::ModernBert(_) => "modernbert",
            Self::Bert(_) => "bert",
        }
    }

    pub fn dims(&self) -> Dims {
        match self {
            Self::XlmRoberta(c) => c.dims(),
            Self::ModernBert(c) => c.dims(),
            Self::Bert(c) => c.dims(),
        }
    }

    /// Whether the model's tokenizer may be one `tokenizer_config.json` names instead of a
    /// `tokenizer.json` (BERT checkpoints: the BERT-ja rerankers ship `BertJapaneseTokenizer`'s
    /// files only), so that file is read first.
    pub fn may_name_its_tokenizer(&self) -> bool {
        matches!(self, Self::Bert(_))
    }

    /// The longest pair, special tokens included, that the model reads.
    pub fn max_tokens(&self) -> usize {
        self.dims().max_tokens
    }

    /// Bytes of the f32 word-embedding table (`vocab_size × hidden_size`): whether it fits in a
    /// GPU's largest storage binding decides where the lookup runs.
    pub fn word_embedding_bytes(&self) -> u64 {
        let d = self.dims();
        (d.vocab_size as u64).saturating_mul(d.hidden_size as u64).saturating_mul(4)
    }

    /// The byte ranges of `model.safetensors` to read for a model whose word-embedding rows
    /// arrive on demand ([`Weights::Parts`]): every tensor the family reads but that table.
    pub fn eager_ranges(&self, header: &Header) -> Vec<Range<u64>> {
        match self {
            Self::XlmRoberta(_) => xlm_roberta::eager_ranges(header),
            Self::ModernBert(_) => modernbert::eager_ranges(header),
            Self::Bert(_) => bert::eager_ranges(header),
        }
    }

    /// Checks every tensor this config implies against the file's header (name, dtype, shape,
    /// bytes inside the file) before anything the config sizes is allocated: a `config.json` that
    /// claims more than `model.safetensors` holds is [`Error::Weights`] at no cost.
    pub fn check_header(&self, header: &Header) -> Result<()> {
        match self {
            Self::XlmRoberta(c) => xlm_roberta::check_header(c, header),
            Self::ModernBert(c) => modernbert::check_header(c, header),
            Self::Bert(c) => bert::check_header(c, header),
        }
    }

    /// The family's model, its weights read from `model.safetensors` (whole, or in parts with the
    /// word-embedding rows to come). Consumes the bytes: on the CPU the model's tensors are views
    /// of them, on a GPU they are freed once uploaded.
    pub fn build(&self, weights: Weights, options: &BuildOptions) -> Result<Box<dyn CrossEncoder>> {
        match self {
            Self::XlmRoberta(c) => Ok(Box::new(xlm_roberta::XlmRoberta::load(c, weights, options)?)),
            Self::ModernBert(c) => Ok(Box::new(modernbert::ModernBert::load(c, weights, options)?)),
            Self::Bert(c) => Ok(Box::new(bert::Bert::load(c, weights, options)?)),
        }
    }
}
