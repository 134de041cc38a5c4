"""Exports a full-size stand-in (fixtures/NAME: full, tiny-v2 or xsmall-v2) to ONNX in the layout
transformers.js reads from a local folder: {out}/stand-in/NAME/{config.json, tokenizer.json, tokenizer_config.json,
special_tokens_map.json, onnx/model.onnx (fp32), onnx/model_quantized.onnx (int8 weights,
dynamic quantization: transformers.js's dtype "q8")}, then checks both against PyTorch on a
padded batch of mixed lengths (fp32 must agree to 1e-4; q8's error is printed, not judged).
Writes export.json (source file stamp, versions, the check) next to them.

  bench/run-python export_onnx.py [NAME] [OUT]   (default full, bench/models; ~1 min, ~560 MB for full)
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
from transformers import ModernBertForSequenceClassification, XLMRobertaForSequenceClassification

ROOT = Path(__file__).resolve().parents[1]
XLMR_SPECIALS = {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
                 "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"}
# The ModernBERT-Ja layout's specials (tools/fixtures/tokenizer_mbja.py). The class is the generic
# fast tokenizer, which follows tokenizer.json: the real v2 repos' tokenizer_config.json could not
# be read here, and transformers.js's LlamaTokenizer pads on the left, which moves a padded row's
# rotary positions (ModernBERT numbers positions 0.. whatever the mask says).
MB_SPECIALS = {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "<sep>", "cls_token": "<cls>",
               "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"}
# name: (class, tokenizer_config.json, pad id, a trace batch: two rows, the second padded)
MODELS = {
    "full": (XLMRobertaForSequenceClassification, {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, **XLMR_SPECIALS},
             1, [[0, 100, 200, 2, 2, 300, 2], [0, 100, 2, 2, 300, 2, 1]]),
    **{name: (ModernBertForSequenceClassification, {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 8192, **MB_SPECIALS},
              3, [[1, 500, 600, 2, 1, 700, 2], [1, 500, 2, 1, 700, 2, 3]]) for name in ("tiny-v2", "xsmall-v2")},
}


def main() -> None:
    args = sys.argv[1:]
    name = args.pop(0) if args and args[0] in MODELS else "full"
    cls, tokenizer_config, pad, trace = MODELS[name]
    src = ROOT / "fixtures" / name
    out = (Path(args[0]) if args else ROOT / "bench" / "models") / "stand-in" / name
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    for f in ("config.json", "tokenizer.json"):
        shutil.copy(src / f, out / f)
    # transformers.js reads the tokenizer class and limits from these two files.
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2))
    (out / "special_tokens_map.json").write_text(json.dumps({k: v for k, v in tokenizer_config.items() if k.endswith("_token")}, indent=2))

    model = cls.from_pretrained(str(src), attn_implementation="eager").eval()
    # Trace with a padded batch, so the attention-mask path is in the graph (an all-ones mask
    # could let the masking code take a shortcut the trace would bake in).
    ids = torch.tensor(trace, dtype=torch.long)
    mask = (ids != pad).long()
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

    check = verify(model, src, out, pad)
    st = (src / "model.safetensors").stat()
    (out / "export.json").write_text(json.dumps({
        "generator": "bench/export_onnx.py",
        "source": {"file": f"fixtures/{name}/model.safetensors", "size": st.st_size, "mtime_ns": st.st_mtime_ns},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "onnx": onnx.__version__,
                     "onnxruntime": onnxruntime.__version__},
        "opset": 17, "quantization": "onnxruntime.quantization.quantize_dynamic, weight_type QInt8",
        "check": check,
    }, indent=2) + "\n")
    for p in sorted((out / "onnx").iterdir()):
        print(f"{p}: {p.stat().st_size / 2**20:.0f} MiB")


def verify(model, src: Path, out: Path, pad: int) -> dict:
    """Logits of both ONNX files vs PyTorch on a padded batch: 2 × 256, 2 × 128 and a short pair."""
    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.enable_truncation(512, strategy="longest_first")
    bench = ROOT / "fixtures" / "bench"
    pairs = [json.loads(line) for line in open(bench / "pairs-256.jsonl", encoding="utf-8")][:2] + \
            [json.loads(line) for line in open(bench / "pairs-128.jsonl", encoding="utf-8")][:2] + \
            [{"query": "猫の飼い方", "passage": "猫"}]
    encs = [tok.encode(p["query"], p["passage"]) for p in pairs]
    width = max(len(e.ids) for e in encs)
    ids = np.full((len(encs), width), pad, dtype=np.int64)
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
