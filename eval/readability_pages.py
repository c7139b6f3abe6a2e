"""A second set of real pages, beside ``realpages``: mozilla/readability's test pages.

Mozilla's Readability library keeps, for each of its test cases, a page as it was saved from
the web (``source.html``) and the article it expects to find there (``expected.html``), which
its maintainers check by hand whenever it changes. Its real pages (Guardian, NYT, Washington
Post, BBC, Le Monde, Heise, Yahoo! Japan, Wikipedia, blogs …) are a set nobody here tuned the
extractor on before the 2026-12-06 session; two faults it showed then were fixed (BENCHMARKS.md
says which), so its figures are labelled "seen once". The pages are not copied into this
repository (they belong to their sites): clone the library next to the project and point
``--pages`` at its ``test/test-pages`` folder::

    git clone https://github.com/mozilla/readability ../readability
    .venv/bin/python eval/readability_pages.py [--pages ../readability/test/test-pages]

Only test cases whose ``source.html`` holds at least ``MIN_PAGE_BYTES`` are read: the smaller
ones are the library's hand-made unit cases (a ``<br>`` to replace, an RTL sample), not pages.
The reference text is ``expected.html`` with each block element on a line of its own. Note what
it is: Readability's answer, generous by design (author boxes, "Related:" links, Wikipedia's
references stay), so a cleaner that removes those on purpose loses recall here.

Scoring is the one of ``realpages`` (``../shared/realpages/score.py``): token 4-gram shingles
(``\\w+``, case kept, multiset), P and R per page averaged over pages, F1 their harmonic mean; a
page with no output scores 0. Ours, plain trafilatura and ``favor_precision`` run on the same
bytes in the same run (``realpages.run_systems``).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import lxml.html

EVAL_DIR = Path(__file__).resolve().parent
REPO = EVAL_DIR.parent
if str(EVAL_DIR) not in sys.path:
    sys.path.insert(0, str(EVAL_DIR))

from check_gold import BLOCK_TAGS  # noqa: E402
from realpages import (  # noqa: E402
    FETCHED_AT_ISO,
    LOSS_THRESHOLD,
    OURS,
    OURS_TITLED,
    SYSTEMS,
    TRAFILATURA,
    PageResult,
    run_systems,
)

DEFAULT_PAGES = REPO.parent / "readability" / "test" / "test-pages"
MIN_PAGE_BYTES = 10_000
_TOKEN = re.compile(r"\w+")


def reference_text(expected_html: str) -> str:
    """The text of Readability's expected article, one block element per line."""
    tree = lxml.html.fromstring(expected_html)
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag in BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return str(tree.text_content())


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """Token 4-grams as a multiset (a text of fewer tokens is one shingle)."""
    tokens = _TOKEN.findall(text)
    if len(tokens) < 4:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[index : index + 4]) for index in range(len(tokens) - 3))


def precision_recall(output: str, reference: str) -> tuple[float, float]:
    """Shingle precision and recall of one page; an empty output scores 0 and 0."""
    got, wanted = shingles(output), shingles(reference)
    if not got or not wanted:
        return 0.0, 0.0
    matched = sum((got & wanted).values())
    return matched / sum(got.values()), matched / sum(wanted.values())


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def read_cases(folder: Path) -> list[tuple[str, bytes, str]]:
    """(name, page bytes, reference text) of every real page in the test-pages folder."""
    cases = []
    for case in sorted(path for path in folder.iterdir() if path.is_dir()):
        source, expected = case / "source.html", case / "expected.html"
        if not (source.is_file() and expected.is_file()):
            continue
        content = source.read_bytes()
        if len(content) >= MIN_PAGE_BYTES:
            reference = reference_text(expected.read_text(encoding="utf-8"))
            cases.append((case.name, content, reference))
    return cases


def render(cases: list[tuple[str, bytes, str]], results: list[PageResult]) -> str:
    """The Markdown report: the systems' figures, losing pages and the pages we lose on."""
    out = [f"## mozilla/readability test pages: {len(cases)} real pages", ""]
    out += ["| metric | " + " | ".join(SYSTEMS) + " |", "| --- |" + " ---: |" * len(SYSTEMS)]
    scores = {
        system: [
            precision_recall(result.texts[system], reference)
            for (_name, _content, reference), result in zip(cases, results, strict=True)
        ]
        for system in SYSTEMS
    }
    averages = {
        system: (
            statistics.fmean(p for p, _ in pairs) if pairs else 0.0,
            statistics.fmean(r for _, r in pairs) if pairs else 0.0,
        )
        for system, pairs in scores.items()
    }
    for label, pick in (
        ("P", lambda pr: pr[0]),
        ("R", lambda pr: pr[1]),
        ("F1", lambda pr: _f1(*pr)),
    ):
        out.append(
            f"| {label} | "
            + " | ".join(f"{pick(averages[system]):.3f}" for system in SYSTEMS)
            + " |"
        )
    losing = [
        (_f1(*theirs) - _f1(*ours), name, result)
        for (name, _content, _reference), result, ours, theirs in zip(
            cases, results, scores[OURS], scores[TRAFILATURA], strict=True
        )
        if _f1(*theirs) - _f1(*ours) > LOSS_THRESHOLD
    ]
    out += [
        "",
        f"Pages where ours loses more than {LOSS_THRESHOLD} F1 to trafilatura: {len(losing)} "
        f"({len(losing) / len(cases):.1%}); rejected by ours: "
        f"{sum(1 for result in results if result.rejected)}.",
    ]
    for gap, name, result in sorted(losing, key=lambda item: -item[0]):
        reasons = Counter(reason for reason, _text in result.removed)
        removed = ", ".join(f"{reason} {count}" for reason, count in reasons.most_common(4))
        rejected = f", rejected: {result.rejected}" if result.rejected else ""
        out.append(f"- `{name}` −{gap:.3f}{rejected} (removed lines: {removed or 'none'})")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Score ours and trafilatura on the readability test pages and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pages", type=Path, default=DEFAULT_PAGES, help="readability's test/test-pages folder"
    )
    args = parser.parse_args(argv)
    if not args.pages.is_dir():
        print(f"readability pages: {args.pages} not found; skipping (see this script's help).")
        return 0
    cases = read_cases(args.pages)
    if not cases:
        print(f"readability pages: no test page of {MIN_PAGE_BYTES} bytes or more in {args.pages}.")
        return 0
    fetched_at = datetime.fromisoformat(FETCHED_AT_ISO)
    results = [
        run_systems(content, name, f"https://readability-test.invalid/{name}/", fetched_at)
        for name, content, _reference in cases
    ]
    print(render(cases, results))
    print(f"(`{OURS_TITLED}` puts the record's headline back in front of the body.)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
