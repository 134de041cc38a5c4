#!/usr/bin/env node
// The README's model table, measured: each full-size stand-in (the exact shape of a model of
// small-v1's comparison table or of the v2 family; random weights, so only sizes and speed mean
// anything) through the npm package in Chromium, on the CPU (relaxed build, one thread, the page's
// main thread), f32, precision int8 (quantized at load) and an int8 file (`ja-rerank convert --dtype
// int8` into target/compact/NAME-int8, made here when missing), rows on demand, on a fresh page each:
//   bytes to the first result (files + rows of the first call), wasm memory after the calls (the
//   peak: it only grows), load time, pairs/s on 8 pairs of ~128 tokens (fixtures/bench/pairs-128.jsonl, a second call).
// Prints a markdown table. Needs pkg/ (scripts/build-package.sh) and the stand-ins
// (tools/fixtures/run make_full.py --SHAPE, make_modernbert_full.py, make_bert_full.py [--large-v1]);
// missing ones are listed as such. The BERT-ja models' bytes include the MeCab dictionary the
// package ships (20.9 MB), and their memory its parsed form. Run: node bench/models.mjs [--only name,name]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../tools/serve.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1].split(",") : null;
// [name in the table, stand-in (fixtures/…), the real model it stands in for]
const MODELS = [
  ["xsmall-v1", "xsmall-v1", "hotchpotch/japanese-reranker-cross-encoder-xsmall-v1"],
  ["small-v1", "spread", "hotchpotch/japanese-reranker-cross-encoder-small-v1"],
  ["large (bge-m3)", "large-m3", "BAAI/bge-reranker-v2-m3, hotchpotch/japanese-bge-reranker-v2-m3-v1"],
  ["base-v1", "base-v1", "hotchpotch/japanese-reranker-cross-encoder-base-v1"],
  ["large-v1", "large-v1", "hotchpotch/japanese-reranker-cross-encoder-large-v1"],
  ["tiny-v2", "tiny-v2", "hotchpotch/japanese-reranker-tiny-v2"],
  ["xsmall-v2", "xsmall-v2", "hotchpotch/japanese-reranker-xsmall-v2"],
];
const pairs = readFileSync(join(ROOT, "fixtures/bench/pairs-128.jsonl"), "utf8").trim().split("\n").slice(0, 8).map((l) => {
  const p = JSON.parse(l);
  return [p.query, p.passage];
});
const MB = (b) => (b / 1e6).toFixed(b < 1e8 ? 1 : 0);

const page0 = mkdtempSync(join(tmpdir(), "ja-rerank-models-"));
writeFileSync(join(page0, "index.html"), "<!doctype html><meta charset=utf-8><link rel=icon href=\"data:,\"><title>models</title>");
const server = await startServer({ port: 0, hub: true, mounts: [["/pkg/", join(ROOT, "pkg")], ["/", page0]] });
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
const rows = [];
try {
  for (const [name, dir, real] of MODELS) {
    if (only && !only.includes(dir)) continue;
    if (!existsSync(join(ROOT, "fixtures", dir, "model.safetensors"))) {
      rows.push(`| ${name} | not generated | | | | |`);
      continue;
    }
    const int8File = `target/compact/${dir}-int8`;
    if (!existsSync(join(ROOT, int8File, "model.safetensors"))) {
      const args = ["run", "--release", "--features", "ndarray", "--quiet", "--", "convert", "--model", `fixtures/${dir}`, "--dtype", "int8", "--out", int8File];
      if (spawnSync("cargo", args, { cwd: ROOT, stdio: "inherit" }).status !== 0) throw new Error(`cannot convert ${dir}`);
    }
    for (const [precision, repo] of [["f32", dir], ["int8", dir], ["int8 file", `${dir}-int8`]]) {
      const page = await browser.newPage();
      await page.goto(`${origin}/index.html`);
      const r = await page.evaluate(
        async ({ hubUrl, model, precision, pairs }) => {
          const { Reranker } = await import("/pkg/ja_rerank.js");
          const t0 = performance.now();
          const reranker = await Reranker.load({ hubUrl, model, precision, backend: "cpu", build: "cpu-relaxed", cache: false });
          const loadMs = performance.now() - t0;
          await reranker.score(pairs);
          const first = reranker.info;
          const t1 = performance.now();
          await reranker.score(pairs);
          const warmMs = performance.now() - t1;
          const info = reranker.info;
          reranker.dispose();
          return { loadMs, warmMs, firstBytes: first.bytesDownloaded + first.rowBytesFetched, memory: info.wasmMemoryBytes };
        },
        { hubUrl: `${origin}/hub`, model: `stand-in/${repo}`, precision: precision.startsWith("int8") ? "int8" : "f32", pairs },
      );
      await page.close();
      const line = `| ${name} | ${precision} | ${MB(r.firstBytes)} MB | ${MB(r.memory)} MB | ${(r.loadMs / 1000).toFixed(1)} s | ${(pairs.length / (r.warmMs / 1000)).toFixed(2)} |`;
      console.error(line, `(${real})`);
      rows.push(line);
    }
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`Chromium, CPU, relaxed build, 1 thread; stand-ins; ${new Date().toISOString().slice(0, 16)} UTC\n`);
console.log("| model | precision | bytes to the first result | wasm memory (peak) | load | pairs/s (~128 tokens) |\n|---|---|---|---|---|---|");
for (const r of rows) console.log(r);
