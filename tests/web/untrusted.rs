//! Files and options from a stranger (issue 33), in the browser: the tokenizer's
//! `model_max_length` read for every family (one more small file per load), a lying `config.json`
//! refused with the page's wasm memory where it was, hostile `hubUrl` / `model` / `revision` refused
//! before any request, a damaged MeCab dictionary refused by its checksum. The altered files reach
//! the reranker through the `fetch` option, as a stranger's server would serve them.
use crate::support::*;
use js_sys::Function;
use serde_json::json;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

/// Load options for stand-in `model` whose `file` is replaced by `body` (served with the real
/// response's status and headers).
fn replacing(model: &str, file: &str, body: &str, extra: serde_json::Value) -> wasm_bindgen::JsValue {
    let o = options(model, extra);
    let swap = Function::new_with_args(
        "body, file",
        "return (r) => fetch(r).then(async (res) => r.url.endsWith('/' + file) \
         ? new Response(body, { status: 200, headers: { 'Content-Type': 'application/json' } }) : res)",
    )
    .call2(&wasm_bindgen::JsValue::NULL, &body.into(), &file.into())
    .unwrap();
    set(&o, "fetch", &swap);
    o
}

/// The module's memory now (the tests share the reranker's wasm instance).
fn wasm_memory() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64
}

fn truncation_reference() -> serde_json::Value {
    serde_json::from_str(include_str!("../../fixtures/truncation-reference.json")).unwrap()
}

#[wasm_bindgen_test]
async fn the_tokenizers_model_max_length_sets_the_truncation_for_every_family() {
    let reference = truncation_reference();
    for name in ["tiny", "mb-tiny"] {
        let model = &reference["models"][name];
        let limit = model["max_length"].as_f64().unwrap();
        let cases: Vec<&serde_json::Value> = model["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| !c["query"].as_str().unwrap().trim().is_empty())
            .collect();
        let pairs = js(cases.iter().map(|c| json!([c["query"], c["passage"]])).collect());
        let o = replacing(
            name,
            "tokenizer_config.json",
            &model["tokenizer_config"].to_string(),
            json!({ "backend": "cpu", "cache": false, "revision": fresh_revision("truncation") }),
        );
        let r = load_js(o).await.unwrap();
        assert_eq!(get(&r.info(), "maxLength").as_f64(), Some(limit), "{name}");
        assert_eq!(get(&r.info(), "maxLengthSetBy").as_string().as_deref(), Some("tokenizer"), "{name}");
        let scores = numbers(&score(&r, pairs.clone()).await.unwrap());
        let worst =
            cases.iter().zip(&scores).map(|(c, s)| (c["score"].as_f64().unwrap() - s).abs()).fold(0.0, f64::max);
        assert!(worst <= 1e-4, "{name}: max |Δscore| {worst} against PyTorch at the tokenizer's limit");
        r.dispose();
        // The positions where the file sets no limit; the caller's value where given.
        let r = load(name, json!({ "backend": "cpu", "cache": false })).await;
        assert_eq!(get(&r.info(), "maxLengthSetBy").as_string().as_deref(), Some("positions"), "{name}");
        r.dispose();
        let r = load(name, json!({ "backend": "cpu", "cache": false, "maxLength": 40 })).await;
        assert_eq!(get(&r.info(), "maxLengthSetBy").as_string().as_deref(), Some("maxLength"), "{name}");
        r.dispose();
    }
}

#[wasm_bindgen_test]
async fn a_lying_config_is_refused_with_wasm_memory_where_it_was() {
    let panics = Panics::before();
    // A reranker held throughout, then a load that succeeds with the whole file and is disposed:
    // the allocator then holds what the refused loads' downloads need, so a growth is the lie's.
    let held = load("tiny", json!({ "backend": "cpu", "cache": false })).await;
    numbers(&score(&held, js(json!([["東京の天気", "晴れ"]]))).await.unwrap());
    load("tiny", json!({ "backend": "cpu", "cache": false, "rows": "eager" })).await.dispose();
    let before = get(&held.info(), "wasmMemoryBytes").as_f64().unwrap();
    assert_eq!(before, wasm_memory());
    let config: serde_json::Value =
        serde_json::from_str(include_str!("../../fixtures/models/tiny/config.json")).unwrap();
    let lie = |edit: serde_json::Value| {
        let mut c = config.clone();
        for (k, v) in edit.as_object().unwrap() {
            c[k] = v.clone();
        }
        c.to_string()
    };
    let lies = [
        // The issue's: 100,000 layers of 65,536.
        (
            lie(
                json!({ "num_hidden_layers": 100_000, "hidden_size": 65_536, "intermediate_size": 262_144, "num_attention_heads": 64 }),
            ),
            "MODEL_LOAD",
        ),
        // As many layers as plausible, each far too wide: more than a page can hold.
        (
            lie(
                json!({ "num_hidden_layers": 1000, "hidden_size": 65_536, "intermediate_size": 262_144, "num_attention_heads": 64 }),
            ),
            "OUT_OF_MEMORY",
        ),
        // A size that fits, which the file does not hold: its header says so.
        (
            lie(
                json!({ "num_hidden_layers": 200, "hidden_size": 512, "intermediate_size": 2048, "num_attention_heads": 8 }),
            ),
            "MODEL_LOAD",
        ),
    ];
    for rows in ["lazy", "eager"] {
        for (body, code) in &lies {
            let o = replacing("tiny", "config.json", body, json!({ "backend": "cpu", "cache": false, "rows": rows }));
            let result = code_of(load_js(o).await.map(Into::into));
            let after = get(&held.info(), "wasmMemoryBytes").as_f64().unwrap();
            assert_eq!(after, before, "{rows}: a refused load grew wasm memory by {} bytes ({body})", after - before);
            assert_eq!(result, *code, "{rows}: {body}");
        }
    }
    // Still usable, as is a load after.
    numbers(&score(&held, js(json!([["東京の天気", "晴れ"]]))).await.unwrap());
    held.dispose();
    load("tiny", json!({ "backend": "cpu", "cache": false })).await.dispose();
    panics.assert_none_since();
}

#[wasm_bindgen_test]
async fn hostile_sources_are_refused_before_any_request() {
    let before = stats().await;
    for (key, value) in [
        ("hubUrl", "not a url"),
        ("hubUrl", "/hub"),
        ("hubUrl", "javascript:alert(1)"),
        ("model", "../../etc"),
        ("model", "stand-in//tiny"),
        ("model", "stand-in/tiny?x=1"),
        ("model", "stand-in/tiny#x"),
        ("revision", "../../main"),
    ] {
        let mut o = json!({ "hubUrl": hub(), "model": "stand-in/tiny", "backend": "cpu" });
        o[key] = value.into();
        assert_eq!(code_of(load_js(js(o)).await.map(Into::into)), "INVALID_INPUT", "{key}: {value}");
    }
    assert_eq!(stats().await, before, "a refused source made a request");
}
