//! vibrato's own format, past a right sum: the input is a dictionary's payload, given the naming
//! line with its SHA-256 as a file crafted by whoever names it would have. Every length in it is
//! bounded (the vendored vibrato's `read_bounded`); a dictionary that loads splits a sentence.
#![no_main]
use ja_rerank::tokenize::MecabDictionary;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    let file = MecabDictionary::file("unidic_lite", payload).unwrap();
    if let Ok(dictionary) = MecabDictionary::from_bytes(&file) {
        let _ = dictionary.words("東京都の外国人参政権、カタカナとABC 123。");
    }
});
