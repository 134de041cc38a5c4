//! The matmul of every `Linear` under precision "int8": `x · W + b` with int8 × int8 products
//! summed in i32, then scaled back to f32.
//!
//! - W is quantized once per model instance, per output column (symmetric, `max|w| / 127`: the
//!   rule of `ja-rerank convert --dtype int8`, [`quantize_row`], so a converted file's int8 values
//!   come back unchanged) and packed into panels of 8 columns.
//! - x is quantized per row on every call (dynamic quantization), asymmetrically to [0, 127]:
//!   scale `(max − min) / 127` over the row's range widened to include 0, zero point
//!   `z = round(−min / scale)`, `u = clamp(round(x / scale) + z, 0, 127)`. Seven bits rather than
//!   eight, so that the relaxed-SIMD build's `i32x4.relaxed_dot_i8x16_i7x16_add_s` (whose second
//!   operand must be in [0, 127] to be exact in every engine) computes the same sums as plain
//!   simd128; a range that is not centred on 0 (GELU outputs) keeps most of its resolution.
//!   Its cost in ranking quality is measured (README, "Precision").
//! - `Σ (u − z) · w = Σ u · w − z · Σ w`: the column sums of W are kept with it. The products go
//!   through [`lanes`]: `i32x4.dot_i16x8_s` two k at a time (plain simd128, every engine), or
//!   the relaxed dot four k at a time. Integer sums are exact, so the result does not depend on
//!   the instruction or the order of the k loop: natively the same algorithm on arrays (or SSE2)
//!   gives the same bits.
//! - `y = f32(acc) · (scale_x · scale_w) + b`, then GELU where fused, as [`super::gemm`].
//!
//! Range: |w| ≤ 127 and u ≤ 127, so a pair sums to at most 32,258 (the relaxed instruction's
//! i16 step does not saturate) and k up to 66,000 fits i32.

mod lanes;

use lanes::{Active, Lanes};

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
    /// The lanes' group of k (`Lanes::KG`) this was packed for.
    kg: usize,
    /// Panel p, group t of `kg` consecutive k: `8 · kg` bytes, column j's `kg` values at
    /// `kg · j` (columns 8p..8p+8).
    data: Vec<i8>,
    /// Per column, padded with zeros to whole panels.
    scales: Vec<f32>,
    /// Σ_k w per column (the zero point's correction), padded likewise.
    sums: Vec<i32>,
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
        Self::pack::<Active>(k, n, q, scales)
    }

    fn pack<L: Lanes>(k: usize, n: usize, q: &[i8], scales: &[f32]) -> Self {
        assert!(k > 0 && n > 0 && q.len() == k * n && scales.len() == n);
        let kg = L::KG;
        let (groups, n8) = (k.div_ceil(kg), n.div_ceil(NR) * NR);
        let mut data = vec![0i8; groups * kg * n8];
        let mut sums = vec![0i32; n8];
        for (j, column) in q.chunks_exact(k).enumerate() {
            let (p, jj) = (j / NR, j % NR);
            for (kk, &v) in column.iter().enumerate() {
                data[(p * groups + kk / kg) * NR * kg + kg * jj + kk % kg] = v;
            }
            sums[j] = column.iter().map(|&v| v as i32).sum();
        }
        let mut scales = scales.to_vec();
        scales.resize(n8, 0.0);
        Self { k, n, kg, data, scales, sums }
    }

    /// `[k, n]`: inputs and outputs.
    pub fn dims(&self) -> [usize; 2] {
        [self.k, self.n]
    }

    /// Bytes held (the int8 panels, their scales and column sums).
    pub fn bytes(&self) -> usize {
        self.data.len() + 4 * self.scales.len() + 4 * self.sums.len()
    }
}

/// x `[m, k]` quantized per row to [0, 127], as the lanes hold it: `words` per row, `KG` values each.
struct QuantizedRows {
    words: Vec<u32>,
    scales: Vec<f32>,
    zeros: Vec<i32>,
    /// Words per row.
    kw: usize,
}

/// Quantizes the activations `x` `[m, k]` per row (the rule in the module's documentation),
/// vectorised: a scalar division and `round` per value cost a quarter of the int8 matmul's time
/// in V8. `u = round(x · (127 / range)) + z` is the same in every lane implementation.
fn quantize_rows<L: Lanes>(x: &[f32], m: usize, k: usize) -> QuantizedRows {
    let kw = k.div_ceil(L::KG);
    let mut words = vec![0u32; m * kw];
    let (mut scales, mut zeros) = (Vec::with_capacity(m), Vec::with_capacity(m));
    let full = k / 8 * 8;
    for (row, dst) in x.chunks_exact(k).zip(words.chunks_exact_mut(kw)) {
        let (min, max) = lanes::min_max(row);
        let range = max - min;
        let (scale, inv) = if range > 0.0 { (range / 127.0, 127.0 / range) } else { (1.0, 0.0) };
        let zero = (-min * inv).round_ties_even() as i32;
        scales.push(scale);
        zeros.push(zero);
        for c in (0..full).step_by(8) {
            // SAFETY: c + 8 ≤ k values of the row; dst holds kw · KG ≥ k values.
            unsafe { L::quantize8(row.as_ptr().add(c), inv, zero, dst, c) };
        }
        for (c, &v) in row.iter().enumerate().skip(full) {
            L::put(dst, c, lanes::quantize_scalar(v, inv, zero));
        }
    }
    QuantizedRows { words, scales, zeros, kw }
}

/// `epilogue(x · W + bias)` for x `[m, k]` row-major, bias `[n]`; returns `[m, n]`. Panics unless
/// `x.len() == m × k` and `bias.len() == n` for W's k and n (callers check).
pub fn matmul(x: &[f32], m: usize, w: &PackedInt8, bias: Option<&[f32]>, epilogue: Epilogue) -> Vec<f32> {
    matmul_with::<Active>(x, m, w, bias, epilogue)
}

fn matmul_with<L: Lanes>(x: &[f32], m: usize, w: &PackedInt8, bias: Option<&[f32]>, epilogue: Epilogue) -> Vec<f32> {
    let (k, n) = (w.k, w.n);
    assert!(x.len() == m * k && bias.is_none_or(|b| b.len() == n) && w.kg == L::KG);
    let n8 = w.scales.len();
    let mut padded_bias = vec![0.0f32; n8];
    if let Some(b) = bias {
        padded_bias[..n].copy_from_slice(b);
    }
    let a = quantize_rows::<L>(x, m, k);
    let mut c = vec![0.0f32; m * n8];
    // Row blocks write disjoint rows of c: with a thread pool they run in parallel.
    let block = |i0: usize, c: &mut [f32]| {
        let i1 = (i0 + MC).min(m);
        let (kw, step) = (a.kw, NR * L::KG);
        for p in 0..n8 / NR {
            let panel = &w.data[p * kw * step..(p + 1) * kw * step];
            let cols = p * NR..p * NR + NR;
            let (sw, sums, bias) = (&w.scales[cols.clone()], &w.sums[cols.clone()], &padded_bias[cols]);
            let mut i = i0;
            while i < i1 {
                let rows = (i1 - i).min(MR);
                let mut acc = [[0i32; NR]; MR];
                if rows == MR {
                    // SAFETY: the lanes are this build's (or, in tests, arrays).
                    unsafe { tile_4x8::<L>(&a.words[i * kw..(i + MR) * kw], kw, panel, &mut acc) };
                } else {
                    for r in 0..rows {
                        // SAFETY: as above.
                        unsafe { tile_1x8::<L>(&a.words[(i + r) * kw..(i + r + 1) * kw], panel, &mut acc[r]) };
                    }
                }
                for (r, acc) in acc.iter_mut().enumerate().take(rows) {
                    let zero = a.zeros[i + r];
                    acc.iter_mut().zip(sums).for_each(|(v, s)| *v -= zero * s);
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
            let v = to_f32(&acc[4 * h..4 * h + 4]).mul(scale).add(V4::load(bias.as_ptr().add(4 * h)));
            let v = if epilogue == Epilogue::BiasGelu { gelu(v) } else { v };
            v.store(out.as_mut_ptr().add(4 * h));
        }
    }
}

#[inline(always)]
fn to_f32(acc: &[i32]) -> V4 {
    #[cfg(target_arch = "wasm32")]
    {
        assert!(acc.len() == 4);
        // SAFETY: acc holds 4 i32 (asserted).
        V4::convert_i32(unsafe { core::arch::wasm32::v128_load(acc.as_ptr() as *const core::arch::wasm32::v128) })
    }
    #[cfg(not(target_arch = "wasm32"))]
    V4::convert_i32([acc[0], acc[1], acc[2], acc[3]])
}

/// Four rows of words (`kw` apart) times one panel, into `acc`.
///
/// # Safety
/// `L`'s instructions are available (in the relaxed-SIMD build this function is compiled with
/// them; every caller runs in that build).
#[cfg_attr(not(feature = "relaxed-simd"), inline(always))]
#[cfg_attr(all(target_arch = "wasm32", feature = "relaxed-simd"), target_feature(enable = "relaxed-simd"))]
unsafe fn tile_4x8<L: Lanes>(a: &[u32], kw: usize, panel: &[i8], acc: &mut [[i32; NR]; MR]) {
    let (step, half) = (NR * L::KG, 4 * L::KG);
    assert!(a.len() == MR * kw && panel.len() == kw * step);
    let z = L::zero();
    let (mut c00, mut c01, mut c10, mut c11, mut c20, mut c21, mut c30, mut c31) = (z, z, z, z, z, z, z, z);
    // Raw pointers: the bounds are asserted once above, not per k (as in the f32 tiles).
    let (w, a0) = (panel.as_ptr(), a.as_ptr());
    // SAFETY: rows r = 0..4 hold kw words each at a0 + r·kw, the panel `step` bytes per word.
    unsafe {
        let (a1, a2, a3) = (a0.add(kw), a0.add(2 * kw), a0.add(3 * kw));
        for t in 0..kw {
            let (w0, w1) = (L::load_w(w.add(t * step)), L::load_w(w.add(t * step + half)));
            let x = L::splat(a0.add(t));
            c00 = L::dot_add(c00, x, w0);
            c01 = L::dot_add(c01, x, w1);
            let x = L::splat(a1.add(t));
            c10 = L::dot_add(c10, x, w0);
            c11 = L::dot_add(c11, x, w1);
            let x = L::splat(a2.add(t));
            c20 = L::dot_add(c20, x, w0);
            c21 = L::dot_add(c21, x, w1);
            let x = L::splat(a3.add(t));
            c30 = L::dot_add(c30, x, w0);
            c31 = L::dot_add(c31, x, w1);
        }
    }
    for (r, (lo, hi)) in [(c00, c01), (c10, c11), (c20, c21), (c30, c31)].into_iter().enumerate() {
        L::store(lo, &mut acc[r][..4]);
        L::store(hi, &mut acc[r][4..]);
    }
}

/// One row of words times one panel (the rows left over by 4-row tiles).
///
/// # Safety
/// As [`tile_4x8`].
#[cfg_attr(not(feature = "relaxed-simd"), inline(always))]
#[cfg_attr(all(target_arch = "wasm32", feature = "relaxed-simd"), target_feature(enable = "relaxed-simd"))]
unsafe fn tile_1x8<L: Lanes>(a: &[u32], panel: &[i8], acc: &mut [i32; NR]) {
    let (step, half) = (NR * L::KG, 4 * L::KG);
    assert!(panel.len() == a.len() * step);
    let (mut lo, mut hi) = (L::zero(), L::zero());
    let w = panel.as_ptr();
    for t in 0..a.len() {
        // SAFETY: as in tile_4x8, for one row.
        unsafe {
            let (w0, w1) = (L::load_w(w.add(t * step)), L::load_w(w.add(t * step + half)));
            let x = L::splat(a.as_ptr().add(t));
            lo = L::dot_add(lo, x, w0);
            hi = L::dot_add(hi, x, w1);
        }
    }
    L::store(lo, &mut acc[..4]);
    L::store(hi, &mut acc[4..]);
}

#[cfg(test)]
mod tests;
