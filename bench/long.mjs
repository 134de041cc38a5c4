#!/usr/bin/env node
// Long passages (README, "Long passages"; issue 34): the v2 rerankers' full-size stand-ins
// (fixtures/tiny-v2, xsmall-v2: random weights at the real shapes) on pairs of ~512, ~2,048 and
// ~8,192 tokens (bench/long_pairs.py: cuts of a long man-page text), in Chromium on the CPU, one
// thread: ja-rerank's package (the cpu-relaxed build on the page's main thread) f32 and int8,
// against transformers.js fp32 and q8 on the same ONNX export (bench/export_onnx.py NAME). A fresh
// page per row, so its wasm memory after the runs is that length's peak; pairs/s is the median of
// the timed `score(pairs)` calls after one warm-up.
//   node bench/long.mjs [--pkg DIR] [--before DIR] [--models tiny-v2,xsmall-v2] [--lengths 512,2048,8192]
//                       [--runtimes ours-f32,ours-int8,tjs-fp32,tjs-q8] [--runs 3] [--pages 1] [--out FILE]
// `--before DIR`: also ja-rerank's rows from another package (a build of an earlier commit, its
// cpu-relaxed build at least), in the same run. Prints a markdown table (and writes it to FILE).
// Needs pkg/ (scripts/build-package.sh), bench's node_modules (transformers.js) and, for the
// transformers.js rows, bench/models/stand-in/NAME/onnx/ (bench/run-python export_onnx.py NAME).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../tools/serve.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, "..");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const opt = (name, fallback) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : fallback);
const PKG = resolve(opt("pkg", join(ROOT, "pkg")));
const BEFORE = opt("before", null);
const OUT = opt("out", null);
const MODELS = opt("models", "tiny-v2,xsmall-v2").split(",");
const LENGTHS = opt("lengths", "512,2048,8192").split(",").map(Number);
const RUNTIMES = opt("runtimes", "ours-f32,ours-int8,tjs-fp32,tjs-q8").split(",")
  .flatMap((r) => (BEFORE && r.startsWith("ours") ? [`before-${r.slice(5)}`, r] : [r]));
const RUNS = Number(opt("runs", "3"));
// Fresh pages per row: a page's peak wasm memory varies from page to page for the same build
// and pairs (by 10–20 MB, seen on 2026-12-08: the allocator's fragmentation, not what is live),
// so with N > 1 the row gives the median peak and its range, and pairs/s the median of every
// page's timed calls.
const PAGES = Number(opt("pages", "1"));
// Pairs per call at each length: about the same tokens per call.
const COUNT = { 512: 4, 2048: 2, 8192: 1 };

const specs = LENGTHS.map((n) => `${n}:${COUNT[n] ?? 1}`);
const pairsByLength = JSON.parse(
  execFileSync(join(BENCH, "run-python"), ["long_pairs.py", join(ROOT, "fixtures/tiny-v2/tokenizer.json"), ...specs], { encoding: "utf8" }),
);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const MB = (b) => (b == null ? "–" : `${(b / 1e6).toFixed(0)} MB`);

const server = await startServer({
  port: 0,
  hub: true,
  mounts: [
    ["/pkg/", PKG],
    ...(BEFORE ? [["/pkg-before/", resolve(BEFORE)]] : []),
    ["/ort/", join(BENCH, "node_modules/onnxruntime-web/dist")],
    ["/tjs/", join(BENCH, "node_modules/@huggingface/transformers/dist")],
    ["/models/", join(BENCH, "models")],
    ["/", join(BENCH, "page")],
  ].sort((a, b) => b[0].length - a[0].length),
});
const origin = `http://127.0.0.1:${server.address().port}`;
// A persistent profile: an incognito one refuses to cache the larger stand-ins' files.
const profile = mkdtempSync(join(tmpdir(), "ja-rerank-long-profile-"));
const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ["--no-sandbox"] });
const rows = [];
try {
  for (const model of MODELS) {
    for (const runtime of RUNTIMES) {
      const tjs = runtime.startsWith("tjs");
      if (tjs && !existsSync(join(BENCH, "models/stand-in", model, "onnx/model.onnx"))) {
        rows.push(`| ${model} | ${runtime} | | | no ONNX export (bench/run-python export_onnx.py ${model}) | | |`);
        continue;
      }
      for (const n of LENGTHS) {
        const pairs = pairsByLength[n];
        let line;
        const times = [];
        const peaks = [];
        let first;
        try {
          for (let p = 0; p < PAGES; p++) {
            const r = await inFreshPage(runtime, model, pairs, tjs);
            times.push(...r.timesMs);
            peaks.push(r.wasmMemory.largestBytes);
            first ??= r.scores[0];
          }
          const pps = pairs.length / (median(times) / 1000);
          const tokens = pairs.map((p) => p.tokens).join(", ");
          const sorted = [...peaks].sort((a, b) => a - b);
          const memory = PAGES > 1 ? `${MB(median(peaks))} (${MB(sorted[0])}–${MB(sorted.at(-1))})` : MB(peaks[0]);
          line = `| ${model} | ${runtime} | ${n} (${tokens}) | ${pps.toFixed(3)} | ${memory} | ${first.toFixed(6)} | ${times.map((t) => (t / 1000).toFixed(1)).join(", ")} s |`;
        } catch (e) {
          line = `| ${model} | ${runtime} | ${n} | failed: ${String(e?.message ?? e).split("\n")[0].slice(0, 120)} | | | |`;
        }
        console.error(line);
        rows.push(line);
      }
    }
  }
} finally {
  await browser.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}

/** One row's runs in a fresh page (so its wasm memory after them is their peak). */
async function inFreshPage(runtime, model, pairs, tjs) {
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/bench.html`);
    await page.waitForFunction(() => window.bench && window.benchReady);
    if (tjs) {
      await page.evaluate((o) => window.bench.loadTransformersJs(o), {
        tjsUrl: "/tjs/transformers.min.js", ortUrl: `${origin}/ort/`, modelsUrl: "/models/", model: `stand-in/${model}`,
        dtype: runtime === "tjs-q8" ? "q8" : "fp32", numThreads: 1,
      });
    } else {
      await page.evaluate((o) => window.bench.loadJaRerank(o), {
        pkgUrl: runtime.startsWith("before") ? "/pkg-before" : "/pkg", hubUrl: `${origin}/hub`, model: `stand-in/${model}`,
        backend: "cpu", threads: 1, precision: runtime.endsWith("int8") ? "int8" : "f32", build: "cpu-relaxed",
      });
    }
    return await page.evaluate((o) => window.bench.time(o), { pairs, warmup: 1, runs: RUNS });
  } finally {
    await page.close();
  }
}
const report = [
  `Written by \`node bench/long.mjs${process.argv.slice(2).map((a) => ` ${a}`).join("")}\` on ${new Date().toISOString().slice(0, 16)} UTC.`,
  "Chromium, CPU, 1 thread (ja-rerank: the cpu-relaxed build on the page's main thread; transformers.js: ORT-web wasm,",
  "numThreads 1); stand-ins (random weights at the real shapes: only speed and memory mean anything). \"ours\" is this",
  `package${BEFORE ? `, "before" ${BEFORE}` : ""}; pairs/s is the median of ${RUNS} timed calls after a warm-up${PAGES > 1 ? ` in each of ${PAGES} fresh pages` : ""}, memory the page's largest wasm memory after them (its peak${PAGES > 1 ? ": the median of the pages', and their range" : ""}).`,
  "",
  "| model | runtime | tokens per pair | pairs/s | wasm memory (peak) | first score | timed runs |",
  "|---|---|---|---|---|---|---|",
  ...rows,
].join("\n");
console.log(report);
if (OUT) writeFileSync(OUT, `${report}\n`);
