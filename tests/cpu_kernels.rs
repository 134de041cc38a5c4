//! The wasm CPU fast paths (src/model/fast.rs: the 4×8 matmul with fused GELU, the vectorised
//! softmax) run natively here against the PyTorch reference, so a mistake in them fails
//! `cargo test` and not only the browser suite. Its own test binary: the switch is process-wide.
#![cfg(not(target_arch = "wasm32"))] // in wasm they are always on; tests/web_api.rs covers that

mod common;

use common::{MODELS, TOLERANCE, fixtures, model_dir, reference};
use ja_rerank::{CpuBackend, Reranker, RerankerOptions};

fn worst_delta(
    dir: &std::path::Path,
    cases: &[common::Case],
    want: impl Fn(&common::Case) -> f32,
    batch: usize,
) -> f32 {
    let pairs: Vec<(&str, &str)> = cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect();
    let options = RerankerOptions {
        batch_size: batch,
        max_length: Some(cases[0].max_length),
        device: CpuBackend::default_compiled().device(),
        ..Default::default()
    };
    let scores = Reranker::from_dir(dir, options).unwrap().score(&pairs).unwrap();
    cases.iter().zip(&scores).map(|(c, s)| (s.score - want(c)).abs()).fold(0.0, f32::max)
}

/// One test: the switch is a process-wide global, and tests in one binary run in parallel.
#[test]
fn fast_cpu_paths_match_pytorch() {
    fast_and_burn_paths_differ_only_by_rounding();
    ja_rerank::model::set_cpu_kernels(true);
    let all = reference("reference.json").cases;
    for model in MODELS {
        for max_length in [512, 64] {
            let cases: Vec<_> = all.iter().filter(|c| c.max_length == max_length).cloned().collect();
            // Batches of 7 mix lengths (padding, masked softmax columns, row tails of the matmul).
            for batch in [1, 7] {
                let worst = worst_delta(&model_dir(model), &cases, |c| c.scores[model], batch);
                println!("fast CPU paths, {model} max_length {max_length} batch {batch}: max |Δscore| {worst:.2e}");
                assert!(worst <= TOLERANCE, "{model} max_length {max_length} batch {batch}: max |Δscore| {worst}");
            }
        }
    }
    let full = fixtures().join("full");
    if full.join("model.safetensors").exists() {
        let cases = reference("full-reference.json").cases;
        let worst = worst_delta(&full, &cases, |c| c.score.unwrap(), 8);
        println!("fast CPU paths, full-size stand-in: max |Δscore| {worst:.2e}");
        assert!(worst <= TOLERANCE, "full-size: max |Δscore| {worst}");
    } else {
        assert!(
            std::env::var_os("JA_RERANK_REQUIRE_FULL").is_none(),
            "JA_RERANK_REQUIRE_FULL is set but fixtures/full is missing"
        );
    }
}

/// The switch really changes the computation (else the parity above would be vacuous), and
/// both paths agree.
fn fast_and_burn_paths_differ_only_by_rounding() {
    let cases: Vec<_> = reference("reference.json").cases.into_iter().filter(|c| c.max_length == 64).collect();
    let pairs: Vec<(&str, &str)> = cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect();
    let score = |on: bool| {
        ja_rerank::model::set_cpu_kernels(on);
        let r = Reranker::from_dir(model_dir("tiny"), RerankerOptions { batch_size: 4, ..Default::default() }).unwrap();
        r.score(&pairs).unwrap().into_iter().map(|s| s.logit).collect::<Vec<_>>()
    };
    let (fast, burn) = (score(true), score(false));
    let diff = fast.iter().zip(&burn).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(diff > 0.0, "identical logits: the fast paths did not run");
    assert!(diff < 1e-4, "fast vs burn logits differ by {diff}");
}
