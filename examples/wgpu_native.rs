//! Real-GPU numbers without a browser: ja-rerank's burn-wgpu backend run natively through wgpu
//! on Vulkan — the same WGSL kernels the browser's WebGPU backend runs, translated by naga instead
//! of the browser. First the scores against PyTorch's (the full-size stand-in's reference cases),
//! then the speed of each workload (median of the timed `score` calls after a warm-up).
//!
//! ```sh
//! cargo build --release --example wgpu_native --no-default-features --features flex,webgpu
//! target/release/examples/wgpu_native MODEL_DIR fixtures/full-reference.json \
//!     fixtures/bench/pairs-128.jsonl fixtures/bench/pairs-256.jsonl [--batch 32] [--runs 5]
//! ```

use std::time::Instant;

use burn::tensor::Device;
use burn::tensor::wgpu::WgpuBackend;
use ja_rerank::{Reranker, RerankerOptions, WordEmbeddings};

type Pairs = Vec<(String, String)>;

fn read_pairs(path: &str) -> Result<Pairs, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l)?;
            let field = |k: &str| v[k].as_str().map(str::to_string).ok_or(format!("{path}: no \"{k}\""));
            Ok((field("query")?, field("passage")?))
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut positional = Vec::new();
    let (mut batch, mut runs) = (32usize, 5usize);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--batch" => batch = it.next().ok_or("--batch N")?.parse()?,
            "--runs" => runs = it.next().ok_or("--runs N")?.parse()?,
            _ => positional.push(a.clone()),
        }
    }
    let [model, reference, workloads @ ..] = positional.as_slice() else {
        return Err("usage: wgpu_native MODEL_DIR REFERENCE.json PAIRS.jsonl... [--batch N] [--runs N]".into());
    };

    let (device, setup) = Device::wgpu_options().graphics_api(WgpuBackend::Vulkan).init_with_setup()?;
    let info = setup.adapter.get_info();
    println!("adapter: {} ({:?}; driver {} {})", info.name, info.backend, info.driver, info.driver_info);
    let check = pollster::block_on(ja_rerank::backend::self_check(&device))?;
    println!("self-check: max |Δlogit| vs CPU {:.2e}", check.max_abs_diff);

    // The load policy the browser path uses (wordEmbeddings "auto"): batches and the embedding
    // table within the adapter's largest storage binding.
    let limits = setup.device.limits();
    let binding = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
    let config = ja_rerank::ModelConfig::from_json(&std::fs::read(format!("{model}/config.json"))?)?;
    let options = RerankerOptions {
        batch_size: batch,
        ..RerankerOptions::for_device(&config, device, Some(binding), WordEmbeddings::Auto)?
    };
    let place = if options.host_word_embeddings { "host" } else { "GPU" };
    println!("largest storage binding {} MiB; word embeddings on the {place}", binding >> 20);
    let start = Instant::now();
    let reranker = Reranker::from_dir(model, options)?;
    println!("loaded {model} in {:.2} s (batch {batch})", start.elapsed().as_secs_f64());

    let reference: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(reference)?)?;
    let cases = reference["cases"].as_array().ok_or("reference: no cases")?;
    let pairs: Pairs = cases
        .iter()
        .map(|c| (c["query"].as_str().unwrap_or_default().to_string(), c["passage"].as_str().unwrap_or_default().to_string()))
        .collect();
    let scores = reranker.score(&pairs)?;
    let worst = scores.iter().zip(cases).map(|(s, c)| (s.score as f64 - c["score"].as_f64().unwrap_or(f64::NAN)).abs()).fold(0.0, f64::max);
    println!("parity: {} reference cases, max |Δscore| vs PyTorch {worst:.2e}", cases.len());
    if !(worst <= 1e-4) {
        return Err(format!("scores differ from PyTorch by {worst:.2e} (> 1e-4)").into());
    }

    for path in workloads {
        let pairs = read_pairs(path)?;
        reranker.score(&pairs)?; // warm-up: shader compilation, allocations
        let mut times: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                reranker.score(&pairs).map(|_| t.elapsed().as_secs_f64())
            })
            .collect::<Result<_, _>>()?;
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        println!("{path}: {} pairs, {:.1} pairs/s (median of {runs}; runs {:?} s)", pairs.len(), pairs.len() as f64 / median, times.iter().map(|t| (t * 1000.0).round() / 1000.0).collect::<Vec<_>>());
    }
    Ok(())
}
