#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, then runs every test.
# Used by .ci/run. Set CARGO_TARGET_DIR to reuse a build between clones.
#
# Budget: 45 minutes cold on a 2-core machine (CI's limit is 90); the run ends with the time of
# each step (README, "Tests"). Two lanes keep both cores busy:
#   main  apt packages, stand-ins, the native build and tests, then the browser tests in
#         Chromium and Firefox (one wasm test binary);
#   web   (in the background) the wasm tools, the browser tests' wasm build, the package's five
#         builds and wasm-opt — compiling while the main lane tests — then the package's tests
#         and the demo pages, while the main lane runs the browser tests.
# The web lane builds in its own target dir ($CARGO_TARGET_DIR/web): cargo locks a target dir
# for a whole build, so two lanes in one would take turns.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

native_target="${CARGO_TARGET_DIR:-target}"
web_target="$native_target/web"
mkdir -p "$native_target"
export JA_RERANK_STAGES; JA_RERANK_STAGES="$(mktemp -d "${TMPDIR:-/tmp}/ja-rerank-ci.XXXXXX")"
export JA_RERANK_STEPS="$JA_RERANK_STAGES/steps.tsv"
LANE_PIDS=()
# The browser tests bake the test server's URL in at compile time, and the web lane compiles
# them before the server starts: a fixed port.
export JA_RERANK_TEST_SERVER="http://127.0.0.1:${JA_RERANK_TEST_PORT:-8787}"
# Software WebGPU (SwiftShader in Chromium, lavapipe in Firefox) runs kernels on the CPU:
# correct but slow, hence the long per-test timeout. webdriver.json turns WebGPU on in both.
export WASM_BINDGEN_TEST_TIMEOUT=900
browser_tests=(. --no-default-features --features flex,webgpu --test web)
finish() {
  local rc=$?
  for pid in "${LANE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ -n "${HUB_PID:-}" ]] && kill "$HUB_PID" 2>/dev/null
  [[ $rc -ne 0 ]] && show_lane web
  lane_end
  step_table
  rm -rf "$JA_RERANK_STAGES"
  return "$rc"
}
trap finish EXIT

# `cargo test ARGS`, its test files two at a time (cargo runs one file at a time, and most of the
# long ones hold one long test), the longest first; each file's output is printed when it ends.
# Fails when any file fails, after all have run.
native_tests() {
  local dir; dir=$(mktemp -d)
  cargo test "$@" --no-run --message-format=json-render-diagnostics | python3 -c '
import json, sys
first = ["compact", "full_size", "modernbert", "bert", "lazy_rows", "ranker", "cpu_kernels"]
runs = []
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["profile"]["test"] and m.get("executable"):
        name = m["target"]["name"]
        runs.append((first.index(name) if name in first else len(first), name, m["executable"]))
for _, name, exe in sorted(runs):
    print(name, exe)' > "$dir/list"
  echo "$(wc -l < "$dir/list") test files"
  # shellcheck disable=SC2016
  xargs -P 2 -L 1 bash -c '"$2" > "$0/$1.log" 2>&1; rc=$?; flock "$0/lock" bash -c "echo \"--- $1 (exit $rc)\"; cat \"$0/$1.log\""; exit $((rc != 0))' "$dir" < "$dir/list"
}

# The npm package as users get it, and the pages built on it.
package_tests() {
  step "npm package (five builds): pack, install, build with Vite, webpack and esbuild, rerank in Chromium, Firefox, WebKitGTK and Node"
  node tests/package/run.mjs

  step "demo page end to end (Chromium: offline path, stand-in, rerank, painting, screenshot)"
  node tests/e2e/demo.test.mjs

  step "the package's threads build and its pool of workers in Chromium (cross-origin-isolated page)"
  node tests/e2e/threads.test.mjs

  step "the large XLM-R stand-in (2.27 GB, 24 x 1024) through the package in Chromium: CPU f32 (1,220-token pair), an int8 file, the whole file refused with OUT_OF_MEMORY"
  # WebGPU (configuration d) takes ~4 min on SwiftShader: run by hand, recorded in the README.
  LARGE_ONLY=a,c,e node tests/e2e/large.test.mjs

  step "demo page end to end in Firefox (geckodriver WebDriver; WebGPU on lavapipe; the threads build)"
  node tests/e2e/demo.firefox.mjs
  echo "screenshots: target/e2e/*.png"
}

# The web lane: everything the browser tests and the package need that does not need the
# native build — so it compiles while the main lane builds and tests natively — then the
# package's own tests, while the main lane runs the browser tests.
web_lane() {
  export CARGO_TARGET_DIR="$web_target"
  ensure_wasm_toolchain
  ensure_geckodriver
  step "npm ci: tools (binaryen's wasm-opt), tests/package (Vite, webpack, esbuild), tests/e2e (playwright-core)"
  npm_ci tools
  npm_ci tests/package
  npm_ci tests/e2e
  # wasm-pack test runs `cargo build --tests` with our arguments, which also builds the crate's
  # own unit tests for wasm32: built here, the browser test steps find all of it fresh.
  step "the browser tests' wasm (release; what wasm-pack test builds first, so that it finds it fresh)"
  CARGO_BUILD_TARGET=wasm32-unknown-unknown cargo build --tests --release "${browser_tests[@]:1}"
  # It waits for the main lane's MeCab dictionary (which the package ships) after its builds.
  scripts/build-package.sh
  # The rest runs browsers (apt, main lane), the native CLI (large.test.mjs converts the large
  # stand-in to int8 with it, from the main lane's build) and the compact copies the main lane
  # makes (threads.test.mjs loads ranker-int8); the main lane marks 'compact' after 'apt'.
  await_stage main compact
  export CARGO_TARGET_DIR="$native_target"
  package_tests
  stage_done web-lane
}
start_lane web web_lane  # its first steps need nothing from apt (gcc, Node and npm come with the machine)

step "apt packages: browsers, drivers, software Vulkan, fonts, WebKitGTK, Xvfb, zstd (one apt-get; those missing)"
ensure_apt_packages
stage_done apt

step "imports point down (tools/check_imports.py; ARCHITECTURE.md, Rules)"
python3 tools/check_imports.py --self-test
python3 tools/check_imports.py

step "evaluation-data converters (stdlib Python)"
python3 tools/eval/test_convert_hf.py

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
# Stand-ins generated before their generators wrote a tokenizer_config.json (a kept fixtures dir).
tools/fixtures/run tokenizer_config.py fixtures/{full,spread,xsmall-v1,large-m3,tiny-v2,xsmall-v2}

step "the MeCab dictionary for the BERT-ja models (unidic-lite -> vibrato, zstd; scripts/build-dictionary.sh; mostly the native release build)"
ensure_dictionary
stage_done dictionary

# Right after the dictionary, whose build of the CLI it reuses: the web lane's package tests
# load ranker-int8 from target/compact/ and wait for this stage, not for the native tests.
step "compact copies of the trained stand-in for the browser and package tests (ja-rerank convert → target/compact/)"
for dtype in f16 int8; do
  cargo run --release --features ndarray --quiet -- convert --model fixtures/models/ranker --dtype "$dtype" --out "target/compact/ranker-$dtype"
done
stage_done compact

step "native tests: both CPU backends (flex default + ndarray), two test files at a time, and the doc test"
# --release: burn's kernels are unusably slow unoptimised, and one profile means one build.
JA_RERANK_REQUIRE_FULL=1 native_tests --release --features ndarray
cargo test --release --features ndarray --doc

step "fuzzing: every parser of untrusted bytes, 7 targets x 5 s (cargo-fuzz, unoptimised, no sanitizer; scripts/fuzz.sh)"
JA_RERANK_FUZZ_QUICK=1 scripts/fuzz.sh 5

step "the demo's example queries: reranking by the trained stand-in improves on BM25 for each"
node tools/ranker/demo_examples.mjs

step "tools/serve.mjs: ranges as the Hub answers them, refusals, faults (node --test)"
node --test tools/serve.test.mjs

# After the package's cargo builds too: they share the browser tests' target dir, whose lock
# cargo holds for a whole build.
step "waiting for the web lane: wasm tools, the browser tests' wasm build and the package's wasm builds"
await_stage web wasm-builds
start_hub_server

# One wasm test binary (tests/web/main.rs), one page per run; the lost-GPU test gets a page of
# its own, since a lost device is gone for the page (and the order tests run in is not ours).
step "browser tests in headless Chromium (wasm-pack test; WebGPU on SwiftShader)"
chromium_test() {
  CARGO_TARGET_DIR="$web_target" wasm-pack test --release --headless --chrome --chromedriver "$(command -v chromedriver)" "${browser_tests[@]}" -- "$@"
}
chromium_test --skip device_loss::
chromium_test device_loss::

# Firefox runs what depends on the engine: its WebGPU (lavapipe: another binding limit,
# shader-f16), its fetch, Range and Cache Storage behaviour, its wasm on the small stand-ins and
# the trained one. It skips what only repeats engine-independent wasm arithmetic at size — the
# full-size stand-ins on the CPU, 1,500 pairs of held-out queries and the 8,192-token pair on the CPU — which
# Chromium runs (the same wasm: its float semantics are fixed by the spec).
# The Hub-like tests run in both (redirects, Response.url, CORS exposure and Cache Storage are the
# engine's), but the 20-call request count, whose routing the expiry and moving-main tests check
# in Firefox too, only in Chromium.
FIREFOX_SKIPS=(
  --skip hub::a_load_and_twenty_calls_make_one_resolver_request_per_file
  --skip rows::the_spread_stand_in_with_rows_on_demand
  --skip rows::the_xsmall_v1_stand_in_equals_pytorch
  --skip ranker::reranking_held_out_queries_gives_pytorchs_ndcg_on_the_cpu
  --skip long::long_pairs_equal_pytorch_on_the_cpu
)
step "browser tests in headless Firefox (wasm-pack test; WebGPU on lavapipe)"
firefox_test() {
  CARGO_TARGET_DIR="$web_target" wasm-pack test --release --headless --firefox --mode no-install --geckodriver "$(command -v geckodriver)" "${browser_tests[@]}" -- "$@"
}
firefox_test --skip device_loss:: "${FIREFOX_SKIPS[@]}"
firefox_test device_loss::

step "waiting for the web lane: the package, its tests and the demo pages"
await_stage web web-lane
wait "${LANE_PIDS[@]}"
