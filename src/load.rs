//! `model.safetensors` bytes → the weights of [`XlmRobertaForSequenceClassification`], through
//! burn-store. No filesystem here: the browser hands us bytes from `fetch`.

use burn::store::{
    FloatCastAdapter, ModuleAdapter, ModuleSnapshot, ModuleStore, PathFilter, PyTorchToBurnAdapter, SafetensorsStore,
};
use burn::tensor::{DType, TensorData};

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

/// Fill `model` from the bytes of an HF `model.safetensors`. Consumes the bytes so that, while
/// loading, at most the file and the model are alive, never a second copy of the file.
///
/// With `host_word_embeddings`, the word-embedding table is returned instead of being put on
/// the model's device (the module's parameter stays unallocated).
pub fn load_weights(
    model: &mut XlmRobertaForSequenceClassification,
    safetensors: Vec<u8>,
    host_word_embeddings: bool,
) -> Result<Option<HostEmbeddings>> {
    // PyTorch Linear weights are [out, in]; burn's are [in, out]. LayerNorm weight/bias become
    // gamma/beta. f16/bf16 checkpoints are widened to the f32 the model computes in.
    let adapter = PyTorchToBurnAdapter.chain(FloatCastAdapter::to(DType::F32));
    let store = SafetensorsStore::from_bytes(Some(safetensors))
        .with_key_remapping(r"\.attention\.self\.", ".attention.self_.")
        .with_from_adapter(adapter)
        .validate(false)
        .allow_partial(true);
    let mut store = if host_word_embeddings {
        store.filter(PathFilter::new().with_predicate(|path, _| path != WORD_EMBEDDINGS))
    } else {
        store
    };

    let result = model.load_from(&mut store).map_err(|e| Error::Weights(format!("cannot read the file: {e}")))?;

    if let Some(err) = result.errors.first() {
        let more = plural_more(result.errors.len() - 1);
        return Err(Error::Weights(format!("{}{more}", hf_name(&err.to_string()))));
    }
    if let Some((path, _)) = result.missing.first() {
        let more = plural_more(result.missing.len() - 1);
        return Err(Error::Weights(format!("missing tensor '{}'{more}", hf_name(path))));
    }
    let unexpected: Vec<&String> = result
        .unused
        .iter()
        .filter(|name| CLASSIFIER_PREFIXES.iter().any(|p| name.starts_with(p)))
        .filter(|name| !BUFFERS.iter().any(|b| name.ends_with(b)))
        .collect();
    if let Some(name) = unexpected.first() {
        let more = plural_more(unexpected.len() - 1);
        return Err(Error::Weights(format!(
            "unexpected tensor '{}'{more}: the file does not match config.json",
            hf_name(name)
        )));
    }
    if !host_word_embeddings {
        return Ok(None);
    }
    let [vocab, hidden] = model.roberta.embeddings.word_embeddings.weight.shape().dims();
    let tensor = store
        .get_tensor(WORD_EMBEDDINGS)
        .map_err(|e| Error::Weights(format!("cannot read the file: {e}")))?
        .ok_or_else(|| Error::Weights(format!("missing tensor '{WORD_EMBEDDINGS}'")))?;
    if tensor.shape.as_slice() != [vocab, hidden] {
        return Err(Error::Weights(format!(
            "Shape mismatch for '{WORD_EMBEDDINGS}': expected [{vocab}, {hidden}], found {:?}",
            tensor.shape.as_slice()
        )));
    }
    let bytes = tensor.to_bytes().map_err(|e| Error::Weights(format!("{WORD_EMBEDDINGS}: {e}")))?;
    let table = TensorData::from_bytes(bytes, [vocab, hidden], tensor.dtype)
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
