"""Backfill progress: which (source, day) pairs are stored, so a backfill resumes and never redoes them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

import duckdb

from storage.database import Database


def done_days(
    db: Database, sources: Iterable[str], first: date, last: date
) -> set[tuple[str, date]]:
    """The (source, day) pairs in [first, last] that an earlier backfill finished."""
    names = sorted(set(sources))
    if not names or not db.path.exists():
        return set()
    with db.connect() as connection:
        rows = connection.execute(
            """
            SELECT source_name, day FROM backfill_progress
            WHERE source_name IN (SELECT unnest(?)) AND day BETWEEN ? AND ?
            """,
            [names, first, last],
        ).fetchall()
    return {(name, day) for name, day in rows}


def mark_day_done(
    connection: duckdb.DuckDBPyConnection,
    *,
    source_name: str,
    day: date,
    run_id: str,
    at: datetime,
    items_seen: int,
    items_new: int,
) -> None:
    """Record a finished (source, day) inside the caller's transaction (the day's batch)."""
    connection.execute(
        """
        INSERT OR REPLACE INTO backfill_progress
            (source_name, day, finished_at, run_id, items_seen, items_new)
        VALUES (?, ?, ?, ?, ?, ?)
        """,
        [source_name, day, at.astimezone(UTC).replace(tzinfo=None), run_id, items_seen, items_new],
    )
