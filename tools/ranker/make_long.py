#!/usr/bin/env python3
"""A long-passage variant of make_data.py's held-out task: the same held-out queries, but each
passage is a WHOLE man page, so most pairs are far longer than the stand-in's 512 tokens. It
compares `--overflow truncate` (cut at 512 tokens) with `--overflow chunks` (best window) and
with BM25's own order.

    python3 tools/ranker/make_long.py [--out target/ranker-long] [--top-k 20] [--with-name]

Standard library and Node only, deterministic (make_data.py's pages, split and BM25; no random
state), so the same installed pages give the same bytes.

- **Queries and split** are make_data.py's: a query is a page's NAME-line description, held out
  when make_data.py holds it out (SHA-1 of the description, and pages sharing a passage with a
  training page train). Only held-out queries are written.
- A **passage** is one whole page as the collection code reads it
  (make_collection.section_paragraphs: running text of every section, no-fill blocks such as
  synopses and examples skipped), paragraphs joined by newlines, NFC. The NAME section is left
  out by default, because it holds the query verbatim (`--with-name` keeps it).
- The **collection** is every page make_data.py uses (held-out and training), deduplicated by
  text. **Labels**: 1 for the query's own page and for pages with the same description, else 0.
- **Candidates** are the demo's bigram BM25 (www/bm25.js via tools/ranker/bm25.mjs) top
  `--top-k` whole pages, written in BM25 order; queries whose page is not in that list cannot be
  helped by reranking and are left out (the count is printed).

Writes eval-long.jsonl (`ja-rerank eval` / `ja-rerank listed` format) and stats.json. Where the
`tokenizers` package is importable, stats also count tokens with fixtures/models/ranker's
tokenizer (passage alone, special tokens included); otherwise characters only.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import make_data  # noqa: E402  (its imports put tools/collection and tools/fixtures on sys.path)
from make_data import MAN_ROOT, read_roff, section_paragraphs  # noqa: E402

TOP_K = 20
NAME_SECTIONS = {"名前", "名称", "NAME"}
MODEL = ROOT / "fixtures" / "models" / "ranker"


def whole_page(roff: str, with_name: bool) -> str:
    paras = [p for s, p, _ in section_paragraphs(roff) if with_name or s.strip().upper() not in NAME_SECTIONS]
    return unicodedata.normalize("NFC", "\n".join(paras))


def pct(xs: list[int], q: float) -> int:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def summary(xs: list[int]) -> dict:
    return {"n": len(xs), "min": min(xs), "median": int(statistics.median(xs)), "p90": pct(xs, 0.9),
            "max": max(xs), "mean": round(statistics.fmean(xs), 1)}


def token_counts(texts: list[str]) -> list[int] | None:
    try:
        from tokenizers import Tokenizer
    except ImportError:
        return None
    tok = Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    tok.no_truncation()
    return [len(e.ids) for e in tok.encode_batch(texts)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "target" / "ranker-long"))
    ap.add_argument("--top-k", type=int, default=TOP_K)
    ap.add_argument("--with-name", action="store_true", help="keep the NAME section (it holds the query)")
    args = ap.parse_args()
    if not MAN_ROOT.is_dir():
        sys.exit(f"{MAN_ROOT} not found: apt-get install manpages-ja manpages-ja-dev")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    all_pages = make_data.pages()
    make_data.split(all_pages)  # sets p["held_out"] as make_data.py does
    collection: list[str] = []
    index: dict[str, int] = {}
    owners: dict[int, set[str]] = {}  # whole page -> queries (descriptions) it answers
    for p in all_pages:
        text = whole_page(read_roff(MAN_ROOT / p["source"]), args.with_name)
        if not text:
            continue
        i = index.setdefault(text, len(collection))
        if i == len(collection):
            collection.append(text)
        owners.setdefault(i, set()).add(p["query"])
    positives: dict[str, set[int]] = {}
    for i, qs in owners.items():
        for q in qs:
            positives.setdefault(q, set()).add(i)
    eval_names = sorted({p["query"] for p in all_pages if p["held_out"]} & positives.keys())
    hits_all = make_data.bm25(collection, eval_names, args.top_k)

    kept, cand, pos_counts, cand_chars, cand_ids = 0, [], [], [], []
    cand_texts: set[int] = set()
    with open(out / "eval-long.jsonl", "w", encoding="utf-8") as f:
        for name, hits in zip(eval_names, hits_all):
            pos = positives[name]
            if not any(h in pos for h in hits):
                continue
            kept += 1
            cand.append(len(hits))
            pos_counts.append(sum(h in pos for h in hits))
            cand_texts.update(hits)
            cand_chars.extend(len(collection[h]) for h in hits)
            cand_ids.extend(hits)
            passages = [{"text": collection[h], "label": int(h in pos)} for h in hits]
            f.write(json.dumps({"query": name, "passages": passages}, ensure_ascii=False) + "\n")

    page_chars = [len(t) for t in collection]
    stats = {
        "pages": len(all_pages), "collection_whole_pages": len(collection), "with_name_section": args.with_name,
        "top_k": args.top_k, "held_out_queries": len(eval_names), "eval_queries": kept,
        "eval_dropped_page_not_in_top_k": len(eval_names) - kept,
        "candidates_per_query": summary(cand), "positives_in_top_k_per_query": summary(pos_counts),
        "collection_chars": summary(page_chars), "candidate_chars": summary(cand_chars),
        "distinct_candidate_pages": len(cand_texts),
    }
    tokens = token_counts(collection)
    if tokens is not None:
        cand_tokens = [tokens[i] for i in sorted(cand_texts)]
        stats["tokenizer"] = str(MODEL.relative_to(ROOT) / "tokenizer.json")
        stats["collection_tokens"] = summary(tokens)
        stats["distinct_candidate_tokens"] = summary(cand_tokens)
        stats["candidate_tokens"] = summary([tokens[h] for h in cand_ids])
        for limit in (512, 1500, 6000):
            stats[f"candidates_over_{limit}_tokens"] = sum(tokens[h] > limit for h in cand_ids)
            stats[f"collection_pages_over_{limit}_tokens"] = sum(t > limit for t in tokens)
            stats[f"distinct_candidate_pages_over_{limit}_tokens"] = sum(t > limit for t in cand_tokens)
    (out / "stats.json").write_text(json.dumps(stats, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(stats, ensure_ascii=False))


if __name__ == "__main__":
    main()
