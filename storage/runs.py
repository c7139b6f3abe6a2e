"""The run ledger: one row per pipeline run.

A run that dies without closing its row (SIGKILL, power loss, out of memory) would
stay ``running`` forever. Each run records its process (pid, host, the process's
start as the kernel counts it), and the next run to start closes every ``running``
row of this host whose process is gone as ``crashed``, with when it noticed. A row
of another host is left alone: its process cannot be looked at from here.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from extractors.urls import redact, redact_data
from storage.database import Store
from storage.processes import is_gone, process_start


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
    db: Store,
    *,
    run_id: str,
    flow: str,
    started_at: datetime,
    config_path: str,
    window_since: datetime | None = None,
    window_until: datetime | None = None,
) -> None:
    """Record that a run started (status ``running``) and close the rows of dead runs.

    Runs of this host still marked ``running`` whose process is gone are marked
    ``crashed``, with when it was noticed, in the same transaction.
    """
    pid = os.getpid()
    row = {
        "run_id": run_id,
        "flow": flow,
        "started_at": _naive(started_at),
        "window_since": _naive(window_since),
        "window_until": _naive(window_until),
        "config_path": config_path,
        "pid": pid,
        "host": socket.gethostname(),
        "process_start": process_start(pid),
    }

    def record(connection: duckdb.DuckDBPyConnection) -> None:
        _close_crashed(connection, run_id, datetime.now(UTC))
        # MERGE, not ON CONFLICT: a lake has no primary key (a retried run keeps its row).
        connection.execute(
            """
            MERGE INTO runs USING (
                SELECT $run_id AS run_id, $flow AS flow, 'running' AS status,
                       $started_at::TIMESTAMP AS started_at,
                       $window_since::TIMESTAMP AS window_since,
                       $window_until::TIMESTAMP AS window_until, $config_path AS config_path,
                       $pid::INTEGER AS pid, $host AS host, $process_start AS process_start
            ) AS excluded ON runs.run_id = excluded.run_id
            WHEN MATCHED THEN UPDATE SET status = 'running', started_at = excluded.started_at,
                pid = excluded.pid, host = excluded.host, process_start = excluded.process_start
            WHEN NOT MATCHED THEN INSERT BY NAME
            """,
            row,
        )

    db.write(record)


def _close_crashed(
    connection: duckdb.DuckDBPyConnection, current: str | None, now: datetime
) -> list[str]:
    rows = connection.execute(
        "SELECT run_id, pid, host, process_start FROM runs WHERE status = 'running'"
    ).fetchall()
    host = socket.gethostname()
    dead = [
        run_id
        for run_id, pid, run_host, started in rows
        if run_id != current and _is_gone(pid, run_host, started, host)
    ]
    for run_id in dead:
        connection.execute(
            """
            UPDATE runs SET status = 'crashed', crash_noticed_at = ?,
                summary = json_merge_patch(coalesce(summary, '{}'), ?::JSON)
            WHERE run_id = ? AND status = 'running'
            """,
            [
                _naive(now),
                json.dumps({"error": "the run's process ended without closing the run"}),
                run_id,
            ],
        )
    return dead


def _is_gone(pid: int | None, run_host: str | None, started: str | None, host: str) -> bool:
    """Whether the process of a ``running`` row is certainly no longer running it."""
    if pid is None:
        # Started by a newswatch older than this ledger column: the newer one that
        # migrated the file cannot tell, and that older run cannot record it anyway.
        return True
    if run_host != host:
        return False
    return is_gone(pid, started or "")


def finish_run(
    db: Store,
    *,
    run_id: str,
    finished_at: datetime,
    totals: RunTotals,
    summary: Mapping[str, Any],
) -> None:
    """Record a run's outcome and counts."""
    db.write(
        lambda connection: connection.execute(
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
    )


@dataclass(frozen=True)
class StoredCounts:
    """What a run first stored for one source, as the store holds it now."""

    new: int
    duplicate: int
    off_topic: int


def stored_counts(db: Store, run_id: str) -> dict[str, StoredCounts]:
    """Per source, the articles ``run_id`` first stored: how many, how many are copies, off-topic.

    Counted from the articles table when the run closes rather than added up batch by
    batch, so the counts do not depend on the order batches committed in (a wire stored
    after the paper that syndicates it turns the paper's copy into the duplicate) and a
    shard run again after a crash still counts what its first attempt stored.
    """
    with db.connect(read_only=True) as connection:
        rows = connection.execute(
            """
            SELECT source_name, count(*),
                   count(*) FILTER (WHERE duplicate_of IS NOT NULL),
                   count(*) FILTER (WHERE NOT on_topic)
            FROM articles WHERE first_run_id = ? GROUP BY source_name
            """,
            [run_id],
        ).fetchall()
    return {name: StoredCounts(new, duplicate, off) for name, new, duplicate, off in rows}


def _naive(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


def fail_publication(db: Store, *, run_id: str, error: str) -> None:
    """Record that a finished run's analytics copy could not be published: the run failed.

    Its counts stay; ``summary.error`` says what went wrong.
    """
    db.write(
        lambda connection: connection.execute(
            """
            UPDATE runs SET status = 'failed',
                summary = json_merge_patch(coalesce(summary, '{}'), ?::JSON)
            WHERE run_id = ?
            """,
            [json.dumps({"error": error}), run_id],
        )
    )


def fail_run(db: Store, *, run_id: str, finished_at: datetime, error: str) -> None:
    """Mark a run that crashed as failed, keeping the error for the ledger."""
    db.write(
        lambda connection: connection.execute(
            "UPDATE runs SET status = 'failed', finished_at = ?, summary = ? WHERE run_id = ? AND status = 'running'",
            [_naive(finished_at), json.dumps({"error": redact(error)}), run_id],
        )
    )
