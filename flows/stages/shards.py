"""Splitting one run into shards that run as separate flow runs (fan-out on a work pool).

Pure planning and bookkeeping, no Prefect: which sources (and, in a backfill, which days)
each shard does, and the shards' source reports as plain rows (what a shard flow run
hands to its parent through the Prefect API) and back.

A source's shard is fixed by a hash of its name, not by its position in the config, so
adding or removing a source moves no other source to another shard, and every machine
computes the same assignment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from flows.stages.types import ItemFailure, SourceReport


@dataclass(frozen=True)
class Shard:
    """One flow run's part of a run: some sources, and in a backfill one day.

    Args:
        index: the source group (0 … shards - 1).
        sources: the source names, in config order.
        day: the backfill day, None in a daily run.
    """

    index: int
    sources: tuple[str, ...]
    day: date | None = None

    @property
    def key(self) -> str:
        """A name for the shard's flow run and its report (lowercase, digits and dashes)."""
        return f"shard-{self.index}" + (f"-{self.day.isoformat()}" if self.day else "")


def shard_of(source_name: str, shards: int) -> int:
    """The group of a source: a stable hash of its name modulo the shard count."""
    digest = hashlib.sha256(source_name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def plan_shards(names: Sequence[str], shards: int, day: date | None = None) -> list[Shard]:
    """The non-empty groups of ``names`` for ``shards`` flow runs (fewer when groups are empty)."""
    if shards < 1:
        raise ValueError(f"a run needs at least one shard, got {shards}")
    groups: dict[int, list[str]] = {}
    for name in names:
        groups.setdefault(shard_of(name, shards), []).append(name)
    return [Shard(index, tuple(groups[index]), day) for index in sorted(groups)]


def plan_backfill_shards(plan: Sequence[tuple[date, Sequence[str]]], shards: int) -> list[Shard]:
    """A backfill's days × source groups: one shard per day and group that has work."""
    return [shard for day, names in plan for shard in plan_shards(names, shards, day)]


def reports_as_rows(reports: Sequence[SourceReport]) -> list[dict[str, Any]]:
    """Source reports as JSON-ready rows (a shard's table artifact)."""
    return [asdict(report) for report in reports]


def reports_from_rows(rows: Sequence[Mapping[str, Any]]) -> list[SourceReport]:
    """The source reports a shard published with :func:`reports_as_rows`."""
    reports = []
    for row in rows:
        values = dict(row)
        values["warnings"] = tuple(values.get("warnings") or ())
        values["failures"] = tuple(ItemFailure(**each) for each in values.get("failures") or ())
        reports.append(SourceReport(**values))
    return reports


def lost_shard_reports(shard: Shard, kinds: Mapping[str, str], reason: str) -> list[SourceReport]:
    """A failed report for each source of a shard whose flow run never completed.

    Args:
        shard: the shard.
        kinds: source name -> kind (feed, sitemap, …), for the summary.
        reason: why the shard is lost (its last flow-run state and message).
    """
    return [
        SourceReport(
            name=name,
            kind=kinds.get(name, "?"),
            seen=0,
            new=0,
            duplicate=0,
            off_topic=0,
            failed=0,
            error=f"{shard.key} did not complete: {reason}",
        )
        for name in shard.sources
    ]
