//! The Hub as it really is, against tools/hub-like.mjs (mounted by tools/serve.mjs at
//! /hublike/{tenant}/): large files 302 to signed, expiring, content-addressed CDN URLs on another
//! origin, a resolver quota with 429s, `main` that moves, headers exposed to CORS or not. Each test
//! has a tenant of its own (a fresh Hub: its quota, commits and counts), named for how it behaves.
//! The trained stand-in (fixtures/models/ranker), rows on demand, texts from the demo's collection.
use std::cell::RefCell;
use std::rc::Rc;

use crate::support::*;
use ja_rerank::web::Reranker;
use js_sys::Function;
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

const MODEL: &str = "stand-in/ranker";

/// A tenant nobody else uses: `{behaviour}-{random}` (tools/hub-like.mjs reads the behaviour).
fn tenant(behaviour: &str) -> String {
    format!("{behaviour}-t{}", (js_sys::Math::random() * 1e12) as u64)
}

fn hub_like(tenant: &str) -> String {
    format!("{}/hublike/{tenant}", server())
}

async fn control(tenant: &str, what: &str) -> web_sys::Response {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let url = format!("{}/__hublike/{tenant}/{what}", server());
    let window = web_sys::window().unwrap();
    JsFuture::from(window.fetch_with_str_and_init(&url, &init)).await.unwrap().unchecked_into()
}

/// The server's counts for `tenant`: "resolver", "cdn", "api", "429", "cdn expired", ….
async fn counts(tenant: &str) -> serde_json::Value {
    let response = fetch(&format!("{}/__hublike/{tenant}/stats", server())).await;
    let text = JsFuture::from(response.text().unwrap()).await.unwrap().as_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

fn count(stats: &serde_json::Value, key: &str) -> u64 {
    stats.get(key).and_then(|v| v.as_u64()).unwrap_or(0)
}

async fn load_from(tenant: &str, extra: serde_json::Value) -> Result<Reranker, JsValue> {
    let mut o = json!({ "hubUrl": hub_like(tenant), "model": MODEL, "backend": "cpu", "maxLength": 128 });
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    load_js(js(o)).await
}

/// Call `i` of a session: a query and ten passages of the demo's collection that no other call
/// of the session reads, so every call needs rows the ones before did not fetch.
fn call_pairs(i: usize) -> JsValue {
    #[derive(serde::Deserialize)]
    struct Doc {
        summary: String,
        text: String,
    }
    #[derive(serde::Deserialize)]
    struct Collection {
        documents: Vec<Doc>,
    }
    let c: Collection = serde_json::from_str(include_str!("../../www/data/collection.json")).unwrap();
    let docs = &c.documents[i * 11..i * 11 + 11];
    js(serde_json::Value::Array(docs[1..].iter().map(|d| json!([docs[0].summary, d.text])).collect()))
}

fn requests(r: &Reranker, when: &str, kind: &str) -> f64 {
    get(&get(&get(&r.info(), "requests"), when), kind).as_f64().unwrap()
}

fn info_str(r: &Reranker, key: &str) -> Option<String> {
    get(&r.info(), key).as_string()
}

/// Scores of `calls` by a whole-file load of `revision` (the eager path: no rows on demand).
async fn eager_scores(tenant: &str, revision: &str, calls: &[usize]) -> Vec<Vec<f64>> {
    let r = load_from(tenant, json!({ "rows": "eager", "cache": false, "revision": revision })).await.unwrap();
    assert_eq!(info_str(&r, "rows").as_deref(), Some("eager"));
    let mut out = vec![];
    for &i in calls {
        out.push(numbers(&score(&r, call_pairs(i)).await.unwrap()));
    }
    r.dispose();
    out
}

fn max_diff(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    a.iter().flatten().zip(b.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[wasm_bindgen_test]
async fn a_load_and_twenty_calls_make_one_resolver_request_per_file() {
    let t = tenant("economy");
    let r = load_from(&t, json!({ "cache": false })).await.unwrap();
    assert_eq!(info_str(&r, "rows").as_deref(), Some("lazy"), "{:?}", info_str(&r, "rowsReason"));
    assert_eq!(info_str(&r, "commitPinnedBy").as_deref(), Some("header"));
    let at_load = counts(&t).await;
    // config.json, tokenizer_config.json, tokenizer.json and model.safetensors: one resolution each.
    assert_eq!(count(&at_load, "resolver"), 4, "{at_load}");
    assert_eq!(requests(&r, "load", "resolver"), 4.0);
    assert_eq!(count(&at_load, "resolver stand-in/ranker/model.safetensors"), 1, "{at_load}");
    let calls: Vec<usize> = (0..20).collect();
    let mut lazy = vec![];
    for &i in &calls {
        lazy.push(numbers(&score(&r, call_pairs(i)).await.unwrap()));
        assert_eq!(requests(&r, "lastCall", "resolver"), 0.0, "call {i} went to the resolver");
    }
    let after = counts(&t).await;
    log(format!(
        "a load and 20 calls on the Hub-like server: {} resolver requests, {} CDN requests ({} row requests)",
        count(&after, "resolver"),
        count(&after, "cdn"),
        get(&r.info(), "rowRequests").as_f64().unwrap()
    ));
    assert!(count(&after, "resolver") <= 10, "{after}");
    assert_eq!(count(&after, "resolver"), 4, "rows went to the resolver: {after}");
    assert_eq!(requests(&r, "total", "resolver"), 4.0);
    // The browser's counts are the server's: every row request went to the CDN.
    assert_eq!(requests(&r, "total", "cdn") as u64, count(&after, "cdn"), "{after}");
    assert!(get(&r.info(), "rowRequests").as_f64().unwrap() >= 20.0);
    r.dispose();
    let eager = eager_scores(&t, "main", &calls).await;
    assert_eq!(lazy, eager, "rows on demand through the CDN vs the whole file");
}

#[wasm_bindgen_test]
async fn a_signed_url_that_expires_mid_session_is_resolved_again_once() {
    let t = tenant("expiry");
    let r = load_from(&t, json!({ "cache": false })).await.unwrap();
    let first = numbers(&score(&r, call_pairs(0)).await.unwrap());
    assert_eq!(control(&t, "expire").await.status(), 204);
    let second = numbers(&score(&r, call_pairs(1)).await.unwrap());
    assert_eq!(requests(&r, "lastCall", "resolver"), 1.0, "one resolution for the call after expiry");
    let stats = counts(&t).await;
    assert!(count(&stats, "cdn expired") >= 1, "{stats}");
    assert_eq!(count(&stats, "resolver stand-in/ranker/model.safetensors"), 2, "{stats}");
    let third = numbers(&score(&r, call_pairs(2)).await.unwrap());
    assert_eq!(requests(&r, "lastCall", "resolver"), 0.0, "the new URL serves the calls after");
    r.dispose();
    assert_eq!(vec![first, second, third], eager_scores(&t, "main", &[0, 1, 2]).await);
}

/// huggingface.co does not let a page read its RateLimit headers: a 429 there cannot be waited
/// out, however short, and is RATE_LIMITED without a `retryAfter`; the reranker stays usable.
#[wasm_bindgen_test]
async fn a_rate_limit_whose_length_the_page_cannot_read_is_rate_limited_at_once() {
    let t = tenant("hub-exposure");
    let r = load_from(&t, json!({ "cache": false })).await.unwrap();
    let held = numbers(&score(&r, call_pairs(0)).await.unwrap());
    control(&t, "expire").await;
    control(&t, "limit?seconds=2").await;
    let failed = score(&r, call_pairs(1)).await;
    let error = failed.clone().err().unwrap();
    assert_eq!(code_of(failed), "RATE_LIMITED");
    assert!(get(&error, "retryAfter").is_undefined());
    let message = get(&error, "message").as_string().unwrap();
    assert!(message.contains("retry later"), "{message}");
    assert_eq!(numbers(&score(&r, call_pairs(0)).await.unwrap()), held);
    control(&t, "limit?seconds=0").await;
    let after = numbers(&score(&r, call_pairs(1)).await.unwrap());
    r.dispose();
    assert_eq!(vec![held, after], eager_scores(&t, "main", &[0, 1]).await);
}

/// A server that lets the page read them (`rl`: RateLimit exposed to CORS, as a proxy may; Node
/// reads every header): short waits are waited out, long ones are RATE_LIMITED with `retryAfter`.
#[wasm_bindgen_test]
async fn a_rate_limit_is_waited_out_when_short_and_rate_limited_when_long() {
    let t = tenant("limits-rl");
    let waits = Rc::new(RefCell::new(Vec::<f64>::new()));
    let sink = waits.clone();
    let on_progress = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
        if let Some(s) = get(&e, "waitSeconds").as_f64() {
            sink.borrow_mut().push(s);
        }
    });
    let o = js(json!({ "hubUrl": hub_like(&t), "model": MODEL, "backend": "cpu", "maxLength": 128, "cache": false }));
    set(&o, "onProgress", on_progress.as_ref().unchecked_ref::<Function>());
    let r = load_js(o).await.unwrap();
    let held = numbers(&score(&r, call_pairs(0)).await.unwrap());

    // Short: the quota is used up for 2 more seconds when the next call must resolve again.
    control(&t, "expire").await;
    control(&t, "limit?seconds=2").await;
    let short = numbers(&score(&r, call_pairs(1)).await.unwrap());
    assert_eq!(waits.borrow().len(), 1, "one wait reported: {:?}", waits.borrow());
    assert!(waits.borrow()[0] > 0.0 && waits.borrow()[0] <= 2.0);
    assert_eq!(requests(&r, "lastCall", "resolver"), 2.0, "the 429, then the resolution");
    assert_eq!(count(&counts(&t).await, "429"), 1);

    // A wait belongs to the call: its signal cuts it short.
    control(&t, "expire").await;
    control(&t, "limit?seconds=8").await;
    let abort_soon = Function::new_no_args(
        "const c = new AbortController(); setTimeout(() => c.abort(), 300); return { signal: c.signal };",
    );
    let started = js_sys::Date::now();
    let aborted = await_promise(r.score(call_pairs(2), Some(abort_soon.call0(&JsValue::NULL).unwrap().unchecked_into()))).await;
    assert_eq!(code_of(aborted), "ABORTED");
    assert!(js_sys::Date::now() - started < 4000.0, "the 8-second wait was not cut short by the signal");
    assert_eq!(waits.borrow().len(), 2, "the wait was reported: {:?}", waits.borrow());

    // Long: 30 seconds is longer than a call waits: RATE_LIMITED, saying when.
    control(&t, "expire").await;
    control(&t, "limit?seconds=30").await;
    let failed = score(&r, call_pairs(2)).await;
    let error = failed.clone().err().unwrap();
    assert_eq!(code_of(failed), "RATE_LIMITED");
    let retry = get(&error, "retryAfter").as_f64().unwrap();
    assert!(retry > 10.0 && retry <= 30.0, "retryAfter {retry}");
    // Usable for texts whose rows it holds, without a request.
    assert_eq!(numbers(&score(&r, call_pairs(0)).await.unwrap()), held);
    assert_eq!(requests(&r, "lastCall", "resolver") + requests(&r, "lastCall", "cdn"), 0.0);
    // The window ends: the next call works.
    control(&t, "limit?seconds=0").await;
    let after = numbers(&score(&r, call_pairs(2)).await.unwrap());
    r.dispose();
    assert_eq!(vec![held, short, after], eager_scores(&t, "main", &[0, 1, 2]).await);

    // A load that meets a long limit fails without leaving anything in Cache Storage.
    let t2 = tenant("limited-load");
    control(&t2, "limit?seconds=60").await;
    assert_eq!(code_of(load_from(&t2, json!({})).await.map(JsValue::from)), "RATE_LIMITED");
    assert_eq!(cache_keys_with(&t2).await, 0, "a 429 left entries in Cache Storage");
    control(&t2, "limit?seconds=0").await;
    let r2 = load_from(&t2, json!({})).await.unwrap();
    assert_eq!(numbers(&score(&r2, call_pairs(0)).await.unwrap()), eager_scores(&t2, "main", &[0]).await[0]);
    r2.dispose();
}

/// Entries of Cache Storage whose key holds `needle`.
async fn cache_keys_with(needle: &str) -> usize {
    let window = web_sys::window().unwrap();
    let storage = window.caches().unwrap();
    let cache: web_sys::Cache = JsFuture::from(storage.open("ja-rerank-hub-v1")).await.unwrap().unchecked_into();
    let keys: js_sys::Array = JsFuture::from(cache.keys()).await.unwrap().unchecked_into();
    keys.iter().filter(|k| k.unchecked_ref::<web_sys::Request>().url().contains(needle)).count()
}

#[wasm_bindgen_test]
async fn main_moving_between_visits_never_mixes_two_commits() {
    let t = tenant("moving");
    let first = load_from(&t, json!({})).await.unwrap();
    let c1 = info_str(&first, "commit").expect("a commit");
    assert_eq!(info_str(&first, "commitPinnedBy").as_deref(), Some("header"));
    score(&first, call_pairs(0)).await.unwrap();
    first.dispose();

    let moved = control(&t, "move?repo=stand-in/ranker").await;
    let c2: serde_json::Value =
        serde_json::from_str(&JsFuture::from(moved.text().unwrap()).await.unwrap().as_string().unwrap()).unwrap();
    let c2 = c2["commit"].as_str().unwrap().to_string();
    assert_ne!(c1, c2);

    // A second visit: the commit of the first, from Cache Storage; the newer one named.
    let second = load_from(&t, json!({})).await.unwrap();
    assert_eq!(info_str(&second, "commit").as_deref(), Some(c1.as_str()));
    assert_eq!(info_str(&second, "commitPinnedBy").as_deref(), Some("cache"));
    assert_eq!(info_str(&second, "newerCommit").as_deref(), Some(c2.as_str()));
    let calls = [0, 1, 2];
    let mut got = vec![];
    for i in calls {
        got.push(numbers(&score(&second, call_pairs(i)).await.unwrap()));
    }
    assert!(get(&second.info(), "rowRequests").as_f64().unwrap() > 0.0, "new rows were fetched");
    second.dispose();

    let old = eager_scores(&t, &c1, &calls).await;
    let new = eager_scores(&t, &c2, &calls).await;
    let apart = max_diff(&old, &new);
    assert!(apart > 1e-3, "the two commits score alike ({apart:.1e}): the test would not see a mixture");
    let (to_old, to_new) = (max_diff(&got, &old), max_diff(&got, &new));
    log(format!(
        "main moved: the second visit is {to_old:.1e} from commit 1, {to_new:.1e} from commit 2 (they differ by {apart:.2})"
    ));
    assert!(
        to_old <= TOLERANCE || to_new <= TOLERANCE,
        "a mixture: {to_old:.1e} from commit 1, {to_new:.1e} from commit 2"
    );
    assert_eq!(got, old, "the cached commit, whole");

    // refresh: true reads the new commit, whole.
    let third = load_from(&t, json!({ "refresh": true })).await.unwrap();
    assert_eq!(info_str(&third, "commit").as_deref(), Some(c2.as_str()));
    let mut fresh = vec![];
    for i in calls {
        fresh.push(numbers(&score(&third, call_pairs(i)).await.unwrap()));
    }
    third.dispose();
    assert_eq!(fresh, new);
    // And from then on, the new commit is the cached one.
    let fourth = load_from(&t, json!({})).await.unwrap();
    assert_eq!(info_str(&fourth, "commit").as_deref(), Some(c2.as_str()));
    assert!(get(&fourth.info(), "newerCommit").is_null());
    fourth.dispose();
}

#[wasm_bindgen_test]
async fn without_readable_headers_the_commit_comes_from_the_api_or_the_files() {
    // huggingface.co with X-Repo-Commit not exposed (as through a proxy that drops it): its API
    // names the commit. The Hub's URLs reach the Hub-like server through the `fetch` option.
    let t = tenant("hide");
    let base = format!("{}/", hub_like(&t));
    let rewrite = Function::new_with_args(
        "r",
        &format!("return fetch(new Request(r.url.replace('https://huggingface.co/', '{base}'), r))"),
    );
    let o = js(json!({ "hubUrl": "https://huggingface.co", "model": MODEL, "backend": "cpu", "maxLength": 128, "cache": false }));
    set(&o, "fetch", &rewrite);
    let r = load_js(o).await.unwrap();
    assert_eq!(info_str(&r, "commitPinnedBy").as_deref(), Some("api"));
    let commit = info_str(&r, "commit").unwrap();
    assert_eq!(commit.len(), 40);
    assert_eq!(count(&counts(&t).await, "api"), 1);
    let stats = counts(&t).await;
    assert_eq!(count(&stats, &format!("resolver {MODEL}/config.json")), 1, "{stats}");
    r.dispose();
    // Elsewhere (a mirror, a folder) no API is asked: a 404 per first load would be logged.
    let t = tenant("hide-mirror");
    let r = load_from(&t, json!({ "cache": false })).await.unwrap();
    assert_eq!(info_str(&r, "commitPinnedBy").as_deref(), Some("files"));
    assert_eq!(count(&counts(&t).await, "api"), 0);
    r.dispose();

    // Neither headers nor an API: each file is held to what first answered for it (here the
    // content-addressed CDN path; size and ETag where readable). main moves mid-session and the
    // signed URL expires: the next resolution leads to other bytes, FILE_CHANGED, never a score.
    let t = tenant("hide-noapi");
    let r = load_from(&t, json!({ "cache": false })).await.unwrap();
    assert_eq!(info_str(&r, "commitPinnedBy").as_deref(), Some("files"));
    assert!(get(&r.info(), "commit").is_null());
    let held = numbers(&score(&r, call_pairs(0)).await.unwrap());
    control(&t, "move?repo=stand-in/ranker").await;
    let fine = numbers(&score(&r, call_pairs(1)).await.unwrap());
    control(&t, "expire").await;
    let changed = score(&r, call_pairs(2)).await;
    let message = get(changed.as_ref().err().unwrap(), "message").as_string().unwrap();
    assert_eq!(code_of(changed), "FILE_CHANGED");
    assert!(message.contains("model.safetensors"), "{message}");
    // What it holds still scores, as the first commit.
    assert_eq!(numbers(&score(&r, call_pairs(0)).await.unwrap()), held);
    r.dispose();
    let c1 = load_from(&tenant("c1"), json!({ "rows": "eager", "cache": false })).await.unwrap();
    assert_eq!(numbers(&score(&c1, call_pairs(1)).await.unwrap()), fine, "rows before the expiry: the first commit's");
    c1.dispose();
}
