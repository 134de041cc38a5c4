//! The JS API: `Reranker.load(options)`, `reranker.rerank(query, documents, options)`,
//! `reranker.score(pairs)`, `reranker.dispose()`, and a module-level `rerank()` that loads the
//! default model once. Every argument is checked here and refused with a typed `RerankerError`
//! (a JS `Error` with `code`); nothing panics across the boundary.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::error::{Code, WebError, WebResult};
use super::gpu::{self, AdapterReport, Gpu};
use super::hub::{HubSource, fetch_file, yield_now};
use crate::{Reranker as Core, RerankerOptions, Score};

const DEFAULT_HUB: &str = "https://huggingface.co";
const DEFAULT_MODEL: &str = "hotchpotch/japanese-reranker-cross-encoder-small-v1";
const DEFAULT_REVISION: &str = "main";
/// Per-backend default batch sizes: the CPU is fastest with small batches (README, "CPU
/// backend"); a GPU needs larger ones to fill.
const CPU_BATCH: usize = 4;
const GPU_BATCH: usize = 16;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Where to compute. "auto": WebGPU when an adapter exists and passes a self-check against the CPU, else the CPU. */
export type BackendChoice = "auto" | "webgpu" | "cpu";
export type RerankerErrorCode = "INVALID_INPUT" | "MODEL_LOAD" | "NETWORK" | "BACKEND" | "DISPOSED" | "ABORTED";

/** A thrown `Error` whose `name` is "RerankerError" carries one of these codes. */
export interface RerankerError extends Error { code: RerankerErrorCode }

export interface ProgressEvent {
  /** "config.json" | "tokenizer.json" | "model.safetensors" */
  file: string;
  loaded: number;
  /** Bytes expected, or null when the server does not say. */
  total: number | null;
  fromCache: boolean;
}

export interface BackendChangeEvent { from: "webgpu" | "cpu"; to: "webgpu" | "cpu"; reason: string }

export interface LoadOptions {
  /** Hub repository; default "hotchpotch/japanese-reranker-cross-encoder-small-v1". */
  model?: string;
  /** Branch, tag or commit; default "main". Pin a commit for reproducible results. */
  revision?: string;
  /** Base URL of a Hub-layout server: `${hubUrl}/${model}/resolve/${revision}/${file}`; default "https://huggingface.co". */
  hubUrl?: string;
  backend?: BackendChoice;
  /** Tokens per pair, special tokens included; default and maximum 512. */
  maxLength?: number;
  /** Pairs per forward pass; default 4 on the CPU, 16 on WebGPU. */
  batchSize?: number;
  /** Keep downloaded files in Cache Storage; default true. */
  cache?: boolean;
  /** Word-embedding lookup: "auto" (on the host when the table exceeds the GPU's largest binding), "device" or "host". */
  wordEmbeddings?: "auto" | "device" | "host";
  onProgress?: (event: ProgressEvent) => void;
  /** Called when the reranker moves backend (the GPU device was lost). */
  onBackendChange?: (event: BackendChangeEvent) => void;
}

export interface RerankOptions {
  /** Keep the best k (default: all); must be a positive integer; larger than the list = all. */
  topK?: number;
  /** Include each document's text in the results; default false. */
  returnDocuments?: boolean;
  /** Stops between batches; the promise rejects with code "ABORTED". */
  signal?: AbortSignal;
}

export interface ScoreOptions { signal?: AbortSignal }

export interface Ranked {
  /** Position in the input list. */
  index: number;
  /** sigmoid(logit), 0..1. */
  score: number;
  document?: string;
}

export interface RerankerInfo {
  backend: "webgpu" | "cpu";
  /** Why "auto" chose the CPU, or why the reranker moved to it. */
  backendReason: string | null;
  adapter: AdapterInfo | null;
  model: string;
  revision: string;
  hubUrl: string;
  maxLength: number;
  batchSize: number;
  hostWordEmbeddings: boolean;
  loadMs: number;
  /** Of loadMs: bringing the backend up (WebGPU init and self-check), reading the files (network or Cache Storage), and building the model. */
  backendMs: number;
  fetchMs: number;
  buildMs: number;
  bytesDownloaded: number;
  bytesFromCache: number;
  /** Size of the wasm linear memory after loading. */
  wasmMemoryBytes: number;
}

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  shaderF16: boolean;
  selfCheckMaxAbsDiff: number;
}
"#;

// Typed option parameters: as trailing `Option<_>`s they become optional in the declarations.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "LoadOptions")]
    pub type LoadOptionsArg;
    #[wasm_bindgen(typescript_type = "RerankOptions")]
    pub type RerankOptionsArg;
    #[wasm_bindgen(typescript_type = "ScoreOptions")]
    pub type ScoreOptionsArg;
    #[wasm_bindgen(typescript_type = "LoadOptions & RerankOptions")]
    pub type DefaultRerankOptionsArg;
}

fn arg(value: Option<impl Into<JsValue>>) -> JsValue {
    value.map(Into::into).unwrap_or(JsValue::UNDEFINED)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LoadOptions {
    model: Option<String>,
    revision: Option<String>,
    hub_url: Option<String>,
    backend: Option<String>,
    max_length: Option<f64>,
    batch_size: Option<f64>,
    cache: Option<bool>,
    word_embeddings: Option<String>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    on_progress: JsValue,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    on_backend_change: JsValue,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CallOptions {
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    top_k: JsValue,
    return_documents: Option<bool>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    signal: JsValue,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Choice {
    Auto,
    WebGpu,
    Cpu,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum WordEmbeddings {
    Auto,
    Device,
    Host,
}

/// Load options, checked.
struct Settings {
    source: HubSource,
    choice: Choice,
    max_length: Option<usize>,
    batch_size: Option<usize>,
    cache: bool,
    word_embeddings: WordEmbeddings,
    on_progress: Option<Function>,
    on_backend_change: Option<Function>,
}

const LOAD_KEYS: [&str; 10] = [
    "model",
    "revision",
    "hubUrl",
    "backend",
    "maxLength",
    "batchSize",
    "cache",
    "wordEmbeddings",
    "onProgress",
    "onBackendChange",
];
const CALL_KEYS: [&str; 3] = ["topK", "returnDocuments", "signal"];

/// Reads an options object, refusing keys it does not know: a typo (`topk`, `hubURL`) would
/// otherwise be silently ignored. (serde-wasm-bindgen only looks up the known fields, so
/// `deny_unknown_fields` cannot catch them.)
fn parse<T: for<'de> Deserialize<'de> + Default>(value: JsValue, what: &str, known: &[&str]) -> WebResult<T> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    if !value.is_object() || Array::is_array(&value) {
        return Err(WebError::invalid(format!("{what} must be an object")));
    }
    for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            return Err(WebError::invalid(format!("{what}: unknown option \"{key}\" (known: {})", known.join(", "))));
        }
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| WebError::invalid(format!("{what}: {e}")))
}

/// A whole number in `1..=max`, or `None` when absent.
fn count(value: Option<f64>, name: &str, max: usize) -> WebResult<Option<usize>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v.fract() == 0.0 && v >= 1.0 && v <= max as f64 => Ok(Some(v as usize)),
        Some(v) => Err(WebError::invalid(format!("{name} must be a whole number from 1 to {max}, got {v}"))),
    }
}

fn function(value: JsValue, name: &str) -> WebResult<Option<Function>> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.dyn_into::<Function>().map(Some).map_err(|_| WebError::invalid(format!("{name} must be a function")))
}

impl Settings {
    fn from_js(value: JsValue) -> WebResult<Self> {
        let o: LoadOptions = parse(value, "options", &LOAD_KEYS)?;
        let non_empty = |v: Option<String>, name: &str, default: &str| match v {
            None => Ok(default.to_string()),
            Some(s) if s.trim().is_empty() => Err(WebError::invalid(format!("{name} must not be empty"))),
            Some(s) => Ok(s),
        };
        let choice = match o.backend.as_deref() {
            None | Some("auto") => Choice::Auto,
            Some("webgpu") => Choice::WebGpu,
            Some("cpu") => Choice::Cpu,
            Some(other) => {
                return Err(WebError::invalid(format!(
                    "backend must be \"auto\", \"webgpu\" or \"cpu\", got \"{other}\""
                )));
            }
        };
        let word_embeddings = match o.word_embeddings.as_deref() {
            None | Some("auto") => WordEmbeddings::Auto,
            Some("device") => WordEmbeddings::Device,
            Some("host") => WordEmbeddings::Host,
            Some(other) => {
                return Err(WebError::invalid(format!(
                    "wordEmbeddings must be \"auto\", \"device\" or \"host\", got \"{other}\""
                )));
            }
        };
        Ok(Self {
            source: HubSource {
                hub_url: non_empty(o.hub_url, "hubUrl", DEFAULT_HUB)?,
                model: non_empty(o.model, "model", DEFAULT_MODEL)?,
                revision: non_empty(o.revision, "revision", DEFAULT_REVISION)?,
            },
            choice,
            max_length: count(o.max_length, "maxLength", 1 << 20)?,
            batch_size: count(o.batch_size, "batchSize", 1024)?,
            cache: o.cache.unwrap_or(true),
            word_embeddings,
            on_progress: function(o.on_progress, "onProgress")?,
            on_backend_change: function(o.on_backend_change, "onBackendChange")?,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum BackendKind {
    WebGpu,
    Cpu,
}

impl BackendKind {
    fn name(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "webgpu",
            BackendKind::Cpu => "cpu",
        }
    }
}

/// A loaded model on one backend.
struct Active {
    core: Core,
    backend: BackendKind,
    gpu: Option<Rc<Gpu>>,
}

#[derive(Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Info {
    backend: &'static str,
    backend_reason: Option<String>,
    adapter: Option<AdapterReport>,
    model: String,
    revision: String,
    hub_url: String,
    max_length: usize,
    batch_size: usize,
    host_word_embeddings: bool,
    load_ms: f64,
    /// Of `load_ms`: bringing the backend up (WebGPU init and self-check), reading the files
    /// (network or cache), and building the model.
    backend_ms: f64,
    fetch_ms: f64,
    build_ms: f64,
    bytes_downloaded: f64,
    bytes_from_cache: f64,
    wasm_memory_bytes: f64,
}

struct Inner {
    settings: Settings,
    /// `None` once disposed.
    active: RefCell<Option<Rc<Active>>>,
    info: RefCell<Info>,
}

/// A cross-encoder loaded in this page (or worker).
#[wasm_bindgen]
pub struct Reranker {
    inner: Rc<Inner>,
}

fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| m.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64)
        .unwrap_or(0.0)
}

static PANICS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Panics seen so far. A panic in a callback (a GPU error handler, say) traps that callback but
/// not the caller, so tests check this stays 0.
#[doc(hidden)]
pub fn panic_count() -> u32 {
    PANICS.load(std::sync::atomic::Ordering::Relaxed)
}

fn install_panic_hook() {
    use std::sync::Once;
    static ONCE: Once = Once::new();
    // Panics abort the instance; at least say why in the console.
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            web_sys::console::error_1(&format!("ja-rerank: internal error (please report): {info}").into());
        }))
    });
}

fn emit(callback: &Option<Function>, event: &impl Serialize) {
    if let Some(f) = callback
        && let Ok(value) = serde_wasm_bindgen::to_value(event)
    {
        // A throwing callback is the caller's bug; it must not break loading.
        let _ = f.call1(&JsValue::NULL, &value);
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Progress<'a> {
    file: &'a str,
    loaded: f64,
    total: Option<f64>,
    from_cache: bool,
}

#[derive(Serialize)]
struct BackendChange<'a> {
    from: &'static str,
    to: &'static str,
    reason: &'a str,
}

const FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// Downloads (or reads from cache) the three files and builds the model on the chosen backend.
async fn load_active(settings: &Settings, choice: Choice, info: &mut Info) -> WebResult<Active> {
    install_panic_hook();
    let started = js_sys::Date::now();

    // Backend first: it is quick, and a refused "webgpu" should fail before a long download.
    let (gpu, reason): (Option<Rc<Gpu>>, Option<String>) = match choice {
        Choice::Cpu => (None, None),
        Choice::WebGpu => (Some(gpu::webgpu().await.map_err(|e| WebError::new(Code::Backend, e))?), None),
        Choice::Auto => match gpu::webgpu().await {
            Ok(gpu) => (Some(gpu), None),
            Err(e) => (None, Some(e)),
        },
    };

    let backend_ready = js_sys::Date::now();
    let mut files: Vec<crate::WeightBytes> = Vec::with_capacity(3);
    let (mut downloaded, mut from_cache) = (0.0, 0.0);
    for file in FILES {
        let url = settings.source.url(file);
        let on_progress = |loaded: u64, total: Option<u64>, from_cache: bool| {
            let event = Progress { file, loaded: loaded as f64, total: total.map(|t| t as f64), from_cache };
            emit(&settings.on_progress, &event);
        };
        let fetched = fetch_file(&url, settings.cache, &on_progress).await?;
        if fetched.from_cache {
            from_cache += fetched.bytes.len() as f64;
        } else {
            downloaded += fetched.bytes.len() as f64;
        }
        files.push(fetched.bytes);
    }
    let fetched_at = js_sys::Date::now();
    let weights = files.pop().unwrap_or_default();
    let (config_json, tokenizer_json) = (files[0].as_bytes(), files[1].as_bytes());
    let config = crate::ModelConfig::from_json(config_json)?;

    let device = match &gpu {
        Some(g) => g.device.clone(),
        None => crate::cpu_device(),
    };
    let table_bytes = config.word_embedding_bytes();
    let host_word_embeddings = match (settings.word_embeddings, &gpu) {
        (WordEmbeddings::Host, _) => true,
        (WordEmbeddings::Device, _) | (WordEmbeddings::Auto, None) => false,
        (WordEmbeddings::Auto, Some(g)) => table_bytes > g.max_binding_bytes(),
    };
    if let (Some(g), false) = (&gpu, host_word_embeddings)
        && table_bytes > g.max_binding_bytes()
    {
        return Err(WebError::new(
            Code::Backend,
            format!(
                "the word-embedding table ({table_bytes} bytes) exceeds this GPU's largest binding ({} bytes); use wordEmbeddings: \"auto\" or \"host\"",
                g.max_binding_bytes()
            ),
        ));
    }
    let options = RerankerOptions {
        max_length: settings.max_length,
        batch_size: settings.batch_size.unwrap_or(if gpu.is_some() { GPU_BATCH } else { CPU_BATCH }),
        device: Some(device),
        host_word_embeddings,
        max_activation_bytes: gpu.as_ref().map(|g| RerankerOptions::gpu_activation_bytes(g.max_binding_bytes())),
    };
    // `weights` moves in and is freed once the tensors are built: one extra copy at most.
    let core = Core::from_bytes(config_json, tokenizer_json, weights, options)?;
    drop(files);

    let backend = if gpu.is_some() { BackendKind::WebGpu } else { BackendKind::Cpu };
    *info = Info {
        backend: backend.name(),
        backend_reason: reason,
        adapter: gpu.as_ref().map(|g| g.adapter.clone()),
        model: settings.source.model.clone(),
        revision: settings.source.revision.clone(),
        hub_url: settings.source.hub_url.clone(),
        max_length: core.max_length(),
        batch_size: core.batch_size(),
        host_word_embeddings,
        load_ms: js_sys::Date::now() - started,
        backend_ms: backend_ready - started,
        fetch_ms: fetched_at - backend_ready,
        build_ms: js_sys::Date::now() - fetched_at,
        bytes_downloaded: downloaded,
        bytes_from_cache: from_cache,
        wasm_memory_bytes: wasm_memory_bytes(),
    };
    Ok(Active { core, backend, gpu })
}

fn aborted(signal: &Option<web_sys::AbortSignal>) -> WebResult<()> {
    match signal {
        Some(s) if s.aborted() => Err(WebError::new(Code::Aborted, "aborted")),
        _ => Ok(()),
    }
}

/// Scores on one backend, batch by batch. With a signal, yields to the event loop between
/// batches so that an abort (e.g. a worker message) can arrive.
async fn score_on(
    active: &Active,
    pairs: &[(String, String)],
    signal: &Option<web_sys::AbortSignal>,
) -> WebResult<Vec<Score>> {
    aborted(signal)?;
    let plan = active.core.plan(pairs)?;
    let mut logits = Vec::with_capacity(plan.num_batches());
    let threads = crate::parallel::threads();
    if active.gpu.is_none() && threads > 1 {
        // Threaded CPU build in a Worker: whole batches side by side, `threads` at a time.
        for first in (0..plan.num_batches()).step_by(threads) {
            let last = (first + threads).min(plan.num_batches());
            logits.extend(active.core.run_batches(&plan, first..last)?);
            if signal.is_some() {
                yield_now().await;
                aborted(signal)?;
            }
        }
        return Ok(plan.into_scores(logits)?);
    }
    for b in 0..plan.num_batches() {
        let tensor = active.core.forward_batch(&plan, b);
        logits.push(crate::reranker::read_logits(tensor.into_data_async().await)?);
        // A GPU that reported an error since may have produced garbage without failing the read.
        if let Some(error) = active.gpu.as_ref().and_then(|g| g.error()) {
            return Err(WebError::new(Code::Backend, format!("the GPU reported an error: {error}")));
        }
        if signal.is_some() {
            yield_now().await;
            aborted(signal)?;
        }
    }
    Ok(plan.into_scores(logits)?)
}

impl Inner {
    fn active(&self) -> WebResult<Rc<Active>> {
        self.active
            .borrow()
            .clone()
            .ok_or_else(|| WebError::new(Code::Disposed, "this reranker was disposed; load another"))
    }

    /// Scores, moving to the CPU (once, for good) if the GPU fails.
    async fn score(
        self: &Rc<Self>,
        pairs: &[(String, String)],
        signal: &Option<web_sys::AbortSignal>,
    ) -> WebResult<Vec<Score>> {
        let active = self.active()?;
        match score_on(&active, pairs, signal).await {
            Err(e) if e.code == Code::Backend && active.backend == BackendKind::WebGpu => {
                gpu::forget_lost_device();
                let reason = format!("WebGPU failed ({}); moved to the CPU", e.message);
                web_sys::console::warn_1(&format!("ja-rerank: {reason}").into());
                let cpu = self.reload_on_cpu(&reason).await?;
                score_on(&cpu, pairs, signal).await
            }
            other => other,
        }
    }

    async fn reload_on_cpu(self: &Rc<Self>, reason: &str) -> WebResult<Rc<Active>> {
        let mut info = self.info.borrow().clone();
        let adapter = info.adapter.take();
        let active = Rc::new(load_active(&self.settings, Choice::Cpu, &mut info).await?);
        info.backend_reason = Some(reason.to_string());
        info.adapter = adapter;
        if self.active.borrow().is_none() {
            return Err(WebError::new(Code::Disposed, "this reranker was disposed; load another"));
        }
        *self.active.borrow_mut() = Some(active.clone());
        *self.info.borrow_mut() = info;
        emit(&self.settings.on_backend_change, &BackendChange { from: "webgpu", to: "cpu", reason });
        Ok(active)
    }
}

fn string_arg(value: &JsValue, name: &str) -> WebResult<String> {
    value.as_string().ok_or_else(|| WebError::invalid(format!("{name} must be a string, got {}", type_name(value))))
}

fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if Array::is_array(value) {
        "an array".into()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

fn query_arg(value: &JsValue) -> WebResult<String> {
    let query = string_arg(value, "query")?;
    if query.trim().is_empty() {
        return Err(WebError::invalid("query must not be empty"));
    }
    Ok(query)
}

fn documents_arg(value: &JsValue) -> WebResult<Vec<String>> {
    if !Array::is_array(value) {
        return Err(WebError::invalid(format!("documents must be an array of strings, got {}", type_name(value))));
    }
    let array: &Array = value.unchecked_ref();
    (0..array.length()).map(|i| string_arg(&array.get(i), &format!("documents[{i}]"))).collect()
}

fn pairs_arg(value: &JsValue) -> WebResult<Vec<(String, String)>> {
    if !Array::is_array(value) {
        return Err(WebError::invalid(format!("pairs must be an array of [query, passage], got {}", type_name(value))));
    }
    let array: &Array = value.unchecked_ref();
    (0..array.length())
        .map(|i| {
            let pair = array.get(i);
            let ok = Array::is_array(&pair) && pair.unchecked_ref::<Array>().length() == 2;
            if !ok {
                return Err(WebError::invalid(format!("pairs[{i}] must be [query, passage]")));
            }
            let pair: Array = pair.unchecked_into();
            let query = query_arg(&pair.get(0)).map_err(|e| WebError::invalid(format!("pairs[{i}]: {}", e.message)))?;
            Ok((query, string_arg(&pair.get(1), &format!("pairs[{i}][1]"))?))
        })
        .collect()
}

fn top_k_arg(value: &JsValue) -> WebResult<Option<usize>> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(k) if k.is_finite() && k.fract() == 0.0 && k >= 1.0 => Ok(Some(k.min(u32::MAX as f64) as usize)),
        Some(k) => Err(WebError::invalid(format!("topK must be a positive whole number, got {k}"))),
        None => Err(WebError::invalid(format!("topK must be a number, got {}", type_name(value)))),
    }
}

fn signal_arg(value: JsValue) -> WebResult<Option<web_sys::AbortSignal>> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.dyn_into().map(Some).map_err(|_| WebError::invalid("signal must be an AbortSignal"))
}

#[derive(Serialize)]
struct RankedOut {
    index: usize,
    score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<String>,
}

async fn rerank_with(inner: Rc<Inner>, query: JsValue, documents: JsValue, options: JsValue) -> WebResult<JsValue> {
    let query = query_arg(&query)?;
    let documents = documents_arg(&documents)?;
    let options: CallOptions = parse(options, "options", &CALL_KEYS)?;
    let top_k = top_k_arg(&options.top_k)?;
    let signal = signal_arg(options.signal)?;
    inner.active()?;
    if documents.is_empty() {
        return Ok(Array::new().into());
    }
    let pairs: Vec<(String, String)> = documents.iter().map(|d| (query.clone(), d.clone())).collect();
    let scores = inner.score(&pairs, &signal).await?;
    let ranked = crate::reranker::rank(scores, top_k)?;
    let with_text = options.return_documents.unwrap_or(false);
    let out: Vec<RankedOut> = ranked
        .into_iter()
        .map(|r| RankedOut { index: r.index, score: r.score, document: with_text.then(|| documents[r.index].clone()) })
        .collect();
    serde_wasm_bindgen::to_value(&out).map_err(|e| WebError::new(Code::Backend, e.to_string()))
}

#[wasm_bindgen]
impl Reranker {
    /// Downloads (or reads from Cache Storage) the model's files and builds it on the chosen
    /// backend.
    pub async fn load(options: Option<LoadOptionsArg>) -> Result<Reranker, JsValue> {
        let settings = Settings::from_js(arg(options))?;
        let mut info = Info::default();
        let active = load_active(&settings, settings.choice, &mut info).await?;
        Ok(Reranker {
            inner: Rc::new(Inner { settings, active: RefCell::new(Some(Rc::new(active))), info: RefCell::new(info) }),
        })
    }

    /// "webgpu" or "cpu": where scoring runs now.
    #[wasm_bindgen(getter, unchecked_return_type = "\"webgpu\" | \"cpu\"")]
    pub fn backend(&self) -> String {
        self.inner.info.borrow().backend.to_string()
    }

    /// Backend, adapter limits, load time, bytes downloaded and from cache, wasm memory.
    #[wasm_bindgen(getter, unchecked_return_type = "RerankerInfo")]
    pub fn info(&self) -> JsValue {
        let mut info = self.inner.info.borrow().clone();
        info.wasm_memory_bytes = wasm_memory_bytes();
        serde_wasm_bindgen::to_value(&info).unwrap_or(JsValue::NULL)
    }

    /// Documents sorted by relevance to `query`, best first; ties keep input order.
    #[wasm_bindgen(unchecked_return_type = "Promise<Ranked[]>")]
    pub fn rerank(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] query: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string[]")] documents: JsValue,
        options: Option<RerankOptionsArg>,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        let options = arg(options);
        wasm_bindgen_futures::future_to_promise(async move {
            rerank_with(inner, query, documents, options).await.map_err(WebError::into_js)
        })
    }

    /// Scores of `[query, passage]` pairs, in input order.
    #[wasm_bindgen(unchecked_return_type = "Promise<number[]>")]
    pub fn score(
        &self,
        #[wasm_bindgen(unchecked_param_type = "[string, string][]")] pairs: JsValue,
        options: Option<ScoreOptionsArg>,
    ) -> js_sys::Promise {
        let options = arg(options);
        let inner = self.inner.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let run = async {
                let pairs = pairs_arg(&pairs)?;
                let options: CallOptions = parse(options, "options", &["signal"])?;
                let signal = signal_arg(options.signal)?;
                inner.active()?;
                let scores = if pairs.is_empty() { Vec::new() } else { inner.score(&pairs, &signal).await? };
                let out: Vec<f64> = scores.iter().map(|s| s.score as f64).collect();
                Ok(serde_wasm_bindgen::to_value(&out).unwrap_or(JsValue::NULL))
            };
            run.await.map_err(WebError::into_js)
        })
    }

    /// Frees the model. Later calls reject with code "DISPOSED"; calls in flight finish.
    pub fn dispose(&self) {
        self.inner.active.borrow_mut().take();
    }

    /// Destroys the WebGPU device as a driver reset would, so tests can check the move to the
    /// CPU. Not for production use.
    #[wasm_bindgen(js_name = simulateDeviceLoss)]
    pub async fn simulate_device_loss() -> Result<(), JsValue> {
        let gpu = gpu::webgpu().await.map_err(|e| WebError::new(Code::Backend, e))?;
        gpu.destroy();
        Ok(())
    }
}

thread_local! {
    /// The module-level `rerank()`'s model: the key of its load options and the reranker.
    static DEFAULT: RefCell<Option<(String, Rc<Inner>)>> = const { RefCell::new(None) };
    /// Its load in flight, so concurrent calls share one download.
    static DEFAULT_LOADING: RefCell<Option<(String, js_sys::Promise)>> = const { RefCell::new(None) };
}

/// Splits `rerank()`'s options into load options (a key for reuse) and call options.
fn split_options(options: &JsValue) -> WebResult<(JsValue, String, JsValue)> {
    if options.is_undefined() || options.is_null() {
        return Ok((JsValue::UNDEFINED, "{}".into(), JsValue::UNDEFINED));
    }
    if !options.is_object() || Array::is_array(options) {
        return Err(WebError::invalid("options must be an object"));
    }
    let load = Object::assign(&Object::new(), options.unchecked_ref());
    let call = Object::new();
    for key in CALL_KEYS {
        let k = JsValue::from_str(key);
        if Reflect::has(&load, &k).unwrap_or(false) {
            let _ = Reflect::set(&call, &k, &Reflect::get(&load, &k).unwrap_or(JsValue::UNDEFINED));
            let _ = Reflect::delete_property(&load, &k);
        }
    }
    // Functions are left out of the key: a new progress callback should not reload the model.
    let key = js_sys::JSON::stringify(&load).ok().and_then(|s| s.as_string()).unwrap_or_default();
    Ok((load.into(), key, call.into()))
}

async fn default_reranker(load_options: JsValue, key: String) -> WebResult<Rc<Inner>> {
    if let Some(inner) = DEFAULT.with(|d| d.borrow().as_ref().filter(|(k, _)| *k == key).map(|(_, i)| i.clone())) {
        return Ok(inner);
    }
    let promise = DEFAULT_LOADING.with(|l| {
        let mut l = l.borrow_mut();
        match l.as_ref() {
            Some((k, p)) if *k == key => p.clone(),
            _ => {
                let k = key.clone();
                let p = wasm_bindgen_futures::future_to_promise(async move {
                    let reranker = Reranker::load(Some(load_options.unchecked_into())).await?;
                    DEFAULT.with(|d| *d.borrow_mut() = Some((k, reranker.inner.clone())));
                    Ok(JsValue::UNDEFINED)
                });
                *l = Some((key.clone(), p.clone()));
                p
            }
        }
    });
    let result = wasm_bindgen_futures::JsFuture::from(promise).await;
    DEFAULT_LOADING.with(|l| {
        if l.borrow().as_ref().is_some_and(|(k, _)| *k == key) {
            *l.borrow_mut() = None;
        }
    });
    if let Err(e) = result {
        let code = match Reflect::get(&e, &"code".into()).ok().and_then(|c| c.as_string()).as_deref() {
            Some("INVALID_INPUT") => Code::InvalidInput,
            Some("NETWORK") => Code::Network,
            Some("BACKEND") => Code::Backend,
            _ => Code::ModelLoad,
        };
        let message = Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_default();
        return Err(WebError::new(code, message));
    }
    DEFAULT
        .with(|d| d.borrow().as_ref().filter(|(k, _)| *k == key).map(|(_, i)| i.clone()))
        .ok_or_else(|| WebError::new(Code::ModelLoad, "the default model was replaced while loading; try again"))
}

/// Reranks with a model loaded on first use and kept for later calls (reloaded only when the
/// load options change). `options` holds both load options and `topK` / `returnDocuments` /
/// `signal`.
#[wasm_bindgen(unchecked_return_type = "Promise<Ranked[]>")]
pub fn rerank(
    #[wasm_bindgen(unchecked_param_type = "string")] query: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[]")] documents: JsValue,
    options: Option<DefaultRerankOptionsArg>,
) -> js_sys::Promise {
    let options = arg(options);
    wasm_bindgen_futures::future_to_promise(async move {
        let run = async {
            // Check the call's own arguments before a possibly long first download.
            query_arg(&query)?;
            documents_arg(&documents)?;
            let (load, key, call) = split_options(&options)?;
            let call_checked: CallOptions = parse(call.clone(), "options", &CALL_KEYS)?;
            let _: LoadOptions = parse(load.clone(), "options", &LOAD_KEYS)?;
            top_k_arg(&call_checked.top_k)?;
            let inner = default_reranker(load, key).await?;
            rerank_with(inner, query, documents, call).await
        };
        run.await.map_err(WebError::into_js)
    })
}
