//! MeCab word splitting, as `fugashi` + `unidic-lite` do it for `BertJapaneseTokenizer`: the
//! `vibrato` crate (a maintained Rust port of MeCab's Viterbi search that builds for wasm) on
//! unidic-lite's dictionary, compiled to vibrato's format and zstd-compressed
//! (`scripts/build-dictionary.sh`; README, "MeCab dictionary"). The dictionary is not in the
//! model repository: the app serves it (the browser fetches and caches it like the weights), or a
//! native caller reads it from a path.

use crate::error::{Error, Result};

/// The file name the package ships and the demo serves.
pub const DICTIONARY_FILE: &str = "unidic-lite.vibrato.zst";

/// zstd's frame magic, to tell a compressed file from vibrato's own format.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// A MeCab dictionary ready to split text into words.
pub struct MecabDictionary {
    tokenizer: vibrato::Tokenizer,
}

impl std::fmt::Debug for MecabDictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MecabDictionary")
    }
}

impl MecabDictionary {
    /// Reads a vibrato dictionary, zstd-compressed or not. A file that is not one (an HTML error
    /// page, a truncated download, a dictionary from another vibrato version) is
    /// [`Error::Dictionary`], never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |e: String| Error::Dictionary(format!("not a vibrato dictionary ({e}); build it with scripts/build-dictionary.sh"));
        // Decoded as it is read: the ~100 MB of vibrato's format never sit in one buffer.
        let dict = if bytes.starts_with(&ZSTD_MAGIC) {
            let decoder = ruzstd::decoding::StreamingDecoder::new(bytes).map_err(|e| bad(format!("zstd: {e}")))?;
            vibrato::Dictionary::read(decoder)
        } else {
            vibrato::Dictionary::read(bytes)
        }
        .map_err(|e| bad(e.to_string()))?;
        Self::new(dict)
    }

    fn new(dict: vibrato::Dictionary) -> Result<Self> {
        // MeCab skips the characters of its SPACE category between words and groups unknown
        // words up to 24 characters; vibrato does either only when asked.
        let tokenizer = vibrato::Tokenizer::new(dict)
            .ignore_space(true)
            .map_err(|e| Error::Dictionary(format!("not a MeCab dictionary: {e}")))?
            .max_grouping_len(24);
        Ok(Self { tokenizer })
    }

    /// Compiles MeCab source files (lex.csv, matrix.def, char.def, unk.def: what
    /// `tools/fixtures/mecab_sources.py` writes from unidic-lite) into vibrato's format.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn compile(sources: &std::path::Path, out: impl std::io::Write) -> Result<usize> {
        let open = |name: &str| {
            std::fs::File::open(sources.join(name))
                .map(std::io::BufReader::new)
                .map_err(|e| Error::Dictionary(format!("cannot read {}: {e}", sources.join(name).display())))
        };
        let dict = vibrato::SystemDictionaryBuilder::from_readers(
            open("lex.csv")?,
            open("matrix.def")?,
            open("char.def")?,
            open("unk.def")?,
        )
        .map_err(|e| Error::Dictionary(format!("cannot compile {}: {e}", sources.display())))?;
        dict.write(out).map_err(|e| Error::Dictionary(format!("cannot write: {e}")))
    }

    /// The surfaces of the words MeCab finds in `text` (spaces between them dropped). MeCab
    /// reads a C string: text after a NUL is not read, so it is not here either.
    pub fn words<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let text = text.split('\0').next().unwrap_or_default();
        let mut worker = self.tokenizer.new_worker();
        worker.reset_sentence(text);
        worker.tokenize();
        (0..worker.num_tokens()).map(|i| &text[worker.token(i).range_byte()]).collect()
    }
}
