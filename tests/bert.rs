//! BERT cross-encoders (base-v1 / large-v1's family) against the reference: ids from transformers'
//! BertJapaneseTokenizer (fugashi + unidic-lite), logits from BertForSequenceClassification
//! (PyTorch, eager attention), on the committed stand-in `bert-tiny`
//! (tools/fixtures/make_bert.py). The tokenizer's own checks are tests/bert_japanese.rs.
#![cfg(not(target_arch = "wasm32"))] // native only; the browser tests are tests/web_*.rs

mod common;

use common::{Case, TOLERANCE, mecab_dictionary, model_dir, reference};
use ja_rerank::{CpuBackend, Kernels, Reranker, RerankerOptions, Score};

const MAX_LENGTHS: [usize; 3] = [512, 40, 33];

fn cases_at(max_length: usize) -> Vec<Case> {
    let cases: Vec<Case> =
        reference("bert-reference.json").cases.into_iter().filter(|c| c.max_length == max_length).collect();
    assert!(cases.len() >= 90, "the reference has {} cases at max_length {max_length}", cases.len());
    cases
}

fn options(backend: CpuBackend, max_length: usize, batch_size: usize, kernels: Kernels) -> RerankerOptions {
    RerankerOptions {
        max_length: Some(max_length),
        batch_size,
        device: backend.device(),
        kernels: Some(kernels),
        mecab_dictionary: Some(mecab_dictionary()),
        ..Default::default()
    }
}

/// Every CPU backend compiled in with burn's ops, and the tiled kernels, one pair at a time and in
/// padded batches (which must not change a score: padding is token type 0 and masked).
#[test]
fn scores_equal_pytorch_one_at_a_time_and_in_batches() {
    let tiled_on = CpuBackend::default_compiled();
    for backend in CpuBackend::compiled() {
        for kernels in [Kernels::Burn, Kernels::Tiled] {
            if kernels == Kernels::Tiled && backend != tiled_on {
                continue;
            }
            for max_length in MAX_LENGTHS {
                let cases = cases_at(max_length);
                let pairs: Vec<(&str, &str)> = cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect();
                let load = |batch| Reranker::from_dir(model_dir("bert-tiny"), options(backend, max_length, batch, kernels)).unwrap();
                let single = load(1);
                let one_by_one: Vec<Score> = pairs.iter().map(|&p| single.score(&[p]).unwrap()[0]).collect();
                let batched = load(7).score(&pairs).unwrap();
                let (mut worst, mut worst_logit, mut worst_same) = (0f32, 0f32, 0f32);
                for ((case, one), batch) in cases.iter().zip(&one_by_one).zip(&batched) {
                    let want = case.scores["bert-tiny"];
                    let label = format!("{} {} {} at {max_length}", backend.name(), kernels.name(), case.name);
                    assert!((one.score - want).abs() <= TOLERANCE, "{label} (one): {} vs {want}", one.score);
                    assert!((batch.score - want).abs() <= TOLERANCE, "{label} (batched): {} vs {want}", batch.score);
                    assert_eq!(one.n_tokens, case.input_ids.len(), "{label}");
                    worst = worst.max((one.score - want).abs()).max((batch.score - want).abs());
                    worst_logit = worst_logit.max((one.logit - case.logits["bert-tiny"]).abs());
                    worst_same = worst_same.max((one.score - batch.score).abs());
                }
                assert!(worst_same <= 1e-5, "{} batched differs from one by one by {worst_same}", backend.name());
                println!(
                    "{} {} bert-tiny max_length {max_length}: max |Δscore| {worst:.2e}, max |Δlogit| {worst_logit:.2e}, \
                     batched vs one by one {worst_same:.2e}",
                    backend.name(),
                    kernels.name()
                );
            }
        }
    }
}

/// from_dir on a BERT-ja model without a dictionary says what is missing, as a typed error.
#[test]
fn a_bert_ja_model_without_a_dictionary_is_a_dictionary_error() {
    match Reranker::from_dir(model_dir("bert-tiny"), RerankerOptions::default()) {
        Err(ja_rerank::Error::Dictionary(m)) => assert!(m.contains("MeCab"), "{m}"),
        Err(e) => panic!("expected Error::Dictionary, got {e}"),
        Ok(_) => panic!("loaded without a dictionary"),
    }
}

/// The full-size stand-ins at base-v1's and large-v1's exact shapes (12 × 768 and 24 × 1,024,
/// vocab 32,768): not committed, `tools/fixtures/run make_bert_full.py [--large-v1]` makes them (CI
/// does, with JA_RERANK_REQUIRE_FULL=1). Ids and scores against PyTorch on 16 pairs up to 512
/// tokens: base-v1 with burn's ops and the tiled kernels, large-v1 (more of the same layers) with
/// burn's.
#[test]
fn full_size_stand_ins_match_pytorch() {
    for (model, how) in [("base-v1", ""), ("large-v1", " --large-v1")] {
        let Some(dir) = common::generated(model, &format!("tools/fixtures/run make_bert_full.py{how}")) else { continue };
        let text = std::fs::read_to_string(common::fixtures().join(format!("{model}-reference.json"))).unwrap();
        let reference: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (file, digest) in reference["sha256"].as_object().unwrap() {
            assert_eq!(common::sha256_hex(&dir.join(file)), digest.as_str().unwrap(), "{model}/{file}: regenerate it");
        }
        let cases: Vec<Case> = serde_json::from_value(reference["cases"].clone()).unwrap();
        assert!(cases.len() >= 16 && cases.iter().any(|c| c.input_ids.len() == 512));
        let pairs: Vec<(&str, &str)> = cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect();
        let kernels: &[Kernels] = if model == "base-v1" { &[Kernels::Burn, Kernels::Tiled] } else { &[Kernels::Burn] };
        for &kernels in kernels {
            let reranker = Reranker::from_dir(&dir, options(CpuBackend::default_compiled(), 512, 4, kernels)).unwrap();
            let plan = reranker.plan(&pairs).unwrap();
            let scores = reranker.score_plan(&plan).unwrap();
            let mut worst = 0f32;
            for (i, (case, got)) in cases.iter().zip(&scores).enumerate() {
                assert_eq!(plan.input_ids(i), case.input_ids.as_slice(), "{model} {}", case.name);
                let want = case.score.unwrap();
                assert!((got.score - want).abs() <= TOLERANCE, "{model} {} {}: {} vs {want}", kernels.name(), case.name, got.score);
                worst = worst.max((got.score - want).abs());
            }
            let backend = CpuBackend::default_compiled().name();
            println!("{model} stand-in, {backend} {}: max |Δscore| {worst:.2e} over {} pairs", kernels.name(), cases.len());
        }
    }
}
