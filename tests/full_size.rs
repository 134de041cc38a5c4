//! Parity of the full-size stand-in (exact small-v1 shape, ~470 MB, not committed). Generate it
//! with `tools/fixtures/run make_full.py`; CI does and sets JA_RERANK_REQUIRE_FULL=1, which turns
//! a missing file into a failure instead of a skip.
#![cfg(not(target_arch = "wasm32"))] // native only; the browser tests are tests/web_*.rs

mod common;

use common::{TOLERANCE, generated, reference, sha256_hex};
use ja_rerank::{CpuBackend, Reranker, RerankerOptions};

#[test]
fn full_size_stand_in_matches_pytorch() {
    let Some(dir) = generated("full", "tools/fixtures/run make_full.py") else { return };
    let reference = reference("full-reference.json");
    for (file, digest) in &reference.sha256 {
        assert_eq!(&sha256_hex(&dir.join(file)), digest, "{file} is not the file the reference was computed on; regenerate it");
    }
    let pairs: Vec<(&str, &str)> = reference.cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect();
    for backend in CpuBackend::compiled() {
        let options = RerankerOptions { batch_size: 8, device: backend.device(), ..Default::default() };
        let reranker = Reranker::from_dir(&dir, options).unwrap();
        let plan = reranker.plan(&pairs).unwrap();
        let scores = reranker.score_plan(&plan).unwrap();
        let mut worst = 0f32;
        for (i, (case, s)) in reference.cases.iter().zip(&scores).enumerate() {
            assert_eq!(plan.input_ids(i), case.input_ids.as_slice(), "{}", case.name);
            let d = (s.score - case.score.unwrap()).abs();
            assert!(d <= TOLERANCE, "{} {}: {} vs {:?}", backend.name(), case.name, s.score, case.score);
            worst = worst.max(d);
        }
        println!("full-size stand-in on {}: {} pairs, max |Δscore| {worst:.2e}", backend.name(), scores.len());
    }
}
