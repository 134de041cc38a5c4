//! Losing the WebGPU device mid-use moves the reranker to the CPU, says so, and keeps scoring
//! correctly. Its own test binary (so its own page): the lost device is gone for the page.
use std::cell::RefCell;
use std::rc::Rc;

use crate::support::*;
use ja_rerank::web::Reranker;
use js_sys::Function;
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
async fn a_lost_gpu_moves_the_reranker_to_the_cpu() {
    let panics = Panics::before();
    let changes = Rc::new(RefCell::new(Vec::<(String, String)>::new()));
    let sink = changes.clone();
    let on_change = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
        sink.borrow_mut().push((get(&e, "from").as_string().unwrap(), get(&e, "to").as_string().unwrap()));
    });
    let o = options("tiny", json!({ "backend": "webgpu" }));
    set(&o, "onBackendChange", on_change.as_ref().unchecked_ref::<Function>());
    let r = load_js(o).await.unwrap();
    assert_eq!(r.backend(), "webgpu");
    let cases = cases(512);

    let before = numbers(&await_promise(r.score(pairs_js(&cases[..6]), None)).await.unwrap());
    assert_scores_match(&before, &cases[..6], "tiny", "webgpu before loss");

    Reranker::simulate_device_loss().await.unwrap();
    let after = numbers(&await_promise(r.score(pairs_js(&cases), None)).await.unwrap());
    assert_scores_match(&after, &cases, "tiny", "after device loss");
    assert_eq!(r.backend(), "cpu");
    assert_eq!(*changes.borrow(), vec![("webgpu".to_string(), "cpu".to_string())]);
    assert!(get(&r.info(), "backendReason").as_string().unwrap().contains("WebGPU"));

    // Later calls stay on the CPU without further changes; a new "auto" load avoids the lost GPU.
    await_promise(r.score(pairs_js(&cases[..2]), None)).await.unwrap();
    assert_eq!(changes.borrow().len(), 1);
    let again = load_js(options("tiny", json!({}))).await.unwrap();
    assert_eq!(again.backend(), "cpu");
    panics.assert_none_since();
}
