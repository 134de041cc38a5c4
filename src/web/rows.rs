//! Word-embedding rows on demand in the browser: `model.safetensors` read by HTTP Range (the
//! header, then every tensor but the word embeddings), the rows each call lacks fetched before
//! it scores, and kept in Cache Storage as row packs (one entry per call that fetched rows, under
//! the file's URL) so a reload or a second visit reuses them, offline too. A server that ignores
//! Range, or a range request the browser cannot make (CORS), falls back to the whole file.

use std::cell::Cell;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Request, Response};

use super::error::{Code, WebError, WebResult};
use super::fetch::open_cache;
use super::hub::{Hub, Ranged};
use crate::load::{Header, WEIGHTS_FILE, WeightBytes, Weights};
use crate::{ModelConfig, Reranker, RerankerOptions, ScorePlan};

/// Row requests in flight at once: enough to hide round trips on HTTP/2, where the Hub's CDN
/// multiplexes them; HTTP/1.1 servers get 6 connections from the browser and queue the rest.
const IN_FLIGHT: usize = 16;

/// The first step of reading the weights in parts: the file's header, checked against `config`
/// before anything else is downloaded (a `config.json` that claims what the file does not hold
/// costs two small ranges); or the whole file where ranges do not work (said in the reason).
pub enum Begun {
    Header(Header),
    Whole(WeightBytes, String),
}

pub async fn begin_parts(hub: &Hub, config: &ModelConfig) -> WebResult<Begun> {
    let header_progress = |loaded: u64, total: Option<u64>, cached: bool| {
        hub_report(hub, "header", loaded, total, cached);
    };
    let prefix = match hub.fetch_range(WEIGHTS_FILE, 0..Header::PREFIX_BYTES, &header_progress).await? {
        Ranged::Part(bytes) => bytes,
        Ranged::Whole(response) => {
            let whole = read_whole(hub, response).await?;
            return Ok(Begun::Whole(whole, "the server ignores Range (it answered 200 with the whole file)".into()));
        }
        Ranged::Refused(why) => {
            // CORS refusing the Range header, or no network: the plain request tells which.
            let whole = hub.fetch(WEIGHTS_FILE).await?;
            return Ok(Begun::Whole(whole, format!("a range request could not be made ({why})")));
        }
    };
    let size = Header::size_from_prefix(prefix.as_bytes())?;
    let header = Header::parse(part(hub.fetch_range(WEIGHTS_FILE, 0..size, &header_progress).await?)?.as_bytes())?;
    config.check_header(&header)?;
    Ok(Begun::Header(header))
}

/// Reads every tensor but the word embeddings, after [`begin_parts`]; the rows come later.
pub async fn load_parts(
    hub: &Hub,
    header: Header,
    config: &ModelConfig,
    options: &RerankerOptions,
) -> WebResult<Weights> {
    let ranges = config.eager_ranges(&header);
    let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    // Refused before the download, not after it.
    options.memory_plan(total, &config.dims()).ensure()?;
    let done = Cell::new(0u64);
    let mut parts = Vec::with_capacity(ranges.len());
    for range in ranges {
        let progress = |loaded: u64, _: Option<u64>, cached: bool| {
            hub_report(hub, "tensors", done.get() + loaded, Some(total), cached);
        };
        let bytes = part(hub.fetch_range(WEIGHTS_FILE, range.clone(), &progress).await?)?;
        done.set(done.get() + bytes.len() as u64);
        parts.push((range.start, bytes));
    }
    Ok(Weights::Parts { header, parts })
}

fn hub_report(hub: &Hub, part: &str, loaded: u64, total: Option<u64>, from_cache: bool) {
    hub.report(WEIGHTS_FILE, Some(part), loaded, total, from_cache);
}

/// A range the server answered as asked, else an error: it answered an earlier one.
fn part(ranged: Ranged) -> WebResult<WeightBytes> {
    match ranged {
        Ranged::Part(bytes) => Ok(bytes),
        Ranged::Whole(_) => Err(WebError::new(Code::Network, "the server stopped answering ranges")),
        Ranged::Refused(why) => Err(WebError::new(Code::Network, format!("{WEIGHTS_FILE}: {why}"))),
    }
}

async fn read_whole(hub: &Hub, response: Response) -> WebResult<WeightBytes> {
    let progress = |loaded: u64, total: Option<u64>, cached: bool| hub.report(WEIGHTS_FILE, None, loaded, total, cached);
    hub.read_whole(WEIGHTS_FILE, response, &progress).await
}

/// Counters for `reranker.info`.
#[derive(Clone, Copy, Default)]
pub struct RowStats {
    /// Bytes and requests of row fetches over the network.
    pub row_bytes_fetched: f64,
    pub row_requests: f64,
}

/// The Cache Storage key prefix of `url`'s row packs.
fn pack_prefix(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}ja-rerank-rows=")
}

const PACK_MAGIC: &[u8; 4] = b"JRR1";

/// A row pack: `JRR1`, the number of spans, each span's first row and count (u32 LE), then the
/// rows' bytes as the file holds them.
fn pack(spans: &[(u32, u32)], rows: &[Vec<u8>]) -> Vec<u8> {
    let mut out = PACK_MAGIC.to_vec();
    out.extend((spans.len() as u32).to_le_bytes());
    for &(first, count) in spans {
        out.extend(first.to_le_bytes());
        out.extend(count.to_le_bytes());
    }
    rows.iter().for_each(|r| out.extend_from_slice(r));
    out
}

/// Adds a pack's rows to `core`; the number of rows it held, or why it is unreadable.
fn unpack(core: &Reranker, bytes: &[u8]) -> Result<usize, String> {
    let word = |i: usize| bytes.get(i..i + 4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
    if bytes.get(..4) != Some(PACK_MAGIC) {
        return Err("not a row pack".into());
    }
    let n = word(4).ok_or("short")? as usize;
    let table = core.row_table().ok_or("the table is whole")?;
    let mut at = 8 + 8 * n;
    let mut rows = 0;
    for i in 0..n {
        let (first, count) = (word(8 + 8 * i).ok_or("short")?, word(12 + 8 * i).ok_or("short")?);
        let len = count as usize * table.row_bytes() as usize;
        let span = bytes.get(at..at + len).ok_or("short")?;
        core.insert_rows(first, span).map_err(|e| e.to_string())?;
        (at, rows) = (at + len, rows + count as usize);
    }
    if at != bytes.len() { Err("trailing bytes".into()) } else { Ok(rows) }
}

/// Adds every row pack of `url` in Cache Storage to `core`; the rows they held. Unreadable packs
/// are dropped.
pub async fn restore(core: &Reranker, url: &str) -> u64 {
    let Some(cache) = open_cache().await else { return 0 };
    let Ok(keys) = JsFuture::from(cache.keys()).await else { return 0 };
    let prefix = pack_prefix(url);
    let mut rows = 0;
    for request in keys.unchecked_into::<Array>().iter() {
        let key = request.unchecked_into::<Request>().url();
        if !key.starts_with(&prefix) {
            continue;
        }
        let read = async {
            let response: Response = JsFuture::from(cache.match_with_str(&key)).await.ok()?.dyn_into().ok()?;
            let body = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
            Some(Uint8Array::new(&body).to_vec())
        };
        match read.await.map(|bytes| unpack(core, &bytes)) {
            Some(Ok(n)) => rows += n as u64,
            outcome => {
                let why = outcome.and_then(|r| r.err()).unwrap_or_else(|| "unreadable".into());
                web_sys::console::warn_1(&format!("ja-rerank: dropping the cached row pack {key}: {why}").into());
                let _ = JsFuture::from(cache.delete_with_str(&key)).await;
            }
        }
    }
    rows
}

/// Fetches the rows `plan` lacks, adds them to `core` and keeps them as a row pack; `stats` and
/// `hub`'s progress events say what it cost. Nothing to do for a whole table or a text whose
/// rows are all held.
pub async fn fetch_missing(
    core: &Reranker,
    plan: &ScorePlan,
    hub: &Hub,
    stats: &Cell<RowStats>,
    signal: Option<&AbortSignal>,
) -> WebResult<()> {
    let missing = core.missing_rows(plan);
    if missing.is_empty() {
        return Ok(());
    }
    let requests = core.row_requests(&missing);
    let ranges: Vec<_> = requests.iter().map(|r| r.bytes.clone()).collect();
    let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    let url = hub.url(WEIGHTS_FILE);
    let done = Cell::new(0u64);
    hub_report(hub, "rows", 0, Some(total), false);
    let on_done = |n: u64| {
        done.set(done.get() + n);
        hub_report(hub, "rows", done.get(), Some(total), false);
    };
    let fetched = hub.fetch_rows(WEIGHTS_FILE, &ranges, IN_FLIGHT, &on_done, signal).await;
    let mut s = stats.get();
    s.row_requests += requests.len() as f64;
    s.row_bytes_fetched += done.get() as f64;
    stats.set(s);
    let rows = fetched?;
    for (request, bytes) in requests.iter().zip(&rows) {
        core.insert_rows(request.first, bytes)?;
    }
    if hub.caches() && let Some(store) = open_cache().await {
        let spans: Vec<(u32, u32)> = requests.iter().map(|r| (r.first, r.count)).collect();
        let mut body = pack(&spans, &rows);
        let key = format!("{}{}-{}-{}", pack_prefix(&url), spans[0].0, spans.len(), fnv1a(&body));
        // Built from whole, checked responses: a pack is complete or not stored at all.
        if let Ok(response) = Response::new_with_opt_u8_array(Some(&mut body))
            && let Err(e) = JsFuture::from(store.put_with_str(&key, &response)).await
        {
            web_sys::console::warn_1(&format!("ja-rerank: not caching rows: {}", WebError::describe(&e)).into());
        }
    }
    Ok(())
}

/// A short content hash, so that two packs never share a key.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}
