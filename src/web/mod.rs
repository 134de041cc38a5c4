//! The browser surface (wasm32 only), translation between JS and the core: `options` (JS
//! options and arguments → checked Rust values, with their TypeScript declarations), `session`
//! (load through the core's policy, score through the core's loop, the move to the CPU) and
//! `info` (what `reranker.info` reports), `default_model` (the module-level `rerank()`'s model),
//! `hub` (a model's files from one commit, final URLs; `pin` decides the commit, `progress` says
//! how far it got) over `fetch` (requests, ranges, Cache Storage) over `net` (sending: counts,
//! 429s), `rows` (word-embedding rows on demand), `gpu` (WebGPU probe, self-check, limits),
//! `error` (typed JS errors), `callback` (calling the caller's callbacks), `threads`
//! (`initThreads`), `build` (which build of the package this module is), and `api`, the
//! `#[wasm_bindgen]` class. No tensor math here.

mod adapter;
mod api;
mod args;
mod build;
mod callback;
mod default_model;
mod error;
mod fetch;
#[cfg_attr(not(feature = "webgpu"), path = "gpu_none.rs")]
mod gpu;
mod hub;
mod info;
mod net;
mod options;
mod pin;
mod progress;
mod rows;
mod session;
mod tokenizer;
#[cfg(feature = "threads")]
pub mod threads;

pub use api::{Reranker, panic_count, rerank};
