//! Fixture access shared by the native tests. The fixtures and their reference values come
//! from tools/fixtures (Python tokenizers + PyTorch); nothing here is hand-written.
#![allow(dead_code)]

use std::path::PathBuf;

use serde::Deserialize;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn model_dir(name: &str) -> PathBuf {
    fixtures().join("models").join(name)
}

/// A generated (not committed) full-size stand-in, `fixtures/{name}`: None when it was not
/// generated (the test then says it skipped), a failure when CI asked for it with
/// JA_RERANK_REQUIRE_FULL=1; `how` names the command that makes it.
pub fn generated(name: &str, how: &str) -> Option<PathBuf> {
    let dir = fixtures().join(name);
    if dir.join("model.safetensors").exists() {
        return Some(dir);
    }
    assert!(std::env::var_os("JA_RERANK_REQUIRE_FULL").is_none(), "JA_RERANK_REQUIRE_FULL is set but {} is missing", dir.display());
    eprintln!("SKIPPED: {} not generated ({how})", dir.display());
    None
}

/// The sha256 of a file, hex.
pub fn sha256_hex(path: &std::path::Path) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

#[derive(Deserialize, Clone)]
pub struct Case {
    pub name: String,
    pub query: String,
    pub passage: String,
    pub max_length: usize,
    pub input_ids: Vec<u32>,
    /// BERT's (bert-reference.json); the other references have none.
    #[serde(default)]
    pub token_type_ids: Vec<u32>,
    #[serde(default)]
    pub logits: std::collections::BTreeMap<String, f32>,
    #[serde(default)]
    pub scores: std::collections::BTreeMap<String, f32>,
    // full-reference.json has one model, so one logit and score per case.
    pub logit: Option<f32>,
    pub score: Option<f32>,
}

#[derive(Deserialize)]
pub struct Reference {
    pub cases: Vec<Case>,
    #[serde(default)]
    pub sha256: std::collections::BTreeMap<String, String>,
}

pub fn reference(file: &str) -> Reference {
    let text = std::fs::read_to_string(fixtures().join(file)).expect("reference file");
    serde_json::from_str(&text).expect("reference JSON")
}

/// The committed small models, each scored by the reference.
pub const MODELS: [&str; 2] = ["tiny", "odd"];

pub const TOLERANCE: f32 = 1e-4;

/// The MeCab dictionary the BERT-ja stand-ins need (not committed: scripts/build-dictionary.sh).
pub fn mecab_dictionary() -> std::sync::Arc<ja_rerank::tokenize::MecabDictionary> {
    let path = fixtures().join("dictionary").join(ja_rerank::tokenize::DICTIONARY_FILE);
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; build it with scripts/build-dictionary.sh", path.display()));
    std::sync::Arc::new(ja_rerank::tokenize::MecabDictionary::from_bytes(&bytes).unwrap())
}

/// A copy of stand-in `model` with compact weights, in a fresh folder (tests run in parallel).
pub fn compact_copy(model: &str, to: ja_rerank::load::compact::Compact) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ja-rerank-compact-{model}-{}-{}-{n}", to.name(), std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["config.json", "tokenizer.json"] {
        std::fs::copy(model_dir(model).join(f), dir.join(f)).unwrap();
    }
    let f32 = std::fs::read(model_dir(model).join(ja_rerank::load::WEIGHTS_FILE)).unwrap();
    std::fs::write(dir.join(ja_rerank::load::WEIGHTS_FILE), ja_rerank::load::compact::convert(&f32, to).unwrap()).unwrap();
    dir
}

/// A reranker on the model in `dir` holding every tensor but the word embeddings (its family's
/// eager ranges of `model.safetensors`), as the browser loads one with rows on demand, and the
/// whole file, for the caller to serve rows from (`row_requests` / `insert_rows`).
pub fn on_demand(dir: &std::path::Path) -> (ja_rerank::Reranker, Vec<u8>) {
    use ja_rerank::load::{Header, WEIGHTS_FILE};
    let file = std::fs::read(dir.join(WEIGHTS_FILE)).unwrap();
    let header = Header::parse(&file[..Header::size_from_prefix(&file).unwrap() as usize]).unwrap();
    let config = ja_rerank::ModelConfig::from_json(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    let parts = config
        .eager_ranges(&header)
        .into_iter()
        .map(|r| (r.start, ja_rerank::WeightBytes::from(&file[r.start as usize..r.end as usize])))
        .collect();
    let tokenizer = std::fs::read(dir.join("tokenizer.json")).unwrap();
    let weights = ja_rerank::Weights::Parts { header, parts };
    let r = ja_rerank::Reranker::from_config(config, tokenizer.as_slice().into(), weights, Default::default()).unwrap();
    (r, file)
}
