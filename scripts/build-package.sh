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
# wasm-pack's own wasm-opt is off (Cargo.toml says why).
if [[ "${JA_RERANK_WASM_OPT:-1}" != 0 ]]; then
  # binaryen >= 116 handles wasm-bindgen's externref table (Debian's 108 breaks it). A native
  # one (`cargo install wasm-opt`) takes ~2 min here; npm's JS build of binaryen 132, ~6 min.
  wasm_opt=$(command -v wasm-opt || true)
  if [[ -z "$wasm_opt" || "$("$wasm_opt" --version | grep -oE '[0-9]+' | head -1)" -lt 116 ]]; then
    npm_ci tools
    wasm_opt=tools/node_modules/.bin/wasm-opt
  fi
  step "wasm-opt -O2 ($("$wasm_opt" --version), a few minutes)"
  "$wasm_opt" -O2 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-simd --enable-reference-types --enable-multivalue --enable-mutable-globals \
    pkg/ja_rerank_bg.wasm -o pkg/ja_rerank_bg.opt.wasm
  mv pkg/ja_rerank_bg.opt.wasm pkg/ja_rerank_bg.wasm
fi
cp js/worker.js js/client.js js/client.d.ts js/errors.js pkg/
cp README.md pkg/README.md
node tools/package-json.mjs pkg
ls -l pkg/ja_rerank_bg.wasm
