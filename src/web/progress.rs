//! The progress events `onProgress` receives: bytes of a file (or of a part of model.safetensors)
//! as they arrive, and the waits a rate limit imposes.

use js_sys::Function;

use super::callback::emit;

/// The progress event `onProgress` receives.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Progress<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    part: Option<&'a str>,
    loaded: f64,
    total: Option<f64>,
    from_cache: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    wait_seconds: Option<f64>,
}

#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const TS_PROGRESS: &'static str = r#"
export interface ProgressEvent {
  /** "config.json" | "tokenizer.json" | "model.safetensors" */
  file: string;
  loaded: number;
  /** With word-embedding rows on demand, which part of model.safetensors: "header", "tensors" (all but the
   * word embeddings, at load) or "rows" (the rows a call lacks; `total` counts that call's rows). */
  part?: "header" | "tensors" | "rows";
  /** Bytes expected, or null when the server does not say. */
  total: number | null;
  fromCache: boolean;
  /** Present when the server rate-limited this file's request (HTTP 429) and the reranker waits this many seconds
   * before it asks again (at most 10 s per request; longer waits fail with "RATE_LIMITED"). */
  waitSeconds?: number;
}
"#;

/// `loaded` of `total` bytes of `file` (and `part` of it) read.
pub fn loaded(
    callback: Option<&Function>,
    file: &str,
    part: Option<&str>,
    loaded: u64,
    total: Option<u64>,
    from_cache: bool,
) {
    let event =
        Progress { file, part, loaded: loaded as f64, total: total.map(|t| t as f64), from_cache, wait_seconds: None };
    emit(callback, &event);
}

/// `file`'s request was rate-limited: asked again in `seconds`.
pub fn waiting(callback: Option<&Function>, file: &str, part: Option<&str>, seconds: f64) {
    let event = Progress { file, part, loaded: 0.0, total: None, from_cache: false, wait_seconds: Some(seconds) };
    emit(callback, &event);
}
