//! The browser surface (wasm32 only). Thin: fetching and caching the Hub files (`hub`), choosing
//! and watching the compute backend (`gpu`), and the `#[wasm_bindgen]` API with typed JS errors
//! (`api`). No tensor math here; that is `crate::Reranker`'s.

mod adapter;
mod api;
mod error;
#[cfg_attr(not(feature = "webgpu"), path = "gpu_none.rs")]
mod gpu;
mod hub;
#[cfg(feature = "threads")]
pub mod threads;

pub use api::{Reranker, panic_count, rerank};
