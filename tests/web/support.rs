//! Helpers for the browser tests: the Hub-layout test server (tools/serve.mjs --hub, started by
//! scripts/test.sh; its URL is baked in at compile time), JS values from JSON, and the
//! committed reference.
#![allow(dead_code)]

use js_sys::{Array, Reflect};
use serde::Deserialize;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub const REFERENCE: &str = include_str!("../../fixtures/reference.json");
/// The ModernBERT stand-ins' reference (tools/fixtures/make_modernbert.py).
pub const MODERNBERT_REFERENCE: &str = include_str!("../../fixtures/modernbert-reference.json");
pub const TOLERANCE: f64 = 1e-4;

/// The test server, e.g. `http://127.0.0.1:8787`; the Hub layout lives under `/hub`.
pub fn server() -> &'static str {
    option_env!("JA_RERANK_TEST_SERVER")
        .expect("JA_RERANK_TEST_SERVER must be set at build time (scripts/test.sh starts tools/serve.mjs --hub)")
}

/// A line in the browser's console (wasm-bindgen-test prints it with the test's output).
pub fn log(message: String) {
    web_sys::console::log_1(&message.into());
}

pub fn hub() -> String {
    format!("{}/hub", server())
}

#[derive(Deserialize, Clone)]
pub struct Case {
    pub name: String,
    pub query: String,
    pub passage: String,
    pub max_length: usize,
    pub scores: std::collections::BTreeMap<String, f64>,
}

#[derive(Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

pub fn cases(max_length: usize) -> Vec<Case> {
    cases_in(REFERENCE, max_length)
}

/// The cases at `max_length` of a reference file's text.
pub fn cases_in(reference: &str, max_length: usize) -> Vec<Case> {
    let r: Reference = serde_json::from_str(reference).unwrap();
    r.cases.into_iter().filter(|c| c.max_length == max_length).collect()
}

/// The one case called `name` (as a slice, to score alone).
pub fn named(cases: &[Case], name: &str) -> Vec<Case> {
    let found: Vec<Case> = cases.iter().filter(|c| c.name == name).cloned().collect();
    assert_eq!(found.len(), 1, "one case named {name}");
    found
}

/// What the software WebGPU adapters here (SwiftShader, lavapipe) score of a reference: they
/// compute at well under 1 GFLOP/s, so a WebGPU test's time is the tokens it pushes through
/// them, and a full-length batch measures the adapter, not our code. Every case at the short
/// `max_length` (the long ones truncated there: truncation, padding and masks in every batch),
/// then the one pair whose both segments are cut at the long `max_length`, in a call of its own
/// so that it pads nothing else: each kernel and path at the smallest shapes that reach it. The
/// CPU scores every case at every length.
pub fn webgpu_cases(reference: &str, short: usize, long: usize) -> [Vec<Case>; 2] {
    [cases_in(reference, short), named(&cases_in(reference, long), "both-long")]
}

/// A plain JS value (objects as objects, not Maps) from JSON.
pub fn js(value: serde_json::Value) -> JsValue {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap()
}

/// Load options for a stand-in on the test server, merged with `extra`.
pub fn options(model: &str, extra: serde_json::Value) -> JsValue {
    let mut o = serde_json::json!({ "hubUrl": hub(), "model": format!("stand-in/{model}") });
    if let serde_json::Value::Object(extra) = extra {
        for (k, v) in extra {
            o[k] = v;
        }
    }
    js(o)
}

pub fn set(target: &JsValue, key: &str, value: &JsValue) {
    Reflect::set(target, &key.into(), value).unwrap();
}

pub fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap()
}

pub async fn await_promise(p: js_sys::Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

/// The `code` of a rejected call, or "OK: ..." when it did not fail (for the caller's assert).
pub fn code_of(result: Result<JsValue, JsValue>) -> String {
    match result {
        Ok(v) => format!("OK: {v:?}"),
        Err(e) => {
            assert_eq!(get(&e, "name").as_string().as_deref(), Some("RerankerError"), "{e:?}");
            get(&e, "code").as_string().unwrap_or_else(|| panic!("no code on {e:?}"))
        }
    }
}

pub fn numbers(value: &JsValue) -> Vec<f64> {
    value.dyn_ref::<Array>().expect("an array").iter().map(|v| v.as_f64().unwrap()).collect()
}

pub fn pairs_js(cases: &[Case]) -> JsValue {
    js(serde_json::Value::Array(cases.iter().map(|c| serde_json::json!([c.query, c.passage])).collect()))
}

/// Hub request counts by path since the last reset.
pub async fn stats() -> serde_json::Value {
    let response = fetch(&format!("{}/__stats", server())).await;
    let text = JsFuture::from(response.text().unwrap()).await.unwrap().as_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

pub async fn fetch(url: &str) -> web_sys::Response {
    let window = web_sys::window().expect("tests run in a window");
    JsFuture::from(window.fetch_with_str(url)).await.unwrap().unchecked_into()
}

/// How often the server saw `file` of `model` at `revision`.
pub async fn fetch_count(model: &str, revision: &str, file: &str) -> u64 {
    let path = format!("/hub/stand-in/{model}/resolve/{revision}/{file}");
    stats().await.get(&path).and_then(|v| v.as_u64()).unwrap_or(0)
}

/// Requests the server saw for any file of any repo at `revision` (ranged ones included).
pub async fn requests_at(revision: &str) -> u64 {
    let needle = format!("/resolve/{revision}/");
    let stats = stats().await;
    let counts = stats.as_object().unwrap().iter().filter(|(k, _)| k.contains(&needle) && !k.contains(' '));
    counts.map(|(_, v)| v.as_u64().unwrap()).sum()
}

/// Makes the server drop the connection of its next `n` ranged hub requests.
pub async fn drop_next_ranges(n: u32) {
    let window = web_sys::window().expect("tests run in a window");
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let url = format!("{}/__faults?drop={n}", server());
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init(&url, &init)).await.unwrap().unchecked_into();
    assert_eq!(response.status(), 204);
}

/// A case of a generated full-size stand-in's reference (tools/fixtures/make_full.py: one model,
/// so one score per case).
#[derive(Deserialize)]
pub struct FullCase {
    pub name: String,
    pub query: String,
    pub passage: String,
    pub score: f64,
}

/// A full-size stand-in's reference (`fixtures/{name}-reference.json`, given as its text).
pub fn full_cases(reference_json: &str) -> Vec<FullCase> {
    #[derive(Deserialize)]
    struct FullReference {
        cases: Vec<FullCase>,
    }
    serde_json::from_str::<FullReference>(reference_json).unwrap().cases
}

/// `[[query, passage], …]` of `cases`.
pub fn full_pairs(cases: &[&FullCase]) -> JsValue {
    js(serde_json::Value::Array(cases.iter().map(|c| serde_json::json!([c.query, c.passage])).collect()))
}

/// A revision nobody else uses, so Cache Storage and the request counts start empty for it.
pub fn fresh_revision(tag: &str) -> String {
    format!("{tag}-{}", (js_sys::Math::random() * 1e12) as u64)
}

pub fn assert_scores_match(got: &[f64], cases: &[Case], model: &str, what: &str) -> f64 {
    assert_eq!(got.len(), cases.len());
    let mut worst = 0.0f64;
    for (s, c) in got.iter().zip(cases) {
        let d = (s - c.scores[model]).abs();
        assert!(d <= TOLERANCE, "{what} {model} {}: {s} vs {}", c.name, c.scores[model]);
        worst = worst.max(d);
    }
    web_sys::console::log_1(&format!("{what} {model}: {} pairs, max |Δscore| {worst:.2e}", got.len()).into());
    worst
}

/// `Reranker.load(options)` from a plain JS options object.
pub async fn load_js(options: JsValue) -> Result<ja_rerank::web::Reranker, JsValue> {
    ja_rerank::web::Reranker::load(Some(options.unchecked_into())).await
}

/// Loads `model` from the test server with `extra` options; a failure fails the test, saying which.
pub async fn load(model: &str, extra: serde_json::Value) -> ja_rerank::web::Reranker {
    load_js(options(model, extra.clone())).await.unwrap_or_else(|e| panic!("load {model} {extra:?}: {e:?}"))
}

/// `reranker.score(pairs)`, awaited.
pub async fn score(r: &ja_rerank::web::Reranker, pairs: JsValue) -> Result<JsValue, JsValue> {
    await_promise(r.score(pairs, None)).await
}

/// The panics caught in callbacks so far (`ja_rerank::web::panic_count`, counted for the page):
/// every test runs in one page, and a failing test's assertion is a panic too, so a test checks
/// that the count did not move while it ran rather than that it is zero.
pub struct Panics(u32);

impl Panics {
    pub fn before() -> Self {
        Panics(ja_rerank::web::panic_count())
    }

    pub fn assert_none_since(&self) {
        assert_eq!(ja_rerank::web::panic_count(), self.0, "a panic was caught in a callback (see the console)");
    }
}
