//! The wasm CPU kernels (src/kernels: the 4×8 matmul with fused GELU, the vectorised softmax and
//! attention, chosen per instance with `kernels: Some(Kernels::Tiled)`) run natively here against
//! the PyTorch reference, so a mistake in them fails `cargo test` and not only the browser suite.
#![cfg(not(target_arch = "wasm32"))] // in wasm they are the CPU default; tests/web/api.rs covers that

mod common;

use common::{MODELS, TOLERANCE, generated, model_dir, reference};
use ja_rerank::{CpuBackend, Kernels, Reranker, RerankerOptions};

fn tiled(batch_size: usize, max_length: Option<usize>) -> RerankerOptions {
    RerankerOptions {
        batch_size,
        max_length,
        device: CpuBackend::default_compiled().device(),
        kernels: Some(Kernels::Tiled),
        ..Default::default()
    }
}

fn worst_delta(
    dir: &std::path::Path,
    cases: &[common::Case],
    want: impl Fn(&common::Case) -> f32,
    batch: usize,
) -> f32 {
    let pairs: Vec<(&str, &str)> = cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect();
    let reranker = Reranker::from_dir(dir, tiled(batch, Some(cases[0].max_length))).unwrap();
    assert_eq!(reranker.kernels(), Kernels::Tiled);
    let scores = reranker.score(&pairs).unwrap();
    cases.iter().zip(&scores).map(|(c, s)| (s.score - want(c)).abs()).fold(0.0, f32::max)
}

#[test]
fn fast_cpu_paths_match_pytorch() {
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
}

#[test]
fn fast_cpu_paths_match_pytorch_full_size() {
    let Some(full) = generated("full", "tools/fixtures/run make_full.py") else { return };
    let cases = reference("full-reference.json").cases;
    let worst = worst_delta(&full, &cases, |c| c.score.unwrap(), 8);
    println!("fast CPU paths, full-size stand-in: max |Δscore| {worst:.2e}");
    assert!(worst <= TOLERANCE, "full-size: max |Δscore| {worst}");
}

/// The choice really changes the computation (else the parity above would be vacuous), and
/// both paths agree. Two instances side by side in one process: the choice is per instance.
#[test]
fn fast_and_burn_paths_differ_only_by_rounding() {
    let cases: Vec<_> = reference("reference.json").cases.into_iter().filter(|c| c.max_length == 64).collect();
    let pairs: Vec<(&str, &str)> = cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect();
    let score = |kernels| {
        let options = RerankerOptions { batch_size: 4, kernels: Some(kernels), ..Default::default() };
        let r = Reranker::from_dir(model_dir("tiny"), options).unwrap();
        assert_eq!(r.kernels(), kernels);
        r.score(&pairs).unwrap().into_iter().map(|s| s.logit).collect::<Vec<_>>()
    };
    let (fast, burn) = (score(Kernels::Tiled), score(Kernels::Burn));
    let diff = fast.iter().zip(&burn).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(diff > 0.0, "identical logits: the fast paths did not run");
    assert!(diff < 1e-4, "fast vs burn logits differ by {diff}");
}
