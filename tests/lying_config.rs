//! A `config.json` that claims far more than `model.safetensors` holds (issue 33: 100,000 layers of
//! 65,536 grew a page's wasm memory from 16 MB to 1.5 GB before its typed error) is refused with
//! the memory it cost bounded by the files' own size, for every family: a counting allocator
//! measures the high-water mark of live bytes during the refused load. The browser's side (wasm
//! memory unchanged) is tests/web/api.rs.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use common::{mecab_dictionary, model_dir};
use ja_rerank::{Error, Reranker, RerankerOptions};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            PEAK.fetch_max(LIVE.fetch_add(layout.size(), Relaxed) + layout.size(), Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Stand-in `name` with `edit` applied to its config.json, in a fresh folder.
fn lying_copy(name: &str, edit: impl Fn(&mut serde_json::Value)) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ja-rerank-lying-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(model_dir(name)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    edit(&mut config);
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    dir
}

/// One test, not three: the allocator's counters are the process's.
#[test]
fn a_config_claiming_more_than_the_file_holds_costs_no_more_than_the_files() {
    let dictionary = mecab_dictionary();
    for name in ["tiny", "mb-tiny", "bert-tiny"] {
        let files: u64 =
            std::fs::read_dir(model_dir(name)).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
        // 1,000 layers of 65,536 (the layer cap lets 1,000 through): 2e13 parameters claimed.
        let big = lying_copy(name, |c| {
            c["num_hidden_layers"] = 1000.into();
            c["hidden_size"] = 65_536.into();
            c["intermediate_size"] = 262_144.into();
            c["num_attention_heads"] = 64.into();
        });
        let options = RerankerOptions { mecab_dictionary: Some(dictionary.clone()), ..Default::default() };
        let before = LIVE.load(Relaxed);
        PEAK.store(before, Relaxed);
        let result = Reranker::from_dir(&big, options.clone());
        let spent = PEAK.load(Relaxed) - before;
        eprintln!("{name}: a refused load peaked at {spent} bytes ({files} bytes of files)");
        assert!(
            (spent as u64) < 4 * files + (16 << 20),
            "{name}: a refused load used {spent} bytes at its peak ({files} bytes of files)"
        );
        match result {
            Err(Error::Weights(m)) => assert!(m.contains("config.json"), "{name}: {m}"),
            other => panic!("{name}: expected Error::Weights, got {:?}", other.map(|_| ())),
        }
        // The issue's own numbers are refused as implausible before anything per layer is made.
        let huge = lying_copy(name, |c| c["num_hidden_layers"] = 100_000.into());
        match Reranker::from_dir(&huge, options.clone()) {
            Err(Error::Config { field, .. }) => assert_eq!(field, "num_hidden_layers", "{name}"),
            other => panic!("{name}: expected a config error, got {:?}", other.map(|_| ())),
        }
        // One layer more than the file holds: the missing layer is named.
        let one_more =
            lying_copy(name, |c| c["num_hidden_layers"] = (c["num_hidden_layers"].as_u64().unwrap() + 1).into());
        match Reranker::from_dir(&one_more, options) {
            Err(Error::Weights(m)) => assert!(m.contains("missing tensor"), "{name}: {m}"),
            other => panic!("{name}: expected Error::Weights, got {:?}", other.map(|_| ())),
        }
        std::fs::remove_dir_all(&big).ok();
    }
}
