//! ModernBERT cross-encoders (`ModernBertForSequenceClassification`, e.g.
//! `hotchpotch/japanese-reranker-xsmall-v2`). Field paths mirror the Hugging Face tensor names
//! (`model.layers.3.attn.Wqkv.weight`), so loading is a name-for-name copy.
//!
//! The spec of record is `transformers/models/modernbert/modeling_modernbert.py` (eager
//! attention) at inference: no dropout, padded batches (HF's flash-attention path unpads, with
//! the same arithmetic for right-padded rows).

mod config;
mod embeddings;
mod head;
mod layer;
mod rotary;

use std::collections::HashMap;
use std::ops::Range;

use burn::module::Module;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::{Device, Tensor};

pub use config::{ARCHITECTURE, LayerKind, ModernBertConfig, Pooling};
pub use embeddings::{Embeddings, Masks, ModelInput};
pub use head::{PredictionHead, pool};
pub use layer::{Attention, Layer, Mlp};
pub use rotary::Rotary;

use crate::error::Result;
use crate::load::{Header, Int8Tensor, Naming, Weights};
use crate::model::checkpoint::{self, Layout};
use crate::model::ops::to_f16;
use crate::model::{BuildOptions, CrossEncoder, HostEmbeddings, Ops, Precision, Row};

/// How this family's module paths relate to the checkpoint's tensor names: the same.
pub const NAMING: Naming = Naming { prefixes: &["model.", "head.", "classifier."], buffers: &[], renames: &[] };

const WORD_EMBEDDINGS: &str = "model.embeddings.tok_embeddings.weight";

/// The module path of the layers, whose `Linear`s run int8 under [`Precision::Int8`].
const LAYERS: &str = "model.layers.";

/// Checks every tensor `config` implies against the file's `header`, before anything it sizes
/// is allocated ([`checkpoint::check_header`]).
pub fn check_header(config: &ModernBertConfig, header: &Header) -> Result<()> {
    let template = |n, device: &Device| {
        let mut c = config.clone();
        c.num_hidden_layers = n;
        c.layers.truncate(n);
        ModernBertForSequenceClassification::new(&c, device)
    };
    checkpoint::check_header(template, &NAMING, "model.layers.", config.num_hidden_layers, header)
}

/// The byte ranges to read for a model whose word-embedding rows arrive on demand.
pub fn eager_ranges(header: &Header) -> Vec<Range<u64>> {
    checkpoint::eager_ranges(header, &NAMING, WORD_EMBEDDINGS)
}

#[derive(Module, Debug)]
pub struct ModernBertModel {
    pub embeddings: Embeddings,
    pub layers: Vec<Layer>,
    pub final_norm: LayerNorm,
}

#[derive(Module, Debug)]
pub struct ModernBertForSequenceClassification {
    pub model: ModernBertModel,
    pub head: PredictionHead,
    pub classifier: Linear,
}

impl ModernBertForSequenceClassification {
    /// A model of the configured shape with uninitialised (lazy) parameters, to be filled from a
    /// checkpoint.
    pub fn new(config: &ModernBertConfig, device: &Device) -> Self {
        Self {
            model: ModernBertModel {
                embeddings: Embeddings::new(config, device),
                layers: (0..config.num_hidden_layers).map(|i| Layer::new(i, config, device)).collect(),
                final_norm: layer::layer_norm(config, device),
            },
            head: PredictionHead::new(config, device),
            classifier: head::classifier(config, device),
        }
    }

    /// `[batch]` logits (num_labels = 1) for a padded batch.
    pub fn forward(&self, input: ModelInput, config: &ModernBertConfig, ops: &Ops) -> Tensor<1> {
        let ModelInput { words, masks } = input;
        let mut hidden = self.model.embeddings.forward(words);
        let [batch, seq, _] = hidden.dims();
        let device = hidden.device();
        // One table per θ (two in every published config: global and local).
        let mut rotaries: Vec<(f64, Rotary)> = Vec::new();
        for kind in &config.layers {
            if !rotaries.iter().any(|(theta, _)| *theta == kind.rope_theta) {
                rotaries.push((kind.rope_theta, Rotary::new(kind.rope_theta, config.head_dim(), seq, &device)));
            }
        }
        let last = self.model.layers.len().saturating_sub(1);
        for (i, (layer, kind)) in self.model.layers.iter().zip(&config.layers).enumerate() {
            let rotary = &rotaries.iter().find(|(theta, _)| *theta == kind.rope_theta).expect("made above").1;
            // A head that reads the first token alone lets the last layer compute that row alone.
            let first_only = i == last && config.classifier_pooling == Pooling::Cls;
            hidden = layer.forward(hidden, first_only, &masks, kind.window, rotary, ops);
        }
        let hidden = self.model.final_norm.forward(hidden);
        let pooled = pool(hidden, config.classifier_pooling, &masks.lengths);
        self.classifier.forward(self.head.forward(pooled)).reshape([batch])
    }
}

/// A ModernBERT cross-encoder ready to score: the checkpoint's module and how this instance runs it.
pub struct ModernBert {
    model: ModernBertForSequenceClassification,
    /// The word-embedding table when it lives in host memory (then the module's parameter is
    /// left unallocated).
    host_embeddings: Option<HostEmbeddings>,
    config: ModernBertConfig,
    device: Device,
    ops: Ops,
}

impl ModernBert {
    /// Reads the weights of `model.safetensors` into a model built as `options` say
    /// ([`checkpoint::fill`]: host or on-demand word embeddings, int8 files packed as stored).
    pub fn load(config: &ModernBertConfig, weights: Weights, options: &BuildOptions) -> Result<Self> {
        let mut model = ModernBertForSequenceClassification::new(config, &options.device);
        let layout = Layout {
            naming: &NAMING,
            word_embeddings: WORD_EMBEDDINGS,
            shape: [config.vocab_size, config.hidden_size],
            int8_under: LAYERS,
        };
        let (host_embeddings, stored) = checkpoint::fill(&mut model, weights, &layout, options)?;
        Self::build(model, host_embeddings, config, options, stored)
    }

    /// Under [`Precision::Int8`] the layers' `Linear` weights are quantized (or packed as an int8
    /// file stored them), under [`Precision::F16`] cast to f16; the embeddings and head stay f32.
    fn build(
        mut model: ModernBertForSequenceClassification,
        host_embeddings: Option<HostEmbeddings>,
        config: &ModernBertConfig,
        options: &BuildOptions,
        stored: HashMap<String, Int8Tensor>,
    ) -> Result<Self> {
        let mut ops = Ops::new(options.kernels, options.max_activation_bytes);
        match options.precision {
            Precision::Int8 => model.model.layers = ops.quantize(model.model.layers, stored)?,
            Precision::F16 => model.model.layers = to_f16(model.model.layers),
            Precision::F32 => {}
        }
        Ok(Self { model, host_embeddings, config: config.clone(), device: options.device.clone(), ops })
    }
}

impl CrossEncoder for ModernBert {
    fn forward(&self, rows: &[Row<'_>]) -> Result<Tensor<1>> {
        let rows: Vec<&[u32]> = rows.iter().map(|r| r.ids).collect();
        let input = ModelInput::new(&rows, &self.config, self.host_embeddings.as_ref(), &self.device)?;
        Ok(self.model.forward(input, &self.config, &self.ops))
    }

    fn host_embeddings(&self) -> Option<&HostEmbeddings> {
        self.host_embeddings.as_ref()
    }
}
