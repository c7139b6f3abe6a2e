"""Shard planning (stable by source name) and the reports a shard hands to its parent."""

from __future__ import annotations

import json
from datetime import date

from flows.stages.shards import (
    lost_shard_reports,
    plan_backfill_shards,
    plan_shards,
    reports_as_rows,
    reports_from_rows,
    shard_of,
)
from flows.stages.types import ItemFailure, SourceReport

NAMES = [f"source-{n}" for n in range(40)]


def test_every_source_is_in_exactly_one_shard_whatever_the_order() -> None:
    shards = plan_shards(NAMES, 4)
    assert sorted(name for shard in shards for name in shard.sources) == sorted(NAMES)
    assert len(shards) == 4, "40 names fill 4 groups"
    reordered = plan_shards(list(reversed(NAMES)), 4)
    assert {s.index: set(s.sources) for s in reordered} == {s.index: set(s.sources) for s in shards}
    # Adding a source moves no other source.
    grown = plan_shards([*NAMES, "newcomer"], 4)
    assert {name: s.index for s in grown for name in s.sources if name != "newcomer"} == {
        name: s.index for s in shards for name in s.sources
    }
    assert [s.key for s in shards] == ["shard-0", "shard-1", "shard-2", "shard-3"]


def test_one_shard_is_the_whole_run_and_empty_groups_are_left_out() -> None:
    assert [s.sources for s in plan_shards(NAMES[:3], 1)] == [tuple(NAMES[:3])]
    assert len(plan_shards(["only"], 8)) == 1
    assert shard_of("only", 8) == plan_shards(["only"], 8)[0].index


def test_a_backfill_is_days_times_groups_with_work() -> None:
    first, second = date(2026, 11, 10), date(2026, 11, 11)
    shards = plan_backfill_shards([(first, NAMES), (second, NAMES[:1])], 2)
    assert [s.day for s in shards].count(second) == 1
    assert {s.day for s in shards} == {first, second}
    assert shards[-1].key == f"shard-{shard_of(NAMES[0], 2)}-2026-11-11"


def test_reports_survive_the_trip_through_json() -> None:
    reports = [
        SourceReport(
            "a",
            "feed",
            seen=3,
            new=2,
            duplicate=1,
            off_topic=0,
            failed=1,
            warnings=("w",),
            failures=(ItemFailure("https://a.example/x", "HTTP 404"),),
        ),
        SourceReport("b", "sitemap", 0, 0, 0, 0, 0, error="timeout", skipped=True),
    ]
    assert reports_from_rows(json.loads(json.dumps(reports_as_rows(reports)))) == reports


def test_a_lost_shard_fails_each_of_its_sources_with_the_reason() -> None:
    shard = plan_shards(["a", "b"], 1)[0]
    lost = lost_shard_reports(shard, {"a": "feed"}, "Crashed: no heartbeat for 95 s")
    assert [(r.name, r.kind, r.error) for r in lost] == [
        ("a", "feed", "shard-0 did not complete: Crashed: no heartbeat for 95 s"),
        ("b", "?", "shard-0 did not complete: Crashed: no heartbeat for 95 s"),
    ]
