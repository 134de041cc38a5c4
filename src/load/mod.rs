//! Weights: `model.safetensors`, whole or in parts read by HTTP Range, → a family's module.
//! [`WeightBytes`] holds bytes aligned for zero-copy tensors ([`bytes`]); [`Header`] says where
//! each tensor lies ([`header`]); [`Tensors`] views them and fills a module by name ([`tensors`]).

mod bytes;
pub mod compact;
mod header;
mod tensors;

pub use bytes::WeightBytes;
pub use header::{Header, RowTable, TensorSpan};
pub use tensors::{Int8Tensor, KeepInt8, Naming, Tensors, burn_shape, floats};

/// The name of the file, as the Hub lays a model out.
pub const WEIGHTS_FILE: &str = "model.safetensors";

/// A model's weights as they arrive.
pub enum Weights {
    /// The whole `model.safetensors`.
    File(WeightBytes),
    /// Parts of it read by range: the header, and `(offset in the file, bytes)` of every tensor
    /// to load now. The family's row table (the word embeddings) is not among them: its rows are
    /// added as calls need them (`Reranker::missing_rows`, `Reranker::insert_rows`).
    Parts { header: Header, parts: Vec<(u64, WeightBytes)> },
}

impl Weights {
    /// Bytes of the file held.
    pub fn bytes_held(&self) -> u64 {
        match self {
            Weights::File(bytes) => bytes.len() as u64,
            Weights::Parts { parts, .. } => parts.iter().map(|(_, b)| b.len() as u64).sum(),
        }
    }
}

impl From<WeightBytes> for Weights {
    fn from(bytes: WeightBytes) -> Self {
        Weights::File(bytes)
    }
}

/// Copies: prefer building a [`WeightBytes`] as the bytes arrive.
impl From<Vec<u8>> for Weights {
    fn from(bytes: Vec<u8>) -> Self {
        Weights::File(bytes.into())
    }
}

impl From<&[u8]> for Weights {
    fn from(bytes: &[u8]) -> Self {
        Weights::File(bytes.into())
    }
}
