#!/usr/bin/env node
// Where ja-rerank's CPU time goes in Chromium: loads pkg/ on bench/page, scores a workload under
// the V8 CPU profiler (CDP) and prints self time by function, heaviest first.
//   node bench/profile.mjs [--pkg DIR] [--pairs fixtures/bench/pairs-128.jsonl] [--n 8] [--batch-size 4] [--top 40]
//                          [--model stand-in/full] [--precision f32|int8]
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../tools/serve.mjs";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const argv = process.argv.slice(2);
const opt = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const file = opt("pairs", "fixtures/bench/pairs-128.jsonl");
const n = Number(opt("n", 8));
const batchSize = Number(opt("batch-size", 4));
const top = Number(opt("top", 40));
const pkgDir = resolve(opt("pkg", join(ROOT, "pkg")));
const pairs = readFileSync(join(ROOT, file), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).slice(0, n);

const server = await startServer({
  port: 0, hub: true,
  mounts: [["/pkg/", pkgDir], ["/", join(ROOT, "bench/page")]],
});
const origin = `http://127.0.0.1:${server.address().port}`;
const profileDir = mkdtempSync(join(tmpdir(), "ja-rerank-profile-"));
const context = await chromium.launchPersistentContext(profileDir, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"],
});
try {
  const page = await context.newPage();
  await page.goto(`${origin}/bench.html`);
  await page.waitForFunction(() => window.benchReady);
  await page.evaluate((o) => window.bench.loadJaRerank(o), { pkgUrl: "/pkg", hubUrl: `${origin}/hub`, model: opt("model", "stand-in/full"), backend: "cpu", batchSize, precision: opt("precision", undefined) });
  await page.evaluate((o) => window.bench.time(o), { pairs, warmup: 1, runs: 0 });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const r = await page.evaluate((o) => window.bench.time(o), { pairs, warmup: 0, runs: 1 });
  const { profile } = await cdp.send("Profiler.stop");
  const byId = new Map(profile.nodes.map((nd) => [nd.id, nd]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const nd = byId.get(profile.samples[i]);
    const name = nd.callFrame.functionName || `(anon ${nd.callFrame.url.split("/").pop()})`;
    self.set(name, (self.get(name) ?? 0) + (dt[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`${pairs.length} pairs of ${file}, batch ${batchSize}: ${(r.timesMs[0] / 1000).toFixed(2)} s; profiled ${(total / 1e6).toFixed(2)} s`);
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name.slice(0, 140)}`);
  }
} finally {
  await context.close();
  server.close();
  rmSync(profileDir, { recursive: true, force: true });
}
