//! `BertJapaneseTokenizer` (transformers' `tokenization_bert_japanese.py`) with
//! `word_tokenizer_type: "mecab"` and `subword_tokenizer_type: "wordpiece"`, as the BERT rerankers
//! (base-v1, large-v1) configure it, for pairs. Python's steps, in its order:
//!
//! 1. split the text on the special tokens' literal strings (`[SEP]` typed into a query is the
//!    separator, as in Python);
//! 2. each other piece: NFKC, then MeCab's words (`mecab.rs`; spaces between words dropped);
//! 3. each word: Python's `strip().split()` (a word MeCab kept whole may hold whitespace that is
//!    not in its SPACE category, e.g. `\r`), then WordPiece over `vocab.txt` (greedy longest
//!    match, `##` continuation, `[UNK]` for a word over 100 characters or with no match): the
//!    `tokenizers` crate's WordPiece model, which is that algorithm;
//! 4. `[CLS] A [SEP] B [SEP]`, `longest_first` truncation as the Python (slow) tokenizer does it:
//!    one token at a time from the longer side, the second on a tie.
//!
//! Token types (0 up to the first `[SEP]`, then 1) are the BERT family's input rule, computed from
//! these ids beside its embeddings.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use tokenizers::Model;
use tokenizers::models::wordpiece::WordPiece;
use unicode_normalization::UnicodeNormalization;

use super::mecab::MecabDictionary;
use crate::error::{Error, Result};

/// The files besides `tokenizer_config.json`, as the Hub lays the model out.
pub const VOCAB_FILE: &str = "vocab.txt";

/// What `tokenizer_config.json` says, where it matters here.
#[derive(Deserialize)]
struct Settings {
    #[serde(default)]
    word_tokenizer_type: Option<String>,
    #[serde(default)]
    subword_tokenizer_type: Option<String>,
    #[serde(default)]
    do_lower_case: bool,
    #[serde(default)]
    mecab_kwargs: Option<MecabKwargs>,
    #[serde(default = "tokens::unk")]
    unk_token: String,
    #[serde(default = "tokens::sep")]
    sep_token: String,
    #[serde(default = "tokens::pad")]
    pad_token: String,
    #[serde(default = "tokens::cls")]
    cls_token: String,
    #[serde(default = "tokens::mask")]
    mask_token: String,
}

#[derive(Deserialize)]
struct MecabKwargs {
    #[serde(default)]
    mecab_dic: Option<String>,
}

/// `BertJapaneseTokenizer`'s defaults.
mod tokens {
    pub fn unk() -> String {
        "[UNK]".into()
    }
    pub fn sep() -> String {
        "[SEP]".into()
    }
    pub fn pad() -> String {
        "[PAD]".into()
    }
    pub fn cls() -> String {
        "[CLS]".into()
    }
    pub fn mask() -> String {
        "[MASK]".into()
    }
}

pub struct BertJapanese {
    dictionary: Arc<MecabDictionary>,
    wordpiece: WordPiece,
    /// The special tokens' strings and ids, longest first (the order text is split on them).
    special: Vec<(String, u32)>,
    cls: u32,
    sep: u32,
    vocab_size: usize,
}

impl BertJapanese {
    /// Whether a `tokenizer_config.json` names this tokenizer (else the model has a
    /// `tokenizer.json`).
    pub fn is_named_in(tokenizer_config: &[u8]) -> bool {
        #[derive(Deserialize)]
        struct Class {
            tokenizer_class: Option<String>,
        }
        serde_json::from_slice::<Class>(tokenizer_config)
            .is_ok_and(|c| c.tokenizer_class.as_deref() == Some("BertJapaneseTokenizer"))
    }

    pub fn new(tokenizer_config: &[u8], vocab_txt: &[u8], dictionary: Arc<MecabDictionary>) -> Result<Self> {
        let settings: Settings = serde_json::from_slice(tokenizer_config)
            .map_err(|e| Error::Tokenizer(format!("tokenizer_config.json: {e}")))?;
        let refuse = |what: &str| Err(Error::Tokenizer(format!("tokenizer_config.json: {what} is not supported")));
        if settings.word_tokenizer_type.as_deref().unwrap_or("basic") != "mecab" {
            return refuse("a word_tokenizer_type other than \"mecab\"");
        }
        if settings.subword_tokenizer_type.as_deref().unwrap_or("wordpiece") != "wordpiece" {
            return refuse("a subword_tokenizer_type other than \"wordpiece\"");
        }
        if settings.do_lower_case {
            return refuse("do_lower_case: true");
        }
        // MecabTokenizer's default is ipadic; the BERT-ja rerankers name unidic_lite.
        let dic = settings.mecab_kwargs.and_then(|k| k.mecab_dic).unwrap_or_else(|| "ipadic".into());
        if dic != dictionary.name() {
            return Err(Error::Dictionary(format!(
                "the model's tokenizer splits words with the MeCab dictionary \"{dic}\", this one is \"{}\"",
                dictionary.name()
            )));
        }
        let vocab = read_vocab(vocab_txt)?;
        let id = |token: &str| {
            vocab.get(token).copied().ok_or_else(|| Error::Tokenizer(format!("vocab.txt has no {token}")))
        };
        let (cls, sep) = (id(&settings.cls_token)?, id(&settings.sep_token)?);
        let mut special = Vec::new();
        for token in [&settings.unk_token, &settings.sep_token, &settings.pad_token, &settings.cls_token, &settings.mask_token] {
            special.push((token.clone(), id(token)?));
        }
        special.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
        let vocab_size = vocab.values().max().map_or(0, |&m| m as usize + 1);
        let wordpiece = WordPiece::builder()
            .vocab(vocab.into_iter().collect::<ahash::AHashMap<_, _>>())
            .unk_token(settings.unk_token.clone())
            .continuing_subword_prefix("##".into())
            .max_input_chars_per_word(100)
            .build()
            .map_err(|e| Error::Tokenizer(format!("vocab.txt: {e}")))?;
        Ok(Self { dictionary, wordpiece, special, cls, sep, vocab_size })
    }

    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.wordpiece.token_to_id(token)
    }

    /// One text's ids, without special tokens around it.
    pub fn ids(&self, text: &str) -> Result<Vec<u32>> {
        let mut ids = Vec::new();
        for piece in split_on(text, &self.special) {
            match piece {
                Piece::Special(id) => ids.push(id),
                Piece::Text(text) => {
                    let text: String = text.nfkc().collect();
                    for word in self.dictionary.words(&text) {
                        for part in word.split(is_python_space).filter(|p| !p.is_empty()) {
                            let tokens = self
                                .wordpiece
                                .tokenize(part)
                                .map_err(|e| Error::InvalidInput(format!("cannot tokenize: {e}")))?;
                            ids.extend(tokens.iter().map(|t| t.id));
                        }
                    }
                }
            }
        }
        Ok(ids)
    }

    /// `[CLS] query [SEP] passage [SEP]`, cut to `max_length` ids, and where the passage's
    /// segment (token type 1) starts.
    pub fn encode(&self, query: &str, passage: &str, max_length: usize) -> Result<(Vec<u32>, usize)> {
        let (mut a, mut b) = (self.ids(query)?, self.ids(passage)?);
        truncate_longest_first(&mut a, &mut b, max_length.saturating_sub(3));
        let mut ids = Vec::with_capacity(a.len() + b.len() + 3);
        ids.push(self.cls);
        ids.extend(a);
        ids.push(self.sep);
        let second = ids.len();
        ids.extend(b);
        ids.push(self.sep);
        Ok((ids, second))
    }
}

/// `load_vocab`: one token per line, its id the line number (a repeated token keeps the last).
pub fn read_vocab(vocab_txt: &[u8]) -> Result<HashMap<String, u32>> {
    let text = std::str::from_utf8(vocab_txt).map_err(|e| Error::Tokenizer(format!("vocab.txt is not UTF-8: {e}")))?;
    let mut vocab = HashMap::new();
    for (i, line) in text.split_terminator('\n').enumerate() {
        vocab.insert(line.to_string(), i as u32);
    }
    if vocab.is_empty() {
        return Err(Error::Tokenizer("vocab.txt is empty".into()));
    }
    Ok(vocab)
}

enum Piece<'t> {
    Text(&'t str),
    Special(u32),
}

/// `text` cut at each occurrence of a special token's string (leftmost, then longest).
fn split_on<'t>(text: &'t str, special: &[(String, u32)]) -> Vec<Piece<'t>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    loop {
        let found = special
            .iter()
            .filter_map(|(s, id)| rest.find(s.as_str()).map(|at| (at, s.len(), *id)))
            .min_by_key(|&(at, len, _)| (at, std::cmp::Reverse(len)));
        match found {
            Some((at, len, id)) => {
                if at > 0 {
                    pieces.push(Piece::Text(&rest[..at]));
                }
                pieces.push(Piece::Special(id));
                rest = &rest[at + len..];
            }
            None => {
                if !rest.is_empty() {
                    pieces.push(Piece::Text(rest));
                }
                return pieces;
            }
        }
    }
}

/// Python's `str.isspace`, which `str.split()` splits on: Unicode White_Space plus the
/// separators U+001C..U+001F that Rust's `char::is_whitespace` leaves out.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// transformers' `truncate_sequences` with `longest_first` for a pair: one id at a time from the
/// longer sequence, from the second when they are equally long.
fn truncate_longest_first(a: &mut Vec<u32>, b: &mut Vec<u32>, budget: usize) {
    while a.len() + b.len() > budget {
        if a.len() > b.len() { a.pop() } else { b.pop() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_first_takes_from_the_longer_and_the_second_on_a_tie() {
        let (mut a, mut b) = (vec![1; 10], vec![2; 4]);
        truncate_longest_first(&mut a, &mut b, 9);
        assert_eq!((a.len(), b.len()), (5, 4));
        let (mut a, mut b) = (vec![1; 6], vec![2; 6]);
        truncate_longest_first(&mut a, &mut b, 9);
        assert_eq!((a.len(), b.len()), (5, 4));
    }

    #[test]
    fn special_strings_split_the_text() {
        let special = vec![("[SEP]".to_string(), 3), ("[CLS]".to_string(), 2)];
        let pieces = split_on("a[SEP]b[CLS][SEP]", &special);
        let shown: Vec<String> = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.to_string(),
                Piece::Special(id) => format!("#{id}"),
            })
            .collect();
        assert_eq!(shown, ["a", "#3", "b", "#2", "#3"]);
    }

    #[test]
    fn python_space_includes_the_information_separators() {
        assert!(is_python_space('\u{1F}') && is_python_space('\r') && is_python_space('\u{3000}'));
        assert!(!is_python_space('a') && !is_python_space('\u{200B}'));
    }
}
