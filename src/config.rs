//! `config.json`, read the way every family reads it: the file as a JSON object, which family it
//! names (`model_type`, `architectures`), the cross-encoder rules all families share (one logit,
//! an encoder), and typed fields whose refusals name the field. Each family's own fields are read
//! by its `model/<family>/config.rs` through [`ConfigJson`]; `model::ModelConfig` picks the family.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The name of the file, as the Hub lays a model out.
pub const CONFIG_FILE: &str = "config.json";

/// More layers than any encoder has (the largest rerankers have 24–28): a `config.json` claiming
/// more is refused before anything per layer is made.
pub const MAX_LAYERS: usize = 1024;

/// A parsed `config.json`.
pub struct ConfigJson {
    fields: Map<String, Value>,
}

impl ConfigJson {
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(fields)) => Ok(Self { fields }),
            Ok(_) => Err(Error::config("(file)", "not a valid config: expected a JSON object")),
            Err(e) => Err(Error::config("(file)", format!("not a valid config: {e}"))),
        }
    }

    /// A field as `T`, `None` when absent or null; a field of the wrong type is refused by name.
    pub fn get<T: DeserializeOwned>(&self, field: &str) -> Result<Option<T>> {
        match self.fields.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => T::deserialize(v).map(Some).map_err(|e| Error::config(field, format!("{e}"))),
        }
    }

    /// Whether the file has the field at all (null included).
    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    /// A size that must be present and positive.
    pub fn count(&self, field: &str) -> Result<usize> {
        self.size(field, None)
    }

    /// The number of layers, `num_hidden_layers`: present, positive and at most [`MAX_LAYERS`].
    pub fn layers(&self) -> Result<usize> {
        match self.count("num_hidden_layers")? {
            n if n > MAX_LAYERS => {
                Err(Error::config("num_hidden_layers", format!("{n} layers is not plausible (at most {MAX_LAYERS})")))
            }
            n => Ok(n),
        }
    }

    /// A size that must be positive when present; `default` (HF's) when absent.
    pub fn count_or(&self, field: &str, default: usize) -> Result<usize> {
        self.size(field, Some(default))
    }

    fn size(&self, field: &str, default: Option<usize>) -> Result<usize> {
        match (self.get::<usize>(field)?, default) {
            (Some(0), _) => Err(Error::config(field, "must be greater than 0")),
            (Some(v), _) | (None, Some(v)) => Ok(v),
            (None, None) => Err(Error::config(field, "missing")),
        }
    }

    /// A string field that, when present, must be `expected` (HF's default when absent).
    pub fn expect(&self, field: &str, expected: &str) -> Result<()> {
        match self.get::<String>(field)? {
            Some(v) if v != expected => {
                Err(Error::config(field, format!("\"{v}\" is not supported (expected \"{expected}\")")))
            }
            _ => Ok(()),
        }
    }

    /// `model_type`, which picks the family.
    pub fn model_type(&self) -> Result<String> {
        self.get::<String>("model_type")?.ok_or_else(|| Error::config("model_type", "missing"))
    }

    /// The rules every cross-encoder shares: `architectures`, when listed, names `architecture`
    /// (the family's sequence-classification class); one label (HF's precedence: an explicit
    /// `num_labels`, then `id2label`, then its default of 2); an encoder, not a decoder.
    pub fn check_cross_encoder(&self, architecture: &str) -> Result<()> {
        if let Some(listed) = self.get::<Vec<String>>("architectures")?
            && !listed.iter().any(|a| a == architecture)
        {
            return Err(Error::config(
                "architectures",
                format!("{listed:?} has no \"{architecture}\": not a cross-encoder this crate can run"),
            ));
        }
        let labels = self.get::<Map<String, Value>>("id2label")?.map(|m| m.len());
        let num_labels = self.get::<usize>("num_labels")?.or(labels).unwrap_or(2);
        if num_labels != 1 {
            return Err(Error::config(
                "num_labels",
                format!("{num_labels} labels: only single-logit cross-encoders (num_labels = 1) are supported"),
            ));
        }
        if self.get::<bool>("is_decoder")? == Some(true) {
            return Err(Error::config("is_decoder", "decoder models are not supported"));
        }
        if self.get::<bool>("add_cross_attention")? == Some(true) {
            return Err(Error::config("add_cross_attention", "cross-attention is not supported"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(Error::Config { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn typed_fields_and_refusals_name_the_field() {
        let c = ConfigJson::parse(br#"{"a": 3, "b": "x", "z": 0, "n": null, "s": "3"}"#).unwrap();
        assert_eq!(c.count("a").unwrap(), 3);
        assert_eq!((c.count_or("a", 7).unwrap(), c.count_or("absent", 7).unwrap()), (3, 7));
        assert_eq!(field_of(c.count_or("z", 7)), "z");
        assert_eq!(field_of(c.count("z")), "z");
        assert_eq!(field_of(c.count("n")), "n", "null is missing");
        assert_eq!(field_of(c.count("s")), "s", "a string is not a size");
        assert!(c.expect("b", "x").is_ok() && c.expect("absent", "x").is_ok());
        assert_eq!(field_of(c.expect("b", "y")), "b");
        assert_eq!(field_of(c.model_type()), "model_type");
        let layers =
            |n: usize| ConfigJson::parse(format!(r#"{{"num_hidden_layers": {n}}}"#).as_bytes()).unwrap().layers();
        assert_eq!(layers(MAX_LAYERS).unwrap(), MAX_LAYERS);
        assert_eq!(field_of(layers(100_000)), "num_hidden_layers");
        assert_eq!(field_of(ConfigJson::parse(b"[1, 2]").map(|_| ())), "(file)");
        assert_eq!(field_of(ConfigJson::parse(b"{ not json").map(|_| ())), "(file)");
    }

    #[test]
    fn cross_encoder_rules() {
        let check = |json: &str| ConfigJson::parse(json.as_bytes()).unwrap().check_cross_encoder("XForSeq");
        assert!(check(r#"{"num_labels": 1}"#).is_ok());
        assert!(check(r#"{"id2label": {"0": "LABEL_0"}, "architectures": ["XForSeq"]}"#).is_ok());
        assert_eq!(field_of(check(r#"{"num_labels": 1, "architectures": ["XForMaskedLM"]}"#)), "architectures");
        assert_eq!(field_of(check(r#"{"id2label": {"0": "a", "1": "b"}}"#)), "num_labels");
        assert_eq!(field_of(check("{}")), "num_labels", "HF defaults to 2 labels");
        assert_eq!(field_of(check(r#"{"num_labels": 1, "is_decoder": true}"#)), "is_decoder");
        assert_eq!(field_of(check(r#"{"num_labels": 1, "add_cross_attention": true}"#)), "add_cross_attention");
    }
}
