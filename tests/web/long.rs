//! Long passages in the browser (issue 34): the ModernBERT stand-in mb-tiny at 2,048 and 8,192
//! tokens against PyTorch's eager attention (fixtures/long-reference.json) on the wasm CPU
//! kernels and on WebGPU (burn's ops: the local layers in bands, no seq² mask), and
//! `overflow: "chunks"`: a long document's best window, in UTF-16 offsets, scoring as its text
//! alone does.
use crate::support::*;
use serde_json::json;
use wasm_bindgen_test::*;

fn long_reference() -> serde_json::Value {
    serde_json::from_str(include_str!("../../fixtures/long-reference.json")).unwrap()
}

/// mb-tiny on the reference's long pair on `backend` at each of `lengths`, against PyTorch.
async fn long_pairs_equal_pytorch(backend: &str, lengths: &[u64]) {
    let r = long_reference();
    let pair = js(json!([[r["query"], r["passage"]]]));
    for case in r["cases"].as_array().unwrap().iter().filter(|c| lengths.contains(&c["max_length"].as_u64().unwrap())) {
        let max_length = case["max_length"].as_u64().unwrap();
        let reranker = load("mb-tiny", json!({ "backend": backend, "maxLength": max_length })).await;
        assert_eq!(reranker.backend(), backend);
        let got = numbers(&score(&reranker, pair.clone()).await.unwrap())[0];
        let delta = (got - case["score"].as_f64().unwrap()).abs();
        log(format!("mb-tiny, {max_length} tokens on {backend}: |Δscore| {delta:.2e}"));
        assert!(delta <= 1e-4, "{max_length} tokens on {backend}: {got} vs PyTorch {}", case["score"]);
        reranker.dispose();
    }
}

/// The wasm CPU kernels at both lengths (engine-independent arithmetic: Firefox skips it).
#[wasm_bindgen_test]
async fn long_pairs_equal_pytorch_on_the_cpu() {
    long_pairs_equal_pytorch("cpu", &[2048, 8192]).await;
}

/// burn's banded path on WebGPU (software adapters run 8,192 tokens in minutes: 2,048 here).
#[wasm_bindgen_test]
async fn long_pairs_equal_pytorch_on_webgpu() {
    long_pairs_equal_pytorch("webgpu", &[2048]).await;
}

#[wasm_bindgen_test]
async fn chunks_give_the_best_window_in_utf16_offsets() {
    let panics = Panics::before();
    let r = long_reference();
    // An emoji (two UTF-16 units, four bytes) first, so byte and UTF-16 offsets differ.
    let long: String = format!("😀{}", r["passage"].as_str().unwrap().chars().take(3000).collect::<String>());
    let query = "ファイルの権限を変更する";
    let docs = js(json!(["短い文書。", long]));
    let chunked = load("mb-tiny", json!({ "backend": "cpu", "maxLength": 256, "overflow": "chunks", "maxChunks": 8 })).await;
    assert_eq!(get(&chunked.info(), "overflow").as_string().as_deref(), Some("chunks"));
    let ranked = await_promise(chunked.rerank(query.into(), docs, None)).await.unwrap();
    let ranked: Vec<serde_json::Value> = serde_wasm_bindgen::from_value(ranked).unwrap();
    let long_one = ranked.iter().find(|x| x["index"] == 1).unwrap();
    let short_one = ranked.iter().find(|x| x["index"] == 0).unwrap();
    assert!(short_one.get("window").is_none(), "{short_one}");
    let w = &long_one["window"];
    let count = w["count"].as_u64().unwrap();
    assert!((2..=8).contains(&count), "{w}");
    let units: Vec<u16> = long.encode_utf16().collect();
    let (start, end) = (w["start"].as_u64().unwrap() as usize, w["end"].as_u64().unwrap() as usize);
    let text = String::from_utf16(&units[start..end]).unwrap();
    let whole = load("mb-tiny", json!({ "backend": "cpu", "maxLength": 256 })).await;
    assert_eq!(get(&whole.info(), "overflow").as_string().as_deref(), Some("truncate"));
    let alone = numbers(&score(&whole, js(json!([[query, text]]))).await.unwrap())[0];
    let delta = (alone - long_one["score"].as_f64().unwrap()).abs();
    assert!(delta <= 1e-6, "window {w}: {} chunked vs {alone} alone", long_one["score"]);
    for bad in [json!({ "overflow": "split" }), json!({ "overflow": "chunks", "maxChunks": 0 })] {
        let code = code_of(load_js(options("mb-tiny", bad.clone())).await.map(|r| r.info()));
        assert_eq!(code, "INVALID_INPUT", "{bad}");
    }
    panics.assert_none_since();
}
