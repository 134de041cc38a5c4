//! The int8 kernel against a scalar reference, with every lane implementation natively at hand.

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
        // Activations: range [min(0, x), max(0, x)], scale range/127, zero point
        // round(−min · 127/range), u = clamp(round_ties_even(x · 127/range) + z, 0, 127).
        let row = &x[i * k..(i + 1) * k];
        let min = row.iter().fold(0.0f32, |m, &v| m.min(v));
        let max = row.iter().fold(0.0f32, |m, &v| m.max(v));
        let range = max - min;
        let (sx, inv) = if range > 0.0 { (range / 127.0, 127.0 / range) } else { (1.0, 0.0) };
        let z = (-min * inv).round_ties_even() as i64;
        let xq: Vec<i64> =
            row.iter().map(|v| ((v * inv).round_ties_even() as i64 + z).clamp(0, 127) - z).collect();
        for j in 0..n {
            let acc: i64 = (0..k).map(|kk| xq[kk] * wq[kk * n + j] as i64).sum();
            y[i * n + j] = acc as i32 as f32 * (sx * sw[j]) + bias[j];
        }
    }
    y
}

/// `matmul` with each lane implementation natively at hand: this build's, and both layouts
/// on arrays (the relaxed-SIMD build's quads run natively only so).
fn every_lanes(x: &[f32], m: usize, k: usize, n: usize, q: &[i8], scales: &[f32], b: &[f32], e: Epilogue) -> Vec<(&'static str, Vec<f32>)> {
    use lanes::arrays::Arrays;
    vec![
        ("active", matmul(x, m, &PackedInt8::pack::<Active>(k, n, q, scales), Some(b), e)),
        ("pairs", matmul_with::<Arrays<2>>(x, m, &PackedInt8::pack::<Arrays<2>>(k, n, q, scales), Some(b), e)),
        ("quads", matmul_with::<Arrays<4>>(x, m, &PackedInt8::pack::<Arrays<4>>(k, n, q, scales), Some(b), e)),
    ]
}

/// Column-major int8 values and scales of `w` `[k, n]`, as `PackedInt8::new` quantizes it.
fn quantize_columns(w: &[f32], k: usize, n: usize) -> (Vec<i8>, Vec<f32>) {
    let (mut q, mut scales) = (Vec::new(), Vec::new());
    for j in 0..n {
        let column: Vec<f32> = (0..k).map(|kk| w[kk * n + j]).collect();
        scales.push(quantize_row(&column, &mut q));
    }
    (q, scales)
}

#[test]
fn equals_the_scalar_reference_bit_for_bit() {
    // m: tile tails and several MC blocks; k: odd and not a multiple of 4 (padded groups),
    // below and above 8 (the vector quantizer's tail); n: a padded panel. Rows all positive,
    // all negative, mixed and zero (zero points 0, 127, in between, none).
    for &(m, k, n) in &[(1, 1, 8), (3, 17, 16), (4, 2, 8), (7, 33, 24), (64, 40, 8), (131, 65, 40), (5, 384, 13), (6, 30, 8)] {
        let (mut x, w, b) = (values(m * k, 11), values(k * n, 12), values(n, 13));
        if m >= 6 {
            x[..k].iter_mut().for_each(|v| *v = v.abs() + 0.5);
            x[k..2 * k].iter_mut().for_each(|v| *v = -v.abs());
            x[2 * k..3 * k].iter_mut().for_each(|v| *v = 0.0);
        }
        let (q, scales) = quantize_columns(&w, k, n);
        let want = reference(&x, &w, &b, m, k, n);
        for (lanes, got) in every_lanes(&x, m, k, n, &q, &scales, &b, Epilogue::Bias) {
            assert_eq!(got.len(), want.len());
            for (i, (g, r)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g.to_bits(), r.to_bits(), "{lanes}: m {m} k {k} n {n}: element {i}: {g} vs {r}");
            }
        }
        for (lanes, gelu) in every_lanes(&x, m, k, n, &q, &scales, &b, Epilogue::BiasGelu) {
            for (g, r) in gelu.iter().zip(&want) {
                let r = *r as f64;
                let exact = r * 0.5 * (1.0 + libm::erf(r / std::f64::consts::SQRT_2));
                assert!((*g as f64 - exact).abs() < 1e-6, "{lanes}: m {m} k {k} n {n}: gelu {g} vs {exact}");
            }
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
        let wq: Vec<i8> = (0..k * n).map(|i| rows[(i % n) * k + i / n]).collect();
        let want = reference_stored(&x, &wq, &scales, &b, m, k, n);
        for (lanes, got) in every_lanes(&x, m, k, n, &rows, &scales, &b, Epilogue::Bias) {
            for (i, (g, r)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g.to_bits(), r.to_bits(), "{lanes}: m {m} k {k} n {n}: element {i}: {g} vs {r}");
            }
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
    // Every product at 127 · ±127 (u = 127 against w = ±127: the relaxed instruction's i16
    // pair sums at their largest), k = 1536 (small-v1's widest): the i32 sums stay exact.
    let (m, k, n) = (5, 1536, 8);
    let mut x = vec![1.0f32; m * k];
    x[k..2 * k].iter_mut().for_each(|v| *v = 0.0); // row 1: all zeros
    x[3 * k..4 * k].iter_mut().for_each(|v| *v = -1.0); // row 3: u = 0, zero point 127
    let mut q = vec![-127i8; k * n];
    q[k..2 * k].iter_mut().for_each(|v| *v = 127); // column 1
    let scales = vec![1.0 / 127.0; n];
    for (lanes, y) in every_lanes(&x, m, k, n, &q, &scales, &[0.0; 8], Epilogue::Bias) {
        for i in 0..m {
            let sign = match i {
                1 => 0.0,
                3 => -1.0,
                _ => 1.0,
            };
            for j in 0..n {
                let want = sign * if j == 1 { k as f32 } else { -(k as f32) };
                assert_eq!(y[i * n + j], want, "{lanes}: row {i} column {j}");
            }
        }
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
