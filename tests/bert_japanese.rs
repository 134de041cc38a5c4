//! BertJapaneseTokenizer's port against transformers' (fugashi + unidic-lite): MeCab's words,
//! each text's ids and every pair's ids at three max_lengths, from fixtures/bert-reference.json
//! (tools/fixtures/make_bert.py). Needs the dictionary: scripts/build-dictionary.sh.

#![cfg(not(target_arch = "wasm32"))] // native only; the browser's is tests/web/bert.rs

mod bert_support;
mod common;

use std::sync::Arc;

use bert_support::{TOKENIZER_CONFIG, VOCAB, reference};
use common::mecab_dictionary as dictionary;
use ja_rerank::model::Row;
use ja_rerank::model::bert::token_type_ids;
use ja_rerank::tokenize::{BertJapanese, MecabDictionary, PairTokenizer, TokenizerFiles};
use unicode_normalization::UnicodeNormalization;

#[test]
fn mecab_words_equal_fugashi_with_unidic_lite() {
    let dict = dictionary();
    let reference = reference();
    assert!(reference.texts.len() >= 60, "{} texts", reference.texts.len());
    let mut wrong = Vec::new();
    for case in &reference.texts {
        let text: String = case.text.nfkc().collect();
        let words = dict.words(&text);
        if words != case.words {
            wrong.push(format!("{}: {:?}\n   fugashi {:?}", case.name, words, case.words));
        }
    }
    assert!(wrong.is_empty(), "{} of {} texts split differently:\n{}", wrong.len(), reference.texts.len(), wrong.join("\n"));
}

#[test]
fn text_ids_equal_bert_japanese_tokenizer() {
    let tokenizer = BertJapanese::new(TOKENIZER_CONFIG, VOCAB, dictionary()).unwrap();
    let reference = reference();
    let mut wrong = Vec::new();
    for case in &reference.texts {
        let ids = tokenizer.ids(&case.text).unwrap();
        if ids != case.ids {
            wrong.push(format!("{}: {:?}\n   python {:?}", case.name, ids, case.ids));
        }
    }
    assert!(wrong.is_empty(), "{} of {} texts differ:\n{}", wrong.len(), reference.texts.len(), wrong.join("\n"));
}

/// Ids at three max_lengths (odd and even budgets: longest_first's tie rule), and the token types
/// BERT's input rule derives from where the tokenizer says the second segment starts.
#[test]
fn pair_ids_and_token_types_equal_bert_japanese_tokenizer_with_truncation() {
    let dict = dictionary();
    let reference = reference();
    let mut wrong = Vec::new();
    let mut truncated = 0;
    for case in &reference.cases {
        let files = TokenizerFiles::BertJapanese { config: TOKENIZER_CONFIG, vocab: VOCAB, dictionary: dict.clone() };
        let tokenizer = PairTokenizer::new(files, case.max_length).unwrap();
        let (ids, second_segment) = tokenizer.encode_pair(&case.query, &case.passage).unwrap();
        truncated += usize::from(ids.len() == case.max_length);
        if ids != case.input_ids {
            wrong.push(format!("{} (max_length {}): {:?}\n   python {:?}", case.name, case.max_length, ids, case.input_ids));
        }
        let types: Vec<i64> = token_type_ids(&Row { ids: &ids, second_segment }, ids.len()).collect();
        if types != case.token_type_ids {
            wrong.push(format!("{} (max_length {}) token types: {types:?}\n   python {:?}", case.name, case.max_length, case.token_type_ids));
        }
    }
    assert!(wrong.is_empty(), "{} of {} pairs differ:\n{}", wrong.len(), reference.cases.len(), wrong.join("\n"));
    // The truncation rule was exercised, at odd and even budgets.
    assert!(truncated > 30, "only {truncated} pairs reached max_length");
}

#[test]
fn a_dictionary_that_is_not_one_is_a_typed_error() {
    let named = |payload: &[u8]| MecabDictionary::file("unidic_lite", payload).unwrap();
    let bad: [&[u8]; 5] = [
        b"<html>Not Found</html>",
        &[0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3],
        &[],
        &named(&[0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3]),
        &named(b"not vibrato"),
    ];
    for bytes in bad {
        match MecabDictionary::from_bytes(bytes) {
            Err(ja_rerank::Error::Dictionary(m)) => assert!(m.contains("not a vibrato dictionary"), "{m}"),
            other => panic!("expected Error::Dictionary, got {:?}", other.map(|_| ())),
        }
    }
}

/// The issue's finding: a block corrupted in the middle of the real dictionary loaded and split
/// words silently, and corrupted length fields aborted the process natively. The payload's
/// SHA-256 in the naming line catches both before vibrato reads a byte; a version 1 file (no sum)
/// is refused by name.
#[test]
fn a_damaged_dictionary_is_a_dictionary_error_naming_both_sums() {
    let path = common::fixtures().join("dictionary").join(ja_rerank::tokenize::DICTIONARY_FILE);
    let bytes = std::fs::read(path).unwrap();
    let start = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let line = std::str::from_utf8(&bytes[..start - 1]).unwrap();
    let expected = line.rsplit_once("sha256=").unwrap().1;
    let mut middle = bytes.clone();
    let at = start + (bytes.len() - start) / 2;
    middle[at..at + 4096].iter_mut().for_each(|b| *b ^= 0x5a);
    // Bytes of the zstd frame carrying vibrato's first lengths set to 2^62 (the issue's abort).
    let mut lengths = bytes.clone();
    lengths[start + 40..start + 48].copy_from_slice(&(1u64 << 62).to_le_bytes());
    for damaged in [middle, lengths] {
        match MecabDictionary::from_bytes(&damaged) {
            Err(ja_rerank::Error::Dictionary(m)) => {
                let found = sha2_hex(&damaged[start..]);
                assert!(m.contains(expected) && m.contains(&found) && found != expected, "{m}");
            }
            other => panic!("expected Error::Dictionary, got {:?}", other.map(|_| ())),
        }
    }
    let old = [b"ja-rerank MeCab dictionary 1: unidic_lite\n".as_slice(), &bytes[start..]].concat();
    match MecabDictionary::from_bytes(&old) {
        Err(ja_rerank::Error::Dictionary(m)) => assert!(m.contains("version 1"), "{m}"),
        other => panic!("expected Error::Dictionary, got {:?}", other.map(|_| ())),
    }
}

/// Past a right sum (a file crafted by whoever names it), no length vibrato reads may allocate
/// more than the file can hold: the first length in vibrato's format (the system trie's bytes)
/// set to 2^62 aborted the process before the vendored vibrato's `read_bounded`, and set to just
/// over the bound it allocated ~400 MB before failing at the file's end. Both are now refused by
/// the bound before the allocation; a zstd frame that does not say its size is refused.
#[test]
fn a_crafted_dictionary_with_a_right_sum_allocates_no_more_than_its_bound() {
    let path = common::fixtures().join("dictionary").join(ja_rerank::tokenize::DICTIONARY_FILE);
    let bytes = std::fs::read(path).unwrap();
    let start = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut raw = Vec::new();
    let mut zstd = ruzstd::decoding::StreamingDecoder::new(&bytes[start..]).unwrap();
    std::io::Read::read_to_end(&mut zstd, &mut raw).unwrap();
    // Uncompressed, the real dictionary loads within its bound (4 bytes of claim per byte).
    let file = |payload: &[u8]| MecabDictionary::file("unidic_lite", payload).unwrap();
    MecabDictionary::from_bytes(&file(&raw)).unwrap();
    let magic = b"VibratoTokenizer 0.5\n".len();
    let bound = 4 * raw.len() as u64;
    for length in [1u64 << 62, bound + 1] {
        let mut crafted = raw.clone();
        crafted[magic..magic + 8].copy_from_slice(&length.to_le_bytes());
        match MecabDictionary::from_bytes(&file(&crafted)) {
            Err(ja_rerank::Error::Dictionary(m)) => {
                assert!(m.contains(&format!("claims more than the {bound} bytes")), "{length}: {m}")
            }
            other => panic!("expected Error::Dictionary, got {:?}", other.map(|_| ())),
        }
    }
    // A zstd frame without its content size (one raw block holding the format's magic).
    let mut frame = vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00];
    let block = ((magic as u32) << 3) | 1; // last block, raw, `magic` bytes
    frame.extend_from_slice(&block.to_le_bytes()[..3]);
    frame.extend_from_slice(&raw[..magic]);
    match MecabDictionary::from_bytes(&file(&frame)) {
        Err(ja_rerank::Error::Dictionary(m)) => assert!(m.contains("does not say its size"), "{m}"),
        other => panic!("expected Error::Dictionary, got {:?}", other.map(|_| ())),
    }
}

/// What the fuzzer (`mecab_format`) found first: a dictionary vibrato reads without complaint —
/// here compiled from vibrato's own test sources, whose unk.def has no unknown word for most
/// character categories — panicked mid-sentence on the first katakana no word covers (a panic
/// kills a wasm instance). The vendored vibrato checks what a search indexes with at load.
#[test]
fn a_dictionary_a_search_would_panic_on_is_refused_at_load() {
    let sources = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor/vibrato/src/tests/resources");
    let payload = MecabDictionary::compile(&sources).unwrap();
    match MecabDictionary::from_bytes(&MecabDictionary::file("unidic_lite", &payload).unwrap()) {
        Err(ja_rerank::Error::Dictionary(m)) => assert!(m.contains("a category has no unknown word"), "{m}"),
        Ok(d) => panic!("loaded; splitting katakana gives {:?}", std::panic::catch_unwind(|| d.words("ア").len())),
        Err(e) => panic!("expected Error::Dictionary, got {e}"),
    }
}

fn sha2_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_model_naming_another_mecab_dictionary_is_refused() {
    let config = br#"{"tokenizer_class": "BertJapaneseTokenizer", "word_tokenizer_type": "mecab", "mecab_kwargs": {"mecab_dic": "ipadic"}}"#;
    match BertJapanese::new(config, VOCAB, dictionary()) {
        Err(ja_rerank::Error::Dictionary(m)) => assert!(m.contains("ipadic"), "{m}"),
        other => panic!("expected Error::Dictionary, got {:?}", other.map(|_| ())),
    }
}

/// A real dictionary that names itself otherwise (built from other sources) does not match a
/// model whose tokenizer names unidic_lite.
#[test]
fn a_dictionary_named_otherwise_does_not_match_the_model() {
    let path = common::fixtures().join("dictionary").join(ja_rerank::tokenize::DICTIONARY_FILE);
    let bytes = std::fs::read(path).unwrap();
    let payload = &bytes[bytes.iter().position(|&b| b == b'\n').unwrap() + 1..];
    let other = MecabDictionary::from_bytes(&MecabDictionary::file("unidic_cwj", payload).unwrap()).unwrap();
    assert_eq!((dictionary().name(), other.name()), ("unidic_lite", "unidic_cwj"));
    match BertJapanese::new(TOKENIZER_CONFIG, VOCAB, Arc::new(other)) {
        Err(ja_rerank::Error::Dictionary(m)) => assert!(m.contains("unidic_lite") && m.contains("unidic_cwj"), "{m}"),
        other => panic!("expected Error::Dictionary, got {:?}", other.map(|_| ())),
    }
}
