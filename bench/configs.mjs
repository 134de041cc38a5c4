// The browser configurations bench/run.mjs measures (ids are what `--only` takes), in the order
// they load (one fresh page each, one browser session);
// those of one `group` are compared with each other, so they are loaded together and their timed
// runs alternate (runBrowser).
// ModernBERT stand-ins at the v2 rerankers' shapes (fixtures/NAME), benchmarked next to small-v1's.
// The package's builds (scripts/build-package.sh), for the size table.
export const BUILDS = ["simd", "relaxed", "cpu-simd", "cpu-relaxed", "threads"];
export const V2_MODELS = ["tiny-v2", "xsmall-v2"];
export const BROWSER = [
  { id: "ours-cpu-1t", group: "f32-1t", runtime: "ja-rerank", pkg: "pkg", build: "simd", backend: "cpu", threads: 1, batchSize: 4, label: "ja-rerank CPU (wasm simd128)" },
  { id: "tjs-fp32-1t", group: "f32-1t", runtime: "transformers.js", dtype: "fp32", threads: 1, label: "transformers.js fp32" },
  { id: "tjs-q8-1t", group: "int8-1t", runtime: "transformers.js", dtype: "q8", threads: 1, label: "transformers.js q8" },
  { id: "ours-int8-1t", group: "int8-1t", runtime: "ja-rerank", pkg: "pkg", build: "simd", backend: "cpu", threads: 1, batchSize: 4, precision: "int8", model: "stand-in/full-int8", label: "ja-rerank CPU int8 (wasm simd128)" },
  // The relaxed-SIMD build (what Chromium and Firefox get) on one thread, in a Worker: the int8
  // kernel on i32x4.relaxed_dot_i8x16_i7x16_add_s rather than dot_i16x8.
  { id: "ours-int8-1t-relaxed", group: "int8-1t", runtime: "ja-rerank", pkg: "pkg", build: "relaxed", backend: "cpu", threads: 1, worker: true, batchSize: 4, precision: "int8", model: "stand-in/full-int8", label: "ja-rerank CPU int8 (relaxed-SIMD build, in a Worker)" },
  { id: "ours-cpu-2t", group: "f32-2t", runtime: "ja-rerank", pkg: "pkg", build: "threads", backend: "cpu", threads: 2, batchSize: 4, label: "ja-rerank CPU (threads build)" },
  { id: "tjs-fp32-2t", group: "f32-2t", runtime: "transformers.js", dtype: "fp32", threads: 2, label: "transformers.js fp32" },
  { id: "tjs-q8-2t", group: "int8-2t", runtime: "transformers.js", dtype: "q8", threads: 2, label: "transformers.js q8" },
  { id: "ours-int8-2t", group: "int8-2t", runtime: "ja-rerank", pkg: "pkg", build: "threads", backend: "cpu", threads: 2, batchSize: 4, precision: "int8", model: "stand-in/full-int8", label: "ja-rerank CPU int8 (threads build)" },
  // A page without cross-origin isolation (most production pages: COOP/COEP break embeds and
  // pop-ups), small-v1's shape: what the package gave before this layout (the simd128 build, one
  // worker) and gives now (its own choice: the relaxed build, a pool of `threads` workers, default
  // all cores up to 4), against transformers.js on the same page (one ORT thread: no
  // SharedArrayBuffer).
  { id: "open:ours-cpu-before", group: "open-f32", isolated: false, runtime: "ja-rerank", pkg: "pkg", build: "simd", backend: "cpu", threads: 1, worker: true, batchSize: 4, label: "ja-rerank CPU, before (simd128 build, 1 worker)" },
  { id: "open:ours-cpu-after", group: "open-f32", isolated: false, runtime: "ja-rerank", pkg: "pkg", backend: "cpu", worker: true, batchSize: 4, label: "ja-rerank CPU, now (package default: relaxed build, worker pool)" },
  { id: "open:tjs-fp32", group: "open-f32", isolated: false, runtime: "transformers.js", dtype: "fp32", threads: 1, label: "transformers.js fp32" },
  { id: "open:ours-int8-before", group: "open-int8", isolated: false, runtime: "ja-rerank", pkg: "pkg", build: "simd", backend: "cpu", threads: 1, worker: true, batchSize: 4, precision: "int8", model: "stand-in/full-int8", label: "ja-rerank CPU int8, before (simd128 build, 1 worker)" },
  { id: "open:ours-int8-after", group: "open-int8", isolated: false, runtime: "ja-rerank", pkg: "pkg", backend: "cpu", worker: true, batchSize: 4, precision: "int8", model: "stand-in/full-int8", label: "ja-rerank CPU int8, now (package default: relaxed build, worker pool)" },
  { id: "open:tjs-q8", group: "open-int8", isolated: false, runtime: "transformers.js", dtype: "q8", threads: 1, label: "transformers.js q8" },
  // SwiftShader is a software Vulkan: correctness only. A few pairs, few runs.
  { id: "ours-webgpu", runtime: "ja-rerank", pkg: "pkg", backend: "webgpu", threads: 1, batchSize: 4, label: "ja-rerank WebGPU", workloads: { "128": 2 }, runs: 2, warmup: 1, software: true },
  // The v2 rerankers' shapes (ModernBERT stand-ins, tools/fixtures/make_modernbert_full.py), each
  // against transformers.js on its own ONNX export: f32 and int8 on one thread, int8 on two (the
  // rows a page would pick; f32 on two threads is left out to keep the run near an hour).
  ...V2_MODELS.flatMap((m) => {
    const ours = { family: m, runtime: "ja-rerank", backend: "cpu", batchSize: 4, model: `stand-in/${m}` };
    const int8 = { ...ours, precision: "int8", model: `stand-in/${m}-int8` };
    const tjs = { family: m, runtime: "transformers.js", onnx: `stand-in/${m}` };
    return [
      { ...ours, id: `${m}:ours-cpu-1t`, group: `${m}-f32-1t`, pkg: "pkg", build: "simd", threads: 1, label: "ja-rerank CPU (wasm simd128)" },
      { ...tjs, id: `${m}:tjs-fp32-1t`, group: `${m}-f32-1t`, dtype: "fp32", threads: 1, label: "transformers.js fp32" },
      { ...tjs, id: `${m}:tjs-q8-1t`, group: `${m}-int8-1t`, dtype: "q8", threads: 1, label: "transformers.js q8" },
      { ...int8, id: `${m}:ours-int8-1t`, group: `${m}-int8-1t`, pkg: "pkg", build: "simd", threads: 1, label: "ja-rerank CPU int8 (wasm simd128)" },
      { ...int8, id: `${m}:ours-int8-1t-relaxed`, group: `${m}-int8-1t`, pkg: "pkg", build: "relaxed", threads: 1, worker: true, label: "ja-rerank CPU int8 (relaxed-SIMD build, in a Worker)" },
      { ...tjs, id: `${m}:tjs-q8-2t`, group: `${m}-int8-2t`, dtype: "q8", threads: 2, label: "transformers.js q8" },
      { ...int8, id: `${m}:ours-int8-2t`, group: `${m}-int8-2t`, pkg: "pkg", build: "threads", threads: 2, label: "ja-rerank CPU int8 (threads build)" },
    ];
  }),
];
