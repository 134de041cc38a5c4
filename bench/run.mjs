#!/usr/bin/env node
// ja-rerank vs transformers.js on the same weights, inputs and browser, plus native context
// (ja-rerank CLI, PyTorch, onnxruntime). Writes BENCHMARKS.md and bench/out/results-*.json.
//
//   node bench/run.mjs            the full run (~55 min on 2 cores, 2026-12-06); writes BENCHMARKS.md
//   node bench/run.mjs --quick    a smoke run (8 pairs per workload, 2 runs); writes bench/out/quick.md
//
// Options: --runs N (timed runs per measurement, default 5; quick 2), --warmup N (default 1),
// --out FILE, --skip-native, --skip-browser, --skip-first-visit, --skip-quality, --no-webgpu, --only ID,ID (browser configs by id,
// --before-pkg DIR (an earlier package, for the Hub-like session's "before" row),
// e.g. ours-cpu-1t,tjs-fp32-1t). Environment: CHROMIUM (default /usr/bin/chromium), BENCH_VENV
// (an existing Python virtualenv with bench/requirements.txt; else bench/run-python makes one).
// bench/README.md says what each number means.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { BROWSER, BUILDS, V2_MODELS } from "./configs.mjs";
import { startServer } from "../tools/serve.mjs";
import { firstVisits, hubVisits } from "./first-visit.mjs";
import { writeReport } from "./report.mjs";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const BENCH = join(ROOT, "bench");
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const QUICK = flag("quick");
const RUNS = Number(opt("runs", QUICK ? 2 : 5));
const WARMUP = Number(opt("warmup", 1));
const OUT = resolve(opt("out", QUICK ? join(BENCH, "out/quick.md") : join(ROOT, "BENCHMARKS.md")));
const ONLY = opt("only", null)?.split(",");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
// The CLI as `cargo build --release` leaves it (CARGO_TARGET_DIR respected).
const CLI = join(process.env.CARGO_TARGET_DIR ?? join(ROOT, "target"), "release/ja-rerank");
const MODEL_DIR = join(ROOT, "fixtures/full");
const started = new Date();
const log = (...a) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s]`, ...a);

// ---------------------------------------------------------------------------------------------
// Workloads: 1 query × n passages each. Quick runs keep the first 8 pairs.
const readPairs = (file) =>
  readFileSync(join(ROOT, file), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
const WORKLOADS = [
  { id: "128", file: "fixtures/bench/pairs-128.jsonl", label: "~128 tokens" },
  { id: "256", file: "fixtures/bench/pairs-256.jsonl", label: "~256 tokens" },
  { id: "jacwir", file: "bench/data/pairs-jacwir.jsonl", label: "JaCWIR-like, 60–100 tokens" },
];

const NATIVE_BATCH_SIZES = [4, 32];
const NATIVE_WORKLOADS = ["128", "256"];

// ---------------------------------------------------------------------------------------------
function sh(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 30, ...options });
  if (r.error) throw r.error;
  return r;
}
function need(cond, message) {
  if (!cond) {
    console.error(`bench/run.mjs: ${message}`);
    process.exit(2);
  }
}
function python(script, args, { capture = true } = {}) {
  const r = sh(join(BENCH, "run-python"), [script, ...args], { stdio: ["ignore", capture ? "pipe" : "inherit", "inherit"] });
  if (r.status !== 0) throw new Error(`bench/run-python ${script} failed (${r.status})`);
  return r.stdout;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const gz = (path) => {
  const bytes = readFileSync(path);
  const brotli = brotliCompressSync(bytes, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length;
  return { path: path.slice(ROOT.length + 1), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli };
};

function machine() {
  const lscpu = sh("lscpu", []).stdout ?? "";
  const field = (name) => lscpu.match(new RegExp(`^${name}:\\s*(.*)$`, "m"))?.[1]?.trim();
  let chromiumVersion = null;
  try {
    chromiumVersion = execFileSync(CHROMIUM, ["--version"], { encoding: "utf8" }).trim();
  } catch {}
  return {
    cpuModel: field("Model name") ?? cpus()[0]?.model,
    cpuFlags: ["avx2", "avx512f", "fma"].filter((f) => new RegExp(`\\b${f}\\b`).test(field("Flags") ?? "")),
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    freeMemoryGiB: freemem() / 2 ** 30,
    kernel: sh("uname", ["-sr"]).stdout.trim(),
    node: process.version,
    chromium: chromiumVersion,
  };
}
const load = () => loadavg().map((x) => Number(x.toFixed(2)));

// ---------------------------------------------------------------------------------------------
// Preflight: what the run needs, made when it can be made here.
need(BUILDS.every((b) => existsSync(join(ROOT, `pkg/ja_rerank_${b}_bg.wasm`))), "pkg/ is missing a build: build it with scripts/build-package.sh");
need(existsSync(join(MODEL_DIR, "model.safetensors")), "fixtures/full is missing: make it with tools/fixtures/run make_full.py");
need(existsSync(join(BENCH, "node_modules/@huggingface/transformers")) && existsSync(join(BENCH, "node_modules/playwright-core")),
  "bench/node_modules is missing: (cd bench && ONNXRUNTIME_NODE_INSTALL=skip npm ci)");
need(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM)`);
for (const name of ["full", ...V2_MODELS]) {
  need(existsSync(join(ROOT, `fixtures/${name}/model.safetensors`)),
    `fixtures/${name} is missing: make it with tools/fixtures/run ${name === "full" ? "make_full.py" : "make_modernbert_full.py"}`);
  const stamp = join(BENCH, `models/stand-in/${name}/export.json`);
  const src = statSync(join(ROOT, `fixtures/${name}/model.safetensors`), { bigint: true });
  const s = existsSync(stamp) ? JSON.parse(readFileSync(stamp, "utf8")).source : null;
  if (!s || BigInt(s.size) !== src.size || BigInt(s.mtime_ns) !== src.mtimeNs) {
    log(`exporting fixtures/${name} to ONNX (bench/export_onnx.py)`);
    python("export_onnx.py", [name], { capture: false });
  }
}
// The int8 rows read small-v1's shape converted by the CLI (`ja-rerank convert --dtype int8`):
// like transformers.js's q8, a smaller file and int8 arithmetic.
for (const name of ["full", "spread", ...V2_MODELS]) {
  const out = join(ROOT, `target/compact/${name}-int8`);
  const src = join(ROOT, `fixtures/${name}/model.safetensors`);
  if (existsSync(src) && (!existsSync(join(out, "model.safetensors")) || statSync(join(out, "model.safetensors")).mtimeMs < statSync(src).mtimeMs)) {
    need(existsSync(CLI), `${CLI} is missing: cargo build --release (it converts fixtures/${name} to int8)`);
    log(`converting fixtures/${name} to int8 (ja-rerank convert) into target/compact/${name}-int8`);
    const r = sh(CLI, ["convert", "--model", join(ROOT, `fixtures/${name}`), "--dtype", "int8", "--out", out]);
    if (r.status !== 0) throw new Error(`ja-rerank convert failed: ${r.stderr}`);
  }
}
if (!existsSync(join(BENCH, "data/pairs-jacwir.jsonl"))) {
  log("making bench/data/pairs-jacwir.jsonl (bench/make_jacwir.py)");
  python("make_jacwir.py", [], { capture: false });
}

const workloads = Object.fromEntries(
  WORKLOADS.map((w) => {
    const all = readPairs(w.file);
    return [w.id, { ...w, pairs: QUICK ? all.slice(0, 8) : all }];
  }),
);
const results = {
  startedAt: started.toISOString(),
  quick: QUICK,
  runs: RUNS,
  warmup: WARMUP,
  command: `node bench/run.mjs ${argv.join(" ")}`.trim(),
  machine: machine(),
  loadAvg: { start: load() },
  workloads: Object.fromEntries(Object.values(workloads).map((w) => [w.id, { id: w.id, file: w.file, label: w.label, pairs: w.pairs.length }])),
  tokens: {},
  tokensV2: {},
  browser: { configs: [] },
  native: { cli: null, python: null },
  sizes: {},
};
log(`machine: ${results.machine.cpuModel}, ${results.machine.cores} cores, load ${results.loadAvg.start.join(" ")}`);

// Reference ids (Python tokenizers on fixtures/full/tokenizer.json, = ja-rerank's by the parity
// tests; checked against the CLI's --with-ids below when the binary exists).
{
  const files = Object.values(workloads).map((w) => join(ROOT, w.file));
  const out = JSON.parse(python("native.py", ["--ids", "--pairs", files.join(",")]));
  for (const w of Object.values(workloads)) {
    results.tokens[w.id] = { reference: out.ids[join(ROOT, w.file)].slice(0, w.pairs.length) };
  }
  // The same text through each v2 stand-in's tokenizer (at its 8,192-token limit).
  for (const m of V2_MODELS) {
    const ids = JSON.parse(python("native.py", ["--ids", "--model", m, "--pairs", files.join(",")])).ids;
    results.tokensV2[m] = Object.fromEntries(Object.values(workloads).map((w) => [w.id, { reference: ids[join(ROOT, w.file)].slice(0, w.pairs.length) }]));
  }
}

// Snapshot the packages: the build may be rewritten while we run.
const snapshot = mkdtempSync(join(tmpdir(), "ja-rerank-bench-pkg-"));
cpSync(join(ROOT, "pkg"), join(snapshot, "pkg"), { recursive: true });

// ---------------------------------------------------------------------------------------------
async function runBrowser() {
  const requests = [];
  const server = await startServer({
    port: 0,
    hub: true,
    mounts: [
      ["/pkg/", join(snapshot, "pkg")],
      ["/ort/", join(BENCH, "node_modules/onnxruntime-web/dist")],
      ["/tjs/", join(BENCH, "node_modules/@huggingface/transformers/dist")],
      ["/models/", join(BENCH, "models")],
      ["/", join(BENCH, "page")],
    ].sort((a, b) => b[0].length - a[0].length),
  });
  server.prependListener("request", (req) => requests.push(decodeURIComponent(new URL(req.url, "http://x").pathname)));
  const origin = `http://127.0.0.1:${server.address().port}`;
  // A persistent profile (incognito contexts refuse to cache a 470 MB file), fresh each run.
  const profile = mkdtempSync(join(tmpdir(), "ja-rerank-bench-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--enable-unsafe-webgpu", "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
    ],
  });
  // A fresh page with `config`'s runtime loaded: { config, page, entry, consoleLines } (entry.error on failure).
  async function loadConfig(config) {
    const page = await context.newPage();
    const consoleLines = [];
    page.on("console", (m) => ["warning", "error"].includes(m.type()) && consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
    const isolated = config.isolated ?? true;
    await page.goto(`${origin}/bench.html${isolated ? "" : "?isolated=0"}`);
    await page.waitForFunction(() => window.benchReady);
    const env = await page.evaluate(() => window.bench.environment());
    if (isolated) results.browser.environment ??= env;
    if (env.crossOriginIsolated !== isolated) throw new Error(`the bench page is ${isolated ? "not " : ""}cross-origin isolated, unlike ${config.id} asks`);
    const entry = { ...config, loadAvgStart: load(), measurements: {} };
    delete entry.needs;
    const firstRequest = requests.length;
    log(`${config.id}: loading`);
    try {
      entry.load =
        config.runtime === "ja-rerank"
          ? await page.evaluate((o) => window.bench.loadJaRerank(o), {
              pkgUrl: `/${config.pkg}`, hubUrl: `${origin}/hub`, model: config.model ?? "stand-in/full", backend: config.backend,
              batchSize: config.batchSize, threads: config.threads, worker: config.worker, precision: config.precision, build: config.build,
            })
          : await page.evaluate((o) => window.bench.loadTransformersJs(o), {
              tjsUrl: "/tjs/transformers.min.js", ortUrl: `${origin}/ort/`, modelsUrl: "/models/", model: config.onnx ?? "stand-in/full",
              dtype: config.dtype, numThreads: config.threads,
            });
      const weights = requests.slice(firstRequest).filter((p) => /model(_quantized)?\.(onnx|safetensors)$/.test(p));
      entry.load.weightsFrom = weights.length ? "network (localhost)" : "Cache Storage";
      entry.load.requests = requests.slice(firstRequest);
      log(`${config.id}: loaded in ${(entry.load.totalMs / 1000).toFixed(1)} s (weights from ${entry.load.weightsFrom})`);
    } catch (e) {
      entry.error = String(e?.message ?? e);
      log(`${config.id}: FAILED: ${entry.error}`);
    }
    return { config, page, entry, consoleLines };
  }
  try {
    // Configurations of one `group` are loaded side by side, each in its own page, and their
    // timed runs alternate (A B C A B C …), so a neighbour who slows the machine for a few
    // minutes slows every runtime of a comparison alike; groups run one after another.
    const groups = [];
    for (const config of BROWSER) {
      if (ONLY && !ONLY.includes(config.id)) continue;
      if (flag("no-webgpu") && config.backend === "webgpu") continue;
      const g = config.group && groups.find((g) => g[0].group === config.group);
      if (g) g.push(config);
      else groups.push([config]);
    }
    for (const group of groups) {
      const members = [];
      for (const config of group) {
        if (config.needs && !existsSync(config.needs)) {
          results.browser.configs.push({ ...config, skipped: `${config.needs.slice(ROOT.length + 1)}/ does not exist` });
          log(`${config.id}: skipped (no ${config.needs.slice(ROOT.length + 1)}/)`);
          continue;
        }
        members.push(await loadConfig(config));
      }
      for (const w of Object.values(workloads)) {
        const active = members
          .filter((m) => !m.entry.error)
          .map((m) => {
            const n = m.config.workloads ? m.config.workloads[w.id] : w.pairs.length;
            const pairs = n ? w.pairs.slice(0, Math.min(n, w.pairs.length)) : null;
            return { ...m, pairs, runs: m.config.runs ?? RUNS, warmup: m.config.warmup ?? WARMUP, times: [], last: null };
          })
          .filter((m) => m.pairs);
        try {
          const loadBefore = load();
          for (const m of active) await m.page.evaluate((o) => window.bench.time(o), { pairs: m.pairs, warmup: m.warmup, runs: 0 });
          for (let run = 0; run < Math.max(0, ...active.map((m) => m.runs)); run++) {
            for (const m of active.filter((m) => run < m.runs)) {
              m.last = await m.page.evaluate((o) => window.bench.time(o), { pairs: m.pairs, warmup: 0, runs: 1 });
              m.times.push(m.last.timesMs[0]);
            }
          }
          for (const { entry, config, pairs, runs, warmup, times, last } of active) {
            const med = median(times);
            entry.measurements[w.id] = {
              pairs: pairs.length, runs, warmup, timesMs: times, medianMs: med, pairsPerS: pairs.length / (med / 1000),
              minPairsPerS: pairs.length / (Math.max(...times) / 1000), maxPairsPerS: pairs.length / (Math.min(...times) / 1000),
              scores: last.scores, tokens: last.tokens, loadAvg: [loadBefore, load()],
            };
            entry.wasmMemory = last.wasmMemory;
            entry.describe = { ...last, timesMs: undefined, scores: undefined, tokens: undefined, wasmMemory: undefined };
            log(`${config.id}: ${w.id} ${pairs.length} pairs: ${entry.measurements[w.id].pairsPerS.toFixed(2)} pairs/s ` +
              `(runs ${times.map((t) => (t / 1000).toFixed(2)).join(", ")} s)`);
          }
        } catch (e) {
          for (const { entry, config } of active) {
            entry.error = String(e?.message ?? e);
            log(`${config.id}: FAILED: ${entry.error}`);
          }
        }
      }
      for (const { entry, page, consoleLines } of members) {
        entry.console = consoleLines.slice(0, 50);
        entry.loadAvgEnd = load();
        results.browser.configs.push(entry);
        await page.close();
      }
    }
  } finally {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  const fetched = new Set(requests);
  const ortFiles = ["ort-wasm-simd-threaded.asyncify.wasm", "ort-wasm-simd-threaded.asyncify.mjs"];
  results.sizes = {
    // Each build's wasm (a page fetches one) and the JS a page loads (the entry, the glue of the
    // single-threaded builds, the worker client and the worker).
    builds: Object.fromEntries(BUILDS.map((b) => [b, gz(join(ROOT, `pkg/ja_rerank_${b}_bg.wasm`))])),
    js: ["ja_rerank.js", ...BUILDS.filter((b) => b !== "threads").map((b) => `ja_rerank_${b}.js`), "client.js", "worker.js"].map((f) => gz(join(ROOT, "pkg", f))),
    transformersJs: [
      ...ortFiles.map((f) => gz(join(BENCH, "node_modules/onnxruntime-web/dist", f))),
      gz(join(BENCH, "node_modules/@huggingface/transformers/dist/transformers.min.js")),
    ],
    fetchedByTransformersJs: [...fetched].filter((p) => p.startsWith("/ort/") || p.startsWith("/tjs/")),
  };
  results.snapshot = { pkgWasmMtime: statSync(join(snapshot, "pkg/ja_rerank_simd_bg.wasm")).mtime.toISOString() };
}

// ---------------------------------------------------------------------------------------------
function runNative() {
  if (existsSync(CLI)) {
    const rows = [];
    for (const wid of NATIVE_WORKLOADS) {
      const w = workloads[wid];
      const input = w.pairs.map((p) => JSON.stringify(p)).join("\n") + "\n";
      for (const bs of NATIVE_BATCH_SIZES) {
        const times = [];
        let ids = null;
        for (let i = 0; i < WARMUP + RUNS; i++) {
          const args = ["score", "--model", MODEL_DIR, "--timing", "--batch-size", String(bs)];
          if (i === 0) args.push("--with-ids");
          const r = sh(CLI, args, { input, env: { ...process.env, RAYON_NUM_THREADS: "1" } });
          if (r.status !== 0) throw new Error(`ja-rerank CLI failed: ${r.stderr}`);
          const m = r.stderr.match(/scored (\d+) pairs.* in ([\d.]+) s/);
          if (!m) throw new Error(`no timing in CLI output: ${r.stderr}`);
          if (i === 0) ids = r.stdout.trim().split("\n").map((l) => JSON.parse(l).input_ids);
          if (i >= WARMUP) times.push(Number(m[2]));
        }
        const med = median(times);
        rows.push({ workload: wid, batchSize: bs, pairs: w.pairs.length, times_s: times, median_s: med, pairsPerS: w.pairs.length / med });
        results.tokens[wid].cli ??= ids;
        log(`native ja-rerank CLI ${wid} batch ${bs}: ${(w.pairs.length / med).toFixed(2)} pairs/s (runs ${times.join(", ")} s)`);
      }
    }
    results.native.cli = { rows, binary: statSync(CLI).mtime.toISOString() };
  } else {
    results.native.cli = { missing: "target/release/ja-rerank does not exist (build it with cargo build --release)" };
    log("native ja-rerank CLI: skipped (target/release/ja-rerank missing)");
  }
  // Quick runs write the sliced pairs to temp files so Python sees the same inputs.
  const files = NATIVE_WORKLOADS.map((wid) => {
    if (!QUICK) return join(ROOT, workloads[wid].file);
    const f = join(snapshot, `pairs-${wid}.jsonl`);
    writeFileSync(f, workloads[wid].pairs.map((p) => JSON.stringify(p)).join("\n") + "\n");
    return f;
  });
  log("native PyTorch / onnxruntime (bench/native.py)");
  const out = JSON.parse(python("native.py", ["--pairs", files.join(","), "--batch-sizes", NATIVE_BATCH_SIZES.join(","), "--runs", String(RUNS)]));
  out.results = out.results.map((r) => ({ ...r, workload: NATIVE_WORKLOADS[files.indexOf(r.pairs_file)] }));
  results.native.python = out;
}

// ---------------------------------------------------------------------------------------------
try {
  if (!flag("skip-browser")) await runBrowser();
  results.loadAvg.afterBrowser = load();
  // First visits with word-embedding rows on demand (bench/first-visit.mjs): needs the spread
  // stand-in (tools/fixtures/run make_full.py --spread).
  if (!flag("skip-first-visit") && !ONLY) {
    if (existsSync(join(ROOT, "fixtures/spread/model.safetensors"))) {
      log("first visits (bench/first-visit.mjs)");
      results.firstVisit = await firstVisits({ pkg: join(snapshot, "pkg"), log, quick: QUICK });
    } else {
      results.firstVisit = { skipped: "fixtures/spread does not exist (tools/fixtures/run make_full.py --spread)" };
    }
  }
  // The same on a server that behaves like the Hub, over HTTP/2 (bench/first-visit.mjs, hubVisits):
  // needs the int8 copies (target/compact/spread-int8, tiny-v2-int8) and the ONNX exports.
  if (!flag("skip-first-visit") && !ONLY && existsSync(join(ROOT, "fixtures/spread/model.safetensors"))) {
    log("first visits on the Hub-like server (bench/first-visit.mjs --hub)");
    const before = opt("before-pkg", null);
    results.hubVisit = await hubVisits({ pkg: join(snapshot, "pkg"), before: before ? resolve(before) : null, log, quick: QUICK });
  }
  results.loadAvg.afterFirstVisit = load();
  // Long pairs (bench/long.mjs, its own pages): ours against transformers.js at ~512-8,192 tokens.
  if (!flag("skip-long") && !ONLY) {
    log("long passages (bench/long.mjs)");
    const args = [join(BENCH, "long.mjs"), "--pkg", join(snapshot, "pkg"), "--runs", QUICK ? "1" : "3"];
    results.long = execFileSync("node", QUICK ? [...args, "--lengths", "512,2048"] : args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  }
  if (!flag("skip-native")) runNative();
  // What f16 / int8 cost in ranking quality (bench/quality.py: the trained stand-in held out, and
  // the random full-size one), next to transformers.js's q8 of the same models.
  if (!flag("skip-quality") && !QUICK) {
    log("quality of compact weights and int8 (bench/quality.py)");
    results.quality = JSON.parse(python("quality.py", ["--cli", CLI]));
  }
} finally {
  rmSync(snapshot, { recursive: true, force: true });
}
results.loadAvg.end = load();
results.finishedAt = new Date().toISOString();
results.wallS = (Date.now() - started) / 1000;
mkdirSync(join(BENCH, "out"), { recursive: true });
const stamp = started.toISOString().replace(/[:.]/g, "-");
const jsonPath = join(BENCH, "out", `results-${stamp}${QUICK ? "-quick" : ""}.json`);
writeFileSync(jsonPath, JSON.stringify(results, null, 1));
writeReport(results, OUT, { root: ROOT, jsonPath });
log(`wrote ${OUT.slice(ROOT.length + 1)} and ${jsonPath.slice(ROOT.length + 1)} in ${(results.wallS / 60).toFixed(1)} min`);
