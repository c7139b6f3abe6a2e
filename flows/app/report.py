"""`newswatch report`: one self-contained HTML page with charts drawn as inline SVG.

The page fetches nothing: no script, stylesheet, font or image comes from
anywhere but the page itself, so it can be mailed, archived or opened
offline. Charts are SVG written here (a few hundred lines are cheaper than a
vendored chart library and its licence); hovering a mark shows its numbers
through SVG ``<title>`` elements, which needs no JavaScript.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path

from storage.database import Store
from storage.report import ReportData, report_data

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
STATUS_COLOURS = {"completed": "#59a14f", "partial": "#edc948", "failed": "#e15759"}
MAX_TOPICS = 8


def write_report(db: Store, out: Path, days: int = 60) -> ReportData:
    """Read the report's figures from ``db`` and write the page to ``out``."""
    data = report_data(db, days=days)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(data, source=db.describe()), encoding="utf-8")
    return data


def render_report(data: ReportData, source: str = "", now: datetime | None = None) -> str:
    """The whole HTML page."""
    now = now or datetime.now(UTC)
    totals = data.totals
    published = data.publication.get("published_at", "")
    subtitle = f"Database <code>{escape(source)}</code>" if source else ""
    if published:
        subtitle += f", published {escape(published)} (run {escape(data.publication.get('published_run_id', ''))})"
    tiles = "".join(
        f'<div class="tile"><b>{escape(_number(value))}</b><span>{escape(label)}</span></div>'
        for label, value in (
            ("unique on-topic articles", totals.get("unique_articles")),
            ("stored articles", totals.get("articles")),
            ("copies recognised", totals.get("copies")),
            ("stories", totals.get("stories")),
            ("providers", totals.get("providers")),
            ("failing sources", totals.get("failing_sources")),
        )
    )
    sections = [
        _section(
            "coverage",
            f"Coverage per day by topic (last {totals.get('window_days')} days)",
            coverage_chart(data)
            + _aside(
                totals.get("undated_articles"), "undated article", "not drawn (no publication date)"
            ),
        ),
        _section(
            "providers",
            "Top providers",
            providers_chart(data)
            + _aside(
                totals.get("unknown_provider_articles"),
                "article",
                "from an unknown provider, not ranked",
            ),
        ),
        _section(
            "stories",
            "Biggest stories and their timelines",
            stories_chart(data)
            + _aside(totals.get("untitled_stories"), "untitled story", "not listed", "stories"),
        ),
        _section("health", "Source health", health_chart(data) + runs_chart(data)),
    ]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>newswatch report</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>newswatch report</h1>
<p class="sub">{subtitle}. Generated {now:%Y-%m-%d %H:%M} UTC; last run {escape(_cell(totals.get("last_run")))}.</p>
<div class="tiles">{tiles}</div>
</header>
<main>
{"".join(sections)}
</main>
</body>
</html>
"""


def _section(key: str, title: str, body: str) -> str:
    return f'<section class="chart" data-chart="{key}"><h2>{escape(title)}</h2>{body}</section>\n'


def _empty(message: str) -> str:
    return f'<p class="empty">{escape(message)}</p>'


def _aside(count: object, noun: str, what: str, plural: str = "") -> str:
    """A note under a chart for what it leaves out (undated, unknown, untitled); '' for none."""
    if not isinstance(count, int) or count <= 0:
        return ""
    many = plural or noun + "s"
    label = f"{count:,} {noun if count == 1 else many}"
    return f'<p class="aside">Plus {escape(label)} {escape(what)}.</p>'


# ------------------------------------------------------------------ charts


def coverage_chart(data: ReportData) -> str:
    """Stacked bars: unique articles per day, each counted once, coloured by its first topic."""
    if not data.coverage:
        return _empty("No on-topic articles in this period.")
    per_topic: dict[str, int] = defaultdict(int)
    for _, topic, count in data.coverage:
        per_topic[topic] += count
    ranked = sorted(per_topic, key=lambda topic: (-per_topic[topic], topic))
    shown = ranked[:MAX_TOPICS]
    colour = {topic: PALETTE[index % len(PALETTE)] for index, topic in enumerate(shown)}
    if len(ranked) > MAX_TOPICS:
        colour["other topics"] = "#bab0ac"
    stacks: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, topic, count in data.coverage:
        stacks[day][topic if topic in shown else "other topics"] += count
    first, last = min(stacks), max(stacks)
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    top = max(sum(stack.values()) for stack in stacks.values())
    width, height, left, bottom, top_pad = 900, 300, 44, 40, 12
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    step = min(plot_w / len(days), 60.0)  # a few days of data stay bars, not slabs
    bar = max(step * 0.8, 1.0)
    marks = []
    for index, day in enumerate(days):
        y: float = top_pad + plot_h
        for topic, fill in colour.items():
            count = stacks.get(day, {}).get(topic, 0)
            if not count:
                continue
            h = plot_h * count / top
            y -= h
            marks.append(
                f'<rect class="mark" x="{left + index * step:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{fill}"><title>{day:%a %d %b %Y} · {escape(topic)}: '
                f"{count} article{'s' if count != 1 else ''}</title></rect>"
            )
    axis = _y_axis(top, left, top_pad, plot_h, width) + _date_axis(
        days, left, step, top_pad + plot_h
    )
    legend = _legend(colour)
    note = '<p class="aside">Each article counts once, under the first of its topics.</p>'
    return _svg(width, height, "coverage per day by topic", axis + "".join(marks)) + legend + note


def providers_chart(data: ReportData) -> str:
    """Horizontal bars: articles per provider (kept copies, then recognised copies)."""
    if not data.providers:
        return _empty("No providers in this period.")
    longest = max(articles + copies for _, articles, copies in data.providers)
    row, left, width = 24, 220, 900
    height = row * len(data.providers) + 30
    plot_w = width - left - 70
    marks = []
    for index, (provider, articles, copies) in enumerate(data.providers):
        y = 6 + index * row
        w_articles = plot_w * articles / longest
        w_copies = plot_w * copies / longest
        marks.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(_clip(provider, 32))}</text>'
            f'<rect class="mark" x="{left}" y="{y + 3}" width="{max(w_articles, 1):.1f}" height="{row - 8}" '
            f'fill="{PALETTE[0]}"><title>{escape(provider)}: {articles} articles</title></rect>'
        )
        if copies:
            marks.append(
                f'<rect class="mark" x="{left + w_articles:.1f}" y="{y + 3}" width="{w_copies:.1f}" '
                f'height="{row - 8}" fill="{PALETTE[1]}"><title>{escape(provider)}: {copies} copies '
                "of other articles</title></rect>"
            )
        marks.append(
            f'<text x="{left + w_articles + w_copies + 6:.1f}" y="{y + 15}" class="num">'
            f"{articles + copies}</text>"
        )
    legend = _legend({"articles": PALETTE[0], "copies of other providers' articles": PALETTE[1]})
    return _svg(width, height, "top providers", "".join(marks)) + legend


def stories_chart(data: ReportData) -> str:
    """One row per big story: a dot per day it was covered, sized by the articles that day."""
    stories = [story for story in data.stories if story.timeline]
    if not stories:
        return _empty("No stories in this period.")
    first = min(day for story in stories for day, _ in story.timeline)
    last = max(day for story in stories for day, _ in story.timeline)
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    busiest = max(count for story in stories for _, count in story.timeline)
    row, left, width = 46, 360, 900
    plot_w = width - left - 20
    step = plot_w / len(days)
    height = row * len(stories) + 40
    marks = []
    for index, story in enumerate(stories):
        y = 10 + index * row
        centre = y + row / 2
        label = _clip(story.title, 52)
        marks.append(
            f'<text x="{left - 10}" y="{centre - 2:.1f}" text-anchor="end">{escape(label)}</text>'
            f'<text x="{left - 10}" y="{centre + 13:.1f}" text-anchor="end" class="note">heat {story.heat}'
            f" · {story.providers} providers · {story.coverage} articles</text>"
            f'<line x1="{left}" x2="{width - 20}" y1="{centre:.1f}" y2="{centre:.1f}" class="grid"/>'
        )
        for day, count in story.timeline:
            x = left + (days.index(day) + 0.5) * step
            radius = 3 + 11 * math.sqrt(count / busiest)
            marks.append(
                f'<circle class="mark" cx="{x:.1f}" cy="{centre:.1f}" r="{radius:.1f}" '
                f'fill="{PALETTE[index % len(PALETTE)]}" fill-opacity="0.8"><title>'
                f"{escape(story.title)} — {day:%d %b %Y}: {count} article{'s' if count != 1 else ''}"
                "</title></circle>"
            )
    axis = _date_axis(days, left, step, height - 30)
    table = "".join(
        f"<tr><td>{escape(story.title)}</td><td>{story.heat}</td><td>{story.providers}</td>"
        f"<td>{story.coverage}</td><td>{escape(_cell(story.first_seen))}</td>"
        f"<td>{escape(', '.join(story.provider_list[:6]))}{' …' if len(story.provider_list) > 6 else ''}</td></tr>"
        for story in stories
    )
    return (
        _svg(width, height, "biggest stories and their timelines", "".join(marks) + axis)
        + "<table><thead><tr><th>story</th><th>heat</th><th>providers</th><th>articles</th>"
        + f"<th>first seen</th><th>where</th></tr></thead><tbody>{table}</tbody></table>"
    )


def health_chart(data: ReportData) -> str:
    """One bar per source: failed runs in a row (red), or a green mark for a healthy source."""
    if not data.sources:
        return _empty("No source has run yet.")
    row, left, width = 24, 220, 900
    height = row * len(data.sources) + 10
    worst = max([source.consecutive_failures for source in data.sources] + [1])
    plot_w = 200
    marks = []
    for index, source in enumerate(data.sources):
        y = 4 + index * row
        failing = source.consecutive_failures > 0
        w = plot_w * source.consecutive_failures / worst if failing else 10
        fill = STATUS_COLOURS["failed"] if failing else STATUS_COLOURS["completed"]
        state = (
            f"{source.consecutive_failures} failed run(s) in a row: {source.last_error or ''}"
            if failing
            else "healthy"
        )
        detail = (
            _clip(source.last_error or "", 40)
            if failing
            else f"last success {_cell(source.last_success_at)}"
        )
        marks.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(_clip(source.name, 30))}</text>'
            f'<rect class="mark" x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{fill}">'
            f"<title>{escape(source.name)}: {escape(state)}</title></rect>"
            f'<text x="{left + plot_w + 12}" y="{y + 15}" class="note">{escape(detail)} · '
            f"{source.items_last_run} items, {source.new_last_run} new in the last run</text>"
        )
    return _svg(width, height, "source health", "".join(marks))


def runs_chart(data: ReportData) -> str:
    """The last runs: new articles per run, coloured by the run's status."""
    if not data.runs:
        return ""
    top = max([run.items_new for run in data.runs] + [1])
    width, height, left, bottom, top_pad = 900, 170, 44, 40, 12
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    step = plot_w / max(len(data.runs), 10)
    marks = []
    for index, run in enumerate(data.runs):
        h = max(plot_h * run.items_new / top, 2)
        marks.append(
            f'<rect class="mark" x="{left + index * step:.1f}" y="{top_pad + plot_h - h:.1f}" '
            f'width="{step * 0.8:.1f}" height="{h:.1f}" fill="{STATUS_COLOURS.get(run.status, "#bab0ac")}">'
            f"<title>{run.started_at:%Y-%m-%d %H:%M} {escape(run.flow)}: {escape(run.status)}, "
            f"{run.items_new} new, {run.items_failed} failed items, {run.sources_failed} failed sources"
            "</title></rect>"
        )
    label = _day_label([run.started_at.date() for run in data.runs])
    labels = "".join(
        f'<text x="{left + (index + 0.4) * step:.1f}" y="{top_pad + plot_h + 16}" text-anchor="middle" '
        f'class="note">{label(index, run.started_at.date())}</text>'
        for index, run in enumerate(data.runs)
        if index % max(1, len(data.runs) // 8) == 0
    )
    axis = _y_axis(top, left, top_pad, plot_h, width)
    return (
        "<h3>New articles per run</h3>"
        + _svg(width, height, "runs", axis + "".join(marks) + labels)
        + _legend(STATUS_COLOURS)
    )


# ------------------------------------------------------------------ pieces


def _svg(width: int, height: float, label: str, content: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height:.0f}" width="{width}" height="{height:.0f}" role="img" '
        f'aria-label="{escape(label)}">{content}</svg>'
    )


def _legend(colours: dict[str, str]) -> str:
    items = "".join(
        f'<span><i style="background:{fill}"></i>{escape(name)}</span>'
        for name, fill in colours.items()
    )
    return f'<div class="legend">{items}</div>'


def _y_axis(top: int, left: int, top_pad: int, plot_h: int, width: int) -> str:
    ticks = _ticks(top)
    parts = []
    for tick in ticks:
        y = top_pad + plot_h - plot_h * tick / top
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="note">{tick}</text>'
        )
    return "".join(parts)


def _date_axis(days: list[date], left: int, step: float, y: float) -> str:
    every = max(1, math.ceil(len(days) / 10))
    label = _day_label(days)
    return "".join(
        f'<text x="{left + (index + 0.5) * step:.1f}" y="{y + 18:.1f}" text-anchor="middle" '
        f'class="note">{label(index, day)}</text>'
        for index, day in enumerate(days)
        if index % every == 0
    )


def _day_label(days: list[date]) -> Callable[[int, date], str]:
    """How to label the days of one axis: the year on every label when the days span more
    than one year (else "28 Dec", "03 Jan" would read backwards), else on the first only."""
    crosses = bool(days) and days[0].year != days[-1].year

    def label(index: int, day: date) -> str:
        return f"{day:%d %b %Y}" if crosses or index == 0 else f"{day:%d %b}"

    return label


def _ticks(top: int) -> list[int]:
    """0 and up to four round steps up to ``top``."""
    if top <= 0:
        return [0]
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(step), 1)
    return list(range(0, top + 1, step))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(value: object) -> str:
    if value is None:
        return "never"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _number(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else ("–" if value is None else str(value))


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#f6f6f4}
header{background:#1f2d3d;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px}
header .sub{margin:0 0 12px;color:#c9d3dd}
header code{color:#fff}
.tiles{display:flex;flex-wrap:wrap;gap:10px}
.tile{background:#2c3e50;border-radius:6px;padding:8px 14px;min-width:120px}
.tile b{display:block;font-size:20px}
.tile span{color:#c9d3dd;font-size:12px}
main{padding:8px 28px 40px;max-width:960px}
section.chart{background:#fff;border-radius:8px;padding:12px 18px;margin:16px 0;box-shadow:0 1px 3px #0002}
h2{font-size:17px;margin:4px 0 10px}
h3{font-size:14px;margin:16px 0 4px;color:#444}
svg{max-width:100%;height:auto;display:block}
svg text{font-size:12px;fill:#333}
svg text.note{font-size:11px;fill:#777}
svg text.num{font-size:11px;fill:#444}
svg .grid{stroke:#e4e4e4;stroke-width:1}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:12px;margin:6px 0 0}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse;width:100%;margin-top:10px;font-size:12px}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eee;vertical-align:top}
.empty{color:#888;font-style:italic}
.aside{color:#666;font-size:12px;margin:6px 0 0}
"""
