//! Four-lane f32 arithmetic for the wasm CPU fast paths: `v128` simd128 in wasm, a plain array
//! elsewhere (so that native unit tests run the same algorithms), plus the vectorised elementwise
//! functions the model needs: erf/GELU (fused into a matmul) and exp/softmax (attention).

#[cfg(target_arch = "wasm32")]
mod v4 {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct V4(v128);

    impl V4 {
        #[inline(always)]
        pub fn zero() -> Self {
            V4(f32x4_splat(0.0))
        }
        /// # Safety: `p` is valid for 4 reads.
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            V4(unsafe { v128_load(p as *const v128) })
        }
        /// # Safety: `p` is valid for 1 read.
        #[inline(always)]
        pub unsafe fn splat(p: *const f32) -> Self {
            V4(unsafe { v128_load32_splat(p as *const u32) })
        }
        /// # Safety: `p` is valid for 4 writes.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            unsafe { v128_store(p as *mut v128, self.0) }
        }
        /// `self + a·b`, rounded twice (simd128 has no fused multiply-add).
        #[cfg(not(feature = "relaxed-simd"))]
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            V4(f32x4_add(self.0, f32x4_mul(a.0, b.0)))
        }
        /// `self + a·b`, fused where the engine has FMA (relaxed SIMD lets it choose; both
        /// roundings are within the scores' tolerance). Only for callers compiled with the
        /// `relaxed-simd` target feature (the gemm tiles): elsewhere the intrinsic is not inlined.
        #[cfg(feature = "relaxed-simd")]
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            V4(f32x4_relaxed_madd(a.0, b.0, self.0))
        }
        #[inline(always)]
        pub fn add(self, b: Self) -> Self {
            V4(f32x4_add(self.0, b.0))
        }
        #[inline(always)]
        pub fn mul(self, b: Self) -> Self {
            V4(f32x4_mul(self.0, b.0))
        }
        #[inline(always)]
        pub fn div(self, b: Self) -> Self {
            V4(f32x4_div(self.0, b.0))
        }
        #[inline(always)]
        pub fn clamp(self, lo: f32, hi: f32) -> Self {
            V4(f32x4_pmin(f32x4_pmax(self.0, f32x4_splat(lo)), f32x4_splat(hi)))
        }
        #[inline(always)]
        pub fn constant(v: f32) -> Self {
            V4(f32x4_splat(v))
        }
        #[inline(always)]
        pub fn sub(self, b: Self) -> Self {
            V4(f32x4_sub(self.0, b.0))
        }
        /// Round to nearest, ties to even.
        #[inline(always)]
        pub fn round(self) -> Self {
            V4(f32x4_nearest(self.0))
        }
        /// 2^n for integral n in [-126, 127], built from the exponent bits. Adding 1.5·2^23
        /// puts n in the low mantissa bits (bits 0x4B40_0000 + n): two instructions, where
        /// `i32x4.trunc_sat_f32x4` is a long saturating sequence in V8 on x64.
        #[inline(always)]
        pub fn pow2(self) -> Self {
            let bits = f32x4_add(self.0, f32x4_splat(12_582_912.0));
            V4(i32x4_shl(i32x4_add(bits, i32x4_splat(127 - 0x4B40_0000)), 23))
        }
        /// Lane-wise `if self < b { b } else { self }` (`f32x4.pmax`: one instruction, no NaN rules).
        #[inline(always)]
        pub fn max(self, b: Self) -> Self {
            V4(f32x4_pmax(self.0, b.0))
        }
        /// Lane-wise `if b < self { b } else { self }` (`f32x4.pmin`).
        #[inline(always)]
        pub fn min(self, b: Self) -> Self {
            V4(f32x4_pmin(self.0, b.0))
        }
        /// `self`, with the lanes where `x < lo` set to 0 (`f32x4.lt` and `v128.andnot`).
        #[inline(always)]
        pub fn zero_where_below(self, x: Self, lo: f32) -> Self {
            V4(v128_andnot(self.0, f32x4_lt(x.0, f32x4_splat(lo))))
        }
        /// Four i32 lanes (an `i32x4`) converted to f32, rounding to nearest.
        #[inline(always)]
        pub fn convert_i32(v: v128) -> Self {
            V4(f32x4_convert_i32x4(v))
        }
        #[inline(always)]
        pub fn lanes(self) -> [f32; 4] {
            [f32x4_extract_lane::<0>(self.0), f32x4_extract_lane::<1>(self.0), f32x4_extract_lane::<2>(self.0), f32x4_extract_lane::<3>(self.0)]
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod v4 {
    /// The same operations on a plain array: lets native tests check the blocking and the tails.
    #[derive(Clone, Copy)]
    pub struct V4([f32; 4]);

    impl V4 {
        pub fn zero() -> Self {
            V4([0.0; 4])
        }
        pub unsafe fn load(p: *const f32) -> Self {
            V4(unsafe { [*p, *p.add(1), *p.add(2), *p.add(3)] })
        }
        pub unsafe fn splat(p: *const f32) -> Self {
            V4([unsafe { *p }; 4])
        }
        pub unsafe fn store(self, p: *mut f32) {
            for (i, v) in self.0.into_iter().enumerate() {
                unsafe { *p.add(i) = v };
            }
        }
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            V4(std::array::from_fn(|i| self.0[i] + a.0[i] * b.0[i]))
        }
        pub fn add(self, b: Self) -> Self {
            V4(std::array::from_fn(|i| self.0[i] + b.0[i]))
        }
        pub fn mul(self, b: Self) -> Self {
            V4(std::array::from_fn(|i| self.0[i] * b.0[i]))
        }
        pub fn div(self, b: Self) -> Self {
            V4(std::array::from_fn(|i| self.0[i] / b.0[i]))
        }
        pub fn clamp(self, lo: f32, hi: f32) -> Self {
            V4(self.0.map(|v| v.max(lo).min(hi)))
        }
        pub fn constant(v: f32) -> Self {
            V4([v; 4])
        }
        pub fn sub(self, b: Self) -> Self {
            V4(std::array::from_fn(|i| self.0[i] - b.0[i]))
        }
        pub fn round(self) -> Self {
            V4(self.0.map(f32::round_ties_even))
        }
        pub fn pow2(self) -> Self {
            V4(self.0.map(|n| f32::from_bits(((n as i32 + 127) as u32) << 23)))
        }
        pub fn max(self, b: Self) -> Self {
            V4(std::array::from_fn(|i| if self.0[i] < b.0[i] { b.0[i] } else { self.0[i] }))
        }
        pub fn min(self, b: Self) -> Self {
            V4(std::array::from_fn(|i| if b.0[i] < self.0[i] { b.0[i] } else { self.0[i] }))
        }
        pub fn convert_i32(v: [i32; 4]) -> Self {
            V4(v.map(|x| x as f32))
        }
        pub fn zero_where_below(self, x: Self, lo: f32) -> Self {
            V4(std::array::from_fn(|i| if x.0[i] < lo { 0.0 } else { self.0[i] }))
        }
        pub fn lanes(self) -> [f32; 4] {
            self.0
        }
    }
}

pub use v4::V4;

/// erf(x) as a rational function of x on [-4, 4] (erf is ±1 to f32 beyond): the float
/// approximation of Eigen and XLA. Max |error| 4.2e-7 against `math.erf` over [-6, 6] in f32
/// arithmetic (libm's `erff` is ~6e-8): within f32 rounding noise after 12 LayerNorms.
#[allow(clippy::excessive_precision)] // the published f32 coefficients, verbatim
#[inline(always)]
pub fn erf(x: V4) -> V4 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x.mul(x);
    let c = V4::constant;
    let p = c(-2.72614225801306e-10);
    let p = p.mul(x2).add(c(2.77068142495902e-08));
    let p = p.mul(x2).add(c(-2.10102402082508e-06));
    let p = p.mul(x2).add(c(-5.69250639462346e-05));
    let p = p.mul(x2).add(c(-7.34990630326855e-04));
    let p = p.mul(x2).add(c(-2.95459980854025e-03));
    let p = p.mul(x2).add(c(-1.60960333262415e-02));
    let q = c(-1.45660718464996e-05);
    let q = q.mul(x2).add(c(-2.13374055278905e-04));
    let q = q.mul(x2).add(c(-1.68282697438203e-03));
    let q = q.mul(x2).add(c(-7.37332916720468e-03));
    let q = q.mul(x2).add(c(-1.42647390514189e-02));
    x.mul(p).div(q)
}

/// `x · ½ · (1 + erf(x / √2))`, as HF's `gelu` (`nn.functional.gelu`, approximate = "none").
#[inline(always)]
pub fn gelu(x: V4) -> V4 {
    let e = erf(x.mul(V4::constant(std::f32::consts::FRAC_1_SQRT_2)));
    x.mul(V4::constant(0.5)).mul(V4::constant(1.0).add(e))
}

/// e^x, Cephes' `expf` (range reduction by ln 2, degree-6 polynomial), ≤ 2 ulp on
/// [-87.3, 88.7]; below that 0 (where f32's e^x is denormal or 0): a masked score's weight is
/// exactly 0, as PyTorch's. A denormal weight (e^-87.3 ≈ 1.2e-38, what clamping alone gives)
/// made every P·V multiply by it a slow path on x86 — ModernBERT's windowed attention, mostly
/// masked, ran 30× slower (BENCHMARKS.md, the v2 rows).
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients, verbatim
pub fn exp(x: V4) -> V4 {
    let c = V4::constant;
    let input = x;
    let x = x.clamp(-87.336_55, 88.722_83);
    let n = x.mul(c(std::f32::consts::LOG2_E)).round();
    let r = x.sub(n.mul(c(0.693_359_4))).sub(n.mul(c(-2.121_944_4e-4)));
    let z = r.mul(r);
    // Horner steps as multiply-adds: fused in the relaxed-simd build, as Cephes intends.
    let y = c(1.987_569_1e-4);
    let y = c(1.398_199_9e-3).mul_add(y, r);
    let y = c(8.333_452e-3).mul_add(y, r);
    let y = c(4.166_579_6e-2).mul_add(y, r);
    let y = c(1.666_666_5e-1).mul_add(y, r);
    let y = c(5.000_000_1e-1).mul_add(y, r);
    let y = r.mul_add(y, z).add(c(1.0));
    y.mul(n.pow2()).zero_where_below(input, -87.336_55)
}

/// Softmax over each row of `rows` (`row_len` values each), in place: `e^(x − max) / Σ`.
pub fn softmax_rows(rows: &mut [f32], row_len: usize) {
    assert!(row_len > 0 && rows.len().is_multiple_of(row_len));
    for row in rows.chunks_exact_mut(row_len) {
        let scale = exp_shifted(row);
        scale_row(row, scale);
    }
}

/// The unnormalised half of a softmax: `row ← e^(row − max(row))`; returns `1 / Σ row`, so the
/// caller can normalise later, e.g. the 32 outputs of `P·V` rather than the whole row of P.
/// Max and sum run in four lanes (a scalar `f32::max` fold is a NaN-handling sequence per
/// element in V8, and a scalar sum a serial chain); the last `len % 4` values go one by one.
#[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
pub fn exp_shifted(row: &mut [f32]) -> f32 {
    assert!(!row.is_empty());
    let (body, rest) = row.split_at_mut(row.len() / 4 * 4);
    let mut lanes = V4::constant(f32::NEG_INFINITY);
    for chunk in body.chunks_exact(4) {
        // SAFETY: `chunk` has 4 floats.
        lanes = lanes.max(unsafe { V4::load(chunk.as_ptr()) });
    }
    let max = lanes.lanes().into_iter().chain(rest.iter().copied()).fold(f32::NEG_INFINITY, f32::max);
    let max = V4::constant(max);
    let mut sums = V4::zero();
    for chunk in body.chunks_exact_mut(4) {
        // SAFETY: `chunk` has 4 floats.
        unsafe {
            let e = exp(V4::load(chunk.as_ptr()).sub(max));
            e.store(chunk.as_mut_ptr());
            sums = sums.add(e);
        }
    }
    if !rest.is_empty() {
        let mut tail = [0.0f32; 4];
        tail[..rest.len()].copy_from_slice(rest);
        // SAFETY: `tail` has 4 floats.
        unsafe { exp(V4::load(tail.as_ptr()).sub(max)).store(tail.as_mut_ptr()) };
        rest.copy_from_slice(&tail[..rest.len()]);
    }
    1.0 / (sums.lanes().iter().sum::<f32>() + rest.iter().sum::<f32>())
}

/// `row ← row · scale`.
pub fn scale_row(row: &mut [f32], scale: f32) {
    let (body, rest) = row.split_at_mut(row.len() / 4 * 4);
    let factor = V4::constant(scale);
    for chunk in body.chunks_exact_mut(4) {
        // SAFETY: `chunk` has 4 floats.
        unsafe { V4::load(chunk.as_ptr()).mul(factor).store(chunk.as_mut_ptr()) };
    }
    rest.iter_mut().for_each(|v| *v *= scale);
}

/// `out ← gelu(input) · gate` element by element (a GeGLU's gated activation, [`gelu`]'s
/// exact-erf GELU).
pub fn gelu_gate(input: &[f32], gate: &[f32], out: &mut [f32]) {
    assert!(input.len() == gate.len() && out.len() == input.len());
    let body = input.len() / 4 * 4;
    for i in (0..body).step_by(4) {
        // SAFETY: `i + 4 <= body <= len` for all three slices.
        unsafe { gelu(V4::load(input.as_ptr().add(i))).mul(V4::load(gate.as_ptr().add(i))).store(out.as_mut_ptr().add(i)) };
    }
    if body < input.len() {
        let (mut x, mut g, mut y) = ([0.0f32; 4], [0.0f32; 4], [0.0f32; 4]);
        let rest = input.len() - body;
        x[..rest].copy_from_slice(&input[body..]);
        g[..rest].copy_from_slice(&gate[body..]);
        // SAFETY: each array has 4 floats.
        unsafe { gelu(V4::load(x.as_ptr())).mul(V4::load(g.as_ptr())).store(y.as_mut_ptr()) };
        out[body..].copy_from_slice(&y[..rest]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_reference() {
        let mut worst = 0.0f64;
        for i in -6000..=6000 {
            let x = i as f32 / 1000.0;
            let mut out = [0.0f32; 4];
            // SAFETY: `out` has 4 floats.
            unsafe { erf(V4::constant(x)).store(out.as_mut_ptr()) };
            worst = worst.max((out[0] as f64 - libm::erf(x as f64)).abs());
        }
        assert!(worst < 5e-7, "max |erf error| {worst}");
    }

    #[test]
    fn exp_matches_std() {
        let mut worst = 0.0f64;
        for i in -87_000..=88_000 {
            let x = i as f32 / 1000.0;
            let mut out = [0.0f32; 4];
            // SAFETY: `out` has 4 floats.
            unsafe { exp(V4::constant(x)).store(out.as_mut_ptr()) };
            let want = (x as f64).exp();
            worst = worst.max((out[0] as f64 - want).abs() / want);
        }
        assert!(worst < 3e-7, "max relative exp error {worst}");
        let mut out = [1.0f32; 4];
        // SAFETY: `out` has 4 floats.
        unsafe { exp(V4::constant(f32::MIN)).store(out.as_mut_ptr()) };
        assert_eq!(out[0], 0.0, "e^MIN must be 0, not a denormal (a slow path in every later multiply)");
        // SAFETY: `out` has 4 floats.
        unsafe { exp(V4::constant(-88.0)).store(out.as_mut_ptr()) };
        assert_eq!(out[0], 0.0, "e^-88 is denormal in f32: flushed");
    }

    #[test]
    fn softmax_matches_f64() {
        for row_len in [1, 3, 4, 7, 130] {
            let mut rows: Vec<f32> = (0..3 * row_len).map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.7).collect();
            if row_len > 1 {
                rows[1] = f32::MIN; // a masked position
            }
            let want: Vec<f64> = rows
                .chunks(row_len)
                .flat_map(|r| {
                    let max = r.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
                    let e: Vec<f64> = r.iter().map(|&v| (v as f64 - max).exp()).collect();
                    let s: f64 = e.iter().sum();
                    e.into_iter().map(move |v| v / s)
                })
                .collect();
            softmax_rows(&mut rows, row_len);
            let err = rows.iter().zip(&want).map(|(g, w)| (*g as f64 - w).abs()).fold(0.0, f64::max);
            assert!(err < 1e-6, "row_len {row_len}: max error {err}");
        }
    }

    #[test]
    fn gelu_gate_is_gelu_times_the_gate_to_the_reference() {
        let x: Vec<f32> = (0..1003).map(|i| (i as f32 - 500.0) / 90.0).collect();
        let g: Vec<f32> = (0..1003).map(|i| ((i * 7919) % 211) as f32 / 50.0 - 2.0).collect();
        let mut out = vec![0.0f32; 1003];
        gelu_gate(&x, &g, &mut out);
        let worst = x.iter().zip(&g).zip(&out).map(|((&x, &g), &y)| {
            let want = x as f64 * 0.5 * (1.0 + libm::erf(x as f64 / std::f64::consts::SQRT_2)) * g as f64;
            (y as f64 - want).abs()
        });
        let worst = worst.fold(0.0, f64::max);
        assert!(worst < 3e-6, "max |error| {worst}");
    }
}
