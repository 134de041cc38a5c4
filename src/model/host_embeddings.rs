//! A word-embedding table kept in host memory, row-major `[vocab, hidden]`. On WebGPU the table
//! (384 MB for small-v1) can exceed the adapter's largest storage binding, so the lookup happens
//! here and only the looked-up rows travel to the device.

use burn::tensor::{Device, Tensor, TensorData};

pub struct HostEmbeddings {
    table: Vec<f32>,
    hidden: usize,
}

impl HostEmbeddings {
    /// `table` holds `table.len() / hidden` rows of `hidden` floats.
    pub fn new(table: Vec<f32>, hidden: usize) -> Self {
        Self { table, hidden }
    }

    /// The rows of `ids` (a padded `[batch, seq]` batch, row-major) as `[batch, seq, hidden]`.
    /// Ids are checked against the vocabulary before they get here (the reranker refuses a
    /// tokenizer that can produce larger ones).
    pub fn lookup(&self, ids: &[u32], [batch, seq]: [usize; 2], device: &Device) -> Tensor<3> {
        let mut rows = Vec::with_capacity(ids.len() * self.hidden);
        for &id in ids {
            let id = id as usize;
            rows.extend_from_slice(&self.table[id * self.hidden..(id + 1) * self.hidden]);
        }
        Tensor::<3>::from_data(TensorData::new(rows, [batch, seq, self.hidden]), device)
    }
}
