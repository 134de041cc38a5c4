use bincode::{
    de::{BorrowDecode, BorrowDecoder, Decoder},
    enc::Encoder,
    error::{DecodeError, EncodeError},
    Decode, Encode,
};

use crate::errors::{Result, VibratoError};

pub struct Trie {
    da: crawdad::Trie,
}

impl Encode for Trie {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), EncodeError> {
        Encode::encode(&self.da.serialize_to_vec(), encoder)?;
        Ok(())
    }
}

impl<Context> Decode<Context> for Trie {
    fn decode<D: Decoder>(decoder: &mut D) -> Result<Self, DecodeError> {
        let data: Vec<u8> = Decode::decode(decoder)?;
        check_crawdad_layout(&data)?;
        let (da, _) = crawdad::Trie::deserialize_from_slice(&data);
        Ok(Self { da })
    }
}

/// crawdad's deserializer indexes its slice and allocates the lengths it reads (ja-rerank's
/// patch): its layout (a u32-counted table of u32, the alphabet size, a u32-counted list of
/// 8-byte nodes) must fit the bytes before it runs.
fn check_crawdad_layout(data: &[u8]) -> Result<(), DecodeError> {
    let bad = || DecodeError::Other("a trie's lengths do not fit its bytes");
    let count = |at: usize| -> Result<usize, DecodeError> {
        let bytes = data.get(at..at + 4).ok_or_else(bad)?;
        Ok(u32::from_le_bytes(bytes.try_into().unwrap()) as usize)
    };
    let table = count(0)?;
    let nodes_at = 4usize
        .checked_add(table.checked_mul(4).ok_or_else(bad)?)
        .and_then(|n| n.checked_add(4))
        .ok_or_else(bad)?;
    let nodes = count(nodes_at)?;
    let end = nodes.checked_mul(8).and_then(|n| n.checked_add(nodes_at + 4)).ok_or_else(bad)?;
    if end > data.len() {
        return Err(bad());
    }
    Ok(())
}

impl<'de, Context> BorrowDecode<'de, Context> for Trie {
    fn borrow_decode<D: BorrowDecoder<'de>>(decoder: &mut D) -> Result<Self, DecodeError> {
        let data: &[u8] = BorrowDecode::borrow_decode(decoder)?;
        check_crawdad_layout(data)?;
        let (da, _) = crawdad::Trie::deserialize_from_slice(data);
        Ok(Self { da })
    }
}

impl Trie {
    /// ja-rerank's patch: crawdad's search indexes its nodes with what they hold. Checks that
    /// every step a search can take stays inside the nodes (every code the table gives is below
    /// the alphabet size; from every inner node, `base ^ code` for every such code is a node; a
    /// node's leaf is a node) and returns every value a search can yield.
    pub(crate) fn checked_values(&self) -> Result<Vec<u32>, &'static str> {
        const MASK: u32 = 0x7fff_ffff; // crawdad's OFFSET_MASK; the high bits are its flags
        let bytes = self.da.serialize_to_vec();
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let table_len = word(0) as usize;
        let alphabet = word(4 + 4 * table_len);
        let nodes_at = 4 + 4 * table_len + 8;
        let len = word(nodes_at - 4) as usize;
        let node = |i: usize| (word(nodes_at + 8 * i), word(nodes_at + 8 * i + 4));
        if alphabet == 0 || len == 0 || len > MASK as usize {
            return Err("a trie without nodes or alphabet");
        }
        if (0..table_len).any(|i| {
            let code = word(4 + 4 * i);
            code != u32::MAX && code >= alphabet
        }) {
            return Err("a trie's character code is outside its alphabet");
        }
        let mut values = Vec::new();
        for i in 0..len {
            let (base, check) = node(i);
            let offset = (base & MASK) as usize;
            if base == MASK && check == MASK {
                continue; // vacant: no check equals it, so no search reaches it
            }
            if base & !MASK != 0 {
                values.push(base & MASK); // a leaf: its base is its value
                continue;
            }
            if max_xor_below(base & MASK, alphabet) as usize >= len {
                return Err("a trie's node points past its nodes");
            }
            if check & !MASK != 0 {
                values.push(node(offset).0 & MASK); // its leaf, at base ^ END_CODE (0)
            }
        }
        Ok(values)
    }

    pub fn from_records<K>(records: &[(K, u32)]) -> Result<Self>
    where
        K: AsRef<str>,
    {
        Ok(Self {
            da: crawdad::Trie::from_records(records.iter().map(|(k, v)| (k, *v)))
                .map_err(|e| VibratoError::invalid_argument("records", e.to_string()))?,
        })
    }

    #[inline(always)]
    pub fn common_prefix_iterator<'a>(
        &'a self,
        input: &'a [char],
    ) -> impl Iterator<Item = TrieMatch> + 'a {
        self.da
            .common_prefix_search(input.iter().cloned())
            .map(move |(value, end_char)| TrieMatch::new(value, end_char))
    }
}

#[derive(Debug, Eq, PartialEq, Clone)]
pub struct TrieMatch {
    pub value: u32,
    pub end_char: usize,
}

impl TrieMatch {
    #[inline(always)]
    pub const fn new(value: u32, end_char: usize) -> Self {
        Self { value, end_char }
    }
}

/// The largest `base ^ code` over `code < alphabet` (`alphabet` ≥ 1): bit by bit from the top,
/// the code takes the bit that sets the result's while it can stay below the alphabet.
fn max_xor_below(base: u32, alphabet: u32) -> u32 {
    let limit = alphabet - 1;
    let (mut code, mut tight) = (0u32, true);
    for bit in (0..32).rev() {
        let want = !(base >> bit) & 1;
        if !tight {
            code |= want << bit;
        } else if (limit >> bit) & 1 == 1 {
            if want == 1 {
                code |= 1 << bit;
            } else {
                tight = false;
            }
        }
    }
    base ^ code
}
