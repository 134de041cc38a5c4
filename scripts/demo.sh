#!/usr/bin/env bash
# The main job. For now (core crate): build the CLI and rerank a few Japanese passages with the
# committed stand-in model. The stand-in has random weights: its ranking means nothing; it shows
# the whole path working without the Hub.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "build the CLI (release)"
cargo build --release --bin ja-rerank
bin="${CARGO_TARGET_DIR:-target}/release/ja-rerank"

step "score pairs (stand-in model fixtures/models/tiny: random weights)"
printf '%s\n' \
  '{"query": "ファイルの一覧を表示する", "passage": "ls はディレクトリの内容を一覧表示する。"}' \
  '{"query": "ファイルの一覧を表示する", "passage": "passwd はユーザーのパスワードを変更する。"}' \
  | "$bin" score --model fixtures/models/tiny

step "rerank documents, one per line"
printf '%s\n' "ディレクトリの内容をリスト表示する" "ファイルを削除する" "猫の飼い方" \
  | "$bin" rerank --model fixtures/models/tiny --query "ファイルの一覧" --top-k 2
