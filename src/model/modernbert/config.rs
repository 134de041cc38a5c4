//! `ModernBertConfig`: the fields of `config.json` that change the computation, with HF's
//! defaults (`configuration_modernbert.py`) where a field is absent. Anything this crate cannot
//! run exactly is refused, naming the field.

use crate::config::ConfigJson;
use crate::error::{Error, Result};
use crate::model::Dims;

/// HF's class for a ModernBERT cross-encoder; `architectures`, when listed, must name it.
pub const ARCHITECTURE: &str = "ModernBertForSequenceClassification";

/// What the classification head reads: the first token, or the mean over the real tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    Cls,
    Mean,
}

/// Which attention a layer runs: over every token, or over a window around each token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerKind {
    /// `Some(w)`: token i attends to tokens j with |i − j| ≤ w (HF's `local_attention // 2`).
    pub window: Option<usize>,
    /// θ of the rotary embedding this layer applies.
    pub rope_theta: f64,
}

/// The architecture of a ModernBERT cross-encoder, as `config.json` states it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModernBertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub norm_eps: f64,
    /// Whether the LayerNorms have a bias (`norm_bias`).
    pub norm_bias: bool,
    /// Whether `attn.Wqkv` and `attn.Wo` have biases.
    pub attention_bias: bool,
    /// Whether `mlp.Wi` and `mlp.Wo` have biases.
    pub mlp_bias: bool,
    /// Whether `head.dense` has a bias.
    pub classifier_bias: bool,
    pub classifier_pooling: Pooling,
    /// Per layer: global or local attention, and its rotary θ.
    pub layers: Vec<LayerKind>,
    pub pad_token_id: u32,
}

impl ModernBertConfig {
    pub fn from_json(json: &ConfigJson) -> Result<Self> {
        json.check_cross_encoder(ARCHITECTURE)?;
        // "gelu" is the exact (erf) GELU in HF's ACT2FN; the tanh approximations differ by up to
        // 1e-3 per activation, far above our tolerance, so other activations are refused.
        json.expect("hidden_activation", "gelu")?;
        json.expect("classifier_activation", "gelu")?;
        let classifier_pooling = match json.get::<String>("classifier_pooling")?.as_deref() {
            None | Some("cls") => Pooling::Cls,
            Some("mean") => Pooling::Mean,
            Some(other) => {
                return Err(Error::config(
                    "classifier_pooling",
                    format!("\"{other}\" is not supported (expected \"cls\" or \"mean\")"),
                ));
            }
        };
        let num_hidden_layers = json.layers()?;
        let config = Self {
            vocab_size: json.count("vocab_size")?,
            hidden_size: json.count("hidden_size")?,
            num_hidden_layers,
            num_attention_heads: json.count("num_attention_heads")?,
            intermediate_size: json.count("intermediate_size")?,
            max_position_embeddings: json.count_or("max_position_embeddings", 8192)?,
            norm_eps: json.get("norm_eps")?.unwrap_or(1e-5),
            norm_bias: json.get("norm_bias")?.unwrap_or(false),
            attention_bias: json.get("attention_bias")?.unwrap_or(false),
            mlp_bias: json.get("mlp_bias")?.unwrap_or(false),
            classifier_bias: json.get("classifier_bias")?.unwrap_or(false),
            classifier_pooling,
            layers: layer_kinds(json, num_hidden_layers)?,
            pad_token_id: json.get("pad_token_id")?.unwrap_or(50283),
        };
        if !config.hidden_size.is_multiple_of(config.num_attention_heads) {
            return Err(Error::config(
                "hidden_size",
                format!("{} is not divisible by num_attention_heads = {}", config.hidden_size, config.num_attention_heads),
            ));
        }
        if !config.head_dim().is_multiple_of(2) {
            return Err(Error::config("num_attention_heads", "the rotary embedding needs an even head size"));
        }
        if !(config.norm_eps.is_finite() && config.norm_eps > 0.0) {
            return Err(Error::config("norm_eps", "must be a positive number"));
        }
        if config.pad_token_id as usize >= config.vocab_size {
            return Err(Error::config("pad_token_id", "is not below vocab_size"));
        }
        Ok(config)
    }

    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }

    /// The longest pair, special tokens included: the rotary embedding has no table, so this is
    /// the length the model was trained to (`max_position_embeddings`).
    pub fn max_tokens(&self) -> usize {
        self.max_position_embeddings
    }

    pub fn dims(&self) -> Dims {
        Dims {
            vocab_size: self.vocab_size,
            hidden_size: self.hidden_size,
            num_attention_heads: self.num_attention_heads,
            // The widest activation per token: `mlp.Wi`'s output, input and gate together.
            intermediate_size: 2 * self.intermediate_size,
            num_hidden_layers: self.num_hidden_layers,
            max_tokens: self.max_tokens(),
            pad_token_id: self.pad_token_id,
        }
    }
}

/// Each layer's attention as HF decides it: in transformers 4.48–4.5x layer i is global when
/// `i % global_attn_every_n_layers == 0` (θ = `global_rope_theta`), else local over
/// `local_attention // 2` tokens each side (θ = `local_rope_theta`; the global θ when that is
/// null). Later configs may list `layer_types` ("full_attention" | "sliding_attention") instead.
fn layer_kinds(json: &ConfigJson, layers: usize) -> Result<Vec<LayerKind>> {
    let every = json.count_or("global_attn_every_n_layers", 3)?;
    let local_attention = json.count_or("local_attention", 128)?;
    let (global_theta, local_theta) = rope_thetas(json)?;
    if json.get::<serde_json::Value>("rope_scaling")?.is_some() {
        return Err(Error::config("rope_scaling", "scaled rotary embeddings are not supported"));
    }
    let global = LayerKind { window: None, rope_theta: global_theta };
    let local = LayerKind { window: Some(local_attention / 2), rope_theta: local_theta };
    match json.get::<Vec<String>>("layer_types")? {
        None => Ok((0..layers).map(|i| if i % every == 0 { global } else { local }).collect()),
        Some(types) if types.len() != layers => {
            Err(Error::config("layer_types", format!("lists {} layers, num_hidden_layers is {layers}", types.len())))
        }
        Some(types) => types
            .iter()
            .map(|t| match t.as_str() {
                "full_attention" => Ok(global),
                "sliding_attention" => Ok(local),
                other => Err(Error::config("layer_types", format!("\"{other}\" is not a layer type this crate runs"))),
            })
            .collect(),
    }
}

/// (global θ, local θ): from `global_rope_theta` / `local_rope_theta` (HF's defaults 160,000 and
/// 10,000; a null local θ means the global one), or from transformers 5's `rope_parameters`
/// (`{"full_attention": {"rope_type": "default", "rope_theta": …}, "sliding_attention": …}`).
fn rope_thetas(json: &ConfigJson) -> Result<(f64, f64)> {
    let mut global: f64 = json.get("global_rope_theta")?.unwrap_or(160_000.0);
    let mut local: f64 = match json.get("local_rope_theta")? {
        Some(theta) => theta,
        None if json.has("local_rope_theta") => global,
        None => 10_000.0,
    };
    if let Some(parameters) = json.get::<serde_json::Map<String, serde_json::Value>>("rope_parameters")? {
        for (kind, theta) in [("full_attention", &mut global), ("sliding_attention", &mut local)] {
            let Some(p) = parameters.get(kind) else { continue };
            match p.get("rope_type").and_then(|t| t.as_str()) {
                None | Some("default") => {}
                Some(other) => {
                    return Err(Error::config("rope_parameters", format!("rope_type \"{other}\" is not supported")));
                }
            }
            if let Some(value) = p.get("rope_theta").and_then(|t| t.as_f64()) {
                *theta = value;
            }
        }
    }
    for (field, theta) in [("global_rope_theta", global), ("local_rope_theta", local)] {
        if !(theta.is_finite() && theta > 1.0) {
            return Err(Error::config(field, "must be a number greater than 1"));
        }
    }
    Ok((global, local))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;

    /// The fields of `cl-nagoya/ruri-v3-30m`'s `config.json` (the shape of
    /// japanese-reranker-xsmall-v2), as a cross-encoder.
    fn base() -> serde_json::Value {
        serde_json::json!({
            "architectures": ["ModernBertForSequenceClassification"], "model_type": "modernbert",
            "vocab_size": 102400, "hidden_size": 256, "num_hidden_layers": 10, "num_attention_heads": 4,
            "intermediate_size": 1024, "max_position_embeddings": 8192, "hidden_activation": "gelu",
            "classifier_activation": "gelu", "classifier_pooling": "cls", "classifier_bias": false,
            "global_rope_theta": 160000.0, "local_rope_theta": 10000.0, "local_attention": 128,
            "global_attn_every_n_layers": 3, "norm_eps": 1e-5, "norm_bias": false,
            "attention_bias": false, "mlp_bias": false, "pad_token_id": 3,
            "id2label": {"0": "LABEL_0"}
        })
    }

    fn parse(v: serde_json::Value) -> Result<ModernBertConfig> {
        match ModelConfig::from_json(v.to_string().as_bytes())? {
            ModelConfig::ModernBert(c) => Ok(c),
            other => panic!("not ModernBERT: {other:?}"),
        }
    }

    fn field_of(v: serde_json::Value) -> String {
        match parse(v) {
            Err(Error::Config { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn reads_a_cross_encoder_config() {
        let c = parse(base()).unwrap();
        assert_eq!((c.head_dim(), c.max_tokens(), c.classifier_pooling), (64, 8192, Pooling::Cls));
        let global = LayerKind { window: None, rope_theta: 160000.0 };
        let local = LayerKind { window: Some(64), rope_theta: 10000.0 };
        let expected: Vec<_> = (0..10).map(|i| if i % 3 == 0 { global } else { local }).collect();
        assert_eq!(c.layers, expected);
        let mut listed = base();
        listed["layer_types"] = serde_json::json!(["full_attention", "sliding_attention", "sliding_attention",
            "full_attention", "sliding_attention", "sliding_attention", "full_attention", "sliding_attention",
            "sliding_attention", "full_attention"]);
        assert_eq!(parse(listed).unwrap().layers, expected);
        let mut v5 = base();
        v5["rope_parameters"] = serde_json::json!({"full_attention": {"rope_type": "default", "rope_theta": 1000.0},
            "sliding_attention": {"rope_type": "default", "rope_theta": 500.0}});
        let c5 = parse(v5).unwrap();
        assert_eq!((c5.layers[0].rope_theta, c5.layers[1].rope_theta), (1000.0, 500.0));
        let mut mean = base();
        mean["classifier_pooling"] = serde_json::json!("mean");
        assert_eq!(parse(mean).unwrap().classifier_pooling, Pooling::Mean);
    }

    #[test]
    fn refusals_name_the_field() {
        let cases: &[(&str, serde_json::Value)] = &[
            ("hidden_activation", serde_json::json!("gelu_pytorch_tanh")),
            ("classifier_activation", serde_json::json!("silu")),
            ("classifier_pooling", serde_json::json!("max")),
            ("hidden_size", serde_json::json!(250)),
            ("num_attention_heads", serde_json::json!(256)),
            ("local_rope_theta", serde_json::json!(-1.0)),
            ("rope_scaling", serde_json::json!({"rope_type": "linear", "factor": 2.0})),
            ("rope_parameters", serde_json::json!({"full_attention": {"rope_type": "yarn"}})),
            ("layer_types", serde_json::json!(["full_attention"])),
            ("pad_token_id", serde_json::json!(102400)),
            ("architectures", serde_json::json!(["ModernBertForMaskedLM"])),
        ];
        for (field, value) in cases {
            let mut v = base();
            v[*field] = value.clone();
            assert_eq!(field_of(v), *field);
        }
    }
}
