//! A model's files as the Hub serves them, for the life of one reranker: every file read from one
//! commit (`pin.rs` finds it) at `{hub_url}/{model}/resolve/{commit}/{file}`; a large file's
//! later ranges sent to the final URL its first request was redirected to (the CDN's signed URL),
//! so the Hub's rate-limited resolver sees one request per file, and resolved once more when that
//! URL expires; a file whose size or ETag changes under us is `FILE_CHANGED`. Requests and bytes
//! are counted, progress and rate-limit waits reported. The requests and Cache Storage are
//! `fetch.rs`'s; sending (the caller's `fetch`, 429s) is `net.rs`'s.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ops::Range;

use js_sys::Function;
use web_sys::{AbortSignal, Response};

use super::error::{Code, WebError, WebResult};
use super::fetch::{Fetched, Meta, OnProgress, RangesFailed, Reply, fetch, fetch_ranges, identity, read_body};
use super::net::{Kind, Net, Requests};
use super::pin::Pin;
use super::progress;
use crate::WeightBytes;

/// Where the model's files live.
#[derive(Debug, Clone, PartialEq)]
pub struct HubSource {
    pub hub_url: String,
    pub model: String,
    pub revision: String,
    /// The caller's `fetch` option, which makes every request instead of the global `fetch`.
    pub fetch: Option<Function>,
    /// Resolve `revision` on the network even where Cache Storage holds a commit for it.
    pub refresh: bool,
    /// Final URLs of files another instance resolved (`LoadOptions.fileUrls`).
    pub file_urls: BTreeMap<String, String>,
}

impl HubSource {
    /// `file` at `revision` (a branch, a tag or a commit).
    pub fn url_at(&self, revision: &str, file: &str) -> String {
        format!("{}/{}/resolve/{}/{}", self.hub_url.trim_end_matches('/'), self.model, revision, file)
    }

    /// The Hub API's revision endpoint, which names the commit a branch points to.
    pub fn api_url(&self) -> String {
        format!("{}/api/models/{}/revision/{}", self.hub_url.trim_end_matches('/'), self.model, self.revision)
    }
}

/// What is known of one file: where its bytes are read now, and what identifies its content.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileState {
    /// The URL its last resolution redirected to (the CDN's); `None`: ask the resolver.
    #[serde(skip)]
    pub final_url: Option<String>,
    /// The path (no query) of the URLs it was redirected to: the Hub's CDN URLs are
    /// content-addressed, so another path is other bytes, even where size and ETag are not
    /// readable.
    #[serde(default)]
    pub final_path: Option<String>,
    pub size: Option<u64>,
    pub etag: Option<String>,
}

/// A model's files, fetched by name from one commit, with the bytes and requests counted.
pub struct Hub {
    pub source: HubSource,
    cache: bool,
    on_progress: Option<Function>,
    /// Which commit the files are read from; `None` until `pin.rs` has decided.
    pin: RefCell<Option<Pin>>,
    files: RefCell<BTreeMap<String, FileState>>,
    downloaded: Cell<f64>,
    from_cache: Cell<f64>,
    requests: Cell<Requests>,
}

/// Statuses a CDN answers for a signed URL that expired or that it no longer honours.
fn stale(status: u16) -> bool {
    matches!(status, 400 | 401 | 403 | 404 | 410)
}

fn status_error(url: &str, status: u16) -> WebError {
    // 4xx: this model/revision/file is not there (or not ours to read); 5xx: try again later.
    let code = if (400..500).contains(&status) { Code::ModelLoad } else { Code::Network };
    WebError::new(code, format!("{url}: HTTP {status}"))
}

fn same_etag(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}

impl Hub {
    pub fn new(source: HubSource, cache: bool, on_progress: Option<Function>) -> Self {
        let given = |url: &String| FileState {
            final_url: Some(url.clone()),
            final_path: url.split(['?', '#']).next().map(str::to_string),
            ..Default::default()
        };
        let files = source.file_urls.iter().map(|(f, u)| (f.clone(), given(u))).collect();
        Self {
            source,
            cache,
            on_progress,
            pin: RefCell::new(None),
            files: RefCell::new(files),
            downloaded: Cell::new(0.0),
            from_cache: Cell::new(0.0),
            requests: Cell::new(Requests::default()),
        }
    }

    /// Bytes read from the network so far.
    pub fn bytes_downloaded(&self) -> f64 {
        self.downloaded.get()
    }

    /// Bytes read from Cache Storage so far.
    pub fn bytes_from_cache(&self) -> f64 {
        self.from_cache.get()
    }

    /// Requests made so far, by where they went.
    pub fn requests(&self) -> Requests {
        self.requests.get()
    }

    /// Whether files are kept in Cache Storage.
    pub fn caches(&self) -> bool {
        self.cache
    }

    pub fn pin(&self) -> Option<Pin> {
        self.pin.borrow().clone()
    }

    /// From now on every file is read from `pin`'s commit (at the revision asked for when it has none).
    pub fn set_pin(&self, pin: Pin) {
        *self.pin.borrow_mut() = Some(pin);
    }

    /// `file` at the pinned commit (at the revision asked for while nothing pins one): where it
    /// is resolved, and the key it is kept under in Cache Storage.
    pub fn url(&self, file: &str) -> String {
        let pin = self.pin.borrow();
        self.source.url_at(pin.as_ref().and_then(|p| p.commit.as_deref()).unwrap_or(&self.source.revision), file)
    }

    /// What is known of each file (identity; final URLs).
    pub fn files(&self) -> BTreeMap<String, FileState> {
        self.files.borrow().clone()
    }

    /// Takes what an earlier visit knew of the files (their identity), to compare with.
    pub fn remember(&self, files: BTreeMap<String, FileState>) {
        let mut mine = self.files.borrow_mut();
        for (name, known) in files {
            let state = mine.entry(name).or_default();
            (state.size, state.etag, state.final_path) = (known.size, known.etag, known.final_path);
        }
    }

    /// The final URLs resolved so far (for `info.fileUrls`).
    pub fn final_urls(&self) -> BTreeMap<String, String> {
        self.files.borrow().iter().filter_map(|(f, s)| Some((f.clone(), s.final_url.clone()?))).collect()
    }

    pub(super) fn net<'a>(&'a self, signal: Option<&'a AbortSignal>, on_wait: &'a dyn Fn(f64)) -> Net<'a> {
        Net { custom: self.source.fetch.as_ref(), signal, counts: &self.requests, on_wait }
    }

    /// The bytes of `file` (Cache Storage first when caching), reporting progress.
    pub async fn fetch(&self, file: &str) -> WebResult<WeightBytes> {
        let url = self.url(file);
        Ok(self.fetch_meta(file, &url, &url, self.cache).await?.0)
    }

    /// `file` asked of `url`, with what its response said of itself: through Cache Storage
    /// (under `key`) when caching and `from_cache`, else from the network and not stored.
    pub(super) async fn fetch_meta(
        &self,
        file: &str,
        url: &str,
        key: &str,
        from_cache: bool,
    ) -> WebResult<(WeightBytes, Meta)> {
        let report = |loaded: u64, total: Option<u64>, cached: bool| self.report(file, None, loaded, total, cached);
        let on_wait = |s: f64| self.report_wait(file, None, s);
        let net = self.net(None, &on_wait);
        let fetched = whole(fetch(url, key, None, self.cache && from_cache, &report, &net, Kind::Resolver).await?, url)?;
        let meta = fetched.meta.clone();
        Ok((self.count(fetched), meta))
    }

    /// The bytes at `url`, a file outside the model's repository (the MeCab dictionary), fetched
    /// and cached as [`Self::fetch`] does, its progress reported as `name`.
    pub async fn fetch_url(&self, name: &str, url: &str) -> WebResult<WeightBytes> {
        let report =
            |loaded: u64, total: Option<u64>, from_cache: bool| self.report(name, None, loaded, total, from_cache);
        let on_wait = |s: f64| self.report_wait(name, None, s);
        let fetched = whole(fetch(url, url, None, self.cache, &report, &self.net(None, &on_wait), Kind::Other).await?, url)?;
        Ok(self.count(fetched))
    }

    /// Where `file`'s next request goes: its final URL once resolved, else the resolver.
    fn target(&self, file: &str) -> (String, Kind) {
        match self.files.borrow().get(file).and_then(|s| s.final_url.clone()) {
            Some(url) => (url, Kind::Cdn),
            None => (self.url(file), Kind::Resolver),
        }
    }

    fn forget_final(&self, file: &str) {
        if let Some(state) = self.files.borrow_mut().get_mut(file) {
            state.final_url = None;
        }
    }

    /// Takes note of a network response for `file` asked of `asked`: the final URL it came from,
    /// and its identity, which must be what it was.
    fn note(&self, file: &str, asked: &str, url: &str, size: Option<u64>, etag: Option<String>) -> WebResult<()> {
        let mut files = self.files.borrow_mut();
        let state = files.entry(file.to_string()).or_default();
        let path = (!url.is_empty() && url != asked).then(|| url.split(['?', '#']).next().unwrap_or(url).to_string());
        let changed = match (&state.size, size, &state.etag, &etag, &state.final_path, &path) {
            (Some(a), Some(b), ..) if *a != b => Some(format!("{a} bytes, now {b}")),
            (_, _, Some(a), Some(b), ..) if !same_etag(a, b) => Some(format!("ETag {a}, now {b}")),
            (.., Some(a), Some(b)) if a != b => Some(format!("served from {a}, now from {b}")),
            _ => None,
        };
        if let Some(what) = changed {
            return Err(WebError::new(
                Code::FileChanged,
                format!(
                    "{file} of {} changed on the server since this reranker (or Cache Storage) read it ({what}): \
                     its parts would mix two versions; load the model again (refresh: true to replace what is cached)",
                    self.source.model
                ),
            ));
        }
        if path.is_some() {
            state.final_url = Some(url.to_string());
            state.final_path = path;
        }
        state.size = state.size.or(size);
        state.etag = state.etag.clone().or(etag);
        Ok(())
    }

    /// Bytes `range` of `file` by a single-range request (Cache Storage first when caching),
    /// reporting `(loaded, total, from_cache)` of this range. `Ranged::Whole` when the server
    /// ignored the Range header and is sending the whole file.
    pub async fn fetch_range(&self, file: &str, range: Range<u64>, on_progress: OnProgress<'_>) -> WebResult<Ranged> {
        let key = self.url(file);
        let on_wait = |s: f64| self.report_wait(file, None, s);
        let net = self.net(None, &on_wait);
        let (mut asked, kind) = self.target(file);
        let mut reply = fetch(&asked, &key, Some(&range), self.cache, on_progress, &net, kind).await?;
        if kind == Kind::Cdn && expired(&reply) {
            // The signed URL expired (or its origin failed): resolve once more.
            self.forget_final(file);
            asked = key.clone();
            reply = fetch(&key, &key, Some(&range), self.cache, on_progress, &net, Kind::Resolver).await?;
        }
        match reply {
            Reply::Bytes(fetched) => {
                if !fetched.from_cache {
                    self.note(file, &asked, &fetched.meta.url, fetched.meta.size, fetched.meta.etag.clone())?;
                }
                Ok(Ranged::Part(self.count(fetched)))
            }
            Reply::WholeInstead(response) => Ok(Ranged::Whole(response)),
            Reply::Refused(why) => Ok(Ranged::Refused(why)),
            Reply::Status(status) => Err(status_error(&asked, status)),
        }
    }

    /// Bytes `ranges` of `file` (word-embedding rows: not cached here), at most `in_flight`
    /// requests at a time, to its final URL; an expired one is resolved again once.
    pub async fn fetch_rows(
        &self,
        file: &str,
        ranges: &[Range<u64>],
        in_flight: usize,
        on_done: &dyn Fn(u64),
        signal: Option<&AbortSignal>,
    ) -> WebResult<Vec<Vec<u8>>> {
        let key = self.url(file);
        let on_wait = |s: f64| self.report_wait(file, Some("rows"), s);
        let net = self.net(signal, &on_wait);
        let check = |asked: &str, response: &Response| {
            let (size, etag) = identity(response);
            self.note(file, asked, &response.url(), size, etag)
        };
        let (url, kind) = self.target(file);
        let first = fetch_ranges(&url, ranges, in_flight, on_done, &net, kind, &check).await;
        let expired = kind == Kind::Cdn
            && match &first {
                Err(RangesFailed::Status(s)) => stale(*s),
                Err(RangesFailed::Refused(_)) => true,
                _ => false,
            };
        let outcome = if !expired {
            first
        } else {
            // The signed URL expired: one request through the resolver, which redirects to a
            // fresh one (noted by `check`), then the rest there.
            self.forget_final(file);
            let mut rows = fetch_ranges(&key, &ranges[..1], 1, on_done, &net, Kind::Resolver, &check).await;
            if let Ok(got) = &mut rows
                && ranges.len() > 1
            {
                let (url, kind) = self.target(file);
                match fetch_ranges(&url, &ranges[1..], in_flight, on_done, &net, kind, &check).await {
                    Ok(rest) => got.extend(rest),
                    Err(e) => rows = Err(e),
                }
            }
            rows
        };
        outcome.map_err(|e| match e {
            RangesFailed::Status(s) => status_error(&url, s),
            RangesFailed::Refused(why) => WebError::new(Code::Network, format!("{url}: {why}")),
            RangesFailed::Error(e) => e,
        })
    }

    /// The whole-file response a server sent for a range request, read as [`Self::fetch`]
    /// would have read it (not cached: a later visit asks for ranges again).
    pub async fn read_whole(
        &self,
        file: &str,
        response: Response,
        on_progress: OnProgress<'_>,
    ) -> WebResult<WeightBytes> {
        let url = self.url(file);
        let bytes = read_body(&response, false, on_progress)
            .await
            .map_err(|e| WebError::new(e.code, format!("{url}: {}", e.message)))?;
        Ok(self.count(Fetched { bytes, from_cache: false, meta: Meta::default() }))
    }

    /// Emits a progress event for `file` (and `part` of it).
    pub fn report(&self, file: &str, part: Option<&str>, loaded: u64, total: Option<u64>, from_cache: bool) {
        progress::loaded(self.on_progress.as_ref(), file, part, loaded, total, from_cache);
    }

    fn report_wait(&self, file: &str, part: Option<&str>, seconds: f64) {
        progress::waiting(self.on_progress.as_ref(), file, part, seconds);
    }

    fn count(&self, fetched: Fetched) -> WeightBytes {
        let counter = if fetched.from_cache { &self.from_cache } else { &self.downloaded };
        counter.set(counter.get() + fetched.bytes.len() as f64);
        fetched.bytes
    }
}

/// The file a whole-file request brought, or why it brought none.
fn whole(reply: Reply, url: &str) -> WebResult<Fetched> {
    match reply {
        Reply::Bytes(fetched) => Ok(fetched),
        Reply::Status(status) => Err(status_error(url, status)),
        Reply::Refused(why) => Err(WebError::new(Code::Network, format!("{url}: {why}"))),
        Reply::WholeInstead(_) => Err(WebError::new(Code::Network, "a whole-file request was answered as a range")),
    }
}

/// Whether a request to a final URL failed as an expired signed URL does (or its origin is down).
fn expired(reply: &Reply) -> bool {
    match reply {
        Reply::Refused(_) => true,
        Reply::Status(s) => stale(*s),
        _ => false,
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
