#!/usr/bin/env bash
# Builds the npm package into pkg/: wasm-pack (web target, WebGPU + CPU backends, simd128),
# wasm-opt, the worker and its client, and the package.json (tools/package-json.mjs).
# JA_RERANK_WASM_OPT=0 skips wasm-opt (a faster build of a larger, slightly slower wasm).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_wasm_toolchain

step "wasm-pack build (release, --target web, features flex + webgpu)"
wasm-pack build --release --target web --out-dir pkg --out-name ja_rerank \
  . --no-default-features --features flex,webgpu
# wasm-pack's own wasm-opt is off (Cargo.toml says why); binaryen from npm is current.
if [[ "${JA_RERANK_WASM_OPT:-1}" != 0 ]]; then
  npm_ci tools
  step "wasm-opt -O2 (binaryen $(tools/node_modules/.bin/wasm-opt --version | awk '{print $3}'), a few minutes)"
  tools/node_modules/.bin/wasm-opt -O2 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-simd --enable-reference-types --enable-multivalue --enable-mutable-globals \
    pkg/ja_rerank_bg.wasm -o pkg/ja_rerank_bg.opt.wasm
  mv pkg/ja_rerank_bg.opt.wasm pkg/ja_rerank_bg.wasm
fi
cp js/worker.js js/client.js js/client.d.ts pkg/
cp README.md pkg/README.md
node tools/package-json.mjs pkg
ls -l pkg/ja_rerank_bg.wasm
