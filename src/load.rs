//! `model.safetensors` bytes → the weights of [`XlmRobertaForSequenceClassification`]. No
//! filesystem here: the browser hands us bytes from `fetch`.
//!
//! The file is parsed with the `safetensors` crate and each tensor handed to burn-store's
//! `apply` as a zero-copy view of the one file buffer (with the PyTorch adapter: Linear weights
//! transposed, LayerNorm weight/bias → gamma/beta). On the CPU the model keeps those views, so
//! loading costs no second copy of the weights; burn-store's own `SafetensorsStore` copies every
//! tensor out of the buffer, which for small-v1 tripled peak wasm memory. The buffer is a
//! [`WeightBytes`], allocated with burn's maximum alignment, because burn copies a plain
//! `Vec<u8>` into an aligned one first.

use burn::store::burn_pack::{Bytes, Tensor as PackTensor};
use burn::store::{FloatCastAdapter, ModuleAdapter, ModuleSnapshot, PyTorchToBurnAdapter};
use burn::tensor::{DType, TensorData};
use safetensors::{Dtype, SafeTensors};

use crate::error::{Error, Result};
use crate::model::XlmRobertaForSequenceClassification;

/// Name prefixes of tensors the classifier reads. A tensor under one of these that the model does
/// not expect means the file and `config.json` disagree (e.g. more layers than configured), so it
/// is an error; anything else in the file (an LM head, a pooler, position-id buffers) is ignored.
const CLASSIFIER_PREFIXES: [&str; 3] = ["roberta.embeddings.", "roberta.encoder.", "classifier."];

/// Non-parameter buffers some exports persist; never weights.
const BUFFERS: [&str; 2] = ["position_ids", "token_type_ids"];

const WORD_EMBEDDINGS: &str = "roberta.embeddings.word_embeddings.weight";

/// The word-embedding table kept in host memory, row-major `[vocab, hidden]`. On WebGPU the
/// table (384 MB for small-v1) can exceed the adapter's largest storage binding, so the lookup
/// happens here and only the looked-up rows travel to the device.
pub struct HostEmbeddings {
    pub table: Vec<f32>,
    pub hidden: usize,
}

impl HostEmbeddings {
    /// Appends the row of `id` to `out`.
    pub fn push_row(&self, id: usize, out: &mut Vec<f32>) {
        out.extend_from_slice(&self.table[id * self.hidden..(id + 1) * self.hidden]);
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

fn is_classifier_weight(name: &str) -> bool {
    CLASSIFIER_PREFIXES.iter().any(|p| name.starts_with(p)) && !BUFFERS.iter().any(|b| name.ends_with(b))
}

/// The file's tensors as zero-copy views, named as our module names them (HF `attention.self`
/// is `attention.self_` here, `self` being a Rust keyword).
fn read_tensors(file: WeightBytes) -> Result<Vec<PackTensor>> {
    let unreadable = |e: &dyn std::fmt::Display| Error::Weights(format!("cannot read the file: {e}"));
    // Full validation first: header, offsets, and that the buffer holds every byte they promise.
    SafeTensors::deserialize(file.as_bytes()).map_err(|e| unreadable(&e))?;
    let (header_len, metadata) = SafeTensors::read_metadata(file.as_bytes()).map_err(|e| unreadable(&e))?;
    let data_start = 8 + header_len;
    let infos: Vec<(String, Dtype, Vec<usize>, (usize, usize))> = metadata
        .tensors()
        .into_iter()
        .map(|(name, info)| (name, info.dtype, info.shape.clone(), info.data_offsets))
        .collect();

    // u128 elements carry burn's maximum alignment: no realigning copy.
    let file = Bytes::from_elems(file.words).shared();
    let mut tensors = Vec::with_capacity(infos.len());
    for (name, dtype, shape, (start, end)) in infos {
        let Some(dtype) = burn_dtype(dtype) else {
            if is_classifier_weight(&name) {
                return Err(Error::Weights(format!("tensor '{name}' has unsupported dtype {dtype:?}")));
            }
            continue; // not ours to read
        };
        let view = file.view(data_start + start, data_start + end).map_err(|e| unreadable(&format!("{e:?}")))?;
        let name = name.replace(".attention.self.", ".attention.self_.");
        tensors.push(PackTensor::new(name, dtype, shape, None, view));
    }
    Ok(tensors)
}

/// Fill `model` from the bytes of an HF `model.safetensors`. Consumes the bytes: the model's
/// tensors are views of them (CPU) or copies on the device, never a second host copy.
///
/// With `host_word_embeddings`, the word-embedding table is returned instead of being put on
/// the model's device (the module's parameter stays unallocated).
pub fn load_weights(
    model: &mut XlmRobertaForSequenceClassification,
    safetensors: WeightBytes,
    host_word_embeddings: bool,
) -> Result<Option<HostEmbeddings>> {
    let mut tensors = read_tensors(safetensors)?;
    let host_table = if host_word_embeddings {
        let i = tensors
            .iter()
            .position(|t| t.name == WORD_EMBEDDINGS)
            .ok_or_else(|| Error::Weights(format!("missing tensor '{WORD_EMBEDDINGS}'")))?;
        Some(tensors.swap_remove(i))
    } else {
        None
    };

    let adapter = PyTorchToBurnAdapter.chain(FloatCastAdapter::to(DType::F32));
    let result = model.apply(tensors, None, Some(Box::new(adapter)), false);
    // In host mode the table was taken out on purpose; its parameter stays unallocated.
    let missing: Vec<&String> = result
        .missing
        .iter()
        .map(|(path, _)| path)
        .filter(|p| !(host_word_embeddings && *p == WORD_EMBEDDINGS))
        .collect();

    if let Some(err) = result.errors.first() {
        let more = plural_more(result.errors.len() - 1);
        return Err(Error::Weights(format!("{}{more}", hf_name(&err.to_string()))));
    }
    if let Some(path) = missing.first() {
        let more = plural_more(missing.len() - 1);
        return Err(Error::Weights(format!("missing tensor '{}'{more}", hf_name(path))));
    }
    let unexpected: Vec<&String> = result.unused.iter().filter(|name| is_classifier_weight(name)).collect();
    if let Some(name) = unexpected.first() {
        let more = plural_more(unexpected.len() - 1);
        return Err(Error::Weights(format!(
            "unexpected tensor '{}'{more}: the file does not match config.json",
            hf_name(name)
        )));
    }

    let Some(tensor) = host_table else { return Ok(None) };
    // lazy_shape: reading the shape must not allocate the (unloaded) parameter on the device.
    let [vocab, hidden] = model.roberta.embeddings.word_embeddings.weight.lazy_shape().dims();
    if tensor.shape.as_slice() != [vocab, hidden] {
        return Err(Error::Weights(format!(
            "Shape mismatch for '{WORD_EMBEDDINGS}': expected [{vocab}, {hidden}], found {:?}",
            tensor.shape.as_slice()
        )));
    }
    let dtype = tensor.dtype;
    let bytes = tensor.into_bytes().map_err(|e| Error::Weights(format!("{WORD_EMBEDDINGS}: {e}")))?;
    let table = TensorData::from_bytes(bytes, [vocab, hidden], dtype)
        .convert_dtype(DType::F32)
        .try_into_vec::<f32>()
        .map_err(|e| Error::Weights(format!("{WORD_EMBEDDINGS}: {e:?}")))?;
    Ok(Some(HostEmbeddings { table, hidden }))
}

fn plural_more(n: usize) -> String {
    if n == 0 { String::new() } else { format!(" (and {n} more)") }
}

/// Our module path → the tensor's name in the file, so messages name what users can grep for.
fn hf_name(path: &str) -> String {
    path.replace(".self_.", ".self.")
        .replace("LayerNorm.gamma", "LayerNorm.weight")
        .replace("LayerNorm.beta", "LayerNorm.bias")
}
