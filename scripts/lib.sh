# Shared by scripts/*.sh: logging and install-if-missing helpers.
# Each step says when it started, counted from the first script of the run (scripts called by
# another, such as build-package.sh from test.sh, inherit the start), so a CI log shows the split.
: "${JA_RERANK_T0:=$(date +%s)}"
export JA_RERANK_T0
step() { printf '\n\033[1m== %s\033[0m (at %d s)\n' "$*" "$(( $(date +%s) - JA_RERANK_T0 ))"; }

# apt packages, installed only when a command they provide is missing.
need_apt() {  # need_apt COMMAND PACKAGE...
  command -v "$1" >/dev/null 2>&1 && return 0
  shift
  local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

# The wasm toolchain, installed without touching GitHub: the rustup target, wasm-bindgen-cli at
# exactly Cargo.lock's wasm-bindgen version (a mismatch makes wasm-pack try to download one),
# and wasm-pack.
ensure_wasm_toolchain() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  local want
  want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
  if [[ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]]; then
    step "cargo install wasm-bindgen-cli $want (a few minutes, once)"
    cargo install wasm-bindgen-cli --version "=$want"
  fi
  command -v wasm-pack >/dev/null || { step "cargo install wasm-pack (a few minutes, once)"; cargo install wasm-pack; }
  need_apt node nodejs npm
}

# Headless Chromium and its driver (Debian packages; no browser downloads), and a CJK font so
# that screenshots of Japanese pages are readable.
ensure_chromium() {
  need_apt chromium chromium
  need_apt chromedriver chromium-driver
  fc-list 2>/dev/null | grep -q "Noto Sans CJK" || need_apt __no_such_command__ fonts-noto-cjk
}

# Headless Firefox ESR (Debian) with Mesa's software Vulkan (lavapipe: Firefox's WebGPU adapter
# here), and geckodriver (crates.io; Debian has none). wasm-pack is run with --mode no-install
# and this geckodriver, or it would try to download one from GitHub.
ensure_firefox() {
  need_apt firefox-esr firefox-esr
  [[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ]] || need_apt __no_such_command__ mesa-vulkan-drivers libvulkan1
  command -v geckodriver >/dev/null || { step "cargo install geckodriver (a minute or two, once)"; cargo install geckodriver; }
}

# Starts tools/serve.mjs --hub in the background on a fixed port (the browser tests bake the URL
# in at compile time, so a fixed one avoids rebuilding them); sets TEST_SERVER and registers a
# trap that stops it.
start_hub_server() {
  local log; log=$(mktemp)
  node tools/serve.mjs --port "${JA_RERANK_TEST_PORT:-8787}" --hub > "$log" 2>&1 &
  HUB_PID=$!
  trap 'kill $HUB_PID 2>/dev/null || true' EXIT
  for _ in $(seq 50); do grep -q serving "$log" && break; sleep 0.1; done
  TEST_SERVER=$(grep -oE 'http://[0-9.:]+' "$log" | head -1)
  [[ -n "$TEST_SERVER" ]] || { cat "$log"; echo "test server did not start" >&2; return 1; }
  echo "hub test server: $TEST_SERVER"
}

# `npm ci` (or `npm install` without a lock file) in DIR, once per change of its package.json.
npm_ci() {
  local dir="$1"
  if [[ ! -d "$dir/node_modules" || "$dir/package.json" -nt "$dir/node_modules/.installed" ]]; then
    if [[ -f "$dir/package-lock.json" ]]; then
      (cd "$dir" && npm ci --no-audit --no-fund --silent)
    else
      (cd "$dir" && npm install --no-audit --no-fund --silent)
    fi
    touch "$dir/node_modules/.installed"
  fi
}

# WebKitGTK (Safari's engine) for tests: its WebDriver and MiniBrowser (webkit2gtk-driver; the
# browser at /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser), and Xvfb, since MiniBrowser has
# no headless mode. tests/package/webkit.mjs starts both itself. The CJK font comes with ensure_chromium.
ensure_webkit() {
  need_apt WebKitWebDriver webkit2gtk-driver
  need_apt Xvfb xvfb
}
