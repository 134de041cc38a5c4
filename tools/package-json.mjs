#!/usr/bin/env node
// Writes pkg/package.json, the published one: version, licence and repository from Cargo.toml,
// ESM, an exports map with the worker client, and the files list (every build: the entry,
// js/index.js, fetches one at run time).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

const dir = process.argv[2] ?? "pkg";
const path = `${dir}/package.json`;
const cargo = readFileSync(new URL("../Cargo.toml", import.meta.url), "utf8");
const field = (name) => cargo.match(new RegExp(`^${name} = "([^"]*)"`, "m"))?.[1];
const crate = { version: field("version"), license: field("license"), repository: field("repository") };
const builds = readdirSync(dir).filter((f) => /^ja_rerank_[\w-]+(\.js|\.d\.ts|_bg\.wasm)$/.test(f));
const pkg = {
  name: "ja-rerank",
  version: crate.version,
  description: "Japanese cross-encoder rerankers (XLM-R, ModernBERT) running in the browser: WebGPU or CPU, PyTorch-exact scores",
  license: crate.license,
  repository: crate.repository,
  keywords: ["reranker", "japanese", "cross-encoder", "webgpu", "wasm", "search"],
  type: "module",
  main: "./ja_rerank.js",
  types: "./ja_rerank.d.ts",
  exports: {
    ".": { types: "./ja_rerank.d.ts", default: "./ja_rerank.js" },
    "./worker": { types: "./client.d.ts", default: "./client.js" },
    "./worker.js": "./worker.js",
    ...Object.fromEntries(builds.filter((f) => f.endsWith(".wasm")).map((f) => [`./${f}`, `./${f}`])),
    "./package.json": "./package.json",
  },
  files: ["ja_rerank.js", "ja_rerank.d.ts", ...builds, "snippets/", "worker.js", "client.js", "client.d.ts", "errors.js", "unidic-lite.vibrato.zst", "README.md", "LICENSE-MIT", "LICENSE-APACHE"],
  // worker.js installs its message handler; the threads build's snippet is a worker script.
  sideEffects: ["./worker.js", "./snippets/**"],
  // Node 20+: the entry reads the wasm from disk there and reranks on the CPU (README, "Node").
  engines: { node: ">=20" },
};
writeFileSync(path, JSON.stringify(pkg, null, 2) + "\n");
console.log(`wrote ${path}`);
