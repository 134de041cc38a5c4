//! The lane operations of the int8 kernel ([`Lanes`]), one implementation per instruction set:
//!
//! - [`Pairs`], `i32x4.dot_i16x8_s` (plain simd128, every engine): activations and weights
//!   widened to i16, two consecutive k per i32 lane. Natively the x86-64 SSE2 `pmaddwd` (what V8
//!   lowers that instruction to), elsewhere plain arrays.
//! - [`Quads`], `i32x4.relaxed_dot_i8x16_i7x16_add_s` (the relaxed-SIMD build): int8 weights times
//!   activations in [0, 127] (the instruction's 7-bit operand, where every engine gives the
//!   exact sum), four consecutive k per i32 lane, half the weight bytes per product.
//!
//! Integer sums are exact, so every implementation gives the same bits; [`arrays`] has both
//! layouts on plain arrays, so native unit tests check the relaxed build's algorithm too.

/// How a kernel multiplies: `KG` consecutive k summed per i32 lane, four output columns per
/// vector. A row of activations is held as `u32` words of `KG` values each (`i16` pairs or `u8`
/// quads, little-endian), a weight vector as `4 · KG` int8 bytes: column j's `KG` values at
/// `KG · j`.
pub trait Lanes {
    const KG: usize;
    /// Four i32 accumulators.
    type Acc: Copy;
    /// One `KG`-group of k for four columns.
    type W: Copy;
    /// One row's word (`KG` activations), in every lane.
    type X: Copy;

    fn zero() -> Self::Acc;
    /// # Safety: `p` is valid for `4 · KG` reads.
    unsafe fn load_w(p: *const i8) -> Self::W;
    /// # Safety: `p` is valid for 1 read.
    unsafe fn splat(p: *const u32) -> Self::X;
    /// Lane j += Σ over the group of x · w[j].
    fn dot_add(acc: Self::Acc, x: Self::X, w: Self::W) -> Self::Acc;
    fn store(acc: Self::Acc, out: &mut [i32]);
    /// Writes activation `c` of a row, `u` in [0, 127], into a zeroed word (little-endian: the
    /// layout every implementation loads).
    #[inline(always)]
    fn put(row: &mut [u32], c: usize, u: i32) {
        row[c / Self::KG] |= (u as u32) << (32 / Self::KG * (c % Self::KG));
    }
    /// Writes activations `c..c + 8` of a row (`c` a multiple of 8): `clamp(round(x · inv) + zero,
    /// 0, 127)`, rounded to nearest, ties to even.
    ///
    /// # Safety
    /// `x` is valid for 8 reads; `row` holds at least `(c + 8) / KG` words.
    unsafe fn quantize8(x: *const f32, inv: f32, zero: i32, row: &mut [u32], c: usize);
}

use crate::kernels::simd::V4;

/// The scalar rule [`Lanes::quantize8`] vectorises.
#[inline(always)]
pub fn quantize_scalar(v: f32, inv: f32, zero: i32) -> i32 {
    ((v * inv).round_ties_even() as i32 + zero).clamp(0, 127)
}

/// The smallest and largest value of `row`, widened to include 0 (NaNs ignored).
#[inline(always)]
pub fn min_max(row: &[f32]) -> (f32, f32) {
    let chunks = row.chunks_exact(4);
    let rest = chunks.remainder();
    let (mut lo, mut hi) = (V4::zero(), V4::zero());
    for c in chunks {
        // SAFETY: c holds 4 floats.
        let v = unsafe { V4::load(c.as_ptr()) };
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let (lo, hi) = (lo.lanes(), hi.lanes());
    let fold = |init: f32, lanes: [f32; 4], pick: fn(f32, f32) -> bool| {
        lanes.into_iter().chain(rest.iter().copied()).fold(init, |m, v| if pick(v, m) { v } else { m })
    };
    (fold(0.0, lo, |v, m| v < m), fold(0.0, hi, |v, m| v > m))
}

#[cfg(any(test, not(any(target_arch = "wasm32", target_arch = "x86_64"))))]
pub mod arrays {
    //! Both layouts on plain arrays: the reference the SIMD implementations must equal, and
    //! natively the only implementation of [`Quads`](super::Lanes) the tests can run.
    use super::{Lanes, quantize_scalar};

    /// `KG` = 2 ([`super::Pairs`]' layout) or 4 ([`super::Quads`]').
    pub struct Arrays<const KG: usize>;

    impl<const KG: usize> Lanes for Arrays<KG> {
        const KG: usize = KG;
        type Acc = [i32; 4];
        type W = [[i8; KG]; 4];
        type X = [i32; KG];

        fn zero() -> [i32; 4] {
            [0; 4]
        }
        unsafe fn load_w(p: *const i8) -> Self::W {
            std::array::from_fn(|j| std::array::from_fn(|g| unsafe { *p.add(KG * j + g) }))
        }
        unsafe fn splat(p: *const u32) -> Self::X {
            let word = unsafe { *p };
            let bits = 32 / KG;
            std::array::from_fn(|g| ((word >> (bits * g)) & ((1u64 << bits) - 1) as u32) as i32)
        }
        fn dot_add(acc: [i32; 4], x: Self::X, w: Self::W) -> [i32; 4] {
            std::array::from_fn(|j| acc[j] + (0..KG).map(|g| x[g] * w[j][g] as i32).sum::<i32>())
        }
        fn store(acc: [i32; 4], out: &mut [i32]) {
            out.copy_from_slice(&acc);
        }
        unsafe fn quantize8(x: *const f32, inv: f32, zero: i32, row: &mut [u32], c: usize) {
            for i in 0..8 {
                Self::put(row, c + i, quantize_scalar(unsafe { *x.add(i) }, inv, zero));
            }
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use core::arch::wasm32::*;

    use super::Lanes;

    /// Four i32 lanes to `out`.
    #[inline(always)]
    fn store4(acc: v128, out: &mut [i32]) {
        assert!(out.len() == 4);
        // SAFETY: out holds 4 i32 (asserted).
        unsafe { v128_store(out.as_mut_ptr() as *mut v128, acc) }
    }

    /// `i32x4.dot_i16x8_s`: plain simd128.
    #[cfg(not(feature = "relaxed-simd"))]
    pub struct Pairs;

    /// `round(x · inv) + zero` for 8 values, clamped to [0, 127], as i16: adding 1.5·2^23 leaves
    /// the rounded integer in the low mantissa bits (|x · inv| ≤ 127.0x), two instructions where
    /// `f32x4.nearest` + `i32x4.trunc_sat_f32x4` are a long sequence in V8 on x64.
    #[inline(always)]
    unsafe fn quantize_i16x8(x: *const f32, inv: f32, zero: i32) -> v128 {
        let (inv, magic) = (f32x4_splat(inv), f32x4_splat(12_582_912.0));
        let bias = i32x4_splat(0x4B40_0000 - zero);
        let round = |v: v128| i32x4_sub(f32x4_add(f32x4_mul(v, inv), magic), bias);
        unsafe {
            let v = i16x8_narrow_i32x4(round(v128_load(x as *const v128)), round(v128_load(x.add(4) as *const v128)));
            i16x8_min(i16x8_max(v, i16x8_splat(0)), i16x8_splat(127))
        }
    }

    #[cfg(not(feature = "relaxed-simd"))]
    impl Lanes for Pairs {
        const KG: usize = 2;
        type Acc = v128;
        type W = v128;
        type X = v128;

        #[inline(always)]
        fn zero() -> v128 {
            i32x4_splat(0)
        }
        #[inline(always)]
        unsafe fn load_w(p: *const i8) -> v128 {
            unsafe { i16x8_load_extend_i8x8(p) }
        }
        #[inline(always)]
        unsafe fn splat(p: *const u32) -> v128 {
            unsafe { v128_load32_splat(p) }
        }
        #[inline(always)]
        fn dot_add(acc: v128, x: v128, w: v128) -> v128 {
            i32x4_add(acc, i32x4_dot_i16x8(x, w))
        }
        #[inline(always)]
        fn store(acc: v128, out: &mut [i32]) {
            store4(acc, out)
        }
        #[inline(always)]
        unsafe fn quantize8(x: *const f32, inv: f32, zero: i32, row: &mut [u32], c: usize) {
            assert!(row.len() >= (c + 8) / 2);
            unsafe { v128_store(row.as_mut_ptr().add(c / 2) as *mut v128, quantize_i16x8(x, inv, zero)) }
        }
    }

    /// `i32x4.relaxed_dot_i8x16_i7x16_add_s`: the relaxed-SIMD build. Callers are compiled with
    /// the `relaxed-simd` target feature (the tiles), else the instruction is not inlined.
    #[cfg(feature = "relaxed-simd")]
    pub struct Quads;

    #[cfg(feature = "relaxed-simd")]
    impl Lanes for Quads {
        const KG: usize = 4;
        type Acc = v128;
        type W = v128;
        type X = v128;

        #[inline(always)]
        fn zero() -> v128 {
            i32x4_splat(0)
        }
        #[inline(always)]
        unsafe fn load_w(p: *const i8) -> v128 {
            unsafe { v128_load(p as *const v128) }
        }
        #[inline(always)]
        unsafe fn splat(p: *const u32) -> v128 {
            unsafe { v128_load32_splat(p) }
        }
        /// The weights are the signed operand, the activations (in [0, 127]) the 7-bit one:
        /// exact in every engine (x64 `pmaddubsw` pair sums stay under i16's saturation).
        #[inline(always)]
        fn dot_add(acc: v128, x: v128, w: v128) -> v128 {
            i32x4_relaxed_dot_i8x16_i7x16_add(w, x, acc)
        }
        #[inline(always)]
        fn store(acc: v128, out: &mut [i32]) {
            store4(acc, out)
        }
        #[inline(always)]
        unsafe fn quantize8(x: *const f32, inv: f32, zero: i32, row: &mut [u32], c: usize) {
            assert!(row.len() >= (c + 8) / 4);
            unsafe {
                let v = quantize_i16x8(x, inv, zero);
                v128_store64_lane::<0>(u8x16_narrow_i16x8(v, v), row.as_mut_ptr().add(c / 4) as *mut u64);
            }
        }
    }
}

/// x86-64: `pmaddwd` (SSE2, in every x86-64 CPU) is `i32x4.dot_i16x8_s` — what V8 lowers it
/// to — so native runs (the CLI's int8 evaluations, the tests) are fast and give the same sums.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use core::arch::x86_64::*;

    use super::Lanes;

    pub struct Pairs;

    impl Lanes for Pairs {
        const KG: usize = 2;
        type Acc = __m128i;
        type W = __m128i;
        type X = __m128i;

        #[inline(always)]
        fn zero() -> __m128i {
            // SAFETY: SSE2 is part of x86-64.
            unsafe { _mm_setzero_si128() }
        }
        #[inline(always)]
        unsafe fn load_w(p: *const i8) -> __m128i {
            // Sign-extend 8 bytes to i16 with SSE2 alone: each byte into a word's high half, then
            // an arithmetic shift right by 8.
            unsafe {
                let v = _mm_loadl_epi64(p as *const __m128i);
                _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8)
            }
        }
        #[inline(always)]
        unsafe fn splat(p: *const u32) -> __m128i {
            unsafe { _mm_set1_epi32(*p as i32) }
        }
        #[inline(always)]
        fn dot_add(acc: __m128i, x: __m128i, w: __m128i) -> __m128i {
            // SAFETY: SSE2 is part of x86-64.
            unsafe { _mm_add_epi32(acc, _mm_madd_epi16(x, w)) }
        }
        #[inline(always)]
        fn store(acc: __m128i, out: &mut [i32]) {
            assert!(out.len() == 4);
            // SAFETY: out holds 4 i32 (asserted); SSE2 is part of x86-64.
            unsafe { _mm_storeu_si128(out.as_mut_ptr() as *mut __m128i, acc) }
        }
        /// `cvtps2dq` rounds to nearest, ties to even (the default mode); i16 min/max clamp.
        #[inline(always)]
        unsafe fn quantize8(x: *const f32, inv: f32, zero: i32, row: &mut [u32], c: usize) {
            assert!(row.len() >= (c + 8) / 2);
            unsafe {
                let (inv, zero) = (_mm_set1_ps(inv), _mm_set1_epi32(zero));
                let lo = _mm_add_epi32(_mm_cvtps_epi32(_mm_mul_ps(_mm_loadu_ps(x), inv)), zero);
                let hi = _mm_add_epi32(_mm_cvtps_epi32(_mm_mul_ps(_mm_loadu_ps(x.add(4)), inv)), zero);
                let v = _mm_min_epi16(_mm_max_epi16(_mm_packs_epi32(lo, hi), _mm_setzero_si128()), _mm_set1_epi16(127));
                _mm_storeu_si128(row.as_mut_ptr().add(c / 2) as *mut __m128i, v);
            }
        }
    }
}

/// The lanes this build multiplies with.
#[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
pub type Active = wasm::Quads;
#[cfg(all(target_arch = "wasm32", not(feature = "relaxed-simd")))]
pub type Active = wasm::Pairs;
#[cfg(target_arch = "x86_64")]
pub type Active = sse2::Pairs;
#[cfg(not(any(target_arch = "wasm32", target_arch = "x86_64")))]
pub type Active = arrays::Arrays<2>;
