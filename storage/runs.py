"""The run ledger: one row per pipeline run."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from extractors.urls import redact, redact_data
from storage.database import Database


@dataclass(frozen=True)
class RunTotals:
    """A finished run's counts."""

    status: str
    sources_total: int
    sources_failed: int
    items_seen: int
    items_new: int
    items_duplicate: int
    items_off_topic: int
    items_failed: int


def start_run(
    db: Database,
    *,
    run_id: str,
    flow: str,
    started_at: datetime,
    config_path: str,
    window_since: datetime | None = None,
    window_until: datetime | None = None,
) -> None:
    """Record that a run started (status ``running``)."""
    with db.transaction() as connection:
        connection.execute(
            """
            INSERT INTO runs (run_id, flow, status, started_at, window_since, window_until, config_path)
            VALUES (?, ?, 'running', ?, ?, ?, ?)
            ON CONFLICT (run_id) DO UPDATE SET status = 'running', started_at = excluded.started_at
            """,
            [
                run_id,
                flow,
                _naive(started_at),
                _naive(window_since),
                _naive(window_until),
                config_path,
            ],
        )


def finish_run(
    db: Database,
    *,
    run_id: str,
    finished_at: datetime,
    totals: RunTotals,
    summary: Mapping[str, Any],
) -> None:
    """Record a run's outcome and counts."""
    with db.transaction() as connection:
        connection.execute(
            """
            UPDATE runs SET status = ?, finished_at = ?, sources_total = ?, sources_failed = ?,
                items_seen = ?, items_new = ?, items_duplicate = ?, items_off_topic = ?,
                items_failed = ?, summary = ?
            WHERE run_id = ?
            """,
            [
                totals.status,
                _naive(finished_at),
                totals.sources_total,
                totals.sources_failed,
                totals.items_seen,
                totals.items_new,
                totals.items_duplicate,
                totals.items_off_topic,
                totals.items_failed,
                # Errors in the summary quote URLs; the ledger must not keep their credentials.
                json.dumps(redact_data(summary), default=str),
                run_id,
            ],
        )


def _naive(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


def fail_run(db: Database, *, run_id: str, finished_at: datetime, error: str) -> None:
    """Mark a run that crashed as failed, keeping the error for the ledger."""
    with db.transaction() as connection:
        connection.execute(
            "UPDATE runs SET status = 'failed', finished_at = ?, summary = ? WHERE run_id = ? AND status = 'running'",
            [_naive(finished_at), json.dumps({"error": redact(error)}), run_id],
        )
