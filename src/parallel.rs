//! How CPU work is split over threads. Only the threaded wasm build (feature `threads`, see
//! `web::threads`) has a pool; everywhere else this runs tasks in order on the calling thread.
//!
//! Two levels, never both at once: whole batches of pairs run on separate threads where a call
//! has at least as many batches as threads ([`crate::Reranker::score_plan`]): no synchronisation
//! inside a forward pass, so the layer norms, copies and packing run in parallel too. A call with
//! fewer batches splits each matmul's rows and each attention head instead (`model::gemm`,
//! `model::fast`). A task already on a pool thread runs nested work in order.

/// Threads that [`map_tasks`] spreads tasks over from here (1 = runs them in order).
pub fn threads() -> usize {
    #[cfg(all(feature = "threads", target_arch = "wasm32"))]
    if crate::web::threads::usable() && rayon::current_thread_index().is_none() {
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
