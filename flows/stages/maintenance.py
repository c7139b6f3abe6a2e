"""Lake upkeep: compaction, snapshot expiry and a plain DuckDB file for tools that cannot attach.

Used by the scheduled ``lake-maintenance`` flow (flows/monitor.py) and by
``newswatch lake maintain`` / ``newswatch lake publish-file``; the work itself is
:meth:`storage.lake.Lake.maintain` and :meth:`storage.lake.Lake.publish_file`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flows.config import Config
from flows.stages.settings import open_store
from storage.lake import Lake, LakePublication, MaintenanceResult


@dataclass(frozen=True)
class MaintenanceReport:
    """What one maintenance run did to a lake."""

    lake: str
    result: MaintenanceResult
    publication: LakePublication | None = None

    def as_text(self) -> str:
        """One line per step, for the terminal and the flow run's log."""
        result = self.result
        lines = [
            f"maintained {self.lake}: {result.files_before} data files -> {result.files_after}, "
            f"{result.snapshots_expired} snapshots expired, {result.files_deleted} old files deleted"
        ]
        if self.publication is not None:
            lines.append(publication_text(self.publication))
        return "\n".join(lines)


def config_lake(config: Config, config_path: str) -> Lake:
    """The config's lake.

    Raises:
        ValueError: the config stores into a DuckDB file (one line naming the config).
    """
    store = open_store(config)
    if not isinstance(store, Lake):
        raise ValueError(
            f"{config_path} stores into the DuckDB file {store.describe()}, not a lake "
            "(storage.backend: file): there is no lake to maintain or publish from"
        )
    return store


def maintain_lake(
    lake: Lake,
    *,
    keep_snapshot_days: float = 7,
    keep_unused_file_days: float = 2,
    publish_file: Path | None = None,
) -> MaintenanceReport:
    """Compact the lake and expire old snapshots; then publish a plain DuckDB file if asked.

    Args:
        lake: the lake.
        keep_snapshot_days: time travel keeps working this far back (the last published
            run's snapshot is always kept).
        keep_unused_file_days: a data file no snapshot needs is deleted after this long.
        publish_file: a plain DuckDB file to (re)write from the last published run.
    """
    with lake.connect() as connection:
        result = lake.maintain(
            connection,
            keep_snapshots=timedelta(days=keep_snapshot_days),
            keep_unused_files=timedelta(days=keep_unused_file_days),
        )
        publication = lake.publish_file(connection, publish_file) if publish_file else None
    return MaintenanceReport(lake.describe(), result, publication)


def publish_lake_file(lake: Lake, target: Path, snapshot: int | None = None) -> LakePublication:
    """A plain DuckDB file from one snapshot (by default the last published run's)."""
    with lake.connect() as connection:
        return lake.publish_file(connection, target, snapshot)


def publication_text(publication: LakePublication) -> str:
    """What a published file holds, in one line."""
    return (
        f"published {publication.path}: {publication.articles} articles from lake snapshot "
        f"{publication.snapshot_id}"
    )
