//! Compact weights (`ja-rerank convert`, src/load/compact.rs): f16 and int8 copies of the stand-ins
//! load by every path — whole, and with int8 word-embedding rows read on demand — score close to
//! the f32 original, and a file that does not follow the format is refused by name.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::Path;

use common::{MODELS, compact_copy, model_dir, reference};
use ja_rerank::load::compact::{Compact, convert};
use ja_rerank::load::WEIGHTS_FILE;
use ja_rerank::{Error, Kernels, Precision, Reranker, RerankerOptions};

fn scores(dir: &Path, pairs: &[(&str, &str)]) -> Vec<f32> {
    let r = Reranker::from_dir(dir, RerankerOptions::default()).unwrap();
    r.score(pairs).unwrap().iter().map(|s| s.score).collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn f16_and_int8_copies_load_and_score_close_to_f32() {
    let cases = reference("reference.json").cases;
    let pairs: Vec<(&str, &str)> = cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect();
    for model in MODELS {
        let f32 = scores(&model_dir(model), &pairs);
        let f32_bytes = std::fs::metadata(model_dir(model).join(WEIGHTS_FILE)).unwrap().len();
        for (to, bound) in [(Compact::F16, F16_BOUND), (Compact::Int8, INT8_BOUND)] {
            let dir = compact_copy(model, to);
            let bytes = std::fs::metadata(dir.join(WEIGHTS_FILE)).unwrap().len();
            let got = scores(&dir, &pairs);
            let d = max_diff(&got, &f32);
            println!(
                "{model} {}: {bytes} of {f32_bytes} bytes, max |Δscore| vs f32 {d:.2e} over {} pairs",
                to.name(),
                pairs.len()
            );
            assert!(d <= bound, "{model} {}: max |Δscore| {d} > {bound}", to.name());
            assert!(d > 0.0, "{model} {}: scores identical to f32 — was the file converted?", to.name());
            let ratio = bytes as f64 / f32_bytes as f64;
            let want = if to == Compact::F16 { 0.5 } else { 0.25 };
            assert!(ratio < want + 0.06, "{model} {}: {ratio:.3} of the f32 size", to.name());
            std::fs::remove_dir_all(dir).unwrap();
        }
    }
}

/// Measured on the random-weight stand-ins' reference pairs (f16 2.4e-3, int8 0.12: their weights
/// are scaled so that scores spread, which magnifies rounding), with headroom. What compact
/// weights cost a model that ranks is measured on the trained stand-in, below.
const F16_BOUND: f32 = 5e-3;
/// f16 products too (precision "f16"): measured 5.0e-3 on the random "tiny" stand-in's pairs.
const F16_ARITHMETIC_BOUND: f32 = 1.5e-2;
const INT8_BOUND: f32 = 0.25;

/// The trained stand-in's held-out NDCG@10 with compact weights, and with int8 arithmetic
/// (precision "int8", from the f32 file and from the int8 one) and f16 arithmetic (precision
/// "f16", burn-flex's f16 matmul) stays within the goals of f32's (PyTorch's, which ours equals:
/// tests/ranker.rs): f16 within 0.002, int8 within 0.01 (README, "Compact weights" and "Precision").
#[test]
fn compact_weights_keep_the_trained_stand_ins_ndcg() {
    use ja_rerank::eval::{EvalQuery, ndcg_at_k};
    let text = std::fs::read_to_string(common::fixtures().join("ranker/eval.jsonl")).unwrap();
    let queries: Vec<EvalQuery> =
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| EvalQuery::from_json(l).unwrap()).collect();
    let dir = model_dir("ranker");
    let (config, tokenizer) =
        (std::fs::read(dir.join("config.json")).unwrap(), std::fs::read(dir.join("tokenizer.json")).unwrap());
    let f32_file = std::fs::read(dir.join(WEIGHTS_FILE)).unwrap();
    let ndcg = |file: Vec<u8>, precision: Precision| {
        let options = RerankerOptions { precision, ..Default::default() };
        let r = Reranker::from_bytes(&config, &tokenizer, file, options).unwrap();
        let total: f64 = queries
            .iter()
            .map(|q| {
                let ranked = r.rerank(&q.query, &q.passages, None).unwrap();
                ndcg_at_k(&ranked.iter().map(|x| q.labels[x.index]).collect::<Vec<_>>(), 10)
            })
            .sum();
        total / queries.len() as f64
    };
    // The f32 baseline is PyTorch's NDCG, which ours equals (tests/ranker.rs): one rerank of the
    // set fewer, and each approximation's cost measured against the reference itself.
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixtures().join("ranker/reference.json")).unwrap()).unwrap();
    let base = reference["ndcg@10"].as_f64().unwrap();
    let int8_file = convert(&f32_file, Compact::Int8).unwrap();
    let runs = [
        ("f16 file", convert(&f32_file, Compact::F16).unwrap(), Precision::F32, 0.002),
        ("int8 file", int8_file.clone(), Precision::F32, 0.01),
        ("f32 file, precision int8", f32_file.clone(), Precision::Int8, 0.01),
        ("int8 file, precision int8", int8_file, Precision::Int8, 0.01),
        ("f32 file, precision f16", f32_file.clone(), Precision::F16, 0.002),
    ];
    for (name, file, precision, goal) in runs {
        let got = ndcg(file, precision);
        println!("trained stand-in, {name}: NDCG@10 {got:.4} (f32, PyTorch: {base:.4})");
        assert!((got - base).abs() <= goal, "{name}: NDCG@10 {got} vs f32 (PyTorch) {base}: more than {goal} apart");
    }
}

/// Precision "f16" computes the encoder's Linears in f16 where the device can (burn-flex; the
/// tiled kernels hand f16 weights to burn's ops), and in f32 where it cannot (burn-ndarray), saying
/// why: then the scores are exactly f32's.
#[test]
fn f16_precision_computes_in_f16_where_the_device_can() {
    use ja_rerank::CpuBackend;
    let cases = reference("reference.json").cases;
    let pairs: Vec<(&str, &str)> = cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect();
    let dir = model_dir("tiny");
    let run = |backend: CpuBackend, precision, kernels| {
        let device = backend.device()?;
        let options = RerankerOptions { precision, kernels: Some(kernels), device: Some(device), ..Default::default() };
        let r = Reranker::from_dir(&dir, options).unwrap();
        let scores: Vec<f32> = r.score(&pairs).unwrap().iter().map(|s| s.score).collect();
        Some((r.precision(), r.precision_reason().map(str::to_string), scores))
    };
    let (_, _, exact) = run(CpuBackend::Flex, Precision::F32, Kernels::Burn).unwrap();
    let (precision, why, half) = run(CpuBackend::Flex, Precision::F16, Kernels::Burn).unwrap();
    assert_eq!((precision, why), (Precision::F16, None));
    let d = max_diff(&half, &exact);
    println!("precision f16 vs f32 on the random stand-in (burn-flex): max |Δscore| {d:.2e}");
    assert!(d > 0.0 && d <= F16_ARITHMETIC_BOUND, "f16 vs f32: max |Δscore| {d}");
    // The tiled kernels' f32 softmax differs from burn's in the last bit, which moves some values
    // across an f16 rounding boundary (measured 2e-3 on these magnifying weights): f16, not
    // bit for bit.
    let (precision, _, tiled) = run(CpuBackend::Flex, Precision::F16, Kernels::Tiled).unwrap();
    let t = max_diff(&tiled, &exact);
    assert!(precision == Precision::F16 && t > 0.0 && t <= F16_ARITHMETIC_BOUND, "tiled kernels, f16 vs f32: {t}");
    if let Some((precision, why, scores)) = run(CpuBackend::NdArray, Precision::F16, Kernels::Burn) {
        assert_eq!(precision, Precision::F32);
        assert!(why.as_deref().is_some_and(|w| w.contains("f16")), "{why:?}");
        let (_, _, nd_exact) = run(CpuBackend::NdArray, Precision::F32, Kernels::Burn).unwrap();
        assert_eq!(scores, nd_exact, "burn-ndarray at precision f16 computes in f32");
    }
}

/// Precision "int8" (src/kernels/int8.rs) gives the same scores with either attention (the tiled
/// path is what wasm runs) and in any batch (activations are quantized per token); it does differ
/// from f32. (That an int8 file's Linear weights requantize unchanged is a unit test of the
/// kernel; its embeddings are int8 / f16 too, so its scores differ from the f32 file's.)
#[test]
fn int8_precision_is_consistent_across_files_kernels_and_batches() {
    let cases = reference("reference.json").cases;
    let pairs: Vec<(&str, &str)> = cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect();
    let run = |dir: &Path, precision, kernels, batch_size| {
        let options = RerankerOptions { precision, kernels: Some(kernels), batch_size, ..Default::default() };
        let r = Reranker::from_dir(dir, options).unwrap();
        assert_eq!(r.precision(), precision);
        r.score(&pairs).unwrap().iter().map(|s| s.score).collect::<Vec<f32>>()
    };
    let f32_dir = model_dir("tiny");
    let base = run(&f32_dir, Precision::Int8, Kernels::Burn, 4);
    let exact = run(&f32_dir, Precision::F32, Kernels::Burn, 4);
    let checks = [
        ("tiled attention", run(&f32_dir, Precision::Int8, Kernels::Tiled, 4)),
        ("batches of 1", run(&f32_dir, Precision::Int8, Kernels::Burn, 1)),
        ("batches of 16", run(&f32_dir, Precision::Int8, Kernels::Tiled, 16)),
    ];
    for (name, got) in checks {
        let d = max_diff(&got, &base);
        println!("precision int8, {name}: max |Δscore| {d:.2e}");
        // Not bit for bit: a last-bit difference in f32 attention can move an activation across
        // a rounding boundary of its int8 quantum. The project's parity bar, 1e-4, holds.
        assert!(d <= 1e-4, "precision int8, {name}: max |Δscore| {d} against batches of 4, burn's attention");
    }
    let d = max_diff(&base, &exact);
    println!("precision int8 vs f32 on the random stand-in: max |Δscore| {d:.2e}");
    assert!(d > 0.0 && d <= INT8_BOUND, "int8 vs f32: max |Δscore| {d}");
}

#[test]
fn int8_rows_read_on_demand_score_as_the_whole_int8_file() {
    let cases = reference("reference.json").cases;
    let pairs: Vec<(&str, &str)> = cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect();
    let dir = compact_copy("tiny", Compact::Int8);
    let whole = scores(&dir, &pairs);
    let (r, file) = common::on_demand(&dir);
    let plan = r.plan(&pairs).unwrap();
    for req in r.row_requests(&r.missing_rows(&plan)) {
        assert_eq!(req.bytes.end - req.bytes.start, req.count as u64 * 32, "int8 rows: one byte per value (hidden 32)");
        r.insert_rows(req.first, &file[req.bytes.start as usize..req.bytes.end as usize]).unwrap();
    }
    let lazy: Vec<f32> = r.score(&pairs).unwrap().iter().map(|s| s.score).collect();
    assert_eq!(lazy, whole, "rows on demand must score bit for bit as the whole int8 file");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn files_that_break_the_format_are_refused_by_name() {
    let f32 = std::fs::read(model_dir("tiny").join(WEIGHTS_FILE)).unwrap();
    let int8 = convert(&f32, Compact::Int8).unwrap();
    // Converting a compact file again is refused.
    assert!(matches!(convert(&int8, Compact::F16), Err(Error::InvalidInput(_))));
    // An int8 tensor whose scales are missing.
    let st = safetensors::SafeTensors::deserialize(&int8).unwrap();
    let target = "roberta.encoder.layer.0.attention.self.query.weight";
    let kept: Vec<(String, safetensors::tensor::TensorView)> =
        st.tensors().into_iter().filter(|(n, _)| n != &format!("{target}_scale")).collect();
    let broken = safetensors::serialize(kept, None).unwrap();
    let config = std::fs::read(model_dir("tiny").join("config.json")).unwrap();
    let tokenizer = std::fs::read(model_dir("tiny").join("tokenizer.json")).unwrap();
    match Reranker::from_bytes(&config, &tokenizer, broken, RerankerOptions::default()) {
        Err(Error::Weights(m)) => assert!(m.contains(target) && m.contains("_scale"), "{m}"),
        other => panic!("expected a Weights error naming {target}, got {:?}", other.err()),
    }
}

/// The scores the browser tests expect of compact weights and int8 arithmetic on the trained
/// stand-in (fixtures/ranker/compact-scores.json, read by tests/web/ranker.rs): they are the
/// native ones, computed here again — the int8 kernel is checked bit for bit against a scalar
/// reference in its unit tests; there is no PyTorch for int8 activations. Rewrite the file with
/// `JA_RERANK_UPDATE_COMPACT_SCORES=1 cargo test --release --test compact compact_reference`.
#[test]
fn compact_reference_scores_are_the_native_ones() {
    let path = common::fixtures().join("ranker/compact-scores.json");
    let cases = reference_cases_of_the_ranker();
    let pairs: Vec<(&str, &str)> = cases.iter().map(|(q, p)| (q.as_str(), p.as_str())).collect();
    let dir = model_dir("ranker");
    let (config, tokenizer) =
        (std::fs::read(dir.join("config.json")).unwrap(), std::fs::read(dir.join("tokenizer.json")).unwrap());
    let f32_file = std::fs::read(dir.join(WEIGHTS_FILE)).unwrap();
    // The kernels wasm runs on the CPU (the tiled ones): int8 rounding magnifies the last-bit
    // differences of another attention's f32 sums (int8_precision_is_consistent_... above).
    let run = |file: Vec<u8>, precision: Precision| -> Vec<f32> {
        let options = RerankerOptions { precision, kernels: Some(Kernels::Tiled), ..Default::default() };
        let r = Reranker::from_bytes(&config, &tokenizer, file, options).unwrap();
        r.score(&pairs).unwrap().iter().map(|s| s.score).collect()
    };
    let runs = serde_json::json!({
        "f16 file": run(convert(&f32_file, Compact::F16).unwrap(), Precision::F32),
        "int8 file": run(convert(&f32_file, Compact::Int8).unwrap(), Precision::F32),
        "precision int8": run(f32_file.clone(), Precision::Int8),
        "int8 file, precision int8": run(convert(&f32_file, Compact::Int8).unwrap(), Precision::Int8),
    });
    if std::env::var_os("JA_RERANK_UPDATE_COMPACT_SCORES").is_some() {
        let doc = serde_json::json!({
            "about": "Scores of fixtures/ranker/reference.json's pairs by the trained stand-in, natively (tests/compact.rs): \
                      its f16 and int8 conversions (ja-rerank convert) at precision f32, and precision int8 from the f32 \
                      and the int8 file. The browser tests compare against these.",
            "runs": runs,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
    }
    let committed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for (name, got) in runs.as_object().unwrap() {
        let want = committed["runs"][name].as_array().unwrap_or_else(|| panic!("{name} missing from {path:?}"));
        let got = got.as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{name}");
        let deltas: Vec<f64> = got.iter().zip(want).map(|(g, w)| (g.as_f64().unwrap() - w.as_f64().unwrap()).abs()).collect();
        let worst = deltas.iter().copied().fold(0.0, f64::max);
        if name.contains("precision int8") {
            // burn-flex's f32 ops (LayerNorm, the embeddings) pick their SIMD by CPU, so the last
            // bit differs between machines and can move an activation across a rounding boundary
            // of its int8 quantum (seen: 4e-6 on one pair on an AMD EPYC against the file written
            // on a Xeon) — the browser tests' rule for int8.
            let close = deltas.iter().filter(|d| **d <= 1e-6).count();
            assert!(close * 10 >= deltas.len() * 9 && worst <= 1e-3, "{name}: {close} of {} within 1e-6, max {worst} vs {path:?}", deltas.len());
        } else {
            assert!(worst <= 1e-6, "{name}: max |Δscore| {worst} against {path:?}");
        }
    }
}

/// The (query, passage) pairs of fixtures/ranker/reference.json.
fn reference_cases_of_the_ranker() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(common::fixtures().join("ranker/reference.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["query"].as_str().unwrap().to_string(), c["passage"].as_str().unwrap().to_string()))
        .collect()
}
