//! How a reranker is built, and the load policy: per-device defaults (batch size, activation
//! budget), where the word-embedding table lives given the device's limits, which kernels the
//! CPU runs. The CLI, the web surface and the examples all take their defaults from here.

use std::sync::Arc;

use burn::tensor::{DType, Device};

use super::chunks::Overflow;
use super::memory::MemoryPlan;
use crate::backend::is_cpu;
use crate::error::{Error, Result};
use crate::model::{Dims, Kernels, ModelConfig, Precision};
use crate::tokenize::MecabDictionary;

/// Pairs per forward pass on the CPU: small batches are fastest there (length-sorted pairs
/// already pad little, and a batch's attention scores stay in cache; README, "CPU backend").
pub const CPU_BATCH_SIZE: usize = 4;
/// Pairs per forward pass on a GPU, which needs larger batches to fill.
pub const GPU_BATCH_SIZE: usize = 16;
/// Default bound on the largest activation of a batch (the attention scores, `pairs × heads ×
/// seq² × 4` bytes): long inputs get smaller batches instead of exhausting wasm's 4 GiB.
const DEFAULT_MAX_ACTIVATION_BYTES: u64 = 256 << 20;

#[derive(Debug, Clone)]
pub struct RerankerOptions {
    /// Tokens per pair, special tokens included; `None` = the model's maximum (512 for XLM-R).
    pub max_length: Option<usize>,
    /// Pairs per forward pass (fewer when pairs are long).
    pub batch_size: usize,
    /// Where to compute; `None` = the default CPU backend.
    pub device: Option<Device>,
    /// Look word embeddings up in host memory instead of on the device (for GPUs whose largest
    /// storage binding cannot hold the table). Same scores either way.
    pub host_word_embeddings: bool,
    /// Largest activation tensor a batch may create, in bytes (a GPU's largest storage binding,
    /// say); `None` = 256 MiB. Batches shrink to fit; a single pair always runs.
    pub max_activation_bytes: Option<u64>,
    /// Which kernels compute on the CPU; `None` = ja-rerank's tiled kernels in wasm (faster
    /// there than burn-flex), burn's natively. [`Kernels::Tiled`] runs on CPU devices only.
    pub kernels: Option<Kernels>,
    /// How the `Linear` layers compute: f32 (exact, the default), f16 (devices with f16
    /// arithmetic, else f32) or int8 (CPU only); README, "Precision", for what each costs.
    pub precision: Precision,
    /// The MeCab dictionary, for models whose tokenizer is `BertJapaneseTokenizer` (base-v1,
    /// large-v1): [`Reranker::from_dir`](crate::Reranker::from_dir) needs it for them and
    /// ignores it otherwise. One `Arc` serves any number of instances.
    pub mecab_dictionary: Option<Arc<MecabDictionary>>,
    /// A passage whose pair is longer than `max_length`: cut (the default, `CrossEncoder`'s
    /// scores) or scored in windows ([`Overflow::Chunks`]; README, "Long passages").
    pub overflow: Overflow,
}

impl Default for RerankerOptions {
    fn default() -> Self {
        Self {
            max_length: None,
            batch_size: CPU_BATCH_SIZE,
            device: None,
            host_word_embeddings: false,
            max_activation_bytes: None,
            kernels: None,
            precision: Precision::F32,
            mecab_dictionary: None,
            overflow: Overflow::Truncate,
        }
    }
}

/// Where the word-embedding table lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WordEmbeddings {
    /// On the device, unless it exceeds a GPU's largest storage binding: then on the host.
    #[default]
    Auto,
    Device,
    Host,
}

impl RerankerOptions {
    /// The load policy: options for `model` on `device`, whose largest storage binding is
    /// `max_binding_bytes` (`None` for the CPU, which has no such limit). The batch size is the
    /// device's default, the activation budget fits one binding, and `word_embeddings` decides
    /// where the table lives; a table forced onto a device that cannot bind it is refused here,
    /// before any download of weights.
    pub fn for_device(
        model: &ModelConfig,
        device: Device,
        max_binding_bytes: Option<u64>,
        word_embeddings: WordEmbeddings,
    ) -> Result<Self> {
        // Before anything is fetched for the model: a config claiming more than fits is refused.
        MemoryPlan::ensure_claimed(&model.dims())?;
        let table_bytes = model.word_embedding_bytes();
        let host_word_embeddings = match (word_embeddings, max_binding_bytes) {
            (WordEmbeddings::Host, _) => true,
            (WordEmbeddings::Device, _) | (WordEmbeddings::Auto, None) => false,
            (WordEmbeddings::Auto, Some(binding)) => table_bytes > binding,
        };
        if let Some(binding) = max_binding_bytes
            && !host_word_embeddings
            && table_bytes > binding
        {
            return Err(Error::Backend(format!(
                "the word-embedding table ({table_bytes} bytes) exceeds this GPU's largest binding ({binding} bytes); \
                 keep it on the host (word embeddings \"auto\" or \"host\")"
            )));
        }
        Ok(Self {
            max_length: None,
            batch_size: if max_binding_bytes.is_some() { GPU_BATCH_SIZE } else { CPU_BATCH_SIZE },
            device: Some(device),
            host_word_embeddings,
            max_activation_bytes: max_binding_bytes.map(Self::gpu_activation_bytes),
            kernels: None,
            precision: Precision::F32,
            mecab_dictionary: None,
            overflow: Overflow::Truncate,
        })
    }

    /// The activation budget on a GPU whose largest storage binding is `max_binding_bytes`: the
    /// default, or less where one binding cannot hold it.
    pub fn gpu_activation_bytes(max_binding_bytes: u64) -> u64 {
        max_binding_bytes.min(DEFAULT_MAX_ACTIVATION_BYTES)
    }

    /// What a model instance built with these options holds in host memory when `weights` bytes
    /// of its file are held (whole, or all but the rows to come): int8 copies under precision int8,
    /// activations where the CPU computes.
    pub fn memory_plan(&self, weights: u64, dims: &Dims) -> MemoryPlan {
        let on_cpu = self.device.as_ref().is_none_or(is_cpu);
        let activations = match self.kernels_for(on_cpu) {
            Ok(kernels) if on_cpu => {
                let max_tokens = self.max_length.unwrap_or(dims.max_tokens).min(dims.max_tokens);
                MemoryPlan::activations(kernels, dims.hidden_size, max_tokens, self.activation_bytes())
            }
            _ => 0,
        };
        MemoryPlan::new(weights, on_cpu && self.precision == Precision::Int8, activations)
    }

    /// The activation budget these options allow.
    pub(super) fn activation_bytes(&self) -> u64 {
        self.max_activation_bytes.unwrap_or(DEFAULT_MAX_ACTIVATION_BYTES)
    }

    /// The precision a model instance on `device` runs, and why it is not the one asked for: int8
    /// only on the CPU (refused elsewhere); f16 where the device has f16 arithmetic — WebGPU with
    /// `shader-f16`, burn's CPU backends natively — and f32 elsewhere (nothing is lost but memory;
    /// in wasm the CPU's kernels are f32 and int8, and burn-flex's f16 matmul there is scalar).
    pub(super) fn precision_for(&self, device: &Device, on_cpu: bool) -> Result<(Precision, Option<String>)> {
        let precision = precision_on(self.precision, on_cpu)?;
        let why = match precision {
            Precision::F16 if on_cpu && cfg!(target_arch = "wasm32") => {
                "precision \"f16\" computes on WebGPU in the browser (the CPU's kernels are f32 and int8)"
            }
            Precision::F16 if !device.supports_dtype(DType::F16) => {
                "precision \"f16\" needs f16 arithmetic, which this device lacks (a WebGPU adapter without shader-f16, burn-ndarray)"
            }
            _ => return Ok((precision, None)),
        };
        Ok((Precision::F32, Some(format!("{why}: computing in f32"))))
    }

    /// The kernels a model instance on a device runs: the choice made, or the default for it.
    pub(super) fn kernels_for(&self, on_cpu: bool) -> Result<Kernels> {
        match self.kernels {
            None if on_cpu && cfg!(target_arch = "wasm32") => Ok(Kernels::Tiled),
            None => Ok(Kernels::Burn),
            Some(Kernels::Tiled) if !on_cpu => {
                Err(Error::InvalidInput("kernels \"tiled\" run on the CPU only; this device is a GPU".into()))
            }
            Some(kernels) => Ok(kernels),
        }
    }
}

/// `precision` on a CPU (`on_cpu`) or a GPU: int8 computes on the CPU only, so a GPU refuses it
/// (a load policy choosing the device checks this before bringing a GPU up).
pub fn precision_on(precision: Precision, on_cpu: bool) -> Result<Precision> {
    match precision {
        Precision::Int8 if !on_cpu => Err(Error::InvalidInput(
            "precision \"int8\" computes on the CPU only; on a GPU use \"f32\" (int8 and f16 files are dequantized as they load)"
                .into(),
        )),
        precision => Ok(precision),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::cpu_device;

    fn model(vocab: usize, hidden: usize) -> ModelConfig {
        let json = serde_json::json!({
            "model_type": "xlm-roberta", "vocab_size": vocab, "hidden_size": hidden,
            "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 64,
            "max_position_embeddings": 514, "num_labels": 1
        });
        ModelConfig::from_json(json.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn the_policy_places_the_table_and_picks_defaults() {
        let m = model(1000, 32); // 128,000-byte table
        let cpu = RerankerOptions::for_device(&m, cpu_device(), None, WordEmbeddings::Auto).unwrap();
        assert_eq!((cpu.batch_size, cpu.host_word_embeddings, cpu.max_activation_bytes), (CPU_BATCH_SIZE, false, None));
        let roomy = RerankerOptions::for_device(&m, cpu_device(), Some(1 << 30), WordEmbeddings::Auto).unwrap();
        assert_eq!(roomy.batch_size, GPU_BATCH_SIZE);
        assert!(!roomy.host_word_embeddings);
        assert_eq!(roomy.max_activation_bytes, Some(DEFAULT_MAX_ACTIVATION_BYTES));
        let tight = RerankerOptions::for_device(&m, cpu_device(), Some(100_000), WordEmbeddings::Auto).unwrap();
        assert!(tight.host_word_embeddings, "a table over the binding limit is looked up on the host");
        assert_eq!(tight.max_activation_bytes, Some(100_000));
        let forced = RerankerOptions::for_device(&m, cpu_device(), Some(100_000), WordEmbeddings::Device);
        assert!(matches!(forced, Err(Error::Backend(_))), "{forced:?}");
        let host = RerankerOptions::for_device(&m, cpu_device(), None, WordEmbeddings::Host).unwrap();
        assert!(host.host_word_embeddings);
    }

    #[test]
    fn kernels_default_per_target_and_tiled_needs_a_cpu() {
        let default = RerankerOptions::default();
        let expected = if cfg!(target_arch = "wasm32") { Kernels::Tiled } else { Kernels::Burn };
        assert_eq!(default.kernels_for(true).unwrap(), expected);
        assert_eq!(default.kernels_for(false).unwrap(), Kernels::Burn);
        let tiled = RerankerOptions { kernels: Some(Kernels::Tiled), ..Default::default() };
        assert_eq!(tiled.kernels_for(true).unwrap(), Kernels::Tiled);
        assert!(matches!(tiled.kernels_for(false), Err(Error::InvalidInput(_))));
        let cpu = cpu_device();
        let int8 = RerankerOptions { precision: Precision::Int8, ..Default::default() };
        assert_eq!(int8.precision_for(&cpu, true).unwrap(), (Precision::Int8, None));
        assert!(matches!(int8.precision_for(&cpu, false), Err(Error::InvalidInput(_))));
        assert_eq!(RerankerOptions::default().precision_for(&cpu, false).unwrap(), (Precision::F32, None));
        // f16 where the device computes in f16 (natively burn-flex; not burn-ndarray); in wasm the
        // CPU computes f16 in f32. Either way the reranker says why it did not get f16.
        let f16 = RerankerOptions { precision: Precision::F16, ..Default::default() };
        #[allow(unused_variables)]
        let in_f32 = |device: &Device, needle: &str| {
            let (precision, why) = f16.precision_for(device, true).unwrap();
            assert_eq!(precision, Precision::F32);
            assert!(why.as_deref().is_some_and(|w| w.contains(needle)), "{why:?}");
        };
        #[cfg(feature = "flex")]
        if cfg!(target_arch = "wasm32") {
            in_f32(&Device::flex(), "WebGPU");
        } else {
            assert_eq!(f16.precision_for(&Device::flex(), true).unwrap(), (Precision::F16, None));
        }
        #[cfg(all(feature = "ndarray", not(target_arch = "wasm32")))]
        #[allow(deprecated)]
        in_f32(&Device::ndarray(), "lacks");
    }
}
