//! HTTP for the Hub files: a whole file or one single range, streamed with progress, through the
//! browser's Cache Storage so a reload or a second visit reads it from disk (and works offline);
//! and a set of ranges at a bounded concurrency. Works in a window, in a worker, and in a runtime
//! with only a global `fetch` (Node: no Cache Storage there); every request goes through the
//! caller's `fetch` option when there is one.

use std::ops::Range;

use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Cache, CacheStorage, Headers, ReadableStreamDefaultReader, ReadableStreamReadResult, Request, RequestInit, Response,
    ResponseInit,
};

use super::error::{Code, WebError, WebResult};
use crate::WeightBytes;

/// Cache Storage bucket; bump the suffix if the stored format ever changes.
const CACHE_NAME: &str = "ja-rerank-hub-v1";

/// Progress is reported at most every this many bytes (and at the end), so a 470 MB download
/// makes a few hundred callbacks, not tens of thousands.
const PROGRESS_STEP: u64 = 1 << 20;

/// A file's bytes (aligned so weights can be used in place) and where they came from.
pub struct Fetched {
    pub bytes: WeightBytes,
    pub from_cache: bool,
}

/// What `fetch` and `caches` hang off: a window, a worker's global scope, or another runtime's
/// global object (Node's, which has `fetch` but no Cache Storage).
enum Global {
    Window(web_sys::Window),
    Worker(web_sys::WorkerGlobalScope),
    Other(js_sys::Object),
}

fn global() -> Global {
    let g = js_sys::global();
    if let Some(w) = g.dyn_ref::<web_sys::Window>() {
        return Global::Window(w.clone());
    }
    if let Some(w) = g.dyn_ref::<web_sys::WorkerGlobalScope>() {
        return Global::Worker(w.clone());
    }
    Global::Other(g)
}

impl Global {
    /// `fetch(request)` through the caller's function when given, else the global one.
    fn send(&self, request: &Request, custom: Option<&Function>) -> WebResult<Promise> {
        let call = |f: &Function, this: &JsValue| {
            let fail = |e: JsValue| WebError::new(Code::Network, format!("fetch: {}", WebError::describe(&e)));
            f.call1(this, request).map(|reply| Promise::resolve(&reply)).map_err(fail)
        };
        match (custom, self) {
            (Some(f), _) => call(f, &JsValue::UNDEFINED),
            (None, Global::Window(w)) => Ok(w.fetch_with_request(request)),
            (None, Global::Worker(w)) => Ok(w.fetch_with_request(request)),
            (None, Global::Other(g)) => match js_sys::Reflect::get(g, &"fetch".into()).ok().and_then(|f| f.dyn_into::<Function>().ok()) {
                Some(f) => call(&f, g),
                None => Err(WebError::new(Code::Network, "this runtime has no fetch (give the fetch option)")),
            },
        }
    }

    /// Cache Storage; `None` where the runtime has none at all (Node), which is no reason to warn.
    fn caches(&self) -> Option<Result<CacheStorage, JsValue>> {
        match self {
            Global::Window(w) => Some(w.caches()),
            Global::Worker(w) => Some(w.caches()),
            Global::Other(_) => None,
        }
    }
}

fn warn(message: &str) {
    web_sys::console::warn_1(&format!("ja-rerank: {message}").into());
}

pub async fn open_cache() -> Option<Cache> {
    // Cache Storage is missing outside secure contexts and throws in some private modes:
    // caching is an optimisation, so its absence is a warning, never an error.
    let storage = match global().caches()? {
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
pub type OnProgress<'a> = &'a dyn Fn(u64, Option<u64>, bool);

/// Reads a response body into one buffer, sized up front when the length is known, reporting
/// progress. A buffer the wasm memory cannot grow to hold is `OUT_OF_MEMORY` (an allocation that
/// fails in wasm would abort the instance); anything else a `NETWORK` error.
pub async fn read_body(response: &Response, from_cache: bool, on_progress: OnProgress<'_>) -> WebResult<WeightBytes> {
    let total = expected_length(response);
    let mut bytes = WeightBytes::default();
    if !bytes.try_reserve(total.unwrap_or(0) as usize) {
        return Err(out_of_memory(total.unwrap_or(0) as usize));
    }
    on_progress(0, total, from_cache);
    let Some(body) = response.body() else {
        return Ok(bytes);
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut reported = 0u64;
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| WebError::new(Code::Network, WebError::describe(&e)))?;
        let chunk: ReadableStreamReadResult = chunk.unchecked_into();
        if chunk.get_done().unwrap_or(false) {
            break;
        }
        let data: Uint8Array = chunk.get_value().unchecked_into();
        let n = data.length() as usize;
        if !bytes.try_reserve(n) {
            return Err(out_of_memory(bytes.len() + n));
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
        return Err(WebError::new(Code::Network, format!("truncated: received {} of {n} bytes", bytes.len())));
    }
    Ok(bytes)
}

fn out_of_memory(bytes: usize) -> WebError {
    let mib = bytes.div_ceil(1 << 20);
    WebError::from(crate::Error::Memory(if bytes > isize::MAX as usize {
        // Rust's allocations are at most isize::MAX bytes: 2 GiB on wasm32.
        format!(
            "{mib} MiB in one buffer: wasm32 holds at most 2 GiB in one; read the word embeddings on demand \
             (rows \"lazy\", the default where the server answers ranges) or serve a compact int8 / f16 file"
        )
    } else {
        format!("the browser would not grow this page's wasm memory to hold another {mib} MiB (wasm32 addresses 4 GiB at most)")
    }))
}

/// What one request brought.
pub enum Reply {
    Bytes(Fetched),
    /// A range was asked for and the server sent the whole file (200): the response, unread.
    WholeInstead(Response),
    /// A range was asked for and the request could not be made (fetch rejected).
    Refused(String),
}

/// The Cache Storage key of bytes `range` of `url` (a key, never fetched).
fn range_key(url: &str, range: &Range<u64>) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}ja-rerank-bytes={}-{}", range.start, range.end - 1)
}

fn ranged_request(url: &str, range: &Range<u64>) -> WebResult<Request> {
    let fail = |e: JsValue| WebError::new(Code::Network, format!("{url}: {}", WebError::describe(&e)));
    let headers = Headers::new().map_err(fail)?;
    // A single simple range needs no CORS preflight (Chrome 99+, Firefox 117+, Safari 16+).
    headers.set("Range", &format!("bytes={}-{}", range.start, range.end - 1)).map_err(fail)?;
    let init = RequestInit::new();
    init.set_headers(&headers);
    Request::new_with_str_and_init(url, &init).map_err(fail)
}

/// A whole Hub file, or one byte range of it: from Cache Storage when `use_cache` and present,
/// else from the network (then stored, unless the body was short of what was promised).
pub async fn fetch(
    url: &str,
    range: Option<&Range<u64>>,
    use_cache: bool,
    on_progress: OnProgress<'_>,
    custom: Option<&Function>,
) -> WebResult<Reply> {
    let g = global();
    let cache = if use_cache { open_cache().await } else { None };
    let key = range.map_or_else(|| url.to_string(), |r| range_key(url, r));
    let want = range.map(|r| r.end - r.start);
    let complete = |bytes: &WeightBytes| want.is_none_or(|n| bytes.len() as u64 == n);

    if let Some(cache) = &cache
        && let Ok(hit) = JsFuture::from(cache.match_with_str(&key)).await
        && let Ok(response) = hit.dyn_into::<Response>()
    {
        match read_body(&response, true, on_progress).await {
            Ok(bytes) if complete(&bytes) => return Ok(Reply::Bytes(Fetched { bytes, from_cache: true })),
            outcome => {
                // A damaged entry is dropped and fetched again.
                let why = outcome.err().map_or_else(|| "wrong length".into(), |e| e.message);
                warn(&format!("cached {key} unreadable ({why}); downloading again"));
                let _ = JsFuture::from(cache.delete_with_str(&key)).await;
            }
        }
    }

    let request = match range {
        None => Request::new_with_str(url).map_err(|e| WebError::new(Code::Network, format!("{url}: {}", WebError::describe(&e))))?,
        Some(r) => ranged_request(url, r)?,
    };
    let request = g.send(&request, custom)?;
    let response = match JsFuture::from(request).await {
        Ok(response) => response,
        Err(e) if range.is_some() => return Ok(Reply::Refused(WebError::describe(&e))),
        Err(e) => return Err(WebError::new(Code::Network, format!("{url}: {}", WebError::describe(&e)))),
    };
    let response: Response = response.unchecked_into();
    if !response.ok() {
        let status = response.status();
        // 4xx: this model/revision/file is not there (or not ours to read); 5xx: try again later.
        let code = if (400..500).contains(&status) { Code::ModelLoad } else { Code::Network };
        return Err(WebError::new(code, format!("{url}: HTTP {status}")));
    }
    if let Some(r) = range {
        if response.status() != 206 {
            return Ok(Reply::WholeInstead(response));
        }
        // Content-Range, when the server lets us read it, must be the range asked for.
        let expected = format!("bytes {}-{}/", r.start, r.end - 1);
        if let Ok(Some(got)) = response.headers().get("content-range")
            && !got.starts_with(&expected)
        {
            return Err(WebError::new(Code::Network, format!("{url}: asked for {expected}…, got {got}")));
        }
    }
    // The cache gets a tee of the stream: the browser writes it to disk while we read, without
    // a second copy of the body in wasm memory. Cache Storage refuses partial (206) responses,
    // so a range is stored relabelled 200 under its own key.
    let put = cache.as_ref().and_then(|cache| {
        let stored = response.clone().and_then(|copy| match range {
            None => Ok(copy),
            Some(_) => {
                let init = ResponseInit::new();
                init.set_status(200);
                Response::new_with_opt_readable_stream_and_init(copy.body().as_ref(), &init)
            }
        });
        match stored {
            Ok(stored) => Some(JsFuture::from(cache.put_with_str(&key, &stored))),
            Err(e) => {
                warn(&format!("not caching {key}: {}", WebError::describe(&e)));
                None
            }
        }
    });
    let body = read_body(&response, false, on_progress).await.and_then(|bytes| match want {
        Some(n) if bytes.len() as u64 != n => {
            Err(WebError::new(Code::Network, format!("truncated: received {} of {n} bytes", bytes.len())))
        }
        _ => Ok(bytes),
    });
    if let (Some(put), Some(cache)) = (put, &cache) {
        // A body that errored mid-stream makes the put fail (nothing stored); one that ended
        // short of what was promised without an error may have been stored, so drop it.
        let stored = put.await;
        if body.is_err() {
            let _ = JsFuture::from(cache.delete_with_str(&key)).await;
        } else if let Err(e) = stored {
            // Quota, private mode: caching is best-effort; only a later visit pays.
            warn(&format!("not caching {key}: {}", WebError::describe(&e)));
        }
    }
    let bytes = body.map_err(|e| WebError::new(e.code, format!("{url}: {}", e.message)))?;
    Ok(Reply::Bytes(Fetched { bytes, from_cache: false }))
}

/// Bytes `ranges` of `url` by single-range requests, at most `in_flight` at a time, not cached
/// (the caller keeps what it needs); `on_done(bytes)` after each. In order of `ranges`.
pub async fn fetch_ranges(
    url: &str,
    ranges: &[Range<u64>],
    in_flight: usize,
    on_done: &dyn Fn(u64),
    custom: Option<&Function>,
) -> WebResult<Vec<Vec<u8>>> {
    let g = global();
    let network = |e: String| WebError::new(Code::Network, format!("{url}: {e}"));
    let start = |r: &Range<u64>| -> WebResult<JsFuture> { Ok(JsFuture::from(g.send(&ranged_request(url, r)?, custom)?)) };
    let mut pending = std::collections::VecDeque::new();
    let mut out = Vec::with_capacity(ranges.len());
    let mut next = 0;
    while out.len() < ranges.len() {
        while next < ranges.len() && pending.len() < in_flight.max(1) {
            pending.push_back(start(&ranges[next])?);
            next += 1;
        }
        let r = &ranges[out.len()];
        let response = pending.pop_front().expect("one in flight").await.map_err(|e| network(WebError::describe(&e)))?;
        let response: Response = response.unchecked_into();
        if response.status() != 206 {
            return Err(network(format!("HTTP {} to a range request (expected 206)", response.status())));
        }
        let body = response.array_buffer().map_err(|e| network(WebError::describe(&e)))?;
        let body = JsFuture::from(body).await.map_err(|e| network(WebError::describe(&e)))?;
        let bytes = Uint8Array::new(&body).to_vec();
        if bytes.len() as u64 != r.end - r.start {
            return Err(network(format!("truncated: received {} of {} bytes", bytes.len(), r.end - r.start)));
        }
        on_done(bytes.len() as u64);
        out.push(bytes);
    }
    Ok(out)
}
