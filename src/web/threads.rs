//! wasm threads (feature `threads`, built by scripts/build-threads.sh): `initThreads(n)` starts
//! wasm-bindgen-rayon's pool of `n` Web Workers sharing this module's memory; after that the
//! CPU matmuls (`model::gemm`) split their rows over it — but only when called off the main
//! thread, which browsers do not let block (`Atomics.wait`), so threads help in a Worker
//! (`RerankerWorker`, which calls `initThreads` itself) and are skipped, not fatal, elsewhere.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

static POOL: AtomicBool = AtomicBool::new(false);

thread_local! {
    static ON_MAIN_THREAD: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Starts the pool (once per module instance; needs `crossOriginIsolated`). Resolves when the
/// workers are up. wasm-bindgen-rayon's own `initThreadPool` is exported too; use this one,
/// which also tells the matmuls the pool exists.
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
    Ok(())
}

/// Whether work may be split over the pool from the calling thread.
pub fn usable() -> bool {
    POOL.load(Ordering::Acquire) && !on_main_thread()
}

fn on_main_thread() -> bool {
    ON_MAIN_THREAD.with(|cell| {
        let main = cell.get().unwrap_or_else(|| js_sys::global().dyn_into::<web_sys::Window>().is_ok());
        cell.set(Some(main));
        main
    })
}
