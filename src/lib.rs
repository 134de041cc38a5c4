//! ja-rerank: Japanese cross-encoder rerankers (XLM-R, e.g.
//! `hotchpotch/japanese-reranker-cross-encoder-small-v1`) on burn, native and in the browser.
//!
//! ```no_run
//! use ja_rerank::{Reranker, RerankerOptions};
//! let reranker = Reranker::from_dir("model-dir", RerankerOptions::default())?;
//! let ranked = reranker.rerank("東京の天気", &["晴れ", "株価"], Some(1))?;
//! # Ok::<(), ja_rerank::Error>(())
//! ```
//!
//! Modules from the bottom up (ARCHITECTURE.md; imports only point down, `tools/check_imports.py`
//! keeps it so): [`error`] and [`parallel`]; [`kernels`]; [`config`], [`tokenize`], [`load`];
//! [`model`] (one folder per family); [`backend`]; [`reranker`] and [`eval`]; then the CLI
//! (`src/bin`) and the browser surface (`web`, wasm32 only).

pub mod backend;
pub mod config;
pub mod error;
pub mod eval;
mod kernels;
pub mod load;
pub mod model;
pub mod parallel;
pub mod reranker;
pub mod source;
pub mod tokenize;

pub use backend::{CpuBackend, cpu_device};
pub use error::{Error, Result};
pub use load::{WeightBytes, Weights};
pub use model::{Kernels, ModelConfig, Precision};
pub use reranker::{Overflow, Ranked, Reranker, RerankerOptions, RowRequest, Score, ScoreHook, ScorePlan, Window, WordEmbeddings};

/// Re-exported so callers can pick a device without depending on burn themselves.
pub use burn::tensor::Device;

#[cfg(target_arch = "wasm32")]
pub mod web;
