"""Backfill progress: which (source, day) pairs are stored, so a backfill resumes and never redoes them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

import duckdb

from storage.database import Store


def done_days(db: Store, sources: Iterable[str], first: date, last: date) -> set[tuple[str, date]]:
    """The (source, day) pairs in [first, last] that an earlier backfill finished."""
    names = sorted(set(sources))
    if not names or not db.exists():
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
        MERGE INTO backfill_progress AS p
        USING (
            SELECT $source_name AS source_name, $day::DATE AS day,
                   $finished_at::TIMESTAMP AS finished_at, $run_id AS run_id,
                   $items_seen::INTEGER AS items_seen, $items_new::INTEGER AS items_new
        ) AS done
        ON p.source_name = done.source_name AND p.day = done.day
        WHEN MATCHED THEN UPDATE SET finished_at = done.finished_at, run_id = done.run_id,
            items_seen = done.items_seen, items_new = done.items_new
        WHEN NOT MATCHED THEN INSERT BY NAME
        """,
        {
            "source_name": source_name,
            "day": day,
            "finished_at": at.astimezone(UTC).replace(tzinfo=None),
            "run_id": run_id,
            "items_seen": items_seen,
            "items_new": items_new,
        },
    )
