//! Calling the caller's JS callbacks (`onProgress`, `onBackendChange`) with an event.

use js_sys::Function;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// Calls `callback`, when there is one, with `event` as a plain JS object. A throwing callback
/// is the caller's bug; it must not break loading or scoring, so its exception is dropped.
pub fn emit(callback: Option<&Function>, event: &impl Serialize) {
    if let Some(f) = callback
        && let Ok(value) = serde_wasm_bindgen::to_value(event)
    {
        let _ = f.call1(&JsValue::NULL, &value);
    }
}
