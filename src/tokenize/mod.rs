//! Text → the token ids of (query, passage) pairs, exactly as the model's Python tokenizer makes
//! them. Two kinds, picked by the model's files:
//! - `tokenizer.json` (XLM-R, ModernBERT): the `tokenizers` crate itself (`hf.rs`);
//! - `BertJapaneseTokenizer` (the BERT rerankers, no `tokenizer.json`): `tokenizer_config.json`
//!   + `vocab.txt` + a MeCab dictionary the app provides (`bert_japanese.rs`, `mecab.rs`).

mod bert_japanese;
mod hf;
mod mecab;

use std::sync::Arc;

pub use bert_japanese::{BertJapanese, VOCAB_FILE, read_vocab};
pub use hf::JsonTokenizer;
pub use mecab::{DICTIONARY_FILE, MecabDictionary};

use crate::error::{Error, Result};

/// The name of the file, as the Hub lays a model out.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Transformers' settings of a tokenizer: `model_max_length` (the reference's truncation, every
/// family) and, for models without a `tokenizer.json`, their tokenizer class.
pub const TOKENIZER_CONFIG_FILE: &str = "tokenizer_config.json";

/// The files a tokenizer is made from.
pub enum TokenizerFiles<'a> {
    /// `tokenizer.json`, and the `tokenizer_config.json` beside it where the repository has one.
    Json { json: &'a [u8], config: Option<&'a [u8]> },
    /// `tokenizer_config.json` naming `BertJapaneseTokenizer`, `vocab.txt`, and the dictionary.
    BertJapanese { config: &'a [u8], vocab: &'a [u8], dictionary: Arc<MecabDictionary> },
}

impl<'a> From<&'a [u8]> for TokenizerFiles<'a> {
    fn from(tokenizer_json: &'a [u8]) -> Self {
        TokenizerFiles::Json { json: tokenizer_json, config: None }
    }
}

impl TokenizerFiles<'_> {
    /// The limit `tokenizer_config.json` sets (see [`model_max_length`]); `None` without the file.
    pub fn model_max_length(&self) -> Result<Option<usize>> {
        match self {
            TokenizerFiles::Json { config: None, .. } => Ok(None),
            TokenizerFiles::Json { config: Some(config), .. } | TokenizerFiles::BertJapanese { config, .. } => {
                model_max_length(config)
            }
        }
    }
}

/// Values of `model_max_length` at or above this mean "no limit": transformers writes
/// `VERY_LARGE_INTEGER` (`int(1e30)`) for a tokenizer that sets none.
const NO_LIMIT: f64 = 1e18;

/// transformers' `model_max_length` in a `tokenizer_config.json`: the length it truncates a pair
/// to when asked to truncate without a `max_length` (sentence-transformers' `CrossEncoder` does so
/// by default, capped by the model's positions). `None` when the file sets no real limit (absent,
/// null, or transformers' ~1e30); a limit that is not a positive whole number is refused.
pub fn model_max_length(tokenizer_config: &[u8]) -> Result<Option<usize>> {
    let bad = |what: String| Error::Tokenizer(format!("{TOKENIZER_CONFIG_FILE}: {what}"));
    let value = match serde_json::from_slice::<serde_json::Value>(tokenizer_config) {
        Ok(serde_json::Value::Object(mut fields)) => fields.remove("model_max_length"),
        Ok(_) => return Err(bad("not a JSON object".into())),
        Err(e) => return Err(bad(format!("not valid JSON: {e}"))),
    };
    let n = match value {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Number(n)) => n,
        Some(other) => return Err(bad(format!("model_max_length {other} is not a number"))),
    };
    let x = n.as_f64().unwrap_or(f64::INFINITY);
    if x >= NO_LIMIT {
        return Ok(None);
    }
    match n.as_u64() {
        Some(v) if v > 0 => Ok(Some(usize::try_from(v).unwrap_or(usize::MAX))),
        _ if x >= 1.0 && x.fract() == 0.0 => Ok(Some(x as usize)),
        _ => Err(bad(format!("model_max_length {n} is not a positive whole number"))),
    }
}

enum Kind {
    Json(JsonTokenizer),
    BertJapanese(BertJapanese),
}

pub struct PairTokenizer {
    kind: Kind,
    max_length: usize,
}

impl PairTokenizer {
    /// `max_length` counts special tokens, as in `enable_truncation(max_length)`.
    pub fn new(files: TokenizerFiles<'_>, max_length: usize) -> Result<Self> {
        let kind = match files {
            TokenizerFiles::Json { json, .. } => Kind::Json(JsonTokenizer::from_json(json, max_length)?),
            TokenizerFiles::BertJapanese { config, vocab, dictionary } => {
                Kind::BertJapanese(BertJapanese::new(config, vocab, dictionary)?)
            }
        };
        let this = Self { kind, max_length };
        // The template's special tokens must fit with room to spare, or every long pair fails.
        match this.encode("a", "b") {
            Ok(ids) if ids.len() <= max_length => Ok(this),
            _ => Err(Error::InvalidInput(format!(
                "max_length {max_length} is too small for the pair template's special tokens"
            ))),
        }
    }

    /// A `tokenizer.json` tokenizer.
    pub fn from_json(tokenizer_json: &[u8], max_length: usize) -> Result<Self> {
        Self::new(TokenizerFiles::from(tokenizer_json), max_length)
    }

    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// Number of ids the tokenizer can produce (model vocabulary plus added tokens).
    pub fn vocab_size(&self) -> usize {
        match &self.kind {
            Kind::Json(t) => t.vocab_size(),
            Kind::BertJapanese(t) => t.vocab_size(),
        }
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        match &self.kind {
            Kind::Json(t) => t.token_to_id(token),
            Kind::BertJapanese(t) => t.token_to_id(token),
        }
    }

    /// The pair's ids with the model's special tokens, truncated to `max_length`.
    pub fn encode(&self, query: &str, passage: &str) -> Result<Vec<u32>> {
        Ok(self.encode_pair(query, passage)?.0)
    }

    /// [`Self::encode`], and where the second segment starts: the first id of token type 1
    /// (`[CLS] A [SEP]` is segment 0), the length when every id is type 0 (XLM-R).
    pub fn encode_pair(&self, query: &str, passage: &str) -> Result<(Vec<u32>, usize)> {
        match &self.kind {
            Kind::Json(t) => t.encode(query, passage),
            Kind::BertJapanese(t) => t.encode(query, passage, self.max_length),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_max_length_as_transformers_reads_it() {
        let limit = |json: &str| model_max_length(json.as_bytes());
        assert_eq!(limit(r#"{"model_max_length": 512}"#).unwrap(), Some(512));
        assert_eq!(limit(r#"{"model_max_length": 512.0}"#).unwrap(), Some(512));
        // transformers' VERY_LARGE_INTEGER, as it writes it for a tokenizer without a limit.
        assert_eq!(limit(r#"{"model_max_length": 1000000000000000019884624838656}"#).unwrap(), None);
        assert_eq!(limit(r#"{"model_max_length": 1e30}"#).unwrap(), None);
        assert_eq!(limit(r#"{"model_max_length": null, "x": 1}"#).unwrap(), None);
        assert_eq!(limit("{}").unwrap(), None);
        for bad in [
            r#"{"model_max_length": 0}"#,
            r#"{"model_max_length": -5}"#,
            r#"{"model_max_length": 1.5}"#,
            r#"{"model_max_length": "512"}"#,
            "[512]",
            "{ not json",
        ] {
            assert!(matches!(limit(bad), Err(Error::Tokenizer(_))), "{bad}");
        }
        let files = TokenizerFiles::Json { json: b"{}", config: Some(br#"{"model_max_length": 64}"#) };
        assert_eq!(files.model_max_length().unwrap(), Some(64));
        assert_eq!(TokenizerFiles::from(&b"{}"[..]).model_max_length().unwrap(), None);
    }
}
