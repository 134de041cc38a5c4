//! JS options → checked Rust values: the load options (→ [`Settings`], core types where the
//! core has them) and the per-call options (the query / documents / pairs arguments are
//! `args.rs`'s). Each option list is written once, as a serde struct: unknown keys are refused by reading the
//! struct's own field list ([`fields_of`]), and its TypeScript declaration sits beside it.

use js_sys::{Array, Function, Object};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use wasm_bindgen::prelude::*;

use super::args::type_name;
use super::error::{WebError, WebResult};
use super::hub::HubSource;
use crate::{Overflow, Precision, WordEmbeddings};

const DEFAULT_HUB: &str = "https://huggingface.co";
const DEFAULT_MODEL: &str = "hotchpotch/japanese-reranker-cross-encoder-small-v1";
const DEFAULT_REVISION: &str = "main";

#[wasm_bindgen(typescript_custom_section)]
const TS_OPTIONS: &'static str = r#"
/** Where to compute. "auto": WebGPU when an adapter exists and passes a self-check against the CPU, else the CPU. */
export type BackendChoice = "auto" | "webgpu" | "cpu";

export interface LoadOptions {
  /** Hub repository id, "owner/name" (or a bare "name"), as huggingface_hub validates it: letters, digits, "_", "-",
   * "." (no "--", "..", "/"-walking or ".git"); anything else is INVALID_INPUT before any request. Default
   * "hotchpotch/japanese-reranker-cross-encoder-small-v1". */
  model?: string;
  /** Branch, tag or commit; default "main". Every file is read from one commit: the one the revision names at the
   * first load (the Hub's X-Repo-Commit, else its API), then that same commit on later loads from Cache Storage, so a
   * model update never mixes with cached parts (info.commit says which; info.newerCommit when the revision has moved
   * on). Pin a commit for reproducible results. */
  revision?: string;
  /** Resolve `revision` on the network even when Cache Storage holds a commit for it, and use (and keep) the newest;
   * default false (the cached commit, checked for a newer one: info.newerCommit). */
  refresh?: boolean;
  /** Final URLs of files an instance of the same commit already resolved (its info.fileUrls): RerankerWorker passes
   * its first worker's to the others, so N workers make one resolution. */
  fileUrls?: Record<string, string>;
  /** Base URL of a Hub-layout server: `${hubUrl}/${model}/resolve/${revision}/${file}`; default "https://huggingface.co".
   * Absolute http(s): or file: (Node) URL without a query; for a path on the page's own server pass
   * `new URL("/models", location.href).href`. Anything else is INVALID_INPUT before any request. */
  hubUrl?: string;
  backend?: BackendChoice;
  /** Tokens per pair, special tokens included; maximum: the model's positions (512 for the small XLM-Rs, 8,192 for
   * bge-reranker-v2-m3 and the v2 rerankers). Default: as sentence-transformers' CrossEncoder, the tokenizer's
   * model_max_length (tokenizer_config.json) where it is lower, else the positions (info.maxLength says which); a
   * value given here replaces model_max_length, as CrossEncoder(max_length=…) does. Long pairs run in slices that
   * fit the device. */
  maxLength?: number;
  /** A passage whose pair is longer than maxLength: "truncate" (default) cuts it, as CrossEncoder does (the
   * reference's scores); "chunks" scores it as up to maxChunks overlapping windows of its sentences and keeps the
   * best window's score (Ranked.window says which). README, "Long passages". */
  overflow?: "truncate" | "chunks";
  /** With overflow "chunks": windows per passage at most; default 16. */
  maxChunks?: number;
  /** Pairs per forward pass; default 4 on the CPU, 16 on WebGPU. */
  batchSize?: number;
  /** Keep downloaded files in Cache Storage; default true. */
  cache?: boolean;
  /** Word-embedding lookup: "auto" (on the host when the table exceeds the GPU's largest binding), "device" or "host". */
  wordEmbeddings?: "auto" | "device" | "host";
  /** "lazy" (default): read model.safetensors by HTTP Range — every tensor but the word embeddings at load, the
   * word-embedding rows a call needs when it needs them (kept in Cache Storage) — where the server answers ranges,
   * else the whole file (reranker.info.rowsReason says why). "eager": always the whole file. */
  rows?: "lazy" | "eager";
  /** How the Linear layers compute. "f32" (default): exact, PyTorch's scores to ~1e-6 (int8 / f16 files are
   * dequantized as they load). "int8": int8 weights × int8 activations on the CPU — smaller in memory and faster,
   * at a measured cost in ranking quality (README, "Precision"); with backend "auto" it picks the CPU, and
   * backend "webgpu" refuses it. "f16": the Linear weights in f16 on WebGPU and multiplied in f16 (half the GPU
   * memory), where the adapter has shader-f16; elsewhere (the CPU, an adapter without it) the reranker computes
   * in f32 and info.precisionReason says why. */
  precision?: "f32" | "f16" | "int8";
  /** Which build of the package runs the model (BuildInfo): "auto" (default) takes the smallest and fastest this
   * engine and page can run — relaxed SIMD where the engine has it; without WebGPU where the CPU will compute
   * (backend "cpu", precision "int8", no navigator.gpu); the threads build in a Worker on a cross-origin-isolated
   * page when the CPU computes. The first load or init() of a page (or worker) decides its build. */
  build?: "auto" | BuildName;
  /** URL of the MeCab dictionary the BERT-ja models (base-v1, large-v1) need; default: the package's copy,
   * unidic-lite.vibrato.zst (20.9 MB, fetched only for them, kept in Cache Storage like the weights). */
  dictionary?: string;
  /** Makes every request, as the global fetch would (the default): to add headers (a token for a private model),
   * count or log requests, or read files another way. In Node, a `file:` hubUrl gets one that reads the folder. */
  fetch?: (request: Request) => Promise<Response>;
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

/// An optional typed parameter as the plain JS value it is.
pub fn arg(value: Option<impl Into<JsValue>>) -> JsValue {
    value.map(Into::into).unwrap_or(JsValue::UNDEFINED)
}

/// `LoadOptions` as written.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LoadOptions {
    model: Option<String>,
    revision: Option<String>,
    refresh: Option<bool>,
    file_urls: Option<std::collections::BTreeMap<String, String>>,
    hub_url: Option<String>,
    backend: Option<String>,
    max_length: Option<f64>,
    overflow: Option<String>,
    max_chunks: Option<f64>,
    batch_size: Option<f64>,
    cache: Option<bool>,
    word_embeddings: Option<String>,
    rows: Option<String>,
    precision: Option<String>,
    build: Option<String>,
    dictionary: Option<String>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    fetch: JsValue,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    on_progress: JsValue,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    on_backend_change: JsValue,
}

/// `RerankOptions` as written.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RerankOptions {
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    top_k: JsValue,
    return_documents: Option<bool>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    signal: JsValue,
}

/// `ScoreOptions` as written.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ScoreOptions {
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    signal: JsValue,
}

/// How `model.safetensors` is read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// By range, the word-embedding rows on demand, where the server answers ranges.
    Lazy,
    /// Whole.
    Eager,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    Auto,
    WebGpu,
    Cpu,
}

/// Load options, checked.
pub struct Settings {
    pub source: HubSource,
    pub backend: BackendChoice,
    pub max_length: Option<usize>,
    pub overflow: Overflow,
    pub batch_size: Option<usize>,
    pub cache: bool,
    pub word_embeddings: WordEmbeddings,
    pub rows: Rows,
    pub precision: Precision,
    /// The MeCab dictionary's URL (BERT-ja models only; without one they cannot load).
    pub dictionary: Option<String>,
    pub on_progress: Option<Function>,
    pub on_backend_change: Option<Function>,
}

/// Per-call options, checked.
pub struct Call {
    pub top_k: Option<usize>,
    pub return_documents: bool,
    pub signal: Option<web_sys::AbortSignal>,
}

/// The field names serde reads for `T` (after renaming): the one list of a struct's options.
fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Fields<'a>(&'a mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for Fields<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("fields read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Fields(&mut fields));
    fields
}

fn is_absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// Reads an options object, refusing keys it does not know: a typo (`topk`, `hubURL`) would
/// otherwise be silently ignored. (serde-wasm-bindgen only looks up the known fields, so
/// `deny_unknown_fields` cannot catch them.)
fn parse<T: for<'de> Deserialize<'de> + Default>(value: &JsValue) -> WebResult<T> {
    if is_absent(value) {
        return Ok(T::default());
    }
    if !value.is_object() || Array::is_array(value) {
        return Err(WebError::invalid("options must be an object"));
    }
    let known = fields_of::<T>();
    for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            return Err(WebError::invalid(format!("options: unknown option \"{key}\" (known: {})", known.join(", "))));
        }
    }
    serde_wasm_bindgen::from_value(value.clone()).map_err(|e| WebError::invalid(format!("options: {e}")))
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
    if is_absent(&value) {
        return Ok(None);
    }
    value.dyn_into::<Function>().map(Some).map_err(|_| WebError::invalid(format!("{name} must be a function")))
}

fn non_empty(value: Option<String>, name: &str, default: &str) -> WebResult<String> {
    match value {
        None => Ok(default.to_string()),
        Some(s) if s.trim().is_empty() => Err(WebError::invalid(format!("{name} must not be empty"))),
        Some(s) => Ok(s),
    }
}

/// One of `choices` (`(JS name, value)`), or the first when absent.
fn one_of<T: Copy>(value: Option<String>, name: &str, choices: &[(&str, T)]) -> WebResult<T> {
    let Some(value) = value else { return Ok(choices[0].1) };
    choices.iter().find(|(n, _)| *n == value).map(|(_, v)| *v).ok_or_else(|| {
        let names: Vec<String> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        WebError::invalid(format!("{name} must be one of {}, got \"{value}\"", names.join(", ")))
    })
}

impl Settings {
    pub fn from_js(value: &JsValue) -> WebResult<Self> {
        let o: LoadOptions = parse(value)?;
        let builds = ["auto", "simd", "relaxed", "cpu-simd", "cpu-relaxed", "threads"].map(|b| (b, Some(b).filter(|b| *b != "auto")));
        // The loader (js/index.js) chose the module by this option before Rust ran; here a
        // module loaded directly meets a build it is not.
        if let Some(asked) = one_of(o.build, "build", &builds)?.filter(|b| *b != super::build::NAME) {
            return Err(WebError::invalid(format!(
                "build \"{asked}\" was asked for, but this module is the \"{}\" build (load through the package entry, which picks builds)",
                super::build::NAME
            )));
        }
        let backends = [("auto", BackendChoice::Auto), ("webgpu", BackendChoice::WebGpu), ("cpu", BackendChoice::Cpu)];
        let placements =
            [("auto", WordEmbeddings::Auto), ("device", WordEmbeddings::Device), ("host", WordEmbeddings::Host)];
        // Checked before any request: a relative or hostile value is INVALID_INPUT, not a fetch.
        let hub_url = non_empty(o.hub_url, "hubUrl", DEFAULT_HUB)?;
        crate::source::check_hub_url(&hub_url)?;
        let model = non_empty(o.model, "model", DEFAULT_MODEL)?;
        crate::source::check_repo_id(&model)?;
        let revision = non_empty(o.revision, "revision", DEFAULT_REVISION)?;
        crate::source::check_revision(&revision)?;
        Ok(Self {
            source: HubSource {
                hub_url,
                model,
                revision,
                fetch: function(o.fetch, "fetch")?,
                refresh: o.refresh.unwrap_or(false),
                file_urls: o.file_urls.unwrap_or_default(),
            },
            backend: one_of(o.backend, "backend", &backends)?,
            max_length: count(o.max_length, "maxLength", 1 << 20)?,
            overflow: {
                let max_chunks = count(o.max_chunks, "maxChunks", 1024)?;
                one_of(o.overflow, "overflow", &Overflow::NAMES.map(|n| (n, Overflow::from_name(n, max_chunks))))?
                    .unwrap_or_default()
            },
            batch_size: count(o.batch_size, "batchSize", 1024)?,
            cache: o.cache.unwrap_or(true),
            word_embeddings: one_of(o.word_embeddings, "wordEmbeddings", &placements)?,
            rows: one_of(o.rows, "rows", &[("lazy", Rows::Lazy), ("eager", Rows::Eager)])?,
            precision: one_of(o.precision, "precision", &Precision::ALL.map(|p| (p.name(), p)))?,
            dictionary: o.dictionary.map(|d| non_empty(Some(d), "dictionary", "")).transpose()?,
            on_progress: function(o.on_progress, "onProgress")?,
            on_backend_change: function(o.on_backend_change, "onBackendChange")?,
        })
    }
}

impl Call {
    /// `RerankOptions`.
    pub fn rerank(value: &JsValue) -> WebResult<Self> {
        let o: RerankOptions = parse(value)?;
        Ok(Self {
            top_k: top_k(&o.top_k)?,
            return_documents: o.return_documents.unwrap_or(false),
            signal: signal(o.signal)?,
        })
    }

    /// `ScoreOptions`.
    pub fn score(value: &JsValue) -> WebResult<Self> {
        let o: ScoreOptions = parse(value)?;
        Ok(Self { top_k: None, return_documents: false, signal: signal(o.signal)? })
    }
}

/// The module-level `rerank()`'s options, which hold both `LoadOptions` and `RerankOptions`:
/// the checked settings, a key that tells whether they describe the model already loaded (the
/// callbacks left out: a new progress callback should not reload the model), and the call's.
pub fn split_default(options: &JsValue) -> WebResult<(Settings, String, Call)> {
    if !is_absent(options) && (!options.is_object() || Array::is_array(options)) {
        return Err(WebError::invalid("options must be an object"));
    }
    let (load, call) = (Object::new(), Object::new());
    if !is_absent(options) {
        let call_keys = fields_of::<RerankOptions>();
        for entry in Object::entries(options.unchecked_ref::<Object>()).iter() {
            let entry: Array = entry.unchecked_into();
            let key = entry.get(0).as_string().unwrap_or_default();
            let target = if call_keys.contains(&key.as_str()) { &call } else { &load };
            let _ = js_sys::Reflect::set(target, &entry.get(0), &entry.get(1));
        }
    }
    let call = Call::rerank(&call)?;
    let key = js_sys::JSON::stringify(&load).ok().and_then(|s| s.as_string()).unwrap_or_default();
    Ok((Settings::from_js(&load)?, key, call))
}

fn top_k(value: &JsValue) -> WebResult<Option<usize>> {
    if is_absent(value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(k) if k.is_finite() && k.fract() == 0.0 && k >= 1.0 => Ok(Some(k.min(u32::MAX as f64) as usize)),
        Some(k) => Err(WebError::invalid(format!("topK must be a positive whole number, got {k}"))),
        None => Err(WebError::invalid(format!("topK must be a number, got {}", type_name(value)))),
    }
}

fn signal(value: JsValue) -> WebResult<Option<web_sys::AbortSignal>> {
    if is_absent(&value) {
        return Ok(None);
    }
    value.dyn_into().map(Some).map_err(|_| WebError::invalid("signal must be an AbortSignal"))
}
