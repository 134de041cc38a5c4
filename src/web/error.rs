//! JS errors with a stable `code`, so callers can branch without parsing messages, and the
//! panic hook that says in the console why an instance died (nothing should panic).

use std::sync::atomic::{AtomicU32, Ordering};

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR: &'static str = r#"
export type RerankerErrorCode = "INVALID_INPUT" | "MODEL_LOAD" | "DICTIONARY" | "NETWORK" | "RATE_LIMITED" | "FILE_CHANGED" | "BACKEND" | "OUT_OF_MEMORY" | "DISPOSED" | "ABORTED";

/** A thrown `Error` whose `name` is "RerankerError" carries one of these codes. "RATE_LIMITED": the server
 * answered 429 and the wait it asks for is longer than a call waits (10 s); `retryAfter` says how many seconds,
 * where the server's headers are readable. "FILE_CHANGED": a file's bytes on the server are no longer those this
 * reranker (or its cache) read — load it again (with `refresh: true` where the cache holds the old version). */
export interface RerankerError extends Error { code: RerankerErrorCode; retryAfter?: number }
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidInput,
    ModelLoad,
    /// The MeCab dictionary a BERT-ja model needs is missing or not the right one.
    Dictionary,
    Network,
    /// A 429 whose wait is longer than a call waits.
    RateLimited,
    /// A file's content changed under a URL that should have pinned it.
    FileChanged,
    Backend,
    OutOfMemory,
    Disposed,
    Aborted,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidInput => "INVALID_INPUT",
            Code::ModelLoad => "MODEL_LOAD",
            Code::Dictionary => "DICTIONARY",
            Code::Network => "NETWORK",
            Code::RateLimited => "RATE_LIMITED",
            Code::FileChanged => "FILE_CHANGED",
            Code::Backend => "BACKEND",
            Code::OutOfMemory => "OUT_OF_MEMORY",
            Code::Disposed => "DISPOSED",
            Code::Aborted => "ABORTED",
        }
    }
}

/// An error on its way to JS.
#[derive(Debug, Clone)]
pub struct WebError {
    pub code: Code,
    pub message: String,
    /// Seconds until a rate limit lifts (`RATE_LIMITED`), where the server said.
    pub retry_after: Option<f64>,
}

pub type WebResult<T> = Result<T, WebError>;

impl WebError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), retry_after: None }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidInput, message)
    }

    /// A JS `Error` named `RerankerError` with `code` set.
    pub fn into_js(self) -> JsValue {
        let error = js_sys::Error::new(&self.message);
        error.set_name("RerankerError");
        let _ = js_sys::Reflect::set(&error, &"code".into(), &self.code.as_str().into());
        if let Some(s) = self.retry_after {
            let _ = js_sys::Reflect::set(&error, &"retryAfter".into(), &s.into());
        }
        error.into()
    }

    /// Describes a JS exception (a rejected promise, a thrown TypeError) for a message.
    pub fn describe(value: &JsValue) -> String {
        if let Some(error) = value.dyn_ref::<js_sys::Error>() {
            return format!("{}: {}", String::from(error.name()), String::from(error.message()));
        }
        value.as_string().unwrap_or_else(|| format!("{value:?}"))
    }
}

impl From<crate::Error> for WebError {
    fn from(e: crate::Error) -> Self {
        let code = match &e {
            crate::Error::Config { .. } | crate::Error::Tokenizer(_) | crate::Error::Weights(_) => Code::ModelLoad,
            crate::Error::Dictionary(_) => Code::Dictionary,
            crate::Error::InvalidInput(_) => Code::InvalidInput,
            crate::Error::Memory(_) => Code::OutOfMemory,
            crate::Error::Backend(_) => Code::Backend,
        };
        WebError::new(code, e.to_string())
    }
}

impl From<WebError> for JsValue {
    fn from(e: WebError) -> Self {
        e.into_js()
    }
}

static PANICS: AtomicU32 = AtomicU32::new(0);

/// Panics seen so far. A panic in a callback (a GPU error handler, say) traps that callback but
/// not the caller, so tests check this stays 0.
#[doc(hidden)]
pub fn panic_count() -> u32 {
    PANICS.load(Ordering::Relaxed)
}

pub fn install_panic_hook() {
    use std::sync::Once;
    static ONCE: Once = Once::new();
    // Panics abort the instance; at least say why in the console.
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            PANICS.fetch_add(1, Ordering::Relaxed);
            web_sys::console::error_1(&format!("ja-rerank: internal error (please report): {info}").into());
        }))
    });
}
