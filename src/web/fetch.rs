//! HTTP for the Hub files: a whole file or one single range, streamed with progress, through the
//! browser's Cache Storage so a reload or a second visit reads it from disk (and works offline);
//! and a set of ranges at a bounded concurrency. Works in a window, in a worker, and in a runtime
//! with only a global `fetch` (Node: no Cache Storage there); every request is sent by `net.rs`
//! (the caller's `fetch` option, counts, 429s). Where a request is sent and what is kept under
//! which key are the caller's (`hub.rs`): a file is asked of its final URL and kept under its
//! pinned `/resolve/` URL.

use std::ops::Range;

use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, Headers, ReadableStreamDefaultReader, ReadableStreamReadResult, Request, RequestInit, Response, ResponseInit};

use super::error::{Code, WebError, WebResult};
use super::net::{Kind, Net, Unsent, global};
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
    /// What the response said of itself (network replies only).
    pub meta: Meta,
}

/// What a response says of the file it is part of, where the server lets us read it.
#[derive(Clone, Default)]
pub struct Meta {
    /// The URL that answered, after redirects (the CDN's signed URL for the Hub's large files).
    pub url: String,
    /// The whole file's size: Content-Range's, or an unencoded whole body's Content-Length.
    pub size: Option<u64>,
    pub etag: Option<String>,
    /// The Hub's `X-Repo-Commit`: the commit a `/resolve/{branch}/` URL was answered from.
    pub commit: Option<String>,
}

impl Meta {
    fn of(response: &Response, asked: &str, range: bool) -> Self {
        let headers = response.headers();
        let get = |name: &str| headers.get(name).ok().flatten().filter(|v| !v.is_empty());
        let size = match range {
            true => get("content-range").and_then(|v| v.rsplit('/').next()?.trim().parse().ok()),
            false => expected_length(response),
        };
        // A Response made by a `fetch` option (`new Response(...)`) has no URL.
        let url = Some(response.url()).filter(|u| !u.is_empty()).unwrap_or_else(|| asked.to_string());
        Meta { url, size, etag: get("etag"), commit: get("x-repo-commit") }
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
    /// The request could not be made (fetch rejected): why.
    Refused(String),
    /// The server answered with an error status (not 429: `net.rs` handles those).
    Status(u16),
}

/// The Cache Storage key of bytes `range` of `url` (a key, never fetched).
pub fn range_key(url: &str, range: &Range<u64>) -> String {
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
    // Past the browser's HTTP cache: Chromium lets one request per URL at a time through its
    // cache (a writer lock per entry, ranges included), so ranges of one file queued behind each
    // other — measured: 100 parallel ranges of one URL over HTTP/2 with 20 ms of latency took
    // 2.5 s, at most 2 in flight; with "no-store", 0.3 s, all 100. We keep what we need in Cache
    // Storage ourselves.
    init.set_cache(web_sys::RequestCache::NoStore);
    Request::new_with_str_and_init(url, &init).map_err(fail)
}

/// A whole Hub file, or one byte range of it, kept in Cache Storage under `key` (with the range
/// in it): from there when `use_cache` and present, else asked of `url` (then stored, unless the
/// body was short of what was promised).
#[allow(clippy::too_many_arguments)]
pub async fn fetch(
    url: &str,
    key: &str,
    range: Option<&Range<u64>>,
    use_cache: bool,
    on_progress: OnProgress<'_>,
    net: &Net<'_>,
    kind: Kind,
) -> WebResult<Reply> {
    let cache = if use_cache { open_cache().await } else { None };
    let key = range.map_or_else(|| key.to_string(), |r| range_key(key, r));
    let want = range.map(|r| r.end - r.start);
    let complete = |bytes: &WeightBytes| want.is_none_or(|n| bytes.len() as u64 == n);

    if let Some(cache) = &cache
        && let Ok(hit) = JsFuture::from(cache.match_with_str(&key)).await
        && let Ok(response) = hit.dyn_into::<Response>()
    {
        match read_body(&response, true, on_progress).await {
            Ok(bytes) if complete(&bytes) => return Ok(Reply::Bytes(Fetched { bytes, from_cache: true, meta: Meta::default() })),
            outcome => {
                // A damaged entry is dropped and fetched again.
                let why = outcome.err().map_or_else(|| "wrong length".into(), |e| e.message);
                warn(&format!("cached {key} unreadable ({why}); downloading again"));
                let _ = JsFuture::from(cache.delete_with_str(&key)).await;
            }
        }
    }

    let make = || match range {
        None => Request::new_with_str(url).map_err(|e| WebError::new(Code::Network, format!("{url}: {}", WebError::describe(&e)))),
        Some(r) => ranged_request(url, r),
    };
    let response = match net.send(kind, &make).await {
        Ok(response) => response,
        Err(Unsent::Refused(why)) => return Ok(Reply::Refused(why)),
        Err(Unsent::Failed(e)) => return Err(e),
    };
    if !response.ok() {
        return Ok(Reply::Status(response.status()));
    }
    let meta = Meta::of(&response, url, range.is_some() && response.status() == 206);
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
    Ok(Reply::Bytes(Fetched { bytes, from_cache: false, meta }))
}

/// Stores `bytes` under `key`, best-effort (a file read before its key was known).
pub async fn cache_put(key: &str, bytes: &[u8]) {
    let Some(cache) = open_cache().await else { return };
    let mut body = bytes.to_vec();
    if let Ok(response) = Response::new_with_opt_u8_array(Some(&mut body))
        && let Err(e) = JsFuture::from(cache.put_with_str(key, &response)).await
    {
        warn(&format!("not caching {key}: {}", WebError::describe(&e)));
    }
}

/// The text stored under `key`, if any.
pub async fn cache_text(key: &str) -> Option<String> {
    let cache = open_cache().await?;
    let response: Response = JsFuture::from(cache.match_with_str(key)).await.ok()?.dyn_into().ok()?;
    JsFuture::from(response.text().ok()?).await.ok()?.as_string()
}

/// Drops every entry whose key starts with `prefix`; how many.
pub async fn cache_forget(prefix: &str) -> usize {
    let Some(cache) = open_cache().await else { return 0 };
    let Ok(keys) = JsFuture::from(cache.keys()).await else { return 0 };
    let mut dropped = 0;
    for request in keys.unchecked_into::<js_sys::Array>().iter() {
        let key = request.unchecked_into::<Request>().url();
        if key.starts_with(prefix) && JsFuture::from(cache.delete_with_str(&key)).await.is_ok() {
            dropped += 1;
        }
    }
    dropped
}

/// Why [`fetch_ranges`] stopped.
pub enum RangesFailed {
    /// An error status (a signed URL that expired answers 403).
    Status(u16),
    /// A request could not be made.
    Refused(String),
    Error(WebError),
}

/// Bytes `ranges` of `url` by single-range requests, at most `in_flight` at a time, not cached
/// (the caller keeps what it needs); each response passes `check(url, response)` (the caller's:
/// the file is still the one it read), then `on_done(bytes)`. In order of `ranges`.
pub async fn fetch_ranges(
    url: &str,
    ranges: &[Range<u64>],
    in_flight: usize,
    on_done: &dyn Fn(u64),
    net: &Net<'_>,
    kind: Kind,
    check: &dyn Fn(&str, &Response) -> WebResult<()>,
) -> Result<Vec<Vec<u8>>, RangesFailed> {
    let network = |e: String| RangesFailed::Error(WebError::new(Code::Network, format!("{url}: {e}")));
    let mut pending = futures_util::stream::FuturesOrdered::new();
    let mut out = Vec::with_capacity(ranges.len());
    let mut next = 0;
    while out.len() < ranges.len() {
        while next < ranges.len() && pending.len() < in_flight.max(1) {
            let r = ranges[next].clone();
            pending.push_back(async move { net.send(kind, &|| ranged_request(url, &r)).await });
            next += 1;
        }
        let r = &ranges[out.len()];
        let response = match futures_util::StreamExt::next(&mut pending).await.expect("one in flight") {
            Ok(response) => response,
            Err(Unsent::Refused(why)) => return Err(RangesFailed::Refused(why)),
            Err(Unsent::Failed(e)) => return Err(RangesFailed::Error(e)),
        };
        if !response.ok() {
            return Err(RangesFailed::Status(response.status()));
        }
        if response.status() != 206 {
            return Err(network(format!("HTTP {} to a range request (expected 206)", response.status())));
        }
        check(url, &response).map_err(RangesFailed::Error)?;
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

/// The whole-file size and ETag a range response states, for checking it is still the same file.
pub fn identity(response: &Response) -> (Option<u64>, Option<String>) {
    let meta = Meta::of(response, "", true);
    (meta.size, meta.etag)
}
