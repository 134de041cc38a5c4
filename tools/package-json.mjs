#!/usr/bin/env node
// Turns wasm-pack's pkg/package.json into the published one: the ja-rerank name, ESM, an
// exports map with the worker client, and the files list (worker and client included).
import { readFileSync, writeFileSync } from "node:fs";

const dir = process.argv[2] ?? "pkg";
const path = `${dir}/package.json`;
const generated = JSON.parse(readFileSync(path, "utf8"));
const pkg = {
  name: "ja-rerank",
  version: generated.version,
  description: "Japanese cross-encoder reranker (XLM-R) running in the browser: WebGPU or CPU, PyTorch-exact scores",
  license: generated.license,
  repository: generated.repository,
  keywords: ["reranker", "japanese", "cross-encoder", "webgpu", "wasm", "search"],
  type: "module",
  main: "./ja_rerank.js",
  types: "./ja_rerank.d.ts",
  exports: {
    ".": { types: "./ja_rerank.d.ts", default: "./ja_rerank.js" },
    "./worker": { types: "./client.d.ts", default: "./client.js" },
    "./worker.js": "./worker.js",
    "./ja_rerank_bg.wasm": "./ja_rerank_bg.wasm",
    "./package.json": "./package.json",
  },
  files: ["ja_rerank.js", "ja_rerank.d.ts", "ja_rerank_bg.wasm", "ja_rerank_bg.wasm.d.ts", "worker.js", "client.js", "client.d.ts", "errors.js", "README.md"],
  sideEffects: ["./worker.js"],
};
writeFileSync(path, JSON.stringify(pkg, null, 2) + "\n");
console.log(`wrote ${path}`);
