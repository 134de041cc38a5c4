"""Unit test of the converters on rows shaped like the datasets' cards describe them:
python3 tools/eval/test_convert_hf.py (stdlib only; run by scripts/test.sh)."""
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from convert_hf import jacwir_lines, jqara_lines  # noqa: E402

rows = [
    {"q_id": "q1", "question": "富士山の高さは？", "title": "富士山", "text": "標高3776m。", "label": 1},
    {"q_id": "q1", "question": "富士山の高さは？", "title": "琵琶湖", "text": "日本最大の湖。", "label": 0},
    {"q_id": "q2", "question": "日本の首都は？", "title": "", "text": "東京都。", "label": 1},
]
out = list(jqara_lines(rows))
assert out == [
    {"query": "富士山の高さは？", "passages": [{"text": "富士山\n標高3776m。", "label": 1}, {"text": "琵琶湖\n日本最大の湖。", "label": 0}]},
    {"query": "日本の首都は？", "passages": [{"text": "東京都。", "label": 1}]},
], out

col = [{"doc_id": "a", "title": "T1", "description": "D1"}, {"doc_id": "b", "title": "T2", "description": "D2"}]
out = list(jacwir_lines([{"query": "q", "positive": "b", "negatives": ["a"]}], col))
assert out == [{"query": "q", "positive": "T2\nD2", "negatives": ["T1\nD1"]}], out
print("convert_hf: ok")
