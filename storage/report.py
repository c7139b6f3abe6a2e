"""What the run artifact and the HTML report show, read from the database.

Plain data out (dataclasses, lists, dicts): drawing is ``flows.app.report``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from storage.database import Store


@dataclass(frozen=True)
class StoryLine:
    """One story with its size and its coverage over time."""

    story_id: str
    title: str
    heat: int
    providers: int
    coverage: int
    first_seen: datetime | None
    last_seen: datetime | None
    provider_list: list[str] = field(default_factory=list)
    # (day, articles published that day), all copies counted
    timeline: list[tuple[date, int]] = field(default_factory=list)


@dataclass(frozen=True)
class SourceHealth:
    """One source's health as the last runs left it."""

    name: str
    kind: str
    consecutive_failures: int
    last_success_at: datetime | None
    last_error: str | None
    items_last_run: int
    new_last_run: int


@dataclass(frozen=True)
class RunPoint:
    """One run of the ledger, for the runs chart."""

    started_at: datetime
    flow: str
    status: str
    items_new: int
    items_failed: int
    sources_failed: int


@dataclass(frozen=True)
class ReportData:
    """Everything the HTML report draws.

    ``coverage`` counts each dated article once, under its first topic; ``providers``
    and ``stories`` rank only named providers and titled stories. What they leave out is
    counted in ``totals``: ``undated_articles``, ``unknown_provider_articles`` and
    ``untitled_stories``.
    """

    totals: dict[str, Any]
    coverage: list[tuple[date, str, int]]
    providers: list[tuple[str, int, int]]
    stories: list[StoryLine]
    sources: list[SourceHealth]
    runs: list[RunPoint]
    publication: dict[str, str]


def top_new_stories(db: Store, run_id: str, limit: int = 10) -> list[StoryLine]:
    """The biggest titled on-topic stories a run added articles to, hottest first."""
    with db.connect(read_only=True) as connection:
        return _stories(
            connection,
            "story_id IN (SELECT story_id FROM articles WHERE first_run_id = $run_id)",
            {"run_id": run_id},
            limit,
            with_timeline=False,
        )


def report_data(db: Store, days: int = 60, stories: int = 8, providers: int = 15) -> ReportData:
    """The report's figures over the ``days`` before the newest article.

    Args:
        db: the database to read (the analytics copy, normally).
        days: how many days of coverage the charts span.
        stories: how many of the biggest stories to show with their timelines.
        providers: how many providers the top-providers chart lists.
    """
    with db.connect(read_only=True) as connection:
        end = _scalar(
            connection,
            "SELECT max(coalesce(published_at, first_seen_at))::DATE FROM unique_articles",
        )
        window = {"end": end, "days": days}
        since = "coalesce(published_at, first_seen_at) > $end::DATE - to_days($days::INTEGER)"
        totals = {
            "articles": _scalar(connection, "SELECT count(*) FROM articles"),
            "unique_articles": _scalar(connection, "SELECT count(*) FROM unique_articles"),
            "copies": _scalar(
                connection, "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"
            ),
            "stories": _scalar(connection, "SELECT count(*) FROM stories WHERE on_topic"),
            "providers": _scalar(
                connection, "SELECT count(DISTINCT provider_domain) FROM unique_articles"
            ),
            "sources": _scalar(connection, "SELECT count(*) FROM sources"),
            "failing_sources": _scalar(
                connection, "SELECT count(*) FROM sources WHERE consecutive_failures > 0"
            ),
            "last_run": _scalar(connection, "SELECT max(started_at) FROM runs"),
            "window_end": end,
            "window_days": days,
        }
        # One count per article: an article with several topics is counted under its first
        # (counting each topic would add up to more articles than there are). Undated
        # articles have no day to be drawn on; they are counted apart.
        coverage = [
            (row[0], str(row[1]), int(row[2]))
            for row in connection.execute(
                f"""
                SELECT published_at::DATE AS day,
                       coalesce(topics[1], '(no topic)') AS topic, count(*) AS articles
                FROM unique_articles WHERE published_at IS NOT NULL AND {since}
                GROUP BY ALL ORDER BY day, topic
                """,
                window,
            ).fetchall()
        ]
        totals["undated_articles"] = _scalar(
            connection,
            f"SELECT count(*) FROM unique_articles WHERE published_at IS NULL AND {since}",
            window,
        )
        provider = "coalesce(nullif(provider_name, ''), nullif(provider_domain, ''))"
        top_providers = [
            (str(row[0]), int(row[1]), int(row[2]))
            for row in connection.execute(
                f"""
                SELECT {provider} AS provider,
                       count(*) FILTER (WHERE duplicate_of IS NULL) AS articles,
                       count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS copies
                FROM articles WHERE on_topic AND {since} AND {provider} IS NOT NULL
                GROUP BY ALL ORDER BY count(*) DESC, provider LIMIT $limit
                """,
                {**window, "limit": providers},
            ).fetchall()
        ]
        totals["unknown_provider_articles"] = _scalar(
            connection,
            f"SELECT count(*) FROM articles WHERE on_topic AND {since} AND {provider} IS NULL",
            window,
        )
        in_window = f"on_topic AND story_id IN (SELECT story_id FROM articles WHERE {since})"
        biggest = _stories(connection, in_window, window, stories, with_timeline=True)
        totals["untitled_stories"] = _scalar(
            connection,
            f"SELECT count(*) FROM stories WHERE {in_window} AND coalesce(title, '') = ''",
            window,
        )
        health = [
            SourceHealth(
                name=row[0],
                kind=row[1],
                consecutive_failures=int(row[2]),
                last_success_at=row[3],
                last_error=row[4],
                items_last_run=int(row[5]),
                new_last_run=int(row[6]),
            )
            for row in connection.execute(
                """
                SELECT name, kind, consecutive_failures, last_success_at, last_error,
                       items_last_run, new_last_run
                FROM sources ORDER BY consecutive_failures DESC, name
                """
            ).fetchall()
        ]
        runs = [
            RunPoint(row[0], row[1], row[2], int(row[3]), int(row[4]), int(row[5]))
            for row in connection.execute(
                """
                SELECT * FROM (
                    SELECT started_at, flow, status, items_new, items_failed, sources_failed
                    FROM runs ORDER BY started_at DESC LIMIT 30
                ) ORDER BY started_at
                """
            ).fetchall()
        ]
        publication = {
            str(key): str(value)
            for key, value in connection.execute(
                "SELECT key, value FROM schema_info WHERE key IN ('published_at', 'published_run_id')"
            ).fetchall()
        }
    return ReportData(totals, coverage, top_providers, biggest, health, runs, publication)


def _stories(
    connection: duckdb.DuckDBPyConnection,
    where: str,
    parameters: dict[str, Any],
    limit: int,
    *,
    with_timeline: bool,
) -> list[StoryLine]:
    rows = connection.execute(
        f"""
        SELECT story_id, coalesce(title, ''), heat, providers, coverage, first_seen, last_seen,
               list_sort(provider_list)
        FROM stories WHERE on_topic AND coalesce(title, '') <> '' AND {where}
        ORDER BY heat DESC, providers DESC, coverage DESC, first_seen DESC, story_id
        LIMIT $limit
        """,
        {**parameters, "limit": limit},
    ).fetchall()
    timelines: dict[str, list[tuple[date, int]]] = {}
    if with_timeline and rows:
        for story_id, day, count in connection.execute(
            """
            SELECT story_id, coalesce(published_at, first_seen_at)::DATE AS day, count(*)
            FROM articles WHERE story_id IN (SELECT unnest($ids::VARCHAR[]))
            GROUP BY ALL ORDER BY story_id, day
            """,
            {"ids": [row[0] for row in rows]},
        ).fetchall():
            timelines.setdefault(story_id, []).append((day, int(count)))
    return [
        StoryLine(
            story_id=row[0],
            title=row[1],
            heat=int(row[2]),
            providers=int(row[3]),
            coverage=int(row[4]),
            first_seen=row[5],
            last_seen=row[6],
            provider_list=list(row[7] or []),
            timeline=timelines.get(row[0], []),
        )
        for row in rows
    ]


def _scalar(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, Any] | None = None
) -> Any:
    row = connection.execute(sql, parameters or {}).fetchone()
    return row[0] if row else None
