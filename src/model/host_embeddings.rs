//! A word-embedding table kept in host memory, row-major `[vocab, hidden]`, whole or filled row
//! by row as calls need them. On WebGPU the whole table (384 MB for small-v1) can exceed the
//! adapter's largest storage binding, so the lookup happens here and only the looked-up rows
//! travel to the device; loaded lazily (by HTTP Range), memory grows with the vocabulary used.

use std::sync::RwLock;

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::error::{Error, Result};
use crate::load::compact::dequantize;
use crate::load::{RowTable, floats};

/// The word part of a batch on its way into a model: ids to look up on the device, or rows
/// already looked up in a [`HostEmbeddings`] table.
pub enum Words {
    /// `[batch, seq]` token ids.
    Ids(Tensor<2, Int>),
    /// `[batch, seq, hidden]` word-embedding rows.
    Vectors(Tensor<3>),
}

impl Words {
    /// A padded `[batch, seq]` batch of ids (row-major), looked up in `host` when the table lives
    /// there (an error if it lacks a row).
    pub fn new(ids: &[u32], dims: [usize; 2], host: Option<&HostEmbeddings>, device: &Device) -> Result<Self> {
        Ok(match host {
            None => {
                let ids: Vec<i64> = ids.iter().map(|&id| id as i64).collect();
                Words::Ids(Tensor::<2, Int>::from_data(TensorData::new(ids, dims), device))
            }
            Some(table) => Words::Vectors(table.lookup(ids, dims, device)?),
        })
    }
}

/// Marks an id whose row is not held.
const ABSENT: u32 = u32::MAX;

pub struct HostEmbeddings {
    width: usize,
    /// Where the rows lie in the file when they are added on demand; `None` for a whole table.
    table: Option<RowTable>,
    /// Per-row scales of an int8 table filled on demand (compact weights); empty otherwise.
    scales: Vec<f32>,
    rows: RwLock<Rows>,
}

struct Rows {
    /// Row values, `width` floats each.
    data: Vec<f32>,
    /// For an on-demand table: each id's row index in `data`, or [`ABSENT`]. Empty for a whole
    /// table, whose row `id` is at `id`.
    slot: Vec<u32>,
}

impl Rows {
    fn index(&self, id: u32) -> Option<usize> {
        if self.slot.is_empty() {
            return Some(id as usize);
        }
        self.slot.get(id as usize).filter(|&&s| s != ABSENT).map(|&s| s as usize)
    }
}

impl HostEmbeddings {
    /// A whole table: `table` holds `table.len() / width` rows.
    pub fn whole(table: Vec<f32>, width: usize) -> Self {
        Self { width, table: None, scales: Vec::new(), rows: RwLock::new(Rows { data: table, slot: Vec::new() }) }
    }

    /// An empty table whose rows are added with [`Self::insert`]; `scales` (one per row) for an
    /// int8 table, whose rows are dequantized as they arrive.
    pub fn on_demand(table: RowTable, scales: Option<Vec<f32>>) -> Result<Self> {
        let scales = scales.unwrap_or_default();
        if table.is_int8() != (scales.len() == table.rows) {
            return Err(Error::Weights(format!(
                "an int8 table needs one scale per row ({} rows, {} scales)",
                table.rows,
                scales.len()
            )));
        }
        let rows = Rows { data: Vec::new(), slot: vec![ABSENT; table.rows] };
        Ok(Self { width: table.width, table: Some(table), scales, rows: RwLock::new(rows) })
    }

    /// Where the rows lie in the file, for a table filled on demand.
    pub fn row_table(&self) -> Option<RowTable> {
        self.table
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Rows> {
        // A panic while holding the lock cannot leave `Rows` half-written (inserts extend `data`
        // before they publish slots), so a poisoned lock is still consistent.
        self.rows.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Rows held in memory.
    pub fn rows_held(&self) -> usize {
        self.read().data.len() / self.width.max(1)
    }

    /// The ids among `ids` whose rows are not held, sorted and without repeats.
    pub fn missing(&self, ids: impl IntoIterator<Item = u32>) -> Vec<u32> {
        let rows = self.read();
        let mut missing: Vec<u32> = ids.into_iter().filter(|&id| rows.index(id).is_none()).collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }

    /// Adds rows `first ..` from their bytes in the file (a whole number of rows in the table's
    /// dtype); rows already held are kept. Returns how many rows were new.
    pub fn insert(&self, first: u32, bytes: &[u8]) -> Result<usize> {
        let table = self.table.ok_or_else(|| Error::InvalidInput("this word-embedding table is loaded whole".into()))?;
        let row_bytes = table.row_bytes() as usize;
        let count = bytes.len() / row_bytes.max(1);
        if bytes.len() != count * row_bytes || first as usize + count > table.rows {
            return Err(Error::Weights(format!(
                "{} bytes from row {first} are not whole rows of the {}-row table ({row_bytes} bytes each)",
                bytes.len(),
                table.rows
            )));
        }
        let values = if table.is_int8() {
            dequantize(bytes, &self.scales[first as usize..first as usize + count])?
        } else {
            floats(bytes, table.dtype)?
        };
        let mut rows = self.rows.write().unwrap_or_else(|e| e.into_inner());
        let mut added = 0;
        for (i, row) in values.chunks_exact(self.width).enumerate() {
            let id = first as usize + i;
            if rows.slot[id] == ABSENT {
                let index = rows.data.len() / self.width;
                rows.data.extend_from_slice(row);
                rows.slot[id] = index as u32;
                added += 1;
            }
        }
        Ok(added)
    }

    /// The rows of `ids` (a padded `[batch, seq]` batch, row-major) as `[batch, seq, hidden]`.
    /// Ids are checked against the vocabulary before they get here (the reranker refuses a
    /// tokenizer that can produce larger ones); a row not held yet is an error.
    pub fn lookup(&self, ids: &[u32], [batch, seq]: [usize; 2], device: &Device) -> Result<Tensor<3>> {
        let held = self.read();
        let mut out = Vec::with_capacity(ids.len() * self.width);
        for &id in ids {
            let i = held.index(id).ok_or_else(|| {
                Error::InvalidInput(format!(
                    "the word-embedding row of token {id} is not loaded (Reranker::missing_rows)"
                ))
            })?;
            out.extend_from_slice(&held.data[i * self.width..(i + 1) * self.width]);
        }
        Ok(Tensor::<3>::from_data(TensorData::new(out, [batch, seq, self.width]), device))
    }
}
