//! MeCab word splitting, as `fugashi` + `unidic-lite` do it for `BertJapaneseTokenizer`: the
//! `vibrato` crate (a maintained Rust port of MeCab's Viterbi search that builds for wasm) on
//! unidic-lite's dictionary, compiled to vibrato's format and zstd-compressed
//! (`scripts/build-dictionary.sh`; README, "BERT-ja"). The dictionary is not in the model
//! repository: the app serves it (the browser fetches and caches it like the weights), or a
//! native caller reads it from a path.
//!
//! The file: one line naming the MeCab dictionary (`mecab_kwargs.mecab_dic`'s value, so a model
//! naming another is refused) and the SHA-256 of what follows it, then vibrato's format,
//! zstd-compressed or not. The sum is checked before a byte of the payload is parsed, so a
//! damaged file is named as one instead of splitting words silently. vibrato reads lengths from
//! the payload and allocates what they say (upstream, bincode without a limit: natively a huge
//! one aborts); the vendored vibrato's `read_bounded` stops any length that claims more memory
//! than the payload could hold, for a crafted file whose sum is right.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The file name the package ships and the demo serves.
pub const DICTIONARY_FILE: &str = "unidic-lite.vibrato.zst";

/// zstd's frame magic, to tell a compressed file from vibrato's own format.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// The file's first line, before the dictionary's name and its payload's sum.
const HEADER: &[u8] = b"ja-rerank MeCab dictionary 3: ";
/// What precedes the payload's SHA-256 (64 hex digits) on that line.
const SUM: &str = " sha256=";
/// The first line's longest plausible length: a name and the sum.
const MAX_LINE: usize = 512;

/// How many bytes of memory the containers vibrato is decoding at any moment may claim per byte
/// of its format: a `Vec<String>` of n entries claims 24·n bytes for at least 8·n in the file,
/// so 3 is the most an honest file needs; 4 leaves a margin (unidic-lite needs DICTIONARY_CLAIM
/// in tests/bert_japanese.rs).
const CLAIM_PER_BYTE: u64 = 4;

fn claim_bound(format_bytes: u64) -> usize {
    usize::try_from(format_bytes.saturating_mul(CLAIM_PER_BYTE)).unwrap_or(usize::MAX)
}

/// A MeCab dictionary ready to split text into words.
pub struct MecabDictionary {
    tokenizer: vibrato::Tokenizer,
    name: String,
}

impl std::fmt::Debug for MecabDictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MecabDictionary")
    }
}

impl MecabDictionary {
    /// Reads a dictionary file (the module's docs). A file that is not one (an HTML error page, a
    /// truncated download, a dictionary from another vibrato version, one without the line that
    /// names it) is [`Error::Dictionary`], never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |e: String| {
            Error::Dictionary(format!("not a vibrato dictionary ({e}); build it with scripts/build-dictionary.sh"))
        };
        let (line, payload) = bytes
            .strip_prefix(HEADER)
            .and_then(|rest| {
                let end = rest.iter().take(MAX_LINE).position(|&b| b == b'\n')?;
                Some((&rest[..end], &rest[end + 1..]))
            })
            .ok_or_else(|| {
                bad(if bytes.starts_with(b"ja-rerank MeCab dictionary 1: ") {
                    "a version 1 file, without its checksum".into()
                } else if bytes.starts_with(b"ja-rerank MeCab dictionary 2: ") {
                    "a version 2 file, whose zstd frame need not say its size".into()
                } else {
                    "no line naming the MeCab dictionary".into()
                })
            })?;
        let line = std::str::from_utf8(line).map_err(|_| bad("its name is not UTF-8".into()))?;
        let (name, expected) = line.rsplit_once(SUM).ok_or_else(|| bad("its first line has no sha256".into()))?;
        let found = sha256_hex(payload);
        if !expected.eq_ignore_ascii_case(&found) {
            return Err(Error::Dictionary(format!(
                "the MeCab dictionary is damaged: its payload's SHA-256 is {found}, its first line says {expected}"
            )));
        }
        // Decoded as it is read: the ~100 MB of vibrato's format never sit in one buffer. No more
        // than the frame says it holds is read, and no length in it may claim more than
        // CLAIM_PER_BYTE times that (the sum says the file is the one its maker wrote, not
        // that its maker was honest).
        let dict = if payload.starts_with(&ZSTD_MAGIC) {
            let decoder = ruzstd::decoding::StreamingDecoder::new(payload).map_err(|e| bad(format!("zstd: {e}")))?;
            let size = decoder.decoder.content_size();
            if size == 0 {
                return Err(bad("its zstd frame does not say its size (compress with --stream-size)".into()));
            }
            vibrato::Dictionary::read_bounded(std::io::Read::take(decoder, size), claim_bound(size))
        } else {
            vibrato::Dictionary::read_bounded(payload, claim_bound(payload.len() as u64))
        }
        .map_err(|e| bad(e.to_string()))?;
        Self::new(dict, name.to_string())
    }

    fn new(dict: vibrato::Dictionary, name: String) -> Result<Self> {
        // MeCab skips the characters of its SPACE category between words and groups unknown
        // words up to 24 characters; vibrato does either only when asked.
        let tokenizer = vibrato::Tokenizer::new(dict)
            .ignore_space(true)
            .map_err(|e| Error::Dictionary(format!("not a MeCab dictionary: {e}")))?
            .max_grouping_len(24);
        Ok(Self { tokenizer, name })
    }

    /// Which MeCab dictionary this is, as a model's `mecab_kwargs.mecab_dic` names it
    /// (`unidic_lite`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A dictionary file: the line naming it with `payload`'s SHA-256, then `payload` (vibrato's
    /// format, as [`Self::compile`] writes it, zstd-compressed or not).
    pub fn file(name: &str, payload: &[u8]) -> Result<Vec<u8>> {
        if name.is_empty() || name.contains('\n') || name.contains(SUM) || name.len() > MAX_LINE - 80 {
            return Err(Error::InvalidInput(format!(
                "a dictionary's name must be one short non-empty line, not {name:?}"
            )));
        }
        let line = format!("{name}{SUM}{}\n", sha256_hex(payload));
        Ok([HEADER, line.as_bytes(), payload].concat())
    }

    /// Compiles MeCab source files (lex.csv, matrix.def, char.def, unk.def: what
    /// `tools/fixtures/mecab_sources.py` writes from unidic-lite) into vibrato's format, the
    /// payload of a dictionary [`file`](Self::file).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn compile(sources: &std::path::Path) -> Result<Vec<u8>> {
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
        let mut out = Vec::new();
        dict.write(&mut out).map_err(|e| Error::Dictionary(format!("cannot write: {e}")))?;
        Ok(out)
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
