#!/usr/bin/env node
// Load time and memory of a stand-in in headless Chromium, from tools/serve.mjs (Hub layout on
// localhost): a cold load (network) and a warm one (Cache Storage), per backend.
//
//   node bench/load.mjs [--model stand-in/full] [--backend cpu,webgpu] [--precision f32|int8] [--pkg DIR]
//   (after scripts/build-package.sh; stand-in/full-int8 after `ja-rerank convert`, see bench/run.mjs)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../tools/serve.mjs";

const root = resolve(fileURLToPath(import.meta.url), "../..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const model = arg("model", "stand-in/full");
const backends = arg("backend", "cpu").split(",");
const precision = arg("precision", "f32");
const pkg = resolve(arg("pkg", join(root, "pkg")));

const server = await startServer({ port: 0, mounts: [["/pkg/", pkg], ["/", join(root, "bench/page")]], hub: true });
const origin = `http://127.0.0.1:${server.address().port}`;
const launch = (dir) =>
  // A persistent profile, as a user's browser has: incognito-style contexts refuse to cache a
  // 470 MB file ("UnknownError" from Cache.put).
  chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--enable-unsafe-webgpu"],
  });
try {
  for (const backend of backends) {
    const profile = mkdtempSync(join(tmpdir(), "ja-rerank-bench-"));
    const context = await launch(profile);
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.benchReady);
    const result = await page.evaluate(
      async ({ hubUrl, model, backend, precision }) => {
        const { init, Reranker } = window.jaRerank;
        await init();
        const warnings = [];
        const warn = console.warn;
        console.warn = (...a) => (warnings.push(a.join(" ")), warn(...a));
        const rows = [];
        for (const run of ["cold (network)", "warm (Cache Storage)"]) {
          const t0 = performance.now();
          const r = await Reranker.load({ hubUrl, model, backend, precision, revision: "bench" });
          const wall = performance.now() - t0;
          const info = r.info;
          const t1 = performance.now();
          await r.rerank("ファイルの一覧を表示する", ["ls はディレクトリの内容を一覧表示する。"]);
          rows.push({ run, wall, info, firstRerankMs: performance.now() - t1, warnings: warnings.splice(0) });
          r.dispose();
        }
        return rows;
      },
      { hubUrl: `${origin}/hub`, model, backend, precision },
    );
    for (const { run, wall, info, firstRerankMs, warnings } of result) {
      for (const w of warnings) console.log(`  warning: ${w}`);
      console.log(
        `${model} ${backend.padEnd(6)} ${precision} ${run.padEnd(21)} load ${(wall / 1000).toFixed(2)} s (backend ${(info.backendMs / 1000).toFixed(2)}, fetch ${(info.fetchMs / 1000).toFixed(2)}, build ${(info.buildMs / 1000).toFixed(2)})` +
          `  downloaded ${(info.bytesDownloaded / 2 ** 20).toFixed(0)} MiB, from cache ${(info.bytesFromCache / 2 ** 20).toFixed(0)} MiB` +
          `  wasm memory ${(info.wasmMemoryBytes / 2 ** 20).toFixed(0)} MiB  host embeddings ${info.hostWordEmbeddings}` +
          `  first rerank ${firstRerankMs.toFixed(0)} ms`,
      );
    }
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
} finally {
  server.close();
}
