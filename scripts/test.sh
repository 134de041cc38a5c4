#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, then runs every test.
# Used by .ci/run. Set CARGO_TARGET_DIR to reuse a build between clones.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "full-size stand-in (fixtures/full, ~470 MB, numpy only)"
if [[ ! -f fixtures/full/model.safetensors ]]; then
  tools/fixtures/run make_full.py
fi

step "native tests: both CPU backends (flex default + ndarray)"
# --release: burn's kernels are unusably slow unoptimised, and one profile means one build.
JA_RERANK_REQUIRE_FULL=1 cargo test --release --features ndarray
