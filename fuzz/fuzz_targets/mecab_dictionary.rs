//! A MeCab dictionary file: the line naming it and its payload's SHA-256, then vibrato's format.
//! Past a matching sum vibrato parses (it allocates the lengths it reads: README, "Fuzzing").
#![no_main]
use ja_rerank::tokenize::MecabDictionary;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = MecabDictionary::from_bytes(data);
});
