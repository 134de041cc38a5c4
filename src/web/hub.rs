//! Hub files by name: `{hub_url}/{model}/resolve/{revision}/{file}`, whole or one byte range at
//! a time ([`Hub::fetch`], [`Hub::fetch_range`]), with progress events and the bytes each way
//! counted. The requests and Cache Storage are `fetch.rs`'s.

use std::cell::Cell;
use std::ops::Range;

use js_sys::Function;
use web_sys::Response;

use super::callback::emit;
use super::error::{Code, WebError, WebResult};
use super::fetch::{Fetched, OnProgress, Reply, fetch, read_body};
use crate::WeightBytes;

/// Where the model's files live.
#[derive(Debug, Clone, PartialEq)]
pub struct HubSource {
    pub hub_url: String,
    pub model: String,
    pub revision: String,
    /// The caller's `fetch` option, which makes every request instead of the global `fetch`.
    pub fetch: Option<Function>,
}

impl HubSource {
    pub fn url(&self, file: &str) -> String {
        format!("{}/{}/resolve/{}/{}", self.hub_url.trim_end_matches('/'), self.model, self.revision, file)
    }
}

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
}
"#;

/// One model's files, fetched by name, with the bytes each way counted.
pub struct Hub<'a> {
    source: &'a HubSource,
    cache: bool,
    on_progress: Option<&'a Function>,
    downloaded: Cell<f64>,
    from_cache: Cell<f64>,
}

impl<'a> Hub<'a> {
    pub fn new(source: &'a HubSource, cache: bool, on_progress: Option<&'a Function>) -> Self {
        Self { source, cache, on_progress, downloaded: Cell::new(0.0), from_cache: Cell::new(0.0) }
    }

    /// Bytes read from the network so far.
    pub fn bytes_downloaded(&self) -> f64 {
        self.downloaded.get()
    }

    /// Bytes read from Cache Storage so far.
    pub fn bytes_from_cache(&self) -> f64 {
        self.from_cache.get()
    }

    /// Whether files are kept in Cache Storage.
    pub fn caches(&self) -> bool {
        self.cache
    }

    /// The bytes of `file` (Cache Storage first when caching), reporting progress.
    pub async fn fetch(&self, file: &str) -> WebResult<WeightBytes> {
        self.fetch_url(file, &self.source.url(file)).await
    }

    /// The bytes at `url`, a file outside the model's repository (the MeCab dictionary), fetched
    /// and cached as [`Self::fetch`] does, its progress reported as `name`.
    pub async fn fetch_url(&self, name: &str, url: &str) -> WebResult<WeightBytes> {
        let report = |loaded: u64, total: Option<u64>, from_cache: bool| {
            self.report(name, None, loaded, total, from_cache);
        };
        match fetch(url, None, self.cache, &report, self.source.fetch.as_ref()).await? {
            Reply::Bytes(fetched) => Ok(self.count(fetched)),
            Reply::WholeInstead(_) | Reply::Refused(_) => {
                Err(WebError::new(Code::Network, "a whole-file request was answered as a range"))
            }
        }
    }

    /// Bytes `range` of `file` by a single-range request (Cache Storage first when caching),
    /// reporting `(loaded, total, from_cache)` of this range. `Ranged::Whole` when the server
    /// ignored the Range header and is sending the whole file.
    pub async fn fetch_range(&self, file: &str, range: Range<u64>, on_progress: OnProgress<'_>) -> WebResult<Ranged> {
        match fetch(&self.source.url(file), Some(&range), self.cache, on_progress, self.source.fetch.as_ref()).await? {
            Reply::Bytes(fetched) => Ok(Ranged::Part(self.count(fetched))),
            Reply::WholeInstead(response) => Ok(Ranged::Whole(response)),
            Reply::Refused(why) => Ok(Ranged::Refused(why)),
        }
    }

    /// The whole-file response a server sent for a range request, read as [`Self::fetch`]
    /// would have read it (not cached: a later visit asks for ranges again).
    pub async fn read_whole(&self, file: &str, response: Response, on_progress: OnProgress<'_>) -> WebResult<WeightBytes> {
        let url = self.source.url(file);
        let bytes = read_body(&response, false, on_progress).await.map_err(|e| WebError::new(e.code, format!("{url}: {}", e.message)))?;
        Ok(self.count(Fetched { bytes, from_cache: false }))
    }

    /// Emits a progress event for `file` (and `part` of it).
    pub fn report(&self, file: &str, part: Option<&str>, loaded: u64, total: Option<u64>, from_cache: bool) {
        let event = Progress { file, part, loaded: loaded as f64, total: total.map(|t| t as f64), from_cache };
        emit(self.on_progress, &event);
    }

    pub fn url(&self, file: &str) -> String {
        self.source.url(file)
    }

    /// The caller's `fetch`, if any (for requests made outside this type).
    pub fn custom_fetch(&self) -> Option<&Function> {
        self.source.fetch.as_ref()
    }

    fn count(&self, fetched: Fetched) -> WeightBytes {
        let counter = if fetched.from_cache { &self.from_cache } else { &self.downloaded };
        counter.set(counter.get() + fetched.bytes.len() as f64);
        fetched.bytes
    }
}

/// What a range request got.
pub enum Ranged {
    Part(WeightBytes),
    /// The server ignored `Range` and is sending the whole file (200): the response, unread.
    Whole(Response),
    /// The request could not be made at all (a CORS refusal, or no network): why.
    Refused(String),
}
