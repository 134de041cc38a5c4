//! The browser tests, as one wasm test binary (`wasm-pack test --headless --chrome|--firefox
//! --release . --no-default-features --features flex,webgpu --test web`), against Hub-layout
//! files served by tools/serve.mjs (scripts/test.sh starts it). One binary, not one per concern:
//! each wasm test binary links burn and the WebGPU stack in release, and the runner prepares
//! each one for the page (wasm-bindgen) before any test runs — minutes of CI per binary.
//!
//! One module per concern: `api` (the JS API, parity on both backends, bad input, Cache Storage,
//! progress), `rows` (word-embedding rows on demand), `ranker` (the trained stand-in, compact
//! files, precisions), `bert` (BERT-ja: MeCab in the browser), `untrusted` (a stranger's files and
//! options: truncation, a lying config, hostile sources), `hub` (the Hub as it really is:
//! redirects to expiring CDN URLs, rate limits, a moving `main`), `device_loss` (a lost GPU),
//! `long` (long pairs on both backends, chunked scoring).
//!
//! Which engine runs what (scripts/test.sh): Chromium runs every test. Firefox runs the tests
//! whose outcome depends on the engine — its WebGPU (lavapipe: another binding limit,
//! shader-f16), its fetch / Cache Storage / Range behaviour, its wasm on the small stand-ins —
//! and skips, by name, those that only repeat engine-independent arithmetic on large inputs
//! (`FIREFOX_SKIPS` in scripts/test.sh says which, and why).
#![cfg(target_arch = "wasm32")]

mod api;
mod bert;
#[path = "../bert_support/mod.rs"]
mod bert_support;
mod device_loss;
mod hub;
mod long;
mod ranker;
mod rows;
mod support;
mod untrusted;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
