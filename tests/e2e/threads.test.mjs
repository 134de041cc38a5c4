#!/usr/bin/env node
// The package's threads build (pkg/ja_rerank_threads*, scripts/build-package.sh) and its pool of
// workers, in Debian's Chromium on a cross-origin-isolated page, stand-in models in Hub layout:
//   a. RerankerWorker.load({ threads: 2 }) picks the threads build (2 wasm threads in one
//      worker) and scores the tiny and odd stand-ins equal to PyTorch
//      (fixtures/reference.json, every case, ≤ 1e-4), whole batches side by side, and 1 and 3
//      pairs (fewer batches than threads: the matmuls split instead);
//   b. the same module used on the page's main thread after initThreads(2) — where blocking is
//      not allowed — still scores (the pool is skipped there, not fatal), with the same scores;
//   c. backend "webgpu" on this CPU-only build is a BACKEND error, and the reranker still works;
//   d. forced to the single-threaded relaxed build, threads: 2 runs two workers (each its own
//      instance, as on a page without cross-origin isolation): scores split over both equal
//      PyTorch, and rerank's top 5 merged from both is one worker's, indices and scores;
//   d3. overflow "chunks" through that pool: the merged ranking keeps each document's window;
//   d2. three such workers on a server that behaves like the Hub (tools/hub-like.mjs): they share the
//      first one's commit and its resolution — the server sees one resolver request per file, every
//      row request goes to the CDN — and their scores, split over the three, equal PyTorch;
//   e. a wasm the browser cannot compile (as Safari could not compile a relaxed-SIMD build) is a
//      BACKEND error that names the build;
//   f. precision "int8" (here `i32x4.relaxed_dot_i8x16_i7x16_add_s`, four k per lane) on the
//      trained stand-in's int8 file scores as natively (fixtures/ranker/compact-scores.json, whose
//      native kernel sums two k per lane: the integer sums are the same);
//   g. the ModernBERT stand-ins (mb-tiny, mb-mean) in RerankerWorker with 2 threads equal PyTorch
//      (fixtures/modernbert-reference.json at max_length 1024: pairs over the local window and 512).
// Exits non-zero on any failure. Environment: CHROMIUM (default /usr/bin/chromium).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../../tools/serve.mjs";
import { checks } from "./checks.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TOLERANCE = 1e-4;
const { check, finish } = checks("threads");
for (const p of ["pkg/ja_rerank_threads_bg.wasm", "pkg/client.js"]) {
  if (!existsSync(join(ROOT, p))) {
    console.error(`tests/e2e/threads.test.mjs: ${p} is missing (scripts/build-package.sh)`);
    process.exit(2);
  }
}
const reference = JSON.parse(readFileSync(join(ROOT, "fixtures/reference.json"), "utf8"));
const cases = reference.cases.filter((c) => c.max_length === 512);
const ranker = JSON.parse(readFileSync(join(ROOT, "fixtures/ranker/reference.json"), "utf8"));
const compact = JSON.parse(readFileSync(join(ROOT, "fixtures/ranker/compact-scores.json"), "utf8"));
const mbCases = JSON.parse(readFileSync(join(ROOT, "fixtures/modernbert-reference.json"), "utf8")).cases.filter((c) => c.max_length === 1024);

await finish(async () => {
  const page0 = mkdtempSync(join(tmpdir(), "ja-rerank-threads-"));
  writeFileSync(join(page0, "index.html"), "<!doctype html><meta charset=utf-8><link rel=icon href=\"data:,\"><title>threads</title>");
  const server = await startServer({
    port: 0,
    hub: true,
    mounts: [["/pkg/", join(ROOT, "pkg")], ["/", page0]],
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage();
    const consoleErrors = [];
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    page.on("pageerror", (e) => consoleErrors.push(e.message));
    await page.goto(`${origin}/index.html`);
    check("page is cross-origin isolated", await page.evaluate(() => self.crossOriginIsolated));
    const pairs = cases.map((c) => [c.query, c.passage]);

    for (const model of ["tiny", "odd"]) {
      const r = await page.evaluate(
        async ({ hubUrl, model, pairs }) => {
          const { RerankerWorker } = await import("/pkg/client.js");
          const reranker = await RerankerWorker.load({ hubUrl, model: `stand-in/${model}`, backend: "cpu", threads: 2, batchSize: 7, cache: false });
          const scores = await reranker.score(pairs);
          // 1 and 3 pairs: fewer batches than threads, so the matmuls split instead (src/parallel.rs).
          const few = [...(await reranker.score(pairs.slice(0, 1))), ...(await reranker.score(pairs.slice(1, 4)))];
          const info = reranker.info;
          const workers = await reranker.ready();
          reranker.dispose();
          return { scores, few, backend: info.backend, build: info.build, workers };
        },
        { hubUrl: `${origin}/hub`, model, pairs },
      );
      const worst = Math.max(...r.scores.map((s, i) => Math.abs(s - cases[i].scores[model])));
      check(`a. ${model}: the package picks the threads build in the worker (isolated page, CPU): 2 wasm threads, one worker`,
        r.build.name === "threads" && r.build.threads === 2 && r.workers === 1, `${JSON.stringify(r.build)}, ${r.workers} worker(s)`);
      check(`a. ${model}: ${pairs.length} pairs with 2 threads equal PyTorch`, worst <= TOLERANCE && r.backend === "cpu", `max |Δscore| ${worst.toExponential(2)}, backend ${r.backend}`);
      const worstFew = Math.max(...r.few.map((s, i) => Math.abs(s - cases[i].scores[model])));
      check(`a. ${model}: 1 and 3 pairs with 2 threads equal PyTorch`, r.few.length === 4 && worstFew <= TOLERANCE, `max |Δscore| ${worstFew.toExponential(2)}`);
    }

    const main = await page.evaluate(
      async ({ hubUrl, pairs }) => {
        const wasm = await import("/pkg/ja_rerank.js");
        await wasm.default({ build: "threads" }); // "auto" would not pick it on the main thread
        await wasm.initThreads(2);
        const reranker = await wasm.Reranker.load({ hubUrl, model: "stand-in/tiny", backend: "cpu", batchSize: 7, cache: false });
        const scores = await reranker.score(pairs);
        let gpuError = null;
        try {
          await wasm.Reranker.load({ hubUrl, model: "stand-in/tiny", backend: "webgpu", cache: false });
        } catch (e) {
          gpuError = { code: e.code, message: e.message };
        }
        const after = await reranker.score(pairs.slice(0, 3));
        return { scores, gpuError, after };
      },
      { hubUrl: `${origin}/hub`, pairs },
    );
    const worstMain = Math.max(...main.scores.map((s, i) => Math.abs(s - cases[i].scores.tiny)));
    check("b. on the main thread after initThreads(2): scores equal PyTorch", worstMain <= TOLERANCE, `max |Δscore| ${worstMain.toExponential(2)}`);
    check("c. backend \"webgpu\" on the CPU-only build is a BACKEND error", main.gpuError?.code === "BACKEND", JSON.stringify(main.gpuError));
    check("c. … and the reranker still scores afterwards", main.after.length === 3 && main.after.every((s, i) => s === main.scores[i]));

    // Forced to a single-threaded build, `threads: 2` means two workers, each its own instance.
    const pool = await page.evaluate(
      async ({ hubUrl, pairs }) => {
        const { RerankerWorker } = await import("/pkg/client.js");
        const reranker = await RerankerWorker.load({ hubUrl, model: "stand-in/tiny", backend: "cpu", build: "relaxed", threads: 2, cache: false });
        const workers = await reranker.ready();
        const scores = await reranker.score(pairs);
        const passages = pairs.map((p) => p[1]);
        const ranked = await reranker.rerank(pairs[0][0], passages, { topK: 5 });
        const build = reranker.info.build;
        reranker.dispose();
        const one = await RerankerWorker.load({ hubUrl, model: "stand-in/tiny", backend: "cpu", build: "relaxed", threads: 1, cache: false });
        const alone = await one.rerank(pairs[0][0], passages, { topK: 5 });
        one.dispose();
        return { workers, scores, ranked, alone, build };
      },
      { hubUrl: `${origin}/hub`, pairs },
    );
    const worstPool = Math.max(...pool.scores.map((s, i) => Math.abs(s - cases[i].scores.tiny)));
    check("d. build relaxed with threads 2: two workers of one thread each", pool.workers === 2 && pool.build.name === "relaxed" && pool.build.threads === 1, `${pool.workers} workers, ${JSON.stringify(pool.build)}`);
    check("d. … their scores, split over the two, equal PyTorch", pool.scores.length === pairs.length && worstPool <= TOLERANCE, `max |Δscore| ${worstPool.toExponential(2)}`);
    const ranks = (r) => r.map((x) => `${x.index}:${x.score}`).join();
    check("d. … and rerank's top 5, merged from both, is one worker's", pool.ranked.length === 5 && ranks(pool.ranked) === ranks(pool.alone), `${ranks(pool.ranked)} vs ${ranks(pool.alone)}`);
    // overflow "chunks" through the pool: each worker splits its own documents; the merged
    // ranking, windows included, is one worker's.
    const chunked = await page.evaluate(
      async ({ hubUrl, pairs }) => {
        const { RerankerWorker } = await import("/pkg/client.js");
        const options = { hubUrl, model: "stand-in/tiny", backend: "cpu", build: "relaxed", overflow: "chunks", maxChunks: 4, cache: false };
        const passages = pairs.map((p) => p[1]);
        const two = await RerankerWorker.load({ ...options, threads: 2 });
        const ranked = await two.rerank("ファイルの権限", passages);
        two.dispose();
        const one = await RerankerWorker.load({ ...options, threads: 1 });
        const alone = await one.rerank("ファイルの権限", passages);
        one.dispose();
        return { ranked, alone };
      },
      { hubUrl: `${origin}/hub`, pairs },
    );
    const windows = (r) => r.map((x) => `${x.index}:${x.score}:${JSON.stringify(x.window ?? null)}`).join();
    const split = chunked.ranked.filter((x) => x.window).length;
    check("d3. overflow \"chunks\" in two workers: the merged ranking, windows included, is one worker's",
      split >= 1 && split < chunked.ranked.length && windows(chunked.ranked) === windows(chunked.alone), `${split} documents split; ${windows(chunked.ranked).slice(0, 200)}`);
    // Three workers against the Hub-like server: one resolution for all of them.
    const tenant = `pool-${Date.now()}`;
    const shared = await page.evaluate(
      async ({ hubUrl, pairs }) => {
        const { RerankerWorker } = await import("/pkg/client.js");
        const reranker = await RerankerWorker.load({ hubUrl, model: "stand-in/tiny", backend: "cpu", build: "relaxed", threads: 3 });
        const workers = await reranker.ready();
        const scores = await reranker.score(pairs);
        const info = reranker.info;
        reranker.dispose();
        return { workers, scores, commit: info.commit, pinnedBy: info.commitPinnedBy };
      },
      { hubUrl: `${origin}/hublike/${tenant}`, pairs },
    );
    const served = await (await fetch(`${origin}/__hublike/${tenant}/stats`)).json();
    const worstShared = Math.max(...shared.scores.map((s, i) => Math.abs(s - cases[i].scores.tiny)));
    check("d2. three workers on a Hub-like server: one resolver request per file, rows from the CDN",
      shared.workers === 3 && served.resolver === 4 && served.cdn > 4 && shared.pinnedBy === "header",
      `${shared.workers} workers, ${JSON.stringify(served)}, commit ${shared.commit} pinned by ${shared.pinnedBy}`);
    check("d2. … and their scores equal PyTorch", shared.scores.length === pairs.length && worstShared <= TOLERANCE, `max |Δscore| ${worstShared.toExponential(2)}`);
    // An engine without relaxed SIMD (Safari) is never given a relaxed build; a module V8 refuses
    // to compile stands in for that case: the worker must say so with a typed error.
    const uncompilable = await page.evaluate(async (hubUrl) => {
      const { RerankerWorker } = await import("/pkg/client.js");
      const wasm = URL.createObjectURL(new Blob([new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1])], { type: "application/wasm" }));
      try {
        await RerankerWorker.load({ hubUrl, model: "stand-in/tiny", backend: "cpu", build: "threads", wasm, cache: false });
        return null;
      } catch (e) {
        return { code: e.code, message: e.message };
      }
    }, `${origin}/hub`);
    check(
      "e. a wasm the browser cannot compile is a BACKEND error that names the build",
      uncompilable?.code === "BACKEND" && /cannot run/.test(uncompilable.message) && /"threads" build/.test(uncompilable.message),
      JSON.stringify(uncompilable),
    );
    const int8 = await page.evaluate(
      async ({ hubUrl, pairs }) => {
        const { RerankerWorker } = await import("/pkg/client.js");
        const reranker = await RerankerWorker.load({ hubUrl, model: "stand-in/ranker-int8", backend: "cpu", precision: "int8", threads: 2, batchSize: 8, cache: false });
        const scores = await reranker.score(pairs);
        const precision = reranker.info.precision;
        reranker.dispose();
        return { scores, precision };
      },
      { hubUrl: `${origin}/hub`, pairs: ranker.cases.map((c) => [c.query, c.passage]) },
    );
    const native = compact.runs["int8 file, precision int8"];
    const deltas = int8.scores.map((s, i) => Math.abs(s - native[i]));
    const close = deltas.filter((d) => d <= 1e-6).length;
    // As tests/web/ranker.rs: the same integer sums, but an f32 difference in the last bit (the
    // fused multiply-adds of this build's GELU, say) can move an activation across a rounding
    // boundary of its quantum, so a pair or two may differ by ~1e-4.
    check(
      "f. precision int8 (relaxed dot) on the int8 stand-in scores as natively",
      int8.precision === "int8" && int8.scores.length === native.length && close * 10 >= native.length * 9 && Math.max(...deltas) <= 1e-3,
      `${close} of ${native.length} within 1e-6, max |Δscore| ${Math.max(...deltas).toExponential(2)}`,
    );
    for (const model of ["mb-tiny", "mb-mean"]) {
      const r = await page.evaluate(
        async ({ hubUrl, model, pairs }) => {
          const { RerankerWorker } = await import("/pkg/client.js");
          const reranker = await RerankerWorker.load({ hubUrl, model: `stand-in/${model}`, backend: "cpu", threads: 2, batchSize: 7, maxLength: 1024, cache: false });
          const scores = await reranker.score(pairs);
          const modelType = reranker.info.modelType;
          reranker.dispose();
          return { scores, modelType };
        },
        { hubUrl: `${origin}/hub`, model, pairs: mbCases.map((c) => [c.query, c.passage]) },
      );
      const worst = Math.max(...r.scores.map((s, i) => Math.abs(s - mbCases[i].scores[model])));
      check(`g. ModernBERT ${model}: ${mbCases.length} pairs (up to 1024 tokens) with 2 threads equal PyTorch`,
        r.modelType === "modernbert" && r.scores.length === mbCases.length && worst <= TOLERANCE, `max |Δscore| ${worst.toExponential(2)}, ${r.modelType}`);
    }
    check("no console errors", consoleErrors.length === 0, consoleErrors.slice(0, 3).join(" | "));
  } finally {
    await browser.close();
    server.close();
    rmSync(page0, { recursive: true, force: true });
  }
});
