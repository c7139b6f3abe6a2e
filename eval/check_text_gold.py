#!/usr/bin/env python3
"""Check the plain-text gold files of the evaluation set (eval/text/).

For every ``NAME.txt`` in eval/text/ (inputs; ``*.gold.txt`` are not inputs) this checks:

* ``NAME.gold.txt`` and ``NAME.meta.json`` exist;
* every non-blank gold line occurs byte-identically (leading/trailing whitespace included) as a
  line of the input, and the gold lines occur in the input's order, each input line used at most once
  (i.e. gold = input minus removed lines; blank lines are not significant);
* the meta file is a JSON object with ``language`` (string), ``title`` (string or null) and
  ``notes`` (string); ``provider``, if present, is a non-empty string;
* a document's gold is not empty (all text documents are articles).

Prints one line per problem and a summary; exits non-zero if there is any problem.

Usage: python eval/check_text_gold.py [DIR]   (default: the text/ directory next to this script)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _lines(path: Path) -> list[str]:
    # newline="" would keep "\r"; we want exact line content without the terminator only.
    text = path.read_bytes().decode("utf-8")
    return text.split("\n")


def check_doc(txt: Path) -> list[str]:
    problems: list[str] = []
    name = txt.name[: -len(".txt")]
    gold = txt.with_name(name + ".gold.txt")
    meta = txt.with_name(name + ".meta.json")
    if not gold.exists():
        return [f"{name}: missing {gold.name}"]
    try:
        inp_lines = _lines(txt)
        gold_lines = [ln for ln in _lines(gold) if ln.strip()]
    except UnicodeDecodeError as exc:
        return [f"{name}: not valid UTF-8 ({exc})"]

    if not gold_lines:
        problems.append(f"{name}: gold has no non-blank lines")

    # In-order subsequence match, each input line used at most once.
    pos = 0
    for gi, gl in enumerate(gold_lines, 1):
        j = pos
        while j < len(inp_lines) and inp_lines[j] != gl:
            j += 1
        if j < len(inp_lines):
            pos = j + 1
            continue
        if gl in inp_lines:
            problems.append(
                f"{name}: gold line {gi} occurs in the input but out of order: {gl[:70]!r}"
            )
        else:
            stripped = [ln for ln in inp_lines if ln.strip() == gl.strip()]
            hint = " (differs only in surrounding whitespace)" if stripped else ""
            problems.append(f"{name}: gold line {gi} not found in the input{hint}: {gl[:70]!r}")

    if any("\r" in ln for ln in gold_lines):
        problems.append(f"{name}: gold contains carriage returns")

    if not meta.exists():
        problems.append(f"{name}: missing {meta.name}")
    else:
        try:
            m = json.loads(meta.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            problems.append(f"{name}: meta is not valid JSON ({exc})")
        else:
            if not isinstance(m, dict):
                problems.append(f"{name}: meta is not a JSON object")
            else:
                if not isinstance(m.get("language"), str) or not m.get("language"):
                    problems.append(f"{name}: meta 'language' missing or not a string")
                if "title" not in m or not (m["title"] is None or isinstance(m["title"], str)):
                    problems.append(f"{name}: meta 'title' missing or not string/null")
                if not isinstance(m.get("notes"), str):
                    problems.append(f"{name}: meta 'notes' missing or not a string")
                if "provider" in m and not (
                    isinstance(m["provider"], str) and m["provider"].strip()
                ):
                    problems.append(f"{name}: meta 'provider' present but not a non-empty string")
                lang = name.split("_")[1] if name.count("_") >= 1 else None
                if lang and isinstance(m.get("language"), str) and m["language"] != lang:
                    problems.append(
                        f"{name}: meta language {m['language']!r} != name language {lang!r}"
                    )
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent / "text"
    docs = sorted(p for p in root.glob("*.txt") if not p.name.endswith(".gold.txt"))
    orphans = sorted(
        p.name
        for p in root.glob("*.gold.txt")
        if not p.with_name(p.name[: -len(".gold.txt")] + ".txt").exists()
    )
    problems: list[str] = [f"{o}: gold file without input" for o in orphans]
    langs: dict[str, int] = {}
    removed = kept = 0
    for txt in docs:
        problems.extend(check_doc(txt))
        lang = txt.name.split("_")[1] if "_" in txt.name else "?"
        langs[lang] = langs.get(lang, 0) + 1
        gold = txt.with_name(txt.name[: -len(".txt")] + ".gold.txt")
        if gold.exists():
            n_in = sum(1 for ln in _lines(txt) if ln.strip())
            n_gold = sum(1 for ln in _lines(gold) if ln.strip())
            kept += n_gold
            removed += n_in - n_gold
    for p in problems:
        print(p)
    per_lang = ", ".join(f"{k} {v}" for k, v in sorted(langs.items()))
    print(
        f"checked {len(docs)} text documents ({per_lang}); non-blank lines: {kept} kept, {removed} removed; "
        f"{len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
