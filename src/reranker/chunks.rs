//! Passages longer than the model reads: [`Overflow`]. By default a pair is cut at `max_length`
//! as sentence-transformers' `CrossEncoder` cuts it (the reference's scores). With
//! [`Overflow::Chunks`] a passage whose pair would be cut is scored as overlapping windows —
//! query + a run of the passage's sentences that fits — and its score is its best window's, as
//! Cohere's rerank API does with `max_chunks_per_doc`; the score says which window
//! ([`Window`], byte offsets into the passage), so an app can highlight it.
//!
//! Windows are whole sentences where sentences fit (split after `。．！？!?`, a newline, or a
//! period before a space), a sentence longer than a window cut by characters; each window is
//! scored as that substring would be as a passage on its own, so its score is exactly the one a
//! caller gets by passing it alone. Consecutive windows share about a quarter of a window.

use std::ops::Range;

use crate::error::Result;
use crate::tokenize::PairTokenizer;

/// Windows per passage at most, by default: ~16 × ¾ × 500 ≈ 6,000 tokens of a passage for a
/// 512-token model; what lies past the last window is not read.
pub const DEFAULT_MAX_CHUNKS: usize = 16;

/// What happens to a passage whose pair is longer than `max_length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Cut at `max_length` (longest first), as `CrossEncoder` does: the reference's scores.
    #[default]
    Truncate,
    /// Scored as up to `max_chunks` overlapping windows, the best one's score kept.
    Chunks { max_chunks: usize },
}

impl Overflow {
    /// The names the CLI and the web options take.
    pub const NAMES: [&'static str; 2] = ["truncate", "chunks"];

    pub fn name(self) -> &'static str {
        match self {
            Overflow::Truncate => "truncate",
            Overflow::Chunks { .. } => "chunks",
        }
    }

    /// `name` with `max_chunks` (`None` = [`DEFAULT_MAX_CHUNKS`]; ignored by "truncate").
    pub fn from_name(name: &str, max_chunks: Option<usize>) -> Option<Self> {
        match name {
            "truncate" => Some(Overflow::Truncate),
            "chunks" => Some(Overflow::Chunks { max_chunks: max_chunks.unwrap_or(DEFAULT_MAX_CHUNKS).max(1) }),
            _ => None,
        }
    }
}

/// Which part of a passage a score is for, under [`Overflow::Chunks`] when the passage did not
/// fit: bytes `start..end` of the passage, window `index` of the `count` it was split into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: usize,
    pub end: usize,
    pub index: usize,
    pub count: usize,
}

/// The windows `passage` is scored as with `query`, each with its pair's encoding (the row the
/// model runs): `None` when the pair fits whole (`ids_len`, its length cut at `max_length`, is
/// below it) or the query leaves less than 8 tokens for a window (the pair is then cut as by
/// default).
fn windows(
    tokenizer: &PairTokenizer,
    query: &str,
    passage: &str,
    ids_len: usize,
    max_chunks: usize,
) -> Result<Option<Vec<(Range<usize>, (Vec<u32>, usize))>>> {
    let max_length = tokenizer.max_length();
    if ids_len < max_length {
        return Ok(None);
    }
    let base = tokenizer.encode(query, "")?.len();
    // Strictly below max_length, so a window that fits is known not to have been cut.
    let budget = max_length.saturating_sub(base + 1);
    if budget < 8 {
        return Ok(None);
    }
    let tokens = |r: &Range<usize>| -> Result<usize> { Ok(tokenizer.encode(query, &passage[r.clone()])?.len().saturating_sub(base)) };
    let mut pieces: Vec<(Range<usize>, usize)> = Vec::new();
    for sentence in sentences(passage) {
        split_to_fit(passage, sentence, budget, &tokens, &mut pieces)?;
    }
    let mut out = Vec::new();
    let mut first = 0;
    while first < pieces.len() && out.len() < max_chunks {
        let mut last = first;
        let mut sum = pieces[first].1;
        while last + 1 < pieces.len() && sum + pieces[last + 1].1 <= budget {
            last += 1;
            sum += pieces[last].1;
        }
        // Counted piece by piece; the window as one text may tokenize longer at the joins. Its
        // encoding is the row the model scores.
        let encode = |last: usize| {
            let range = pieces[first].0.start..pieces[last].0.end;
            tokenizer.encode_pair(query, &passage[range.clone()]).map(|pair| (range, pair))
        };
        let mut window = encode(last)?;
        while last > first && window.1.0.len().saturating_sub(base) > budget {
            last -= 1;
            window = encode(last)?;
        }
        out.push(window);
        if last + 1 == pieces.len() {
            break;
        }
        // The next window starts where about a quarter of this one is left to share.
        let mut next = last + 1;
        let mut shared = 0;
        while next > first + 1 && shared + pieces[next - 1].1 <= budget / 4 {
            next -= 1;
            shared += pieces[next].1;
        }
        first = next;
    }
    Ok(Some(out))
}

/// The rows scoring `pairs` under `overflow`: `(ids, second segment, pair, window)` — one per
/// pair, or one per window of a passage that does not fit.
#[allow(clippy::type_complexity)]
pub(super) fn rows<Q: AsRef<str>, P: AsRef<str>>(
    tokenizer: &PairTokenizer,
    overflow: Overflow,
    pairs: &[(Q, P)],
) -> Result<Vec<(Vec<u32>, usize, usize, Option<Window>)>> {
    let mut rows = Vec::with_capacity(pairs.len());
    for (i, (q, p)) in pairs.iter().enumerate() {
        let (q, p) = (q.as_ref(), p.as_ref());
        let (row, second) = tokenizer.encode_pair(q, p)?;
        let split = match overflow {
            Overflow::Chunks { max_chunks } => windows(tokenizer, q, p, row.len(), max_chunks)?,
            Overflow::Truncate => None,
        };
        let Some(split) = split else {
            rows.push((row, second, i, None));
            continue;
        };
        let count = split.len();
        for (index, (range, (row, second))) in split.into_iter().enumerate() {
            let window = Window { start: range.start, end: range.end, index, count };
            rows.push((row, second, i, Some(window)));
        }
    }
    Ok(rows)
}

/// `text`'s sentences, as byte ranges covering it: each ends after a sentence mark (`。．！？!?`),
/// a newline, or a period followed by whitespace; whitespace after the mark stays with it.
fn sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let ends = matches!(c, '。' | '．' | '！' | '？' | '!' | '?' | '\n') || (c == '.' && next.is_some_and(char::is_whitespace));
        if ends {
            let mut end = i + c.len_utf8();
            while let Some(&(j, n)) = chars.peek() {
                if !n.is_whitespace() {
                    break;
                }
                end = j + n.len_utf8();
                chars.next();
            }
            out.push(start..end);
            start = end;
        }
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// Pushes `range` of `text` onto `out` with its token count, cut by characters into pieces of at
/// most `budget` tokens where it has more.
fn split_to_fit(
    text: &str,
    range: Range<usize>,
    budget: usize,
    tokens: &impl Fn(&Range<usize>) -> Result<usize>,
    out: &mut Vec<(Range<usize>, usize)>,
) -> Result<()> {
    let n = tokens(&range)?;
    let chars: Vec<usize> = text[range.clone()].char_indices().map(|(i, _)| range.start + i).collect();
    if n <= budget || chars.len() < 2 {
        out.push((range, n));
        return Ok(());
    }
    // Halves by characters until each piece fits: log₂ of the excess steps, each a re-count.
    let mid = chars[chars.len() / 2];
    split_to_fit(text, range.start..mid, budget, tokens, out)?;
    split_to_fit(text, mid..range.end, budget, tokens, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_cover_the_text_and_end_after_their_marks() {
        let text = "東京は晴れ。大阪は雨！ Tokyo is sunny. Osaka?\nlast line";
        let parts: Vec<&str> = sentences(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(parts, ["東京は晴れ。", "大阪は雨！ ", "Tokyo is sunny. ", "Osaka?\n", "last line"]);
        assert_eq!(parts.concat(), text);
        assert!(sentences("").is_empty());
        assert_eq!(sentences("v1.2 and e.g.x"), [0..14]);
    }

    #[test]
    fn overflow_names() {
        for name in Overflow::NAMES {
            assert_eq!(Overflow::from_name(name, Some(3)).unwrap().name(), name);
        }
        assert_eq!(Overflow::from_name("chunks", None), Some(Overflow::Chunks { max_chunks: DEFAULT_MAX_CHUNKS }));
        assert_eq!(Overflow::from_name("chunks", Some(0)), Some(Overflow::Chunks { max_chunks: 1 }));
        assert_eq!(Overflow::from_name("split", None), None);
    }
}
