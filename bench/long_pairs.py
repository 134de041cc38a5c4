"""Pairs of a chosen length for bench/long.mjs: one query and cuts of a long Japanese man-page text
(the long-pair fixture's passage, fixtures/long-reference.json) whose pair, tokenized by
`tokenizer.json` (Python `tokenizers`, as both runtimes' tokenizers read it), is N tokens or just
under, for each N asked; `count` pairs per length, each cut from a different place.

    bench/run-python long_pairs.py TOKENIZER_JSON N:COUNT [N:COUNT ...]   → JSON on stdout
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from tokenizers import Tokenizer

ROOT = Path(__file__).resolve().parents[1]
QUERY = "ファイルの権限を変更するコマンド"


def main() -> None:
    tok = Tokenizer.from_file(sys.argv[1])
    tok.no_truncation()
    tok.no_padding()
    text = json.loads((ROOT / "fixtures/long-reference.json").read_text())["passage"]
    text = text * 3  # room for several cuts of the longest
    out = {}
    for spec in sys.argv[2:]:
        n, count = (int(x) for x in spec.split(":"))
        pairs = []
        for k in range(count):
            start = k * len(text) // (4 * count)
            lo, hi = 1, len(text) - start
            while lo < hi:  # the longest cut whose pair has at most n tokens
                mid = (lo + hi + 1) // 2
                if len(tok.encode(QUERY, text[start:start + mid]).ids) <= n:
                    lo = mid
                else:
                    hi = mid - 1
            passage = text[start:start + lo]
            pairs.append({"query": QUERY, "passage": passage, "tokens": len(tok.encode(QUERY, passage).ids)})
        out[n] = pairs
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
