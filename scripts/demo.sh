#!/usr/bin/env bash
# The main job: build the npm package, assemble the demo site (www/ + pkg/ + the bundled
# stand-in model) and serve it on localhost. The page loads the real model from the Hub; where
# the Hub cannot be reached it says so and offers the bundled stand-in (a small cross-encoder
# trained here on man pages: not the real model, but its rankings mean something).
#   PORT=8080 (default) picks the port.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/build-package.sh
step "assemble the static site in target/demo"
node tools/build-dist.mjs target/demo
port="${PORT:-8080}"
base="http://127.0.0.1:$port"
step "serving the demo (Ctrl-C stops)"
cat <<TXT
  $base/                                         the demo (real model from the Hub; offers the stand-in offline)
  $base/?hub=$base/models&model=stand-in/ranker  straight to the bundled stand-in (trained here on man pages)
TXT
[[ -f fixtures/full/model.safetensors ]] &&
  echo "  $base/?hub=$base/hub&model=stand-in/full       the full-size stand-in (470 MB, random weights)"
exec node tools/serve.mjs --root target/demo --hub --port "$port"
