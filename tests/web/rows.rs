//! Word-embedding rows on demand (`rows: "lazy"`, the default where the server answers ranges)
//! in a real browser, against tools/serve.mjs: bit-identical scores to the whole file on the CPU
//! and WebGPU (small stand-ins) and on the spread full-size stand-in (CPU), xsmall-v1's shape, the
//! fallback for a server without Range, a dropped connection mid-call, rows fetched once, a second
//! visit from Cache Storage with no request at all, and the progress events.
use std::cell::RefCell;
use std::rc::Rc;

use crate::support::*;
use ja_rerank::web::Reranker;
use js_sys::Function;
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

fn info(r: &Reranker, key: &str) -> JsValue {
    get(&r.info(), key)
}

/// On the CPU every case at max_length 512; on WebGPU the same pairs cut at 64 tokens
/// (`webgpu_cases`: the rows they fetch are the same code path, and a software adapter's time is
/// the tokens it computes).
#[wasm_bindgen_test]
async fn rows_on_demand_score_bit_for_bit_as_the_whole_file() {
    for model in ["tiny", "odd"] {
        for (backend, max_length) in [("cpu", 512), ("webgpu", 64)] {
            let cases = cases(max_length);
            let lazy = load(model, json!({ "backend": backend, "batchSize": 7, "maxLength": max_length })).await;
            let reason = info(&lazy, "rowsReason");
            assert!(reason.is_null(), "{model} on {backend}: whole file because {reason:?}");
            assert_eq!(info(&lazy, "rows").as_string().as_deref(), Some("lazy"));
            assert_eq!(info(&lazy, "hostWordEmbeddings").as_bool(), Some(true));
            let eager =
                load(model, json!({ "backend": backend, "batchSize": 7, "maxLength": max_length, "rows": "eager" }))
                    .await;
            assert_eq!(info(&eager, "rows").as_string().as_deref(), Some("eager"));
            assert!(info(&eager, "rowsHeld").is_null(), "a whole table is not counted in rows");
            assert!(info(&eager, "rowsReason").as_string().is_some_and(|r| r.contains("eager")));
            let a = numbers(&score(&lazy, pairs_js(&cases)).await.unwrap());
            let b = numbers(&score(&eager, pairs_js(&cases)).await.unwrap());
            assert_eq!(a, b, "{model} on {backend}: rows on demand vs the whole file");
            assert_scores_match(&a, &cases, model, &format!("{backend}, rows on demand, max_length {max_length}"));
            let held = info(&lazy, "rowsHeld").as_f64().unwrap();
            assert!(held > 0.0 && held < 8002.0, "{model}: {held} rows held");
        }
    }
}

/// The full-size stand-in whose tokenizer spreads its pieces over all 250,002 ids (generated
/// by tools/fixtures/make_full.py --spread): the whole file and rows on demand give the same
/// scores bit for bit, and those are PyTorch's. On the CPU, where a full-size model takes seconds:
/// what is full-size here (rows from all over a 470 MB file) is the host's work on either backend,
/// and rows on demand on WebGPU are checked on the small stand-ins above (a full-size forward pass
/// on a software adapter takes ~25 s and measures the adapter); `api::full_size_on_webgpu_…` runs
/// the full-size shape on WebGPU once per browser.
#[wasm_bindgen_test]
async fn the_spread_stand_in_with_rows_on_demand() {
    let cases = full_cases(include_str!("../../fixtures/spread-reference.json"));
    let picked: Vec<&FullCase> = cases.iter().collect();
    let pairs = full_pairs(&picked);
    let revision = fresh_revision("spread");
    let lazy = load("spread", json!({ "backend": "cpu", "revision": revision, "cache": false })).await;
    let path = format!("/hub/stand-in/spread/resolve/{revision}/model.safetensors bytes");
    let loaded = stats().await.get(&path).and_then(|v| v.as_u64()).unwrap();
    let got = numbers(&score(&lazy, pairs.clone()).await.unwrap());
    log(format!(
        "spread stand-in on the CPU: {loaded} bytes of model.safetensors at load, then {} pairs: {} rows in {} requests, {} bytes",
        picked.len(),
        info(&lazy, "rowsHeld").as_f64().unwrap(),
        info(&lazy, "rowRequests").as_f64().unwrap(),
        info(&lazy, "rowBytesFetched").as_f64().unwrap()
    ));
    assert!(loaded < 90_000_000, "{loaded} bytes of model.safetensors before the first row");
    lazy.dispose();
    let eager = load("spread", json!({ "backend": "cpu", "rows": "eager", "cache": false })).await;
    let want = numbers(&score(&eager, pairs).await.unwrap());
    eager.dispose();
    assert_eq!(got, want, "rows on demand vs the whole file");
    for (s, c) in got.iter().zip(&picked) {
        assert!((s - c.score).abs() <= TOLERANCE, "{}: {s} vs PyTorch {}", c.name, c.score);
    }
}

/// xsmall-v1's exact shape (6 layers × 384, vocab 250,002; make_full.py --xsmall-v1) loads as
/// small-v1 does, rows on demand, and equals PyTorch on every case (up to 512 tokens), on the CPU
/// (full-size shapes on WebGPU: see the spread stand-in's note above).
#[wasm_bindgen_test]
async fn the_xsmall_v1_stand_in_equals_pytorch() {
    let cases = full_cases(include_str!("../../fixtures/xsmall-v1-reference.json"));
    let r =
        load("xsmall-v1", json!({ "backend": "cpu", "revision": fresh_revision("xsmall-v1"), "cache": false })).await;
    assert_eq!(info(&r, "rows").as_string().as_deref(), Some("lazy"));
    assert_eq!(info(&r, "maxLength").as_f64(), Some(512.0));
    let picked: Vec<&FullCase> = cases.iter().collect();
    let got = numbers(&score(&r, full_pairs(&picked)).await.unwrap());
    r.dispose();
    let mut worst = 0f64;
    for (s, c) in got.iter().zip(&cases) {
        assert!((s - c.score).abs() <= TOLERANCE, "xsmall-v1 {}: {s} vs PyTorch {}", c.name, c.score);
        worst = worst.max((s - c.score).abs());
    }
    log(format!("xsmall-v1 stand-in on the CPU: {} pairs, max |Δscore| {worst:.1e}", got.len()));
}

#[wasm_bindgen_test]
async fn a_server_without_ranges_falls_back_to_the_whole_file_and_says_so() {
    let revision = fresh_revision("no-range");
    let o = js(json!({ "hubUrl": hub(), "model": "no-range/tiny", "revision": revision, "backend": "cpu" }));
    let r = load_js(o).await.unwrap();
    assert_eq!(info(&r, "rows").as_string().as_deref(), Some("eager"));
    let reason = info(&r, "rowsReason").as_string().unwrap_or_default();
    assert!(reason.contains("Range"), "rowsReason: {reason}");
    // The range request answered with the whole file is read as the whole file: one request.
    let path = format!("/hub/no-range/tiny/resolve/{revision}/model.safetensors");
    assert_eq!(stats().await.get(&path).and_then(|v| v.as_u64()), Some(1));
    let cases = cases(512);
    assert_scores_match(&numbers(&score(&r, pairs_js(&cases)).await.unwrap()), &cases, "tiny", "no Range");
}

#[wasm_bindgen_test]
async fn a_connection_dropped_during_a_row_fetch_is_network_and_the_next_call_works() {
    let r = load("tiny", json!({ "backend": "cpu", "revision": fresh_revision("drop"), "cache": false })).await;
    let reason = info(&r, "rowsReason");
    assert!(reason.is_null(), "whole file because {reason:?}");
    let cases = cases(512);
    drop_next_ranges(1).await;
    assert_eq!(code_of(score(&r, pairs_js(&cases)).await), "NETWORK");
    let got = numbers(&score(&r, pairs_js(&cases)).await.unwrap());
    assert_scores_match(&got, &cases, "tiny", "after a dropped row fetch");
}

#[wasm_bindgen_test]
async fn rows_are_fetched_once_and_a_second_visit_makes_no_request() {
    let revision = fresh_revision("rows-cache");
    let cases = cases(512);
    let first = load("tiny", json!({ "backend": "cpu", "revision": revision })).await;
    let at_load = requests_at(&revision).await;
    let a = numbers(&score(&first, pairs_js(&cases)).await.unwrap());
    let after_call = requests_at(&revision).await;
    assert!(after_call > at_load, "the call fetched rows");
    let row_requests = info(&first, "rowRequests").as_f64().unwrap();
    assert_eq!(row_requests as u64, after_call - at_load);
    score(&first, pairs_js(&cases)).await.unwrap();
    assert_eq!(requests_at(&revision).await, after_call, "the same text again: no request");
    assert_eq!(info(&first, "rowRequests").as_f64(), Some(row_requests));

    let second = load("tiny", json!({ "backend": "cpu", "revision": revision })).await;
    let b = numbers(&score(&second, pairs_js(&cases)).await.unwrap());
    assert_eq!(requests_at(&revision).await, after_call, "a second visit: no request at all");
    assert_eq!(info(&second, "bytesDownloaded").as_f64(), Some(0.0));
    assert!(info(&second, "rowsFromCache").as_f64().unwrap() > 0.0);
    assert_eq!(info(&second, "rowRequests").as_f64(), Some(0.0));
    assert_eq!(a, b);
}

#[wasm_bindgen_test]
async fn progress_reports_the_header_the_tensors_and_the_rows() {
    let panics = Panics::before();
    let events = Rc::new(RefCell::new(Vec::<(String, String, f64, Option<f64>)>::new()));
    let sink = events.clone();
    let on_progress = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
        sink.borrow_mut().push((
            get(&e, "file").as_string().unwrap(),
            get(&e, "part").as_string().unwrap_or_default(),
            get(&e, "loaded").as_f64().unwrap(),
            get(&e, "total").as_f64(),
        ));
    });
    let o = options("tiny", json!({ "backend": "cpu", "revision": fresh_revision("progress"), "cache": false }));
    set(&o, "onProgress", on_progress.as_ref().unchecked_ref::<Function>());
    let r = load_js(o).await.unwrap();
    let cases = cases(512);
    score(&r, pairs_js(&cases[..4])).await.unwrap();
    let events = events.borrow();
    for part in ["header", "tensors", "rows"] {
        let mine: Vec<_> = events.iter().filter(|e| e.0 == "model.safetensors" && e.1 == part).collect();
        assert!(!mine.is_empty(), "no progress for the {part}");
        let last = mine.last().unwrap();
        if part != "header" {
            assert!(mine.windows(2).all(|w| w[0].2 <= w[1].2), "{part}: loaded went backwards");
            assert_eq!(Some(last.2), last.3, "{part}: the last event is not complete");
            assert!(last.2 > 0.0);
        }
    }
    let order: Vec<&str> = events.iter().filter(|e| e.0 == "model.safetensors").map(|e| e.1.as_str()).collect();
    let first_rows = order.iter().position(|p| *p == "rows").unwrap();
    assert!(order[..first_rows].iter().all(|p| *p != "rows") && order[first_rows..].iter().all(|p| *p == "rows"));
    panics.assert_none_since();
}
