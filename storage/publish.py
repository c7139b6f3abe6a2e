"""The read-only analytics copy: what analysts open, replaced whole at the end of each run.

DuckDB lets one process write a file and locks every other process out
meanwhile, and a process holding the file open read-only blocks every writer.
So analysts never open the pipeline's own file. At the end of each run the
pipeline checkpoints its file, copies it next to itself under a temporary
name, stamps the copy with the run it contains, and renames it over the
previous copy (``os.replace``: atomic on POSIX). A session that has the
previous copy open keeps reading its inode undisturbed until it reconnects;
a new session sees the new copy. Nobody ever sees half a run, and a failed
copy (disk full) leaves the previous copy as it was.

A lake needs no copy: readers never lock writers out. Publishing a run there marks its
last snapshot (:meth:`storage.lake.Lake.publish`), and the reading commands read the lake
as of that snapshot (:meth:`storage.lake.Lake.published`), so they never see half a run
either.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from storage.database import (
    Database,
    DatabaseDamagedError,
    StorageError,
    Store,
    read_everything,
)
from storage.lake import Lake
from storage.processes import is_gone

ANALYTICS_SUFFIX = "-analytics.duckdb"
_READ_ONLY_MODE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
_LEFTOVER_PID = re.compile(r"\.tmp-(\d+)(?:\.wal)?$")

# The copy step, a module attribute so that a test can make it fail like a full disk.
_copy_file = shutil.copyfile


class PublishError(StorageError):
    """The analytics copy could not be replaced; the previous one is still valid."""


@dataclass(frozen=True)
class Publication:
    """A published analytics copy, or a published lake snapshot (``path`` None)."""

    path: Path | None
    run_id: str | None
    published_at: datetime
    size_bytes: int
    seconds: float
    snapshot: int | None = None

    def describe(self) -> str:
        """What was published, in a few words."""
        if self.path is None:
            return f"lake snapshot {self.snapshot} ({self.seconds:.2f} s)"
        return f"{self.path} ({self.size_bytes / 1e6:.1f} MB in {self.seconds:.2f} s)"


def analytics_path(db_path: str | Path) -> Path:
    """Where the analytics copy of ``db_path`` lives: ``NAME-analytics.duckdb`` beside it."""
    path = Path(db_path)
    stem = path.name.removesuffix(".duckdb") if path.name.endswith(".duckdb") else path.name
    return path.with_name(stem + ANALYTICS_SUFFIX)


def reader_database(db: Store) -> Store:
    """The database read-only commands should open: the analytics copy when there is one.

    Reading the copy never locks the pipeline out; before the first publication
    (a database filled by hand or by an older newswatch) the file itself is read. A
    lake is read as of its last published run (the latest snapshot before the first).
    """
    if isinstance(db, Lake):
        return db.published()
    assert isinstance(db, Database)
    copy = analytics_path(db.path)
    return Database(copy) if copy.exists() else db


def publish(db: Store, *, run_id: str | None = None, target: Path | None = None) -> Publication:
    """Replace the analytics copy of ``db`` with its current contents, atomically.

    Args:
        db: the pipeline's database (opened read-write for a moment: no other
            writer can change it while it is copied).
        run_id: the run whose end this publication marks, recorded in the copy's
            ``schema_info`` as ``published_run_id``; by default (a publication by
            hand) the latest finished run in the ledger.
        target: the copy's path (default: :func:`analytics_path`).

    Returns:
        Where the copy is, and what it took.

    Raises:
        PublishError: copying failed (e.g. disk full); the previous copy is unchanged.
        DatabaseBusyError: another process holds the pipeline's file.
    """
    started = time.perf_counter()
    if isinstance(db, Lake):
        if run_id is None:
            with db.connect(read_only=True) as connection:
                run_id = _latest_finished_run(connection)
        published_at = datetime.now(UTC)
        snapshot = db.publish(run_id)
        return Publication(
            None, run_id, published_at, 0, time.perf_counter() - started, snapshot=snapshot
        )
    assert isinstance(db, Database)
    target = target or analytics_path(db.path)
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    published_at = datetime.now(UTC)
    try:
        with db.connect() as connection:
            # Everything committed goes into the main file; the open connection keeps
            # other writers out until the copy is complete.
            connection.execute("CHECKPOINT")
            if run_id is None:
                run_id = _latest_finished_run(connection)
            _remove_leftovers(target)
            _copy_file(db.path, temporary)
        try:
            _stamp(temporary, run_id, published_at)
        except DatabaseDamagedError as error:
            # The copy is the working file as it is: a damaged block there must not
            # replace the analysts' last good copy.
            raise PublishError(
                f"the working file {db.path} is damaged ({error.detail}); "
                f"nothing was published and {_kept(target)}; restore the working file "
                "from a backup"
            ) from None
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        temporary.chmod(_READ_ONLY_MODE)
        os.replace(temporary, target)
        _fsync_directory(target.parent)
    except (OSError, duckdb.Error) as error:
        _discard(temporary)
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise PublishError(
            f"could not publish the analytics copy of {db.path} ({detail}); {_kept(target)}. "
            "The run's data is stored; `newswatch publish` retries."
        ) from error
    except BaseException:
        _discard(temporary)
        raise
    return Publication(
        path=target,
        run_id=run_id,
        published_at=published_at,
        size_bytes=target.stat().st_size,
        seconds=time.perf_counter() - started,
    )


def _kept(target: Path) -> str:
    return (
        f"the previous copy {target} is unchanged"
        if target.exists()
        else "no analytics copy exists yet"
    )


def _latest_finished_run(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The run whose result the file holds when it is published by hand: the latest one done."""
    row = connection.execute(
        "SELECT run_id FROM runs WHERE status <> 'running' ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    return str(row[0]) if row else None


def _stamp(path: Path, run_id: str | None, published_at: datetime) -> None:
    """Record in the copy which run it shows and when it was published."""
    # Through Database: the same locked-down connection as every other one newswatch opens.
    with Database(path).connect() as connection:
        read_everything(connection)
        connection.executemany(
            "INSERT OR REPLACE INTO schema_info VALUES (?, ?)",
            [
                ["published_at", published_at.strftime("%Y-%m-%dT%H:%M:%SZ")],
                ["published_run_id", run_id or ""],
            ],
        )
        connection.execute("CHECKPOINT")
    _discard(Path(f"{path}.wal"))


def _remove_leftovers(target: Path) -> None:
    """Temporary copies left by publications whose process died (killed, crashed).

    A temporary copy is named after its publisher's pid. Its file may still be in use
    only while that process lives: the copy is stamped and renamed after the working
    file's lock is released, so another publication may be in that step right now.
    One whose process cannot be looked at (another host on a shared folder) is removed
    once it is an hour old.
    """
    if not target.parent.exists():
        return
    for leftover in target.parent.glob(f".{target.name}.tmp-*"):
        owner = _LEFTOVER_PID.search(leftover.name)
        with contextlib.suppress(FileNotFoundError):
            dead = owner is not None and is_gone(int(owner[1]))
            if dead or time.time() - leftover.stat().st_mtime > 3600:
                leftover.unlink()


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    with contextlib.suppress(FileNotFoundError):
        Path(f"{path}.wal").unlink()


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (best effort: not every file system lets a directory be opened)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
