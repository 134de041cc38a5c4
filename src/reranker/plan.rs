//! Pairs tokenized and grouped into batches: longest first, so each batch pads little, within
//! limits that bound a batch's memory.

use crate::error::{Error, Result};
use crate::model::{Dims, Kernels, Row};
use crate::reranker::memory;
use crate::reranker::Score;
use crate::reranker::chunks::Window;

/// Pairs tokenized and grouped into batches, ready to run one batch at a time (so a caller can
/// report progress or stop between batches).
pub struct ScorePlan {
    /// Token ids of each row: a pair, or one window of a pair's passage ([`Overflow::Chunks`]).
    pub(super) ids: Vec<Vec<u32>>,
    /// Where each row's second segment starts (its first token of type 1).
    pub(super) second_segments: Vec<usize>,
    /// The pair each row scores, ascending, and the window it is where it is one.
    pub(super) owners: Vec<usize>,
    pub(super) windows: Vec<Option<Window>>,
    pub(super) num_pairs: usize,
    pub(super) batches: Vec<Vec<usize>>,
}

impl ScorePlan {
    pub fn num_pairs(&self) -> usize {
        self.num_pairs
    }

    /// Rows the model runs: the pairs, or more where passages are scored in windows.
    pub fn num_rows(&self) -> usize {
        self.ids.len()
    }

    /// The rows scoring pair `pair`: one, or its passage's windows in order.
    pub fn pair_rows(&self, pair: usize) -> std::ops::Range<usize> {
        self.owners.partition_point(|&o| o < pair)..self.owners.partition_point(|&o| o <= pair)
    }

    /// The passage windows of row `i`, if it is one.
    pub fn window(&self, i: usize) -> Option<Window> {
        self.windows[i]
    }

    pub fn num_batches(&self) -> usize {
        self.batches.len()
    }

    /// Whether some batch holds pairs of unequal length, so is padded.
    pub fn pads(&self) -> bool {
        self.batches.iter().any(|b| b.iter().any(|&i| self.ids[i].len() != self.ids[b[0]].len()))
    }

    /// Token ids of row `i`, in input order (pair `i` when no passage is scored in windows).
    pub fn input_ids(&self, i: usize) -> &[u32] {
        &self.ids[i]
    }

    /// The pairs of batch `b`.
    pub fn batch_rows(&self, b: usize) -> Vec<Row<'_>> {
        self.batches[b].iter().map(|&i| Row { ids: &self.ids[i], second_segment: self.second_segments[i] }).collect()
    }

    /// Scores in input order from each batch's logits, given in batch order: a pair scored in
    /// windows gets its best window's (the first of equal ones).
    pub fn into_scores(&self, batch_logits: Vec<Vec<f32>>) -> Result<Vec<Score>> {
        let mut rows = vec![None; self.ids.len()];
        for (batch, logits) in self.batches.iter().zip(&batch_logits) {
            if logits.len() != batch.len() {
                return Err(Error::Backend(format!("expected {} logits, got {}", batch.len(), logits.len())));
            }
            for (&i, &logit) in batch.iter().zip(logits) {
                if !logit.is_finite() {
                    return Err(Error::Backend(format!("non-finite logit {logit} for pair {i}")));
                }
                let n_tokens = self.ids[i].len();
                rows[i] = Some(Score { score: sigmoid(logit), logit, n_tokens, window: self.windows[i] });
            }
        }
        let mut scores: Vec<Option<Score>> = vec![None; self.num_pairs];
        for (row, &pair) in rows.into_iter().zip(&self.owners) {
            let row = row.ok_or_else(|| Error::Backend("a batch was not run".into()))?;
            let best = &mut scores[pair];
            if best.is_none_or(|b: Score| row.logit > b.logit) {
                *best = Some(row);
            }
        }
        scores.into_iter().map(|s| s.ok_or_else(|| Error::Backend("a pair has no row".into()))).collect()
    }
}

pub(super) fn sigmoid(logit: f32) -> f32 {
    (1.0 / (1.0 + (-(logit as f64)).exp())) as f32
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

/// Padded tokens a batch on the tiled kernels holds at most, below what the budget allows:
/// batching pays on the CPU for short pairs (more rows per packed weight panel, fewer calls),
/// while past a few thousand tokens a product already has rows enough and a bigger batch only
/// holds more memory (a pair longer than this runs alone).
const TILED_BATCH_TOKENS: usize = 4096;

impl BatchLimits {
    /// Batches of at most `batch_size` pairs whose activations keep within `budget` bytes on
    /// `kernels`: on burn's ops a head's `pairs × seq²` scores and the feed-forward's
    /// `pairs × seq × intermediate` each fit it; on the tiled kernels, which hold neither (scores
    /// in blocks, feed-forward in slices), everything alive at once does
    /// ([`memory::tiled_tokens_within`]), up to [`TILED_BATCH_TOKENS`].
    pub fn new(dims: &Dims, kernels: Kernels, batch_size: usize, budget: u64) -> Self {
        let bytes = budget as usize;
        match kernels {
            Kernels::Tiled => Self {
                max_pairs: batch_size,
                max_cells: usize::MAX,
                max_tokens: memory::tiled_tokens_within(dims.hidden_size, budget, crate::parallel::threads())
                    .min(TILED_BATCH_TOKENS),
            },
            Kernels::Burn => Self {
                max_pairs: batch_size,
                max_cells: bytes / (4 * dims.num_attention_heads.max(1)),
                max_tokens: bytes / (4 * dims.intermediate_size.max(dims.hidden_size).max(1)),
            },
        }
    }
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

    #[test]
    fn the_tiled_kernels_batch_by_tokens_not_squares() {
        use crate::model::{Dims, Kernels};
        let dims = Dims {
            vocab_size: 102_400,
            hidden_size: 256,
            num_attention_heads: 4,
            intermediate_size: 1024,
            num_hidden_layers: 10,
            max_tokens: 8192,
            pad_token_id: 3,
        };
        let lengths = [2048, 2048, 1024, 1024, 1024, 1024, 8192, 8192];
        // burn's ops: a head's 2,048² scores four at a time within 256 MiB (4 B × 4 heads each).
        let burn = BatchLimits::new(&dims, Kernels::Burn, 8, 256 << 20);
        assert_eq!(plan_batches(&lengths, burn), vec![vec![6], vec![7], vec![0, 1, 2, 3], vec![4, 5]]);
        // Tiled: no squares; up to 4,096 tokens a batch, a longer pair alone.
        let tiled = BatchLimits::new(&dims, Kernels::Tiled, 8, 256 << 20);
        assert_eq!(plan_batches(&lengths, tiled), vec![vec![6], vec![7], vec![0, 1], vec![2, 3, 4, 5]]);
        // A small budget: fewer tokens a batch (1 MiB: one pair at a time).
        let small = BatchLimits::new(&dims, Kernels::Tiled, 8, 1 << 20);
        assert_eq!(plan_batches(&lengths, small).len(), lengths.len());
    }
}
