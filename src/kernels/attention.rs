//! Multi-head scaled dot-product attention on slices, one task per (batch row, head), in blocks
//! of query rows: S = Q·Kᵀ + mask (the 4×8 tile, the mask as its bias epilogue) for the block's
//! keys, softmax with the division moved past ·V, S·V written into the head's columns of the
//! context. A block's keys are every key, or with a sliding window (ModernBERT's local layers)
//! only those within the window of one of its rows, so a local layer costs O(n · window) and no
//! step holds more than [`BLOCK_SCORES`] of scores however long the input (not `n²` per head:
//! 268 MB at 8,192 tokens). Each row's softmax still reads all its scores at once, so the result
//! is the whole-matrix computation's, not a running-softmax approximation of it. Tasks run on the
//! thread pool where there is one (`crate::parallel`).

use super::gemm::{self, Epilogue};
use super::simd;

/// Bytes of scores one block of query rows may hold (per task, so per thread): 256 rows at 4,096
/// keys, 128 at 8,192.
pub const BLOCK_SCORES: usize = 4 << 20;

/// The shapes of one attention call.
#[derive(Debug, Clone, Copy)]
pub struct Dims {
    pub batch: usize,
    pub q_len: usize,
    pub k_len: usize,
    pub hidden: usize,
    pub heads: usize,
    /// Sliding-window attention (ModernBERT's local layers): query `i` (at position `i`) reads
    /// only keys within `window` positions of it; `None` reads every key.
    pub window: Option<usize>,
}

impl Dims {
    /// Query rows per block (a multiple of the tile's 4 rows; every row where that is all of
    /// them). With a window, as many as the window is wide: a block of r rows reads r + 2·window
    /// keys, so each row reads ~3 windows of keys rather than all n. Without, as many as keep a
    /// block's scores within [`BLOCK_SCORES`].
    pub fn block_rows(&self) -> usize {
        let rows = match self.window {
            Some(w) => w.max(16),
            None => BLOCK_SCORES / (4 * gemm::padded(self.k_len).max(1)),
        };
        if rows >= self.q_len { self.q_len } else { (rows / 4 * 4).max(4) }
    }

    /// The keys block `rows` (query positions) reads: `[start, end)`, `start` on a panel boundary
    /// (so the block's keys are a run of whole packed panels).
    fn keys(&self, rows: std::ops::Range<usize>) -> (usize, usize) {
        match self.window {
            Some(w) => {
                let start = rows.start.saturating_sub(w) / 8 * 8;
                (start.min(self.k_len), (rows.end - 1 + w + 1).min(self.k_len))
            }
            None => (0, self.k_len),
        }
    }
}

/// Whether [`attention`] takes this width and head count (head and hidden widths whole panels).
pub fn supported(hidden: usize, heads: usize) -> bool {
    heads > 0 && hidden.is_multiple_of(heads) && gemm::supported(hidden) && gemm::supported(hidden / heads)
}

/// The context `[batch, q_len, hidden]` of queries `q` `[batch, q_len, hidden]` over keys `k` and
/// values `v` `[batch, k_len, hidden]` (all projected, row-major), with `mask` `[batch, k_len]`
/// added to every head's scores (and keys outside `d.window` set to `f32::MIN`, as HF's mask
/// fills them: one value, never a sum of two minima — their weights are exact zeros, so leaving
/// them out of a block changes no sum). `q` is scaled by `1/√head_dim` here, before the product
/// (q·h multiplies rather than q·k per head), as burn's path does, and its buffer returned
/// holding the context. Panics on mismatched lengths.
pub fn attention(q: Vec<f32>, k: &[f32], v: &[f32], mask: &[f32], d: Dims) -> Vec<f32> {
    in_blocks(q, k, v, mask, d, d.block_rows(), true)
}

/// [`attention`] in blocks of `block_rows` query rows; `banded`: a block reads only the keys
/// its rows' windows reach (else every key, the others masked: the whole-matrix computation the
/// tests compare the band with).
fn in_blocks(mut q: Vec<f32>, k: &[f32], v: &[f32], mask: &[f32], d: Dims, block_rows: usize, banded: bool) -> Vec<f32> {
    let Dims { batch, q_len, k_len, hidden, heads, window } = d;
    assert!(supported(hidden, heads) && k_len > 0);
    assert!(q.len() == batch * q_len * hidden && k.len() == batch * k_len * hidden && v.len() == k.len());
    assert!(mask.len() == batch * k_len);
    let head_dim = hidden / heads;
    let scale = 1.0 / (head_dim as f32).sqrt();
    q.iter_mut().for_each(|x| *x *= scale);
    let key_range = Dims { window: window.filter(|_| banded), ..d };
    let head = |(b, head): (usize, usize)| -> Vec<f32> {
        let col = head * head_dim;
        let key_t = gemm::pack(head_dim, k_len, |d, j| k[(b * k_len + j) * hidden + col + d]);
        let mask = &mask[b * k_len..(b + 1) * k_len];
        // Every key's values packed once when a block reads them all; a window's per block.
        let all_values = key_range.window.is_none().then(|| gemm::pack(k_len, head_dim, |j, d| v[(b * k_len + j) * hidden + col + d]));
        let mut out = vec![0.0f32; q_len * head_dim];
        let mut scores = Vec::new();
        for (rows, out) in (0..q_len).step_by(block_rows).zip(out.chunks_mut(block_rows * head_dim)) {
            let rows = rows..(rows + block_rows).min(q_len);
            let (k0, k1) = key_range.keys(rows.clone());
            let (n, n8) = (k1 - k0, gemm::padded(k1 - k0));
            let mut bias_row = vec![0.0f32; n8];
            bias_row[..n].copy_from_slice(&mask[k0..k1]);
            let panels = &key_t[k0 * head_dim..(k0 + n8) * head_dim];
            scores.clear();
            scores.resize(rows.len() * n8, 0.0);
            let a = &q[(b * q_len + rows.start) * hidden + col..];
            gemm::gemm(a, hidden, rows.len(), head_dim, panels, Some(&bias_row), Epilogue::Bias, &mut scores, n8);
            if let Some(w) = window {
                for (i, row) in rows.clone().zip(scores.chunks_exact_mut(n8)) {
                    row[..i.saturating_sub(w).clamp(k0, k1) - k0].fill(f32::MIN);
                    row[(i + w + 1).clamp(k0, k1) - k0..n].fill(f32::MIN);
                }
            }
            // Softmax with the division moved past ·V: head_dim multiplies per row instead of n.
            let sums: Vec<f32> = scores.chunks_exact_mut(n8).map(|row| simd::exp_shifted(&mut row[..n])).collect();
            let block_values;
            let values = match &all_values {
                Some(all) => all,
                None => {
                    block_values = gemm::pack(n, head_dim, |j, d| v[(b * k_len + k0 + j) * hidden + col + d]);
                    &block_values
                }
            };
            gemm::gemm(&scores, n8, rows.len(), n, values, None, Epilogue::Bias, out, head_dim);
            for (row, &sum) in out.chunks_exact_mut(head_dim).zip(&sums) {
                simd::scale_row(row, sum);
            }
        }
        out
    };
    let tasks: Vec<(usize, usize)> = (0..batch).flat_map(|b| (0..heads).map(move |h| (b, h))).collect();
    let blocks: Vec<Vec<f32>> = crate::parallel::map_tasks(tasks.clone(), head);
    // The context goes where the queries were (each read by then): no second buffer of that size
    // (at 8,192 tokens, `seq × hidden` floats); each block freed once written.
    for (&(b, h), block) in tasks.iter().zip(blocks) {
        for (i, row) in block.chunks_exact(head_dim).enumerate() {
            let at = (b * q_len + i) * hidden + h * head_dim;
            q[at..at + head_dim].copy_from_slice(row);
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::test_values as values;

    /// Softmax(q·kᵀ/√d + mask)·v per head, in f64.
    fn naive(q: &[f32], k: &[f32], v: &[f32], mask: &[f32], d: Dims) -> Vec<f64> {
        let hd = d.hidden / d.heads;
        let mut out = vec![0.0f64; d.batch * d.q_len * d.hidden];
        for b in 0..d.batch {
            for h in 0..d.heads {
                for i in 0..d.q_len {
                    let s: Vec<f64> = (0..d.k_len)
                        .map(|j| {
                            let dot: f64 = (0..hd)
                                .map(|x| {
                                    q[(b * d.q_len + i) * d.hidden + h * hd + x] as f64
                                        * k[(b * d.k_len + j) * d.hidden + h * hd + x] as f64
                                })
                                .sum();
                            let outside = d.window.is_some_and(|w| i.abs_diff(j) > w);
                            let bias = if outside { f32::MIN } else { mask[b * d.k_len + j] };
                            dot / (hd as f64).sqrt() + bias as f64
                        })
                        .collect();
                    let max = s.iter().cloned().fold(f64::MIN, f64::max);
                    let e: Vec<f64> = s.iter().map(|x| (x - max).exp()).collect();
                    let sum: f64 = e.iter().sum();
                    for x in 0..hd {
                        out[(b * d.q_len + i) * d.hidden + h * hd + x] = (0..d.k_len)
                            .map(|j| e[j] / sum * v[(b * d.k_len + j) * d.hidden + h * hd + x] as f64)
                            .sum();
                    }
                }
            }
        }
        out
    }

    /// Seeded q, k, v for `d`, and a mask with batch row 1's last three keys padding.
    fn inputs(d: Dims, seed: u64) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        let (nq, nk) = (d.batch * d.q_len * d.hidden, d.batch * d.k_len * d.hidden);
        let mut mask = vec![0.0f32; d.batch * d.k_len];
        mask[2 * d.k_len - 3..2 * d.k_len].fill(f32::MIN);
        (values(nq, seed), values(nk, seed + 1), values(nk, seed + 2), mask)
    }

    fn max_error(got: &[f32], want: &[f64]) -> f64 {
        got.iter().zip(want).map(|(g, w)| (*g as f64 - w).abs()).fold(0.0, f64::max)
    }

    #[test]
    fn matches_naive_with_masked_keys_and_ragged_lengths() {
        // k_len 13: scores padded to 16 columns; the last three keys of row 1 masked out.
        let d = Dims { batch: 2, q_len: 5, k_len: 13, hidden: 32, heads: 4, window: None };
        let (q, k, v, mask) = inputs(d, 1);
        let err = max_error(&attention(q.clone(), &k, &v, &mask, d), &naive(&q, &k, &v, &mask, d));
        assert!(err < 1e-5, "max error {err}");
        assert!(supported(384, 12) && !supported(36, 3) && !supported(32, 0));
    }

    #[test]
    fn a_window_masks_far_keys_and_keeps_padding_masked() {
        // 13 queries over 13 keys, window 3: each query reads at most 7 keys; row 1's last three
        // keys are padding, which the window must not unmask.
        let d = Dims { batch: 2, q_len: 13, k_len: 13, hidden: 32, heads: 4, window: Some(3) };
        let (q, k, v, mask) = inputs(d, 4);
        let want = naive(&q, &k, &v, &mask, d);
        let err = max_error(&attention(q.clone(), &k, &v, &mask, d), &want);
        assert!(err < 1e-5, "max error {err}");
        let global = naive(&q, &k, &v, &mask, Dims { window: None, ..d });
        let moved = global.iter().zip(&want).map(|(g, w)| (g - w).abs()).fold(0.0, f64::max);
        assert!(moved > 1e-3, "the window changed nothing ({moved}): the test would not see it ignored");
    }

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }

    /// The band (a block reads only the keys its rows' windows reach) equals the whole masked
    /// matrix at lengths across the window — shorter, one window, 3× and 16× — at the v2
    /// stand-ins' shapes (a 128-token window: 64 each side; heads of 64), in blocks of 4 rows
    /// (many block edges) and as `block_rows` sizes them, and equals the f64 reference on the
    /// shorter ones; a window off by one does not (the test would see a wrong band).
    #[test]
    fn the_band_equals_the_whole_masked_matrix_across_lengths() {
        let w = 64;
        for (q_len, seed) in [(30, 10), (2 * w + 1, 11), (3 * (2 * w + 1), 12), (16 * (2 * w + 1), 13)] {
            let d = Dims { batch: 1, q_len, k_len: q_len, hidden: 128, heads: 2, window: Some(w) };
            let (q, k, v, mask) = inputs(Dims { batch: 2, ..d }, seed);
            let (q, k, v, mask) = (q[..q_len * 128].to_vec(), &k[..q_len * 128], &v[..q_len * 128], &mask[..q_len]);
            let whole = in_blocks(q.clone(), k, v, mask, d, q_len, false);
            for rows in [4, d.block_rows()] {
                let band = in_blocks(q.clone(), k, v, mask, d, rows, true);
                let diff = max_diff(&band, &whole);
                assert!(diff <= 1e-6, "q_len {q_len}, {rows} rows a block: band vs whole {diff}");
            }
            if q_len < 1000 {
                let err = max_error(&attention(q.clone(), k, v, mask, d), &naive(&q, k, v, mask, d));
                assert!(err < 1e-5, "q_len {q_len}: {err}");
            }
            if q_len > 2 * w + 2 {
                let off = in_blocks(q.clone(), k, v, mask, Dims { window: Some(w + 1), ..d }, q_len, false);
                assert!(max_diff(&attention(q.clone(), k, v, mask, d), &off) > 1e-4, "q_len {q_len}: w+1 not seen");
            }
        }
    }

    /// Blocks of query rows (no n² buffer per head) give the one-block result at 1,220 and 8,192
    /// keys, for every key (global layers, XLM-R, BERT), and at 2,064 with a 64-token window
    /// (8,192 with the window: `tests/long.rs`, against PyTorch).
    #[test]
    fn blocks_of_rows_equal_one_block_at_long_lengths() {
        for (len, window) in [(1220, None), (8192, None), (2064, Some(64))] {
            let d = Dims { batch: 1, q_len: len, k_len: len, hidden: 16, heads: 2, window };
            let (q, k, v, mut mask) = inputs(Dims { batch: 2, ..d }, 20);
            mask.truncate(len);
            let (q, k, v) = (q[..len * 16].to_vec(), &k[..len * 16], &v[..len * 16]);
            assert!(d.block_rows() < len, "{len}: one block");
            let one = in_blocks(q.clone(), k, v, &mask, d, len, false);
            let diff = max_diff(&attention(q, k, v, &mask, d), &one);
            assert!(diff <= 1e-6, "{len} {window:?}: {diff}");
        }
    }
}

