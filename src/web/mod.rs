//! The browser surface (wasm32 only). Thin: fetching and caching the Hub files (`hub`), choosing
//! and watching the compute backend (`gpu`), and the `#[wasm_bindgen]` API with typed JS errors
//! (`api`). No tensor math here; that is `crate::Reranker`'s.

mod api;
mod error;
mod gpu;
mod hub;

pub use api::{Reranker, panic_count, rerank};
