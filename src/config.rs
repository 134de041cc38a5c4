//! `config.json` → [`ModelConfig`]. Reads the fields of a Hugging Face `XLMRobertaConfig` that
//! change the computation, and refuses — naming the field — anything this crate cannot run
//! exactly, rather than scoring with a silently different model.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The architecture of an XLM-R cross-encoder, as `config.json` states it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
    pub pad_token_id: u32,
}

/// The file as written; optional where HF has a default.
#[derive(Deserialize)]
struct RawConfig {
    model_type: Option<String>,
    vocab_size: Option<usize>,
    hidden_size: Option<usize>,
    num_hidden_layers: Option<usize>,
    num_attention_heads: Option<usize>,
    intermediate_size: Option<usize>,
    hidden_act: Option<String>,
    max_position_embeddings: Option<usize>,
    type_vocab_size: Option<usize>,
    layer_norm_eps: Option<f64>,
    pad_token_id: Option<u32>,
    position_embedding_type: Option<String>,
    num_labels: Option<usize>,
    id2label: Option<BTreeMap<String, String>>,
    is_decoder: Option<bool>,
    add_cross_attention: Option<bool>,
}

fn required(value: Option<usize>, field: &str) -> Result<usize> {
    match value {
        Some(0) => Err(Error::config(field, "must be greater than 0")),
        Some(v) => Ok(v),
        None => Err(Error::config(field, "missing")),
    }
}

impl ModelConfig {
    /// Bytes of the f32 word-embedding table (`vocab_size × hidden_size`): whether it fits in a
    /// GPU's largest storage binding decides where the lookup runs.
    pub fn word_embedding_bytes(&self) -> u64 {
        (self.vocab_size * self.hidden_size * 4) as u64
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let raw: RawConfig =
            serde_json::from_slice(bytes).map_err(|e| Error::config("(file)", format!("not a valid config: {e}")))?;

        match raw.model_type.as_deref() {
            Some("xlm-roberta") => {}
            Some(other) => {
                return Err(Error::config(
                    "model_type",
                    format!("\"{other}\" is not supported (expected \"xlm-roberta\")"),
                ));
            }
            None => return Err(Error::config("model_type", "missing")),
        }
        if let Some(kind) = raw.position_embedding_type.as_deref()
            && kind != "absolute"
        {
            return Err(Error::config(
                "position_embedding_type",
                format!("\"{kind}\" is not supported (expected \"absolute\")"),
            ));
        }
        // HF's GELU for BERT-family "gelu" is the exact (erf) one; the tanh approximations differ
        // by up to 1e-3 per activation, far above our tolerance, so we refuse them.
        if let Some(act) = raw.hidden_act.as_deref()
            && act != "gelu"
        {
            return Err(Error::config("hidden_act", format!("\"{act}\" is not supported (expected \"gelu\")")));
        }
        // As in `PretrainedConfig`: an explicit num_labels wins, then id2label, then HF's default 2.
        let num_labels = raw.num_labels.or(raw.id2label.as_ref().map(|m| m.len())).unwrap_or(2);
        if num_labels != 1 {
            return Err(Error::config(
                "num_labels",
                format!("{num_labels} labels: only single-logit cross-encoders (num_labels = 1) are supported"),
            ));
        }
        if raw.is_decoder == Some(true) {
            return Err(Error::config("is_decoder", "decoder models are not supported"));
        }
        if raw.add_cross_attention == Some(true) {
            return Err(Error::config("add_cross_attention", "cross-attention is not supported"));
        }

        let config = ModelConfig {
            vocab_size: required(raw.vocab_size, "vocab_size")?,
            hidden_size: required(raw.hidden_size, "hidden_size")?,
            num_hidden_layers: required(raw.num_hidden_layers, "num_hidden_layers")?,
            num_attention_heads: required(raw.num_attention_heads, "num_attention_heads")?,
            intermediate_size: required(raw.intermediate_size, "intermediate_size")?,
            max_position_embeddings: required(raw.max_position_embeddings, "max_position_embeddings")?,
            type_vocab_size: required(raw.type_vocab_size.or(Some(1)), "type_vocab_size")?,
            layer_norm_eps: raw.layer_norm_eps.unwrap_or(1e-5),
            pad_token_id: raw.pad_token_id.unwrap_or(1),
        };
        if config.hidden_size % config.num_attention_heads != 0 {
            return Err(Error::config(
                "hidden_size",
                format!(
                    "{} is not divisible by num_attention_heads = {}",
                    config.hidden_size, config.num_attention_heads
                ),
            ));
        }
        if !(config.layer_norm_eps.is_finite() && config.layer_norm_eps > 0.0) {
            return Err(Error::config("layer_norm_eps", "must be a positive number"));
        }
        if config.pad_token_id as usize >= config.vocab_size {
            return Err(Error::config("pad_token_id", "is not below vocab_size"));
        }
        if config.max_position_embeddings <= config.pad_token_id as usize + 2 {
            return Err(Error::config(
                "max_position_embeddings",
                "leaves no room for tokens after RoBERTa's position offset (pad_token_id + 1)",
            ));
        }
        Ok(config)
    }

    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }

    /// The longest pair, special tokens included, that the position table can hold: RoBERTa
    /// numbers real tokens from `pad_token_id + 1`, so 514 positions hold 512 tokens.
    pub fn max_tokens(&self) -> usize {
        self.max_position_embeddings - self.pad_token_id as usize - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> serde_json::Value {
        serde_json::json!({
            "model_type": "xlm-roberta", "vocab_size": 100, "hidden_size": 32,
            "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
            "hidden_act": "gelu", "max_position_embeddings": 514, "type_vocab_size": 1,
            "layer_norm_eps": 1e-5, "pad_token_id": 1, "position_embedding_type": "absolute",
            "id2label": {"0": "LABEL_0"}
        })
    }

    fn field_of(v: serde_json::Value) -> String {
        match ModelConfig::from_json(v.to_string().as_bytes()) {
            Err(Error::Config { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn reads_a_cross_encoder_config() {
        let c = ModelConfig::from_json(base().to_string().as_bytes()).unwrap();
        assert_eq!(c.head_dim(), 8);
        assert_eq!(c.max_tokens(), 512);
    }

    #[test]
    fn refusals_name_the_field() {
        let cases: &[(&str, serde_json::Value)] = &[
            ("model_type", serde_json::json!("bert")),
            ("position_embedding_type", serde_json::json!("relative_key")),
            ("hidden_act", serde_json::json!("gelu_new")),
            ("hidden_size", serde_json::json!(30)),
            ("vocab_size", serde_json::json!(0)),
        ];
        for (field, value) in cases {
            let mut v = base();
            v[*field] = value.clone();
            assert_eq!(field_of(v), *field);
        }
        let mut two_labels = base();
        two_labels["id2label"] = serde_json::json!({"0": "a", "1": "b"});
        assert_eq!(field_of(two_labels), "num_labels");
        let mut no_labels = base();
        no_labels.as_object_mut().unwrap().remove("id2label");
        assert_eq!(field_of(no_labels), "num_labels", "HF defaults to 2 labels");
        let mut missing = base();
        missing.as_object_mut().unwrap().remove("num_hidden_layers");
        assert_eq!(field_of(missing), "num_hidden_layers");
        assert_eq!(field_of(serde_json::json!([1, 2])), "(file)");
    }
}
