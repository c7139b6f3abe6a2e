"""Raw HTTP responses of article pages, kept gzip-compressed so articles can be re-extracted."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from storage.database import Database

# Never kept: they can carry session tokens.
_SECRET_HEADERS = frozenset({"set-cookie", "set-cookie2", "authorization", "proxy-authorization"})


@dataclass(frozen=True)
class RawPage:
    """One fetched response as it came off the wire (body already content-decoded)."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str] = field(hash=False)
    fetched_at: datetime
    content: bytes
    source_name: str = ""
    hint: Mapping[str, Any] | None = field(default=None, hash=False)


def save_raw_pages(
    connection: duckdb.DuckDBPyConnection, pages: Sequence[RawPage], *, run_id: str
) -> None:
    """Upsert raw pages inside the caller's transaction (the latest fetch of a URL wins)."""
    rows = {
        page.url: (
            page.url,
            page.final_url,
            page.status,
            json.dumps(
                {k.lower(): v for k, v in page.headers.items() if k.lower() not in _SECRET_HEADERS}
            ),
            _naive_utc(page.fetched_at),
            page.source_name,
            run_id,
            len(page.content),
            gzip.compress(page.content, compresslevel=6),
            json.dumps(page.hint, default=str) if page.hint is not None else None,
        )
        for page in pages
    }
    if not rows:
        return
    connection.executemany(
        """
        INSERT OR REPLACE INTO raw_pages
            (url, final_url, status, headers, fetched_at, source_name, run_id, size, body_gzip, hint)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        list(rows.values()),
    )


def load_raw_pages(
    db: Database,
    *,
    sources: Iterable[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[RawPage]:
    """Stored raw pages, optionally of some sources and fetched in [since, until)."""
    if not db.path.exists():
        return []
    names = sorted(set(sources))
    with db.connect() as connection:
        rows = connection.execute(
            """
            SELECT url, final_url, status, headers, fetched_at, source_name, body_gzip, hint
            FROM raw_pages
            WHERE (len($names) = 0 OR source_name IN (SELECT unnest($names)))
              AND ($since IS NULL OR fetched_at >= $since)
              AND ($until IS NULL OR fetched_at < $until)
            ORDER BY url
            """,
            {
                "names": names,
                "since": _naive_utc(since) if since else None,
                "until": _naive_utc(until) if until else None,
            },
        ).fetchall()
    return [
        RawPage(
            url=url,
            final_url=final_url,
            status=status,
            headers=json.loads(headers),
            fetched_at=fetched_at.replace(tzinfo=UTC),
            content=gzip.decompress(body),
            source_name=source_name,
            hint=json.loads(hint) if hint else None,
        )
        for url, final_url, status, headers, fetched_at, source_name, body, hint in rows
    ]


def prune_raw_pages(db: Database, older_than: datetime) -> int:
    """Delete raw pages fetched before ``older_than``; returns how many went."""
    if not db.path.exists():
        return 0
    with db.transaction() as connection:
        row = connection.execute(
            "DELETE FROM raw_pages WHERE fetched_at < ? RETURNING 1", [_naive_utc(older_than)]
        ).fetchall()
    return len(row)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
