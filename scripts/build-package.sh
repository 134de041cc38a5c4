#!/usr/bin/env bash
# Builds the npm package into pkg/: five builds of the crate, of which the package entry
# (js/index.js) picks one per page at run time and fetches only that one's wasm —
#   ja_rerank_simd         WebGPU + CPU, wasm SIMD (every engine)
#   ja_rerank_relaxed      WebGPU + CPU, relaxed-SIMD multiply-adds (Chrome/Edge, Firefox)
#   ja_rerank_cpu-simd     the same two without WebGPU, for pages where the CPU computes
#   ja_rerank_cpu-relaxed
#   ja_rerank_threads      CPU, wasm threads + relaxed SIMD (compiled by scripts/build-threads.sh)
# — the MeCab dictionary for the BERT-ja models (unidic-lite.vibrato.zst, scripts/build-dictionary.sh)
# — then the entry, the worker and its client, the licences, README and package.json
# (tools/package-json.mjs). JA_RERANK_WASM_OPT=0 skips wasm-opt (a faster build of a larger
# wasm). Only what changed is rebuilt: cargo is incremental, and wasm-opt's
# output is kept by the hash of its input (target/wasm-opt/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_wasm_toolchain
target_dir="${CARGO_TARGET_DIR:-target}"

# binaryen >= 116 handles wasm-bindgen's externref table (Debian's 108 breaks it): a wasm-opt on
# PATH if it is one, else npm's JS build of binaryen (pinned in tools/package.json; slower than a
# native one, which `cargo install wasm-opt` would compile from C++ first).
find_wasm_opt() {
  wasm_opt=$(command -v wasm-opt || true)
  if [[ -z "$wasm_opt" || "$("$wasm_opt" --version | grep -oE '[0-9]+' | head -1)" -lt 116 ]]; then
    npm_ci tools
    wasm_opt=tools/node_modules/.bin/wasm-opt
  fi
}

# wasm-opt -O1 FILE in place, or the kept result for the same input, flags and binaryen. -O1, not
# -O2: the smaller download once compressed (gzip and brotli; -O2 is smaller raw, larger
# compressed) in a third of the time (README, "Tried and dropped").
optimize() {
  local file="$1" flags=(-O1 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-simd --enable-reference-types --enable-multivalue --enable-mutable-globals)
  local key
  key=$( { sha256sum < "$file"; echo "${flags[*]} $("$wasm_opt" --version)"; } | sha256sum | cut -c1-32)
  local kept="$target_dir/wasm-opt/$key.wasm"
  if [[ ! -f "$kept" ]]; then
    mkdir -p "$target_dir/wasm-opt"
    "$wasm_opt" "${flags[@]}" "$file" -o "$kept.tmp"
    mv "$kept.tmp" "$kept"
  fi
  cp "$kept" "$file"
}

mkdir -p pkg
rm -f pkg/ja_rerank_bg.wasm pkg/ja_rerank_bg.wasm.d.ts  # the one-build layout's files
# The name section (6 MB) is of use only to a debugger; --remove-name-section drops it.
bindgen() {  # OUT_NAME WASM
  wasm-bindgen --target web --remove-name-section --out-dir pkg --out-name "$1" "$2"
}
# The crate's sources as cargo sees them: a build whose stamp matches is not rebuilt (the two
# single-threaded builds share a target dir, where switching features recompiles the crate).
sources=$(find src Cargo.toml Cargo.lock build.rs -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-32)
fresh() {  # fresh NAME EXTRA: whether pkg/ holds NAME built from these sources
  [[ -f "pkg/ja_rerank_$1_bg.wasm" && "$(cat "pkg/.stamp-$1" 2>/dev/null)" == "$sources $2 ${JA_RERANK_WASM_OPT:-1}" ]]
}
stamp() { echo "$sources $2 ${JA_RERANK_WASM_OPT:-1}" > "pkg/.stamp-$1"; }
built=()
for build in simd relaxed cpu-simd cpu-relaxed; do
  features=flex
  [[ $build == simd || $build == relaxed ]] && features+=,webgpu
  [[ $build == *relaxed ]] && features+=,relaxed-simd
  fresh $build $features && { echo "pkg/ja_rerank_$build: up to date"; continue; }
  step "cargo build (wasm32, release, features $features) + wasm-bindgen → pkg/ja_rerank_$build"
  cargo build --release --target wasm32-unknown-unknown --lib --no-default-features --features "$features"
  bindgen "ja_rerank_$build" "$target_dir/wasm32-unknown-unknown/release/ja_rerank.wasm"
  built+=("$build:$features")
done

# For scripts/test.sh, whose browser tests wait for this target dir to be left alone.
[[ -n "${JA_RERANK_STAGES:-}" ]] && stage_done wasm-builds

if ! fresh threads "$(cat scripts/build-threads.sh | sha256sum | cut -c1-16)"; then
  scripts/build-threads.sh
  rm -rf pkg-threads  # the threads build's former home
  bindgen ja_rerank_threads "$target_dir/threads/wasm32-unknown-unknown/release/ja_rerank.wasm"
  stamp threads "$(cat scripts/build-threads.sh | sha256sum | cut -c1-16)"
fi

if [[ "${JA_RERANK_WASM_OPT:-1}" != 0 && ${#built[@]} -gt 0 ]]; then
  find_wasm_opt
  step "wasm-opt -O1 of ${built[*]%%:*}, two at a time ($("$wasm_opt" --version); minutes, unless kept)"
  pids=()
  for b in "${built[@]}"; do
    optimize "pkg/ja_rerank_${b%%:*}_bg.wasm" &
    pids+=($!)
    if (( ${#pids[@]} == 2 )); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
fi
for b in "${built[@]}"; do stamp "${b%%:*}" "${b#*:}"; done
cp js/index.js pkg/ja_rerank.js
cp js/index.d.ts pkg/ja_rerank.d.ts
cp js/worker.js js/client.js js/client.d.ts js/errors.js README.md LICENSE-MIT LICENSE-APACHE pkg/
# The MeCab dictionary BERT-ja models need (fetched only by them; LoadOptions.dictionary). In
# scripts/test.sh the main lane builds it while the builds above compile.
[[ -n "${JA_RERANK_STAGES:-}" ]] && await_stage main dictionary
ensure_dictionary
cp fixtures/dictionary/unidic-lite.vibrato.zst pkg/
node tools/package-json.mjs pkg
ls -l pkg/*.wasm
