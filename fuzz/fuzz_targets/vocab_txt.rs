//! `vocab.txt` of a BERT-ja model.
#![no_main]
use ja_rerank::tokenize::read_vocab;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(vocab) = read_vocab(data) {
        assert!(vocab.len() <= data.len());
    }
});
