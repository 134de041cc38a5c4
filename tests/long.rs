//! Long passages (issue 34): the ModernBERT stand-in mb-tiny (8,192 positions, a 16-token local
//! window) on one query and a long man-page passage at 2,048 and 8,192 tokens, against PyTorch's
//! eager attention (fixtures/long-reference.json, tools/fixtures/make_long.py), on burn's ops and
//! on the tiled kernels — whose local layers read only each block's band of keys and whose global
//! layers hold one block of query rows' scores, never n² per head.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{TOLERANCE, fixtures, model_dir};
use ja_rerank::{CpuBackend, Kernels, Reranker, RerankerOptions};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    model: String,
    query: String,
    passage: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    max_length: usize,
    input_ids: Vec<u32>,
    score: f32,
}

#[test]
fn long_pairs_equal_pytorch_at_2048_and_8192_tokens() {
    let r: Reference =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("long-reference.json")).unwrap()).unwrap();
    let pair = [(r.query.as_str(), r.passage.as_str())];
    for case in &r.cases {
        for kernels in [Kernels::Tiled, Kernels::Burn] {
            let options = RerankerOptions {
                max_length: Some(case.max_length),
                device: CpuBackend::default_compiled().device(),
                kernels: Some(kernels),
                ..Default::default()
            };
            let reranker = Reranker::from_dir(model_dir(&r.model), options).unwrap();
            assert_eq!(reranker.plan(&pair).unwrap().input_ids(0), case.input_ids.as_slice());
            let score = reranker.score(&pair).unwrap()[0].score;
            let delta = (score - case.score).abs();
            println!("{} tokens, {kernels:?}: |Δscore| {delta:.2e}", case.max_length);
            assert!(delta <= TOLERANCE, "{} tokens, {kernels:?}: {score} vs PyTorch {}", case.max_length, case.score);
        }
    }
}
