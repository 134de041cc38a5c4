//! Compact weights: a `model.safetensors` rewritten with f16 or int8 weights, in the same Hub
//! layout and under the same tensor names, so that every path loads it.
//!
//! Format (recorded in the file's `__metadata__` as `"ja_rerank.dtype": "f16" | "int8"`):
//! - **f16**: every 2-D float `*.weight` (Linears, embedding tables) stored as F16; LayerNorms and
//!   biases stay F32.
//! - **int8**: the same 2-D weights stored as I8 with one F32 scale per row, in a tensor named
//!   `{name}_scale` of shape `[rows]` — per output channel for a Linear (PyTorch's `[out, in]`
//!   layout), per token for the word embeddings: `w ≈ q · scale`, `scale = max|row| / 127`,
//!   `q = round(w / scale)` (symmetric, no zero point). Position and token-type tables (a few
//!   hundred rows, read by position, not by token) are stored as f16; LayerNorms and biases F32.
//!
//! Loading dequantizes to f32 ([`dequantize`]); an I8 tensor without its scale, or a scale without
//! its tensor, is refused by name.

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

use crate::error::{Error, Result};
use crate::kernels::int8::quantize_row;

/// The `__metadata__` key that names a compact file's dtype.
pub const DTYPE_KEY: &str = "ja_rerank.dtype";
/// The suffix of an int8 tensor's per-row scales.
pub const SCALE_SUFFIX: &str = "_scale";

/// The dtype of a compact file's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compact {
    F16,
    Int8,
}

impl Compact {
    pub fn name(self) -> &'static str {
        match self {
            Compact::F16 => "f16",
            Compact::Int8 => "int8",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "f16" => Ok(Compact::F16),
            "int8" => Ok(Compact::Int8),
            other => Err(Error::InvalidInput(format!("dtype must be \"f16\" or \"int8\", not {other:?}"))),
        }
    }
}

/// Which tensors become compact: 2-D float weights, not LayerNorms.
fn is_matrix(name: &str, dtype: Dtype, shape: &[usize]) -> bool {
    shape.len() == 2 && name.ends_with(".weight") && !name.contains("LayerNorm") && is_float(dtype)
}

/// Tables looked up by position or token type: small, kept as f16 even in an int8 file.
fn is_position_table(name: &str) -> bool {
    name.ends_with("position_embeddings.weight") || name.ends_with("token_type_embeddings.weight")
}

fn is_float(dtype: Dtype) -> bool {
    matches!(dtype, Dtype::F32 | Dtype::F16 | Dtype::BF16)
}

/// Values of a float tensor as f32.
fn to_f32(view: &TensorView) -> Result<Vec<f32>> {
    super::floats(view.data(), view.dtype())
}

/// Symmetric per-row int8: `(q, scale)` with `row ≈ q · scale` ([`quantize_row`], the rule the
/// int8 kernels apply to weights and activations). A row of zeros gets scale 1.
pub fn quantize_rows(values: &[f32], width: usize) -> (Vec<i8>, Vec<f32>) {
    let mut q = Vec::with_capacity(values.len());
    let scales = values.chunks(width).map(|row| quantize_row(row, &mut q)).collect();
    (q, scales)
}

/// `q · scale` per row, as f32.
pub fn dequantize(q: &[u8], scales: &[f32]) -> Result<Vec<f32>> {
    if scales.is_empty() || !q.len().is_multiple_of(scales.len()) {
        return Err(Error::Weights(format!("{} int8 values do not make {} rows", q.len(), scales.len())));
    }
    let width = q.len() / scales.len();
    Ok(q.chunks(width).zip(scales).flat_map(|(row, s)| row.iter().map(move |&v| v as i8 as f32 * s)).collect())
}

/// The dtype a file declares in its metadata (`None`: an ordinary file).
pub fn declared(file: &[u8]) -> Result<Option<Compact>> {
    let (_, metadata) =
        SafeTensors::read_metadata(file).map_err(|e| Error::Weights(format!("cannot read the file: {e}")))?;
    match metadata.metadata().as_ref().and_then(|m| m.get(DTYPE_KEY)) {
        None => Ok(None),
        Some(name) => Compact::parse(name).map(Some).map_err(|_| {
            Error::Weights(format!("the file's {DTYPE_KEY} is {name:?}: this version reads \"f16\" and \"int8\""))
        }),
    }
}

/// `model.safetensors` bytes → the same model with compact weights (format above).
pub fn convert(file: &[u8], to: Compact) -> Result<Vec<u8>> {
    if declared(file)?.is_some() {
        return Err(Error::InvalidInput("the file is already compact: convert the f32 original".into()));
    }
    let st = SafeTensors::deserialize(file).map_err(|e| Error::Weights(format!("cannot read the file: {e}")))?;
    let mut out: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, view) in st.tensors() {
        let shape = view.shape().to_vec();
        if !is_matrix(&name, view.dtype(), &shape) {
            out.push((name, view.dtype(), shape, view.data().to_vec()));
        } else if to == Compact::Int8 && !is_position_table(&name) {
            let (q, scales) = quantize_rows(&to_f32(&view)?, shape[1]);
            out.push((
                format!("{name}{SCALE_SUFFIX}"),
                Dtype::F32,
                vec![shape[0]],
                bytemuck::cast_slice(&scales).to_vec(),
            ));
            out.push((name, Dtype::I8, shape, bytemuck::cast_slice(&q).to_vec()));
        } else {
            let halves: Vec<u16> = to_f32(&view)?.iter().map(|&v| half::f16::from_f32(v).to_bits()).collect();
            out.push((name, Dtype::F16, shape, bytemuck::cast_slice(&halves).to_vec()));
        }
    }
    let views: Vec<(String, TensorView)> = out
        .iter()
        .map(|(n, dtype, shape, data)| {
            Ok((n.clone(), TensorView::new(*dtype, shape.clone(), data).map_err(|e| Error::Weights(e.to_string()))?))
        })
        .collect::<Result<_>>()?;
    let metadata = std::collections::HashMap::from([(DTYPE_KEY.to_string(), to.name().to_string())]);
    safetensors::serialize(views, Some(metadata)).map_err(|e| Error::Weights(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_within_half_a_step() {
        let values = [0.5f32, -1.0, 0.25, 0.0, 0.0, 0.0, 3.0, 2.9, -0.01];
        let (q, scales) = quantize_rows(&values, 3);
        assert_eq!(scales.len(), 3);
        assert_eq!(scales[1], 1.0, "a zero row keeps scale 1");
        assert_eq!(q[1], -127, "the row's largest magnitude maps to ±127");
        let back = dequantize(bytemuck::cast_slice(&q), &scales).unwrap();
        for (i, (a, b)) in values.iter().zip(&back).enumerate() {
            assert!((a - b).abs() <= scales[i / 3] / 2.0 + 1e-7, "{i}: {a} vs {b}");
        }
        assert!(matches!(dequantize(&[1, 2, 3], &[1.0, 1.0]), Err(Error::Weights(_))));
    }
}
