#!/usr/bin/env bash
# The MeCab dictionary BERT-ja models (base-v1, large-v1) need, from unidic-lite (PyPI: the
# dictionary their BertJapaneseTokenizer names): its compiled MeCab files read back into sources
# (tools/fixtures/mecab_sources.py), compiled to vibrato's format (ja-rerank dictionary), zstd -19.
#   scripts/build-dictionary.sh [OUT]   default: fixtures/dictionary/unidic-lite.vibrato.zst
# The package ships this file; the demo and the tests serve it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
out="${1:-fixtures/dictionary/unidic-lite.vibrato.zst}"
need_apt zstd zstd
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tools/fixtures/run mecab_sources.py "$work/sources"
cargo run --release --features ndarray --quiet -- dictionary --sources "$work/sources" --out "$work/unidic-lite.vibrato"
mkdir -p "$(dirname "$out")"
# -19 without --long: the decoder's window stays 8 MiB (ruzstd in the browser).
zstd -q -19 -T0 -f "$work/unidic-lite.vibrato" -o "$out.tmp"
mv "$out.tmp" "$out"
echo "$out: $(stat -c %s "$out") bytes (vibrato format $(stat -c %s "$work/unidic-lite.vibrato") bytes)"
