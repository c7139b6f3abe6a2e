"""A daily run over the generated news web (tests/support/newsweb.py), the one the end-to-end
benchmark measures: the stages store what the generated web implies."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from flows.config import load_config
from flows.stages.settings import watch_from_config
from storage.database import Database
from tests.conftest import RUN_CLOCK, run_stages
from tests.support.newsweb import SITES, generate_web, served_news_web, write_config


def test_a_daily_run_stores_every_page_finds_the_copies_and_the_off_topic_ones(
    tmp_path: Path,
) -> None:
    with served_news_web(60, now=RUN_CLOCK) as (web, news):
        config = load_config(write_config(tmp_path / "sources.yaml", news.feeds, tmp_path / "db"))
        db = Database(tmp_path / "news.duckdb")
        watch = watch_from_config(config)
        first = run_stages(config, db, watch=watch)
        again = run_stages(config, db, watch=watch)

    assert news.syndicated >= 2 and news.off_topic >= 2  # the run below has something to find
    assert web.errors == []
    assert [report.name for report in first] == [f"{site.key}-feed" for site in SITES]
    assert sum(report.seen for report in first) == 60
    assert sum(report.new for report in first) == 60
    assert sum(report.failed for report in first) == 0
    assert sum(report.off_topic for report in first) == news.off_topic
    # Every syndicated copy is linked to its wire original (generated pages built from the
    # same few fixture paragraphs may be linked as well).
    assert sum(report.duplicate for report in first) >= news.syndicated
    assert sum(report.new for report in again) == 0


def test_the_news_sitemaps_list_the_same_articles_as_the_feeds(tmp_path: Path) -> None:
    with served_news_web(20, now=RUN_CLOCK) as (web, news):
        config = load_config(
            write_config(tmp_path / "sources.yaml", {}, tmp_path / "db", sitemaps=news.sitemaps)
        )
        reports = run_stages(
            config, Database(tmp_path / "news.duckdb"), watch=watch_from_config(config)
        )

    assert web.errors == []
    assert [report.kind for report in reports] == ["sitemap"] * len(SITES)
    assert sum(report.seen for report in reports) == 20
    assert sum(report.new for report in reports) == 20
    assert sum(report.failed for report in reports) == 0
    assert sum(report.off_topic for report in reports) == news.off_topic


def test_the_web_serves_its_feeds_and_pages_from_one_host_per_site() -> None:
    with served_news_web(10, now=RUN_CLOCK) as (web, news):
        feeds = [httpx.get(url) for url in news.feeds.values()]
        article = news.articles[0]
        host = SITES.index(article.site)
        got = httpx.get(web.url(article.path, host))
        elsewhere = httpx.get(web.url(article.path, (host + 1) % len(SITES)))

    assert [feed.status_code for feed in feeds] == [200] * len(SITES)
    assert all(feed.headers["content-type"].startswith("application/rss+xml") for feed in feeds)
    assert got.content == news.pages[article.site.key][article.path][0]
    assert 30_000 <= len(got.content) <= 60_000
    assert elsewhere.status_code == 404


def test_the_same_seed_and_clock_give_the_same_web() -> None:
    origins = {site.key: f"http://127.0.0.1:{8000 + n}" for n, site in enumerate(SITES)}

    first = generate_web(10, origins, now=RUN_CLOCK)
    second = generate_web(10, origins, now=RUN_CLOCK)
    other = generate_web(10, origins, now=RUN_CLOCK, seed=1)

    assert first.pages == second.pages
    assert first.pages != other.pages


def test_too_small_a_web_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 5 articles"), served_news_web(4):
        pass
