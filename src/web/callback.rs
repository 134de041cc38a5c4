//! Rust values as the JS values the TypeScript declarations describe, and calling the caller's
//! callbacks (`onProgress`, `onBackendChange`) with them.

use js_sys::Function;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// `value` as a plain JS value; a `None` is `null`, as the declarations say (`string | null`), and
/// a map an object (`Record<string, string>`), not a `Map`.
pub fn to_js(value: &impl Serialize) -> Result<JsValue, serde_wasm_bindgen::Error> {
    value.serialize(&serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true).serialize_maps_as_objects(true))
}

/// Calls `callback`, when there is one, with `event` as a plain JS object. A throwing callback
/// is the caller's bug; it must not break loading or scoring, so its exception is dropped.
pub fn emit(callback: Option<&Function>, event: &impl Serialize) {
    if let Some(f) = callback
        && let Ok(value) = to_js(event)
    {
        let _ = f.call1(&JsValue::NULL, &value);
    }
}
