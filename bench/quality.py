"""What compact weights and int8 arithmetic cost in ranking quality, measured on stand-ins.

1. The trained stand-in (fixtures/models/ranker) on its held-out set (fixtures/ranker/eval.jsonl:
   343 queries, BM25's top 50 each, 17,108 pairs): NDCG@10 / MRR@10, max and mean |Δscore| against
   f32, and how often the top-1 and the top-10 set agree with f32's, for
   - ja-rerank f32, its f16 and int8 files (`ja-rerank convert`) at precision f32, precision int8
     from the f32 and from the int8 file, precision f16 (burn-flex's f16 matmuls: the arithmetic
     WebGPU's f16 path does, in another summation order; all by the CLI, `ja-rerank score`), and
   - transformers.js's q8 of the same model: exported to ONNX and quantized as bench/export_onnx.py
     does (opset 17, onnxruntime quantize_dynamic QInt8), scored by onnxruntime natively (the graph
     ORT-web runs in transformers.js), ids from Python `tokenizers`.
2. The random full-size stand-in (fixtures/full, small-v1's shape): max and mean |Δscore| against
   f32 on the benchmark's ~128- and ~256-token pairs (fixtures/bench/), same variants (q8: its
   ONNX export in bench/models, made by export_onnx.py). Random weights rank nothing; this shows
   the size of the rounding at full size.

  bench/run-python quality.py [--cli target/release/ja-rerank]   prints JSON (bench/run.mjs reads it)
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
COMPACT = ROOT / "target" / "compact"


def cli_path() -> Path:
    if "--cli" in sys.argv:
        return Path(sys.argv[sys.argv.index("--cli") + 1])
    return ROOT / "target" / "release" / "ja-rerank"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def converted(name: str, src: Path, dtype: str) -> Path:
    out = COMPACT / f"{name}-{dtype}"
    weights = out / "model.safetensors"
    if not weights.exists() or weights.stat().st_mtime < (src / "model.safetensors").stat().st_mtime:
        subprocess.run([str(cli_path()), "convert", "--model", str(src), "--dtype", dtype, "--out", str(out)], check=True)
    return out


def cli_scores(model: Path, pairs: list[dict], precision: str = "f32") -> list[float]:
    lines = "".join(json.dumps({"query": p["query"], "passage": p["passage"]}, ensure_ascii=False) + "\n" for p in pairs)
    out = subprocess.run([str(cli_path()), "score", "--model", str(model), "--batch-size", "16", "--precision", precision],
                         input=lines, capture_output=True, text=True, check=True).stdout
    return [json.loads(line)["score"] for line in out.splitlines()]


def onnx_scores(onnx_file: Path, tokenizer_file: Path, pairs: list[dict]) -> list[float]:
    import onnxruntime
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_file))
    tok.enable_truncation(512, strategy="longest_first")
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = onnxruntime.InferenceSession(str(onnx_file), opts, providers=["CPUExecutionProvider"])
    encs = [tok.encode(p["query"], p["passage"]).ids for p in pairs]
    order = sorted(range(len(encs)), key=lambda i: -len(encs[i]))
    scores = [0.0] * len(encs)
    for start in range(0, len(order), 32):
        batch = order[start:start + 32]
        width = max(len(encs[i]) for i in batch)
        ids = np.ones((len(batch), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, i in enumerate(batch):
            ids[row, :len(encs[i])] = encs[i]
            mask[row, :len(encs[i])] = 1
        logits = sess.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0][:, 0]
        for row, i in enumerate(batch):
            scores[i] = float(1 / (1 + math.exp(-float(logits[row]))))
    return scores


def export_q8(src: Path, out: Path) -> Path:
    """ONNX fp32 + dynamic int8 of an XLM-R cross-encoder, as bench/export_onnx.py exports fixtures/full."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import XLMRobertaForSequenceClassification

    q8 = out / "model_quantized.onnx"
    if q8.exists() and q8.stat().st_mtime > (src / "model.safetensors").stat().st_mtime:
        return q8
    out.mkdir(parents=True, exist_ok=True)
    model = XLMRobertaForSequenceClassification.from_pretrained(str(src), attn_implementation="eager").eval()
    ids = torch.tensor([[0, 100, 200, 2, 2, 300, 2], [0, 100, 2, 2, 300, 2, 1]], dtype=torch.long)
    torch.onnx.export(
        model, (ids, (ids != 1).long()), str(out / "model.onnx"),
        input_names=["input_ids", "attention_mask"], output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}},
        opset_version=17, dynamo=False,
    )
    quantize_dynamic(str(out / "model.onnx"), str(q8), weight_type=QuantType.QInt8)
    return q8


def ndcg_at_k(labels: list[float], k: int = 10) -> float:
    dcg = lambda ls: sum(l / math.log2(i + 2) for i, l in enumerate(ls[:k]))  # noqa: E731
    best = dcg(sorted(labels, reverse=True))
    return 0.0 if best == 0 else dcg(labels) / best


def mrr_at_k(labels: list[float], k: int = 10) -> float:
    return next((1 / (i + 1) for i, l in enumerate(labels[:k]) if l > 0), 0.0)


def compare(scores: list[float], base: list[float], queries: list[dict] | None) -> dict:
    d = [abs(a - b) for a, b in zip(scores, base)]
    out = {"max_abs_score_diff": max(d), "mean_abs_score_diff": sum(d) / len(d), "pairs": len(d)}
    if queries is None:
        return out
    i = ndcg = mrr = top1 = top10 = 0
    for q in queries:
        n = len(q["passages"])
        a, b = base[i:i + n], scores[i:i + n]
        i += n
        # Ties keep the candidates' order, as the reranker's sort does.
        oa = sorted(range(n), key=lambda j: (-a[j], j))
        ob = sorted(range(n), key=lambda j: (-b[j], j))
        labels = [q["passages"][j]["label"] for j in ob]
        ndcg += ndcg_at_k(labels)
        mrr += mrr_at_k(labels)
        top1 += oa[0] == ob[0]
        top10 += set(oa[:10]) == set(ob[:10])
    nq = len(queries)
    out.update({"ndcg@10": ndcg / nq, "mrr@10": mrr / nq, "top1_agree": top1, "top10_agree": top10, "queries": nq})
    return out


def main() -> None:
    t0 = time.time()
    result = {"generator": "bench/quality.py"}
    # 1. The trained stand-in, held out.
    ranker = ROOT / "fixtures" / "models" / "ranker"
    queries = [json.loads(line) for line in open(ROOT / "fixtures" / "ranker" / "eval.jsonl", encoding="utf-8") if line.strip()]
    pairs = [{"query": q["query"], "passage": p["text"]} for q in queries for p in q["passages"]]
    f16, int8 = converted("ranker", ranker, "f16"), converted("ranker", ranker, "int8")
    log(f"trained stand-in: {len(queries)} queries, {len(pairs)} pairs")
    base = cli_scores(ranker, pairs)
    variants = {
        "ja-rerank f32": base,
        "ja-rerank f16 file": cli_scores(f16, pairs),
        "ja-rerank int8 file": cli_scores(int8, pairs),
        "ja-rerank precision int8 (f32 file)": cli_scores(ranker, pairs, "int8"),
        "ja-rerank precision int8 (int8 file)": cli_scores(int8, pairs, "int8"),
        "ja-rerank precision f16 (f32 file)": cli_scores(ranker, pairs, "f16"),
        "transformers.js q8 (onnxruntime, same graph)": onnx_scores(export_q8(ranker, COMPACT / "ranker-onnx"), ranker / "tokenizer.json", pairs),
    }
    bm25 = [{"passages": q["passages"]} for q in queries]
    result["trained"] = {
        "bm25": {"ndcg@10": sum(ndcg_at_k([p["label"] for p in q["passages"]]) for q in bm25) / len(bm25),
                 "mrr@10": sum(mrr_at_k([p["label"] for p in q["passages"]]) for q in bm25) / len(bm25)},
        "sizes": {"f32": (ranker / "model.safetensors").stat().st_size, "f16": (f16 / "model.safetensors").stat().st_size,
                  "int8": (int8 / "model.safetensors").stat().st_size,
                  "q8 onnx": (COMPACT / "ranker-onnx" / "model_quantized.onnx").stat().st_size},
        "variants": {name: compare(s, base, queries) for name, s in variants.items()},
    }
    for name, v in result["trained"]["variants"].items():
        log(f"  {name}: NDCG@10 {v['ndcg@10']:.4f} MRR@10 {v['mrr@10']:.4f} max |Δ| {v['max_abs_score_diff']:.2e}")
    # 2. The random full-size stand-in.
    full = ROOT / "fixtures" / "full"
    fpairs = [json.loads(line) for name in ("pairs-128.jsonl", "pairs-256.jsonl")
              for line in open(ROOT / "fixtures" / "bench" / name, encoding="utf-8") if line.strip()]
    ff16, fint8 = converted("full", full, "f16"), converted("full", full, "int8")
    log(f"random full-size stand-in: {len(fpairs)} pairs")
    fbase = cli_scores(full, fpairs)
    fvariants = {
        "ja-rerank f16 file": cli_scores(ff16, fpairs),
        "ja-rerank int8 file": cli_scores(fint8, fpairs),
        "ja-rerank precision int8 (f32 file)": cli_scores(full, fpairs, "int8"),
        "ja-rerank precision int8 (int8 file)": cli_scores(fint8, fpairs, "int8"),
        "ja-rerank precision f16 (f32 file)": cli_scores(full, fpairs, "f16"),
    }
    q8 = ROOT / "bench" / "models" / "stand-in" / "full" / "onnx" / "model_quantized.onnx"
    if q8.exists():
        fvariants["transformers.js q8 (onnxruntime, same graph)"] = onnx_scores(q8, full / "tokenizer.json", fpairs)
    result["full"] = {name: compare(s, fbase, None) for name, s in fvariants.items()}
    for name, v in result["full"].items():
        log(f"  {name}: max |Δ| {v['max_abs_score_diff']:.2e} mean {v['mean_abs_score_diff']:.2e}")
    result["seconds"] = time.time() - t0
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
