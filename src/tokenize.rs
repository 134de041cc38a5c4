//! `tokenizer.json` → token ids of (query, passage) pairs, exactly as Hugging Face `tokenizers`
//! reading the same file: the file's normalizer, pre-tokenizer, model and pair template, with
//! `longest_first` truncation. We use the `tokenizers` crate itself (no re-implementation), with
//! the feature set that also builds for wasm, so native and browser ids are the same by
//! construction.

use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::error::{Error, Result};

pub struct PairTokenizer {
    tokenizer: Tokenizer,
    max_length: usize,
}

impl PairTokenizer {
    /// `max_length` counts special tokens, as in `enable_truncation(max_length)`.
    pub fn from_json(tokenizer_json: &[u8], max_length: usize) -> Result<Self> {
        let mut tokenizer =
            Tokenizer::from_bytes(tokenizer_json).map_err(|e| Error::Tokenizer(format!("cannot parse: {e}")))?;
        if tokenizer.get_post_processor().is_none() {
            return Err(Error::Tokenizer(
                "no post_processor: the pair template (<s> A </s></s> B </s>) is missing".into(),
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
        let this = Self { tokenizer, max_length };
        // The template's special tokens must fit with room to spare, or every long pair fails.
        match this.encode("a", "b") {
            Ok(ids) if ids.len() <= max_length => {}
            _ => {
                return Err(Error::InvalidInput(format!(
                    "max_length {max_length} is too small for the pair template's special tokens"
                )));
            }
        }
        Ok(this)
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

    /// Ids of `<s> query </s></s> passage </s>` (per the file's template), truncated.
    pub fn encode(&self, query: &str, passage: &str) -> Result<Vec<u32>> {
        // encode_fast skips char offsets, which we never read; the ids are the same.
        let encoding = self
            .tokenizer
            .encode_fast((query, passage), true)
            .map_err(|e| Error::InvalidInput(format!("cannot tokenize: {e}")))?;
        Ok(encoding.get_ids().to_vec())
    }
}

/// How big a batch may grow.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    pub max_pairs: usize,
    /// Attention-score cells per head, `pairs × seq_len²`.
    pub max_cells: usize,
    /// Padded tokens, `pairs × seq_len` (bounds the FFN activations).
    pub max_tokens: usize,
}

/// Groups items into batches: longest first, so that each batch pads to a length close to its
/// members', within `limits`, which bound memory for long inputs. Returns indices into
/// `lengths`; every index appears exactly once; an item over the limits on its own still gets
/// a batch of one.
pub fn plan_batches(lengths: &[usize], limits: BatchLimits) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    // Stable sort: equal lengths keep input order, so plans are deterministic.
    order.sort_by(|&a, &b| lengths[b].cmp(&lengths[a]));
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut seq_len = 0;
    for i in order {
        // The first item of a batch is its longest, so it fixes the padded length.
        if current.is_empty() {
            seq_len = lengths[i];
        }
        let n = current.len() + 1;
        let full = current.len() >= limits.max_pairs.max(1)
            || n * seq_len * seq_len > limits.max_cells
            || n * seq_len > limits.max_tokens;
        if !current.is_empty() && full {
            batches.push(std::mem::take(&mut current));
            seq_len = lengths[i];
        }
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::{BatchLimits, plan_batches};

    fn limits(max_pairs: usize, max_cells: usize, max_tokens: usize) -> BatchLimits {
        BatchLimits { max_pairs, max_cells, max_tokens }
    }

    #[test]
    fn batches_cover_every_item_once_longest_first() {
        let lengths = [5, 300, 7, 7, 120, 512, 3];
        let batches = plan_batches(&lengths, limits(3, usize::MAX, usize::MAX));
        assert_eq!(batches, vec![vec![5, 1, 4], vec![2, 3, 0], vec![6]]);
        let mut all: Vec<usize> = batches.concat();
        all.sort();
        assert_eq!(all, (0..lengths.len()).collect::<Vec<_>>());
    }

    #[test]
    fn attention_budget_splits_long_batches() {
        let lengths = [512, 512, 512, 16, 16];
        // Room for two 512² score matrices: long pairs go two by two.
        let batches = plan_batches(&lengths, limits(32, 2 * 512 * 512, usize::MAX));
        assert_eq!(batches, vec![vec![0, 1], vec![2, 3], vec![4]]);
        assert!(plan_batches(&[], limits(8, 100, 100)).is_empty());
        // A single item larger than the budget still gets its own batch.
        assert_eq!(plan_batches(&[100], limits(8, 10, 10)), vec![vec![0]]);
        // The token budget: 1000 padded tokens fit three pairs of 300.
        assert_eq!(plan_batches(&[300; 5], limits(32, usize::MAX, 1000)), vec![vec![0, 1, 2], vec![3, 4]]);
    }
}
