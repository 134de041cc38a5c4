//! Sending one request: through the caller's `fetch` option or the runtime's, counted by where it
//! goes (the Hub's rate-limited resolvers, the CDN they redirect to, the Hub API), and a 429
//! obeyed — a short wait (reported, abortable) or `RATE_LIMITED` saying when to retry.

use std::cell::Cell;

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Request, Response};

use super::error::{Code, WebError, WebResult};

/// The longest a call waits for a rate limit to lift before it fails with `RATE_LIMITED`
/// instead: a search box may wait this long, not a window's five minutes.
pub const MAX_WAIT_S: f64 = 10.0;

/// Where a request goes, for the counts in `info.requests`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `/resolve/` URL: the Hub's "resolvers" bucket (3,000 per 5 minutes per IP, anonymous).
    Resolver,
    /// A URL a resolver redirected to (the CDN), or one read directly from the start.
    Cdn,
    /// The Hub API (the revision endpoint).
    Api,
    /// Not the Hub (the MeCab dictionary).
    Other,
}

/// Requests by kind.
#[derive(Clone, Copy, Default, serde::Serialize)]
pub struct Requests {
    pub resolver: f64,
    pub cdn: f64,
    pub api: f64,
}

impl Requests {
    pub fn since(self, before: Requests) -> Requests {
        Requests { resolver: self.resolver - before.resolver, cdn: self.cdn - before.cdn, api: self.api - before.api }
    }
}

/// What one request needs besides itself: the caller's `fetch`, the call's abort signal, where to
/// count it, and whom to tell about a wait.
pub struct Net<'a> {
    pub custom: Option<&'a Function>,
    pub signal: Option<&'a AbortSignal>,
    pub counts: &'a Cell<Requests>,
    pub on_wait: &'a dyn Fn(f64),
}

/// Why a request brought no response.
pub enum Unsent {
    /// `fetch` rejected (no network, a CORS refusal, an origin that is down): why.
    Refused(String),
    /// Rate-limited past the wait we accept, or aborted while waiting.
    Failed(WebError),
}

/// What `fetch` and `caches` hang off: a window, a worker's global scope, or another runtime's
/// global object (Node's, which has `fetch` but no Cache Storage).
pub enum Global {
    Window(web_sys::Window),
    Worker(web_sys::WorkerGlobalScope),
    Other(js_sys::Object),
}

pub fn global() -> Global {
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
    fn send(&self, request: &Request, custom: Option<&Function>) -> Result<Promise, String> {
        let call = |f: &Function, this: &JsValue| {
            f.call1(this, request)
                .map(|reply| Promise::resolve(&reply))
                .map_err(|e| format!("fetch: {}", WebError::describe(&e)))
        };
        match (custom, self) {
            (Some(f), _) => call(f, &JsValue::UNDEFINED),
            (None, Global::Window(w)) => Ok(w.fetch_with_request(request)),
            (None, Global::Worker(w)) => Ok(w.fetch_with_request(request)),
            (None, Global::Other(g)) => {
                match js_sys::Reflect::get(g, &"fetch".into()).ok().and_then(|f| f.dyn_into::<Function>().ok()) {
                    Some(f) => call(&f, g),
                    None => Err("this runtime has no fetch (give the fetch option)".into()),
                }
            }
        }
    }

    /// Cache Storage; `None` where the runtime has none at all (Node), which is no reason to warn.
    pub fn caches(&self) -> Option<Result<web_sys::CacheStorage, JsValue>> {
        match self {
            Global::Window(w) => Some(w.caches()),
            Global::Worker(w) => Some(w.caches()),
            Global::Other(_) => None,
        }
    }
}

impl Net<'_> {
    fn count(&self, kind: Kind, redirected: bool) {
        let mut c = self.counts.get();
        match kind {
            Kind::Resolver => c.resolver += 1.0,
            Kind::Cdn => c.cdn += 1.0,
            Kind::Api => c.api += 1.0,
            Kind::Other => {}
        }
        // The browser followed the resolver's redirect: that was a request to the CDN too.
        if redirected && kind == Kind::Resolver {
            c.cdn += 1.0;
        }
        self.counts.set(c);
    }

    /// Sends `make()`'s request (made again for each try: a request's body and signal are spent
    /// once sent); on 429, waits as long as the server says when that is at most [`MAX_WAIT_S`]
    /// in all, and tries again, else fails with `RATE_LIMITED`. Any other status is the caller's.
    pub async fn send(&self, kind: Kind, make: &dyn Fn() -> WebResult<Request>) -> Result<Response, Unsent> {
        let g = global();
        let mut waited = 0.0;
        loop {
            let request = make().map_err(Unsent::Failed)?;
            let promise = g.send(&request, self.custom).map_err(Unsent::Refused)?;
            let response: Response = match JsFuture::from(promise).await {
                Ok(r) => r.unchecked_into(),
                Err(e) => {
                    self.count(kind, false);
                    return Err(Unsent::Refused(WebError::describe(&e)));
                }
            };
            self.count(kind, response.redirected());
            if response.status() != 429 {
                return Ok(response);
            }
            let url = request.url();
            let wait = retry_after(&response);
            match wait {
                Some(s) if waited + s <= MAX_WAIT_S => {
                    (self.on_wait)(s);
                    sleep(s, self.signal).await.map_err(Unsent::Failed)?;
                    waited += s;
                }
                _ => return Err(Unsent::Failed(rate_limited(&url, wait))),
            }
        }
    }
}

/// `RATE_LIMITED`, saying when to retry where the server said it.
fn rate_limited(url: &str, wait: Option<f64>) -> WebError {
    let when = match wait {
        Some(s) => format!("retry in {s:.0} s"),
        None => "retry later (the server's RateLimit / Retry-After headers are not readable here)".into(),
    };
    let message = format!(
        "{url}: HTTP 429: the server's rate limit for these requests is used up; {when}. Files and rows already \
         held keep working; a Hub token (the fetch option), a mirror or self-hosting raise or remove the limit"
    );
    let mut e = WebError::new(Code::RateLimited, message);
    e.retry_after = wait;
    e
}

/// Seconds until a 429 lifts, where the response says it and lets us read it: the `t` of
/// `RateLimit` (IETF draft 9, as the Hub sends it: `"resolvers";r=0;t=42`), else `Retry-After`
/// (seconds, or an HTTP date).
pub fn retry_after(response: &Response) -> Option<f64> {
    let headers = response.headers();
    let get = |name: &str| headers.get(name).ok().flatten();
    if let Some(t) = get("ratelimit").as_deref().and_then(ratelimit_reset) {
        return Some(t);
    }
    let value = get("retry-after")?;
    if let Ok(s) = value.trim().parse::<f64>() {
        return (s.is_finite() && s >= 0.0).then_some(s);
    }
    let at = js_sys::Date::parse(value.trim());
    at.is_finite().then(|| ((at - js_sys::Date::now()) / 1000.0).max(0.0).ceil())
}

/// The `t` parameter of a `RateLimit` field (`"name";r=0;t=42`, several items comma-separated:
/// the longest wait among those with nothing left).
pub fn ratelimit_reset(field: &str) -> Option<f64> {
    let mut wait: Option<f64> = None;
    for item in field.split(',') {
        let param = |key: &str| {
            item.split(';')
                .skip(1)
                .find_map(|p| p.trim().strip_prefix(key)?.strip_prefix('=')?.trim().parse::<f64>().ok())
        };
        if param("r").is_some_and(|r| r > 0.0) {
            continue;
        }
        if let Some(t) = param("t").filter(|t| t.is_finite() && *t >= 0.0) {
            wait = Some(wait.map_or(t, |w: f64| w.max(t)));
        }
    }
    wait
}

/// Waits `seconds`, or until `signal` aborts (`ABORTED`).
pub async fn sleep(seconds: f64, signal: Option<&AbortSignal>) -> WebResult<()> {
    let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| {
            WebError::new(Code::RateLimited, "rate-limited, and this runtime has no setTimeout to wait with")
        })?;
    let promise = Promise::new(&mut |resolve, reject| {
        let _ = set_timeout.call2(&JsValue::NULL, &resolve, &(seconds * 1000.0).into());
        if let Some(s) = signal {
            let _ = s.add_event_listener_with_callback("abort", &reject);
        }
    });
    match JsFuture::from(promise).await {
        Ok(_) if !signal.is_some_and(|s| s.aborted()) => Ok(()),
        _ => Err(WebError::new(Code::Aborted, "aborted")),
    }
}
