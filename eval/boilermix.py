"""Boilerplate nobody here wrote, mixed into real article bodies (issue [7] item 6).

Junk lines are mined from the realpages corpus (``../shared/realpages``, outside the repo):
the lines of our extractor's text of a page that share no 4-word shingle with that page's
gold body (and do not occur in it as a substring): menus, promos, disclaimers, share rows,
captions, comment headers, as real sites word them. Each page's gold body (its paragraphs)
then gets the junk of another page of the same dataset: that page's lines above its article
on top, its lines below on the bottom, and one of its lines in the middle. The cleaner runs
on the mixed text as on plain-text input (no title, no provider memory, no structure), and
we count:

- **junk removed**: the share of inserted junk lines the cleaner removed;
- **paragraphs kept whole**: the share of gold paragraphs that stay in the body verbatim
  (the gold's first line removed as ``headline`` counts as kept: it is lifted into the
  record's title).

Targets (issue [7] item 6): junk removed ≥ 0.97, paragraphs kept whole ≥ 0.99. Pages and
gold are read where they lie, never copied (licences). Only the body-gold datasets
(``l3s-gn1``, ``dragnet``) can say which lines are junk.

Usage::

    .venv/bin/python eval/boilermix.py [--limit N] [--jobs 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
REPO = EVAL_DIR.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from extractors.article import extract_document  # noqa: E402
from extractors.clean import clean_paragraphs  # noqa: E402
from extractors.html import ExtractionError, NotAnArticle  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "realpages"
DATASETS = ("l3s-gn1", "dragnet")
FETCHED = datetime(2026, 11, 1, tzinfo=UTC)
# Junk blocks taken from the donor page's head and tail, at most this many lines each.
MAX_BLOCK = 4
# The donor is the page this many rows further on (another site, in both datasets' order).
DONOR_STEP = 7
TARGET_JUNK_REMOVED = 0.97
TARGET_KEPT_WHOLE = 0.99
_TOKEN = re.compile(r"\w+")


@dataclass
class MinedPage:
    """One page's gold paragraphs and the junk lines mined from its extraction."""

    id: str
    gold: list[str]
    head_junk: list[str]
    middle_junk: list[str]
    tail_junk: list[str]


def _shingles(text: str) -> set[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    if len(tokens) < 4:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[index : index + 4]) for index in range(len(tokens) - 3)}


def _squash(text: str) -> str:
    return " ".join(_TOKEN.findall(text.casefold()))


def mine_page(job: tuple[str, str, str, str]) -> MinedPage | None:
    """Extract one page and split its lines into gold-matching and junk (worker process)."""
    path, page_id, url, gold = job
    content = gzip.decompress(Path(path).read_bytes())
    try:
        record, _kind = extract_document(
            content, url=url, fetched_at=FETCHED, media_type="text/html"
        )
    except (NotAnArticle, ExtractionError):
        return None
    lines = [line for line in record.body.split("\n\n") if line.strip()]
    gold_shingles = _shingles(gold)
    gold_squashed = _squash(gold)
    junk = [
        bool(_TOKEN.search(line))
        and not (_shingles(line) & gold_shingles)
        and _squash(line) not in gold_squashed
        for line in lines
    ]
    article = [index for index, is_junk in enumerate(junk) if not is_junk]
    if not article:
        return None
    first, last = article[0], article[-1]
    return MinedPage(
        id=page_id,
        gold=[paragraph for paragraph in gold.split("\n") if paragraph.strip()],
        head_junk=[line for line, bad in zip(lines[:first], junk[:first], strict=True) if bad],
        middle_junk=[
            line for line, bad in zip(lines[first:last], junk[first:last], strict=True) if bad
        ],
        tail_junk=[
            line for line, bad in zip(lines[last + 1 :], junk[last + 1 :], strict=True) if bad
        ],
    )


@dataclass
class MixFigures:
    """One dataset's counts on the mixed set."""

    documents: int = 0
    junk: int = 0
    junk_removed: int = 0
    paragraphs: int = 0
    paragraphs_kept: int = 0

    def as_json(self) -> dict[str, float]:
        """Counts and shares."""
        return {
            "documents": self.documents,
            "junk_lines": self.junk,
            "junk_removed": round(self.junk_removed / self.junk, 4) if self.junk else 1.0,
            "gold_paragraphs": self.paragraphs,
            "kept_whole": (
                round(self.paragraphs_kept / self.paragraphs, 4) if self.paragraphs else 1.0
            ),
        }


def mix_and_clean(pages: Sequence[MinedPage]) -> MixFigures:
    """Give each page the junk of its donor and count what the cleaner does with it."""
    figures = MixFigures()
    for position, page in enumerate(pages):
        donor = pages[(position + DONOR_STEP) % len(pages)]
        gold_keys = {_squash(paragraph) for paragraph in page.gold}
        head = [line for line in donor.head_junk[-MAX_BLOCK:] if _squash(line) not in gold_keys]
        tail = [line for line in donor.tail_junk[:MAX_BLOCK] if _squash(line) not in gold_keys]
        middle = [
            line
            for line in (donor.middle_junk or donor.tail_junk[MAX_BLOCK:])[:1]
            if _squash(line) not in gold_keys
        ]
        if not (head or tail or middle) or len(page.gold) < 2:
            continue
        half = len(page.gold) // 2
        text = head + page.gold[:half] + middle + page.gold[half:] + tail
        junk_at = set(range(len(head)))
        junk_at |= set(range(len(head) + half, len(head) + half + len(middle)))
        junk_at |= set(range(len(text) - len(tail), len(text)))
        result = clean_paragraphs(text, reference=FETCHED)
        removed = {line.index: line.reason for line in result.removed}
        figures.documents += 1
        figures.junk += len(junk_at)
        figures.junk_removed += sum(1 for index in junk_at if index in removed)
        gold_at = [index for index in range(len(text)) if index not in junk_at]
        figures.paragraphs += len(gold_at)
        figures.paragraphs_kept += sum(
            1
            for rank, index in enumerate(gold_at)
            if index not in removed or (rank == 0 and removed[index] == "headline")
        )
    return figures


def evaluate(corpus: Path, *, limit: int | None, jobs: int) -> dict[str, MixFigures]:
    """Mine and mix each body-gold dataset; the figures per dataset."""
    figures: dict[str, MixFigures] = {}
    for name in DATASETS:
        folder = corpus / name
        with (folder / "gold.jsonl").open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        rows = rows[:limit] if limit else rows
        work = [
            (
                str(folder / "pages" / f"{row['id']}.html.gz"),
                row["id"],
                row.get("url") or f"https://realpages.invalid/{name}/{row['id']}.html",
                row["body"],
            )
            for row in rows
        ]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            mined = [page for page in pool.map(mine_page, work, chunksize=4) if page]
        figures[name] = mix_and_clean(mined)
    return figures


def render(figures: dict[str, MixFigures]) -> str:
    """The Markdown table."""
    out = [
        "## Boilerplate mix (real junk lines in other pages' gold bodies)",
        "",
        f"| dataset | documents | junk lines | junk removed (≥ {TARGET_JUNK_REMOVED}) "
        f"| gold paragraphs | kept whole (≥ {TARGET_KEPT_WHOLE}) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, mix in figures.items():
        data = mix.as_json()
        out.append(
            f"| {name} | {mix.documents} | {mix.junk} | {data['junk_removed']:.3f} "
            f"| {mix.paragraphs} | {data['kept_whole']:.3f} |"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the boilerplate-mix evaluation and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="realpages folder")
    parser.add_argument("--limit", type=int, help="only the first N pages of each dataset")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the figures to PATH")
    args = parser.parse_args(argv)
    if not (args.corpus / "score.py").is_file():
        print(f"boilermix: {args.corpus} not found; skipping the boilerplate-mix evaluation.")
        return 0
    started = time.perf_counter()
    figures = evaluate(args.corpus, limit=args.limit, jobs=args.jobs)
    print(render(figures))
    print(f"({time.perf_counter() - started:.0f} s, {args.jobs} workers)")
    if args.json:
        data = {name: mix.as_json() for name, mix in figures.items()}
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
