"""Google News links and what they decode to: the memory that makes decoding happen once per link.

Rows are written in the transaction of the source batch they belong to
(``storage.articles.save_batch``), so a link is never marked decoded without
its article, nor an article replaced without its link moving with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from storage.database import Database

PENDING = "pending"
DECODED = "decoded"
FAILED = "failed"


@dataclass(frozen=True)
class GoogleLink:
    """A Google News link's state, as stored and as a run leaves it.

    Attributes:
        gnews_id: the article id in the link.
        link: the link as the feed gave it.
        source_name: the source that listed it first.
        status: ``pending``, ``decoded`` or ``failed``.
        publisher_url: the decoded URL, once known.
        article_id: the article the link leads to (the feed-only record until replaced).
        feed_only_id: the feed-only record standing in for the article, while there is one.
        attempts: runs that tried to decode it.
        last_error: why the last attempt failed.
        entry: the feed item as a JSON-able mapping, for retries.
        first_seen_at: when it was first listed (naive UTC; None for a new link).
        last_attempt_at: when decoding was last tried.
        decoded_at: when it was decoded.
    """

    gnews_id: str
    link: str
    source_name: str
    status: str = PENDING
    publisher_url: str | None = None
    article_id: str | None = None
    feed_only_id: str | None = None
    attempts: int = 0
    last_error: str | None = None
    entry: dict[str, Any] | None = None
    first_seen_at: datetime | None = None
    last_attempt_at: datetime | None = None
    decoded_at: datetime | None = None


_COLUMNS = (
    "gnews_id",
    "link",
    "source_name",
    "status",
    "publisher_url",
    "article_id",
    "feed_only_id",
    "attempts",
    "last_error",
    "entry",
    "first_seen_at",
    "last_attempt_at",
    "decoded_at",
)


def stored_links(db: Database, ids: Iterable[str]) -> dict[str, GoogleLink]:
    """The stored state of the given Google News ids (those never seen are absent)."""
    wanted = sorted(set(ids))
    if not wanted or not db.path.exists():
        return {}
    with db.connect() as connection:
        rows = connection.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM google_news_links "
            "WHERE gnews_id IN (SELECT unnest(?))",
            [wanted],
        ).fetchall()
    return {row[0]: _link(row) for row in rows}


def links_to_retry(db: Database, source_names: Sequence[str]) -> list[GoogleLink]:
    """Links of these sources still standing in as feed-only records: undecoded, or decoded
    but whose article could not be stored yet."""
    if not source_names or not db.path.exists():
        return []
    with db.connect() as connection:
        rows = connection.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM google_news_links "
            "WHERE source_name IN (SELECT unnest(?)) AND feed_only_id IS NOT NULL "
            "AND status <> ? ORDER BY first_seen_at, gnews_id",
            [list(source_names), FAILED],
        ).fetchall()
    return [_link(row) for row in rows]


def save_links(
    connection: duckdb.DuckDBPyConnection, links: Sequence[GoogleLink], seen: datetime
) -> None:
    """Upsert links inside the caller's transaction (a repeated id keeps its last state).

    ``seen`` (the run's clock) is the first-seen time of links that do not carry one.
    """
    if not links:
        return
    latest = {link.gnews_id: link for link in links}
    for link in latest.values():
        connection.execute(
            f"""
            INSERT INTO google_news_links ({", ".join(_COLUMNS)})
            VALUES ({", ".join("?" for _ in _COLUMNS)})
            ON CONFLICT (gnews_id) DO UPDATE SET
                status = excluded.status,
                publisher_url = excluded.publisher_url,
                article_id = excluded.article_id,
                feed_only_id = excluded.feed_only_id,
                attempts = excluded.attempts,
                last_error = excluded.last_error,
                entry = coalesce(excluded.entry, google_news_links.entry),
                last_attempt_at = excluded.last_attempt_at,
                decoded_at = excluded.decoded_at
            """,
            [
                link.gnews_id,
                link.link,
                link.source_name,
                link.status,
                link.publisher_url,
                link.article_id,
                link.feed_only_id,
                link.attempts,
                link.last_error,
                json.dumps(link.entry, ensure_ascii=False, default=str) if link.entry else None,
                _naive(link.first_seen_at or seen),
                _naive(link.last_attempt_at),
                _naive(link.decoded_at),
            ],
        )


def _link(row: tuple[Any, ...]) -> GoogleLink:
    values = dict(zip(_COLUMNS, row, strict=True))
    entry = values["entry"]
    values["entry"] = json.loads(entry) if isinstance(entry, str) else entry
    return GoogleLink(**values)


def _naive(moment: datetime | None) -> datetime | None:
    # Columns are TIMESTAMP in UTC: DuckDB would shift aware values by the session zone.
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
