#!/usr/bin/env python3
"""Fails when an import in src/ points up (ARCHITECTURE.md, "Rules").

    python3 tools/check_imports.py [SRC_DIR]     check the tree (default: src/ beside this tool)
    python3 tools/check_imports.py --self-test   show that each rule catches a planted violation

Rules, checked on every `crate::…`, `super::…` and `ja_rerank::…` path outside comments
(names re-exported at the crate root are followed to the module they come from):
  1. A module imports only modules in layers below its own (LAYERS, bottom first); modules in
     one layer do not import each other, so no circle can form.
  2. A model family (a folder under src/model/) imports no other family, and the shared parts
     of model/ (every file but model/mod.rs, which picks the family) import no family.
  3. Nothing outside src/web/ knows about JS (js_sys, web_sys, wasm_bindgen, serde_wasm_bindgen),
     and the CLI does not import the web surface.
  4. Nothing in src/web/ does tensor math (no `Tensor`).
"""

import re
import sys
import tempfile
from pathlib import Path

LAYERS = [
    ["error", "parallel"],
    ["kernels"],
    ["config", "tokenize", "load", "source"],
    ["model"],
    ["backend"],
    ["reranker", "eval"],
    ["web"],
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
JS_CRATES = re.compile(r"\b(js_sys|web_sys|wasm_bindgen\w*|serde_wasm_bindgen)\b")
PATH = re.compile(r"\b(crate|super|ja_rerank)((?:::\w+)*)::(\{|\w+)")


def strip_comments(text):
    """Code without `//` comments and string literals (a URL's `//` is not a comment)."""
    out = []
    for line in text.splitlines():
        line = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
        out.append(line.split("//", 1)[0])
    return "\n".join(out)


def module_path(src, file):
    """src/model/xlm_roberta/layer.rs -> [model, xlm_roberta, layer]; mod.rs is its folder."""
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    return parts


def root_reexports(src):
    """Names `pub use`d at the crate root, mapped to the module they come from."""
    names = {}
    for m in re.finditer(r"pub use (\w+)::(?:\{([^}]*)\}|(\w+))", strip_comments((src / "lib.rs").read_text())):
        for name in re.findall(r"\w+", m.group(2) or m.group(3)):
            names[name] = m.group(1)
    return names


def group_heads(code, start):
    """The first name of each item in a `{…}` use group that opens at `start`."""
    depth, item, heads = 0, "", []
    for ch in code[start:]:
        if ch == "{":
            depth += 1
            if depth == 1:
                continue
        elif ch == "}":
            depth -= 1
            if depth == 0:
                break
        if depth == 1 and ch == ",":
            heads.append(item)
            item = ""
        else:
            item += ch
    heads.append(item)
    return [m.group(0) for h in heads if (m := re.match(r"\w+", h.strip())) and m.group(0) != "self"]


def references(code, here, in_bin):
    """Absolute module paths (lists) that the code refers to."""
    for m in PATH.finditer(code):
        kind, middle, last = m.group(1), [p for p in m.group(2).split("::") if p], m.group(3)
        if kind == "ja_rerank":
            if not in_bin:
                continue
            base = []
        elif kind == "crate":
            base = []
        else:  # super: the parent of this file's module, then any further super::
            base = here[:-1]
            while middle and middle[0] == "super":
                middle, base = middle[1:], base[:-1]
        heads = group_heads(code, m.end() - 1) if last == "{" else [last]
        for head in heads:
            yield base + middle + [head]


def check(src):
    src = Path(src)
    reexports = root_reexports(src)
    families = {p.name for p in (src / "model").iterdir() if p.is_dir()} if (src / "model").is_dir() else set()
    problems = []
    for file in sorted(src.rglob("*.rs")):
        rel = file.relative_to(src)
        if rel == Path("lib.rs"):
            continue
        in_bin = rel.parts[0] == "bin"
        here = module_path(src, file)
        code = strip_comments(file.read_text())
        if rel.parts[0] != "web" and (m := JS_CRATES.search(code)):
            problems.append(f"{rel}: uses {m.group(1)}: only src/web/ may know about JS")
        if rel.parts[0] == "web" and re.search(r"\bTensor\b", code):
            problems.append(f"{rel}: uses Tensor: src/web/ does no tensor math")
        for target in references(code, here, in_bin):
            if not target:
                continue
            top = target[0]
            if top not in RANK and top in reexports:
                top = reexports[top]
                target = [top] + target[1:]
            if top not in RANK:
                continue  # std, an external crate, or a name defined at the root
            if in_bin:
                if top == "web":
                    problems.append(f"{rel}: imports {'::'.join(target)}: the CLI does not use the web surface")
                continue
            if top != here[0] and RANK[top] >= RANK[here[0]]:
                problems.append(
                    f"{rel}: imports {'::'.join(target)}: '{top}' is not below '{here[0]}' (layers, bottom first: "
                    + " | ".join(", ".join(layer) for layer in LAYERS)
                    + ")"
                )
            if here[0] == "model" and top == "model" and len(target) > 1 and target[1] in families:
                own = here[1] if len(here) > 1 and here[1] in families else None
                if own != target[1] and here != ["model"]:
                    problems.append(f"{rel}: imports {'::'.join(target)}: model families and model/'s shared parts import no family")
    return sorted(set(problems))


def self_test():
    """Each rule catches a planted violation; a clean tree passes."""
    clean = {
        "lib.rs": "pub mod error;\npub mod model;\npub mod reranker;\npub use reranker::Reranker;\n",
        "error.rs": "pub struct Error;\n",
        "model/mod.rs": "mod a;\nmod b;\npub mod ops;\nuse crate::error::Error;\nuse a::A;\n",
        "model/ops.rs": "use crate::error::Error;\n",
        "model/a/mod.rs": "use super::ops;\nuse crate::{error::Error, model::ops};\n",
        "model/b/mod.rs": "use crate::model::ops; // not crate::reranker\nconst URL: &str = \"https://x\";\n",
        "reranker.rs": "use crate::{error, model::ops};\n",
        "web/api.rs": "use js_sys::Array;\nuse crate::Reranker;\n",
        "bin/cli.rs": "use ja_rerank::Reranker;\n",
    }
    planted = {
        "an upward import": ("model/ops.rs", "use crate::reranker::Reranker;\n", "'reranker' is not below 'model'"),
        "an upward import through a root re-export": ("error.rs", "fn f(_: crate::Reranker) {}\n", "'reranker' is not below 'error'"),
        "an upward import in a group": ("model/a/mod.rs", "use crate::{error::Error, reranker::Reranker};\n", "'reranker' is not below"),
        "a family importing another": ("model/a/mod.rs", "use super::b::B;\n", "import no family"),
        "shared model code importing a family": ("model/ops.rs", "use crate::model::a::A;\n", "import no family"),
        "JS below the web surface": ("reranker.rs", "use wasm_bindgen::JsValue;\n", "only src/web/ may know about JS"),
        "tensor math in the web surface": ("web/api.rs", "fn f(t: burn::tensor::Tensor<1>) {}\n", "does no tensor math"),
        "the CLI importing the web surface": ("bin/cli.rs", "use ja_rerank::web::Reranker;\n", "the CLI does not use"),
    }

    def tree(extra=None):
        d = Path(tempfile.mkdtemp(prefix="check-imports-"))
        for name, text in clean.items():
            (d / name).parent.mkdir(parents=True, exist_ok=True)
            (d / name).write_text(text)
        if extra:
            name, line, _ = extra
            (d / name).write_text((d / name).read_text() + line)
        return d

    failures = []
    if problems := check(tree()):
        failures.append(f"the clean tree was refused: {problems}")
    for what, extra in planted.items():
        problems = check(tree(extra))
        if not any(extra[2] in p for p in problems):
            failures.append(f"{what} was not caught (got {problems})")
    for f in failures:
        print(f"check_imports self-test: {f}")
    print(f"check_imports self-test: {len(planted) + 1 - len(failures)} passed, {len(failures)} failed")
    return not failures


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(0 if self_test() else 1)
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "src"
    problems = check(src)
    for p in problems:
        print(f"imports point up: {p}")
    files = len(list(src.rglob("*.rs")))
    print(f"check_imports: {files} files, {len(problems)} imports pointing up" + ("" if problems else " (ok)"))
    sys.exit(1 if problems else 0)
