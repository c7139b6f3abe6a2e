"""BENCHMARKS.md upkeep shared by the benchmarks: each owns one ``## `` section."""

from __future__ import annotations

import re
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
_INTRO = (
    "# Benchmarks\n\n"
    "Measured performance of newswatch. Each section names the command that produced it; "
    "re-run that command to refresh the section (other sections are left as they are).\n"
)


def update_section(heading: str, section: str, path: Path = BENCHMARKS) -> None:
    """Replace (or append) the section that starts with ``heading``, leaving the others alone."""
    text = path.read_text(encoding="utf-8") if path.exists() else _INTRO
    start = text.find(heading)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        following = re.search(r"^## ", text[start + len(heading) :], flags=re.M)
        end = start + len(heading) + following.start() if following else len(text)
        rest = text[end:]
        text = text[:start] + section.rstrip("\n") + "\n" + ("\n" + rest if rest else "")
    path.write_text(text, encoding="utf-8")
