"""`newswatch report`: one self-contained page whose charts render in headless Chromium; the run artifact."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.synthetic import fill_synthetic
from flows.cli import app
from storage.database import Database
from storage.publish import publish
from storage.report import report_data, top_new_stories
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
