//! The model behind the module-level `rerank()`: loaded on first use through a [`Session`], kept
//! for later calls with the same load options, and shared by calls that arrive while it loads.
//! A failed load is handed to every waiting call as the error it was (its code intact).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use super::error::{Code, WebError, WebResult};
use super::options::Settings;
use super::session::Session;

type Outcome = Rc<RefCell<Option<WebResult<Rc<Session>>>>>;

/// A load in flight: its options' key, a promise that settles when it ends, and its outcome.
struct Loading {
    key: String,
    done: Promise,
    outcome: Outcome,
}

thread_local! {
    /// The loaded model and the key of its load options.
    static LOADED: RefCell<Option<(String, Rc<Session>)>> = const { RefCell::new(None) };
    static LOADING: RefCell<Option<Loading>> = const { RefCell::new(None) };
}

/// The session for load options `settings` (identified by `key`): the one loaded, the one
/// loading, or a new load.
pub async fn session(settings: Settings, key: String) -> WebResult<Rc<Session>> {
    if let Some(session) = LOADED.with(|l| l.borrow().as_ref().filter(|(k, _)| *k == key).map(|(_, s)| s.clone())) {
        return Ok(session);
    }
    let (done, outcome) = LOADING.with(|l| {
        let mut l = l.borrow_mut();
        if let Some(loading) = l.as_ref().filter(|loading| loading.key == key) {
            return (loading.done.clone(), loading.outcome.clone());
        }
        let outcome: Outcome = Rc::default();
        let (slot, k) = (outcome.clone(), key.clone());
        let done = future_to_promise(async move {
            let result = Session::load(settings).await;
            if let Ok(session) = &result {
                LOADED.with(|l| *l.borrow_mut() = Some((k, session.clone())));
            }
            *slot.borrow_mut() = Some(result);
            Ok(JsValue::UNDEFINED)
        });
        *l = Some(Loading { key: key.clone(), done: done.clone(), outcome: outcome.clone() });
        (done, outcome)
    });
    let _ = JsFuture::from(done).await;
    LOADING.with(|l| {
        if l.borrow().as_ref().is_some_and(|loading| loading.key == key) {
            *l.borrow_mut() = None;
        }
    });
    let result = outcome.borrow().clone();
    result.unwrap_or_else(|| Err(WebError::new(Code::ModelLoad, "the default model's load did not finish")))
}
