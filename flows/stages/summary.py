"""The run summary: per source seen / new / duplicate / off-topic / failed, and each error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from extractors.urls import redact, redact_data
from flows.stages.types import SourceReport
from storage.publish import analytics_path
from storage.report import StoryLine
from storage.runs import RunTotals, StoredCounts

# What a run with no source to report did, by flow.
_NOTHING_TO_DO = {
    "reprocess": "no stored raw pages in that range: nothing to re-extract",
    "backfill": "nothing to do: every source and day of the range is stored already "
    "(--refresh redoes them)",
}


def recount(
    reports: Sequence[SourceReport], counts: Mapping[str, StoredCounts]
) -> list[SourceReport]:
    """The reports with new, duplicate and off-topic taken from the store at the run's end.

    Seen, failed, errors and warnings stay what the batches reported; a source that stored
    nothing in this run counts 0 new.
    """
    unclaimed = dict(counts)
    recounted = []
    for report in reports:
        # pop: a source reported twice would otherwise count its articles twice.
        stored = unclaimed.pop(report.name, StoredCounts(0, 0, 0))
        recounted.append(
            replace(report, new=stored.new, duplicate=stored.duplicate, off_topic=stored.off_topic)
        )
    return recounted


@dataclass(frozen=True)
class RunSummary:
    """What a run did, for the terminal, the Prefect artifact and the runs table."""

    run_id: str
    flow: str
    started_at: datetime
    finished_at: datetime
    db_path: str
    sources: tuple[SourceReport, ...]

    @property
    def failed_sources(self) -> list[SourceReport]:
        """Sources that were tried and failed as a whole (not those backing off)."""
        return [report for report in self.sources if report.error and not report.skipped]

    @property
    def skipped_sources(self) -> list[SourceReport]:
        """Sources not tried because they are backing off after failing runs in a row."""
        return [report for report in self.sources if report.skipped]

    @property
    def all_failed(self) -> bool:
        """True when there were sources and every one of them failed or was skipped."""
        unproductive = len(self.failed_sources) + len(self.skipped_sources)
        return bool(self.sources) and unproductive == len(self.sources)

    @property
    def status(self) -> str:
        """completed, partial or failed."""
        if self.all_failed:
            return "failed"
        return "partial" if self.failed_sources or self.skipped_sources else "completed"

    def totals(self) -> RunTotals:
        """The counts stored in the runs table."""
        return RunTotals(
            status=self.status,
            sources_total=len(self.sources),
            sources_failed=len(self.failed_sources),
            items_seen=sum(report.seen for report in self.sources),
            items_new=sum(report.new for report in self.sources),
            items_duplicate=sum(report.duplicate for report in self.sources),
            items_off_topic=sum(report.off_topic for report in self.sources),
            items_failed=sum(report.failed for report in self.sources),
        )

    def as_json(self) -> dict[str, Any]:
        """Per-source counts and errors, for the runs table."""
        return {"sources": redact_data([asdict(report) for report in self.sources])}

    def as_text(self) -> str:
        """A plain-text table for the terminal and logs."""
        totals = self.totals()
        skipped = len(self.skipped_sources)
        header = (
            f"newswatch {self.flow} run {self.run_id}: {self.status} "
            f"({totals.sources_failed} of {totals.sources_total} sources failed"
            + (f", {skipped} skipped while backing off)" if skipped else ")")
        )
        if not self.sources:
            # An empty table would look like a run that lost its sources.
            return "\n".join(
                [
                    header,
                    "",
                    _NOTHING_TO_DO.get(self.flow, "nothing to do: no enabled sources"),
                    "",
                    f"database: {self.db_path}",
                ]
            )
        rows = [("source", "seen", "new", "duplicate", "off-topic", "failed")]
        rows += [
            (
                r.name + _state_note(r),
                str(r.seen),
                str(r.new),
                str(r.duplicate),
                str(r.off_topic),
                str(r.failed),
            )
            for r in self.sources
        ]
        rows.append(
            (
                "total",
                str(totals.items_seen),
                str(totals.items_new),
                str(totals.items_duplicate),
                str(totals.items_off_topic),
                str(totals.items_failed),
            )
        )
        widths = [max(len(row[column]) for row in rows) for column in range(6)]
        lines = [header, ""]
        for index, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [
                cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells))
            if index == 0 or index == len(rows) - 2:
                lines.append("  ".join("-" * width for width in widths))
        updated = sum(report.updated for report in self.sources)
        if updated:
            lines += ["", f"updated: {updated} stored articles rewritten"]
        problems = self._problem_lines()
        if problems:
            lines += ["", *problems]
        lines += ["", f"database: {self.db_path}"]
        if self.db_path.startswith("lake "):
            # Lake.describe(): readers attach the lake itself, as of the last published run.
            lines.append("readers see this run from its publication on (newswatch query …)")
        else:
            lines.append(f"analytics copy (open this one): {analytics_path(self.db_path)}")
        # Errors and item failures quote URLs; a feed's password or key must not be shown.
        return redact("\n".join(lines))

    def as_markdown(self, top_stories: Sequence[StoryLine] = ()) -> str:
        """A Markdown report for the Prefect artifact: counts, failing sources, top new stories."""
        totals = self.totals()
        lines = [
            f"# newswatch {self.flow}: {self.status}",
            "",
            f"Run `{self.run_id}`, {self.started_at:%Y-%m-%d %H:%M} – {self.finished_at:%H:%M} UTC, database `{self.db_path}`.",
            "",
            "| source | seen | new | duplicate | off-topic | failed | error |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for r in self.sources:
            error = (r.error or "").replace("|", "\\|")
            lines.append(
                f"| {r.name} | {r.seen} | {r.new} | {r.duplicate} | {r.off_topic} | {r.failed} | {error} |"
            )
        lines.append(
            f"| **total** | {totals.items_seen} | {totals.items_new} | {totals.items_duplicate} | "
            f"{totals.items_off_topic} | {totals.items_failed} | |"
        )
        failing = self.failed_sources
        lines += ["", "## Failing sources", ""]
        lines += [f"- **{r.name}**: {_cell(r.error or '')}" for r in failing] or ["None."]
        lines += ["", "## Top new stories", ""]
        if top_stories:
            lines += [
                "| story | heat | providers | articles | first seen |",
                "|---|---:|---:|---:|---|",
            ]
            for story in top_stories:
                first = f"{story.first_seen:%Y-%m-%d %H:%M}" if story.first_seen else ""
                lines.append(
                    f"| {_cell(story.title)} | {story.heat} | {story.providers} | "
                    f"{story.coverage} | {first} |"
                )
        else:
            lines.append("No new on-topic stories.")
        problems = self._problem_lines()
        if problems:
            lines += ["", "## Problems", "", *(f"- {line.strip()}" for line in problems)]
        return redact("\n".join(lines))

    def _problem_lines(self) -> list[str]:
        lines = []
        for report in self.sources:
            if report.skipped:
                lines.append(f"{report.name}: SKIPPED: {report.error}")
            elif report.error:
                lines.append(f"{report.name}: FAILED: {report.error}")
            if report.decode_problem:
                tried = report.links_decoded + report.links_undecoded
                lines.append(
                    f"{report.name}: Google News decoding failing: {report.links_undecoded} of "
                    f"{tried} links not decoded ({report.decode_problem}); stored as feed-only "
                    "records, tried again next run"
                )
            lines.extend(f"{report.name}: warning: {warning}" for warning in report.warnings)
            lines.extend(
                f"{report.name}: item failed: {failure.message}" for failure in report.failures
            )
            hidden = report.failed - len(report.failures)
            if hidden > 0:
                lines.append(f"{report.name}: … and {hidden} more failed items")
        return lines


def _state_note(report: SourceReport) -> str:
    """Marks a source's row: failed, skipped (backing off) or unchanged since the last run."""
    if report.skipped:
        return " (skipped)"
    if report.error:
        return " (FAILED)"
    return " (unchanged)" if report.unchanged else ""


def _cell(text: str) -> str:
    """Text safe in one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")
