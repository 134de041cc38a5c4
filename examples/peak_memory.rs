//! The host memory a forward pass needs, natively: bytes allocated at once beyond what the loaded
//! model holds (a counting allocator's high-water mark), on the tiled CPU kernels the browser runs.
//! Deterministic, unlike a browser page's wasm memory, whose peak also carries the allocator's
//! fragmentation; `memory::TILED_ROWS_PER_TOKEN` is sized from it (README, "Long passages").
//!   cargo run --release --features ndarray --example peak_memory -- MODEL_DIR PAIRS.jsonl [BATCH]
//! PAIRS.jsonl: lines of {"query": ..., "passage": ...} (bench/long_pairs.py writes such pairs).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use ja_rerank::model::Kernels;
use ja_rerank::reranker::{Reranker, RerankerOptions};

struct Counting;
static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = NOW.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is passed to `System` unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        NOW.fetch_sub(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        if size > layout.size() { grew(size - layout.size()) } else { NOW.fetch_sub(layout.size() - size, Relaxed); }
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, pairs, ..] = args.as_slice() else {
        eprintln!("usage: peak_memory MODEL_DIR PAIRS.jsonl [BATCH]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(pairs).expect("the pairs file");
    let pairs: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            (v["query"].as_str().expect("query").to_string(), v["passage"].as_str().expect("passage").to_string())
        })
        .collect();
    let mut options = RerankerOptions { kernels: Some(Kernels::Tiled), ..RerankerOptions::default() };
    if let Some(batch) = args.get(2) {
        options.batch_size = batch.parse().expect("BATCH, a number");
    }
    let reranker = Reranker::from_dir(model, options).expect("the model");
    let held = NOW.load(Relaxed);
    PEAK.store(held, Relaxed);
    let plan = reranker.plan(&pairs).expect("tokenized");
    let planned = NOW.load(Relaxed);
    PEAK.store(planned, Relaxed);
    let scores = reranker.score_plan(&plan).expect("scored");
    let tokens: Vec<usize> = scores.iter().map(|s| s.n_tokens).collect();
    let mb = |b: usize| b as f64 / 1e6;
    println!(
        "{model}: {} pairs of {tokens:?} tokens in {} batches; model holds {:.1} MB; forward peak +{:.1} MB",
        pairs.len(),
        plan.num_batches(),
        mb(held),
        mb(PEAK.load(Relaxed) - planned)
    );
}
