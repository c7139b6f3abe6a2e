"""Regenerate the golden records of seeds 001-004: ``python tests/golden/regenerate.py``.

Each seed's cleaned record is written as ``tests/golden/seeds/NNN.md`` (seed
format) beside a ``NNN.removed.txt`` listing every removed line with its
reason. Review the diff before committing: a golden file states what the
cleaner must produce.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from extractors.article import Article, build_article, extract_document  # noqa: E402
from extractors.relevance import Watch  # noqa: E402
from extractors.seedformat import dump_seed_document  # noqa: E402

SEEDS = ROOT / "seeds" / "documents"
GOLDEN = Path(__file__).resolve().parent / "seeds"
# Frozen time, as web-poet's fixtures do, so time-dependent fields stay stable.
FETCHED_AT = datetime(2026, 11, 1, tzinfo=UTC)
SEED_PREFIXES = ("001", "002", "003", "004")


def clean_seed(prefix: str) -> Article:
    """The seed document through the same extraction and cleaning as the pipeline."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    record, kind = extract_document(
        path.read_bytes(), url=f"file:///seeds/documents/{path.name}", fetched_at=FETCHED_AT
    )
    return build_article(
        record, source="seed-documents", fetched_at=FETCHED_AT, watch=Watch(), input_kind=kind
    )


def removed_listing(article: Article) -> str:
    """One line per removed line: its index, reason code and text."""
    return "".join(f"{line.index}\t{line.reason}\t{line.text}\n" for line in article.removed)


def main() -> None:
    """Write every golden file."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for prefix in SEED_PREFIXES:
        article = clean_seed(prefix)
        (GOLDEN / f"{prefix}.md").write_text(dump_seed_document(article.record), encoding="utf-8")
        (GOLDEN / f"{prefix}.removed.txt").write_text(removed_listing(article), encoding="utf-8")
        print(f"wrote {prefix}: {len(article.removed)} lines removed")


if __name__ == "__main__":
    main()
