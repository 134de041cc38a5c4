#!/usr/bin/env node
// The npm package as a web developer gets it: `npm pack` pkg/, install the tarball into a
// scratch app (tests/package/app), type-check a TypeScript consumer, build the app with Vite,
// webpack 5 and esbuild, serve each build next to the stand-in models (Hub layout), and check in
// headless Chromium — and the Vite build in WebKitGTK (Safari's engine) and Firefox ESR — that the package picks
// the build the engine can run, that the direct API and the worker client (a pool of workers on
// this page without cross-origin isolation) rerank with PyTorch's scores (fixtures/reference.json,
// ≤ 1e-4) in every build the engine has, cancel, refuse bad input, and (with WebGPU) agree with
// the CPU.
//
//   node tests/package/run.mjs [--no-webgpu] [--no-webkit] [--no-firefox]   (after scripts/build-package.sh)
import { execFile, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../../tools/serve.mjs";
import { launchFirefox, launchWebKit } from "./webkit.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const webgpu = !process.argv.includes("--no-webgpu");
const webkit = !process.argv.includes("--no-webkit");
const firefox = !process.argv.includes("--no-firefox");
const TOLERANCE = 1e-4;
const cases = JSON.parse(readFileSync(join(root, "fixtures/reference.json"), "utf8")).cases.filter((c) => c.max_length === 512);
const pairs = cases.map((c) => [c.query, c.passage]);
const bin = (name) => join(here, "node_modules/.bin", name);
const failures = [];
const check = (ok, message) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${message}`);
  if (!ok) failures.push(message);
};

const scratch = mkdtempSync(join(tmpdir(), "ja-rerank-app-"));
try {
  console.log(`scratch app: ${scratch}`);
  const tarball = execFileSync("npm", ["pack", join(root, "pkg"), "--pack-destination", scratch, "--silent"], { encoding: "utf8" }).trim().split("\n").pop();
  const packed = execFileSync("tar", ["-tzf", join(scratch, tarball)], { encoding: "utf8" });
  const builds = ["simd", "relaxed", "cpu-simd", "cpu-relaxed", "threads"].flatMap((b) => [`ja_rerank_${b}.js`, `ja_rerank_${b}_bg.wasm`]);
  for (const f of ["package.json", "ja_rerank.js", "ja_rerank.d.ts", ...builds, "worker.js", "client.js", "client.d.ts", "LICENSE-MIT", "LICENSE-APACHE"]) {
    check(packed.includes(`package/${f}`), `tarball contains ${f}`);
  }
  cpSync(join(here, "app"), scratch, { recursive: true });
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module" }, null, 2));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", join(scratch, tarball)], { cwd: scratch, stdio: "inherit" });
  const manifest = JSON.parse(readFileSync(join(scratch, "node_modules/ja-rerank/package.json"), "utf8"));
  check(manifest.name === "ja-rerank" && manifest.type === "module" && manifest.exports["./worker"], "installed package.json: name, type, exports");

  execFileSync(bin("tsc"), ["--noEmit", "--strict", "--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler", "--lib", "esnext,dom", "check.ts"], { cwd: scratch, stdio: "inherit" });
  check(true, "TypeScript consumer type-checks against the declarations");

  await inNode(scratch);

  const apps = { vite: join(scratch, "dist-vite"), webpack: join(scratch, "dist-webpack"), esbuild: join(scratch, "dist-esbuild") };
  execFileSync(bin("vite"), ["build", "--logLevel", "warn", "--outDir", apps.vite], { cwd: scratch, stdio: "inherit" });
  const assets = readdirSync(join(apps.vite, "assets"));
  // Every single-threaded build's; not the threads build's, which needs the package unbundled.
  check(["simd", "relaxed", "cpu-simd", "cpu-relaxed"].every((b) => assets.some((f) => f.startsWith(`ja_rerank_${b}_bg`) && f.endsWith(".wasm"))), `vite emitted each single-threaded build's wasm (${assets.filter((f) => f.endsWith(".wasm")).join(", ")})`);
  check(assets.some((f) => f.startsWith("worker")), "vite emitted the worker");
  await buildWebpack(scratch, apps.webpack);
  check(readdirSync(apps.webpack).some((f) => f.endsWith(".wasm")), "webpack 5 builds the app (both entry points) and emits the wasm");
  await buildEsbuild(scratch, apps.esbuild);
  check(true, "esbuild builds the app (main.js and ja-rerank/worker.js as entries, the .wasm files copied beside)");

  for (const [name, dist] of Object.entries(apps)) {
    await inBrowser(`Chromium, ${name}`, dist, { expect: "cpu-relaxed", webgpu: webgpu && name === "vite" }, chromiumPage);
  }
  if (webkit) await inBrowser("WebKitGTK, vite", apps.vite, { expect: "cpu-simd", webgpu: false }, webkitPage);
  if (firefox) await inBrowser("Firefox, vite", apps.vite, { expect: "cpu-relaxed", webgpu: false }, firefoxPage);
} catch (error) {
  failures.push(String(error?.stack ?? error));
  console.error(error);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (failures.length) {
  console.error(`\n${failures.length} package check(s) failed`);
  process.exit(1);
}
console.log("\npackage test passed");

// webpack 5 as an app would configure it: ESM output (module workers load their chunks with
// import()), wasm and worker found through `new URL(..., import.meta.url)`.
async function buildWebpack(dir, out) {
  const { default: webpack } = await import("webpack");
  const stats = await new Promise((resolve, reject) =>
    webpack({
      mode: "production",
      context: dir,
      entry: "./main.js",
      output: { path: out, filename: "main.js", module: true, publicPath: "auto" },
      experiments: { outputModule: true },
      performance: { hints: false },
    }).run((err, stats) => (err ? reject(err) : resolve(stats))),
  );
  if (stats.hasErrors()) throw new Error(`webpack: ${stats.toString({ all: false, errors: true })}`);
  cpSync(join(dir, "index.html"), join(out, "index.html"));
}

// esbuild bundles JS only: the worker is a second entry (named worker.js, where the client looks
// for it) and the .wasm files are copied next to the chunks (README, "Bundlers").
async function buildEsbuild(dir, out) {
  const esbuild = await import("esbuild");
  await esbuild.build({
    absWorkingDir: dir,
    entryPoints: { main: "./main.js", worker: "./node_modules/ja-rerank/worker.js" },
    bundle: true,
    format: "esm",
    splitting: true,
    outdir: out,
    logLevel: "warning",
  });
  const installed = join(dir, "node_modules/ja-rerank");
  for (const f of readdirSync(installed).filter((f) => f.endsWith(".wasm"))) cpSync(join(installed, f), join(out, f));
  cpSync(join(dir, "index.html"), join(out, "index.html"));
}

// The package in Node (app/node.mjs): CPU build, files over HTTP and from disk, PyTorch's scores.
async function inNode(dir) {
  const server = await startServer({ port: 0, hub: true });
  try {
    const hubUrl = `http://127.0.0.1:${server.address().port}/hub`;
    const fileHub = pathToFileURL(join(root, "fixtures/models")).href;
    const tenant = `node-${Date.now()}`;
    const hubLike = `http://127.0.0.1:${server.address().port}/hublike/${tenant}`;
    const run = () => new Promise((resolve, reject) =>
      execFile("node", ["node.mjs", hubUrl, fileHub, join(root, "fixtures/reference.json"), join(root, "fixtures/bert-reference.json"), hubLike], { cwd: dir, maxBuffer: 1 << 26 }, (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout))));
    const out = JSON.parse((await run()).trim().split("\n").pop());
    const worst = (scores) => Math.max(...cases.map((k, i) => Math.abs(scores[i] - k.scores.tiny)));
    const c = (ok, message) => check(ok, `[Node ${process.versions.node}] ${message}`);
    c(out.build.name.startsWith("cpu-") && !out.build.webgpu && out.backend === "cpu", `picks a CPU-only build: ${JSON.stringify(out.build)}`);
    c(out.rows === "lazy" && worst(out.http) <= TOLERANCE, `over HTTP (rows ${out.rows}): ${pairs.length} pairs equal PyTorch (max |Δscore| ${worst(out.http).toExponential(2)})`);
    c(out.diskRows === "lazy" && worst(out.disk) <= TOLERANCE, `from a folder (file: hubUrl, rows ${out.diskRows}): equal PyTorch (max |Δscore| ${worst(out.disk).toExponential(2)})`);
    const served = await (await fetch(`http://127.0.0.1:${server.address().port}/__hublike/${tenant}/stats`)).json();
    const h = out.hubInfo;
    c(h.rows === "lazy" && h.commitPinnedBy === "header" && /^[0-9a-f]{40}$/.test(h.commit) && worst(out.hub) <= TOLERANCE,
      `from a Hub-like server (302 to signed CDN URLs; rows ${h.rows}, commit pinned by ${h.commitPinnedBy}): equal PyTorch (max |Δscore| ${worst(out.hub).toExponential(2)})`);
    c(served.resolver === 4 && h.requests.total.resolver === 4 && h.requests.total.cdn === served.cdn && h.fileUrls["model.safetensors"]?.includes("Signature="),
      `one resolver request per file (${served.resolver} on the server, ${h.requests.total.resolver} counted), rows from the CDN (${served.cdn} requests; ${h.requests.total.cdn} counted)`);
    c(out.diskPinnedBy === "files", `a folder names no commit: files pinned by their identity (${out.diskPinnedBy})`);
    c(out.badInput === "INVALID_INPUT" && out.afterError === 2, `bad input is INVALID_INPUT (${out.badInput}); the reranker still works`);
    c(out.webgpu === "BACKEND" && out.missing === "MODEL_LOAD", `backend "webgpu" is BACKEND (${out.webgpu}); a missing folder is MODEL_LOAD (${out.missing})`);
    const bertCases = JSON.parse(readFileSync(join(root, "fixtures/bert-reference.json"), "utf8")).cases.filter((k) => k.max_length === 512).slice(0, 12);
    const bertWorst = Math.max(...bertCases.map((k, i) => Math.abs(out.bert[i] - k.scores["bert-tiny"])));
    c(out.bertDictionary?.endsWith("/ja-rerank/unidic-lite.vibrato.zst") && bertWorst <= TOLERANCE, `a BERT-ja model with the package's MeCab dictionary (${out.bertDictionary}): ${bertCases.length} pairs equal PyTorch (max |Δscore| ${bertWorst.toExponential(2)})`);
    c(out.ranked.length === 2 && out.ranked[0].score >= out.ranked[1].score, `module-level rerank(): ${JSON.stringify(out.ranked)}`);
  } catch (error) {
    check(false, `[Node] ${error.message}`);
  } finally {
    server.close();
  }
}

async function chromiumPage() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", ...(webgpu ? ["--enable-unsafe-webgpu"] : [])],
  });
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  return {
    goto: (url) => page.goto(url),
    waitForFunction: (fn) => page.waitForFunction(fn, null, { timeout: 30000 }),
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    consoleErrors: async () => errors,
    close: () => browser.close(),
  };
}

async function webkitPage() {
  const page = await launchWebKit();
  return { ...page, waitForFunction: (fn) => page.waitForFunction(fn, 30000) };
}

async function firefoxPage() {
  const page = await launchFirefox();
  return { ...page, waitForFunction: (fn) => page.waitForFunction(fn, 30000) };
}

async function inBrowser(label, dist, { expect, webgpu }, open) {
  const server = await startServer({ port: 0, mounts: [["/", dist]], hub: true });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const page = await open();
  const c = (ok, message) => check(ok, `[${label}] ${message}`);
  try {
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "ready");
    const out = await page.evaluate((args) => window.runPackageTest(args), { hubUrl: `${origin}/hub`, model: "stand-in/tiny", webgpu, pairs });

    const order = (r) => r.map((x) => x.index).join(",");
    const worst = (scores) => Math.max(...cases.map((k, i) => Math.abs(scores[i] - k.scores.tiny)));
    c(out.init.name === expect && out.directBuild.name === expect && out.directBuild.reason === out.init.reason, `picks the ${expect} build: ${JSON.stringify(out.directBuild)}`);
    c(out.instance, "instanceof Reranker holds for a loaded reranker");
    c(out.direct.length === 4 && out.direct.every((r, i) => i === 0 || out.direct[i - 1].score >= r.score), `direct API reranks: ${order(out.direct)}`);
    c(out.direct.every((r) => typeof r.document === "string"), "returnDocuments includes the text");
    c(out.direct.every((r) => Math.abs(out.directScores[r.index] - r.score) < 1e-6), "score() agrees with rerank()");
    c(worst(out.reference) <= TOLERANCE, `${expect} build, direct: ${pairs.length} pairs equal PyTorch (max |Δscore| ${worst(out.reference).toExponential(2)})`);
    c(out.otherBuild === "INVALID_INPUT" && out.badBuild === "INVALID_INPUT" && out.afterBuildErrors === 2, `another build on the same page, or an unknown one, is INVALID_INPUT (${out.otherBuild}, ${out.badBuild}); the reranker still works`);
    c(out.workerBackend === "cpu" && out.workerBuild.name === expect && order(out.worker) === order(out.direct), `worker client (${out.workerBuild.name}) reranks the same: ${order(out.worker)}`);
    c(out.worker.every((r, i) => Math.abs(r.score - out.direct[i].score) < 1e-6), "worker scores equal direct scores");
    // The documented default: all cores, at most 4, at most one per 2 GB of deviceMemory.
    const wantWorkers = Math.max(1, Math.min(out.hardwareConcurrency, 4, out.deviceMemory ? Math.floor(out.deviceMemory / 2) : 4));
    c(out.workers === wantWorkers && worst(out.workerReference) <= TOLERANCE, `${out.workers} workers (hardwareConcurrency ${out.hardwareConcurrency}) share ${pairs.length} pairs: equal PyTorch (max |Δscore| ${worst(out.workerReference).toExponential(2)})`);
    c(out.simdBuild.name === "simd" && worst(out.simdReference) <= TOLERANCE, `simd build, forced, in a worker: equal PyTorch (max |Δscore| ${worst(out.simdReference).toExponential(2)})`);
    c(["config.json", "tokenizer.json", "model.safetensors"].every((f) => out.progressComplete.includes(f)), `progress reached 100 % for ${out.progressComplete.join(", ")}`);
    c(out.loadAbort === "ABORTED", `an aborted load rejects with ABORTED (got ${out.loadAbort})`);
    c(out.abort === "ABORTED", `an aborted rerank rejects with ABORTED (got ${out.abort})`);
    c(out.badInput === "INVALID_INPUT", `bad input through the worker is INVALID_INPUT (got ${out.badInput})`);
    c(out.afterErrors === 4, "the worker still works after errors");
    c(out.disposed === "DISPOSED", `a disposed worker rejects with DISPOSED (got ${out.disposed})`);
    if (webgpu) {
      c(out.gpuBackend === "webgpu" && out.gpuBuild === "relaxed", `WebGPU worker loads the relaxed build on WebGPU (${out.gpuBuild}; adapter ${JSON.stringify(out.gpuAdapter)})`);
      const diff = Math.max(...out.gpu.map((r) => Math.abs(r.score - out.directScores[r.index])));
      c(order(out.gpu) === order(out.direct) && diff <= 1e-4, `WebGPU agrees with the CPU: max |Δscore| ${diff.toExponential(2)}`);
    }
    const errors = await page.consoleErrors();
    c(errors.length === 0, `no console errors${errors.length ? `: ${errors.join(" | ")}` : ""}`);
  } catch (error) {
    c(false, String(error?.stack ?? error));
  } finally {
    await page.close();
    server.close();
  }
}
