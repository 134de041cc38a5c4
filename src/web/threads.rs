//! wasm threads (feature `threads`, built by scripts/build-threads.sh): `initThreads(n)` starts
//! wasm-bindgen-rayon's pool of `n` Web Workers sharing this module's memory and tells
//! `crate::parallel`, which decides how work splits over it — only from a thread that may
//! block, which the page's main thread may not (`Atomics.wait`), so threads help in a Worker
//! (`RerankerWorker`, which calls `initThreads` itself) and are skipped, not fatal, elsewhere.

use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

static POOL: AtomicBool = AtomicBool::new(false);

/// Starts the pool (once per module instance; needs `crossOriginIsolated`). Resolves when the
/// workers are up. wasm-bindgen-rayon's own `initThreadPool` is exported too; use this one,
/// which also tells `crate::parallel` the pool exists.
#[wasm_bindgen(js_name = initThreads)]
pub async fn init_threads(threads: usize) -> Result<(), JsValue> {
    if POOL.load(Ordering::Acquire) {
        return Ok(());
    }
    if threads < 1 {
        return Err(JsValue::from_str("initThreads: threads must be at least 1"));
    }
    JsFuture::from(wasm_bindgen_rayon::init_thread_pool(threads)).await?;
    POOL.store(true, Ordering::Release);
    let main_thread = js_sys::global().dyn_into::<web_sys::Window>().is_ok();
    crate::parallel::pool_started(!main_thread);
    Ok(())
}
