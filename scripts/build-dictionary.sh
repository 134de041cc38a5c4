#!/usr/bin/env bash
# The MeCab dictionary BERT-ja models (base-v1, large-v1) need, from unidic-lite (PyPI: the
# dictionary their BertJapaneseTokenizer names): its compiled MeCab files read back into sources
# (tools/fixtures/mecab_sources.py), compiled to vibrato's format and compressed with zstd -19
# (ja-rerank dictionary; -19 without --long keeps the decoder's window at 8 MiB), named
# "unidic_lite" as the models' tokenizer_config.json names it.
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
cargo run --release --features ndarray --quiet -- dictionary --sources "$work/sources" --name unidic_lite --zstd 19 --out "$work/out"
mkdir -p "$(dirname "$out")"
mv "$work/out" "$out"
echo "$out: $(stat -c %s "$out") bytes"
