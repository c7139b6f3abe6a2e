"""Backfill as a Prefect flow run: day by day, progress recorded, resumed after a crash, never twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from flows.app.cli import app
from tests.conftest import NewsSite

pytestmark = pytest.mark.usefixtures("prefect_harness")

ARTICLES = {
    "policy-news.html": "2026-11-10T09:00:00Z",
    "blog-post.html": "2026-11-11T09:00:00Z",
    "export-controls.html": "2026-11-12T09:00:00Z",
}


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def sitemap_site(news_site: NewsSite, tmp_path: Path) -> Path:
    urls = "".join(
        f"<url><loc>{news_site.url(news_site.article(name)['path'])}</loc>"
        f"<lastmod>{when}</lastmod></url>"
        for name, when in ARTICLES.items()
    )
    news_site.server.expect_request("/sitemap.xml").respond_with_data(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
        content_type="application/xml",
    )
    config = tmp_path / "sources.yaml"
    config.write_text(
        "\n".join(
            [
                "sources:",
                "  - name: site",
                "    kind: sitemap",
                f"    url: {news_site.url('/sitemap.xml')}",
                "fetch:",
                "  allow_private_addresses: true",
                "  retries: 0",
                "storage:",
                f"  db: {tmp_path / 'news.duckdb'}",
            ]
        )
        + "\n"
    )
    return config


def backfill(config: Path) -> Any:
    return CliRunner().invoke(
        app,
        ["backfill", "--config", str(config), "--since", "2026-11-10", "--until", "2026-11-12"],
        catch_exceptions=False,
    )


def article_fetches(news_site: NewsSite, since: int) -> list[str]:
    paths = {news_site.article(name)["path"] for name in ARTICLES}
    return [r.path for r, _ in news_site.server.log[since:] if r.path in paths]


def test_backfill_resumes_after_a_crash_and_stores_nothing_twice(
    news_site: NewsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.stages import articles as pipeline

    config = sitemap_site(news_site, tmp_path)
    db = tmp_path / "news.duckdb"
    real_store = pipeline.store_batches

    def crash_on_the_second_day(*args: Any, **kwargs: Any) -> Any:
        batches = args[2]
        if any(batch.listing.day == date(2026, 11, 11) for batch in batches):
            raise RuntimeError("killed mid-backfill")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(pipeline, "store_batches", crash_on_the_second_day)
    crashed = backfill(config)
    assert crashed.exit_code != 0 and "killed mid-backfill" in crashed.output
    assert rows(db, "SELECT source_name, day FROM backfill_progress") == [
        ("site", date(2026, 11, 10))
    ]
    assert rows(db, "SELECT count(*) FROM articles") == [(1,)]

    monkeypatch.setattr(pipeline, "store_batches", real_store)
    mark = len(news_site.server.log)
    resumed = backfill(config)
    assert resumed.exit_code == 0, resumed.output
    # The first day is not redone: its page is not fetched again.
    assert article_fetches(news_site, mark) == [
        news_site.article("blog-post.html")["path"],
        news_site.article("export-controls.html")["path"],
    ]
    assert rows(db, "SELECT day FROM backfill_progress ORDER BY day") == [
        (date(2026, 11, 10),),
        (date(2026, 11, 11),),
        (date(2026, 11, 12),),
    ]
    assert rows(db, "SELECT count(*), count(DISTINCT web_url) FROM articles") == [(3, 3)]
    assert rows(db, "SELECT count(*) FROM raw_pages") == [(3,)]

    mark = len(news_site.server.log)
    again = backfill(config)
    assert again.exit_code == 0, again.output
    assert article_fetches(news_site, mark) == []
    assert rows(db, "SELECT count(*) FROM articles") == [(3,)]
    statuses = rows(db, "SELECT status, items_new FROM runs ORDER BY started_at")
    assert statuses == [("failed", 0), ("completed", 2), ("completed", 0)]


def reprocess_without_fetching(news_site: NewsSite, config: Path, *options: str) -> Any:
    """Run `newswatch reprocess`; it must succeed without a single request to the site."""
    mark = len(news_site.server.log)
    result = CliRunner().invoke(
        app, ["reprocess", "--config", str(config), *options], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert len(news_site.server.log) == mark, "reprocess must not fetch"
    return result


@pytest.fixture
def backfilled(news_site: NewsSite, tmp_path: Path) -> tuple[Path, Path]:
    """The sitemap site backfilled once: its config and database."""
    config = sitemap_site(news_site, tmp_path)
    assert backfill(config).exit_code == 0
    return config, tmp_path / "news.duckdb"


def test_reprocess_re_extracts_stored_raw_pages_without_fetching(
    news_site: NewsSite, backfilled: tuple[Path, Path]
) -> None:
    config, db = backfilled
    before = rows(db, "SELECT id, title, body FROM articles ORDER BY id")
    health = rows(db, "SELECT * FROM sources")
    # What an older, worse extractor might have stored.
    with duckdb.connect(str(db)) as connection:
        connection.execute("UPDATE articles SET title = 'old title', body = 'old body'")

    result = reprocess_without_fetching(news_site, config, "--source", "site")
    assert "updated: 3 stored articles rewritten" in result.output
    assert rows(db, "SELECT id, title, body FROM articles ORDER BY id") == before
    assert rows(db, "SELECT * FROM sources") == health
    assert rows(db, "SELECT flow, status FROM runs ORDER BY started_at")[-1] == (
        "reprocess",
        "completed",
    )


def test_reprocess_applies_a_changed_watch_to_stored_articles_without_fetching(
    news_site: NewsSite, backfilled: tuple[Path, Path]
) -> None:
    config, db = backfilled
    # Without a watch every article is on-topic.
    assert rows(db, "SELECT count(*) FROM articles WHERE on_topic") == [(3,)]
    # The analyst narrows the watch to export controls on AI chips.
    config.write_text(
        config.read_text()
        + "watch:\n"
        + "  name: export-controls\n"
        + "  threshold: 0.4\n"
        + "  match_all:\n"
        + "    subject: [AI, chip*]\n"
        + "    angle: [export rule*, export control*]\n"
    )

    reprocess_without_fetching(news_site, config)

    verdicts = dict(rows(db, "SELECT web_url, on_topic FROM articles"))
    kept = [url for url, on_topic in verdicts.items() if on_topic]
    assert kept == [news_site.url(news_site.article("export-controls.html")["path"])]
    reasons = rows(db, "SELECT relevance_reason FROM articles WHERE NOT on_topic")
    assert all(reason.startswith("score ") for (reason,) in reasons), reasons
