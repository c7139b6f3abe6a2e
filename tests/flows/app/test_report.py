"""`newswatch report`: one self-contained page whose charts render in headless Chromium; the run artifact."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from bench.synthetic import fill_synthetic
from flows.app.cli import app
from flows.app.report import coverage_chart, render_report
from storage.database import Database
from storage.publish import publish
from storage.report import ReportData, report_data, top_new_stories
from tests.conftest import NewsSite

runner = CliRunner()
CHARTS = ("coverage", "providers", "stories", "health")


@pytest.fixture(scope="module")
def synthetic_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 synthetic articles over 60 days, published as an analytics copy."""
    db = Database(tmp_path_factory.mktemp("report") / "news.duckdb")
    fill_synthetic(db, 2000, days=60)
    publish(db, run_id="synthetic")
    return db.path


@pytest.fixture(scope="module")
def report_page(synthetic_db: Path) -> Path:
    out = synthetic_db.parent / "out" / "report.html"
    result = runner.invoke(app, ["report", "--db", str(synthetic_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "news-analytics.duckdb" in result.output, "the report reads the analytics copy"
    return out


def test_report_data_has_every_chart_filled(synthetic_db: Path) -> None:
    data = report_data(Database(synthetic_db))
    assert data.coverage and data.providers and data.stories and data.sources and data.runs
    assert all(story.timeline for story in data.stories)
    heats = [story.heat for story in data.stories]
    assert heats == sorted(heats, reverse=True)
    assert data.sources[0].consecutive_failures > 0, "failing sources come first"


def test_report_is_one_self_contained_page(report_page: Path) -> None:
    html = report_page.read_text(encoding="utf-8")
    # Nothing that a browser would fetch: no external scripts, styles, images, fonts or frames.
    for pattern in (
        r"<script[^>]+src=",
        r"<link\b",
        r"<img\b",
        r"<iframe\b",
        r"url\(",
        r"@import",
        r"\b(?:src|href|srcset|poster|action|data)\s*=",
    ):
        assert not re.search(pattern, html, flags=re.I), pattern
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in html
    assert "Provider 0" in html and "source-4" in html and "HTTP 503" in html


def _chromium() -> str:
    path = os.environ.get("NEWSWATCH_CHROMIUM") or shutil.which("chromium")
    if not path:
        if os.environ.get("NEWSWATCH_SKIP_BROWSER"):
            pytest.skip("NEWSWATCH_SKIP_BROWSER is set")
        pytest.fail(
            "Chromium not found: `make browser` installs Debian's chromium "
            "(or set NEWSWATCH_CHROMIUM, or NEWSWATCH_SKIP_BROWSER=1 to skip)"
        )
    return path


def test_report_charts_render_in_headless_chromium(report_page: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = report_page.resolve().as_uri()
    fetched: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 900})

            def guard(route: object) -> None:
                request = route.request  # type: ignore[attr-defined]
                if request.url == url:
                    route.continue_()  # type: ignore[attr-defined]
                else:
                    fetched.append(request.url)
                    route.abort()  # type: ignore[attr-defined]

            page.route("**/*", guard)
            page.on(
                "console", lambda message: message.type == "error" and errors.append(message.text)
            )
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url)
            for chart in CHARTS:
                svg = page.locator(f'section[data-chart="{chart}"] svg').first
                box = svg.bounding_box()
                assert box and box["width"] > 300 and box["height"] > 50, chart
                marks = page.locator(f'section[data-chart="{chart}"] svg .mark')
                assert marks.count() > 0, f"{chart}: no marks drawn"
                # The marks have a real size on screen, not just elements in the DOM.
                sizes = marks.evaluate_all(
                    "els => els.map(e => { const r = e.getBoundingClientRect(); return r.width * r.height; })"
                )
                assert sum(1 for size in sizes if size > 0) >= min(len(sizes), 3), chart
            assert page.locator(".empty").count() == 0
            screenshot = tmp_path / "report.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert fetched == [], f"the page fetched {fetched}"
    assert errors == []
    assert screenshot.stat().st_size > 20_000
    keep = os.environ.get("NEWSWATCH_REPORT_SCREENSHOT")
    if keep:
        shutil.copyfile(screenshot, keep)


def test_report_on_an_empty_database_says_so(tmp_path: Path) -> None:
    db = Database(tmp_path / "empty.duckdb")
    with db.connect():
        pass
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--db", str(db.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.count('class="empty"') == 4


def test_report_refuses_a_missing_database(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 2 and "does not exist yet" in result.output


def test_top_new_stories_are_the_run_s_hottest(synthetic_db: Path) -> None:
    db = Database(synthetic_db)
    run_id = "run-" + str(report_data(db).totals["window_end"])
    stories = top_new_stories(db, run_id)
    assert stories and len(stories) <= 10
    heats = [story.heat for story in stories]
    assert heats == sorted(heats, reverse=True)


@pytest.mark.usefixtures("prefect_harness")
def test_each_run_leaves_an_artifact_with_counts_failing_sources_and_top_stories(
    news_site: NewsSite, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    news_site.server.expect_request("/feeds/gone.xml").respond_with_data("gone", status=404)
    config = news_site.write_config(
        tmp_path,
        [("wire-rss", news_site.feed_url("rss2.xml")), ("gone", news_site.url("/feeds/gone.xml"))],
    )
    result = runner.invoke(app, ["run", "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["newswatch-run-summary"])),
            sort="CREATED_DESC",
            limit=1,
        )
    markdown = str(artifacts[0].data)
    assert "| **total** |" in markdown
    assert "## Failing sources" in markdown and "**gone**: HTTP 404" in markdown
    assert "## Top new stories" in markdown
    top = markdown.split("## Top new stories")[1]
    assert "| story | heat |" in top and "AI" in top


def test_coverage_per_day_counts_articles_not_topic_tags(synthetic_db: Path) -> None:
    # Synthetic articles have one or two topics: counting tags would add up to more articles.
    data = report_data(Database(synthetic_db))
    with duckdb.connect(str(synthetic_db), read_only=True) as connection:
        row = connection.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE len(topics) > 1) FROM unique_articles
            WHERE published_at > $end::DATE - to_days($days::INTEGER)
            """,
            {"end": data.totals["window_end"], "days": data.totals["window_days"]},
        ).fetchone()
    assert row is not None
    articles, with_several_topics = row
    assert with_several_topics > 0
    assert sum(count for _, _, count in data.coverage) == articles


@pytest.fixture
def patchy_db(tmp_path: Path) -> Path:
    """Synthetic articles, some undated, some without a provider, the hottest story untitled."""
    db = Database(tmp_path / "patchy.duckdb")
    fill_synthetic(db, 600, days=30)
    with duckdb.connect(str(db.path)) as connection:
        connection.execute(
            # more articles without a provider than any named provider has
            "UPDATE articles SET provider_name = '', provider_domain = '' WHERE hash(id) % 4 = 0"
        )
        connection.execute("UPDATE articles SET published_at = NULL WHERE hash(id) % 10 = 1")
        connection.execute(
            """
            UPDATE articles SET title = '' WHERE story_id = (
                SELECT story_id FROM stories WHERE on_topic ORDER BY heat DESC, coverage DESC LIMIT 1)
            """
        )
    return db.path


def test_undated_unknown_and_untitled_are_counted_apart_not_ranked(
    patchy_db: Path, tmp_path: Path
) -> None:
    data = report_data(Database(patchy_db))
    with duckdb.connect(str(patchy_db), read_only=True) as connection:
        undated = connection.execute(
            "SELECT count(*) FROM unique_articles WHERE published_at IS NULL"
        ).fetchall()[0][0]
        dated = connection.execute(
            "SELECT count(*) FROM unique_articles WHERE published_at IS NOT NULL"
        ).fetchall()[0][0]
    assert undated > 0 and data.totals["undated_articles"] == undated
    assert sum(count for _, _, count in data.coverage) == dated
    assert data.totals["unknown_provider_articles"] > max(a + c for _, a, c in data.providers)
    assert all(provider not in ("", "(unknown)") for provider, _, _ in data.providers)
    assert data.stories and all(story.title for story in data.stories)
    assert data.totals["untitled_stories"] >= 1

    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--db", str(patchy_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "(unknown)" not in html and "(untitled)" not in html
    assert f"Plus {undated:,} undated articles not drawn" in html
    assert "from an unknown provider, not ranked" in html and "untitled stor" in html


def _axis_labels(svg: str) -> list[str]:
    return re.findall(r'<text [^>]*class="note">([^<]*)</text>', svg)


def test_time_axes_carry_the_year_when_the_range_crosses_one() -> None:
    start = date(2026, 12, 10)
    coverage = [(start + timedelta(days=offset), "AI regulation", 1) for offset in range(40)]
    data = ReportData({"window_days": 40}, coverage, [], [], [], [], {})
    labels = [label for label in _axis_labels(coverage_chart(data)) if not label.isdigit()]
    assert labels and all(re.fullmatch(r"\d\d \w{3} 20\d\d", label) for label in labels), labels
    assert labels[0].endswith("2026") and labels[-1].endswith("2027")

    within = [
        (date(2026, 3, 1) + timedelta(days=offset), "AI regulation", 1) for offset in range(40)
    ]
    labels = [
        label
        for label in _axis_labels(coverage_chart(ReportData({}, within, [], [], [], [], {})))
        if not label.isdigit()
    ]
    assert labels[0] == "01 Mar 2026" and all(not label.endswith("2026") for label in labels[1:])
    assert "2026" in render_report(ReportData({}, within, [], [], [], [], {}))
