//! Scores and ids equal the reference (HF tokenizers + PyTorch) on the committed stand-ins.
#![cfg(not(target_arch = "wasm32"))] // native only; the browser tests are tests/web_*.rs

mod common;

use common::{Case, MODELS, TOLERANCE, model_dir, reference};
use ja_rerank::{CpuBackend, Reranker, RerankerOptions};

fn load(model: &str, max_length: usize, batch_size: usize) -> Reranker {
    load_on(CpuBackend::default_compiled(), model, max_length, batch_size)
}

fn load_on(backend: CpuBackend, model: &str, max_length: usize, batch_size: usize) -> Reranker {
    let options =
        RerankerOptions { max_length: Some(max_length), batch_size, device: backend.device(), ..Default::default() };
    Reranker::from_dir(model_dir(model), options).expect("fixture model loads")
}

fn cases_at(max_length: usize) -> Vec<Case> {
    let cases: Vec<Case> =
        reference("reference.json").cases.into_iter().filter(|c| c.max_length == max_length).collect();
    assert!(cases.len() >= 40, "the reference has {} cases at max_length {max_length}", cases.len());
    cases
}

fn pairs(cases: &[Case]) -> Vec<(&str, &str)> {
    cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect()
}

#[test]
fn token_ids_equal_hf_tokenizers() {
    for max_length in [512, 64] {
        let cases = cases_at(max_length);
        let reranker = load("tiny", max_length, 8);
        let plan = reranker.plan(&pairs(&cases)).unwrap();
        for (i, case) in cases.iter().enumerate() {
            assert_eq!(plan.input_ids(i), case.input_ids.as_slice(), "{} at max_length {max_length}", case.name);
        }
        // The long fixtures really were truncated, to exactly max_length.
        let longest = cases.iter().map(|c| c.input_ids.len()).max().unwrap();
        assert_eq!(longest, max_length);
    }
}

/// Every CPU backend compiled in (`--features ndarray` adds burn-ndarray to the default flex).
#[test]
fn scores_equal_pytorch_one_at_a_time_and_in_batches() {
    for backend in CpuBackend::compiled() {
        for model in MODELS {
            for max_length in [512, 64] {
                let cases = cases_at(max_length);
                let one_by_one: Vec<ja_rerank::Score> = {
                    let reranker = load_on(backend, model, max_length, 1);
                    cases
                        .iter()
                        .map(|c| reranker.score(&[(c.query.as_str(), c.passage.as_str())]).unwrap()[0])
                        .collect()
                };
                // Batches of 7 mix lengths, so most rows are padded.
                let batched = load_on(backend, model, max_length, 7).score(&pairs(&cases)).unwrap();

                let (mut worst_single, mut worst_batch, mut worst_logit, mut worst_same) = (0f32, 0f32, 0f32, 0f32);
                for ((case, single), batch) in cases.iter().zip(&one_by_one).zip(&batched) {
                    let want = case.scores[model];
                    let d_single = (single.score - want).abs();
                    let d_batch = (batch.score - want).abs();
                    assert!(
                        d_single <= TOLERANCE,
                        "{} {model} {} (one): {} vs {want}",
                        backend.name(),
                        case.name,
                        single.score
                    );
                    assert!(
                        d_batch <= TOLERANCE,
                        "{} {model} {} (batched): {} vs {want}",
                        backend.name(),
                        case.name,
                        batch.score
                    );
                    assert_eq!(single.n_tokens, case.input_ids.len());
                    worst_single = worst_single.max(d_single);
                    worst_batch = worst_batch.max(d_batch);
                    worst_logit = worst_logit.max((single.logit - case.logits[model]).abs());
                    worst_same = worst_same.max((single.score - batch.score).abs());
                }
                // Padding must not leak into real tokens: a padded row scores as the row alone.
                assert!(
                    worst_same <= 1e-5,
                    "{} {model}: batched differs from unbatched by {worst_same}",
                    backend.name()
                );
                println!(
                    "{} {model} max_length {max_length}: max |Δscore| one-by-one {worst_single:.2e}, batched {worst_batch:.2e}; \
                 max |Δlogit| {worst_logit:.2e}; batched vs one-by-one {worst_same:.2e}",
                    backend.name()
                );
            }
        }
    }
}

#[test]
fn scores_spread_and_rerank_orders_them() {
    let cases = cases_at(512);
    let reranker = load("tiny", 512, 16);
    let scores = reranker.score(&pairs(&cases)).unwrap();
    let min = scores.iter().map(|s| s.score).fold(1.0, f32::min);
    let max = scores.iter().map(|s| s.score).fold(0.0, f32::max);
    // A model that gives every pair the same score would pass parity on nothing else.
    assert!(max - min > 0.5, "stand-in scores do not spread: {min}..{max}");

    let query = &cases[0].query;
    let docs: Vec<&str> = cases.iter().map(|c| c.passage.as_str()).collect();
    let ranked = reranker.rerank(query, &docs, Some(5)).unwrap();
    assert_eq!(ranked.len(), 5);
    let all = reranker.score(&docs.iter().map(|d| (query.as_str(), *d)).collect::<Vec<_>>()).unwrap();
    let mut expected: Vec<usize> = (0..docs.len()).collect();
    expected.sort_by(|&a, &b| all[b].logit.total_cmp(&all[a].logit).then(a.cmp(&b)));
    assert_eq!(ranked.iter().map(|r| r.index).collect::<Vec<_>>(), expected[..5]);
    assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn bad_input_is_a_typed_error_and_the_reranker_still_works() {
    let reranker = load("tiny", 512, 4);
    let err = reranker.score(&[("  ", "文書")]).unwrap_err();
    assert!(matches!(err, ja_rerank::Error::InvalidInput(_)), "{err}");
    let err = reranker.rerank("質問", &["a"], Some(0)).unwrap_err();
    assert!(matches!(err, ja_rerank::Error::InvalidInput(_)), "{err}");
    assert!(reranker.rerank("質問", &[] as &[&str], None).unwrap().is_empty());
    assert_eq!(reranker.rerank("質問", &["a", "b"], Some(10)).unwrap().len(), 2);
    // Still usable after the errors above.
    assert_eq!(reranker.score(&[("質問", "文書")]).unwrap().len(), 1);

    let too_long = RerankerOptions { max_length: Some(513), ..Default::default() };
    assert!(matches!(Reranker::from_dir(model_dir("tiny"), too_long), Err(ja_rerank::Error::InvalidInput(_))));
    let too_short = RerankerOptions { max_length: Some(3), ..Default::default() };
    assert!(matches!(Reranker::from_dir(model_dir("tiny"), too_short), Err(ja_rerank::Error::InvalidInput(_))));
    let no_batch = RerankerOptions { batch_size: 0, ..Default::default() };
    assert!(matches!(Reranker::from_dir(model_dir("tiny"), no_batch), Err(ja_rerank::Error::InvalidInput(_))));
}

#[test]
fn host_word_embeddings_give_the_same_scores() {
    let cases = cases_at(512);
    for backend in CpuBackend::compiled() {
        let options = |host| RerankerOptions {
            max_length: Some(512),
            batch_size: 7,
            device: backend.device(),
            host_word_embeddings: host,
            max_activation_bytes: None,
            kernels: None,
            precision: Default::default(),
            mecab_dictionary: None,
            overflow: Default::default(),
        };
        let on_device = Reranker::from_dir(model_dir("tiny"), options(false)).unwrap().score(&pairs(&cases)).unwrap();
        let on_host = Reranker::from_dir(model_dir("tiny"), options(true)).unwrap().score(&pairs(&cases)).unwrap();
        for ((case, a), b) in cases.iter().zip(&on_device).zip(&on_host) {
            assert!((a.score - b.score).abs() <= 1e-6, "{} {}: {} vs {}", backend.name(), case.name, a.score, b.score);
            assert!((b.score - case.scores["tiny"]).abs() <= TOLERANCE);
        }
    }
}

#[test]
fn self_check_passes_on_every_cpu_backend() {
    for backend in CpuBackend::compiled() {
        let check = pollster::block_on(ja_rerank::backend::self_check(&backend.device().unwrap())).unwrap();
        assert!(check.max_abs_diff <= 1e-4, "{}: {check:?}", backend.name());
    }
}

/// A budget of one byte: every pair alone, attention one query row at a time and the
/// feed-forward one token at a time (`Ops::in_query_slices`, `in_row_slices`). The same scores.
#[test]
fn a_tiny_activation_budget_slices_batches_attention_and_feed_forward() {
    let cases = cases_at(512);
    let options = RerankerOptions { batch_size: 16, max_activation_bytes: Some(1), ..Default::default() };
    let reranker = Reranker::from_dir(model_dir("odd"), options).unwrap();
    let plan = reranker.plan(&pairs(&cases)).unwrap();
    assert_eq!(plan.num_batches(), cases.len(), "every pair alone");
    for (case, s) in cases.iter().zip(reranker.score_plan(&plan).unwrap()) {
        assert!((s.score - case.scores["odd"]).abs() <= TOLERANCE, "{}", case.name);
    }
}
