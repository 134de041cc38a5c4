#!/usr/bin/env node
// The npm package as a web developer gets it: `npm pack` pkg/, install the tarball into a
// scratch Vite app (tests/package/app), type-check a TypeScript consumer, `vite build`, serve the
// build next to the stand-in models (Hub layout), and check in headless Chromium that the direct
// API and the worker client rerank, cancel, refuse bad input, and (with WebGPU) agree with the CPU.
//
//   node tests/package/run.mjs [--no-webgpu]      (after scripts/build-package.sh)
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../../tools/serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const webgpu = !process.argv.includes("--no-webgpu");
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
  for (const f of ["package.json", "ja_rerank.js", "ja_rerank_bg.wasm", "ja_rerank.d.ts", "worker.js", "client.js", "client.d.ts"]) {
    check(packed.includes(`package/${f}`), `tarball contains ${f}`);
  }
  cpSync(join(here, "app"), scratch, { recursive: true });
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module" }, null, 2));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", join(scratch, tarball)], { cwd: scratch, stdio: "inherit" });
  const manifest = JSON.parse(readFileSync(join(scratch, "node_modules/ja-rerank/package.json"), "utf8"));
  check(manifest.name === "ja-rerank" && manifest.type === "module" && manifest.exports["./worker"], "installed package.json: name, type, exports");

  execFileSync(bin("tsc"), ["--noEmit", "--strict", "--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler", "--lib", "esnext,dom", "check.ts"], { cwd: scratch, stdio: "inherit" });
  check(true, "TypeScript consumer type-checks against the declarations");

  execFileSync(bin("vite"), ["build", "--logLevel", "warn"], { cwd: scratch, stdio: "inherit" });
  const assets = readdirSync(join(scratch, "dist/assets"));
  check(assets.some((f) => f.endsWith(".wasm")), `vite emitted the wasm (${assets.join(", ")})`);
  check(assets.some((f) => f.startsWith("worker")), "vite emitted the worker");

  const server = await startServer({ port: 0, mounts: [["/", join(scratch, "dist")]], hub: true });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", ...(webgpu ? ["--enable-unsafe-webgpu"] : [])],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => document.getElementById("status").textContent === "ready", null, { timeout: 30000 });
    const out = await page.evaluate((args) => window.runPackageTest(args), { hubUrl: `${origin}/hub`, model: "stand-in/tiny", webgpu });

    const order = (r) => r.map((x) => x.index).join(",");
    check(out.direct.length === 4 && out.direct.every((r, i) => i === 0 || out.direct[i - 1].score >= r.score), `direct API reranks: ${order(out.direct)}`);
    check(out.direct.every((r) => typeof r.document === "string"), "returnDocuments includes the text");
    check(out.direct.every((r) => Math.abs(out.directScores[r.index] - r.score) < 1e-6), "score() agrees with rerank()");
    check(out.workerBackend === "cpu" && order(out.worker) === order(out.direct), `worker client reranks the same: ${order(out.worker)}`);
    check(out.worker.every((r, i) => Math.abs(r.score - out.direct[i].score) < 1e-6), "worker scores equal direct scores");
    check(["config.json", "tokenizer.json", "model.safetensors"].every((f) => out.progressComplete.includes(f)), `progress reached 100 % for ${out.progressComplete.join(", ")}`);
    check(out.loadAbort === "ABORTED", `an aborted load rejects with ABORTED (got ${out.loadAbort})`);
    check(out.abort === "ABORTED", `an aborted rerank rejects with ABORTED (got ${out.abort})`);
    check(out.badInput === "INVALID_INPUT", `bad input through the worker is INVALID_INPUT (got ${out.badInput})`);
    check(out.afterErrors === 4, "the worker still works after errors");
    check(out.disposed === "DISPOSED", `a disposed worker rejects with DISPOSED (got ${out.disposed})`);
    if (webgpu) {
      check(out.gpuBackend === "webgpu", `WebGPU worker loads on WebGPU (adapter ${JSON.stringify(out.gpuAdapter)})`);
      const diff = Math.max(...out.gpu.map((r) => Math.abs(r.score - out.directScores[r.index])));
      check(order(out.gpu) === order(out.direct) && diff <= 1e-4, `WebGPU agrees with the CPU: max |Δscore| ${diff.toExponential(2)}`);
    }
    check(errors.length === 0, `no console errors${errors.length ? `: ${errors.join(" | ")}` : ""}`);
  } finally {
    await browser.close();
    server.close();
  }
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
