"""The JaCWIR-like workload: 1 query × 100 short passages, each (query, passage) pair 60–100
tokens long (special tokens included), spread evenly over that range, from Debian's Japanese man
pages (tools/fixtures/corpus.py; needs apt `manpages-ja manpages-ja-dev`). JaCWIR reranks short
web-page titles+descriptions; this mimics its shape (many short passages per query), not its
text. Deterministic: no randomness, pages and paragraphs are walked in sorted order.

Token counts come from the Python `tokenizers` library on fixtures/models/tiny/tokenizer.json,
which tokenizes like the full-size stand-in (same pieces; the full one only adds never-matching
padding pieces) and, by the parity tests, like ja-rerank.

  bench/run-python make_jacwir.py [OUT]     (default bench/data/pairs-jacwir.jsonl)
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tokenizers import Tokenizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "fixtures"))
from corpus import man_pages, page_paragraphs  # noqa: E402

QUERY = "ディレクトリの中のファイルを一覧表示するコマンドの使い方"
N = 100
LO, HI = 60, 100
JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "data" / "pairs-jacwir.jsonl"
    tok = Tokenizer.from_file(str(ROOT / "fixtures" / "models" / "tiny" / "tokenizer.json"))
    n_tokens = lambda passage: len(tok.encode(QUERY, passage).ids)  # noqa: E731

    # Candidate passages: the first prose paragraph after a page's NAME line, one per page,
    # pages in sorted order — like a web page's title + description, about one topic each.
    # Mostly-Japanese prose only (no code synopses).
    candidates, seen = [], set()
    for path in man_pages():
        paras = page_paragraphs(path)
        if len(paras) < 2:
            continue
        text = re.sub(r"\s+", " ", paras[1]).strip()
        if len(JA.findall(text)) >= 0.5 * len(text) and n_tokens(text) >= HI and text not in seen:
            seen.add(text)
            candidates.append(text)
    step = len(candidates) // N
    assert step >= 1, f"only {len(candidates)} candidate paragraphs (is manpages-ja installed?)"

    def cut(text: str, target: int) -> str:
        # Drop whole trailing sentences while the rest is still long enough, then characters.
        passage = text
        while True:
            shorter = passage[: passage.rstrip("。").rfind("。") + 1]
            if not shorter or n_tokens(shorter) < target:
                break
            passage = shorter
        while n_tokens(passage) > target:
            passage = passage[:-1]
        return passage

    rows, lens, used = [], [], set()
    for i in range(N):
        target = LO + round(i * (HI - LO) / (N - 1))  # 60, 60, 61, ..., 100
        j = i * step
        while (passage := cut(candidates[j], target)) in used:  # pages that share a prefix
            j += 1
        used.add(passage)
        rows.append({"query": QUERY, "passage": passage})
        lens.append(n_tokens(passage))
    # Interleave lengths: real candidate lists are not sorted by length (a runtime that sorts
    # them itself, as ja-rerank does, gets the benefit honestly).
    order = sorted(range(N), key=lambda i: (i * 37) % N)
    rows = [rows[i] for i in order]
    lens = [lens[i] for i in order]

    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{out}: {N} pairs, tokens per pair {min(lens)}..{max(lens)}, mean {sum(lens) / N:.1f}")


if __name__ == "__main__":
    main()
