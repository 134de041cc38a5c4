// Writes BENCHMARKS.md from the results object of bench/run.mjs. Also a CLI, to re-render a saved
// run:  node bench/report.mjs bench/out/results-*.json [OUT.md]
import { readFileSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { exp, f2, firstDifference, maxAbsDiff, mb, mean, mib, planned, sec, sigmoid, table } from "./format.mjs";
import { v2Section } from "./report-v2.mjs";
import { hubSection } from "./report-hub.mjs";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");

export function writeReport(results, outPath, { jsonPath } = {}) {
  const R = results;
  const W = Object.values(R.workloads);
  // The small-v1-shape rows; the v2 shapes' (`family`) have their own section (report-v2.mjs).
  // (and the page without cross-origin isolation, its own section below).
  const configs = (R.browser.configs ?? []).filter((c) => !c.family && c.isolated !== false);
  const byId = Object.fromEntries((R.browser.configs ?? []).map((c) => [c.id, c]));
  const m = (id, w) => byId[id]?.measurements?.[w];
  const cores = R.machine.cores;
  const loads = [R.loadAvg.start, R.loadAvg.afterBrowser, R.loadAvg.end].filter(Boolean).map((l) => l[0]);
  const othersLoad = R.loadAvg.start[0];
  const shared = othersLoad >= 0.5;
  const out = [];
  const p = (...lines) => out.push(...lines);

  p("# Benchmarks: ja-rerank vs transformers.js", "");
  p(`Written by \`bench/run.mjs\` on ${R.startedAt.slice(0, 16).replace("T", " ")} UTC (${(R.wallS / 60).toFixed(0)} min). Do not edit by hand: rerun it.`, "");
  if (R.quick) p("> **Quick smoke run** (`--quick`: 8 pairs per workload, few runs). Not for quoting.", "");
  p("```sh", R.command.includes("--quick") ? R.command : `${R.command}    # BENCH_VENV=/path/to/venv to reuse a Python venv`, "```", "");
  p("All runtimes score the same pairs with the same weights: the **full-size stand-in** (random weights, the exact shape of",
    "`hotchpotch/japanese-reranker-cross-encoder-small-v1`: 12 layers × 384, vocab 250,002; `fixtures/full`), as safetensors",
    "for ja-rerank and exported to ONNX (`bench/export_onnx.py`, opset 17; `q8` = onnxruntime dynamic int8 quantization) for",
    "transformers.js and onnxruntime. Speed does not depend on weight values; scores of random weights mean nothing.", "");

  // ---- machine
  p("## Machine", "");
  const mc = R.machine;
  p(`- CPU: ${mc.cpuModel} (${mc.cpuFlags.join(", ") || "no AVX2/AVX-512 flags"}), ${cores} cores, ${mc.memoryGiB.toFixed(0)} GiB RAM; ${mc.kernel}`);
  p(`- ${mc.chromium ?? "Chromium ?"}, headless, one browser session (persistent profile, fresh per run); Node ${mc.node}`);
  const env = R.browser.environment;
  if (env) {
    p(`- Page: crossOriginIsolated = ${env.crossOriginIsolated}, SharedArrayBuffer ${env.sharedArrayBuffer ? "available" : "missing"}, navigator.hardwareConcurrency = ${env.hardwareConcurrency}`);
    const a = env.webgpuAdapter;
    p(`- WebGPU adapter: ${a ? `${a.vendor || "?"} / ${a.architecture || "?"}${a.description ? ` (${a.description})` : ""}, isFallbackAdapter = ${a.isFallbackAdapter}` : "none"}`);
  }
  p(`- Load average (1 min) before the run ${R.loadAvg.start[0]}, after the browser part ${R.loadAvg.afterBrowser?.[0] ?? "–"}, at the end ${R.loadAvg.end[0]} (${cores} cores; the benchmark itself adds 1–2).`);
  if (shared)
    p("", `> **The machine was shared during this run**: the load average was already ${othersLoad} on ${cores} cores before the benchmark started (other builds/tests). Absolute numbers are lower and noisier than on a quiet machine; ratios measured close together in time are more trustworthy than absolute pairs/s. Per-measurement load averages are in [Run details](#run-details).`);
  p("");

  // ---- main browser table
  p("## Browser: pairs per second", "");
  p("Median of the timed runs after a warm-up; each run is one `score(pairs)` call over the whole workload (tokenizing included).",
    "Rows compared in one ratio below (the same threads and precision family) are loaded side by side, each in its own page, and",
    "their timed runs alternate, so a stretch in which neighbours slow the machine slows both sides of a ratio alike. Runs are",
    "on the page's main thread (the threaded ja-rerank row: in a Worker, through `RerankerWorker`, as wasm threads must). Workloads: 1 query × 32 passages at ~128 and ~256 tokens per pair (`fixtures/bench/`), and a",
    "JaCWIR-like one, 1 query × 100 short passages at 60–100 tokens (`bench/data/pairs-jacwir.jsonl`). Higher is better.",
    "The package has three builds (its entry picks one per page; the rows force one): *simd* (plain simd128, every engine),",
    "*relaxed* (multiply-adds by relaxed SIMD's `f32x4.relaxed_madd`, FMA) and *threads* (relaxed, plus wasm threads: whole",
    "batches of 4 pairs side by side, one per thread, on a cross-origin-isolated page).",
    "The int8 rows load the stand-in converted by `ja-rerank convert --dtype int8` (`stand-in/full-int8`: int8 Linear weights and",
    "word embeddings with per-row scales) with `precision: \"int8\"`: int8 weights × int8 activations (quantized per token on",
    "the fly, 7 bits with a zero point) summed in i32 with `i32x4.dot_i16x8_s` (the threaded build: `i32x4.relaxed_dot_i8x16_i7x16_add_s`),",
    "as transformers.js's q8 (onnxruntime's dynamic quantization) does in its way.", "");
  const head = ["runtime", "threads", ...W.map((w) => `${w.label} (${w.pairs} pairs)`), "load (weights from)", "wasm memory"];
  const rows = [];
  for (const c of configs) {
    const name = c.software ? `${c.label} — **SwiftShader (software), correctness only, not GPU speed**` : c.label;
    const threads = c.backend === "webgpu" ? "–" : String(c.threads);
    if (c.skipped) {
      rows.push([name, threads, ...W.map(() => "not built"), `(${c.skipped}: build a threaded package there to fill this row)`, ""]);
      continue;
    }
    if (c.error) {
      rows.push([name, threads, ...W.map(() => "failed"), c.error.slice(0, 120).replace(/\|/g, "\\|"), ""]);
      continue;
    }
    const cells = W.map((w) => {
      const x = c.measurements[w.id];
      if (!x) return "–";
      const part = x.pairs !== w.pairs ? ` (${x.pairs} pairs)` : "";
      return `**${f2(x.pairsPerS)}**${part}`;
    });
    const ld = c.load ? `${sec(c.load.totalMs)} (${c.load.weightsFrom === "Cache Storage" ? "Cache Storage" : "network"})` : "–";
    rows.push([name, threads, ...cells, ld, mib(c.wasmMemory?.largestBytes)]);
  }
  p(table(head, rows), "");
  p("- **load**: from importing the JS to a ready model in a fresh page: wasm compile + fetching the weights from the local",
    "  server (`network`) or from Cache Storage (both libraries cache the weights by default; the first page to load a file",
    "  pays the download and the cache write) + building the model / ORT session.",
    "- **wasm memory**: size of the runtime's WebAssembly linear memory after the timed runs (it only grows, so this is the",
    "  peak). ja-rerank: its module's memory (also `reranker.info.wasmMemoryBytes`); transformers.js: ORT-web's memory, caught",
    "  by wrapping `WebAssembly.Memory` in the page. JS-heap copies outside wasm are not counted for either.", "");

  // ---- ratios
  p("### Ratio ours / transformers.js (like with like)", "");
  const ratioRows = [];
  const ratio = (a, b, label) => {
    const ca = byId[a], cb = byId[b];
    const cells = W.map((w) => {
      const x = m(a, w.id), y = m(b, w.id);
      if (x && y && x.pairs === y.pairs) return `${(x.pairsPerS / y.pairsPerS).toFixed(2)}×`;
      if (ca?.skipped) return "pending";
      return "–";
    });
    ratioRows.push([label, ...cells]);
  };
  ratio("ours-cpu-1t", "tjs-fp32-1t", "ja-rerank 1 thread / transformers.js fp32, numThreads 1");
  ratio("ours-cpu-2t", "tjs-fp32-2t", "ja-rerank threads (2) / transformers.js fp32, numThreads 2");
  ratio("ours-cpu-1t", "tjs-q8-1t", "ja-rerank 1 thread (fp32) / transformers.js q8, numThreads 1 (not like with like: int8)");
  ratio("ours-cpu-2t", "tjs-q8-2t", "ja-rerank threads (2, fp32) / transformers.js q8, numThreads 2 (int8)");
  ratio("ours-int8-1t", "tjs-q8-1t", "**ja-rerank int8, 1 thread / transformers.js q8, numThreads 1** (like with like: int8)");
  ratio("ours-int8-1t-relaxed", "tjs-q8-1t", "**ja-rerank int8, 1 thread, relaxed-SIMD build / transformers.js q8, numThreads 1** (int8)");
  ratio("ours-int8-2t", "tjs-q8-2t", "**ja-rerank int8, threads (2) / transformers.js q8, numThreads 2** (int8)");
  ratio("ours-int8-1t", "ours-cpu-1t", "ja-rerank int8 / ja-rerank f32, 1 thread (what int8 arithmetic buys)");
  ratio("ours-int8-2t", "ours-cpu-2t", "ja-rerank int8 / ja-rerank f32, threads (2)");
  p(table(["comparison", ...W.map((w) => w.label)], ratioRows), "");

  openSection(R, p, { W, byId });

  v2Section(R, p, { W, byId, smallV1: byId["ours-int8-1t-relaxed"] });

  // ---- tokens
  p("## Tokens fed", "");
  p("Same text, counted per runtime. *Reference* = Python `tokenizers` on `fixtures/full/tokenizer.json` with `longest_first`",
    "truncation at 512, which ja-rerank's tokenizer matches id for id (parity tests" +
    (Object.values(R.tokens).some((t) => t.cli) ? "; the CLI's `--with-ids` output is compared below too" : "") +
    "). transformers.js: the ids its tokenizer produced in the page (`attention_mask` rows). *Fed* counts padding: ja-rerank",
    "sorts pairs by length and pads each batch of 4 to its longest pair; transformers.js pads the whole call to the longest pair.", "");
  const tokRows = [];
  for (const w of W) {
    const t = R.tokens[w.id];
    if (!t) continue;
    const ref = t.reference;
    const lens = ref.map((x) => x.length);
    const ours = byId["ours-cpu-1t"];
    const oursFed = planned(lens, ours?.batchSize ?? 4);
    const tj = m("tjs-fp32-1t", w.id)?.tokens ?? m("tjs-q8-1t", w.id)?.tokens;
    let diff = "–";
    if (tj) {
      const bad = tj.ids.map((ids, i) => firstDifference(ids, ref[i] ?? [])).filter((d) => d >= 0).length;
      diff = bad === 0 ? "identical" : `${bad} of ${ref.length} pairs differ`;
    }
    let cli = "–";
    if (t.cli) {
      const bad = t.cli.map((ids, i) => firstDifference(ids, ref[i] ?? [])).filter((d) => d >= 0).length;
      cli = bad === 0 ? "identical" : `${bad} differ`;
    }
    tokRows.push([
      `${w.label} (${ref.length} pairs)`,
      `${mean(lens).toFixed(1)} (${Math.min(...lens)}–${Math.max(...lens)})`,
      `${(oursFed / lens.length).toFixed(1)}`,
      tj ? `${mean(tj.ids.map((x) => x.length)).toFixed(1)}` : "–",
      tj ? `${(tj.fed / tj.ids.length).toFixed(1)} (${tj.shape.join(" × ")})` : "–",
      diff,
      cli,
    ]);
  }
  p(table(["workload", "reference tokens/pair (min–max)", "ja-rerank fed/pair", "transformers.js tokens/pair", "transformers.js fed/pair (shape)", "transformers.js ids vs reference", "ja-rerank CLI ids vs reference"], tokRows), "");

  // ---- correctness
  p("## Agreement of scores", "");
  p("Max |Δscore| (score = sigmoid(logit)) against ja-rerank's CPU scores in the same browser, on the same pairs.", "");
  const agreeRows = [];
  const ref = (w) => m("ours-cpu-1t", w)?.scores;
  for (const c of configs) {
    if (c.id === "ours-cpu-1t" || !c.measurements) continue;
    agreeRows.push([c.software ? `${c.label} (SwiftShader)` : `${c.label}, ${c.threads} thread${c.threads > 1 ? "s" : ""}`,
      ...W.map((w) => exp(maxAbsDiff(c.measurements[w.id]?.scores, ref(w.id))))]);
  }
  const py = R.native?.python?.results ?? [];
  const torch4 = (w) => py.find((r) => r.runtime === "torch" && r.workload === w && r.batch_size === 4);
  if (py.length)
    agreeRows.push(["PyTorch (native, batch 4)", ...W.map((w) => {
      const t = torch4(w.id);
      return t ? exp(maxAbsDiff(t.logits.map(sigmoid), ref(w.id))) : "–";
    })]);
  p(table(["runtime", ...W.map((w) => w.label)], agreeRows), "");
  p("fp32 runtimes should agree to ~1e-5. The q8 model's int8 weights move scores by up to ~0.2 on these random weights",
    "(measured against PyTorch by `bench/export_onnx.py` too); how far it moves the real model's rankings is not measured here.", "");

  // ---- sizes
  p("## Download size", "");
  const sz = R.sizes;
  if (sz?.builds) {
    const sizeRows = [];
    const size = (bytes) => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(0)} kB` : mb(bytes));
    const add = (who, files) => files && files.forEach((f) => sizeRows.push([who, `\`${f.path}\``, size(f.raw), size(f.gzip), f.brotli ? size(f.brotli) : "–"]));
    const what = { simd: "WebGPU + CPU, every engine", relaxed: "WebGPU + CPU, relaxed SIMD", "cpu-simd": "CPU only", "cpu-relaxed": "CPU only, relaxed SIMD", threads: "CPU only, wasm threads, isolated pages" };
    for (const [b, f] of Object.entries(sz.builds)) add(`ja-rerank, ${b} build (${what[b] ?? "?"})`, [f]);
    add("ja-rerank JS (loaded with any build)", sz.js);
    add("transformers.js", sz.transformersJs);
    p("A page fetches one of ja-rerank's wasm builds (the package entry picks it; README, \"Builds\") and its JS.", "");
    p(table(["runtime", "file", "raw", "gzip -9", "brotli 11"], sizeRows), "");
    p(`transformers.js fetched: ${sz.fetchedByTransformersJs.map((x) => `\`${x}\``).join(", ")} (ORT-web's default wasm for`,
      "transformers.js 4.x is the asyncify build, normally from jsDelivr; here served locally via `env.backends.onnx.wasm.wasmPaths`).",
      "Weights are not included: 471 MB safetensors (f32) / 121 MB (int8, `ja-rerank convert`) for ja-rerank, 471 MB (fp32) / 118 MB (q8)",
      "ONNX for transformers.js.", "");
  }

  // ---- first visits
  const fv = R.firstVisit;
  if (fv) {
    p("## First visit: bytes and time to the first result (word-embedding rows on demand)", "");
    if (fv.skipped) p(`Not measured: ${fv.skipped}.`, "");
    else {
      p("A fresh browser profile per row (empty Cache Storage), the files served as a CDN serves them (`tools/serve.mjs --gzip`:",
        "JSON, JS and wasm gzipped; safetensors and ONNX as they are), bytes counted by Chromium. ja-rerank reads the **spread",
        "stand-in** (small-v1's exact shape; its tokenizer's pieces spread over all 250,002 ids, as a real vocabulary spreads",
        "Japanese pieces) on the CPU, one thread; \"lazy\" = `rows: \"lazy\"` (the default: every tensor but the word embeddings",
        "by HTTP Range, then the rows each call lacks), \"eager\" = `rows: \"eager\"` (the whole file). Model = the Hub files",
        "(config, tokenizer, weights), code = the package (JS + wasm). MB = 10⁶ bytes; sent = compressed as on the wire,",
        "decoded = after decompression. \"lazy, int8\" = the spread stand-in converted by `ja-rerank convert --dtype int8`",
        "(`stand-in/spread-int8`, int8 Linear weights and word-embedding rows with their scales) loaded with `precision: \"int8\"`.", "");
      const rows = fv.workloads.map((w) => {
        const l = w.lazy.first.atFirst, e = w.eager.first.atFirst, last = w.lazy.first.cumulative.at(-1);
        const i8 = w.lazyInt8?.first.atFirst;
        return [w.label, `${mb(l.model.sent + l.code.sent)} (model ${mb(l.model.sent)}, code ${mb(l.code.sent)})`,
          i8 ? `**${mb(i8.model.sent + i8.code.sent)}** (model ${mb(i8.model.sent)}, code ${mb(i8.code.sent)})` : "–",
          mb(l.model.decoded + l.code.decoded), `${mb(e.model.sent + e.code.sent)}`,
          w.calls > 1 ? `${mb(last.model.sent + last.code.sent)} after ${w.calls} calls` : "–",
          `${w.lazy.second.atFirst.model.sent} B (${w.lazy.second.atFirst.model.requests} requests)`, w.bitIdentical ? "yes" : "**no**"];
      });
      p(table(["workload", "lazy: sent to the first result", "lazy, int8: sent to the first result", "lazy: decoded", "eager: sent", "lazy: cumulative",
        "second visit: model bytes", "scores lazy = eager, bit for bit"], rows), "");
      const t = fv.throttle;
      p(`Time to the first result (32 pairs of ~128 tokens) with Chromium's network emulation at ${t.downloadThroughput * 8 / 1e6} Mbit/s and`,
        `${t.latency} ms latency, from the call that loads the library to the scores:`, "");
      const split = fv.throttled.every((r) => r.loadMs != null);
      p(table(["runtime", "first result", ...(split ? ["of which: load", "first call"] : []), "sent: model", "sent: code", "model requests"], fv.throttled.map((r) => [
        r.rows ? `ja-rerank${r.int8 ? " int8" : ""}, rows ${r.rows}` : r.runtime, sec(r.firstResultMs), ...(split ? [sec(r.loadMs), sec(r.firstCallMs)] : []),
        mb(r.atFirst.model.sent), mb(r.atFirst.code.sent), r.atFirst.model.requests])), "");
      p("With rows on demand the first call waits for its rows: ~1,000 single-range requests for 32 pairs (rows of a spread",
        "vocabulary rarely share a request; merging across wider gaps costs far more bytes than it saves requests). Over HTTP/1.1",
        "(tools/serve.mjs) Chromium sends at most 6 at a time; the Hub's CDN speaks HTTP/2, where the 16 in flight share one connection.", "");
    }
  }

  // ---- on a Hub-like server
  if (R.hubVisit) hubSection(R.hubVisit, p);

  // ---- quality
  const Q = R.quality;
  if (Q) {
    p("## What f16 and int8 cost in ranking quality", "");
    p("Written by `bench/quality.py` (the ja-rerank rows by the CLI, `ja-rerank score`; the q8 row by onnxruntime on the graph",
      "transformers.js runs: exported and quantized as for the speed rows above, ids from Python `tokenizers`). All **stand-ins**.",
      "**Trained stand-in** (`fixtures/models/ranker`, 2 × 128, trained here on man pages) on its held-out set: " +
      `${Q.trained.variants["ja-rerank f32"].queries} queries, BM25's top 50 each (${Q.trained.variants["ja-rerank f32"].pairs} pairs). ` +
      "Δscore and agreement are against ja-rerank f32 (which equals PyTorch to ~1e-6).", "");
    const fmt = (x) => (x === 0 ? "0" : x.toExponential(1));
    const sz = Q.trained.sizes;
    const size = (name) => name.includes("q8") ? sz["q8 onnx"] : name.includes("f16 file") ? sz.f16 : name.includes("int8 file") || name === "ja-rerank int8 file" ? sz.int8 : sz.f32;
    p(table(["ranking", "weights file", "NDCG@10", "MRR@10", "max \\|Δscore\\|", "mean \\|Δscore\\|", "top-1 = f32's", "top-10 set = f32's"], [
      ["BM25 alone (the candidates' order)", "–", Q.trained.bm25["ndcg@10"].toFixed(4), Q.trained.bm25["mrr@10"].toFixed(4), "–", "–", "–", "–"],
      ...Object.entries(Q.trained.variants).map(([name, v]) => [name, mb(size(name)), `**${v["ndcg@10"].toFixed(4)}**`, v["mrr@10"].toFixed(4),
        fmt(v.max_abs_score_diff), fmt(v.mean_abs_score_diff), `${v.top1_agree}/${v.queries}`, `${v.top10_agree}/${v.queries}`]),
    ]), "");
    p("**Random full-size stand-in** (`fixtures/full`, small-v1's shape; random weights rank nothing, so only the rounding is",
      `shown), on the ~128- and ~256-token benchmark pairs (${Object.values(Q.full)[0]?.pairs} pairs), against ja-rerank f32:`, "");
    p(table(["variant", "max \\|Δscore\\|", "mean \\|Δscore\\|"], Object.entries(Q.full).map(([name, v]) => [name, fmt(v.max_abs_score_diff), fmt(v.mean_abs_score_diff)])), "");
    p("f16 files are dequantized as they load (f32 arithmetic); int8 files too at precision f32. Precision int8 quantizes the",
      "Linear weights per output channel and the activations per token and multiplies in int8 (attention, softmax, LayerNorm and",
      "the head stay f32). Precision f16 casts the encoder's Linear weights to f16 and multiplies in f16 (burn-flex here; WebGPU",
      "with shader-f16 in the browser, summing in its own order). The random stand-ins' weights are scaled so that scores spread,",
      "which magnifies every rounding.", "");
  }

  // ---- long passages (bench/long.mjs, run by run.mjs: its own table, kept as it printed it)
  if (R.long) {
    p("## Long passages: ~512, ~2,048 and ~8,192 tokens (tiny-v2, xsmall-v2)", "", R.long.trim(), "");
  }

  // ---- native
  p("## Native, for context (same machine, one thread)", "");
  const nat = R.native ?? {};
  const nrows = [];
  const nw = [...new Set([...(nat.cli?.rows ?? []).map((r) => r.workload), ...py.map((r) => r.workload)])];
  if (nat.cli?.rows) {
    for (const bs of [...new Set(nat.cli.rows.map((r) => r.batchSize))])
      nrows.push([`ja-rerank CLI (burn-flex, RAYON_NUM_THREADS=1)`, bs, ...nw.map((w) => f2(nat.cli.rows.find((r) => r.workload === w && r.batchSize === bs)?.pairsPerS))]);
  }
  const labels = { torch: `PyTorch ${nat.python?.versions?.torch ?? ""} (set_num_threads(1))`, "ort-fp32": `onnxruntime ${nat.python?.versions?.onnxruntime ?? ""} fp32 (intra_op_num_threads=1)`, "ort-q8": `onnxruntime ${nat.python?.versions?.onnxruntime ?? ""} q8` };
  for (const rt of ["torch", "ort-fp32", "ort-q8"])
    for (const bs of [...new Set(py.filter((r) => r.runtime === rt).map((r) => r.batch_size))])
      nrows.push([labels[rt], bs, ...nw.map((w) => f2(py.find((r) => r.runtime === rt && r.workload === w && r.batch_size === bs)?.pairs_per_s))]);
  if (nrows.length) {
    p(table(["runtime", "batch", ...nw.map((w) => `${R.workloads[w].label} (${R.workloads[w].pairs} pairs)`)], nrows), "");
    p("Pairs sorted longest first and cut into batches (ja-rerank's plan), each padded to its longest pair; ids from Python",
      "`tokenizers`; median of the timed runs after a warm-up, tokenizing included. The CLI's time is its own \"scored N pairs",
      "in X s\" (model loading excluded), one process per run.", "");
  }
  if (nat.cli?.missing) p(`ja-rerank CLI: skipped — ${nat.cli.missing}.`, "");

  // ---- notes
  p("## Notes", "");
  const tjs = configs.find((c) => c.runtime === "transformers.js" && c.describe);
  if (tjs)
    p(`- transformers.js ${tjs.describe.tjsVersion}, ORT-web ${tjs.describe.ortVersion}, \`device: "wasm"\`, \`env.backends.onnx.wasm.numThreads\` = 1 or 2`,
      "  on a cross-origin-isolated page. Cross-encoder use: `AutoTokenizer` + `AutoModelForSequenceClassification`,",
      "  `tokenizer(queries, { text_pair: passages, padding: true, truncation: true })`, `model(inputs).logits`.");
  for (const c of configs.filter((c) => c.runtime === "transformers.js" && c.describe)) {
    if (c.describe.numThreadsAfterInit !== c.threads)
      p(`- **${c.id}: asked for ${c.threads} threads, ORT ran with ${c.describe.numThreadsAfterInit}** (fell back).`);
  }
  const ours = byId["ours-cpu-1t"];
  if (ours?.load?.info)
    p(`- ja-rerank: \`Reranker.load({ backend: "cpu", batchSize: ${ours.batchSize} })\` (the CPU default batch size), single-threaded wasm with simd128;`,
      `  load split: wasm init ${sec(ours.load.initMs)}, fetch ${sec(ours.load.info.fetchMs)}, build ${sec(ours.load.info.buildMs)}.`);
  const gpu = byId["ours-webgpu"];
  if (gpu && !gpu.skipped)
    p(`- WebGPU: ${gpu.measurements?.["128"]?.pairs ?? "?"} pairs of the ~128-token workload, ${gpu.runs} runs after ${gpu.warmup} warm-up,`,
      "  on SwiftShader — Chromium's *software* Vulkan on the CPU (`--enable-unsafe-webgpu`; this machine has no GPU). It shows",
      "  the WebGPU path runs and agrees with the CPU; its speed says nothing about a real GPU.");
  const warn = configs.flatMap((c) => (c.console ?? []).map((l) => `${c.id}: ${l}`)).filter((l) => !/Please consider|powerPreference/.test(l));
  if (warn.length) p(`- Console warnings/errors: ${warn.slice(0, 8).map((l) => `\`${l.slice(0, 200).replace(/`/g, "'")}\``).join("; ")}`);
  p("");

  // ---- details
  p("## Run details", "");
  const drows = [];
  for (const c of R.browser.configs ?? [])
    for (const w of W) {
      const x = c.measurements?.[w.id];
      if (!x) continue;
      drows.push([c.id, w.id, x.pairs, `${x.warmup} + ${x.runs}`, x.timesMs.map((t) => (t / 1000).toFixed(2)).join(", "),
        `${f2(x.pairsPerS)} (${f2(x.minPairsPerS)}–${f2(x.maxPairsPerS)})`, `${x.loadAvg[0][0]} → ${x.loadAvg[1][0]}`]);
    }
  for (const r of nat.cli?.rows ?? [])
    drows.push([`native-cli b${r.batchSize}`, r.workload, r.pairs, `${R.warmup} + ${r.times_s.length}`, r.times_s.map((t) => t.toFixed(2)).join(", "), f2(r.pairsPerS), ""]);
  for (const r of py)
    drows.push([`native-${r.runtime} b${r.batch_size}`, r.workload, r.pairs, `1 + ${r.times_s.length}`, r.times_s.map((t) => t.toFixed(2)).join(", "), f2(r.pairs_per_s), ""]);
  p(table(["config", "workload", "pairs", "warm-up + runs", "run times (s)", "pairs/s median (min–max)", "load avg (1 min) before → after"], drows), "");
  if (jsonPath) p(`Raw results: \`${relative(ROOT, jsonPath)}\` (not committed).`, "");
  writeFileSync(outPath, out.join("\n"));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [json, outPath = resolve(ROOT, "BENCHMARKS.md")] = process.argv.slice(2);
  writeReport(JSON.parse(readFileSync(json, "utf8")), resolve(outPath), { jsonPath: resolve(json) });
}

// A page without cross-origin isolation (most production pages): before (the simd128 build, one
// worker: what the package gave until it picked builds) and now (the package's own choice), like
// with like against transformers.js on the same page.
function openSection(R, p, { W, byId }) {
  const ids = ["open:ours-cpu-before", "open:ours-cpu-after", "open:tjs-fp32", "open:ours-int8-before", "open:ours-int8-after", "open:tjs-q8"];
  if (!ids.some((id) => byId[id])) return;
  p("## A page without cross-origin isolation: before and now", "");
  p("Most production pages cannot send COOP/COEP (they break embeds, OAuth pop-ups, ads), so they get no `SharedArrayBuffer`:",
    "no wasm threads for either library. Same pages as above but served without COOP/COEP (`?isolated=0`), small-v1's shape.",
    "*Before*: the package's only build until now (plain simd128) in one `RerankerWorker`. *Now*: `RerankerWorker.load()`",
    "with nothing forced: the package picks the relaxed build and runs `threads` workers (default: all cores, at most 4),",
    "each its own instance, sharing each call's pairs; measured once all have loaded. transformers.js runs one ORT thread",
    "on such a page. Pairs/s, median of the timed runs; ratios on the right.", "");
  const rows = ids.map((id) => {
    const c = byId[id];
    if (!c) return null;
    const workers = c.load?.workers ?? (c.runtime === "ja-rerank" ? 1 : "–");
    const cells = W.map((w) => (c.error ? "failed" : c.measurements?.[w.id] ? `**${f2(c.measurements[w.id].pairsPerS)}**` : "–"));
    const mem = c.load?.workers > 1 ? `${mib(c.wasmMemory?.largestBytes)} × ${c.load.workers}` : mib(c.wasmMemory?.largestBytes);
    return [c.label, String(workers), ...cells, mem];
  }).filter(Boolean);
  p(table(["runtime", "workers", ...W.map((w) => w.label), "wasm memory"], rows), "");
  const r = (a, b) => W.map((w) => {
    const x = byId[a]?.measurements?.[w.id], y = byId[b]?.measurements?.[w.id];
    return x && y && x.pairs === y.pairs ? `${(x.pairsPerS / y.pairsPerS).toFixed(2)}×` : "–";
  });
  p(table(["comparison", ...W.map((w) => w.label)], [
    ["f32 now / before", ...r("open:ours-cpu-after", "open:ours-cpu-before")],
    ["f32 before / transformers.js fp32", ...r("open:ours-cpu-before", "open:tjs-fp32")],
    ["**f32 now / transformers.js fp32**", ...r("open:ours-cpu-after", "open:tjs-fp32")],
    ["int8 now / before", ...r("open:ours-int8-after", "open:ours-int8-before")],
    ["int8 before / transformers.js q8", ...r("open:ours-int8-before", "open:tjs-q8")],
    ["**int8 now / transformers.js q8**", ...r("open:ours-int8-after", "open:tjs-q8")],
  ]), "");
}
