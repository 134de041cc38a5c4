//! `model.safetensors` bytes → a family's burn module, mechanically: tensors are matched by name
//! (the module's fields are named like the checkpoint's tensors; [`Naming`] holds a family's few
//! renames). No filesystem here: the browser hands us bytes from `fetch`, the whole file or the
//! byte ranges of the tensors a model needs now ([`Tensors::from_parts`]).
//!
//! The header is read by [`Header`] and each tensor handed to burn-store's `apply` as a zero-copy
//! view of the one file buffer. PyTorch stores a `Linear` weight as `[out, in]` and burn as
//! `[in, out]`: those are transposed here, in place in the buffer (one tensor's scratch at a
//! time), so the model's weights stay views of it; the adapter ([`NormNames`]) then only renames
//! LayerNorm weight/bias → gamma/beta. (burn-store's PyTorch adapter transposes into copies while
//! the buffer stays alive, twice the weights in memory — README, "Models"; its `SafetensorsStore`
//! copies every tensor, which for small-v1 tripled peak wasm memory.) The buffer is a [`WeightBytes`], allocated with burn's maximum alignment, because
//! burn copies a plain `Vec<u8>` into an aligned one first.

use burn::module::Module;
use burn::store::burn_pack::Tensor as PackTensor;
use burn::store::{FloatCastAdapter, ModuleAdapter, ModuleContext, ModuleSnapshot};
use burn::tensor::{DType, TensorData};
use safetensors::Dtype;

use super::compact::{self, SCALE_SUFFIX};
use super::{Header, WeightBytes};
use crate::error::{Error, Result};

/// How a family's module paths relate to its checkpoint's tensor names.
pub struct Naming {
    /// Name prefixes of the tensors the module reads. A tensor under one of these that the module
    /// does not expect means the file and `config.json` disagree (more layers than configured,
    /// say), so it is an error; anything else in the file (an LM head, a pooler) is ignored.
    pub prefixes: &'static [&'static str],
    /// Name endings of non-parameter buffers some exports persist (`position_ids`); never weights.
    pub buffers: &'static [&'static str],
    /// `(file, module)` name fragments that differ, where Rust forbids the file's name
    /// (`.attention.self.` is `.attention.self_.`: `self` is a keyword).
    pub renames: &'static [(&'static str, &'static str)],
}

impl Naming {
    /// Whether the module reads tensor `name` (the file's name).
    pub fn reads(&self, name: &str) -> bool {
        self.prefixes.iter().any(|p| name.starts_with(p)) && !self.buffers.iter().any(|b| name.ends_with(b))
    }

    fn to_module(&self, name: &str) -> String {
        self.renames.iter().fold(name.to_string(), |n, (file, module)| n.replace(file, module))
    }

    /// Our module path → the tensor's name in the file, so messages name what users can grep for.
    pub(crate) fn to_file(&self, path: &str) -> String {
        // burn's LayerNorm names its parameters gamma / beta; checkpoints, weight / bias.
        let name = match (path.strip_suffix(".gamma"), path.strip_suffix(".beta")) {
            (Some(norm), _) => format!("{norm}.weight"),
            (_, Some(norm)) => format!("{norm}.bias"),
            _ => path.to_string(),
        };
        self.renames.iter().fold(name, |n, (file, module)| n.replace(module, file))
    }
}

fn burn_dtype(dtype: Dtype) -> Option<DType> {
    Some(match dtype {
        Dtype::F64 => DType::F64,
        Dtype::F32 => DType::F32,
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        Dtype::I64 => DType::I64,
        Dtype::I32 => DType::I32,
        Dtype::I16 => DType::I16,
        Dtype::I8 => DType::I8,
        Dtype::U8 => DType::U8,
        Dtype::BOOL => DType::Bool(burn::tensor::BoolStore::Native),
        _ => return None,
    })
}

/// The tensors of a weights file as zero-copy views, named as the family's module names them.
pub struct Tensors {
    tensors: Vec<PackTensor>,
    /// int8 tensors the caller asked to keep as int8 ([`Self::take_int8`]).
    int8: Vec<Int8Tensor>,
}

/// An int8 tensor as the file stores it (format: [`compact`]): `shape[0]` rows of `shape[1]`
/// values, one f32 scale per row (a PyTorch `Linear` weight: a row per output channel).
pub struct Int8Tensor {
    /// The module's name for it.
    pub name: String,
    /// The file's name, for messages.
    pub file_name: String,
    pub shape: Vec<usize>,
    pub values: Vec<i8>,
    pub scales: Vec<f32>,
}

/// Which int8 tensors (by module name) to keep as int8 instead of dequantizing them to f32.
pub type KeepInt8<'a> = &'a dyn Fn(&str) -> bool;

impl Tensors {
    /// Validates the whole file (header, offsets, and that the buffer holds every byte they
    /// promise), then views each tensor the module reads.
    pub fn read(file: WeightBytes, naming: &Naming, keep_int8: KeepInt8) -> Result<Self> {
        let header = Header::parse_file(file.as_bytes())?;
        Self::from_parts(&header, vec![(0, file)], naming, keep_int8)
    }

    /// Views of the tensors the module reads that lie inside `parts` (each part: its offset in
    /// the file and its bytes, e.g. the ranges of [`Header::ranges`]). Tensors in no part are
    /// left out (a table whose rows come later); the caller says so to [`Self::apply_to`].
    /// int8 tensors are dequantized to f32, except those `keep_int8` names, which wait as the
    /// file stores them for [`Self::take_int8`].
    pub fn from_parts(
        header: &Header,
        parts: Vec<(u64, WeightBytes)>,
        naming: &Naming,
        keep_int8: KeepInt8,
    ) -> Result<Self> {
        let (dequantized, int8) = read_int8_parts(header, &parts, naming, keep_int8)?;
        let mut parts = parts;
        for t in header.tensors().iter().filter(|t| naming.reads(&t.name) && is_linear_weight(&t.name, &t.shape)) {
            let Some(width) = float_width(t.dtype) else { continue };
            if let Some((offset, bytes)) = parts.iter_mut().find(|(o, b)| *o <= t.bytes.start && t.bytes.end <= o + b.len() as u64) {
                let range = (t.bytes.start - *offset) as usize..(t.bytes.end - *offset) as usize;
                transpose_in_place(&mut bytes.as_bytes_mut()[range], t.shape[0], t.shape[1], width);
            }
        }
        let parts: Vec<(u64, u64, _)> =
            parts.into_iter().map(|(offset, bytes)| (offset, offset + bytes.len() as u64, bytes.into_burn())).collect();
        let mut tensors = Vec::new();
        for t in header.tensors().iter().filter(|t| naming.reads(&t.name)) {
            // int8 tensors arrive dequantized (below). Their scales stay as read, for a table whose
            // rows come later ([`Self::take_f32`]); the module does not read them.
            if t.dtype == Dtype::I8 {
                continue;
            }
            let Some(dtype) = burn_dtype(t.dtype) else {
                return Err(Error::Weights(format!("tensor '{}' has unsupported dtype {:?}", t.name, t.dtype)));
            };
            let Some((offset, _, bytes)) =
                parts.iter().find(|(start, end, _)| *start <= t.bytes.start && t.bytes.end <= *end)
            else {
                continue;
            };
            let (start, end) = ((t.bytes.start - offset) as usize, (t.bytes.end - offset) as usize);
            let view = bytes
                .view(start, end)
                .map_err(|e| Error::Weights(format!("cannot read the file: tensor '{}': {e:?}", t.name)))?;
            tensors.push(PackTensor::new(naming.to_module(&t.name), dtype, burn_shape(&t.name, &t.shape), None, view));
        }
        for (name, shape, mut bytes) in dequantized {
            if is_linear_weight(&name, &shape) {
                transpose_in_place(bytes.as_bytes_mut(), shape[0], shape[1], 4);
            }
            let shape = burn_shape(&name, &shape);
            let len = bytes.len();
            let view = bytes.into_burn().view(0, len).map_err(|e| Error::Weights(format!("tensor '{name}': {e:?}")))?;
            tensors.push(PackTensor::new(naming.to_module(&name), DType::F32, shape, None, view));
        }
        Ok(Self { tensors, int8 })
    }

    /// Takes out the int8 tensors kept as int8 (see [`Self::from_parts`]); the module's
    /// parameters for them stay unallocated (name them in [`Self::apply_to`]'s `left_out`).
    pub fn take_int8(&mut self) -> Vec<Int8Tensor> {
        std::mem::take(&mut self.int8)
    }

    /// Takes tensor `name` (module naming) out as f32 values of shape `shape`, e.g. a table the
    /// family keeps in host memory instead of on its device.
    pub fn take_f32(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let i = self
            .tensors
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| Error::Weights(format!("missing tensor '{name}'")))?;
        let tensor = self.tensors.swap_remove(i);
        if tensor.shape.as_slice() != shape {
            return Err(Error::Weights(format!(
                "Shape mismatch for '{name}': expected {shape:?}, found {:?}",
                tensor.shape.as_slice()
            )));
        }
        let dtype = tensor.dtype;
        let tensor_shape = tensor.shape.clone();
        let bytes = tensor.into_bytes().map_err(|e| Error::Weights(format!("{name}: {e}")))?;
        TensorData::from_bytes(bytes, tensor_shape, dtype)
            .convert_dtype(DType::F32)
            .try_into_vec::<f32>()
            .map_err(|e| Error::Weights(format!("{name}: {e:?}")))
    }

    /// Fills `module` (PyTorch adapter; every float as f32), refusing missing, mis-shaped and
    /// unexpected tensors by their name in the file. `left_out`: parameters the caller took out
    /// on purpose (they stay unallocated): a table filled later, int8 weights packed apart.
    pub fn apply_to<M: Module + ModuleSnapshot>(self, module: &mut M, naming: &Naming, left_out: &[&str]) -> Result<()> {
        let adapter = NormNames.chain(FloatCastAdapter::to(DType::F32));
        let result = module.apply(self.tensors, None, Some(Box::new(adapter)), false);
        let missing: Vec<&String> =
            result.missing.iter().map(|(path, _)| path).filter(|p| !left_out.contains(&p.as_str())).collect();
        if let Some(err) = result.errors.first() {
            let more = plural_more(result.errors.len() - 1);
            return Err(Error::Weights(format!("{}{more}", naming.to_file(&err.to_string()))));
        }
        if let Some(path) = missing.first() {
            let more = plural_more(missing.len() - 1);
            return Err(Error::Weights(format!("missing tensor '{}'{more}", naming.to_file(path))));
        }
        let unexpected: Vec<&String> = result
            .unused
            .iter()
            .filter(|name| naming.reads(&naming.to_file(name)) && !name.ends_with(SCALE_SUFFIX))
            .collect();
        if let Some(name) = unexpected.first() {
            let more = plural_more(unexpected.len() - 1);
            return Err(Error::Weights(format!(
                "unexpected tensor '{}'{more}: the file does not match config.json",
                naming.to_file(name)
            )));
        }
        Ok(())
    }
}

/// Whether a checkpoint tensor is a `Linear` weight, stored `[out, in]` by PyTorch: every 2-D
/// `.weight` of the families' checkpoints but their embedding tables. (Were the rule wrong for a
/// tensor, its shape would not match the module's and `apply_to` would refuse it by name.)
fn is_linear_weight(name: &str, shape: &[usize]) -> bool {
    shape.len() == 2 && name.ends_with(".weight") && !name.contains("embeddings")
}

/// The shape burn's module holds a tensor in: `[in, out]` for a `Linear` weight. Its own
/// inverse: from a module's shape, the file's.
pub fn burn_shape(name: &str, shape: &[usize]) -> Vec<usize> {
    if is_linear_weight(name, shape) { vec![shape[1], shape[0]] } else { shape.to_vec() }
}

/// Bytes per value of a float dtype a `Linear` weight can have.
fn float_width(dtype: Dtype) -> Option<usize> {
    match dtype {
        Dtype::F32 => Some(4),
        Dtype::F16 | Dtype::BF16 => Some(2),
        _ => None,
    }
}

/// `bytes` (a row-major `[rows, cols]` matrix of `width`-byte values) transposed to `[cols, rows]`
/// in place, through a scratch copy of this one matrix.
fn transpose_in_place(bytes: &mut [u8], rows: usize, cols: usize, width: usize) {
    let source = bytes.to_vec();
    for (i, row) in source.chunks_exact(cols * width).enumerate() {
        for (j, value) in row.chunks_exact(width).enumerate() {
            let at = (j * rows + i) * width;
            bytes[at..at + width].copy_from_slice(value);
        }
    }
}

/// burn-store's PyTorch adapter without its transpose (done in place by [`Tensors::from_parts`]):
/// LayerNorm's `weight` / `bias` are burn's `gamma` / `beta`.
#[derive(Debug, Clone, Copy)]
struct NormNames;

const NORMS: [&str; 2] = ["Struct:LayerNorm", "Struct:RmsNorm"];

impl ModuleAdapter for NormNames {
    fn adapt(&self, mut tensor: PackTensor, ctx: ModuleContext<'_>) -> PackTensor {
        if ctx.module_type().is_some_and(|t| NORMS.contains(&t)) {
            let (path, param) = tensor.name.rsplit_once('.').unwrap_or(("", tensor.name.as_str()));
            let renamed = match param {
                "weight" => Some("gamma"),
                "bias" => Some("beta"),
                _ => None,
            };
            if let Some(new) = renamed {
                tensor.name = if path.is_empty() { new.to_string() } else { format!("{path}.{new}") };
            }
        }
        tensor
    }

    fn get_alternative_param_name(&self, param_name: &str, module_type: &str) -> Option<String> {
        let alternative = match param_name {
            "gamma" => "weight",
            "beta" => "bias",
            _ => return None,
        };
        NORMS.contains(&module_type).then(|| alternative.to_string())
    }

    fn clone_box(&self) -> Box<dyn ModuleAdapter> {
        Box::new(*self)
    }
}

/// The raw bytes of tensor `t` if a part holds them.
fn raw<'a>(parts: &'a [(u64, WeightBytes)], t: &super::TensorSpan) -> Option<&'a [u8]> {
    parts.iter().find_map(|(offset, bytes)| {
        let (start, end) = (t.bytes.start.checked_sub(*offset)? as usize, t.bytes.end.checked_sub(*offset)? as usize);
        bytes.as_bytes().get(start..end)
    })
}

/// A tensor dequantized to f32: its file name, shape and bytes.
type Dequantized = (String, Vec<usize>, WeightBytes);

/// The int8 tensors the module reads that lie in `parts`, dequantized to f32 with their per-row
/// scales (format: [`compact`]), or kept as int8 where `keep_int8` says. An int8 tensor without
/// its scales, or scales of no int8 tensor, is refused by name.
fn read_int8_parts(
    header: &Header,
    parts: &[(u64, WeightBytes)],
    naming: &Naming,
    keep_int8: KeepInt8,
) -> Result<(Vec<Dequantized>, Vec<Int8Tensor>)> {
    let mut out = Vec::new();
    let mut kept = Vec::new();
    for t in header.tensors().iter().filter(|t| naming.reads(&t.name)) {
        if let Some(base) = t.name.strip_suffix(SCALE_SUFFIX) {
            if header.tensor(base).is_none_or(|b| b.dtype != Dtype::I8) {
                return Err(Error::Weights(format!("tensor '{}' scales no int8 tensor '{base}'", t.name)));
            }
        }
        if t.dtype != Dtype::I8 {
            continue;
        }
        let scale_name = format!("{}{SCALE_SUFFIX}", t.name);
        let rows = t.shape.first().copied().unwrap_or(0);
        let scale =
            header.tensor(&scale_name).filter(|s| s.dtype == Dtype::F32 && s.shape == [rows]).ok_or_else(|| {
                Error::Weights(format!("int8 tensor '{}' needs f32 scales '{scale_name}' of shape [{rows}]", t.name))
            })?;
        let Some(q) = raw(parts, t) else { continue };
        let scales = raw(parts, scale)
            .ok_or_else(|| Error::Weights(format!("'{scale_name}' was not read with '{}'", t.name)))?;
        let scales = floats(scales, Dtype::F32)?;
        let name = naming.to_module(&t.name);
        if keep_int8(&name) {
            // The header has checked the bytes against the shape, and the scales against its rows.
            let values: Vec<i8> = bytemuck::cast_slice(q).to_vec();
            kept.push(Int8Tensor { name, file_name: t.name.clone(), shape: t.shape.clone(), values, scales });
            continue;
        }
        let values = compact::dequantize(q, &scales)?;
        let mut bytes = WeightBytes::with_capacity(values.len() * 4);
        bytes.extend_from_slice(bytemuck::cast_slice(&values));
        out.push((t.name.clone(), t.shape.clone(), bytes));
    }
    Ok((out, kept))
}

/// Row values in the file's float dtype (little-endian f32, f16 or bf16) as f32.
pub fn floats(bytes: &[u8], dtype: Dtype) -> Result<Vec<f32>> {
    let (dtype, width) = match dtype {
        Dtype::F32 => (DType::F32, 4),
        Dtype::F16 => (DType::F16, 2),
        Dtype::BF16 => (DType::BF16, 2),
        other => return Err(Error::Weights(format!("rows of dtype {other:?} are not supported"))),
    };
    if !bytes.len().is_multiple_of(width) {
        return Err(Error::Weights(format!("{} bytes are not whole {dtype:?} values", bytes.len())));
    }
    TensorData::from_bytes_vec(bytes.to_vec(), [bytes.len() / width], dtype)
        .convert_dtype(DType::F32)
        .try_into_vec::<f32>()
        .map_err(|e| Error::Weights(format!("rows: {e:?}")))
}

fn plural_more(n: usize) -> String {
    if n == 0 { String::new() } else { format!(" (and {n} more)") }
}
