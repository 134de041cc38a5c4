//! [`WeightBytes`]: a weights file (or a part of one) in an allocation aligned the way burn wants
//! tensor data, so that tensors can be zero-copy views of it.

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

    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        &mut bytemuck::cast_slice_mut::<u128, u8>(&mut self.words)[..self.len]
    }

    /// Truncates to `len` bytes (tests use it to make broken files).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
        self.words.truncate(self.len.div_ceil(16));
    }

    /// The buffer as burn's shareable `Bytes`, without a copy (u128 elements carry burn's
    /// maximum alignment, so no realigning copy either). It may end with up to 15 padding bytes;
    /// views are cut by the file's offsets.
    pub(super) fn into_burn(self) -> burn::store::burn_pack::Bytes {
        burn::store::burn_pack::Bytes::from_elems(self.words).shared()
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
