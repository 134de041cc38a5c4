//! The query, documents and pairs arguments of `rerank` / `score`, checked into Rust strings.

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::error::{WebError, WebResult};

/// How a wrong value is named in a message: "null", "an array", or its `typeof`.
pub fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if Array::is_array(value) {
        "an array".into()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

fn string(value: &JsValue, name: &str) -> WebResult<String> {
    value.as_string().ok_or_else(|| WebError::invalid(format!("{name} must be a string, got {}", type_name(value))))
}

/// A non-blank query string.
pub fn query(value: &JsValue) -> WebResult<String> {
    let query = string(value, "query")?;
    if query.trim().is_empty() {
        return Err(WebError::invalid("query must not be empty"));
    }
    Ok(query)
}

/// An array of strings.
pub fn documents(value: &JsValue) -> WebResult<Vec<String>> {
    if !Array::is_array(value) {
        return Err(WebError::invalid(format!("documents must be an array of strings, got {}", type_name(value))));
    }
    let array: &Array = value.unchecked_ref();
    (0..array.length()).map(|i| string(&array.get(i), &format!("documents[{i}]"))).collect()
}

/// An array of `[query, passage]` string pairs.
pub fn pairs(value: &JsValue) -> WebResult<Vec<(String, String)>> {
    if !Array::is_array(value) {
        return Err(WebError::invalid(format!("pairs must be an array of [query, passage], got {}", type_name(value))));
    }
    let array: &Array = value.unchecked_ref();
    (0..array.length())
        .map(|i| {
            let pair = array.get(i);
            if !(Array::is_array(&pair) && pair.unchecked_ref::<Array>().length() == 2) {
                return Err(WebError::invalid(format!("pairs[{i}] must be [query, passage]")));
            }
            let pair: Array = pair.unchecked_into();
            let query = query(&pair.get(0)).map_err(|e| WebError::invalid(format!("pairs[{i}]: {}", e.message)))?;
            Ok((query, string(&pair.get(1), &format!("pairs[{i}][1]"))?))
        })
        .collect()
}
