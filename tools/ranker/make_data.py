#!/usr/bin/env python3
"""The retrieval task the trained stand-in learns and is judged on, from Debian's Japanese man
pages (manpages-ja, manpages-ja-dev; per-page free licences, see www/data/NOTICE.txt's sources).

    python3 tools/ranker/make_data.py [--out target/ranker]

Standard library and Node only, deterministic (pages in sorted order, the split and every
sample keyed by SHA-1, no random state), so the same installed pages give the same bytes.

- A **query** is a page's NAME-line description without the command's name ("ディレクトリの
  内容をリスト表示する"), as someone who does not know the command would ask.
- Its **positives** are the page's description paragraphs (prose, 40-400 characters, up to
  three); the **collection** is every page's positives, deduplicated by text (a passage shared by
  several pages is positive for each of their queries, as are pages with the same description).
- **Candidates** are the demo's bigram BM25 (www/bm25.js, run by tools/ranker/bm25.mjs) top 50
  over the collection, so the held-out set measures what the demo does: BM25 first, then the
  reranker. Queries with no positive in the top 50 cannot be helped by reranking and are left out
  of the evaluation set (the count is printed).
- **Split by page** (SHA-1 of the page's description, so pages that share one, like the 63 RPC
  pages, fall on the same side; a page sharing a passage with a training page trains): ~1/4 held out. Training pairs use
  only the training pages' passages: BM25 hard negatives from other pages plus random ones.

Writes eval.jsonl (`ja-rerank eval` format: graded passages in BM25 order), eval-random.jsonl
(the same candidates in a fixed pseudo-random order), train.jsonl ({query, positives,
negatives}) and stats.json.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "collection"))
sys.path.insert(0, str(HERE.parent / "fixtures"))
from corpus import MAN_ROOT, man_pages  # noqa: E402
from make_collection import DESCRIPTION, name_line, prose, read_roff, section_paragraphs  # noqa: E402

TOP_K = 50
MIN_CHARS, MAX_CHARS, MAX_POSITIVES = 40, 400, 3
HELD_OUT = 4  # one description in four
HARD, RANDOM = 12, 4  # negatives per training query


def key(*parts: str) -> str:
    return hashlib.sha1("\x00".join(parts).encode()).hexdigest()


def cut(text: str) -> str:
    """At most MAX_CHARS characters, ending at a sentence end where it must be shortened."""
    if len(text) <= MAX_CHARS:
        return text
    end = text[:MAX_CHARS].rfind("。")
    return text[: end + 1] if end >= 0 else ""


def description_passages(roff: str) -> list[str]:
    out: list[str] = []
    for section, para, item in section_paragraphs(roff):
        if section not in DESCRIPTION or item or not prose(para):
            continue
        text = unicodedata.normalize("NFC", cut(para))
        if MIN_CHARS <= len(text) and text not in out:
            out.append(text)
        if len(out) == MAX_POSITIVES:
            break
    return out


def pages() -> list[dict]:
    out = []
    for path in man_pages():
        rel = path.relative_to(MAN_ROOT).as_posix()
        roff = read_roff(path)
        nl = name_line(roff)
        if not nl:
            continue
        passages = description_passages(roff)
        if passages:
            query = unicodedata.normalize("NFC", nl[1]).rstrip("。. ")
            out.append({"source": rel, "query": query, "passages": passages})
    return out


def bm25(collection: list[str], queries: list[str], k: int = TOP_K) -> list[list[int]]:
    """Top-k collection indices per query, by the demo's BM25 (www/bm25.js)."""
    job = json.dumps({"collection": collection, "queries": queries, "k": k}, ensure_ascii=False)
    run = subprocess.run(["node", str(HERE / "bm25.mjs")], input=job.encode(), capture_output=True, check=True)
    return json.loads(run.stdout)


def split(all_pages: list[dict]) -> tuple[list[str], dict[str, int]]:
    """Sets p["held_out"] on every page (SHA-1 of its description; a page sharing a passage with a
    training page trains) and returns the collection of passages, deduplicated, with its index."""
    for p in all_pages:
        p["held_out"] = int(key(p["query"])[:8], 16) % HELD_OUT == 0
    # Passages and queries shared by several pages: positives go to every page of either kind.
    collection: list[str] = []
    index: dict[str, int] = {}
    owners: dict[int, set[str]] = {}  # passage -> queries it answers
    for p in all_pages:
        for text in p["passages"]:
            i = index.setdefault(text, len(collection))
            if i == len(collection):
                collection.append(text)
            owners.setdefault(i, set()).add(p["query"])
    # A page whose passage another page also owns is held out only if all its owners are, so no
    # evaluation passage is seen in training.
    changed = True
    while changed:
        changed = False
        train_q = {p["query"] for p in all_pages if not p["held_out"]}
        for p in all_pages:
            if p["held_out"] and any(owners[index[t]] & train_q for t in p["passages"]):
                p["held_out"] = False
                changed = True
    return collection, index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "target" / "ranker"))
    args = ap.parse_args()
    if not MAN_ROOT.is_dir():
        sys.exit(f"{MAN_ROOT} not found: apt-get install manpages-ja manpages-ja-dev")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    all_pages = pages()
    collection, index = split(all_pages)

    queries: dict[str, dict] = {}  # query text -> {positives: set of indices, held_out}
    for p in all_pages:
        q = queries.setdefault(p["query"], {"positives": set(), "held_out": p["held_out"]})
        q["positives"].update(index[t] for t in p["passages"])
    held_passages = {i for q in queries.values() if q["held_out"] for i in q["positives"]}
    train_collection = [i for i in range(len(collection)) if i not in held_passages]

    names = sorted(queries)
    eval_names = [n for n in names if queries[n]["held_out"]]
    train_names = [n for n in names if not queries[n]["held_out"]]
    eval_hits = bm25(collection, eval_names)
    train_hits = bm25([collection[i] for i in train_collection], train_names)

    stats = {"pages": len(all_pages), "collection": len(collection), "queries": len(names),
             "held_out_queries": len(eval_names), "train_queries": len(train_names), "top_k": TOP_K}
    with open(out / "eval.jsonl", "w", encoding="utf-8") as f, open(out / "eval-random.jsonl", "w", encoding="utf-8") as g:
        kept = 0
        for name, hits in zip(eval_names, eval_hits):
            pos = queries[name]["positives"]
            if not any(h in pos for h in hits):
                continue
            kept += 1
            passages = [{"text": collection[h], "label": int(h in pos)} for h in hits]
            f.write(json.dumps({"query": name, "passages": passages}, ensure_ascii=False) + "\n")
            shuffled = sorted(passages, key=lambda p: key("random", name, p["text"]))
            g.write(json.dumps({"query": name, "passages": shuffled}, ensure_ascii=False) + "\n")
        stats["eval_queries"] = kept
        stats["eval_dropped_no_positive_in_top_k"] = len(eval_names) - kept
    with open(out / "train.jsonl", "w", encoding="utf-8") as f:
        pairs = 0
        for name, hits in zip(train_names, train_hits):
            pos = queries[name]["positives"]
            hard = [train_collection[h] for h in hits if train_collection[h] not in pos][:HARD]
            pool = sorted((i for i in train_collection if i not in pos and i not in hard), key=lambda i: key("neg", name, str(i)))
            negatives = hard + pool[:RANDOM]
            f.write(json.dumps({"query": name, "positives": [collection[i] for i in sorted(pos)],
                                "negatives": [collection[i] for i in negatives]}, ensure_ascii=False) + "\n")
            pairs += len(pos) + len(negatives)
        stats["train_pairs"] = pairs
    (out / "stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
