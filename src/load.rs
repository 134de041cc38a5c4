//! `model.safetensors` bytes → a family's burn module, mechanically: tensors are matched by name
//! (the module's fields are named like the checkpoint's tensors; [`Naming`] holds a family's few
//! renames). No filesystem here: the browser hands us bytes from `fetch`.
//!
//! The file is parsed with the `safetensors` crate and each tensor handed to burn-store's
//! `apply` as a zero-copy view of the one file buffer (with the PyTorch adapter: Linear weights
//! transposed, LayerNorm weight/bias → gamma/beta). On the CPU the model keeps those views, so
//! loading costs no second copy of the weights; burn-store's own `SafetensorsStore` copies every
//! tensor out of the buffer, which for small-v1 tripled peak wasm memory. The buffer is a
//! [`WeightBytes`], allocated with burn's maximum alignment, because burn copies a plain
//! `Vec<u8>` into an aligned one first.

use burn::module::Module;
use burn::store::burn_pack::{Bytes, Tensor as PackTensor};
use burn::store::{FloatCastAdapter, ModuleAdapter, ModuleSnapshot, PyTorchToBurnAdapter};
use burn::tensor::{DType, TensorData};
use safetensors::{Dtype, SafeTensors};

use crate::error::{Error, Result};

/// The name of the file, as the Hub lays a model out.
pub const WEIGHTS_FILE: &str = "model.safetensors";

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
    fn reads(&self, name: &str) -> bool {
        self.prefixes.iter().any(|p| name.starts_with(p)) && !self.buffers.iter().any(|b| name.ends_with(b))
    }

    fn to_module(&self, name: &str) -> String {
        self.renames.iter().fold(name.to_string(), |n, (file, module)| n.replace(file, module))
    }

    /// Our module path → the tensor's name in the file, so messages name what users can grep for.
    fn to_file(&self, path: &str) -> String {
        let name = path.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias");
        self.renames.iter().fold(name, |n, (file, module)| n.replace(module, file))
    }
}

/// The bytes of a weights file, in an allocation aligned the way burn wants tensor data, so that
/// tensors can be zero-copy views of it. Fill it while downloading (or reading) the file.
#[derive(Default)]
pub struct WeightBytes {
    words: Vec<u128>,
    len: usize,
}

impl WeightBytes {
    pub fn with_capacity(bytes: usize) -> Self {
        Self { words: Vec::with_capacity(bytes.div_ceil(16)), len: 0 }
    }

    /// Reserves room for `additional` more bytes; `false` if memory is exhausted.
    pub fn try_reserve(&mut self, additional: usize) -> bool {
        let words = (self.len + additional).div_ceil(16).saturating_sub(self.words.len());
        self.words.try_reserve(words).is_ok()
    }

    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.extend_zeroed(bytes.len()).copy_from_slice(bytes);
    }

    /// Grows by `n` zero bytes and returns them to be filled (e.g. by a copy from JS).
    pub fn extend_zeroed(&mut self, n: usize) -> &mut [u8] {
        let start = self.len;
        self.len += n;
        self.words.resize(self.len.div_ceil(16), 0);
        &mut bytemuck::cast_slice_mut::<u128, u8>(&mut self.words)[start..self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_bytes(&self) -> &[u8] {
        &bytemuck::cast_slice::<u128, u8>(&self.words)[..self.len]
    }

    /// Truncates to `len` bytes (tests use it to make broken files).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
        self.words.truncate(self.len.div_ceil(16));
    }

    /// Reads a whole file.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read(path: &std::path::Path) -> std::io::Result<Self> {
        use std::io::Read;
        let mut file = std::fs::File::open(path)?;
        let len = file.metadata()?.len() as usize;
        let mut words = vec![0u128; len.div_ceil(16)];
        file.read_exact(&mut bytemuck::cast_slice_mut::<u128, u8>(&mut words)[..len])?;
        Ok(Self { words, len })
    }
}

/// Copies: prefer building a `WeightBytes` as the bytes arrive.
impl From<Vec<u8>> for WeightBytes {
    fn from(bytes: Vec<u8>) -> Self {
        let mut w = Self::with_capacity(bytes.len());
        w.extend_from_slice(&bytes);
        w
    }
}

impl From<&[u8]> for WeightBytes {
    fn from(bytes: &[u8]) -> Self {
        let mut w = Self::with_capacity(bytes.len());
        w.extend_from_slice(bytes);
        w
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

type TensorInfo = (String, Dtype, Vec<usize>, (usize, usize));

/// The tensors of a weights file as zero-copy views, named as the family's module names them.
pub struct Tensors {
    tensors: Vec<PackTensor>,
}

impl Tensors {
    /// Validates the whole file (header, offsets, and that the buffer holds every byte they
    /// promise), then views each tensor the module could read.
    pub fn read(file: WeightBytes, naming: &Naming) -> Result<Self> {
        let unreadable = |e: &dyn std::fmt::Display| Error::Weights(format!("cannot read the file: {e}"));
        SafeTensors::deserialize(file.as_bytes()).map_err(|e| unreadable(&e))?;
        let (header_len, metadata) = SafeTensors::read_metadata(file.as_bytes()).map_err(|e| unreadable(&e))?;
        let data_start = 8 + header_len;
        // Owned, because the buffer moves into burn's `Bytes` below: name, dtype, shape, offsets.
        let infos: Vec<TensorInfo> = metadata
            .tensors()
            .into_iter()
            .map(|(name, info)| (name, info.dtype, info.shape.clone(), info.data_offsets))
            .collect();

        // u128 elements carry burn's maximum alignment: no realigning copy.
        let file = Bytes::from_elems(file.words).shared();
        let mut tensors = Vec::with_capacity(infos.len());
        for (name, dtype, shape, (start, end)) in infos {
            let Some(dtype) = burn_dtype(dtype) else {
                if naming.reads(&name) {
                    return Err(Error::Weights(format!("tensor '{name}' has unsupported dtype {dtype:?}")));
                }
                continue; // not ours to read
            };
            let view = file.view(data_start + start, data_start + end).map_err(|e| unreadable(&format!("{e:?}")))?;
            tensors.push(PackTensor::new(naming.to_module(&name), dtype, shape, None, view));
        }
        Ok(Self { tensors })
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
    /// on purpose (they stay unallocated).
    pub fn apply_to<M: Module + ModuleSnapshot>(self, module: &mut M, naming: &Naming, left_out: &[&str]) -> Result<()> {
        let adapter = PyTorchToBurnAdapter.chain(FloatCastAdapter::to(DType::F32));
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
        let unexpected: Vec<&String> = result.unused.iter().filter(|name| naming.reads(&naming.to_file(name))).collect();
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

fn plural_more(n: usize) -> String {
    if n == 0 { String::new() } else { format!(" (and {n} more)") }
}
