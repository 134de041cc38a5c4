"""Native reference timings for bench/run.mjs: PyTorch and onnxruntime, one thread each, on the
same pairs and batch sizes as `ja-rerank score --batch-size N`.

Token ids come from the Python `tokenizers` library reading fixtures/full/tokenizer.json with
longest_first truncation at 512 (what ja-rerank and sentence-transformers do). Pairs are sorted
longest first and cut into batches of N, each padded to its longest pair (ja-rerank's plan).
Timed: tokenizing + the forward passes, as the CLI's "scored N pairs in X s" times them.
One warm-up pass, then RUNS timed passes; prints one JSON object on stdout.

  bench/run-python native.py --pairs FILE[,FILE] --batch-sizes 4,32 --runs 5 \
      [--runtimes torch,ort-fp32,ort-q8] [--onnx-dir bench/models/stand-in/full/onnx]
  bench/run-python native.py --ids [--model NAME] --pairs FILE[,FILE]
      token ids only: {"ids": {FILE: [[id, ...], ...]}}, from fixtures/NAME/tokenizer.json (default full;
      the ModernBERT stand-ins tiny-v2 / xsmall-v2 truncate at their 8,192 positions)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

# One thread, set before torch/onnxruntime start their pools.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "fixtures" / "full"


def batches(lengths: list[int], n: int) -> list[list[int]]:
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])  # stable: ties keep order
    return [order[i : i + n] for i in range(0, len(order), n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--batch-sizes", default="4,32")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--runtimes", default="torch,ort-fp32,ort-q8")
    ap.add_argument("--ids", action="store_true", help="only print the token ids of every pair, per file")
    ap.add_argument("--model", default="full", help="with --ids: the stand-in whose tokenizer to use")
    ap.add_argument("--onnx-dir", default=str(ROOT / "bench" / "models" / "stand-in" / "full" / "onnx"))
    args = ap.parse_args()
    if args.model != "full" and not args.ids:
        ap.error("--model only goes with --ids (the timings run fixtures/full)")

    tok = Tokenizer.from_file(str(ROOT / "fixtures" / args.model / "tokenizer.json"))
    tok.enable_truncation(512 if args.model == "full" else 8192, strategy="longest_first")
    pad = 1
    if args.ids:
        ids = {}
        for path in args.pairs.split(","):
            pairs = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
            ids[path] = [e.ids for e in tok.encode_batch([(p["query"], p["passage"]) for p in pairs])]
        print(json.dumps({"ids": ids}))
        return

    def encode(pairs, idx):
        encs = tok.encode_batch([(pairs[i]["query"], pairs[i]["passage"]) for i in idx])
        width = max(len(e.ids) for e in encs)
        ids = np.full((len(encs), width), pad, dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for r, e in enumerate(encs):
            ids[r, : len(e.ids)] = e.ids
            mask[r, : len(e.ids)] = 1
        return ids, mask

    runners = {}
    versions = {}
    wanted = args.runtimes.split(",")
    if "torch" in wanted:
        import torch
        from transformers import XLMRobertaForSequenceClassification

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        model = XLMRobertaForSequenceClassification.from_pretrained(str(MODEL), attn_implementation="eager").eval()
        versions["torch"] = torch.__version__

        def run_torch(ids, mask):
            with torch.inference_mode():
                return model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits[:, 0].numpy()

        runners["torch"] = ("PyTorch", run_torch)
    for name, file in (("ort-fp32", "model.onnx"), ("ort-q8", "model_quantized.onnx")):
        if name not in wanted:
            continue
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        sess = ort.InferenceSession(str(Path(args.onnx_dir) / file), so, providers=["CPUExecutionProvider"])
        versions["onnxruntime"] = ort.__version__

        def run_ort(ids, mask, sess=sess):
            return sess.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0][:, 0]

        runners[name] = (f"onnxruntime {file}", run_ort)

    results = []
    for path in args.pairs.split(","):
        pairs = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
        lengths = [len(e.ids) for e in tok.encode_batch([(p["query"], p["passage"]) for p in pairs])]
        for bs in [int(b) for b in args.batch_sizes.split(",")]:
            plan = batches(lengths, bs)
            fed = sum(len(b) * max(lengths[i] for i in b) for b in plan)
            for key, (label, fn) in runners.items():
                def once():
                    t0 = time.perf_counter()
                    out = np.empty(len(pairs), dtype=np.float32)
                    for b in plan:
                        ids, mask = encode(pairs, b)
                        out[b] = fn(ids, mask)
                    return time.perf_counter() - t0, out

                once()  # warm-up
                times, logits = [], None
                for _ in range(args.runs):
                    t, logits = once()
                    times.append(t)
                med = statistics.median(times)
                results.append({
                    "runtime": key, "label": label, "pairs_file": path, "batch_size": bs,
                    "pairs": len(pairs), "tokens_real": sum(lengths), "tokens_fed": fed,
                    "times_s": times, "median_s": med, "pairs_per_s": len(pairs) / med,
                    "logits": [float(x) for x in logits],
                })
                print(f"  {label:32} {Path(path).name:20} batch {bs:3}: {len(pairs) / med:6.2f} pairs/s "
                      f"(runs {', '.join(f'{t:.2f}' for t in times)} s)", file=sys.stderr, flush=True)
    print(json.dumps({"versions": versions, "results": results}))


if __name__ == "__main__":
    main()
