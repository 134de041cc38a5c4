//! `config.json` of every family (seeded with each family's), its claimed size, and the module
//! template its header check builds.
#![no_main]
use ja_rerank::ModelConfig;
use ja_rerank::load::Header;
use ja_rerank::reranker::{MemoryPlan, WASM32_BYTES};
use libfuzzer_sys::fuzz_target;

/// A header of one small tensor: every config's check fails on it, after building its template.
const JSON: &[u8] = br#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(config) = ModelConfig::from_json(data) else { return };
    let dims = config.dims();
    let _ = dims.min_parameters();
    let _ = config.word_embedding_bytes();
    if MemoryPlan::check_claimed_within(&dims, WASM32_BYTES).is_ok() {
        let header = Header::parse(&[&(JSON.len() as u64).to_le_bytes()[..], JSON].concat()).expect("the fixed header");
        assert!(config.check_header(&header).is_err());
    }
});
