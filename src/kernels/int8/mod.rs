//! The matmul of every `Linear` under precision "int8": `x · W + b` with int8 × int8 products
//! summed in i32, then scaled back to f32.
//!
//! - W is quantized once per model instance, per output column (symmetric, `max|w| / 127`: the
//!   rule of `ja-rerank convert --dtype int8`, [`quantize_row`], so a converted file's int8 values
//!   come back unchanged) and packed into panels of 8 columns.
//! - x is quantized per row on every call (dynamic quantization, the same rule).
//! - The product uses `i32x4.dot_i16x8_s` (plain simd128, every engine): the int8 values are
//!   widened to i16 on load (`i16x8.load8x8_s`), and one instruction multiplies two consecutive
//!   k of four columns and adds the pairs. Integer sums are exact, so the result does not depend
//!   on the order of the k loop: natively the same algorithm on arrays gives the same bits.
//! - `y = f32(acc) · (scale_x · scale_w) + b`, then GELU where fused, as [`super::gemm`].
//!
//! Range: |q| ≤ 127, so a pair sums to at most 32,258 and k up to 66,000 fits i32.

mod lanes;

use super::gemm::Epilogue;
use super::simd::{V4, gelu};

const NR: usize = 8;
const MR: usize = 4;
/// Rows of x per cache block, as in [`super::gemm`].
const MC: usize = 64;

/// Quantizes `row` symmetrically to int8 (appended to `out`); returns the scale, `max|v| / 127`
/// (1 for an all-zero row). `q = round(v / scale)`, ties away from zero.
pub fn quantize_row(row: &[f32], out: &mut Vec<i8>) -> f32 {
    let max = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    out.extend(row.iter().map(|v| (v / scale).round().clamp(-127.0, 127.0) as i8));
    scale
}

/// A weight matrix `[k, n]` quantized per column and packed for [`matmul`].
#[derive(Debug, Clone)]
pub struct PackedInt8 {
    k: usize,
    n: usize,
    /// Panel p, k-pair t: 16 bytes, `w[2t][j], w[2t+1][j]` for j = 8p..8p+4, then for 8p+4..8p+8.
    data: Vec<i8>,
    /// Per column, padded with zeros to whole panels.
    scales: Vec<f32>,
}

impl PackedInt8 {
    /// Quantizes and packs `[k, n]` given by `get(row, col)`.
    pub fn new(k: usize, n: usize, get: impl Fn(usize, usize) -> f32) -> Self {
        assert!(k > 0 && n > 0);
        let mut q = Vec::with_capacity(k * n);
        let mut scales = Vec::with_capacity(n);
        let mut column = Vec::with_capacity(k);
        for j in 0..n {
            column.clear();
            column.extend((0..k).map(|kk| get(kk, j)));
            scales.push(quantize_row(&column, &mut q));
        }
        Self::from_quantized(k, n, &q, &scales)
    }

    /// Packs `[k, n]` given already quantized, column by column: column j is `q[j·k..(j+1)·k]`
    /// with scale `scales[j]` — a PyTorch `Linear` weight `[n, k]` row by row, as an int8 file
    /// stores it (`crate::load::compact`), so loading one never makes an f32 copy.
    pub fn from_quantized(k: usize, n: usize, q: &[i8], scales: &[f32]) -> Self {
        assert!(k > 0 && n > 0 && q.len() == k * n && scales.len() == n);
        let (k2, n8) = (k.div_ceil(2), n.div_ceil(NR) * NR);
        let mut data = vec![0i8; k2 * 2 * n8];
        for (j, column) in q.chunks_exact(k).enumerate() {
            let (p, jj) = (j / NR, j % NR);
            for (kk, &v) in column.iter().enumerate() {
                data[(p * k2 + kk / 2) * 16 + 2 * jj + kk % 2] = v;
            }
        }
        let mut scales = scales.to_vec();
        scales.resize(n8, 0.0);
        Self { k, n, data, scales }
    }

    /// `[k, n]`: inputs and outputs.
    pub fn dims(&self) -> [usize; 2] {
        [self.k, self.n]
    }

    /// Bytes held (the int8 panels and their scales).
    pub fn bytes(&self) -> usize {
        self.data.len() + 4 * self.scales.len()
    }
}

/// x `[m, k]` quantized per row, as i16 pairs packed in u32 (`q[2t] | q[2t+1] << 16`).
struct QuantizedRows {
    pairs: Vec<u32>,
    scales: Vec<f32>,
    k2: usize,
}

/// Quantizes the activations `x` `[m, k]` per row: scale `max|x| / 127`, `q = x · (127 / max)`
/// rounded to nearest, ties to even — vectorised (a scalar division and `round` per value cost a
/// quarter of the int8 matmul's time in V8), and the same in every lane implementation.
fn quantize_rows(x: &[f32], m: usize, k: usize) -> QuantizedRows {
    let k2 = k.div_ceil(2);
    let mut pairs = vec![0u32; m * k2];
    let mut scales = Vec::with_capacity(m);
    let full = k / 8 * 8;
    for (row, dst) in x.chunks_exact(k).zip(pairs.chunks_exact_mut(k2)) {
        let max = lanes::abs_max(row);
        let (scale, inv) = if max > 0.0 { (max / 127.0, 127.0 / max) } else { (1.0, 0.0) };
        scales.push(scale);
        // The row's 2·k2 i16 values, the last one 0 when k is odd (u32 is aligned for i16).
        let q = dst.as_mut_ptr() as *mut i16;
        for c in (0..full).step_by(8) {
            // SAFETY: c + 8 ≤ k values of the row; dst holds 2·k2 ≥ k i16.
            unsafe { lanes::quantize8(row.as_ptr().add(c), inv, q.add(c)) };
        }
        for (c, &v) in row.iter().enumerate().skip(full) {
            // SAFETY: c < k ≤ 2·k2.
            unsafe { *q.add(c) = quantize_scalar(v, inv) };
        }
    }
    QuantizedRows { pairs, scales, k2 }
}

/// One activation, as [`lanes::quantize8`] does eight.
#[inline(always)]
fn quantize_scalar(v: f32, inv: f32) -> i16 {
    (v * inv).round_ties_even() as i16
}

/// `epilogue(x · W + bias)` for x `[m, k]` row-major, bias `[n]`; returns `[m, n]`. Panics unless
/// `x.len() == m × k` and `bias.len() == n` for W's k and n (callers check).
pub fn matmul(x: &[f32], m: usize, w: &PackedInt8, bias: Option<&[f32]>, epilogue: Epilogue) -> Vec<f32> {
    let (k, n) = (w.k, w.n);
    assert!(x.len() == m * k && bias.is_none_or(|b| b.len() == n));
    let n8 = w.scales.len();
    let mut padded_bias = vec![0.0f32; n8];
    if let Some(b) = bias {
        padded_bias[..n].copy_from_slice(b);
    }
    let a = quantize_rows(x, m, k);
    let mut c = vec![0.0f32; m * n8];
    // Row blocks write disjoint rows of c: with a thread pool they run in parallel.
    let block = |i0: usize, c: &mut [f32]| {
        let i1 = (i0 + MC).min(m);
        let k2 = a.k2;
        for p in 0..n8 / NR {
            let panel = &w.data[p * k2 * 16..(p + 1) * k2 * 16];
            let cols = p * NR..p * NR + NR;
            let (sw, bias) = (&w.scales[cols.clone()], &padded_bias[cols]);
            let mut i = i0;
            while i < i1 {
                let rows = (i1 - i).min(MR);
                let mut acc = [[0i32; NR]; MR];
                if rows == MR {
                    tile_4x8(&a.pairs[i * k2..(i + MR) * k2], k2, panel, &mut acc);
                } else {
                    for r in 0..rows {
                        tile_1x8(&a.pairs[(i + r) * k2..(i + r + 1) * k2], panel, &mut acc[r]);
                    }
                }
                for (r, acc) in acc.iter().enumerate().take(rows) {
                    let out = &mut c[(i + r - i0) * n8 + p * NR..][..NR];
                    finish(acc, a.scales[i + r], sw, bias, epilogue, out);
                }
                i += rows;
            }
        }
    };
    let blocks: Vec<_> =
        c.chunks_mut(MC * n8).enumerate().map(|(j, c)| (j * MC, c)).take_while(|(i0, _)| *i0 < m).collect();
    crate::parallel::map_tasks(blocks, |(i0, c)| block(i0, c));
    if n8 != n {
        c = c.chunks_exact(n8).flat_map(|row| row[..n].to_vec()).collect();
    }
    c
}

/// `out = epilogue(f32(acc) · (sx · sw) + bias)`, eight columns.
#[inline(always)]
fn finish(acc: &[i32; NR], sx: f32, sw: &[f32], bias: &[f32], epilogue: Epilogue, out: &mut [f32]) {
    let sx = V4::constant(sx);
    for h in 0..2 {
        // SAFETY: sw, bias and out hold 8 floats (one panel's columns).
        unsafe {
            let scale = sx.mul(V4::load(sw.as_ptr().add(4 * h)));
            let v = lanes::to_f32(&acc[4 * h..4 * h + 4]).mul(scale).add(V4::load(bias.as_ptr().add(4 * h)));
            let v = if epilogue == Epilogue::BiasGelu { gelu(v) } else { v };
            v.store(out.as_mut_ptr().add(4 * h));
        }
    }
}

/// Four rows of pairs (`k2` apart) times one panel, into `acc`.
#[inline(always)]
fn tile_4x8(a: &[u32], k2: usize, panel: &[i8], acc: &mut [[i32; NR]; MR]) {
    assert!(a.len() == MR * k2 && panel.len() == k2 * 16);
    let z = lanes::I4::zero();
    let (mut c00, mut c01, mut c10, mut c11, mut c20, mut c21, mut c30, mut c31) = (z, z, z, z, z, z, z, z);
    // Raw pointers: the bounds are asserted once above, not per k (as in the f32 tiles).
    let (w, a0) = (panel.as_ptr(), a.as_ptr());
    // SAFETY: rows r = 0..4 hold k2 pairs each at a0 + r·k2, the panel 16 bytes per pair.
    unsafe {
        let (a1, a2, a3) = (a0.add(k2), a0.add(2 * k2), a0.add(3 * k2));
        for t in 0..k2 {
            let (w0, w1) = (lanes::W8::load(w.add(t * 16)), lanes::W8::load(w.add(t * 16 + 8)));
            let x = lanes::Pair::load_splat(a0.add(t));
            c00 = c00.dot_add(x, w0);
            c01 = c01.dot_add(x, w1);
            let x = lanes::Pair::load_splat(a1.add(t));
            c10 = c10.dot_add(x, w0);
            c11 = c11.dot_add(x, w1);
            let x = lanes::Pair::load_splat(a2.add(t));
            c20 = c20.dot_add(x, w0);
            c21 = c21.dot_add(x, w1);
            let x = lanes::Pair::load_splat(a3.add(t));
            c30 = c30.dot_add(x, w0);
            c31 = c31.dot_add(x, w1);
        }
    }
    for (r, (lo, hi)) in [(c00, c01), (c10, c11), (c20, c21), (c30, c31)].into_iter().enumerate() {
        lo.store(&mut acc[r][..4]);
        hi.store(&mut acc[r][4..]);
    }
}

/// One row of pairs times one panel (the rows left over by 4-row tiles).
#[inline(always)]
fn tile_1x8(a: &[u32], panel: &[i8], acc: &mut [i32; NR]) {
    assert!(panel.len() == a.len() * 16);
    let (mut lo, mut hi) = (lanes::I4::zero(), lanes::I4::zero());
    let w = panel.as_ptr();
    for t in 0..a.len() {
        // SAFETY: as in tile_4x8, for one row.
        unsafe {
            let (w0, w1) = (lanes::W8::load(w.add(t * 16)), lanes::W8::load(w.add(t * 16 + 8)));
            let x = lanes::Pair::load_splat(a.as_ptr().add(t));
            lo = lo.dot_add(x, w0);
            hi = hi.dot_add(x, w1);
        }
    }
    lo.store(&mut acc[..4]);
    hi.store(&mut acc[4..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::test_values as values;

    /// The scalar reference: quantize as documented, sum in i64, scale as `finish` does.
    fn reference(x: &[f32], w: &[f32], bias: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut wq = vec![0i8; k * n];
        let mut sw = vec![0.0f32; n];
        for j in 0..n {
            let column: Vec<f32> = (0..k).map(|kk| w[kk * n + j]).collect();
            let mut q = Vec::new();
            sw[j] = quantize_row(&column, &mut q);
            (0..k).for_each(|kk| wq[kk * n + j] = q[kk]);
        }
        reference_stored(x, &wq, &sw, bias, m, k, n)
    }

    /// The same with W given as int8 values `wq` `[k, n]` and per-column scales.
    fn reference_stored(x: &[f32], wq: &[i8], sw: &[f32], bias: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut y = vec![0.0f32; m * n];
        for i in 0..m {
            // Activations: scale max/127, q = round_ties_even(x · 127/max).
            let row = &x[i * k..(i + 1) * k];
            let max = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let (sx, inv) = if max > 0.0 { (max / 127.0, 127.0 / max) } else { (1.0, 0.0) };
            let xq: Vec<i8> = row.iter().map(|v| (v * inv).round_ties_even() as i8).collect();
            for j in 0..n {
                let acc: i64 = (0..k).map(|kk| xq[kk] as i64 * wq[kk * n + j] as i64).sum();
                y[i * n + j] = acc as i32 as f32 * (sx * sw[j]) + bias[j];
            }
        }
        y
    }

    #[test]
    fn equals_the_scalar_reference_bit_for_bit() {
        // m: tile tails and several MC blocks; k: odd (a padded pair); n: a padded panel.
        for &(m, k, n) in &[(1, 1, 8), (3, 17, 16), (4, 2, 8), (7, 33, 24), (64, 40, 8), (131, 65, 40), (5, 384, 13)] {
            let (x, w, b) = (values(m * k, 11), values(k * n, 12), values(n, 13));
            let packed = PackedInt8::new(k, n, |kk, j| w[kk * n + j]);
            let got = matmul(&x, m, &packed, Some(&b), Epilogue::Bias);
            let want = reference(&x, &w, &b, m, k, n);
            assert_eq!(got.len(), want.len());
            for (i, (g, r)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g.to_bits(), r.to_bits(), "m {m} k {k} n {n}: element {i}: {g} vs {r}");
            }
            let gelu = matmul(&x, m, &packed, Some(&b), Epilogue::BiasGelu);
            for (g, r) in gelu.iter().zip(&want) {
                let r = *r as f64;
                let exact = r * 0.5 * (1.0 + libm::erf(r / std::f64::consts::SQRT_2));
                assert!((*g as f64 - exact).abs() < 1e-6, "m {m} k {k} n {n}: gelu {g} vs {exact}");
            }
        }
    }

    #[test]
    fn stored_int8_values_are_multiplied_as_stored() {
        // An int8 file's weights are packed as the file holds them (rows = output columns), also
        // where a row's largest value is not ±127 (what quantizing again would make it).
        for &(m, k, n) in &[(5, 33, 13), (9, 384, 16)] {
            let x = values(m * k, 41);
            let rows: Vec<i8> = values(k * n, 42).iter().map(|v| (v * 90.0).round() as i8).collect();
            let scales: Vec<f32> = values(n, 43).iter().map(|v| 0.001 + v.abs() * 0.01).collect();
            let b = values(n, 44);
            let packed = PackedInt8::from_quantized(k, n, &rows, &scales);
            let got = matmul(&x, m, &packed, Some(&b), Epilogue::Bias);
            let wq: Vec<i8> = (0..k * n).map(|i| rows[(i % n) * k + i / n]).collect();
            let want = reference_stored(&x, &wq, &scales, &b, m, k, n);
            for (i, (g, r)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g.to_bits(), r.to_bits(), "m {m} k {k} n {n}: element {i}: {g} vs {r}");
            }
        }
    }

    #[test]
    fn dequantized_values_requantize_unchanged() {
        // An int8 file's weights (q · scale, dequantized as they load) packed again for the
        // kernel give back the file's int8 values: its scores are those of the file.
        let w = values(4096, 31);
        for row in w.chunks(64) {
            let mut q = Vec::new();
            let scale = quantize_row(row, &mut q);
            let dequantized: Vec<f32> = q.iter().map(|&v| v as f32 * scale).collect();
            let mut again = Vec::new();
            let scale_again = quantize_row(&dequantized, &mut again);
            assert_eq!(q, again);
            assert!((scale - scale_again).abs() <= f32::EPSILON * scale, "{scale} vs {scale_again}");
        }
    }

    #[test]
    fn large_values_do_not_overflow_and_zero_rows_stay_zero() {
        // Every product at ±127², k = 1536 (small-v1's widest): the i32 sums stay exact.
        let (m, k, n) = (5, 1536, 8);
        let mut x = vec![1.0f32; m * k];
        x[k..2 * k].iter_mut().for_each(|v| *v = 0.0); // row 1: all zeros
        let w = vec![-1.0f32; k * n];
        let packed = PackedInt8::new(k, n, |kk, j| w[kk * n + j]);
        let y = matmul(&x, m, &packed, None, Epilogue::Bias);
        for i in 0..m {
            let want = if i == 1 { 0.0 } else { -(k as f32) };
            assert!(y[i * n..(i + 1) * n].iter().all(|v| *v == want), "row {i}: {:?}", &y[i * n..i * n + 2]);
        }
    }

    #[test]
    fn close_to_the_f32_product() {
        // Quantization error, not arithmetic: relative to the outputs' scale, a few percent at most.
        let (m, k, n) = (9, 384, 32);
        let (x, w) = (values(m * k, 21), values(k * n, 22));
        let packed = PackedInt8::new(k, n, |kk, j| w[kk * n + j]);
        let got = matmul(&x, m, &packed, None, Epilogue::Bias);
        let exact = crate::kernels::gemm::matmul_bias(&x, &w, None, Epilogue::Bias, m, k, n);
        let scale = exact.iter().fold(0.0f32, |s, v| s.max(v.abs()));
        let err = got.iter().zip(&exact).map(|(g, e)| (g - e).abs()).fold(0.0f32, f32::max);
        assert!(err < 0.02 * scale, "max error {err} at output scale {scale}");
        assert!(err > 0.0, "int8 products equal to f32 ones: the quantization did not happen");
    }
}
