//! What `reranker.info` reports, and its TypeScript declaration.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::build::BuildReport;
use super::gpu::AdapterReport;
use super::net::Requests;
use super::pin::PinnedBy;

#[wasm_bindgen(typescript_custom_section)]
const TS_INFO: &'static str = r#"
export interface RequestCounts { resolver: number; cdn: number; api: number }

export interface BackendChangeEvent { from: "webgpu" | "cpu"; to: "webgpu" | "cpu"; reason: string }

export interface RerankerInfo {
  /** Which build of the package runs it, and why the loader picked that one. */
  build: BuildInfo;
  backend: "webgpu" | "cpu";
  /** Why "auto" chose the CPU, or why the reranker moved to it. */
  backendReason: string | null;
  adapter: AdapterInfo | null;
  model: string;
  /** The model's family, config.json's model_type: "xlm-roberta" | "modernbert" | "bert". */
  modelType: string;
  /** The MeCab dictionary a BERT-ja model's tokenizer read (LoadOptions.dictionary), and its bytes read at this
   * load (network or Cache Storage; 0 when another instance held it already); null for other models. */
  dictionaryUrl: string | null;
  dictionaryBytes: number | null;
  revision: string;
  /** The commit every file is read from (null where the server names none: a mirror, a folder). */
  commit: string | null;
  /** How it was decided: "revision" (a commit was asked for), "header" (the Hub's X-Repo-Commit), "api" (the Hub API),
   * "cache" (the commit an earlier load of this revision read, from Cache Storage), "files" (nothing names a commit:
   * each file is held to the size and ETag first seen, FILE_CHANGED otherwise). */
  commitPinnedBy: "revision" | "header" | "api" | "cache" | "files";
  /** The commit the revision names now, when it has moved on from `commit` (checked at load when the commit came from
   * the cache and the page is online); load with `refresh: true` (or `revision: newerCommit`) to use it. */
  newerCommit: string | null;
  /** Requests to the Hub's resolver (URLs with /resolve/, which the Hub rate-limits per IP), to the URLs it redirects
   * to (its CDN, where rows go) and to its API: at load, in the last call, and since load. */
  requests: { load: RequestCounts; lastCall: RequestCounts; total: RequestCounts };
  /** Final URLs of the files read by range (the CDN's signed URLs on the Hub), for LoadOptions.fileUrls. */
  fileUrls: Record<string, string>;
  hubUrl: string;
  /** Tokens per pair, special tokens included, as the reference stack truncates: LoadOptions.maxLength where given,
   * else the tokenizer's model_max_length (tokenizer_config.json) where it is below the model's positions, else the
   * positions. */
  maxLength: number;
  /** Which of the three set maxLength. */
  maxLengthSetBy: "maxLength" | "tokenizer" | "positions";
  /** LoadOptions.overflow: what a pair longer than maxLength gets. */
  overflow: "truncate" | "chunks";
  batchSize: number;
  /** How the Linear layers compute (LoadOptions.precision). */
  precision: "f32" | "f16" | "int8";
  /** Why precision is not the one asked for ("f16" without f16 arithmetic: computed in f32); null when it is. */
  precisionReason: string | null;
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
  /** "lazy": model.safetensors read by HTTP Range and word-embedding rows fetched as calls need them; "eager": the whole file. */
  rows: "lazy" | "eager";
  /** Why the whole file was read ("rows: eager", a server that ignores Range, ...); null when lazy. */
  rowsReason: string | null;
  /** Word-embedding rows held in memory (lazy only; null when the whole table is). */
  rowsHeld: number | null;
  /** Of them, rows restored from Cache Storage at load (earlier visits). */
  rowsFromCache: number;
  /** Row fetches over the network since load: bytes and single-range requests. */
  rowBytesFetched: number;
  rowRequests: number;
}
"#;

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    pub(super) build: BuildReport,
    pub backend: &'static str,
    pub(super) backend_reason: Option<String>,
    pub(super) adapter: Option<AdapterReport>,
    pub(super) model: String,
    pub(super) model_type: &'static str,
    pub(super) dictionary_url: Option<String>,
    pub(super) dictionary_bytes: Option<f64>,
    pub(super) revision: String,
    pub(super) commit: Option<String>,
    pub(super) commit_pinned_by: PinnedBy,
    pub(super) newer_commit: Option<String>,
    pub(super) requests: RequestReport,
    pub(super) file_urls: std::collections::BTreeMap<String, String>,
    pub(super) hub_url: String,
    pub(super) max_length: usize,
    pub(super) max_length_set_by: &'static str,
    pub(super) overflow: &'static str,
    pub(super) batch_size: usize,
    pub(super) precision: &'static str,
    pub(super) precision_reason: Option<String>,
    pub(super) host_word_embeddings: bool,
    pub(super) load_ms: f64,
    pub(super) backend_ms: f64,
    pub(super) fetch_ms: f64,
    pub(super) build_ms: f64,
    pub(super) bytes_downloaded: f64,
    pub(super) bytes_from_cache: f64,
    pub(super) wasm_memory_bytes: f64,
    pub(super) rows: &'static str,
    pub(super) rows_reason: Option<String>,
    pub(super) rows_held: Option<f64>,
    pub(super) rows_from_cache: f64,
    pub(super) row_bytes_fetched: f64,
    pub(super) row_requests: f64,
}

#[derive(Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestReport {
    pub(super) load: Requests,
    pub(super) last_call: Requests,
    pub(super) total: Requests,
}

/// Size of the wasm linear memory now.
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| m.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64)
        .unwrap_or(0.0)
}
