//! Hub files over HTTP: `{hub_url}/{model}/resolve/{revision}/{file}`, streamed with progress,
//! kept in the browser's Cache Storage so a reload or a second visit reads them from disk (and
//! works offline). Works in a window and in a worker. Files are asked for by name ([`Hub::fetch`]).

use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, CacheStorage, ReadableStreamDefaultReader, ReadableStreamReadResult, Response};

use super::callback::emit;
use super::error::{Code, WebError, WebResult};
use crate::WeightBytes;

/// Cache Storage bucket; bump the suffix if the stored format ever changes.
const CACHE_NAME: &str = "ja-rerank-hub-v1";

/// Progress is reported at most every this many bytes (and at the end), so a 470 MB download
/// makes a few hundred callbacks, not tens of thousands.
const PROGRESS_STEP: u64 = 1 << 20;

/// Where the model's files live.
#[derive(Debug, Clone, PartialEq)]
pub struct HubSource {
    pub hub_url: String,
    pub model: String,
    pub revision: String,
}

impl HubSource {
    pub fn url(&self, file: &str) -> String {
        format!("{}/{}/resolve/{}/{}", self.hub_url.trim_end_matches('/'), self.model, self.revision, file)
    }
}

/// A file's bytes (aligned so weights can be used in place) and where they came from.
struct Fetched {
    pub bytes: WeightBytes,
    pub from_cache: bool,
}

/// The progress event `onProgress` receives.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Progress<'a> {
    file: &'a str,
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
    pub bytes_downloaded: f64,
    pub bytes_from_cache: f64,
}

impl<'a> Hub<'a> {
    pub fn new(source: &'a HubSource, cache: bool, on_progress: Option<&'a Function>) -> Self {
        Self { source, cache, on_progress, bytes_downloaded: 0.0, bytes_from_cache: 0.0 }
    }

    /// The bytes of `file` (Cache Storage first when caching), reporting progress.
    pub async fn fetch(&mut self, file: &str) -> WebResult<WeightBytes> {
        let report = |loaded: u64, total: Option<u64>, from_cache: bool| {
            let event = Progress { file, loaded: loaded as f64, total: total.map(|t| t as f64), from_cache };
            emit(self.on_progress, &event);
        };
        let fetched = fetch_file(&self.source.url(file), self.cache, &report).await?;
        let counter = if fetched.from_cache { &mut self.bytes_from_cache } else { &mut self.bytes_downloaded };
        *counter += fetched.bytes.len() as f64;
        Ok(fetched.bytes)
    }
}

/// What `fetch`, `caches` and `setTimeout` hang off: a window or a worker's global scope.
enum Global {
    Window(web_sys::Window),
    Worker(web_sys::WorkerGlobalScope),
}

fn global() -> WebResult<Global> {
    let g = js_sys::global();
    if let Some(w) = g.dyn_ref::<web_sys::Window>() {
        return Ok(Global::Window(w.clone()));
    }
    if let Some(w) = g.dyn_ref::<web_sys::WorkerGlobalScope>() {
        return Ok(Global::Worker(w.clone()));
    }
    Err(WebError::new(Code::Network, "no window or worker global scope to fetch from"))
}

impl Global {
    fn fetch(&self, url: &str) -> Promise {
        match self {
            Global::Window(w) => w.fetch_with_str(url),
            Global::Worker(w) => w.fetch_with_str(url),
        }
    }

    fn caches(&self) -> Result<CacheStorage, JsValue> {
        match self {
            Global::Window(w) => w.caches(),
            Global::Worker(w) => w.caches(),
        }
    }
}

fn warn(message: &str) {
    web_sys::console::warn_1(&format!("ja-rerank: {message}").into());
}

async fn open_cache(g: &Global) -> Option<Cache> {
    // Cache Storage is missing outside secure contexts and throws in some private modes:
    // caching is an optimisation, so its absence is a warning, never an error.
    let storage = match g.caches() {
        Ok(s) => s,
        Err(e) => {
            warn(&format!("Cache Storage unavailable, downloading without caching ({})", WebError::describe(&e)));
            return None;
        }
    };
    match JsFuture::from(storage.open(CACHE_NAME)).await {
        Ok(cache) => cache.dyn_into::<Cache>().ok(),
        Err(e) => {
            warn(&format!("cannot open Cache Storage ({})", WebError::describe(&e)));
            None
        }
    }
}

/// The body length a response promises, when it promises one we can check: `Content-Length` of
/// an unencoded body (with `Content-Encoding`, it counts compressed bytes, not what we read).
fn expected_length(response: &Response) -> Option<u64> {
    let headers = response.headers();
    let encoding = headers.get("content-encoding").ok().flatten();
    if encoding.is_some_and(|e| !e.eq_ignore_ascii_case("identity")) {
        return None;
    }
    headers.get("content-length").ok().flatten().and_then(|v| v.trim().parse().ok())
}

/// Progress callback: `(loaded, total, from_cache)`.
type OnProgress<'a> = &'a dyn Fn(u64, Option<u64>, bool);

/// Reads a response body into one buffer, sized up front when the length is known, reporting
/// progress.
async fn read_body(response: &Response, from_cache: bool, on_progress: OnProgress<'_>) -> Result<WeightBytes, String> {
    let total = expected_length(response);
    let mut bytes = WeightBytes::with_capacity(total.unwrap_or(0) as usize);
    on_progress(0, total, from_cache);
    let Some(body) = response.body() else {
        return Ok(bytes);
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut reported = 0u64;
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| WebError::describe(&e))?;
        let chunk: ReadableStreamReadResult = chunk.unchecked_into();
        if chunk.get_done().unwrap_or(false) {
            break;
        }
        let data: Uint8Array = chunk.get_value().unchecked_into();
        let n = data.length() as usize;
        if !bytes.try_reserve(n) {
            return Err(format!("cannot allocate {} bytes", bytes.len() + n));
        }
        // One copy, JS → wasm memory, straight into the final buffer.
        data.copy_to(bytes.extend_zeroed(n));
        let loaded = bytes.len() as u64;
        if loaded - reported >= PROGRESS_STEP {
            reported = loaded;
            on_progress(loaded, total, from_cache);
        }
    }
    let loaded = bytes.len() as u64;
    if loaded != reported || loaded == 0 || total.is_none() {
        on_progress(loaded, total.or(Some(loaded)), from_cache);
    }
    if let Some(n) = total
        && n != bytes.len() as u64
    {
        return Err(format!("truncated: received {} of {n} bytes", bytes.len()));
    }
    Ok(bytes)
}

/// One Hub file: from Cache Storage when `use_cache` and present, else from the network (then
/// stored, unless the body was short of its Content-Length).
async fn fetch_file(url: &str, use_cache: bool, on_progress: OnProgress<'_>) -> WebResult<Fetched> {
    let g = global()?;
    let cache = if use_cache { open_cache(&g).await } else { None };

    if let Some(cache) = &cache
        && let Ok(hit) = JsFuture::from(cache.match_with_str(url)).await
        && let Ok(response) = hit.dyn_into::<Response>()
    {
        match read_body(&response, true, on_progress).await {
            Ok(bytes) => return Ok(Fetched { bytes, from_cache: true }),
            Err(e) => {
                // A damaged entry is dropped and fetched again.
                warn(&format!("cached {url} unreadable ({e}); downloading again"));
                let _ = JsFuture::from(cache.delete_with_str(url)).await;
            }
        }
    }

    let response = JsFuture::from(g.fetch(url))
        .await
        .map_err(|e| WebError::new(Code::Network, format!("{url}: {}", WebError::describe(&e))))?;
    let response: Response = response.unchecked_into();
    if !response.ok() {
        let status = response.status();
        // 4xx: this model/revision/file is not there (or not ours to read); 5xx: try again later.
        let code = if (400..500).contains(&status) { Code::ModelLoad } else { Code::Network };
        return Err(WebError::new(code, format!("{url}: HTTP {status}")));
    }
    // The cache gets a tee of the stream: the browser writes it to disk while we read, without
    // a second copy of the body in wasm memory.
    let put = cache.as_ref().and_then(|cache| match response.clone() {
        Ok(copy) => Some(JsFuture::from(cache.put_with_str(url, &copy))),
        Err(e) => {
            warn(&format!("not caching {url}: {}", WebError::describe(&e)));
            None
        }
    });
    let body = read_body(&response, false, on_progress).await;
    if let (Some(put), Some(cache)) = (put, &cache) {
        // A body that errored mid-stream makes the put fail (nothing stored); one that ended
        // short of its Content-Length without an error may have been stored, so drop it.
        let stored = put.await;
        if body.is_err() {
            let _ = JsFuture::from(cache.delete_with_str(url)).await;
        } else if let Err(e) = stored {
            // Quota, private mode: caching is best-effort; only a later visit pays.
            warn(&format!("not caching {url}: {}", WebError::describe(&e)));
        }
    }
    let bytes = body.map_err(|e| WebError::new(Code::Network, format!("{url}: {e}")))?;
    Ok(Fetched { bytes, from_cache: false })
}
