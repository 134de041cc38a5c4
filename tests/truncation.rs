//! The reference's truncation (issue 33): a `tokenizer_config.json` whose `model_max_length` is
//! below the model's positions sets the limit, as sentence-transformers' `CrossEncoder` does by
//! default, for every family; the caller's `max_length` replaces it, as `CrossEncoder(max_length=…)`
//! does. Reference: fixtures/truncation-reference.json (tools/fixtures/make_truncation.py: the limit
//! CrossEncoder resolved, the ids at it, PyTorch's scores on them).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{TOLERANCE, fixtures, mecab_dictionary, model_dir};
use ja_rerank::reranker::MaxLengthSource;
use ja_rerank::{Reranker, RerankerOptions};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    models: BTreeMap<String, Model>,
}

#[derive(Deserialize)]
struct Model {
    tokenizer_config: serde_json::Value,
    max_length: usize,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    query: String,
    passage: String,
    input_ids: Vec<u32>,
    score: f32,
}

fn reference() -> Reference {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("truncation-reference.json")).unwrap()).unwrap()
}

/// A copy of stand-in `name` whose tokenizer_config.json is `tokenizer_config`.
fn with_tokenizer_config(name: &str, tokenizer_config: &serde_json::Value) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("ja-rerank-truncation-{name}-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(model_dir(name)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(dir.join("tokenizer_config.json"), serde_json::to_vec_pretty(tokenizer_config).unwrap()).unwrap();
    dir
}

fn rand_suffix() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn options(max_length: Option<usize>) -> RerankerOptions {
    RerankerOptions { max_length, mecab_dictionary: Some(mecab_dictionary()), ..Default::default() }
}

#[test]
fn every_family_truncates_at_the_tokenizers_model_max_length_as_cross_encoder_does() {
    let reference = reference();
    assert_eq!(reference.models.keys().collect::<Vec<_>>(), ["bert-tiny", "mb-tiny", "tiny"]);
    for (name, model) in &reference.models {
        let dir = with_tokenizer_config(name, &model.tokenizer_config);
        let reranker = Reranker::from_dir(&dir, options(None)).unwrap();
        assert_eq!(
            (reranker.max_length(), reranker.max_length_source()),
            (model.max_length, MaxLengthSource::Tokenizer),
            "{name}"
        );
        assert!(model.max_length < reranker.config().max_tokens(), "{name}: the limit is below the positions");
        // Pairs with an empty query are refused by design (Reranker::plan).
        let cases: Vec<&Case> = model.cases.iter().filter(|c| !c.query.trim().is_empty()).collect();
        assert!(cases.len() >= 40, "{name}: {} cases", cases.len());
        let pairs: Vec<(&str, &str)> = cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect();
        let plan = reranker.plan(&pairs).unwrap();
        let scores = reranker.score(&pairs).unwrap();
        let mut reached = 0;
        for (i, case) in cases.iter().enumerate() {
            assert_eq!(plan.input_ids(i), case.input_ids.as_slice(), "{name} {}", case.name);
            assert!(
                (scores[i].score - case.score).abs() <= TOLERANCE,
                "{name} {}: {} vs {}",
                case.name,
                scores[i].score,
                case.score
            );
            reached += usize::from(case.input_ids.len() == model.max_length);
        }
        assert!(reached >= 2, "{name}: {reached} pairs reach the limit");
        // Without the file's limit (the file absent, or transformers' "none"), the positions.
        let mut none = model.tokenizer_config.clone();
        none["model_max_length"] = serde_json::json!(1e30);
        let unlimited = Reranker::from_dir(with_tokenizer_config(name, &none), options(None)).unwrap();
        assert_eq!(unlimited.max_length_source(), MaxLengthSource::Positions, "{name}");
        assert_eq!(unlimited.max_length(), unlimited.config().max_tokens(), "{name}");
        let longest = unlimited.plan(&pairs).unwrap();
        assert!((0..pairs.len()).any(|i| longest.input_ids(i).len() > model.max_length), "{name}: the limit mattered");
        // The caller's value replaces the file's, as CrossEncoder(max_length=…) does.
        let asked = Reranker::from_dir(&dir, options(Some(model.max_length + 7))).unwrap();
        assert_eq!(
            (asked.max_length(), asked.max_length_source()),
            (model.max_length + 7, MaxLengthSource::Option),
            "{name}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn a_tokenizer_config_whose_limit_is_not_a_length_is_a_tokenizer_error() {
    let model = &reference().models["mb-tiny"];
    for bad in [serde_json::json!(0), serde_json::json!(-1), serde_json::json!("512"), serde_json::json!(2.5)] {
        let mut config = model.tokenizer_config.clone();
        config["model_max_length"] = bad.clone();
        let dir = with_tokenizer_config("mb-tiny", &config);
        match Reranker::from_dir(&dir, options(None)) {
            Err(ja_rerank::Error::Tokenizer(m)) => assert!(m.contains("model_max_length"), "{m}"),
            other => panic!("{bad}: expected Error::Tokenizer, got {:?}", other.map(|_| ())),
        }
    }
}
