"""PyTorch's view of the trained ranking stand-in, for the tests to hold our code to:
NDCG@10 / MRR@10 on the held-out set (BM25 top 50, reranked by PyTorch's logits; the means and
per query, so a browser test can check a prefix) and the logits of the first queries' pairs.

    tools/fixtures/run ../ranker/reference.py [--model fixtures/models/ranker] [--data fixtures/ranker/eval.jsonl]

Writes fixtures/ranker/reference.json. Token ids come from the `tokenizers` library reading the
model's tokenizer.json, truncated longest_first at 512 (what ja-rerank does by default); ties keep
the listed order, as `ja-rerank eval` does.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch
from tokenizers import Tokenizer
from transformers import XLMRobertaForSequenceClassification

ROOT = Path(__file__).resolve().parents[2]
LOGIT_QUERIES = 2  # queries whose every pair's logit is recorded (100 pairs)


def ndcg(labels: list[float], k: int = 10) -> float:
    dcg = sum(l / math.log2(r + 2) for r, l in enumerate(labels[:k]))
    ideal = sum(l / math.log2(r + 2) for r, l in enumerate(sorted(labels, reverse=True)[:k]))
    return dcg / ideal if ideal else 0.0


def mrr(labels: list[float], k: int = 10) -> float:
    return next((1 / (r + 1) for r, l in enumerate(labels[:k]) if l > 0), 0.0)


@torch.no_grad()
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "fixtures" / "models" / "ranker"))
    ap.add_argument("--data", default=str(ROOT / "fixtures" / "ranker" / "eval.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "fixtures" / "ranker" / "reference.json"))
    args = ap.parse_args()
    torch.set_num_threads(2)
    model = XLMRobertaForSequenceClassification.from_pretrained(args.model).eval()
    tok = Tokenizer.from_file(str(Path(args.model) / "tokenizer.json"))
    tok.enable_truncation(512, strategy="longest_first")
    queries = [json.loads(l) for l in Path(args.data).read_text().splitlines() if l.strip()]
    out = {"model": "fixtures/models/ranker", "data": "fixtures/ranker/eval.jsonl", "k": 10, "cases": [], "per_query": []}
    n_total = m_total = 0.0
    for qi, q in enumerate(queries):
        logits = []
        for i in range(0, len(q["passages"]), 64):
            enc = tok.encode_batch([(q["query"], p["text"]) for p in q["passages"][i : i + 64]])
            width = max(len(e.ids) for e in enc)
            ids = torch.tensor([e.ids + [1] * (width - len(e.ids)) for e in enc])
            mask = torch.tensor([[1] * len(e.ids) + [0] * (width - len(e.ids)) for e in enc])
            logits += model(input_ids=ids, attention_mask=mask).logits[:, 0].tolist()
        order = sorted(range(len(logits)), key=lambda i: (-logits[i], i))
        labels = [q["passages"][i]["label"] for i in order]
        n_total += ndcg(labels)
        m_total += mrr(labels)
        out["per_query"].append({"ndcg@10": ndcg(labels), "mrr@10": mrr(labels)})
        if qi < LOGIT_QUERIES:
            out["cases"] += [{"query": q["query"], "passage": p["text"], "logit": l} for p, l in zip(q["passages"], logits)]
    out["ndcg@10"] = n_total / len(queries)
    out["mrr@10"] = m_total / len(queries)
    out["queries"] = len(queries)
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    print(f"PyTorch: NDCG@10 {out['ndcg@10']:.4f}, MRR@10 {out['mrr@10']:.4f} over {len(queries)} queries")


if __name__ == "__main__":
    main()
