"""Converts the model card's evaluation sets from the Hugging Face Hub into `ja-rerank eval`
JSON lines. Needs Hub access (not available where this project is developed, so the field names
below follow the datasets' cards and are unverified here; `--show` prints a raw record so you can
check before converting).

  pip install datasets==4.*
  python tools/eval/convert_hf.py jqara  > jqara.jsonl   # hotchpotch/JQaRA, split "test"
  python tools/eval/convert_hf.py jacwir > jacwir.jsonl  # hotchpotch/JaCWIR, configs "eval" + "collection"
  ja-rerank eval --model DIR --data jqara.jsonl          # DIR: the model's Hub files, downloaded

Passages are given as "title + newline + text" for JQaRA and "title + newline + description" for
JaCWIR; check that this is what the published numbers used before comparing closely.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Iterable, Iterator


def jqara_lines(rows: Iterable[dict]) -> Iterator[dict]:
    """JQaRA: one row per (question, passage) with a 0/1 label, grouped by q_id."""
    queries: dict[str, dict] = {}
    for r in rows:
        q = queries.setdefault(r["q_id"], {"query": r["question"], "passages": []})
        text = f"{r['title']}\n{r['text']}" if r.get("title") else r["text"]
        q["passages"].append({"text": text, "label": int(r["label"])})
    yield from queries.values()


def jacwir_lines(eval_rows: Iterable[dict], collection_rows: Iterable[dict]) -> Iterator[dict]:
    """JaCWIR: each eval row names one positive and its negatives by doc_id in the collection."""
    docs = {d["doc_id"]: f"{d['title']}\n{d['description']}" for d in collection_rows}
    for r in eval_rows:
        yield {"query": r["query"], "positive": docs[r["positive"]], "negatives": [docs[n] for n in r["negatives"]]}


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    from datasets import load_dataset  # only here, so tests need no `datasets`

    if which == "jqara":
        rows = load_dataset("hotchpotch/JQaRA", split="test")
        if "--show" in sys.argv:
            return print(rows[0])
        out = jqara_lines(rows)
    elif which == "jacwir":
        ev = load_dataset("hotchpotch/JaCWIR", "eval", split="eval")
        col = load_dataset("hotchpotch/JaCWIR", "collection", split="collection")
        if "--show" in sys.argv:
            return print(ev[0], col[0])
        out = jacwir_lines(ev, col)
    else:
        sys.exit("usage: convert_hf.py jqara|jacwir [--show]")
    for line in out:
        print(json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
