use bincode::{Decode, Encode};

use crate::errors::Result;
use crate::utils::FromU32;

#[derive(Decode, Encode)]
pub struct Postings {
    // Sets of ids are stored by interleaving their length and values.
    // Then, 8 bits would be sufficient to represent the length in most cases, and
    // serializing `data` into a byte sequence can reduce the memory usage.
    // However, the memory usage is slight compared to that of the connection matrix.
    // Thus, we implement `data` as `Vec<u32>` for simplicity.
    data: Vec<u32>,
}

impl Postings {
    #[inline(always)]
    /// ja-rerank's patch: the set at `i` fits and names words below `num_words`.
    pub(crate) fn check(&self, i: usize, num_words: usize) -> core::result::Result<(), &'static str> {
        let len = self.data.get(i).map(|&n| usize::from_u32(n)).ok_or("a trie value is past the postings")?;
        let ids = i
            .checked_add(1 + len)
            .and_then(|end| self.data.get(i + 1..end))
            .ok_or("a set of postings runs past their end")?;
        if ids.iter().any(|&id| usize::from_u32(id) >= num_words) {
            return Err("a posting names a word the lexicon lacks");
        }
        Ok(())
    }

    pub fn ids(&'_ self, i: usize) -> impl Iterator<Item = u32> + '_ {
        let len = usize::from_u32(self.data[i]);
        self.data[i + 1..i + 1 + len].iter().cloned()
    }
}

#[derive(Default)]
pub struct PostingsBuilder {
    data: Vec<u32>,
}

impl PostingsBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline(always)]
    pub fn push(&mut self, ids: &[u32]) -> Result<usize> {
        let offset = self.data.len();
        self.data.push(ids.len().try_into()?);
        self.data.extend_from_slice(ids);
        Ok(offset)
    }

    #[allow(clippy::missing_const_for_fn)]
    pub fn build(self) -> Postings {
        Postings { data: self.data }
    }
}
