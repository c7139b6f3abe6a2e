"""Raw HTTP responses of article pages, kept gzip-compressed so articles can be re-extracted."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from storage.database import Store

# Never kept: they can carry session tokens.
_SECRET_HEADERS = frozenset({"set-cookie", "set-cookie2", "authorization", "proxy-authorization"})
_RAW_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("final_url", pa.string()),
        ("status", pa.int32()),
        ("headers", pa.string()),
        ("fetched_at", pa.timestamp("us")),
        ("source_name", pa.string()),
        ("run_id", pa.string()),
        ("size", pa.int32()),
        ("body_gzip", pa.binary()),
        ("hint", pa.string()),
    ]
)


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
    latest = {page.url: page for page in pages}
    if not latest:
        return
    batch = pa.table(
        {
            "url": list(latest),
            "final_url": [page.final_url for page in latest.values()],
            "status": [page.status for page in latest.values()],
            "headers": [
                json.dumps(
                    {
                        k.lower(): v
                        for k, v in page.headers.items()
                        if k.lower() not in _SECRET_HEADERS
                    }
                )
                for page in latest.values()
            ],
            "fetched_at": [_naive_utc(page.fetched_at) for page in latest.values()],
            "source_name": [page.source_name for page in latest.values()],
            "run_id": [run_id] * len(latest),
            "size": [len(page.content) for page in latest.values()],
            "body_gzip": [gzip.compress(page.content, compresslevel=6) for page in latest.values()],
            "hint": [
                json.dumps(page.hint, default=str) if page.hint is not None else None
                for page in latest.values()
            ],
        },
        schema=_RAW_SCHEMA,
    )
    connection.register("new_raw_pages", batch)
    # MERGE, not INSERT OR REPLACE: a lake has no primary key to replace on.
    connection.execute(
        """
        MERGE INTO raw_pages AS stored
        USING (SELECT * REPLACE (headers::JSON AS headers, hint::JSON AS hint)
               FROM new_raw_pages) AS fetched
        ON stored.url = fetched.url
        WHEN MATCHED THEN UPDATE SET final_url = fetched.final_url, status = fetched.status,
            headers = fetched.headers, fetched_at = fetched.fetched_at,
            source_name = fetched.source_name, run_id = fetched.run_id, size = fetched.size,
            body_gzip = fetched.body_gzip, hint = fetched.hint
        WHEN NOT MATCHED THEN INSERT BY NAME
        """
    )


def load_raw_pages(
    db: Store,
    *,
    sources: Iterable[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[RawPage]:
    """Stored raw pages, optionally of some sources and fetched in [since, until)."""
    if not db.exists():
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


def prune_raw_pages(db: Store, older_than: datetime) -> int:
    """Delete raw pages fetched before ``older_than``; returns how many went."""
    if not db.exists():
        return 0
    cutoff = _naive_utc(older_than)

    def prune(connection: duckdb.DuckDBPyConnection) -> int:
        # Counted first: a lake's DELETE has no RETURNING.
        row = connection.execute(
            "SELECT count(*) FROM raw_pages WHERE fetched_at < ?", [cutoff]
        ).fetchone()
        count = int(row[0]) if row else 0
        if count:
            connection.execute("DELETE FROM raw_pages WHERE fetched_at < ?", [cutoff])
        return count

    return db.write(prune)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
