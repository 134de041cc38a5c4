#!/usr/bin/env bash
# Compiles the package's threads build (scripts/build-package.sh runs wasm-bindgen on it): CPU
# only, multi-threaded (feature `threads`): wasm atomics and shared memory, so the std library
# is rebuilt (nightly, -Z build-std). The package entry picks it in a Worker on a
# cross-origin-isolated page (`RerankerWorker`). Its own target dir: other RUSTFLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_wasm_toolchain
ensure_nightly
step "cargo +$nightly build (threads: build-std, atomics; CPU only)"
# --max-memory: shared memories must declare a maximum (rustc's default is 1 GiB; the full-size
# model needs ~0.7). wasm-opt is skipped: it gains nothing measurable on speed here.
# Feature relaxed-simd: the matmul tiles' multiply-adds become one fused f32x4.relaxed_madd (FMA
# on x64 and arm64), ~1.35× the kernel's speed in V8. Only those functions get the target
# feature (macerator 0.5.2 does not compile with it crate-wide). Engines without relaxed SIMD
# (Safari) refuse to compile this build; the package entry (js/index.js) does not pick it there.
target_dir="${CARGO_TARGET_DIR:-target}/threads"
RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128 -C link-arg=--max-memory=4294967296" \
  cargo "+$nightly" build --release --target wasm32-unknown-unknown --target-dir "$target_dir" \
  --lib --no-default-features --features flex,threads,relaxed-simd -Z build-std=panic_abort,std
ls -l "$target_dir/wasm32-unknown-unknown/release/ja_rerank.wasm"
