"""Properties over real pages (``../shared/realpages``, outside the repo; skipped when absent).

1. Nothing is lost silently: the stored body plus the removed lines (each with a reason
   code) are exactly the lines of the extractor's text, modulo whitespace.
2. Every record we write in the seed format is read back by plain ``yaml.safe_load`` with a
   plausible publication date.

The default run checks a sample of about 100 pages spread over the three datasets; the
whole corpus (2,989 pages, a few minutes) runs with ``pytest -m slow``.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from extractors.article import build_article, extract_document
from extractors.html import NotAnArticle
from extractors.relevance import Watch
from extractors.seedformat import dump_seed_document
from tests.support.paths import REALPAGES

CORPUS = REALPAGES
FETCHED = datetime(2026, 11, 1, tzinfo=UTC)
SAMPLE_PER_DATASET = 34
EARLIEST_YEAR = 1995

pytestmark = pytest.mark.skipif(
    not (CORPUS / "score.py").is_file(), reason=f"{CORPUS} is not here (it is not in the repo)"
)


def _pages(sample: int | None) -> Iterator[tuple[str, dict[str, Any]]]:
    for gold in sorted(CORPUS.glob("*/gold.jsonl")):
        with gold.open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        step = max(1, len(rows) // sample) if sample else 1
        for row in rows[::step][:sample]:
            yield gold.parent.name, row


def _check_page(dataset: str, row: dict[str, Any]) -> list[str]:
    """The problems found on one page (empty when both properties hold)."""
    content = gzip.decompress((CORPUS / dataset / "pages" / f"{row['id']}.html.gz").read_bytes())
    url = row.get("url") or f"https://realpages.invalid/{dataset}/{row['id']}.html"
    try:
        record, kind = extract_document(
            content, url=url, fetched_at=FETCHED, media_type="text/html"
        )
    except NotAnArticle:
        return []
    article = build_article(record, source="t", fetched_at=FETCHED, watch=Watch(), input_kind=kind)
    problems = []
    extracted = Counter(_squash(line) for line in record.body.split("\n\n") if line.strip())
    accounted = Counter(_squash(line) for line in article.record.body.split("\n\n") if line.strip())
    accounted.update(_squash(line.text) for line in article.removed)
    if extracted != accounted:
        missing = list((extracted - accounted).elements())[:3]
        extra = list((accounted - extracted).elements())[:3]
        problems.append(f"{dataset}/{row['id']}: lost {missing!r}, invented {extra!r}")
    if any(not line.reason for line in article.removed):
        problems.append(f"{dataset}/{row['id']}: a removed line without a reason")
    text = dump_seed_document(article.record)
    front = text.split("---\n", 2)[1]
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as error:
        problems.append(f"{dataset}/{row['id']}: safe_load fails: {error}")
        return problems
    moment = data.get("publishedDateTime")
    if moment is not None and not (
        isinstance(moment, datetime) and EARLIEST_YEAR <= moment.year <= FETCHED.year
    ):
        problems.append(f"{dataset}/{row['id']}: publishedDateTime {moment!r}")
    return problems


def _check(sample: int | None) -> None:
    problems = [problem for dataset, row in _pages(sample) for problem in _check_page(dataset, row)]
    assert not problems, "\n".join(problems[:20])


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_sample_of_real_pages_loses_nothing_silently_and_writes_readable_seeds() -> None:
    _check(SAMPLE_PER_DATASET)


@pytest.mark.slow
def test_every_real_page_loses_nothing_silently_and_writes_readable_seeds() -> None:
    _check(None)
