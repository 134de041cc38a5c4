"""Exports the full-size stand-in (fixtures/full) to ONNX in the layout transformers.js reads
from a local folder: {out}/stand-in/full/{config.json, tokenizer.json, tokenizer_config.json,
special_tokens_map.json, onnx/model.onnx (fp32), onnx/model_quantized.onnx (int8 weights,
dynamic quantization: transformers.js's dtype "q8")}, then checks both against PyTorch on a
padded batch of mixed lengths (fp32 must agree to 1e-4; q8's error is printed, not judged).
Writes export.json (source file stamp, versions, the check) next to them.

  bench/run-python export_onnx.py [OUT]   (default bench/models; ~1 min, ~560 MB)
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import torch
import transformers
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer
from transformers import XLMRobertaForSequenceClassification

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "fixtures" / "full"


def main() -> None:
    out = (Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "models") / "stand-in" / "full"
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    for f in ("config.json", "tokenizer.json"):
        shutil.copy(SRC / f, out / f)
    # transformers.js reads the tokenizer class and limits from these two files.
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512,
        "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
    }, indent=2))
    (out / "special_tokens_map.json").write_text(json.dumps({
        "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
    }, indent=2))

    model = XLMRobertaForSequenceClassification.from_pretrained(str(SRC), attn_implementation="eager").eval()
    # Trace with a padded batch, so the attention-mask path is in the graph (an all-ones mask
    # could let the masking code take a shortcut the trace would bake in).
    ids = torch.tensor([[0, 100, 200, 2, 2, 300, 2], [0, 100, 2, 2, 300, 2, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    onnx_path = out / "onnx" / "model.onnx"
    t0 = time.time()
    torch.onnx.export(
        model, (ids, mask), str(onnx_path),
        input_names=["input_ids", "attention_mask"], output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}},
        opset_version=17, dynamo=False,
    )
    onnx.checker.check_model(str(onnx_path))
    quantize_dynamic(str(onnx_path), str(out / "onnx" / "model_quantized.onnx"), weight_type=QuantType.QInt8)
    print(f"exported in {time.time() - t0:.0f} s")

    check = verify(model, out)
    st = (SRC / "model.safetensors").stat()
    (out / "export.json").write_text(json.dumps({
        "generator": "bench/export_onnx.py",
        "source": {"file": "fixtures/full/model.safetensors", "size": st.st_size, "mtime_ns": st.st_mtime_ns},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "onnx": onnx.__version__,
                     "onnxruntime": onnxruntime.__version__},
        "opset": 17, "quantization": "onnxruntime.quantization.quantize_dynamic, weight_type QInt8",
        "check": check,
    }, indent=2) + "\n")
    for p in sorted((out / "onnx").iterdir()):
        print(f"{p}: {p.stat().st_size / 2**20:.0f} MiB")


def verify(model, out: Path) -> dict:
    """Logits of both ONNX files vs PyTorch on a padded batch: 2 × 256, 2 × 128 and a short pair."""
    tok = Tokenizer.from_file(str(SRC / "tokenizer.json"))
    tok.enable_truncation(512, strategy="longest_first")
    bench = ROOT / "fixtures" / "bench"
    pairs = [json.loads(line) for line in open(bench / "pairs-256.jsonl", encoding="utf-8")][:2] + \
            [json.loads(line) for line in open(bench / "pairs-128.jsonl", encoding="utf-8")][:2] + \
            [{"query": "猫の飼い方", "passage": "猫"}]
    encs = [tok.encode(p["query"], p["passage"]) for p in pairs]
    width = max(len(e.ids) for e in encs)
    ids = np.ones((len(encs), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, e in enumerate(encs):
        ids[i, : len(e.ids)] = e.ids
        mask[i, : len(e.ids)] = 1
    with torch.no_grad():
        ref = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits[:, 0].numpy()
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    result = {"lengths": [len(e.ids) for e in encs]}
    for name in ("model.onnx", "model_quantized.onnx"):
        sess = onnxruntime.InferenceSession(str(out / "onnx" / name), providers=["CPUExecutionProvider"])
        got = sess.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0][:, 0]
        result[name] = {"max_abs_logit_diff": float(np.abs(got - ref).max()),
                        "max_abs_score_diff": float(np.abs(sig(got) - sig(ref)).max())}
        print(f"{name} vs PyTorch on lengths {result['lengths']}: max |Δlogit| {result[name]['max_abs_logit_diff']:.2e}, "
              f"max |Δscore| {result[name]['max_abs_score_diff']:.2e}")
    if result["model.onnx"]["max_abs_score_diff"] > 1e-4:
        sys.exit("model.onnx disagrees with PyTorch by more than 1e-4: the export is wrong")
    return result

if __name__ == "__main__":
    main()
