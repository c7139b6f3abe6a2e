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
import pyarrow as pa

from storage.database import Store

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


_LINK_SCHEMA = pa.schema(
    [
        ("gnews_id", pa.string()),
        ("link", pa.string()),
        ("source_name", pa.string()),
        ("status", pa.string()),
        ("publisher_url", pa.string()),
        ("article_id", pa.string()),
        ("feed_only_id", pa.string()),
        ("attempts", pa.int32()),
        ("last_error", pa.string()),
        ("entry", pa.string()),
        ("first_seen_at", pa.timestamp("us")),
        ("last_attempt_at", pa.timestamp("us")),
        ("decoded_at", pa.timestamp("us")),
    ]
)


def stored_links(db: Store, ids: Iterable[str]) -> dict[str, GoogleLink]:
    """The stored state of the given Google News ids (those never seen are absent)."""
    wanted = sorted(set(ids))
    if not wanted or not db.exists():
        return {}
    with db.connect() as connection:
        rows = connection.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM google_news_links "
            "WHERE gnews_id IN (SELECT unnest(?))",
            [wanted],
        ).fetchall()
    return {row[0]: _link(row) for row in rows}


def links_to_retry(db: Store, source_names: Sequence[str]) -> list[GoogleLink]:
    """Links of these sources still standing in as feed-only records: undecoded, or decoded
    but whose article could not be stored yet."""
    if not source_names or not db.exists():
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
    latest = list({link.gnews_id: link for link in links}.values())
    batch = pa.table(
        {
            "gnews_id": [link.gnews_id for link in latest],
            "link": [link.link for link in latest],
            "source_name": [link.source_name for link in latest],
            "status": [link.status for link in latest],
            "publisher_url": [link.publisher_url for link in latest],
            "article_id": [link.article_id for link in latest],
            "feed_only_id": [link.feed_only_id for link in latest],
            "attempts": [link.attempts for link in latest],
            "last_error": [link.last_error for link in latest],
            "entry": [
                json.dumps(link.entry, ensure_ascii=False, default=str) if link.entry else None
                for link in latest
            ],
            "first_seen_at": [_naive(link.first_seen_at or seen) for link in latest],
            "last_attempt_at": [_naive(link.last_attempt_at) for link in latest],
            "decoded_at": [_naive(link.decoded_at) for link in latest],
        },
        schema=_LINK_SCHEMA,
    )
    connection.register("new_google_links", batch)
    # MERGE, not ON CONFLICT: a lake has no primary key.
    connection.execute(
        """
        MERGE INTO google_news_links AS stored
        USING (SELECT * REPLACE (entry::JSON AS entry) FROM new_google_links) AS excluded
        ON stored.gnews_id = excluded.gnews_id
        WHEN MATCHED THEN UPDATE SET
            status = excluded.status,
            publisher_url = excluded.publisher_url,
            article_id = excluded.article_id,
            feed_only_id = excluded.feed_only_id,
            attempts = excluded.attempts,
            last_error = excluded.last_error,
            entry = coalesce(excluded.entry, stored.entry),
            last_attempt_at = excluded.last_attempt_at,
            decoded_at = excluded.decoded_at
        WHEN NOT MATCHED THEN INSERT BY NAME
        """
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
