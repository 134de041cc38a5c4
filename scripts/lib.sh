# Shared by scripts/*.sh: logging, step times, lanes, and install-if-missing helpers.
# Each step says when it started, counted from the first script of the run (scripts called by
# another, such as build-package.sh from test.sh, inherit the start), so a CI log shows the split.
: "${JA_RERANK_T0:=$(date +%s)}"
export JA_RERANK_T0
# The machine's busy CPU ticks (every process, /proc/stat) at T0, for the run's total in the table.
_busy_ticks() { local c u n s i w q sq st; read -r c u n s i w q sq st _ < /proc/stat; echo $(( u + n + s + q + sq + st )); }
: "${JA_RERANK_BUSY0:=$(_busy_ticks)}"
export JA_RERANK_BUSY0
# Where each step's start is written (lane, seconds since T0, CPU seconds the lane's finished
# commands have used so far, title), when a run keeps a table of its steps (scripts/test.sh); a
# step ends where the next one of its lane starts.
: "${JA_RERANK_LANE:=main}"
export JA_RERANK_LANE
step() {
  local at=$(( $(date +%s) - JA_RERANK_T0 ))
  printf '\n\033[1m== %s\033[0m (at %d s)\n' "$*" "$at"
  lane_cpu
  [[ -n "${JA_RERANK_STEPS:-}" ]] && printf '%s\t%d\t%d\t%s\n' "$JA_RERANK_LANE" "$at" "$LANE_CPU" "$*" >> "$JA_RERANK_STEPS"
  return 0
}
# The end of a lane's last step.
lane_end() {
  lane_cpu
  [[ -n "${JA_RERANK_STEPS:-}" ]] && printf '%s\t%d\t%d\t\n' "$JA_RERANK_LANE" "$(( $(date +%s) - JA_RERANK_T0 ))" "$LANE_CPU" >> "$JA_RERANK_STEPS"
  return 0
}
# LANE_CPU: CPU seconds (user + system) this lane's finished commands have used, with their
# descendants: what a step costs in core time, which on 2 cores sets the wall clock more than any
# order of steps. The kernel counts a process's waited-for children (/proc/PID/stat fields 16-17,
# clock ticks); a script run by another starts from its parent's count (JA_RERANK_CPU_BASE).
# Called, not substituted: a $(subshell) would count its own, empty, children.
# TICKS: the CPU ticks of process $1's waited-for children (fields 16-17), read without a fork.
_cpu_ticks() { local f; read -ra f < "/proc/$1/stat"; TICKS=$(( f[15] + f[16] )); }
if [[ -n "${JA_RERANK_CPU_BASE:-}" && "${JA_RERANK_CPU_PID:-}" == "$PPID" ]]; then
  _cpu_ticks "$PPID"
  JA_RERANK_CPU_BASE=$(( JA_RERANK_CPU_BASE + TICKS ))
else
  JA_RERANK_CPU_BASE=0
fi
export JA_RERANK_CPU_BASE
lane_cpu() {
  _cpu_ticks "$BASHPID"
  # Lanes this shell started and has reaped (no /proc entry left): their CPU joined this shell's
  # count when they ended, in whatever step ran then; it is theirs (their own rows say it).
  if [[ "${JA_RERANK_LANES_PARENT:-}" == "$BASHPID" ]]; then
    local f pid
    for f in "$JA_RERANK_STAGES"/lane-*.ticks; do
      [[ -f "$f" ]] || continue
      pid=${f##*/lane-}; pid=${pid%.ticks}
      [[ -e "/proc/$pid" ]] || TICKS=$(( TICKS - $(< "$f") ))
    done
  fi
  LANE_CPU=$(( (JA_RERANK_CPU_BASE + TICKS) / $(getconf CLK_TCK) ))
  # Children started from here count from this shell's base.
  export JA_RERANK_CPU_PID=$BASHPID
}

# The table of the run's steps in minutes, per lane, from $JA_RERANK_STEPS: what every change to
# the suite is measured by (README, "Tests").
step_table() {
  [[ -s "${JA_RERANK_STEPS:-}" ]] || return 0
  local total=$(( $(date +%s) - JA_RERANK_T0 ))
  printf '\n\033[1m== time by step\033[0m (wall clock %s min; budget for a cold run: 45 min, CI'"'"'s limit: 90)\n' "$(awk -v t="$total" 'BEGIN { printf "%.1f", t / 60 }')"
  printf '| lane | step | from min | min | CPU min |\n|---|---|---|---|---|\n'
  # Browsers started through WebDriver are not the suite's waited-for children, so their CPU is
  # missing from the steps' column; the machine's own count (/proc/stat) has it.
  local busy=$(( ($(_busy_ticks) - JA_RERANK_BUSY0) / $(getconf CLK_TCK) ))
  awk -F'\t' -v total="$total" -v busy="$busy" -v cores="$(nproc)" '
    { lane[NR]=$1; at[NR]=$2; cpu[NR]=$3; title[NR]=$4 }
    END {
      seen["main"] = 1; lanes[++n] = "main"
      for (i = 1; i <= NR; i++) if (!(lane[i] in seen)) { seen[lane[i]] = 1; lanes[++n] = lane[i] }
      for (k = 1; k <= n; k++) for (i = 1; i <= NR; i++) {
        if (lane[i] != lanes[k] || title[i] == "") continue
        end = total; used = "?"
        for (j = i + 1; j <= NR; j++) if (lane[j] == lane[i]) { end = at[j]; used = sprintf("%.1f", (cpu[j] - cpu[i]) / 60); break }
        if (used != "?") sum += (cpu[j] - cpu[i])
        t = title[i]; sub(/ \([^()]*\)$/, "", t); if (length(t) > 90) t = substr(t, 1, 87) "..."
        printf "| %s | %s | %.1f | %.1f | %s |\n", lane[i], t, at[i] / 60, (end - at[i]) / 60, used
      }
      printf "| | all steps | | %.1f | %.1f |\n", total / 60, sum / 60
      printf "machine: %.1f CPU min busy of %.1f (%d cores), %d %%; the CPU column misses browsers driven by WebDriver\n",
        busy / 60, total * cores / 60, cores, (total > 0 ? 100 * busy / (total * cores) : 0)
    }' "$JA_RERANK_STEPS"
}

# Lanes: a background shell runs a list of steps beside the main one (scripts/test.sh), each
# marking the stages it finishes; the other lane waits for a stage with `await_stage`, and gets
# the background lane's log printed as it waits. A lane that fails marks itself failed, and the
# one waiting on it fails too.
#   JA_RERANK_STAGES: the folder of stage markers (NAME.done, LANE.failed) and lane logs.
stage_done() { touch "$JA_RERANK_STAGES/$1.done"; }
# start_lane NAME FUNCTION: FUNCTION in the background as lane NAME, its output in NAME.log.
start_lane() {
  local name="$1" fn="$2"
  JA_RERANK_LANES_PARENT=$BASHPID  # not exported: only this shell reaps its lanes
  ( export JA_RERANK_LANE="$name"
    trap 'rc=$?; [[ $rc -ne 0 ]] && echo "$rc" > "$JA_RERANK_STAGES/$name.failed"; lane_end; _lane_ticks' EXIT
    "$fn" ) > "$JA_RERANK_STAGES/$name.log" 2>&1 &
  LANE_PIDS+=("$!")
}
# What a lane adds to its parent's count of children's CPU when it is reaped: its own ticks and
# its waited-for children's (/proc/PID/stat fields 14-17), for lane_cpu to take off again.
_lane_ticks() {
  local f; read -ra f < "/proc/$BASHPID/stat"
  echo $(( f[13] + f[14] + f[15] + f[16] )) > "$JA_RERANK_STAGES/lane-$BASHPID.ticks"
}
# The part of a lane's log not yet shown here, indented under its lane's name.
show_lane() {
  local log="$JA_RERANK_STAGES/$1.log" shown="$JA_RERANK_STAGES/$1.shown"
  [[ -f "$log" ]] || return 0
  local from; from=$(cat "$shown" 2>/dev/null || echo 0)
  local size; size=$(stat -c %s "$log")
  (( size > from )) && tail -c +"$((from + 1))" "$log" | head -c "$((size - from))" | sed "s/^/  [$1] /"
  echo "$size" > "$shown"
}
# await_stage LANE STAGE: waits until LANE has marked STAGE, showing LANE's log; fails if LANE failed.
await_stage() {
  local lane="$1" stage="$2"
  until [[ -f "$JA_RERANK_STAGES/$stage.done" ]]; do
    if [[ -f "$JA_RERANK_STAGES/$lane.failed" ]]; then
      show_lane "$lane"
      echo "the $lane lane failed before '$stage' (exit $(cat "$JA_RERANK_STAGES/$lane.failed"))" >&2
      return 1
    fi
    sleep 2
  done
  [[ "$lane" == "$JA_RERANK_LANE" ]] || show_lane "$lane"
}

# apt-get install PACKAGE... after one index update (sudo when not root).
apt_install() {
  local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}
# apt packages, installed only when a command they provide is missing.
need_apt() {  # need_apt COMMAND PACKAGE...
  command -v "$1" >/dev/null 2>&1 && return 0
  shift
  apt_install "$@"
}

# The MeCab dictionary, built unless one of the current format is there (its first line: HEADER
# in src/tokenize/mecab.rs; an older file is refused by name, so it is rebuilt, not kept).
ensure_dictionary() {
  local f=fixtures/dictionary/unidic-lite.vibrato.zst
  [[ "$(head -c 30 "$f" 2>/dev/null)" == "ja-rerank MeCab dictionary 3: " ]] || scripts/build-dictionary.sh
}

# `cargo install` of a tool the suite only drives (wasm-bindgen-cli, wasm-pack, geckodriver)
# at opt-level 0, except the crates that do wasm-bindgen's work on a module (walrus and its
# parsers, the transforms): optimising whole tools takes minutes of a cold run, and only those
# crates' speed shows (scripts/test.sh's table; the closing note of issue 31 has the numbers).
tool_install() {
  local cfg=() crate
  for crate in walrus wasmparser wasm-encoder id-arena leb128 gimli wasm-bindgen-cli-support \
      wasm-bindgen-wasm-interpreter wasm-bindgen-wasm-conventions wasm-bindgen-threads-xform \
      wasm-bindgen-externref-xform wasm-bindgen-multi-value-xform; do
    cfg+=(--config "profile.release.package.$crate.opt-level=2")
  done
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false cargo "${cfg[@]}" install "$@"
}

# The pinned nightly (the one the threads build was built and measured with, so a new nightly
# cannot break CI) with rust-src and wasm32: the threads build and the fuzz targets use it. Sets
# $nightly. Under a lock: both lanes may ask for it at once, and two rustup installs of one
# toolchain trip over each other.
ensure_nightly() {
  nightly="${JA_RERANK_NIGHTLY:-nightly-2026-05-20}"
  mkdir -p "$HOME/.cache/ja-rerank"
  (
    flock 9
    if ! rustup run "$nightly" rustc --version >/dev/null 2>&1 || ! rustup component list --toolchain "$nightly" --installed | grep -q rust-src; then
      step "rustup: $nightly with rust-src and wasm32 (once, ~200 MB)"
      rustup toolchain install "$nightly" --profile minimal --component rust-src --target wasm32-unknown-unknown
    fi
  ) 9>"$HOME/.cache/ja-rerank/rustup.lock"
}

# The wasm toolchain, installed without touching GitHub: the rustup target, wasm-bindgen-cli at
# exactly Cargo.lock's wasm-bindgen version (a mismatch makes wasm-pack try to download one),
# and wasm-pack.
ensure_wasm_toolchain() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  local want
  want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
  if [[ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]]; then
    step "cargo install wasm-bindgen-cli $want (a minute or two, once)"
    tool_install wasm-bindgen-cli --version "=$want"
  fi
  command -v wasm-pack >/dev/null || { step "cargo install wasm-pack (a minute, once)"; tool_install wasm-pack; }
  need_apt node nodejs npm
}

# Every Debian package the suite uses, those not installed yet, in one apt-get (one index
# update): headless Chromium and its driver (no browser downloads) with a CJK font so that
# screenshots of Japanese pages are readable; Firefox ESR with Mesa's software Vulkan (lavapipe:
# Firefox's WebGPU adapter here); WebKitGTK's WebDriver and MiniBrowser (Safari's engine) with
# Xvfb, since MiniBrowser has no headless mode (tests/package/webkit.mjs starts both); zstd for
# the MeCab dictionary; Node.js and npm.
SUITE_APT_PACKAGES=(chromium chromium-driver fonts-noto-cjk firefox-esr mesa-vulkan-drivers libvulkan1
  webkit2gtk-driver xvfb zstd)
ensure_apt_packages() {
  local missing=() pkg
  for pkg in "${SUITE_APT_PACKAGES[@]}"; do
    dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  command -v node >/dev/null || missing+=(nodejs npm)
  (( ${#missing[@]} )) || return 0
  apt_install "${missing[@]}"
}

# geckodriver (crates.io; Debian has none). wasm-pack is run with --mode no-install and this
# geckodriver, or it would try to download one from GitHub.
ensure_geckodriver() {
  command -v geckodriver >/dev/null || { step "cargo install geckodriver (a minute, once)"; tool_install geckodriver; }
}

# Starts tools/serve.mjs --hub in the background on a fixed port (the browser tests bake the URL
# in at compile time, so a fixed one avoids rebuilding them); sets TEST_SERVER and HUB_PID (the
# caller stops it).
start_hub_server() {
  local log; log=$(mktemp)
  node tools/serve.mjs --port "${JA_RERANK_TEST_PORT:-8787}" --hub > "$log" 2>&1 &
  HUB_PID=$!
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
