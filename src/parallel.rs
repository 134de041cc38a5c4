//! How CPU work is split over threads: the one place that decides. Only the threaded wasm build
//! (feature `threads`) has a pool, started by the embedder (`web::threads`, `initThreads(n)`),
//! which tells this module with [`pool_started`]; everywhere else tasks run in order on the
//! calling thread.
//!
//! Two levels, never both at once: whole batches of pairs run on separate threads where a call
//! has at least as many batches as threads (the reranker's scoring loop): no synchronisation
//! inside a forward pass, so the layer norms, copies and packing run in parallel too. A call with
//! fewer batches splits each matmul's rows and each attention head instead (`kernels`). A task
//! already on a pool thread runs nested work in order.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

static POOL: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Whether this thread may block waiting for the pool (browsers forbid it on the main thread).
    static MAY_BLOCK: Cell<bool> = const { Cell::new(false) };
}

/// Declares the thread pool up, and whether the calling thread — the one that will score — may
/// block waiting for it. Work is split only from such a thread.
pub fn pool_started(calling_thread_may_block: bool) {
    POOL.store(true, Ordering::Release);
    MAY_BLOCK.with(|m| m.set(calling_thread_may_block));
}

/// Threads that [`map_tasks`] spreads tasks over from here (1 = runs them in order).
pub fn threads() -> usize {
    #[cfg(all(feature = "threads", target_arch = "wasm32"))]
    if POOL.load(Ordering::Acquire) && MAY_BLOCK.with(Cell::get) && rayon::current_thread_index().is_none() {
        return rayon::current_num_threads();
    }
    1
}

/// `tasks.map(f)` in order, on the thread pool when [`threads`] > 1.
pub fn map_tasks<T: Send, R: Send>(tasks: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    #[cfg(all(feature = "threads", target_arch = "wasm32"))]
    if tasks.len() > 1 && threads() > 1 {
        use rayon::prelude::*;
        return tasks.into_par_iter().map(f).collect();
    }
    tasks.into_iter().map(f).collect()
}
