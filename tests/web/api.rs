//! The JS API in a real browser (wasm-pack test --headless --chrome / --firefox), against
//! Hub-layout files served over HTTP by tools/serve.mjs: parity on both backends, the
//! bad-input table, Cache Storage, progress events, the module-level rerank().
use crate::support::*;
use ja_rerank::web::{Reranker, rerank};
use js_sys::{Array, Function};
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

async fn rerank_call(r: &Reranker, query: JsValue, docs: JsValue, opts: JsValue) -> Result<JsValue, JsValue> {
    await_promise(r.rerank(query, docs, Some(opts.unchecked_into()))).await
}

#[wasm_bindgen_test]
async fn parity_on_the_cpu() {
    for model in ["tiny", "odd"] {
        for max_length in [512, 64] {
            let cases = cases(max_length);
            let r = load(model, json!({ "backend": "cpu", "maxLength": max_length, "batchSize": 7 })).await;
            assert_eq!(r.backend(), "cpu");
            let got = numbers(&score(&r, pairs_js(&cases)).await.unwrap());
            assert_scores_match(&got, &cases, model, &format!("cpu max_length {max_length}"));
        }
    }
}

/// Every case at max_length 64 in batches of 16, then a 512-token pair alone (`webgpu_cases`).
#[wasm_bindgen_test]
async fn parity_on_webgpu_with_device_and_host_embeddings() {
    let panics = Panics::before();
    let [short, long] = webgpu_cases(REFERENCE, 64, 512);
    for model in ["tiny", "odd"] {
        for embeddings in ["device", "host"] {
            let options = |max_length: usize| json!({ "backend": "webgpu", "wordEmbeddings": embeddings, "batchSize": 16, "maxLength": max_length });
            let r = load(model, options(64)).await;
            assert_eq!(r.backend(), "webgpu");
            let info = r.info();
            assert_eq!(get(&info, "hostWordEmbeddings").as_bool(), Some(embeddings == "host"));
            let got = numbers(&score(&r, pairs_js(&short)).await.unwrap());
            assert_scores_match(&got, &short, model, &format!("webgpu ({embeddings} embeddings), max_length 64"));
            // The failure seen with other WebGPU cross-encoders: every document the same score.
            let distinct: std::collections::BTreeSet<u64> = got.iter().map(|s| (s * 1e6) as u64).collect();
            assert!(distinct.len() > short.len() / 2, "scores collapse on WebGPU: {got:?}");
            r.dispose();
            let r = load(model, options(512)).await;
            let got = numbers(&score(&r, pairs_js(&long)).await.unwrap());
            assert_scores_match(&got, &long, model, &format!("webgpu ({embeddings} embeddings), 512 tokens"));
            r.dispose();
        }
    }
    let adapter = get(&load("tiny", json!({ "backend": "webgpu" })).await.info(), "adapter");
    web_sys::console::log_1(&format!("adapter: {}", js_sys::JSON::stringify(&adapter).unwrap()).into());
    assert!(get(&adapter, "maxStorageBufferBindingSize").as_f64().unwrap() > 0.0);
    assert!(get(&adapter, "selfCheckMaxAbsDiff").as_f64().unwrap() <= 1e-4);
    panics.assert_none_since();
}

/// The ModernBERT stand-ins (the v2 rerankers' family: rotary positions, local attention, GeGLU,
/// "cls" and "mean" pooling), by config.json alone, on the CPU kernels (every case) and on WebGPU
/// (one batch of 7 at max_length 100, past the 16-token local window; for mb-tiny also the pair
/// cut at 1,024 tokens, alone: past 512 and every window, without padding six others to its length).
#[wasm_bindgen_test]
async fn modernbert_parity_on_the_cpu_and_webgpu() {
    for model in ["mb-tiny", "mb-mean"] {
        for max_length in [1024, 100] {
            let all = cases_in(MODERNBERT_REFERENCE, max_length);
            assert!(all.len() >= 40);
            let webgpu = match (max_length, model) {
                (1024, "mb-tiny") => named(&all, "both-long"),
                (1024, _) => Vec::new(),
                _ => all[..7].to_vec(),
            };
            for (backend, cases) in [("cpu", &all[..]), ("webgpu", &webgpu[..])] {
                if cases.is_empty() {
                    continue;
                }
                let r = load(model, json!({ "backend": backend, "maxLength": max_length, "batchSize": 7 })).await;
                assert_eq!(r.backend(), backend);
                assert_eq!(get(&r.info(), "modelType").as_string().as_deref(), Some("modernbert"));
                let got = numbers(&score(&r, pairs_js(cases)).await.unwrap());
                assert_scores_match(&got, cases, model, &format!("{backend} max_length {max_length}"));
            }
        }
    }
    let cases = &cases_in(MODERNBERT_REFERENCE, 100)[..7];
    let options = json!({ "backend": "webgpu", "wordEmbeddings": "host", "maxLength": 100, "batchSize": 7 });
    let r = load("mb-tiny", options).await;
    assert_eq!(get(&r.info(), "hostWordEmbeddings").as_bool(), Some(true));
    let got = numbers(&score(&r, pairs_js(cases)).await.unwrap());
    assert_scores_match(&got, cases, "mb-tiny", "webgpu (host embeddings)");
}

#[wasm_bindgen_test]
async fn auto_picks_a_backend_and_says_which() {
    let r = load("tiny", json!({})).await;
    let backend = r.backend();
    assert!(backend == "webgpu" || backend == "cpu");
    let info = r.info();
    assert_eq!(get(&info, "backend").as_string().unwrap(), backend);
    if backend == "cpu" {
        assert!(get(&info, "backendReason").as_string().is_some(), "auto chose the CPU without a reason");
    }
    assert!(get(&info, "wasmMemoryBytes").as_f64().unwrap() > 0.0);
}

#[wasm_bindgen_test]
async fn bad_input_is_refused_with_codes_and_the_reranker_keeps_working() {
    let r = load("tiny", json!({ "backend": "cpu" })).await;
    let docs = js(json!(["ファイルを削除する", "ディレクトリを一覧表示する", "猫"]));
    let q = JsValue::from_str("ファイルの一覧");
    let none = JsValue::UNDEFINED;

    let bad_queries =
        [js(json!("")), js(json!("  \t")), js(json!(42)), JsValue::NULL, JsValue::UNDEFINED, js(json!(["a"]))];
    for query in bad_queries {
        assert_eq!(
            code_of(rerank_call(&r, query.clone(), docs.clone(), none.clone()).await),
            "INVALID_INPUT",
            "{query:?}"
        );
    }
    let bad_documents =
        [js(json!("abc")), js(json!({"0": "a"})), js(json!([1, "a"])), js(json!(["a", null])), JsValue::UNDEFINED];
    for documents in bad_documents {
        assert_eq!(
            code_of(rerank_call(&r, q.clone(), documents.clone(), none.clone()).await),
            "INVALID_INPUT",
            "{documents:?}"
        );
    }
    let bad_top_k = [json!(0), json!(-1), json!(1.5), json!("3"), json!(true)];
    for k in bad_top_k {
        let opts = js(json!({ "topK": k }));
        assert_eq!(code_of(rerank_call(&r, q.clone(), docs.clone(), opts).await), "INVALID_INPUT", "topK {k}");
    }
    for k in [f64::NAN, f64::INFINITY] {
        let opts = js(json!({}));
        set(&opts, "topK", &JsValue::from_f64(k));
        assert_eq!(code_of(rerank_call(&r, q.clone(), docs.clone(), opts).await), "INVALID_INPUT", "topK {k}");
    }
    let typo = js(json!({ "topk": 2 }));
    assert_eq!(code_of(rerank_call(&r, q.clone(), docs.clone(), typo).await), "INVALID_INPUT", "unknown option");
    for pairs in [js(json!("x")), js(json!([["a"]])), js(json!([["", "b"]])), js(json!([["a", 3]]))] {
        assert_eq!(code_of(score(&r, pairs.clone()).await), "INVALID_INPUT", "{pairs:?}");
    }

    // Edge cases that are valid.
    let empty = rerank_call(&r, q.clone(), js(json!([])), none.clone()).await.unwrap();
    assert_eq!(Array::from(&empty).length(), 0);
    assert_eq!(Array::from(&score(&r, js(json!([]))).await.unwrap()).length(), 0);
    let all =
        rerank_call(&r, q.clone(), docs.clone(), js(json!({ "topK": 100, "returnDocuments": true }))).await.unwrap();
    let all = Array::from(&all);
    assert_eq!(all.length(), 3, "topK larger than the list returns all");
    let first = all.get(0);
    let index = get(&first, "index").as_f64().unwrap() as u32;
    assert_eq!(get(&first, "document"), Array::from(&docs).get(index));
    let scores: Vec<f64> = all.iter().map(|x| get(&x, "score").as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let no_docs = rerank_call(&r, q.clone(), docs.clone(), js(json!({ "topK": 2 }))).await.unwrap();
    let no_docs = Array::from(&no_docs);
    assert_eq!(no_docs.length(), 2);
    assert!(get(&no_docs.get(0), "document").is_undefined(), "returnDocuments defaults to false");

    // Lone surrogates become U+FFFD on the way in (as TextEncoder does); scoring works.
    let lone = js_sys::JSON::parse(r#""\ud800 ファイル \udfff""#).unwrap();
    let ranked = rerank_call(&r, lone.clone(), js(json!(["a", "b"])), none.clone()).await.unwrap();
    assert_eq!(Array::from(&ranked).length(), 2);
    let ranked = rerank_call(&r, q.clone(), Array::of2(&lone, &"b".into()).into(), none.clone()).await.unwrap();
    assert_eq!(Array::from(&ranked).length(), 2);

    // A 1 MB document is truncated to max_length like any other.
    let big = "ファイルシステムの説明。".repeat((1 << 20) / 36 + 1);
    assert!(big.len() >= 1 << 20);
    let ranked = rerank_call(&r, q.clone(), js(json!([big, "短い文書"])), none.clone()).await.unwrap();
    assert_eq!(Array::from(&ranked).length(), 2);

    // 10,000 documents.
    let many: Vec<String> = (0..10_000).map(|i| format!("文書{i}")).collect();
    let ranked = rerank_call(&r, q.clone(), js(json!(many)), js(json!({ "topK": 5 }))).await.unwrap();
    let ranked = Array::from(&ranked);
    assert_eq!(ranked.length(), 5);
    let idx: std::collections::BTreeSet<u32> =
        ranked.iter().map(|x| get(&x, "index").as_f64().unwrap() as u32).collect();
    assert_eq!(idx.len(), 5);

    // Still usable after every error above, and gives the reference's scores.
    let cases = cases(512);
    let got = numbers(&score(&r, pairs_js(&cases[..5])).await.unwrap());
    assert_scores_match(&got, &cases[..5], "tiny", "after bad input");

    r.dispose();
    assert_eq!(code_of(rerank_call(&r, q.clone(), docs.clone(), none.clone()).await), "DISPOSED");
    assert_eq!(code_of(score(&r, pairs_js(&cases[..1])).await), "DISPOSED");
}

#[wasm_bindgen_test]
async fn bad_load_options_and_unreachable_models() {
    let load_code = |extra: serde_json::Value, model: &'static str| async move {
        match load_js(options(model, extra.clone())).await {
            Ok(_) => format!("loaded with {extra}"),
            Err(e) => code_of(Err(e)),
        }
    };
    assert_eq!(load_code(json!({ "backend": "tpu" }), "tiny").await, "INVALID_INPUT");
    assert_eq!(load_code(json!({ "maxLength": 0 }), "tiny").await, "INVALID_INPUT");
    assert_eq!(load_code(json!({ "maxLength": 513, "backend": "cpu" }), "tiny").await, "INVALID_INPUT");
    assert_eq!(load_code(json!({ "batchSize": 2.5 }), "tiny").await, "INVALID_INPUT");
    assert_eq!(load_code(json!({ "cache": "yes" }), "tiny").await, "INVALID_INPUT");
    assert_eq!(load_code(json!({ "hubURL": "x" }), "tiny").await, "INVALID_INPUT", "unknown option");
    assert_eq!(load_code(json!({ "onProgress": 3 }), "tiny").await, "INVALID_INPUT");
    assert_eq!(load_code(json!({ "backend": "cpu" }), "missing").await, "MODEL_LOAD", "404");
    assert_eq!(load_code(json!({ "backend": "cpu" }), "broken").await, "NETWORK", "HTTP 500");
    match load_js(js(json!({ "hubUrl": "http://127.0.0.1:9/hub", "model": "stand-in/tiny", "backend": "cpu" }))).await {
        Ok(_) => panic!("loaded from a closed port"),
        Err(e) => assert_eq!(code_of(Err(e)), "NETWORK"),
    }
}

#[wasm_bindgen_test]
async fn a_truncated_download_fails_and_is_never_cached() {
    let revision = fresh_revision("truncated");
    for attempt in 1..=2 {
        match load_js(options("truncated", json!({ "revision": revision, "backend": "cpu" }))).await {
            Ok(_) => panic!("a truncated model loaded"),
            Err(e) => assert_eq!(code_of(Err(e)), "NETWORK"),
        }
        // Not served from the cache the second time: the network saw it again.
        assert_eq!(fetch_count("truncated", &revision, "model.safetensors").await, attempt);
    }
    // The small files were complete, so they are cached and fetched once.
    assert_eq!(fetch_count("truncated", &revision, "config.json").await, 1);
}

#[wasm_bindgen_test]
async fn the_second_load_comes_from_cache_storage_with_progress() {
    let revision = fresh_revision("cache");
    let events = std::rc::Rc::new(std::cell::RefCell::new(Vec::<(String, f64, Option<f64>, bool)>::new()));
    let sink = events.clone();
    let on_progress = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
        sink.borrow_mut().push((
            get(&e, "file").as_string().unwrap(),
            get(&e, "loaded").as_f64().unwrap(),
            get(&e, "total").as_f64(),
            get(&e, "fromCache").as_bool().unwrap(),
        ));
    });
    // Whole files (rows: "eager"); tests/web/rows.rs covers the same for rows on demand.
    let opts = || {
        let o = options("tiny", json!({ "revision": revision, "backend": "cpu", "rows": "eager" }));
        set(&o, "onProgress", on_progress.as_ref().unchecked_ref::<Function>());
        o
    };

    let first = load_js(opts()).await.unwrap();
    let first_events = std::mem::take(&mut *events.borrow_mut());
    let second = load_js(opts()).await.unwrap();
    let second_events = std::mem::take(&mut *events.borrow_mut());

    for file in ["config.json", "tokenizer.json", "model.safetensors"] {
        assert_eq!(fetch_count("tiny", &revision, file).await, 1, "{file} fetched again");
    }
    let info = |r: &Reranker, key: &str| get(&r.info(), key).as_f64().unwrap();
    assert!(info(&first, "bytesDownloaded") > 1e6 && info(&first, "bytesFromCache") == 0.0);
    assert!(info(&second, "bytesDownloaded") == 0.0 && info(&second, "bytesFromCache") > 1e6);

    for (events, from_cache) in [(&first_events, false), (&second_events, true)] {
        for file in ["config.json", "tokenizer.json", "model.safetensors"] {
            let mine: Vec<_> = events.iter().filter(|e| e.0 == file).collect();
            assert!(!mine.is_empty(), "no progress for {file}");
            assert!(mine.windows(2).all(|w| w[0].1 <= w[1].1), "{file}: loaded went backwards");
            let last = mine.last().unwrap();
            assert_eq!(Some(last.1), last.2, "{file}: the last event is not complete");
            assert_eq!(last.3, from_cache, "{file}: fromCache");
        }
    }
    // Same model either way.
    let cases = cases(512);
    let a = numbers(&score(&first, pairs_js(&cases[..8])).await.unwrap());
    let b = numbers(&score(&second, pairs_js(&cases[..8])).await.unwrap());
    assert_eq!(a, b);

    // cache: false goes to the network every time.
    let no_cache = fresh_revision("nocache");
    for n in 1..=2 {
        load_js(options("tiny", json!({ "revision": no_cache, "backend": "cpu", "cache": false, "rows": "eager" })))
            .await
            .unwrap();
        assert_eq!(fetch_count("tiny", &no_cache, "model.safetensors").await, n);
    }
}

#[wasm_bindgen_test]
async fn module_level_rerank_loads_once_and_reuses() {
    let revision = fresh_revision("default");
    // One whole-file load; with rows on demand each new text would add row requests.
    let opts = |k: u32| {
        js(
            json!({ "hubUrl": hub(), "model": "stand-in/tiny", "revision": revision, "backend": "cpu", "topK": k, "rows": "eager" }),
        )
    };
    let docs = js(json!(["ls は一覧を表示する", "猫の飼い方", "rm はファイルを削除する"]));
    let q = JsValue::from_str("ファイルの一覧");
    // Two calls at once (promises run as soon as they exist) share one download.
    let (pa, pb) = (
        rerank(q.clone(), docs.clone(), Some(opts(2).unchecked_into())),
        rerank(q.clone(), docs.clone(), Some(opts(3).unchecked_into())),
    );
    let (a, b) = (await_promise(pa).await, await_promise(pb).await);
    assert_eq!(Array::from(&a.unwrap()).length(), 2);
    assert_eq!(Array::from(&b.unwrap()).length(), 3);
    let c = await_promise(rerank(q.clone(), docs.clone(), Some(opts(1).unchecked_into()))).await.unwrap();
    assert_eq!(Array::from(&c).length(), 1);
    assert_eq!(fetch_count("tiny", &revision, "model.safetensors").await, 1);
    assert_eq!(
        code_of(await_promise(rerank(JsValue::from_str(""), docs.clone(), Some(opts(1).unchecked_into()))).await),
        "INVALID_INPUT"
    );
}

/// The full-size stand-in on WebGPU: its word-embedding table (366 MiB) is looked up on the host
/// exactly when it exceeds the adapter's largest storage binding (Firefox's lavapipe: 128 MiB;
/// SwiftShader: 1 GiB), and forcing it onto such a device is refused with a reason, not a crash.
/// The suite's one full-size forward pass on WebGPU per browser (one batch of two short pairs,
/// ~25 s on SwiftShader); the other full-size stand-ins run on the CPU path.
#[wasm_bindgen_test]
async fn full_size_on_webgpu_respects_the_adapter_binding_limit() {
    let panics = Panics::before();
    let cases = full_cases(include_str!("../../fixtures/full-reference.json"));
    let picked: Vec<&FullCase> = cases.iter().filter(|c| c.name == "one-char-passage" || c.name == "english").collect();
    assert_eq!(picked.len(), 2);

    // The whole table, placed by the adapter's limit (rows on demand are always on the host).
    let r = load("full", json!({ "backend": "webgpu", "revision": "full-auto", "rows": "eager" })).await;
    let info = r.info();
    let binding = get(&get(&info, "adapter"), "maxStorageBufferBindingSize").as_f64().unwrap();
    let table_bytes = 250_002.0 * 384.0 * 4.0;
    let host = get(&info, "hostWordEmbeddings").as_bool().unwrap();
    web_sys::console::log_1(
        &format!("full-size on WebGPU: binding limit {binding}, table {table_bytes}, host lookup {host}").into(),
    );
    assert_eq!(host, table_bytes > binding);
    let got = numbers(&score(&r, full_pairs(&picked)).await.unwrap());
    for (s, c) in got.iter().zip(&picked) {
        assert!((s - c.score).abs() <= TOLERANCE, "full {}: {s} vs {}", c.name, c.score);
    }
    r.dispose();

    let forced =
        load_js(options("full", json!({ "backend": "webgpu", "wordEmbeddings": "device", "revision": "full-auto" })))
            .await;
    if table_bytes > binding {
        let code = code_of(forced.map(|_| JsValue::NULL));
        assert_eq!(code, "BACKEND");
    } else {
        forced.unwrap();
    }
    panics.assert_none_since();
}
