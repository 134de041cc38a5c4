//! Which byte ranges of `model.safetensors` bring in the word-embedding rows a call lacks:
//! single ranges only (the Hub answers one range with 206, several with the whole file), rows
//! merged across small gaps so a call makes fewer requests.

use std::ops::Range;

use crate::load::RowTable;

/// Rows read across between two needed rows rather than starting another request: with the
/// small-v1 table (1,536 bytes a row) a gap of 16 rows costs 24 KiB, about what one more request
/// costs in headers and round trips at broadband speeds.
pub const ROW_GAP: u32 = 16;

/// One single-range read of rows `first .. first + count`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRequest {
    pub first: u32,
    pub count: u32,
    /// Their bytes in the file.
    pub bytes: Range<u64>,
}

/// The reads that bring in `missing` (sorted, without repeats) rows of `table`: rows at most
/// `max_gap` apart share a request.
pub fn row_requests(table: &RowTable, missing: &[u32], max_gap: u32) -> Vec<RowRequest> {
    let mut spans: Vec<(u32, u32)> = Vec::new();
    for &id in missing {
        match spans.last_mut() {
            Some((_, last)) if id <= last.saturating_add(max_gap + 1) => *last = (*last).max(id),
            _ => spans.push((id, id)),
        }
    }
    spans
        .into_iter()
        .map(|(first, last)| {
            let count = last - first + 1;
            RowRequest { first, count, bytes: table.bytes(first, count) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_share_a_request_across_small_gaps() {
        let table = RowTable { offset: 1000, rows: 100, width: 2, dtype: safetensors::Dtype::F32 };
        let got = row_requests(&table, &[3, 4, 9, 30, 31, 99], 4);
        let spans: Vec<(u32, u32)> = got.iter().map(|r| (r.first, r.count)).collect();
        // 4 → 9 is a gap of 4 rows (5..=8): merged; 9 → 30 is not.
        assert_eq!(spans, [(3, 7), (30, 2), (99, 1)]);
        assert_eq!(got[0].bytes, 1000 + 3 * 8..1000 + 10 * 8);
        assert_eq!(got[2].bytes, 1000 + 99 * 8..1000 + 100 * 8);
        assert!(row_requests(&table, &[], 4).is_empty());
        assert_eq!(row_requests(&table, &[5, 6], 0).len(), 1, "adjacent rows always share");
        assert_eq!(row_requests(&table, &[5, 7], 0).len(), 2);
    }
}
