//! `BertConfig`: the fields of `config.json` that change the computation of a BERT
//! cross-encoder (base-v1, large-v1). Anything this crate cannot run exactly is refused, naming
//! the field.

use crate::config::ConfigJson;
use crate::error::{Error, Result};
use crate::model::Dims;
use crate::model::post_norm::LayerShape;

/// HF's class for a BERT cross-encoder; `architectures`, when listed, must name it.
pub const ARCHITECTURE: &str = "BertForSequenceClassification";

#[derive(Debug, Clone, PartialEq)]
pub struct BertConfig {
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

impl BertConfig {
    pub fn from_json(json: &ConfigJson) -> Result<Self> {
        json.check_cross_encoder(ARCHITECTURE)?;
        json.expect("position_embedding_type", "absolute")?;
        // The exact (erf) GELU, as for XLM-R: the tanh approximations are refused.
        json.expect("hidden_act", "gelu")?;
        // BertConfig's defaults (modeling_bert.py): two token types, eps 1e-12, pad 0.
        let config = Self {
            vocab_size: json.count("vocab_size")?,
            hidden_size: json.count("hidden_size")?,
            num_hidden_layers: json.layers()?,
            num_attention_heads: json.count("num_attention_heads")?,
            intermediate_size: json.count("intermediate_size")?,
            max_position_embeddings: json.count_or("max_position_embeddings", 512)?,
            type_vocab_size: json.count_or("type_vocab_size", 2)?,
            layer_norm_eps: json.get("layer_norm_eps")?.unwrap_or(1e-12),
            pad_token_id: json.get("pad_token_id")?.unwrap_or(0),
        };
        config.layer_shape().check()?;
        if config.pad_token_id as usize >= config.vocab_size {
            return Err(Error::config("pad_token_id", "is not below vocab_size"));
        }
        if config.type_vocab_size < 2 {
            return Err(Error::config("type_vocab_size", "a pair needs two token types"));
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

    /// BERT numbers positions from 0: the table holds `max_position_embeddings` tokens.
    pub fn dims(&self) -> Dims {
        Dims {
            vocab_size: self.vocab_size,
            hidden_size: self.hidden_size,
            num_attention_heads: self.num_attention_heads,
            intermediate_size: self.intermediate_size,
            num_hidden_layers: self.num_hidden_layers,
            max_tokens: self.max_position_embeddings,
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
            "model_type": "bert", "architectures": ["BertForSequenceClassification"],
            "vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
            "intermediate_size": 64, "hidden_act": "gelu", "max_position_embeddings": 512,
            "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 0,
            "position_embedding_type": "absolute", "id2label": {"0": "LABEL_0"}
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
        let ModelConfig::Bert(c) = ModelConfig::from_json(base().to_string().as_bytes()).unwrap() else {
            panic!("not BERT")
        };
        assert_eq!(c.dims().max_tokens, 512);
        assert_eq!(c.layer_shape().layer_norm_eps, 1e-12);
    }

    #[test]
    fn refusals_name_the_field() {
        let cases: &[(&str, serde_json::Value)] = &[
            ("position_embedding_type", serde_json::json!("relative_key_query")),
            ("hidden_act", serde_json::json!("gelu_new")),
            ("hidden_size", serde_json::json!(30)),
            ("type_vocab_size", serde_json::json!(1)),
            ("architectures", serde_json::json!(["BertForMaskedLM"])),
        ];
        for (field, value) in cases {
            let mut v = base();
            v[*field] = value.clone();
            assert_eq!(field_of(v), *field);
        }
        let mut two_labels = base();
        two_labels["id2label"] = serde_json::json!({"0": "a", "1": "b"});
        assert_eq!(field_of(two_labels), "num_labels");
    }
}
