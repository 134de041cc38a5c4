//! fixtures/bert-reference.json (tools/fixtures/make_bert.py) as the BERT-ja tests read it,
//! natively (tests/bert_japanese.rs) and in the browser (tests/web/bert.rs).
#![allow(dead_code)]

use serde::Deserialize;

#[derive(Deserialize)]
pub struct Reference {
    pub texts: Vec<TextCase>,
    pub cases: Vec<PairCase>,
}

/// A golden text: MeCab's words (fugashi + unidic-lite, after NFKC) and its ids without specials.
#[derive(Deserialize)]
pub struct TextCase {
    pub name: String,
    pub text: String,
    pub words: Vec<String>,
    pub ids: Vec<u32>,
}

/// A golden pair at one max_length: BertJapaneseTokenizer's ids and token types, PyTorch's scores.
#[derive(Deserialize, Clone)]
pub struct PairCase {
    pub name: String,
    pub query: String,
    pub passage: String,
    pub max_length: usize,
    pub input_ids: Vec<u32>,
    pub token_type_ids: Vec<i64>,
    pub scores: std::collections::BTreeMap<String, f64>,
}

pub fn reference() -> Reference {
    serde_json::from_str(include_str!("../../fixtures/bert-reference.json")).unwrap()
}

/// The stand-in's tokenizer files.
pub const VOCAB: &[u8] = include_bytes!("../../fixtures/models/bert-tiny/vocab.txt");
pub const TOKENIZER_CONFIG: &[u8] = include_bytes!("../../fixtures/models/bert-tiny/tokenizer_config.json");
