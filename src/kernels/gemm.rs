//! The CPU matmul of every `Linear` in wasm: `x · W + b` with a 4×8 register-tiled simd128 kernel.
//!
//! Why not burn-flex's own (the `gemm` crate): in V8 its 12×4 simd128 micro-kernel keeps 16
//! vectors live, while this 4×8 tile (8 accumulators, 2 B vectors, 1 broadcast A) is faster on
//! this model's shapes (README.md, "Speed in the browser"; `bench/profile.mjs` attributes most of the CPU
//! time to the matmul). Natively the `gemm` crate's AVX kernels are faster, so only wasm32 picks
//! this path by default; the algorithm is written over a 4-lane vector type ([`super::simd::V4`])
//! so native tests check it too.
//!
//! Layout: A `[m, k]` row-major, W `[k, n]` row-major (burn's `Linear` weight), packed per call
//! into panels of 8 columns (k × 8 contiguous floats) so the kernel reads B sequentially.
//! Rows are processed in blocks of `MC` so a block of A stays in L2 while every panel streams by.

const NR: usize = 8;
const MR: usize = 4;
/// Rows of A per cache block (MC × k floats: 96 KiB at k = 384, 384 KiB at k = 1536).
const MC: usize = 64;

use super::simd::{V4, gelu};

/// What happens to `a · w + bias` before it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epilogue {
    Bias,
    /// `gelu(a · w + bias)` with the exact (erf) GELU, erf to ≤ 4.2e-7 (see [`super::simd::erf`]).
    BiasGelu,
}

#[inline(always)]
fn finish(v: V4, epilogue: Epilogue) -> V4 {
    match epilogue {
        Epilogue::Bias => v,
        Epilogue::BiasGelu => gelu(v),
    }
}

/// Whether [`pack`] + [`gemm`] handle an output this wide (n a multiple of the panel width).
pub fn supported(n: usize) -> bool {
    n > 0 && n.is_multiple_of(NR)
}

/// `n` rounded up to whole panels.
pub fn padded(n: usize) -> usize {
    n.div_ceil(NR) * NR
}

/// Packs the `[k, n]` matrix `get(row, col)` into panels of 8 columns (panel p holds columns
/// 8p..8p+8 of every row, row after row); columns past `n` are zeros.
pub fn pack(k: usize, n: usize, get: impl Fn(usize, usize) -> f32) -> Vec<f32> {
    let mut packed = vec![0.0f32; k * padded(n)];
    for (p, panel) in packed.chunks_exact_mut(k * NR).enumerate() {
        for (kk, dst) in panel.chunks_exact_mut(NR).enumerate() {
            for (j, d) in dst.iter_mut().enumerate().take(n.saturating_sub(p * NR)) {
                *d = get(kk, p * NR + j);
            }
        }
    }
    packed
}

/// `epilogue(a · w (+ bias))`: a `[m, k]`, w `[k, n]`, bias `[n]`, all row-major; returns `[m, n]`.
/// Panics unless `supported(n)` and the slice lengths match. The one-shot product the tests
/// check the tiles with; the model packs a weight once (`model::fused::HostLinear`).
#[cfg(test)]
pub fn matmul_bias(
    a: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    epilogue: Epilogue,
    m: usize,
    k: usize,
    n: usize,
) -> Vec<f32> {
    assert!(supported(n) && a.len() == m * k && w.len() == k * n);
    let packed = pack(k, n, |kk, j| w[kk * n + j]);
    let mut c = vec![0.0f32; m * n];
    gemm(a, k, m, k, &packed, bias, epilogue, &mut c, n);
    c
}

/// `c[i][..n8] = epilogue(a[i] · B + bias)` for the m rows of `a` (`lda` apart, k used), B packed
/// by [`pack`] (`n8` = its padded width), `c` rows `ldc` apart. Bounds are checked up front.
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    a: &[f32],
    lda: usize,
    m: usize,
    k: usize,
    packed: &[f32],
    bias: Option<&[f32]>,
    epilogue: Epilogue,
    c: &mut [f32],
    ldc: usize,
) {
    if m == 0 {
        return;
    }
    let n8 = packed.len() / k.max(1);
    assert!(k > 0 && packed.len() == k * n8 && n8.is_multiple_of(NR) && ldc >= n8 && lda >= k);
    assert!(a.len() >= (m - 1) * lda + k && c.len() >= (m - 1) * ldc + n8);
    assert!(bias.is_none_or(|b| b.len() >= n8));
    // Row blocks write disjoint rows of c: with a thread pool they run in parallel.
    let block = |i0: usize, c: &mut [f32]| {
        let zeros = [0.0f32; NR];
        let i1 = (i0 + MC).min(m);
        for p in 0..n8 / NR {
            let panel = &packed[p * k * NR..(p + 1) * k * NR];
            let bias = bias.map_or(&zeros[..], |b| &b[p * NR..p * NR + NR]);
            let mut i = i0;
            while i + MR <= i1 {
                // SAFETY: rows i..i+4 of a have k floats (asserted above), the panel k × 8, and
                // the output columns p*8..p*8+8 lie inside each of c's rows (ldc ≥ n8); c starts
                // at row i0.
                unsafe {
                    let out = c.as_mut_ptr().add((i - i0) * ldc + p * NR);
                    tile_4x8(a.as_ptr().add(i * lda), lda, k, panel, bias, epilogue, out, ldc)
                };
                i += MR;
            }
            for r in i..i1 {
                // SAFETY: as above, for one row.
                unsafe {
                    tile_1x8(
                        &a[r * lda..r * lda + k],
                        panel,
                        bias,
                        epilogue,
                        c.as_mut_ptr().add((r - i0) * ldc + p * NR),
                    )
                };
            }
        }
    };
    let blocks: Vec<_> =
        c.chunks_mut(MC * ldc).enumerate().map(|(j, c)| (j * MC, c)).take_while(|(i0, _)| *i0 < m).collect();
    crate::parallel::map_tasks(blocks, |(i0, c)| block(i0, c));
}

/// Four rows of A (`lda` apart, k floats each) times one panel, plus bias.
///
/// # Safety
/// `a` is valid for four rows of `k` floats `lda` apart, `panel` holds `k × 8` floats, `bias`
/// 8, and `c`'s four rows (`ldc` apart) have 8 writable floats each.
#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(feature = "relaxed-simd"), inline(always))]
#[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
unsafe fn tile_4x8(
    a0: *const f32,
    lda: usize,
    k: usize,
    panel: &[f32],
    bias: &[f32],
    epilogue: Epilogue,
    c: *mut f32,
    ldc: usize,
) {
    debug_assert!(panel.len() == k * NR && bias.len() == NR);
    let b = panel.as_ptr();
    let z = V4::zero();
    let (mut c00, mut c01, mut c10, mut c11, mut c20, mut c21, mut c30, mut c31) = (z, z, z, z, z, z, z, z);
    unsafe {
        let (a1, a2, a3) = (a0.add(lda), a0.add(2 * lda), a0.add(3 * lda));
        for kk in 0..k {
            let b0 = V4::load(b.add(kk * NR));
            let b1 = V4::load(b.add(kk * NR + 4));
            let x = V4::splat(a0.add(kk));
            c00 = c00.mul_add(x, b0);
            c01 = c01.mul_add(x, b1);
            let x = V4::splat(a1.add(kk));
            c10 = c10.mul_add(x, b0);
            c11 = c11.mul_add(x, b1);
            let x = V4::splat(a2.add(kk));
            c20 = c20.mul_add(x, b0);
            c21 = c21.mul_add(x, b1);
            let x = V4::splat(a3.add(kk));
            c30 = c30.mul_add(x, b0);
            c31 = c31.mul_add(x, b1);
        }
        let (bias0, bias1) = (V4::load(bias.as_ptr()), V4::load(bias.as_ptr().add(4)));
        for (r, (lo, hi)) in [(c00, c01), (c10, c11), (c20, c21), (c30, c31)].into_iter().enumerate() {
            finish(lo.add(bias0), epilogue).store(c.add(r * ldc));
            finish(hi.add(bias1), epilogue).store(c.add(r * ldc + 4));
        }
    }
}

/// One row of A times one panel, plus bias (the rows left over by 4-row tiles).
///
/// # Safety
/// `panel` holds `a.len() × 8` floats, `bias` 8, and `c` has 8 writable floats.
#[cfg_attr(not(feature = "relaxed-simd"), inline(always))]
#[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
unsafe fn tile_1x8(a: &[f32], panel: &[f32], bias: &[f32], epilogue: Epilogue, c: *mut f32) {
    debug_assert!(panel.len() == a.len() * NR && bias.len() == NR);
    let b = panel.as_ptr();
    let (mut lo, mut hi) = (V4::zero(), V4::zero());
    unsafe {
        for (kk, x) in a.iter().enumerate() {
            let x = V4::splat(x);
            lo = lo.mul_add(x, V4::load(b.add(kk * NR)));
            hi = hi.mul_add(x, V4::load(b.add(kk * NR + 4)));
        }
        finish(lo.add(V4::load(bias.as_ptr())), epilogue).store(c);
        finish(hi.add(V4::load(bias.as_ptr().add(4))), epilogue).store(c.add(4));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::test_values as values;

    fn naive(a: &[f32], w: &[f32], bias: Option<&[f32]>, m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut c = vec![0.0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = bias.map_or(0.0, |b| b[j] as f64);
                for kk in 0..k {
                    s += a[i * k + kk] as f64 * w[kk * n + j] as f64;
                }
                c[i * n + j] = s;
            }
        }
        c
    }

    #[test]
    fn matches_naive_over_tails_and_blocks() {
        // m covers: under one tile, tile tails (m % 4 ≠ 0), several MC blocks with a ragged last.
        for &(m, k, n) in &[(1, 3, 8), (3, 17, 16), (4, 1, 8), (7, 33, 24), (64, 40, 8), (131, 65, 40)] {
            let (a, w, b) = (values(m * k, 1), values(k * n, 2), values(n, 3));
            for bias in [None, Some(&b[..])] {
                for epilogue in [Epilogue::Bias, Epilogue::BiasGelu] {
                    let got = matmul_bias(&a, &w, bias, epilogue, m, k, n);
                    let mut want = naive(&a, &w, bias, m, k, n);
                    if epilogue == Epilogue::BiasGelu {
                        want.iter_mut().for_each(|v| *v = *v * 0.5 * (1.0 + libm::erf(*v / std::f64::consts::SQRT_2)));
                    }
                    let err = got.iter().zip(&want).map(|(g, w)| (*g as f64 - w).abs()).fold(0.0, f64::max);
                    assert!(
                        err < 1e-5 * k as f64,
                        "m {m} k {k} n {n} bias {} {epilogue:?}: max error {err}",
                        bias.is_some()
                    );
                }
            }
        }
    }

    /// Strided A, a width padded to whole panels (attention: k_len is any length), strided C.
    #[test]
    fn strided_and_padded() {
        let (m, k, n, lda, ldc) = (9, 11, 13, 20, 24);
        let a = values(m * lda, 4);
        let w = values(k * n, 5);
        let packed = pack(k, n, |kk, j| w[kk * n + j]);
        assert_eq!(packed.len(), k * 16);
        let mut c = vec![f32::NAN; m * ldc];
        gemm(&a, lda, m, k, &packed, None, Epilogue::Bias, &mut c, ldc);
        let dense: Vec<f32> = (0..m).flat_map(|i| a[i * lda..i * lda + k].to_vec()).collect();
        let want = naive(&dense, &w, None, m, k, n);
        for i in 0..m {
            for j in 0..ldc {
                let got = c[i * ldc + j];
                match j {
                    j if j < n => assert!((got as f64 - want[i * n + j]).abs() < 1e-5, "c[{i}][{j}]"),
                    j if j < 16 => assert_eq!(got, 0.0, "padding column {j} of row {i}"),
                    _ => assert!(got.is_nan(), "c[{i}][{j}] past the padded width was written"),
                }
            }
        }
    }

    #[test]
    fn supported_sizes() {
        assert!(supported(384) && supported(1536) && supported(8));
        assert!(!supported(0) && !supported(12) && !supported(1));
    }
}
