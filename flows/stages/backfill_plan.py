"""A backfill, day by day: the UTC days of its range and one report per source at the end."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from flows.stages.types import MAX_LISTED_FAILURES, SourceReport, Window


def backfill_days(window: Window) -> list[date]:
    """The UTC days a backfill window covers, oldest first."""
    assert window.since is not None and window.until is not None
    first = window.since.astimezone(UTC).date()
    days = []
    day = first
    while datetime.combine(day, datetime.min.time(), tzinfo=UTC) < window.until:
        days.append(day)
        day += timedelta(days=1)
    return days


def day_window(day: date) -> Window:
    """One UTC day as a window."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return Window(since=start, until=start + timedelta(days=1))


def merge_reports(days: Sequence[tuple[date, Sequence[SourceReport]]]) -> list[SourceReport]:
    """One report per source for a whole backfill: counts summed over its days.

    A source failed only if it failed on every day it was tried; the days it failed
    on are listed among its warnings. A source that failed every day with the same
    error (a feed is fetched once per backfill, so its failure repeats) gets that
    error once, with the range of days.
    """
    merged: dict[str, SourceReport] = {}
    failed_days: dict[str, list[str]] = {}
    errors: dict[str, list[tuple[date, str]]] = {}
    tried: dict[str, int] = {}
    for day, reports in days:
        for report in reports:
            tried[report.name] = tried.get(report.name, 0) + 1
            if report.error:
                failed_days.setdefault(report.name, []).append(f"{day}: {report.error}")
                errors.setdefault(report.name, []).append((day, report.error))
            previous = merged.get(report.name)
            if previous is None:
                merged[report.name] = dataclasses.replace(
                    report, warnings=tuple(f"{day}: {w}" for w in report.warnings)
                )
                continue
            merged[report.name] = dataclasses.replace(
                previous,
                seen=previous.seen + report.seen,
                new=previous.new + report.new,
                duplicate=previous.duplicate + report.duplicate,
                off_topic=previous.off_topic + report.off_topic,
                failed=previous.failed + report.failed,
                error=report.error,
                warnings=previous.warnings + tuple(f"{day}: {w}" for w in report.warnings),
                failures=(previous.failures + report.failures)[:MAX_LISTED_FAILURES],
                links_decoded=previous.links_decoded + report.links_decoded,
                links_undecoded=previous.links_undecoded + report.links_undecoded,
                decode_problem=previous.decode_problem or report.decode_problem,
            )
    result = []
    for name, report in merged.items():
        failures = failed_days.get(name, [])
        if len(failures) == tried[name]:
            messages = {message for _, message in errors[name]}
            first, last = errors[name][0][0], errors[name][-1][0]
            error = (
                f"{first} to {last}: {messages.pop()}"
                if len(messages) == 1 and first != last
                else failures[-1]
            )
            result.append(dataclasses.replace(report, error=error))
        else:
            result.append(
                dataclasses.replace(report, error=None, warnings=report.warnings + tuple(failures))
            )
    return result
