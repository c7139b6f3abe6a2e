"""Per-source incremental state and health, written with the batch it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from extractors.urls import redact
from storage.database import Store


@dataclass(frozen=True)
class SourceUpdate:
    """What one run learned about a source.

    ``ok`` is False when the source failed as a whole (its feed could not be
    fetched or parsed); single failed articles do not make a source fail.
    """

    name: str
    kind: str
    location: str
    ok: bool
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    cursor: datetime | None = None
    items_seen: int = 0
    new: int = 0
    unchanged: bool = False
    failed_items: int = 0
    backoff_after: int = 3
    max_backoff_days: int = 7


def update_source(
    connection: duckdb.DuckDBPyConnection, update: SourceUpdate, *, run_id: str, at: datetime
) -> None:
    """Upsert a source's row inside the caller's transaction.

    ``MERGE INTO``, not ``INSERT … ON CONFLICT``: a lake has no primary key to conflict on.
    """
    moment = at.astimezone(UTC).replace(tzinfo=None)
    cursor = update.cursor.astimezone(UTC).replace(tzinfo=None) if update.cursor else None
    connection.execute(
        """
        MERGE INTO sources AS s
        USING (
            SELECT $name AS name, $kind AS kind, $location AS location, $etag AS etag,
                   $last_modified AS last_modified, $body_hash AS body_hash,
                   $cursor::TIMESTAMP AS cursor, $run_id AS last_run_id,
                   $at::TIMESTAMP AS last_attempt_at,
                   CASE WHEN $ok THEN $at::TIMESTAMP END AS last_success_at,
                   $error AS last_error,
                   CASE WHEN $ok THEN NULL ELSE $at::TIMESTAMP END AS last_error_at,
                   CASE WHEN $ok THEN 0 ELSE 1 END AS consecutive_failures,
                   $items AS items_last_run, $new AS new_last_run, $outcome AS last_outcome,
                   $failed_items AS failed_items_last_run
        ) AS excluded
        ON s.name = excluded.name
        WHEN MATCHED THEN UPDATE SET
            kind = excluded.kind,
            location = excluded.location,
            etag = CASE WHEN $ok THEN excluded.etag ELSE s.etag END,
            last_modified = CASE WHEN $ok THEN excluded.last_modified ELSE s.last_modified END,
            body_hash = CASE WHEN $ok THEN excluded.body_hash ELSE s.body_hash END,
            cursor = greatest(s.cursor, excluded.cursor),
            last_run_id = excluded.last_run_id,
            last_attempt_at = excluded.last_attempt_at,
            last_success_at = coalesce(excluded.last_success_at, s.last_success_at),
            last_error = excluded.last_error,
            last_error_at = coalesce(excluded.last_error_at, s.last_error_at),
            consecutive_failures = CASE
                WHEN $ok THEN 0
                WHEN s.last_run_id = $run_id THEN s.consecutive_failures
                ELSE s.consecutive_failures + 1 END,
            items_last_run = excluded.items_last_run,
            new_last_run = excluded.new_last_run,
            last_outcome = excluded.last_outcome,
            failed_items_last_run = excluded.failed_items_last_run
        WHEN NOT MATCHED THEN INSERT BY NAME
        """,
        {
            "name": update.name,
            "kind": update.kind,
            # Stored, then copied to the world-readable analytics file: never a credential.
            "location": redact(update.location),
            "etag": update.etag,
            "last_modified": update.last_modified,
            "body_hash": update.body_hash,
            "cursor": cursor,
            "run_id": run_id,
            "at": moment,
            "ok": update.ok,
            "error": redact(update.error) if update.error else update.error,
            "items": update.items_seen,
            "new": update.new,
            "outcome": "failed" if not update.ok else "unchanged" if update.unchanged else "ok",
            "failed_items": update.failed_items,
        },
    )
    # Back off exponentially once failures in a row reach the threshold: 1, 2, 4 ... days.
    connection.execute(
        """
        UPDATE sources SET backoff_until = CASE
            WHEN consecutive_failures >= $after THEN $at + to_days(CAST(
                least(pow(2, consecutive_failures - $after), $max_days) AS INTEGER))
            END
        WHERE name = $name
        """,
        {
            "name": update.name,
            "at": moment,
            "after": update.backoff_after,
            "max_days": update.max_backoff_days,
        },
    )


def source_states(db: Store) -> list[dict[str, Any]]:
    """Every source's stored state and health, by name."""
    if not db.exists():
        return []
    with db.connect(read_only=True) as connection:
        cursor = connection.execute("SELECT * FROM sources ORDER BY name")
        names = [column[0] for column in cursor.description or []]
        states = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        try:
            counts = connection.execute(
                """
                SELECT source_name,
                       count(*) FILTER (WHERE status = 'decoded'),
                       count(*) FILTER (WHERE status = 'pending'),
                       count(*) FILTER (WHERE status = 'failed')
                FROM google_news_links GROUP BY source_name
                """
            ).fetchall()
        except duckdb.CatalogException:
            counts = []  # an analytics copy published before the table existed
    links = {row[0]: row[1:] for row in counts}
    for state in states:
        # Google News links of the source: decoded, pending (retried next run), failed (gave up).
        if state["name"] in links:
            decoded, pending, failed = links[state["name"]]
            state.update(links_decoded=decoded, links_pending=pending, links_failed=failed)
    return states


def source_states_by_name(db: Store) -> dict[str, dict[str, Any]]:
    """``source_states`` keyed by source name."""
    return {state["name"]: state for state in source_states(db)}
