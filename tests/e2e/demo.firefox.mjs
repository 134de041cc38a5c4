#!/usr/bin/env node
// The demo page in headless Firefox, driven through geckodriver's WebDriver API directly
// (playwright-core can only drive its own patched Firefox, which cannot be downloaded here).
//
//   node tests/e2e/demo.firefox.mjs      (after scripts/build-package.sh;
//                                         needs firefox-esr, geckodriver)
//
// Checks the same paths as demo.test.mjs does in Chromium, with fewer details: the unreachable-Hub
// notice and the stand-in button; the stand-in on the CPU (progress 100 %, backend reported,
// results with scores best first, the page painting while the worker scores); a screenshot; and
// the switch to WebGPU (lavapipe, Firefox's software adapter here) giving the CPU's scores
// within 1e-4; then the package's threads build (wasm threads + relaxed SIMD), which it picks
// with 2 threads on a cross-origin-isolated page, scoring the tiny stand-in equal to PyTorch.
// Exits non-zero on any failure.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDist } from "../../tools/build-dist.mjs";
import { startServer } from "../../tools/serve.mjs";
import { checks } from "./checks.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const OUT = join(ROOT, "target/e2e");
const GECKODRIVER = process.env.GECKODRIVER || "geckodriver";
const QUERY = "ファイルシステムをマウントする";
const { check, fail, finish } = checks("demo e2e in Firefox");

const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

const JSON_HEADERS = { "Content-Type": "application/json; charset=utf-8" };

/** A minimal W3C WebDriver client: just the commands this test uses. */
class Session {
  static async start(driverUrl) {
    const body = {
      capabilities: {
        alwaysMatch: {
          browserName: "firefox",
          "moz:firefoxOptions": {
            args: ["-headless", "-width", "1280", "-height", "1000"],
            prefs: { "dom.webgpu.enabled": true, "gfx.webgpu.ignore-blocklist": true, "intl.accept_languages": "ja" },
          },
        },
      },
    };
    const r = await fetch(`${driverUrl}/session`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) }).then((r) => r.json());
    if (!r.value?.sessionId) throw new Error(`cannot start Firefox: ${JSON.stringify(r.value)}`);
    return new Session(`${driverUrl}/session/${r.value.sessionId}`);
  }
  constructor(url) {
    this.url = url;
  }
  async cmd(method, path, body) {
    const r = await fetch(`${this.url}${path}`, { method, headers: JSON_HEADERS, body: body && JSON.stringify(body) }).then((r) => r.json());
    if (r.value?.error) throw new Error(`${path}: ${r.value.error}: ${r.value.message}`);
    return r.value;
  }
  go(url) {
    return this.cmd("POST", "/url", { url });
  }
  /** Runs `fn(...args)` (may be async) in the page and returns its result. */
  run(fn, ...args) {
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve((${fn}).apply(null, Array.from(arguments).slice(0, -1))).then(done, (e) => done({ __error: String(e) }));`;
    return this.cmd("POST", "/execute/async", { script, args }).then((v) => {
      if (v?.__error) throw new Error(v.__error);
      return v;
    });
  }
  async waitFor(fn, args, timeout, what) {
    const end = Date.now() + timeout;
    for (;;) {
      const v = await this.run(fn, ...args);
      if (v) return v;
      if (Date.now() > end) {
        const state = await this.run(() => JSON.stringify({ ...document.body.dataset, error: document.querySelector("#notice-error:not([hidden])")?.innerText ?? null }));
        throw new Error(`timed out waiting for ${what}; page: ${state}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  state(key, values, timeout) {
    return this.waitFor((k, v) => v.includes(document.body.dataset[k]), [key, [].concat(values)], timeout, `${key}=${values}`);
  }
  async screenshot(path) {
    writeFileSync(path, Buffer.from(await this.cmd("GET", "/screenshot"), "base64"));
  }
  close() {
    return fetch(this.url, { method: "DELETE" }).catch(() => {});
  }
}

/** Searches through the page's form; returns the results and how many frames were painted
 * while the worker scored. */
const search = (query) =>
  new Promise((done) => {
    const frames = [];
    let on = true;
    const tick = (t) => {
      frames.push(t);
      if (on) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    let rerankAt = null;
    const obs = new MutationObserver(() => {
      const s = document.body.dataset.searchState;
      if (s === "reranking" && rerankAt === null) rerankAt = performance.now();
      if (["done", "error", "empty"].includes(s)) {
        obs.disconnect();
        on = false;
        const end = performance.now();
        done({
          state: s,
          rerankMs: rerankAt === null ? null : end - rerankAt,
          frames: rerankAt === null ? 0 : frames.filter((t) => t >= rerankAt && t <= end).length,
          error: document.querySelector("#notice-error:not([hidden])")?.innerText ?? null,
          hits: [...document.querySelectorAll("#result-list li.hit")].map((li) => ({ id: li.dataset.id, score: Number(li.dataset.score) })),
        });
      }
    });
    obs.observe(document.body, { attributes: true, attributeFilter: ["data-search-state"] });
    const input = document.querySelector("#query");
    input.value = query;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    document.querySelector("#search-form").requestSubmit();
  });

function checkResults(label, r) {
  check(`${label}: search finished without error`, r.state === "done" && !r.error, r.error ?? r.state);
  const scores = r.hits.map((h) => h.score);
  check(`${label}: results with scores in [0, 1], best first`, scores.length > 0 && scores.every((s, i) => s >= 0 && s <= 1 && (i === 0 || scores[i - 1] >= s)), scores.slice(0, 5).map((s) => s.toFixed(3)).join(" "));
}

async function main() {
  let threadsServer = null;
  let page0 = null;
  mkdirSync(OUT, { recursive: true });
  const dist = buildDist(join(OUT, "dist-firefox"));
  const server = await startServer({ port: 0, mounts: [["/", dist.out]] });
  const base = `http://127.0.0.1:${server.address().port}`;
  const port = await freePort();
  const driver = spawn(GECKODRIVER, ["--port", String(port), "--host", "127.0.0.1"], { stdio: ["ignore", "ignore", "pipe"] });
  driver.on("error", (e) => fail(`cannot run geckodriver (${GECKODRIVER}): ${e.message}`));
  await new Promise((r) => setTimeout(r, 800));
  let s;
  try {
    s = await Session.start(`http://127.0.0.1:${port}`);

    console.log("a. unreachable Hub → offline notice → stand-in button");
    await s.go(`${base}/?hub=${encodeURIComponent("http://127.0.0.1:9/hub")}&backend=cpu`);
    await s.state("modelState", ["offline", "error"], 60_000);
    const notice = await s.run(() => { const n = document.querySelector("#notice-offline"); return n && !n.hidden ? n.innerText : null; });
    check("offline notice shown, naming the stand-in as trained on man pages", !!notice && /man ページ/.test(notice) && /not the real model/.test(notice), notice?.slice(0, 80));
    await s.run(() => document.querySelector("#use-standin").click());
    await s.state("modelState", "ready", 90_000);
    check("the stand-in button loads the bundled model", true);

    console.log("b. stand-in on the CPU");
    await s.go(`${base}/?hub=${encodeURIComponent(`${base}/models`)}&model=stand-in/ranker&backend=cpu`);
    await s.state("modelState", "ready", 90_000);
    const facts = await s.run(() => ({
      overall: document.querySelector("#progress-overall").getAttribute("aria-valuenow"),
      backend: document.body.dataset.backend,
      status: document.querySelector("#model-status").textContent,
    }));
    check("download progress reached 100 %", facts.overall === "100", facts.overall);
    check("backend reported as CPU", facts.backend === "cpu" && facts.status.includes("CPU"), facts.status);
    await s.run(() => { const t = document.querySelector("#topn"); t.value = "100"; t.dispatchEvent(new Event("change", { bubbles: true })); });
    await s.state("searchState", [undefined, "done", "empty", "error", "waiting"].filter(Boolean), 30_000).catch(() => {});
    const long = await s.run(search, "プロセスに送るシグナル");
    checkResults("CPU, 100 candidates", long);
    check("the main thread kept painting while the worker scored", long.frames >= Math.max(2, Math.floor(long.rerankMs / 100)), `${long.frames} frames in ${long.rerankMs?.toFixed(0)} ms`);
    await s.run(() => { const t = document.querySelector("#topn"); t.value = "10"; t.dispatchEvent(new Event("change", { bubbles: true })); });
    await new Promise((r) => setTimeout(r, 200));
    await s.state("searchState", ["done", "error", "empty"], 60_000);
    const cpu = await s.run(search, QUERY);
    checkResults("CPU", cpu);
    await s.run(() => window.scrollTo(0, 0));
    await new Promise((r) => setTimeout(r, 800)); // let the results' move animation finish
    await s.screenshot(join(OUT, "demo-firefox.png"));
    console.log(`c. screenshot: ${join(OUT, "demo-firefox.png")}`);

    if (process.env.E2E_SKIP_WEBGPU === "1") console.log("d. WebGPU: skipped (E2E_SKIP_WEBGPU=1)");
    else {
      console.log("d. switch to WebGPU (lavapipe) and compare with the CPU");
      const hasGpu = await s.run(async () => !!(await navigator.gpu?.requestAdapter()));
      if (check("WebGPU adapter present (dom.webgpu.enabled)", hasGpu)) {
        await s.run(() => document.querySelector("#backend-webgpu").click());
        await s.waitFor(() => document.body.dataset.backend === "webgpu" && document.body.dataset.modelState === "ready", [], 120_000, "WebGPU ready");
        await s.state("searchState", ["done", "error"], 120_000);
        const gpu = await s.run(search, QUERY);
        checkResults("WebGPU", gpu);
        const cpuScore = new Map(cpu.hits.map((h) => [h.id, h.score]));
        const diff = Math.max(...gpu.hits.map((h) => Math.abs(h.score - (cpuScore.get(h.id) ?? Infinity))));
        check("WebGPU scores equal the CPU's within 1e-4", gpu.hits.length === cpu.hits.length && diff <= 1e-4, `max |Δ| ${diff.toExponential(2)}`);
      }
    }

    if (!existsSync(join(ROOT, "pkg/ja_rerank_threads_bg.wasm"))) throw new Error("pkg/ has no threads build (scripts/build-package.sh)");
    console.log("e. the package picks the threads build (relaxed SIMD, 2 threads in a Worker) on a cross-origin-isolated page");
    page0 = mkdtempSync(join(tmpdir(), "ja-rerank-ff-threads-"));
    writeFileSync(join(page0, "index.html"), "<!doctype html><meta charset=utf-8><link rel=icon href=\"data:,\"><title>threads</title>");
    threadsServer = await startServer({ port: 0, hub: true, mounts: [["/pkg/", join(ROOT, "pkg")], ["/", page0]] });
    const threadsBase = `http://127.0.0.1:${threadsServer.address().port}`;
    await s.go(`${threadsBase}/index.html`);
    const cases = JSON.parse(readFileSync(join(ROOT, "fixtures/reference.json"), "utf8")).cases.filter((c) => c.max_length === 512);
    const t = await s.run(
      async (hubUrl, pairs) => {
        const { RerankerWorker } = await import("/pkg/client.js");
        const r = await RerankerWorker.load({ hubUrl, model: "stand-in/tiny", backend: "cpu", threads: 2, batchSize: 7, cache: false });
        const scores = await r.score(pairs);
        const build = r.info.build;
        r.dispose();
        return { isolated: self.crossOriginIsolated, scores, build };
      },
      `${threadsBase}/hub`,
      cases.map((c) => [c.query, c.passage]),
    );
    const worst = Math.max(...t.scores.map((x, i) => Math.abs(x - cases[i].scores.tiny)));
    check("the package picks the threads build, 2 threads", t.build.name === "threads" && t.build.threads === 2, JSON.stringify(t.build));
    check("threaded build: 2 threads score the tiny stand-in equal to PyTorch", t.isolated && t.scores.length === cases.length && worst <= 1e-4, `max |Δscore| ${worst.toExponential(2)}, crossOriginIsolated ${t.isolated}`);
  } finally {
    await s?.close();
    driver.kill();
    server.close();
    threadsServer?.close();
    if (page0) rmSync(page0, { recursive: true, force: true });
  }
}

await finish(main);
