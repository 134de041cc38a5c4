//! The lane operations of the int8 kernel, one implementation per target: wasm simd128 (what
//! ships), x86-64 SSE2 (`pmaddwd` is what V8 lowers `i32x4.dot_i16x8_s` to, so native runs are
//! fast and give the same sums), and plain arrays elsewhere. Each gives the same bits.

pub use imp::*;

#[cfg(target_arch = "wasm32")]
mod imp {
    use core::arch::wasm32::*;

    use crate::kernels::simd::V4;

    /// Four i32 accumulators.
    #[derive(Clone, Copy)]
    pub struct I4(v128);
    /// Eight int8 weights widened to i16: two k of four columns.
    #[derive(Clone, Copy)]
    pub struct W8(v128);
    /// One row's two consecutive x values as i16, in every lane pair.
    #[derive(Clone, Copy)]
    pub struct Pair(v128);

    impl I4 {
        #[inline(always)]
        pub fn zero() -> Self {
            I4(i32x4_splat(0))
        }
        /// Lane j += x0·w[2j] + x1·w[2j+1].
        #[inline(always)]
        pub fn dot_add(self, x: Pair, w: W8) -> Self {
            I4(i32x4_add(self.0, i32x4_dot_i16x8(x.0, w.0)))
        }
        #[inline(always)]
        pub fn store(self, out: &mut [i32]) {
            assert!(out.len() == 4);
            // SAFETY: out holds 4 i32 (asserted).
            unsafe { v128_store(out.as_mut_ptr() as *mut v128, self.0) }
        }
    }

    impl W8 {
        /// # Safety: `p` is valid for 8 reads.
        #[inline(always)]
        pub unsafe fn load(p: *const i8) -> Self {
            W8(unsafe { i16x8_load_extend_i8x8(p) })
        }
    }

    impl Pair {
        /// # Safety: `p` is valid for 1 read.
        #[inline(always)]
        pub unsafe fn load_splat(p: *const u32) -> Self {
            Pair(unsafe { v128_load32_splat(p) })
        }
    }

    #[inline(always)]
    pub fn to_f32(acc: &[i32]) -> V4 {
        assert!(acc.len() == 4);
        // SAFETY: acc holds 4 i32 (asserted).
        V4::convert_i32(unsafe { v128_load(acc.as_ptr() as *const v128) })
    }

    /// max |v| over `row` (NaNs ignored, as `f32x4.pmax` does).
    #[inline(always)]
    pub fn abs_max(row: &[f32]) -> f32 {
        let chunks = row.chunks_exact(4);
        let rest = chunks.remainder();
        let mut m = f32x4_splat(0.0);
        for c in chunks {
            // SAFETY: c holds 4 floats.
            m = f32x4_pmax(m, f32x4_abs(unsafe { v128_load(c.as_ptr() as *const v128) }));
        }
        let lanes = [f32x4_extract_lane::<0>(m), f32x4_extract_lane::<1>(m), f32x4_extract_lane::<2>(m), f32x4_extract_lane::<3>(m)];
        lanes.into_iter().chain(rest.iter().map(|v| v.abs())).fold(0.0, |m, v| if m < v { v } else { m })
    }

    /// `round(x[i] · inv)` for 8 values, to nearest, ties to even: adding 1.5·2^23 leaves the
    /// rounded integer in the low mantissa bits (|x · inv| ≤ 127.0x), two instructions where
    /// `f32x4.nearest` + `i32x4.trunc_sat_f32x4` are a long sequence in V8 on x64.
    ///
    /// # Safety
    /// `x` is valid for 8 reads, `out` for 8 writes.
    #[inline(always)]
    pub unsafe fn quantize8(x: *const f32, inv: f32, out: *mut i16) {
        let (inv, magic) = (f32x4_splat(inv), f32x4_splat(12_582_912.0));
        let bias = i32x4_splat(0x4B40_0000);
        let round = |v: v128| i32x4_sub(f32x4_add(f32x4_mul(v, inv), magic), bias);
        unsafe {
            let lo = round(v128_load(x as *const v128));
            let hi = round(v128_load(x.add(4) as *const v128));
            v128_store(out as *mut v128, i16x8_narrow_i32x4(lo, hi));
        }
    }
}

/// x86-64: `pmaddwd` (SSE2, in every x86-64 CPU) is `i32x4.dot_i16x8_s` — what V8 lowers it
/// to — so native runs (the CLI's int8 evaluations, the tests) are fast and give the same sums.
#[cfg(target_arch = "x86_64")]
mod imp {
    use core::arch::x86_64::*;

    use crate::kernels::simd::V4;

    #[derive(Clone, Copy)]
    pub struct I4(__m128i);
    #[derive(Clone, Copy)]
    pub struct W8(__m128i);
    #[derive(Clone, Copy)]
    pub struct Pair(__m128i);

    impl I4 {
        #[inline(always)]
        pub fn zero() -> Self {
            // SAFETY: SSE2 is part of x86-64.
            I4(unsafe { _mm_setzero_si128() })
        }
        #[inline(always)]
        pub fn dot_add(self, x: Pair, w: W8) -> Self {
            // SAFETY: SSE2 is part of x86-64.
            I4(unsafe { _mm_add_epi32(self.0, _mm_madd_epi16(x.0, w.0)) })
        }
        #[inline(always)]
        pub fn store(self, out: &mut [i32]) {
            assert!(out.len() == 4);
            // SAFETY: out holds 4 i32 (asserted); SSE2 is part of x86-64.
            unsafe { _mm_storeu_si128(out.as_mut_ptr() as *mut __m128i, self.0) }
        }
    }

    impl W8 {
        /// # Safety: `p` is valid for 8 reads.
        #[inline(always)]
        pub unsafe fn load(p: *const i8) -> Self {
            // Sign-extend 8 bytes to i16 with SSE2 alone: each byte into a word's high half, then
            // an arithmetic shift right by 8.
            unsafe {
                let v = _mm_loadl_epi64(p as *const __m128i);
                W8(_mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8))
            }
        }
    }

    impl Pair {
        /// # Safety: `p` is valid for 1 read.
        #[inline(always)]
        pub unsafe fn load_splat(p: *const u32) -> Self {
            // SAFETY: the caller's; SSE2 is part of x86-64.
            Pair(unsafe { _mm_set1_epi32(*p as i32) })
        }
    }

    #[inline(always)]
    pub fn to_f32(acc: &[i32]) -> V4 {
        V4::convert_i32([acc[0], acc[1], acc[2], acc[3]])
    }

    /// max |v| over `row`, NaNs ignored (`maxps(v, m)` keeps m when v is NaN, as wasm's pmax).
    #[inline(always)]
    pub fn abs_max(row: &[f32]) -> f32 {
        let chunks = row.chunks_exact(4);
        let rest = chunks.remainder();
        // SAFETY: SSE2 is part of x86-64; each chunk holds 4 floats.
        let lanes: [f32; 4] = unsafe {
            let mask = _mm_castsi128_ps(_mm_set1_epi32(0x7FFF_FFFF));
            let mut m = _mm_setzero_ps();
            for c in chunks {
                m = _mm_max_ps(_mm_and_ps(_mm_loadu_ps(c.as_ptr()), mask), m);
            }
            std::mem::transmute(m)
        };
        lanes.into_iter().chain(rest.iter().map(|v| v.abs())).fold(0.0, |m, v| if m < v { v } else { m })
    }

    /// `round(x[i] · inv)` for 8 values, to nearest, ties to even (`cvtps2dq` under the default
    /// rounding mode), saturated to i16 as wasm's narrow does.
    ///
    /// # Safety
    /// `x` is valid for 8 reads, `out` for 8 writes.
    #[inline(always)]
    pub unsafe fn quantize8(x: *const f32, inv: f32, out: *mut i16) {
        unsafe {
            let inv = _mm_set1_ps(inv);
            let lo = _mm_cvtps_epi32(_mm_mul_ps(_mm_loadu_ps(x), inv));
            let hi = _mm_cvtps_epi32(_mm_mul_ps(_mm_loadu_ps(x.add(4)), inv));
            _mm_storeu_si128(out as *mut __m128i, _mm_packs_epi32(lo, hi));
        }
    }
}

#[cfg(not(any(target_arch = "wasm32", target_arch = "x86_64")))]
mod imp {
    //! The same operations on plain arrays, so that native tests run the wasm algorithm.
    use crate::kernels::simd::V4;

    #[derive(Clone, Copy)]
    pub struct I4([i32; 4]);
    #[derive(Clone, Copy)]
    pub struct W8([i16; 8]);
    #[derive(Clone, Copy)]
    pub struct Pair([i16; 2]);

    impl I4 {
        pub fn zero() -> Self {
            I4([0; 4])
        }
        pub fn dot_add(self, x: Pair, w: W8) -> Self {
            let [x0, x1] = x.0.map(i32::from);
            I4(std::array::from_fn(|j| self.0[j] + x0 * w.0[2 * j] as i32 + x1 * w.0[2 * j + 1] as i32))
        }
        pub fn store(self, out: &mut [i32]) {
            out.copy_from_slice(&self.0);
        }
    }

    impl W8 {
        /// # Safety: `p` is valid for 8 reads.
        pub unsafe fn load(p: *const i8) -> Self {
            W8(std::array::from_fn(|i| unsafe { *p.add(i) } as i16))
        }
    }

    impl Pair {
        /// # Safety: `p` is valid for 1 read.
        pub unsafe fn load_splat(p: *const u32) -> Self {
            let pair = unsafe { *p };
            Pair([pair as u16 as i16, (pair >> 16) as u16 as i16])
        }
    }

    pub fn to_f32(acc: &[i32]) -> V4 {
        V4::convert_i32([acc[0], acc[1], acc[2], acc[3]])
    }

    pub fn abs_max(row: &[f32]) -> f32 {
        row.iter().map(|v| v.abs()).fold(0.0, |m, v| if m < v { v } else { m })
    }

    /// # Safety
    /// `x` is valid for 8 reads, `out` for 8 writes.
    pub unsafe fn quantize8(x: *const f32, inv: f32, out: *mut i16) {
        for i in 0..8 {
            unsafe { *out.add(i) = crate::kernels::int8::quantize_scalar(*x.add(i), inv) };
        }
    }
}
