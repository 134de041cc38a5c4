//! Parity of the full-size stand-in (exact small-v1 shape, ~470 MB, not committed). Generate it
//! with `tools/fixtures/run make_full.py`; CI does and sets JA_RERANK_REQUIRE_FULL=1, which turns
//! a missing file into a failure instead of a skip.
#![cfg(not(target_arch = "wasm32"))] // native only; the browser tests are tests/web_*.rs

mod common;

use common::{TOLERANCE, fixtures, reference};
use ja_rerank::{CpuBackend, Reranker, RerankerOptions};
use sha2::{Digest, Sha256};

#[test]
fn full_size_stand_in_matches_pytorch() {
    let dir = fixtures().join("full");
    if !dir.join("model.safetensors").exists() {
        assert!(
            std::env::var_os("JA_RERANK_REQUIRE_FULL").is_none(),
            "JA_RERANK_REQUIRE_FULL is set but {} is missing",
            dir.display()
        );
        eprintln!(
            "SKIPPED full_size_stand_in_matches_pytorch: {} not generated (tools/fixtures/run make_full.py)",
            dir.display()
        );
        return;
    }
    let reference = reference("full-reference.json");
    for (file, digest) in &reference.sha256 {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let got = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(&got, digest, "{file} is not the file the reference was computed on; regenerate it");
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
