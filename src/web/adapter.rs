//! What a WebGPU adapter reports, shared by `gpu.rs` and `gpu_none.rs`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_ADAPTER: &'static str = r#"
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  shaderF16: boolean;
  selfCheckMaxAbsDiff: number;
}
"#;

/// What the adapter is and allows, as the browser reports it. Shown to callers
/// (`reranker.info.adapter`) so that limits are read, never assumed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdapterReport {
    pub vendor: String,
    pub architecture: String,
    pub description: String,
    pub is_fallback_adapter: bool,
    pub max_storage_buffer_binding_size: f64,
    pub max_buffer_size: f64,
    pub shader_f16: bool,
    /// Largest |logit| difference from the CPU in the start-up self-check.
    pub self_check_max_abs_diff: f32,
}
