//! `XLMRobertaConfig`: the fields of `config.json` that change the computation. Anything this
//! crate cannot run exactly is refused, naming the field, rather than scored with a silently
//! different model.

use crate::config::ConfigJson;
use crate::error::{Error, Result};
use crate::model::Dims;
use crate::model::post_norm::LayerShape;

/// HF's class for an XLM-R cross-encoder; `architectures`, when listed, must name it.
pub const ARCHITECTURE: &str = "XLMRobertaForSequenceClassification";

/// The architecture of an XLM-R cross-encoder, as `config.json` states it.
#[derive(Debug, Clone, PartialEq)]
pub struct XlmRobertaConfig {
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

impl XlmRobertaConfig {
    pub fn from_json(json: &ConfigJson) -> Result<Self> {
        json.check_cross_encoder(ARCHITECTURE)?;
        json.expect("position_embedding_type", "absolute")?;
        // HF's GELU for BERT-family "gelu" is the exact (erf) one; the tanh approximations differ
        // by up to 1e-3 per activation, far above our tolerance, so we refuse them.
        json.expect("hidden_act", "gelu")?;
        let config = Self {
            vocab_size: json.count("vocab_size")?,
            hidden_size: json.count("hidden_size")?,
            num_hidden_layers: json.layers()?,
            num_attention_heads: json.count("num_attention_heads")?,
            intermediate_size: json.count("intermediate_size")?,
            max_position_embeddings: json.count("max_position_embeddings")?,
            type_vocab_size: json.count_or("type_vocab_size", 1)?,
            layer_norm_eps: json.get("layer_norm_eps")?.unwrap_or(1e-5),
            pad_token_id: json.get("pad_token_id")?.unwrap_or(1),
        };
        config.layer_shape().check()?;
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

    pub fn layer_shape(&self) -> LayerShape {
        LayerShape {
            hidden_size: self.hidden_size,
            num_attention_heads: self.num_attention_heads,
            intermediate_size: self.intermediate_size,
            layer_norm_eps: self.layer_norm_eps,
        }
    }

    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }

    /// The longest pair, special tokens included, that the position table can hold: RoBERTa
    /// numbers real tokens from `pad_token_id + 1`, so 514 positions hold 512 tokens.
    pub fn max_tokens(&self) -> usize {
        self.max_position_embeddings - self.pad_token_id as usize - 1
    }

    pub fn dims(&self) -> Dims {
        Dims {
            vocab_size: self.vocab_size,
            hidden_size: self.hidden_size,
            num_attention_heads: self.num_attention_heads,
            intermediate_size: self.intermediate_size,
            num_hidden_layers: self.num_hidden_layers,
            max_tokens: self.max_tokens(),
            pad_token_id: self.pad_token_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;

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
        let ModelConfig::XlmRoberta(c) = ModelConfig::from_json(base().to_string().as_bytes()).unwrap() else {
            panic!("not XLM-R")
        };
        assert_eq!(c.head_dim(), 8);
        assert_eq!(c.max_tokens(), 512);
    }

    #[test]
    fn refusals_name_the_field() {
        let cases: &[(&str, serde_json::Value)] = &[
            ("model_type", serde_json::json!("gpt2")),
            ("position_embedding_type", serde_json::json!("relative_key")),
            ("hidden_act", serde_json::json!("gelu_new")),
            ("hidden_size", serde_json::json!(30)),
            ("vocab_size", serde_json::json!(0)),
            ("architectures", serde_json::json!(["XLMRobertaForMaskedLM"])),
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
