//! `tokenizer_config.json`: the truncation limit read for every family, and the tokenizer class
//! a model without `tokenizer.json` names.
#![no_main]
use ja_rerank::reranker::MaxLength;
use ja_rerank::tokenize::{BertJapanese, model_max_length};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = BertJapanese::is_named_in(data);
    if let Ok(limit) = model_max_length(data) {
        assert!(limit.is_none_or(|n| n > 0));
        if let Ok(m) = MaxLength::resolve(None, limit, 512) {
            assert!(m.tokens >= 1 && m.tokens <= 512);
        }
    }
});
