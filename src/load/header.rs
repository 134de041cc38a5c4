//! A safetensors file's header, read from its first bytes (`bytes=0-7` says how long it is, then
//! the header itself): where each tensor lies, so that a model's tensors can be read by HTTP Range
//! without the rest of the file, and a table's rows one range at a time.

use std::ops::Range;

use std::collections::{BTreeMap, HashMap};

use safetensors::Dtype;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The safetensors crate's own bound on a header.
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// One tensor's place in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpan {
    /// The tensor's name in the file.
    pub name: String,
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    /// Its bytes in the file (absolute offsets).
    pub bytes: Range<u64>,
}

/// Where the tensors of a safetensors file lie.
#[derive(Debug, Clone)]
pub struct Header {
    /// Every tensor, by position in the file.
    tensors: Vec<TensorSpan>,
    /// Each tensor's place in `tensors`, by name: a config's check looks every tensor up.
    index: HashMap<String, usize>,
    file_len: u64,
}

/// One entry of the header's JSON. Read here rather than by `safetensors::tensor::Metadata`,
/// which sizes tensors in `usize` bits: on wasm32 any tensor over 512 MiB (the large XLM-Rs'
/// 1 GB word-embedding table) overflows it, though its offsets fit in the u64s used here.
#[derive(Deserialize)]
struct Entry {
    dtype: Dtype,
    shape: Vec<usize>,
    data_offsets: (u64, u64),
}

fn bad(message: impl std::fmt::Display) -> Error {
    Error::Weights(format!("cannot read the file's header: {message}"))
}

impl Header {
    /// The file's first bytes to read: the header's length.
    pub const PREFIX_BYTES: u64 = 8;

    /// The header's size in bytes (the 8-byte prefix included) from the file's first 8 bytes.
    pub fn size_from_prefix(prefix: &[u8]) -> Result<u64> {
        let n = prefix.get(..8).ok_or_else(|| bad("fewer than 8 bytes"))?;
        let n = u64::from_le_bytes(n.try_into().expect("8 bytes"));
        if n > MAX_HEADER_BYTES {
            return Err(bad(format!("a header of {n} bytes is not plausible")));
        }
        Ok(8 + n)
    }

    /// Parses the header from the file's first bytes (at least [`Self::size_from_prefix`] of
    /// them). The offsets are checked as the safetensors crate checks them (contiguous from 0,
    /// each tensor's size matching its dtype and shape), in u64; not the data.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let size = Self::size_from_prefix(bytes)?;
        let json = bytes.get(8..size as usize).ok_or_else(|| bad(format!("{} of {size} bytes", bytes.len())))?;
        let mut entries: BTreeMap<String, serde_json::Value> = serde_json::from_slice(json).map_err(bad)?;
        entries.remove("__metadata__");
        let mut tensors = Vec::with_capacity(entries.len());
        for (name, value) in entries {
            let e: Entry = serde_json::from_value(value).map_err(|e| bad(format!("tensor '{name}': {e}")))?;
            let (start, end) = e.data_offsets;
            let bits = e.shape.iter().try_fold(e.dtype.bitsize() as u64, |n, &d| n.checked_mul(d as u64));
            if end < start || bits.is_none_or(|b| b % 8 != 0 || b / 8 != end - start) {
                return Err(bad(format!("tensor '{name}': offsets {start}..{end} do not fit {:?} {:?}", e.dtype, e.shape)));
            }
            tensors.push(TensorSpan { name, dtype: e.dtype, shape: e.shape, bytes: size + start..size + end });
        }
        tensors.sort_by_key(|t| t.bytes.start);
        let mut at = size;
        for t in &tensors {
            if t.bytes.start != at {
                return Err(bad(format!("tensor '{}' does not start where the one before it ends", t.name)));
            }
            at = t.bytes.end;
        }
        let index = tensors.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
        Ok(Self { tensors, index, file_len: at })
    }

    /// [`Self::parse`] of a whole file, which must hold every byte its header lays out.
    pub fn parse_file(file: &[u8]) -> Result<Self> {
        let header = Self::parse(file)?;
        if file.len() as u64 != header.file_len() {
            return Err(Error::Weights(format!(
                "cannot read the file: {} bytes where its header lays out {}",
                file.len(),
                header.file_len()
            )));
        }
        Ok(header)
    }

    /// The file's length, as the header lays it out.
    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    pub fn tensors(&self) -> &[TensorSpan] {
        &self.tensors
    }

    pub fn tensor(&self, name: &str) -> Option<&TensorSpan> {
        self.index.get(name).map(|&i| &self.tensors[i])
    }

    /// The byte ranges holding every tensor `keep` accepts: neighbours merged, and across gaps of
    /// at most `max_gap` bytes (tensors left out in between are read too), so a few single-range
    /// requests fetch them all.
    pub fn ranges(&self, keep: impl Fn(&str) -> bool, max_gap: u64) -> Vec<Range<u64>> {
        let mut ranges: Vec<Range<u64>> = Vec::new();
        for t in self.tensors.iter().filter(|t| keep(&t.name) && !t.bytes.is_empty()) {
            match ranges.last_mut() {
                Some(last) if t.bytes.start <= last.end + max_gap => last.end = last.end.max(t.bytes.end),
                _ => ranges.push(t.bytes.clone()),
            }
        }
        ranges
    }

    /// Tensor `name` as a table of rows, checked to have `shape` and a float dtype (or int8, whose
    /// per-row scales the caller holds: see `compact`).
    pub fn row_table(&self, name: &str, shape: [usize; 2]) -> Result<RowTable> {
        let t = self.tensor(name).ok_or_else(|| Error::Weights(format!("missing tensor '{name}'")))?;
        if t.shape != shape {
            return Err(Error::Weights(format!("Shape mismatch for '{name}': expected {shape:?}, found {:?}", t.shape)));
        }
        if !matches!(t.dtype, Dtype::F32 | Dtype::F16 | Dtype::BF16 | Dtype::I8) {
            return Err(Error::Weights(format!("tensor '{name}' has unsupported dtype {:?}", t.dtype)));
        }
        let [rows, width] = shape;
        Ok(RowTable { offset: t.bytes.start, rows, width, dtype: t.dtype })
    }
}

/// A `[rows, width]` float (or int8) table in the file, read a row range at a time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowTable {
    /// Where row 0 starts in the file.
    pub offset: u64,
    pub rows: usize,
    pub width: usize,
    pub dtype: Dtype,
}

impl RowTable {
    /// Whether the rows are int8 (compact weights), dequantized with per-row scales.
    pub fn is_int8(&self) -> bool {
        self.dtype == Dtype::I8
    }

    pub fn row_bytes(&self) -> u64 {
        (self.width * self.dtype.bitsize() / 8) as u64
    }

    /// The bytes of rows `first .. first + count` in the file.
    pub fn bytes(&self, first: u32, count: u32) -> Range<u64> {
        let start = self.offset + first as u64 * self.row_bytes();
        start..start + count as u64 * self.row_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of named f32 tensors of the given shapes, in this order.
    fn file(tensors: &[(&str, &[usize])]) -> Vec<u8> {
        let data: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
            .iter()
            .map(|(n, shape)| (n.to_string(), vec![0u8; shape.iter().product::<usize>() * 4], shape.to_vec()))
            .collect();
        let views: Vec<(String, safetensors::tensor::TensorView)> = data
            .iter()
            .map(|(n, d, s)| (n.clone(), safetensors::tensor::TensorView::new(Dtype::F32, s.clone(), d).unwrap()))
            .collect();
        safetensors::serialize(views, None).unwrap()
    }

    #[test]
    fn parses_from_the_prefix_and_merges_ranges() {
        // serialize orders by name: a, b (the table), c, d.
        let bytes = file(&[("a", &[4]), ("b.table", &[3, 2]), ("c", &[2]), ("d", &[3])]);
        let size = Header::size_from_prefix(&bytes[..8]).unwrap();
        let header = Header::parse(&bytes[..size as usize]).unwrap();
        assert_eq!(header.file_len(), bytes.len() as u64);
        let names: Vec<&str> = header.tensors().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b.table", "c", "d"]);
        let a = header.tensor("a").unwrap().bytes.clone();
        assert_eq!(a, size..size + 16);
        // Without the table: two ranges around it, one when the gap may be read.
        let not_table = |n: &str| n != "b.table";
        assert_eq!(header.ranges(not_table, 0), vec![size..size + 16, size + 40..size + 60]);
        assert_eq!(header.ranges(not_table, 24), vec![size..size + 60]);
        let table = header.row_table("b.table", [3, 2]).unwrap();
        assert_eq!((table.offset, table.row_bytes()), (size + 16, 8));
        assert_eq!(table.bytes(1, 2), size + 24..size + 40);
        assert!(matches!(header.row_table("b.table", [2, 3]), Err(Error::Weights(_))));
        assert!(matches!(header.row_table("zz", [3, 2]), Err(Error::Weights(_))));
    }

    #[test]
    fn a_short_or_broken_header_is_a_weights_error() {
        let bytes = file(&[("a", &[4])]);
        let size = Header::size_from_prefix(&bytes).unwrap() as usize;
        for broken in [&bytes[..4], &bytes[..size - 1]] {
            assert!(matches!(Header::parse(broken), Err(Error::Weights(_))));
        }
        let mut garbage = bytes.clone();
        garbage[8] = b'!'; // the header's opening brace
        assert!(matches!(Header::parse(&garbage), Err(Error::Weights(_))));
        assert!(matches!(Header::size_from_prefix(&u64::MAX.to_le_bytes()), Err(Error::Weights(_))));
    }

    fn header(json: &str) -> Result<Header> {
        let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(json.as_bytes());
        Header::parse(&bytes)
    }

    /// The large XLM-Rs' word-embedding table: 250,002 × 1,024 f32 = 8.2e9 bits, which the
    /// safetensors crate's usize arithmetic overflows on wasm32; offsets past 4 GiB too.
    #[test]
    fn tables_over_512_mib_and_files_over_4_gib_parse() {
        let table = 250_002u64 * 1024 * 4;
        let json = format!(
            r#"{{"__metadata__":{{"format":"pt"}},"w":{{"dtype":"F32","shape":[250002,1024],"data_offsets":[0,{table}]}},"x":{{"dtype":"F32","shape":[1024,1048576],"data_offsets":[{table},{}]}}}}"#,
            table + (1u64 << 32)
        );
        let h = header(&json).unwrap();
        let size = 8 + json.len() as u64;
        assert_eq!(h.file_len(), size + table + (1 << 32));
        assert_eq!(h.tensor("x").unwrap().bytes, size + table..size + table + (1 << 32));
        assert_eq!(h.row_table("w", [250_002, 1024]).unwrap().bytes(250_001, 1), size + table - 4096..size + table);
    }

    #[test]
    fn offsets_that_do_not_fit_the_shape_or_leave_gaps_are_refused() {
        for json in [
            r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}}"#,
            r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[20,24]}}"#,
            r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}}"#,
            r#"{"a":{"dtype":"F32","shape":[18446744073709551615,4],"data_offsets":[0,16]}}"#,
            r#"{"a":{"dtype":"Q9","shape":[4],"data_offsets":[0,16]}}"#,
        ] {
            assert!(matches!(header(json), Err(Error::Weights(_))), "{json}");
        }
        assert!(header(r#"{"a":{"dtype":"I8","shape":[4,2],"data_offsets":[0,8]}}"#).is_ok());
    }
}
