//! Multi-head scaled dot-product attention on slices, one task per (batch row, head): S = Q·Kᵀ +
//! mask (the 4×8 tile, the mask as its bias epilogue), softmax with the division moved past ·V,
//! S·V written into the head's columns of the context. Tasks run on the thread pool where there
//! is one (`crate::parallel`).

use super::gemm::{self, Epilogue};
use super::simd;

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

/// Whether [`attention`] takes this width and head count (head and hidden widths whole panels).
pub fn supported(hidden: usize, heads: usize) -> bool {
    heads > 0 && hidden.is_multiple_of(heads) && gemm::supported(hidden) && gemm::supported(hidden / heads)
}

/// The context `[batch, q_len, hidden]` of queries `q` `[batch, q_len, hidden]` over keys `k` and
/// values `v` `[batch, k_len, hidden]` (all projected, row-major), with `mask` `[batch, k_len]`
/// added to every head's scores (and keys outside `d.window` set to `f32::MIN`, as HF's mask
/// fills them: one value, never a sum of two minima). `q` is scaled by `1/√head_dim` here, before the product (q·h
/// multiplies rather than q·k per head), as burn's path does. Panics on mismatched lengths.
pub fn attention(mut q: Vec<f32>, k: &[f32], v: &[f32], mask: &[f32], d: Dims) -> Vec<f32> {
    let Dims { batch, q_len, k_len, hidden, heads, window } = d;
    assert!(supported(hidden, heads) && k_len > 0);
    assert!(q.len() == batch * q_len * hidden && k.len() == batch * k_len * hidden && v.len() == k.len());
    assert!(mask.len() == batch * k_len);
    let head_dim = hidden / heads;
    let scale = 1.0 / (head_dim as f32).sqrt();
    q.iter_mut().for_each(|x| *x *= scale);
    let k8 = gemm::padded(k_len);
    let head = |(b, head): (usize, usize)| -> Vec<f32> {
        let col = head * head_dim;
        let mut bias_row = vec![0.0f32; k8];
        bias_row[..k_len].copy_from_slice(&mask[b * k_len..(b + 1) * k_len]);
        let key_t = gemm::pack(head_dim, k_len, |d, j| k[(b * k_len + j) * hidden + col + d]);
        let mut scores = vec![0.0f32; q_len * k8];
        gemm::gemm(&q[b * q_len * hidden + col..], hidden, q_len, head_dim, &key_t, Some(&bias_row), Epilogue::Bias, &mut scores, k8);
        if let Some(w) = window {
            for (i, row) in scores.chunks_exact_mut(k8).enumerate() {
                row[..i.saturating_sub(w).min(k_len)].fill(f32::MIN);
                row[(i + w + 1).min(k_len)..k_len].fill(f32::MIN);
            }
        }
        // Softmax with the division moved past ·V: head_dim multiplies per row instead of k_len.
        let scales: Vec<f32> = scores.chunks_exact_mut(k8).map(|row| simd::exp_shifted(&mut row[..k_len])).collect();
        let value = gemm::pack(k_len, head_dim, |j, d| v[(b * k_len + j) * hidden + col + d]);
        let mut out = vec![0.0f32; q_len * head_dim];
        gemm::gemm(&scores, k8, q_len, k_len, &value, None, Epilogue::Bias, &mut out, head_dim);
        for (row, &scale) in out.chunks_exact_mut(head_dim).zip(&scales) {
            simd::scale_row(row, scale);
        }
        out
    };
    let tasks: Vec<(usize, usize)> = (0..batch).flat_map(|b| (0..heads).map(move |h| (b, h))).collect();
    let blocks: Vec<Vec<f32>> = crate::parallel::map_tasks(tasks.clone(), head);
    let mut context = vec![0.0f32; batch * q_len * hidden];
    for (&(b, h), block) in tasks.iter().zip(&blocks) {
        for (i, row) in block.chunks_exact(head_dim).enumerate() {
            let at = (b * q_len + i) * hidden + h * head_dim;
            context[at..at + head_dim].copy_from_slice(row);
        }
    }
    context
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
}
