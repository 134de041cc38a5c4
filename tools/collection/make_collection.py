#!/usr/bin/env python3
"""Builds the demo's document collection, www/data/collection.json (and www/data/NOTICE.txt),
from Debian's Japanese man pages (packages manpages-ja, manpages-ja-dev: the JM project's
translations of the Linux man-pages, GNU and other manuals; per-page free licences, see
/usr/share/doc/manpages-ja/copyright).

    python3 tools/collection/make_collection.py [--out www/data]

Standard library only and deterministic: pages are read in sorted order, and where a section has
more pages than it may contribute, the pages kept are those with the smallest SHA-1 of their
path (no random sampling). The output changes only when the installed man pages do.

One passage per page: title = command name + section ("ls(1)"), summary = the one-line NAME
description, text = the first one or two Japanese prose paragraphs (80-400 characters, cut at a
sentence end). NOTICE.txt lists, for every page used, the copyright lines and licence found in
its roff source, as the pages' licences ask.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "fixtures"))
from corpus import MAN_ROOT, _clean, man_pages  # noqa: E402

MIN_CHARS, MAX_CHARS = 80, 400
# Pages each section may contribute (None: all). Commands, files and overviews are what people
# search for; the C library sections are large, so they are sampled.
QUOTA = {"1": None, "4": None, "5": None, "6": None, "7": None, "8": None, "2": 50, "3": 50}

_JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_NAME_SH = re.compile(r'^\.SH\s+"?(名前|名称|NAME)"?\s*$', re.IGNORECASE)
_INLINE = ("B", "I", "BR", "IR", "RB", "RI", "BI", "IB", "SM", "SB")


def ja_ratio(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    return len(_JA.findall(text)) / max(1, len(chars))


def read_roff(path: Path) -> str:
    try:
        return gzip.decompress(path.read_bytes()).decode("utf-8")
    except (UnicodeDecodeError, OSError, EOFError):
        return ""


def name_line(roff: str) -> tuple[str, str] | None:
    """("open, openat, creat", "ファイルのオープン、作成を行う") from the NAME section."""
    lines = roff.splitlines()
    for i, raw in enumerate(lines):
        if not _NAME_SH.match(raw):
            continue
        parts: list[str] = []
        for raw2 in lines[i + 1 :]:
            if raw2.startswith((".SH", ".SS")):
                break
            if raw2.startswith((".", "'")):
                macro, _, rest = raw2[1:].partition(" ")
                if macro in _INLINE and rest:
                    parts.append(_clean(rest.replace('"', "")))
                continue
            c = _clean(raw2)
            if c:
                parts.append(c)
        line = " ".join(parts)
        line = re.sub(r"\s+", " ", line).strip()
        m = re.match(r"^(.*?)\s+[-—]+\s+(.*)$", line)
        if not m:
            return None
        names, summary = m.group(1).strip(), m.group(2).strip()
        if len(summary) > 100:
            summary = summary[:99] + "…"
        if not summary or not _JA.search(summary):
            return None
        return names, summary
    return None


def licence_of(roff: str) -> str:
    m = re.search(r"LICENSE_START\(([^)]*)\)", roff)
    if m:
        return m.group(1)
    m = re.search(r"SPDX-License-Identifier:\s*(\S+)", roff)
    if m:
        return m.group(1)
    if re.search(r"GNU General Public License|GPLv[23]\+?|GNU GPL", roff):
        return "GPL"
    if re.search(r"\bBSD\b|Regents of the University of California", roff):
        return "BSD"
    if re.search(r"Permission is granted to make and distribute verbatim copies", roff):
        return "VERBATIM"
    if re.search(r"public domain", roff, re.IGNORECASE):
        return "PUBLIC_DOMAIN"
    if re.search(r"Permission to use, copy, modify,? and(/or)? distribute", roff):
        return "ISC-style permissive"
    return "see source"


def copyright_lines(roff: str) -> list[str]:
    out: list[str] = []
    for raw in roff.splitlines():
        line = raw[3:] if raw.startswith('.\\"') else raw
        marked = re.search(r"copyright|\(c\)|\\\(co|SPDX-FileCopyrightText|Translated .* by", line, re.IGNORECASE)
        if marked and re.search(r"\b(19|20)\d\d\b", line):
            c = _clean(line).replace("\\(co", "(C)").strip(" .")
            c = re.sub(r"\s+", " ", c)
            if 4 < len(c) < 200 and c not in out:
                out.append(c)
    return out[:8]


DESCRIPTION = ("説明", "解説", "書式と説明", "概要", "DESCRIPTION")
SKIP_SECTIONS = ("名前", "名称", "NAME", "書式", "SYNOPSIS", "この文書について", "著者", "作者", "著作権", "関連項目", "翻訳", "属性")
_NOFILL_START = ("nf", "EX", "DS", "TS")  # no-fill text and tbl tables
_NOFILL_END = ("fi", "EE", "DE", "TE")
_FLUSH = ("PP", "LP", "P", "sp", "br", "RS", "RE", "in", "ti", "SS", "SH", "TP", "IP", "HP", "TQ", "UR", "UE", "MT", "ME")


def _args(rest: str) -> list[str]:
    """roff macro arguments: space separated, double quotes group."""
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in re.finditer(r'"([^"]*)"?|(\S+)', rest)]


def _glue(pieces: list[str]) -> str:
    """Lines of one paragraph: Japanese joins without a space, a space next to ASCII words."""
    out = ""
    for p in pieces:
        p = p.strip()
        if not p:
            continue
        if out and (out[-1].isascii() or p[0].isascii()) and not out[-1].isspace() and p[0] not in ",.;:)]":
            out += " "
        out += p
    return re.sub(r"\s+", " ", out).strip()


def section_paragraphs(roff: str) -> list[tuple[str, str, bool]]:
    """(section, paragraph, is_list_item) for each paragraph of running text. Unlike
    corpus.page_paragraphs this knows the section, drops .TP tags (option names), skips no-fill
    blocks (synopses, examples) and keeps roff's font alternation (.BR ls (1) -> "ls(1)")."""
    out: list[tuple[str, str, bool]] = []
    section, item, cur = "", False, []
    nofill = in_def = tag_next = False

    def flush() -> None:
        nonlocal cur
        if cur:
            out.append((section, _glue(cur), item))
        cur = []

    for raw in roff.splitlines():
        if in_def:
            if raw.startswith(".."):
                in_def = False
            continue
        if raw.startswith(('.\\"', "'\\\"", '.\\#')) or raw.strip() in (".", "'"):
            continue
        if raw.startswith((".", "'")):
            macro, _, rest = raw[1:].lstrip().partition(" ")
            if macro in ("de", "de1", "am"):
                in_def = True
                continue
            if macro in _NOFILL_START:
                flush()
                nofill = True
                continue
            if macro in _NOFILL_END:
                nofill = False
                continue
            if macro in ("SH", "SS"):
                flush()
                if macro == "SH":
                    section = _clean(rest.replace('"', ""))
                item = False
                continue
            if macro in ("TP", "TQ"):
                flush()
                item, tag_next = True, True
                continue
            if macro in ("IP", "HP"):
                flush()
                item = True
                continue
            if macro in ("PP", "LP", "P"):
                flush()
                item = False
                continue
            if macro in _FLUSH:
                flush()
                continue
            if macro in _INLINE and rest and not nofill:
                args = [_clean(a) for a in _args(rest)]
                text = " ".join(args) if macro in ("B", "I", "SM", "SB") else "".join(args)
                if tag_next:
                    tag_next = False
                else:
                    cur.append(text)
            continue
        if nofill:
            continue
        c = _clean(raw.replace("\\c", ""))
        if not c:
            continue
        if tag_next:
            tag_next = False
            continue
        cur.append(c)
    flush()
    return [(s, p, i) for s, p, i in out if _JA.search(p)]


def prose(paragraph: str) -> bool:
    return (
        len(paragraph) >= 30
        and "。" in paragraph
        and "\\" not in paragraph
        and ja_ratio(paragraph) >= 0.35
    )


def cut(text: str, limit: int = MAX_CHARS) -> str:
    """At most `limit` characters, ending at a sentence end where it must be shortened."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = head.rfind("。")
    return head[: end + 1] if end >= 0 else ""


def passage(paragraphs: list[tuple[str, str, bool]], boilerplate: set[str]) -> str | None:
    """The first one or two prose paragraphs, from the description where it has any."""
    paras = [(s, p, i) for s, p, i in paragraphs if s not in SKIP_SECTIONS and p not in boilerplate]
    ranked = (
        [p for s, p, i in paras if s in DESCRIPTION and not i],
        [p for s, p, i in paras if not i],
        [p for s, p, i in paras],
    )
    for group in ranked:
        good = [p for p in group if prose(p)]
        for k, p in enumerate(good):
            text = cut(p)
            if not text:
                continue
            if len(text) < 120 and k + 1 < len(good):
                more = cut(text + "\n" + good[k + 1])
                if len(more) > len(text):
                    text = more
            if MIN_CHARS <= len(text) <= MAX_CHARS:
                return unicodedata.normalize("NFC", text)
    return None


def package_versions() -> dict[str, str]:
    out = {}
    for pkg in ("manpages-ja", "manpages-ja-dev"):
        try:
            v = subprocess.run(
                ["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            v = "unknown"
        out[pkg] = v
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "www" / "data"))
    args = ap.parse_args()
    out_dir = Path(args.out)
    if not MAN_ROOT.is_dir():
        sys.exit(f"{MAN_ROOT} not found: apt-get install manpages-ja manpages-ja-dev")

    pages = []
    for path in man_pages():
        rel = path.relative_to(MAN_ROOT).as_posix()  # man1/ls.1.gz
        command, _, section = path.name[: -len(".gz")].rpartition(".")
        if not command or not section:
            continue
        roff = read_roff(path)
        nl = name_line(roff)
        if nl:
            pages.append((rel, command, section, nl[1], roff, section_paragraphs(roff)))

    # Paragraphs repeated across many pages ("長いオプションで必須となっている引数は…") say
    # nothing about the page.
    freq: dict[str, int] = {}
    for *_, paras in pages:
        for p in {p for _, p, _ in paras}:
            freq[p] = freq.get(p, 0) + 1
    boilerplate = {p for p, n in freq.items() if n >= 4}

    # Pages with the same passage (dir(1) and ls(1)): keep the shortest command name.
    by_text: dict[str, tuple] = {}
    for rel, command, section, summary, roff, paras in pages:
        text = passage(paras, boilerplate)
        if not text:
            continue
        old = by_text.get(text)
        if old is None or (len(command), command) < (len(old[1]), old[1]):
            by_text[text] = (rel, command, section, summary, roff)

    candidates: dict[str, list[tuple[str, dict, list[str]]]] = {}
    for text, (rel, command, section, summary, roff) in by_text.items():
        doc = {
            "title": f"{command}({section})",
            "summary": summary,
            "text": text,
            "source": rel,  # under /usr/share/man/ja/
            "licence": licence_of(roff),
        }
        key = hashlib.sha1(rel.encode()).hexdigest()
        candidates.setdefault(section[:1], []).append((key, doc, copyright_lines(roff)))

    chosen: list[tuple[dict, list[str]]] = []
    for section in sorted(candidates):
        items = candidates[section]
        quota = QUOTA.get(section, 0)
        if quota is not None:
            items = sorted(items, key=lambda t: t[0])[:quota]
        chosen.extend((doc, notes) for _, doc, notes in items)
    chosen.sort(key=lambda t: (t[0]["source"].split("/")[0], t[0]["title"]))

    docs = []
    for i, (doc, _) in enumerate(chosen):
        docs.append({"id": f"d{i + 1:04d}", **doc})
    collection = {
        "name": "Debian 日本語マニュアルページ抜粋 (Japanese man page excerpts)",
        "description": "One passage per page: the NAME line as summary and the first Japanese prose paragraphs.",
        "source": "Debian packages manpages-ja and manpages-ja-dev (JM Project translations of the Linux man-pages, GNU and other manuals)",
        "licence": "Each passage keeps the licence of its man page (various free licences: the Linux man-pages VERBATIM licence, GPL, BSD, ...; "
        "see the 'licence' field, NOTICE.txt and /usr/share/doc/manpages-ja/copyright). Copyright: the original authors and the JM Project translators.",
        "packages": package_versions(),
        "generator": "tools/collection/make_collection.py",
        "count": len(docs),
        "documents": docs,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    data = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    # One document per line: small diffs, still compact.
    data = data.replace(',{"id":', ',\n{"id":').replace('"documents":[{', '"documents":[\n{')
    (out_dir / "collection.json").write_text(data + "\n", encoding="utf-8")

    notice = [
        "Notices for www/data/collection.json",
        "",
        "The passages in collection.json are excerpts of Debian's Japanese manual pages",
        f"(packages manpages-ja, manpages-ja-dev {collection['packages']['manpages-ja']}),",
        "translated by the JM Project (https://linuxjm.osdn.jp/) from the Linux man-pages project,",
        "GNU manuals and others. Each page keeps its own free licence; the copyright lines and the",
        "licence found in each page's roff source are listed below. The full sources are in Debian's",
        "manpages-ja source package; /usr/share/doc/manpages-ja/copyright describes the licensing.",
        "",
    ]
    for doc, notes in chosen:
        notice.append(f"{doc['title']}  /usr/share/man/ja/{doc['source']}  licence: {doc['licence']}")
        notice.extend(f"    {n}" for n in notes)
    (out_dir / "NOTICE.txt").write_text("\n".join(notice) + "\n", encoding="utf-8")

    by_section: dict[str, int] = {}
    for d in docs:
        s = d["source"].split("/")[0]
        by_section[s] = by_section.get(s, 0) + 1
    print(
        f"{len(docs)} passages ({', '.join(f'{k}: {v}' for k, v in sorted(by_section.items()))}), "
        f"{len(data.encode()) / 1024:.0f} KiB -> {out_dir / 'collection.json'}"
    )


if __name__ == "__main__":
    main()
