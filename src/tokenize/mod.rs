//! Text → the token ids of (query, passage) pairs, exactly as the model's Python tokenizer makes
//! them. Two kinds, picked by the model's files:
//! - `tokenizer.json` (XLM-R, ModernBERT): the `tokenizers` crate itself (`hf.rs`);
//! - `BertJapaneseTokenizer` (the BERT rerankers, no `tokenizer.json`): `tokenizer_config.json`
//!   + `vocab.txt` + a MeCab dictionary the app provides (`bert_japanese.rs`, `mecab.rs`).

mod bert_japanese;
mod hf;
mod mecab;

use std::sync::Arc;

pub use bert_japanese::{BertJapanese, VOCAB_FILE};
pub use hf::JsonTokenizer;
pub use mecab::{DICTIONARY_FILE, MecabDictionary};

use crate::error::{Error, Result};

/// The name of the file, as the Hub lays a model out.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Read first by models without a `tokenizer.json`: it names their tokenizer class.
pub const TOKENIZER_CONFIG_FILE: &str = "tokenizer_config.json";

/// The files a tokenizer is made from.
pub enum TokenizerFiles<'a> {
    /// `tokenizer.json`.
    Json(&'a [u8]),
    /// `tokenizer_config.json` naming `BertJapaneseTokenizer`, `vocab.txt`, and the dictionary.
    BertJapanese { config: &'a [u8], vocab: &'a [u8], dictionary: Arc<MecabDictionary> },
}

impl<'a> From<&'a [u8]> for TokenizerFiles<'a> {
    fn from(tokenizer_json: &'a [u8]) -> Self {
        TokenizerFiles::Json(tokenizer_json)
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
            TokenizerFiles::Json(json) => Kind::Json(JsonTokenizer::from_json(json, max_length)?),
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
        Self::new(TokenizerFiles::Json(tokenizer_json), max_length)
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
