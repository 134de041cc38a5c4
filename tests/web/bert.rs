//! The BERT-ja family in a real browser (Chromium and Firefox in CI), against tools/serve.mjs:
//! the BertJapaneseTokenizer port (MeCab on the dictionary fetched from the server, WordPiece) on
//! every golden text and pair of fixtures/bert-reference.json, the bert-tiny stand-in's scores
//! against PyTorch on the CPU and WebGPU, base-v1's files fetched under the real repository's
//! name (the full-size stand-in served there) and its scores, and typed errors for a missing or
//! wrong dictionary that leave the module usable.
use std::sync::Arc;

use crate::bert_support::{PairCase, TOKENIZER_CONFIG, VOCAB, reference};
use crate::support::*;
use ja_rerank::model::Row;
use ja_rerank::model::bert::token_type_ids;
use ja_rerank::tokenize::{BertJapanese, MecabDictionary, PairTokenizer, TokenizerFiles};
use serde_json::json;
use unicode_normalization::UnicodeNormalization;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

fn dictionary_url() -> String {
    format!("{}/dictionary/unidic-lite.vibrato.zst", server())
}

async fn dictionary_bytes() -> Vec<u8> {
    let response = fetch(&dictionary_url()).await;
    assert_eq!(response.status(), 200, "the test server has no dictionary: scripts/build-dictionary.sh");
    let buffer = JsFuture::from(response.array_buffer().unwrap()).await.unwrap();
    js_sys::Uint8Array::new(&buffer).to_vec()
}

async fn dictionary() -> Arc<MecabDictionary> {
    Arc::new(MecabDictionary::from_bytes(&dictionary_bytes().await).unwrap())
}

fn pairs_of(cases: &[&PairCase]) -> wasm_bindgen::JsValue {
    js(serde_json::Value::Array(cases.iter().map(|c| json!([c.query, c.passage])).collect()))
}

#[wasm_bindgen_test]
async fn the_tokenizer_in_the_browser_equals_python() {
    let dict = dictionary().await;
    let reference = reference();
    let tokenizer = BertJapanese::new(TOKENIZER_CONFIG, VOCAB, dict.clone()).unwrap();
    let mut wrong = Vec::new();
    for case in &reference.texts {
        let text: String = case.text.nfkc().collect();
        if dict.words(&text) != case.words {
            wrong.push(format!("{} words: {:?}", case.name, dict.words(&text)));
        }
        if tokenizer.ids(&case.text).unwrap() != case.ids {
            wrong.push(format!("{} ids", case.name));
        }
    }
    for case in &reference.cases {
        let files = TokenizerFiles::BertJapanese { config: TOKENIZER_CONFIG, vocab: VOCAB, dictionary: dict.clone() };
        let (ids, second_segment) =
            PairTokenizer::new(files, case.max_length).unwrap().encode_pair(&case.query, &case.passage).unwrap();
        let types: Vec<i64> = token_type_ids(&Row { ids: &ids, second_segment }, ids.len()).collect();
        if ids != case.input_ids || types != case.token_type_ids {
            wrong.push(format!("{} at {}", case.name, case.max_length));
        }
    }
    assert!(wrong.is_empty(), "{} differ from Python:\n{}", wrong.len(), wrong.join("\n"));
    log(format!(
        "BertJapaneseTokenizer in the browser: {} texts and {} pairs equal Python's",
        reference.texts.len(),
        reference.cases.len()
    ));
}

#[wasm_bindgen_test]
async fn bert_tiny_scores_equal_pytorch_on_the_cpu_and_webgpu() {
    let reference = reference();
    for (backend, max_length, take) in [("cpu", 512, usize::MAX), ("cpu", 33, usize::MAX), ("webgpu", 40, 12)] {
        let cases: Vec<&PairCase> = reference.cases.iter().filter(|c| c.max_length == max_length).take(take).collect();
        let r = load(
            "bert-tiny",
            json!({ "backend": backend, "maxLength": max_length, "dictionary": dictionary_url(), "batchSize": 7 }),
        )
        .await;
        assert_eq!(get(&r.info(), "backend").as_string().as_deref(), Some(backend));
        assert_eq!(get(&r.info(), "modelType").as_string().as_deref(), Some("bert"));
        let got = numbers(&score(&r, pairs_of(&cases)).await.unwrap());
        let mut worst = 0f64;
        for (case, g) in cases.iter().zip(&got) {
            let want = case.scores["bert-tiny"];
            assert!((g - want).abs() <= TOLERANCE, "{backend} {} at {max_length}: {g} vs {want}", case.name);
            worst = worst.max((g - want).abs());
        }
        log(format!(
            "bert-tiny on {backend}, max_length {max_length}: {} pairs, max |Δscore| {worst:.2e}",
            cases.len()
        ));
        r.dispose();
    }
}

/// `model: "hotchpotch/japanese-reranker-cross-encoder-base-v1"` against a Hub-layout server (the
/// full-size stand-in served under that name): config.json, tokenizer_config.json, vocab.txt and
/// model.safetensors (by range) are read, no tokenizer.json; the dictionary once, then from
/// Cache Storage; scores equal PyTorch's.
#[wasm_bindgen_test]
async fn the_base_v1_name_fetches_its_files_and_scores() {
    let cases = full_cases(include_str!("../../fixtures/base-v1-reference.json"));
    let picked: Vec<&FullCase> = cases.iter().filter(|c| c.query.len() + c.passage.len() < 400).take(8).collect();
    let revision = fresh_revision("base-v1");
    let options = json!({
        "hubUrl": hub(), "model": "hotchpotch/japanese-reranker-cross-encoder-base-v1", "revision": revision,
        "backend": "cpu", "dictionary": format!("{}?{revision}", dictionary_url()),
    });
    let r = load_js(js(options.clone())).await.unwrap();
    let info = r.info();
    let stats = stats().await;
    let at = |file: &str| format!("/hub/hotchpotch/japanese-reranker-cross-encoder-base-v1/resolve/{revision}/{file}");
    for file in ["config.json", "tokenizer_config.json", "vocab.txt", "model.safetensors"] {
        assert!(stats.get(at(file)).is_some(), "{file} was not fetched: {stats}");
    }
    assert!(stats.get(at("tokenizer.json")).is_none(), "tokenizer.json was asked for");
    let size = dictionary_bytes().await.len() as f64;
    assert_eq!(get(&info, "dictionaryBytes").as_f64(), Some(size), "the dictionary's bytes");
    let got = numbers(&score(&r, full_pairs(&picked)).await.unwrap());
    let mut worst = 0f64;
    for (case, g) in picked.iter().zip(&got) {
        assert!((g - case.score).abs() <= TOLERANCE, "base-v1 {}: {g} vs {}", case.name, case.score);
        worst = worst.max((g - case.score).abs());
    }
    r.dispose();
    // A second visit: every file from Cache Storage, the dictionary too.
    let again = load_js(js(options)).await.unwrap();
    assert_eq!(get(&again.info(), "bytesDownloaded").as_f64(), Some(0.0));
    log(format!(
        "base-v1 stand-in by its Hub name: {} pairs, max |Δscore| {worst:.2e}; second load from Cache Storage",
        picked.len()
    ));
    again.dispose();
}

#[wasm_bindgen_test]
async fn a_missing_or_wrong_dictionary_is_a_dictionary_error_and_the_module_stays_usable() {
    let panics = Panics::before();
    let none = load_js(options("bert-tiny", json!({}))).await;
    assert_eq!(code_of(none.map(Into::into)), "DICTIONARY");
    let missing =
        load_js(options("bert-tiny", json!({ "dictionary": format!("{}/dictionary/nothing-here.zst", server()) })))
            .await;
    assert_eq!(code_of(missing.map(Into::into)), "DICTIONARY");
    let not_one = format!("{}/stand-in/bert-tiny/resolve/main/config.json", hub());
    let wrong = load_js(options("bert-tiny", json!({ "dictionary": not_one, "cache": false }))).await;
    assert_eq!(code_of(wrong.map(Into::into)), "DICTIONARY");
    let r = load("bert-tiny", json!({ "dictionary": dictionary_url() })).await;
    assert_eq!(numbers(&score(&r, js(json!([["東京の天気", "晴れ"]]))).await.unwrap()).len(), 1);
    panics.assert_none_since();
}
