#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, then runs every test.
# Used by .ci/run. Set CARGO_TARGET_DIR to reuse a build between clones.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "imports point down (tools/check_imports.py; ARCHITECTURE.md, Rules)"
python3 tools/check_imports.py --self-test
python3 tools/check_imports.py

step "full-size stand-ins (fixtures/full and spread ~470 MB each, xsmall-v1 428 MB, large-m3 2.27 GB; tiny-v2, xsmall-v2; base-v1 445 MB, large-v1 1.35 GB; numpy only)"
for shape in full spread xsmall-v1 large-m3; do
  if [[ ! -f "fixtures/$shape/model.safetensors" ]]; then
    tools/fixtures/run make_full.py "--$shape"
  fi
done
if [[ ! -f fixtures/tiny-v2/model.safetensors || ! -f fixtures/xsmall-v2/model.safetensors ]]; then
  tools/fixtures/run make_modernbert_full.py
fi
[[ -f fixtures/base-v1/model.safetensors ]] || tools/fixtures/run make_bert_full.py
[[ -f fixtures/large-v1/model.safetensors ]] || tools/fixtures/run make_bert_full.py --large-v1

step "the MeCab dictionary for the BERT-ja models (unidic-lite -> vibrato, zstd; scripts/build-dictionary.sh)"
[[ -f fixtures/dictionary/unidic-lite.vibrato.zst ]] || scripts/build-dictionary.sh

step "evaluation-data converters (stdlib Python)"
python3 tools/eval/test_convert_hf.py

step "native tests: both CPU backends (flex default + ndarray)"
# --release: burn's kernels are unusably slow unoptimised, and one profile means one build.
JA_RERANK_REQUIRE_FULL=1 cargo test --release --features ndarray

step "compact copies of the trained stand-in for the browser tests (ja-rerank convert → target/compact/)"
for dtype in f16 int8; do
  cargo run --release --features ndarray --quiet -- convert --model fixtures/models/ranker --dtype "$dtype" --out "target/compact/ranker-$dtype"
done

step "the demo's example queries: reranking by the trained stand-in improves on BM25 for each"
node tools/ranker/demo_examples.mjs

ensure_wasm_toolchain
ensure_chromium
ensure_firefox

step "tools/serve.mjs: ranges as the Hub answers them, refusals, faults (node --test)"
node --test tools/serve.test.mjs

start_hub_server
export JA_RERANK_TEST_SERVER="$TEST_SERVER"
# Software WebGPU (SwiftShader in Chromium, lavapipe in Firefox) runs kernels on the CPU:
# correct but slow, hence the long per-test timeout. webdriver.json turns WebGPU on in both.
export WASM_BINDGEN_TEST_TIMEOUT=900
browser_tests=(. --no-default-features --features flex,webgpu --test web_api --test web_device_loss --test web_rows --test web_ranker --test web_bert)

step "browser tests in headless Chromium (wasm-pack test; WebGPU on SwiftShader)"
wasm-pack test --release --headless --chrome --chromedriver "$(command -v chromedriver)" "${browser_tests[@]}"

step "browser tests in headless Firefox (wasm-pack test; WebGPU on lavapipe)"
wasm-pack test --release --headless --firefox --mode no-install --geckodriver "$(command -v geckodriver)" "${browser_tests[@]}"

step "npm package (five builds): pack, install, build with Vite, webpack and esbuild, rerank in Chromium, Firefox, WebKitGTK and Node"
npm_ci tools
scripts/build-package.sh
ensure_webkit
npm_ci tests/package
node tests/package/run.mjs

step "demo page end to end (Chromium: offline path, stand-in, rerank, painting, screenshot)"
npm_ci tests/e2e
node tests/e2e/demo.test.mjs

step "the package's threads build and its pool of workers in Chromium (cross-origin-isolated page)"
node tests/e2e/threads.test.mjs

step "the large XLM-R stand-in (2.27 GB, 24 x 1024) through the package in Chromium: CPU f32 (1,220-token pair), an int8 file, the whole file refused with OUT_OF_MEMORY"
# WebGPU (configuration d) takes ~4 min on SwiftShader: run by hand, recorded in the README.
LARGE_ONLY=a,c,e node tests/e2e/large.test.mjs

step "demo page end to end in Firefox (geckodriver WebDriver; WebGPU on lavapipe; the threads build)"
node tests/e2e/demo.firefox.mjs
echo "screenshots: target/e2e/*.png"
