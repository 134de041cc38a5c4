#!/usr/bin/env bash
# Fuzzes every parser that reads a stranger's bytes (fuzz/fuzz_targets: the safetensors header and
# its ranges, whole / compact weight files, config.json of every family, tokenizer_config.json,
# the MeCab dictionary's line and sum, vibrato's format behind a right sum, vocab.txt) with
# cargo-fuzz (libFuzzer), each for SECONDS (default 10),
# seeded with the fixtures. A panic, a sanitizer report, an allocation over 1 GiB or a run over
# 2 GiB fails the run; libFuzzer leaves the input in fuzz/artifacts/TARGET/.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 3600 config_json
# By hand: optimised, with AddressSanitizer. The suite (JA_RERANK_FUZZ_QUICK=1): unoptimised and
# without a sanitizer — an optimised build of the crate's dependencies under libFuzzer's
# instrumentation takes ~10 min of a cold run; this one a fraction (the README's Fuzzing section),
# and the parsers are safe Rust, whose bounds checks stand in for the sanitizer.
# The corpus grows in $CARGO_TARGET_DIR/fuzz-corpus/TARGET (kept between runs, not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
seconds="${1:-10}"; shift || true
target_dir="${CARGO_TARGET_DIR:-target}/fuzz"
corpus_root="${CARGO_TARGET_DIR:-target}/fuzz-corpus"
ensure_nightly
command -v cargo-fuzz >/dev/null || { step "cargo install cargo-fuzz (once)"; tool_install cargo-fuzz --version "=0.13.2" --locked; }
targets=("$@")
(( ${#targets[@]} )) || mapfile -t targets < <(ls fuzz/fuzz_targets | sed 's/\.rs$//')

# Seeds: the fixtures each parser reads in the suite.
seeds="$(mktemp -d)"; trap 'rm -rf "$seeds"' EXIT
for t in "${targets[@]}"; do mkdir -p "$seeds/$t" "$corpus_root/$t"; done
# vibrato's format: a small dictionary compiled by the CLI (the release build the suite has made
# by then) from vibrato's own test sources, with an unknown word for every category (which the
# load checks: vendor/vibrato/PATCH.md).
if [[ -d "$seeds/mecab_format" ]]; then
  src="$seeds/mecab_sources"; mkdir -p "$src"
  cp vendor/vibrato/src/tests/resources/{lex.csv,matrix.def,char.def} "$src/"
  awk '/^[A-Z]/ { print $1 ",7,7,5000,名詞,普通名詞,一般,*,*,*" }' "$src/char.def" > "$src/unk.def"
  cargo run --release --features ndarray --quiet -- dictionary --sources "$src" --name unidic_lite \
    --out "$seeds/mecab_format.file"
fi
python3 - "$seeds" <<'PY'
import hashlib, pathlib, struct, sys
out, root = pathlib.Path(sys.argv[1]), pathlib.Path("fixtures")
def put(target, name, data):
    if (out / target).is_dir():
        (out / target / name).write_bytes(data)
models = sorted(p for p in root.glob("models/*") if (p / "config.json").exists())
for m in models:
    st = (m / "model.safetensors").read_bytes()
    n = struct.unpack("<Q", st[:8])[0]
    put("safetensors_header", m.name, st[: 8 + n])
    put("config_json", m.name, (m / "config.json").read_bytes())
    if (m / "tokenizer_config.json").exists():
        put("tokenizer_config", m.name, (m / "tokenizer_config.json").read_bytes())
    if len(st) < 3 << 20:
        put("compact_weights", m.name, st)
for p in sorted(pathlib.Path("target/compact").glob("*/model.safetensors")):
    if p.stat().st_size < 3 << 20:
        put("compact_weights", p.parent.name, p.read_bytes())
for p in sorted(root.glob("*/config.json")):
    put("config_json", p.parent.name, p.read_bytes())
put("vocab_txt", "bert-tiny", (root / "models/bert-tiny/vocab.txt").read_bytes())
# A dictionary whose sum matches a short payload (vibrato's first 4 KiB: its magic and lengths).
d = root / "dictionary/unidic-lite.vibrato.zst"
if d.exists():
    payload = d.read_bytes().split(b"\n", 1)[1][:4096]
    put("mecab_dictionary", "head", b"ja-rerank MeCab dictionary 3: unidic_lite sha256=" + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
small = out / "mecab_format.file"
if small.exists():
    put("mecab_format", "vibrato-tests", small.read_bytes().split(b"\n", 1)[1])
put("mecab_dictionary", "empty", b"ja-rerank MeCab dictionary 3: unidic_lite sha256=" + hashlib.sha256(b"").hexdigest().encode() + b"\n")
PY

if [[ -n "${JA_RERANK_FUZZ_QUICK:-}" ]]; then
  how=(--dev --sanitizer none); target_dir="$target_dir-quick"; what="unoptimised, no sanitizer"
else
  how=(--release --debug-assertions); what="optimised, AddressSanitizer"
fi
step "cargo fuzz build: ${#targets[@]} targets (nightly, $what)"
cargo "+$nightly" fuzz build "${how[@]}" --fuzz-dir fuzz --target-dir "$target_dir"
total=0
for t in "${targets[@]}"; do
  step "fuzz $t for ${seconds}s"
  cargo "+$nightly" fuzz run "${how[@]}" --fuzz-dir fuzz --target-dir "$target_dir" "$t" \
    "$corpus_root/$t" "$seeds/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -max_len=4194304 -print_final_stats=1 2>&1 | grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|thread '|panicked|Test unit written)" || true
  # libFuzzer exits non-zero on a finding; the pipe hid it: the artifact tells.
  if compgen -G "fuzz/artifacts/$t/*" >/dev/null; then
    echo "fuzz $t: found an input that fails: fuzz/artifacts/$t/ (rerun: cargo +$nightly fuzz run --fuzz-dir fuzz $t fuzz/artifacts/$t/<file>)"
    exit 1
  fi
  total=$((total + seconds))
done
echo "fuzzed ${#targets[@]} targets, ${total}s in all"
