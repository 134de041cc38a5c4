//! JS errors with a stable `code`, so callers can branch without parsing messages, and the
//! panic hook that says in the console why an instance died (nothing should panic).

use std::sync::atomic::{AtomicU32, Ordering};

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR: &'static str = r#"
export type RerankerErrorCode = "INVALID_INPUT" | "MODEL_LOAD" | "DICTIONARY" | "NETWORK" | "BACKEND" | "OUT_OF_MEMORY" | "DISPOSED" | "ABORTED";

/** A thrown `Error` whose `name` is "RerankerError" carries one of these codes. */
export interface RerankerError extends Error { code: RerankerErrorCode }
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidInput,
    ModelLoad,
    /// The MeCab dictionary a BERT-ja model needs is missing or not the right one.
    Dictionary,
    Network,
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
}

pub type WebResult<T> = Result<T, WebError>;

impl WebError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidInput, message)
    }

    /// A JS `Error` named `RerankerError` with `code` set.
    pub fn into_js(self) -> JsValue {
        let error = js_sys::Error::new(&self.message);
        error.set_name("RerankerError");
        let _ = js_sys::Reflect::set(&error, &"code".into(), &self.code.as_str().into());
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
