//! `tokenizer.json` → token ids of (query, passage) pairs, exactly as Hugging Face `tokenizers`
//! reading the same file: the file's normalizer, pre-tokenizer, model and pair template, with
//! `longest_first` truncation. We use the `tokenizers` crate itself (no re-implementation), with
//! the feature set that also builds for wasm, so native and browser ids are the same by
//! construction.

use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::error::{Error, Result};

pub struct JsonTokenizer {
    tokenizer: Tokenizer,
    max_length: usize,
}

impl JsonTokenizer {
    /// `max_length` counts special tokens, as in `enable_truncation(max_length)`.
    pub fn from_json(tokenizer_json: &[u8], max_length: usize) -> Result<Self> {
        let mut tokenizer =
            Tokenizer::from_bytes(tokenizer_json).map_err(|e| Error::Tokenizer(format!("tokenizer.json: cannot parse: {e}")))?;
        if tokenizer.get_post_processor().is_none() {
            return Err(Error::Tokenizer(
                "tokenizer.json: no post_processor: the pair template (XLM-R: <s> A </s></s> B </s>) is missing".into(),
            ));
        }
        // Settings stored in the file (a fixed padding, another max_length) are replaced by ours:
        // padding is per batch, and truncation follows sentence-transformers' CrossEncoder.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| Error::InvalidInput(format!("max_length {max_length}: {e}")))?;
        Ok(Self { tokenizer, max_length })
    }

    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// Number of ids the tokenizer can produce (model vocabulary plus added tokens).
    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.tokenizer.token_to_id(token)
    }

    /// Ids of `<s> query </s></s> passage </s>` (per the file's template), truncated, and the
    /// first id of token type 1 (the length when the template gives none).
    pub fn encode(&self, query: &str, passage: &str) -> Result<(Vec<u32>, usize)> {
        // encode_fast skips char offsets, which we never read; the ids are the same.
        let encoding = self
            .tokenizer
            .encode_fast((query, passage), true)
            .map_err(|e| Error::InvalidInput(format!("cannot tokenize: {e}")))?;
        let types = encoding.get_type_ids();
        Ok((encoding.get_ids().to_vec(), types.iter().position(|&t| t != 0).unwrap_or(types.len())))
    }
}
