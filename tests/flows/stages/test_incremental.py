"""Incremental daily runs and source health, through the pipeline stages (no Prefect).

Conditional GET (ETag / Last-Modified), the feed body hash as the ground truth,
back-off of sources failing many runs in a row, raw pages kept for reprocessing, a feed
that asks to be retried later (429 / 503 with Retry-After).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from werkzeug import Request, Response

from extractors.relevance import Watch
from flows.config import load_config
from flows.stages.summary import RunSummary
from storage.database import Database
from storage.raw import load_raw_pages, prune_raw_pages
from storage.sources import source_states_by_name
from tests.conftest import NewsSite, run_stages
from tests.support.paths import SITE

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def state(db: Database, name: str) -> dict[str, Any]:
    return source_states_by_name(db)[name]


class FeedEndpoint:
    """A feed that sends an ETag and honours If-None-Match (or, ``lying``, ignores it)."""

    def __init__(self, news_site: NewsSite, path: str, *, lying: bool = False) -> None:
        self.body = (
            (SITE / "feeds" / "atom.xml").read_bytes().replace(b"{{BASE}}", news_site.base.encode())
        )
        self.etag = '"v1"'
        self.lying = lying
        self.requests: list[dict[str, str]] = []
        self._lock = threading.Lock()
        news_site.server.expect_request(path).respond_with_handler(self.handle)
        self.url = news_site.url(path)

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append({k.lower(): v for k, v in request.headers.items()})
        if not self.lying and request.headers.get("If-None-Match") == self.etag:
            return Response(status=304, headers={"ETag": self.etag})
        return Response(
            self.body,
            content_type="application/atom+xml",
            headers={"ETag": self.etag, "Last-Modified": "Sat, 21 Nov 2026 10:00:00 GMT"},
        )


def article_requests(news_site: NewsSite, since: int) -> list[str]:
    return [
        request.path
        for request, _ in news_site.server.log[since:]
        if not request.path.startswith("/feeds") and request.path != "/robots.txt"
    ]


def test_unchanged_feed_answers_304_and_nothing_is_parsed_or_fetched(
    news_site: NewsSite, tmp_path: Path
) -> None:
    feed = FeedEndpoint(news_site, "/feeds/etag.xml")
    config = load_config(news_site.write_config(tmp_path, [("atom", feed.url)], folder=None))
    db = Database(config.storage.db)

    [first] = run_stages(config, db)
    assert first.new > 0 and not first.unchanged and first.failed == 0
    assert "if-none-match" not in feed.requests[0]
    assert state(db, "atom")["etag"] == '"v1"'

    log_mark = len(news_site.server.log)
    later = NOW + timedelta(days=1)
    [second] = run_stages(config, db, later)
    assert feed.requests[-1]["if-none-match"] == '"v1"'
    assert feed.requests[-1]["if-modified-since"] == "Sat, 21 Nov 2026 10:00:00 GMT"
    assert second.unchanged and second.seen == 0 and second.new == 0 and second.error is None
    assert article_requests(news_site, log_mark) == []
    health = state(db, "atom")
    assert health["last_outcome"] == "unchanged"
    assert health["consecutive_failures"] == 0
    assert health["last_success_at"] == later.replace(tzinfo=None)
    assert health["etag"] == '"v1"' and health["body_hash"] is not None

    # --refresh ignores the validators: the feed is read and parsed again.
    [third] = run_stages(config, db, later, refresh=True)
    assert "if-none-match" not in feed.requests[-1]
    assert not third.unchanged and third.seen == first.seen


def test_body_hash_is_the_ground_truth_when_the_etag_lies(
    news_site: NewsSite, tmp_path: Path
) -> None:
    feed = FeedEndpoint(news_site, "/feeds/lying.xml", lying=True)
    config = load_config(news_site.write_config(tmp_path, [("atom", feed.url)], folder=None))
    db = Database(config.storage.db)
    [first] = run_stages(config, db)
    assert first.new > 0

    # Same ETag, same bytes, served with 200: the hash says nothing changed.
    [second] = run_stages(config, db, NOW + timedelta(hours=1))
    assert second.unchanged and second.seen == 0

    # Same ETag, different bytes: the feed is parsed (and its new entry listed).
    feed.body = feed.body.replace(
        b"<entry>",
        b"<entry><title>Brand new</title><link href='"
        + news_site.base.encode()
        + b"/news/missing-article'/><id>new-1</id><updated>2026-11-21T10:00:00Z</updated></entry><entry>",
        1,
    )
    [third] = run_stages(config, db, NOW + timedelta(hours=2))
    assert not third.unchanged and third.seen == first.seen + 1
    assert third.failed == 1  # the new entry's page is a 404
    assert state(db, "atom")["failed_items_last_run"] == 1

    # A feed whose items failed last time is re-read, so they get another try.
    [fourth] = run_stages(config, db, NOW + timedelta(hours=3))
    assert not fourth.unchanged and fourth.failed == 1


def test_a_source_failing_runs_in_a_row_is_backed_off_then_retried(
    news_site: NewsSite, tmp_path: Path
) -> None:
    hits: list[str] = []

    def broken(request: Request) -> Response:
        hits.append(request.path)
        return Response("gone", status=410)

    news_site.server.expect_request("/feeds/broken.xml").respond_with_handler(broken)
    config = load_config(
        news_site.write_config(
            tmp_path,
            [
                ("broken", news_site.url("/feeds/broken.xml")),
                ("good", news_site.feed_url("atom.xml")),
            ],
            folder=None,
        )
    )
    db = Database(config.storage.db)
    day = timedelta(days=1)
    for n in range(3):
        reports = {r.name: r for r in run_stages(config, db, NOW + n * day)}
        assert "HTTP 410" in (reports["broken"].error or "")
    health = state(db, "broken")
    assert health["consecutive_failures"] == 3 and health["last_outcome"] == "failed"
    # threshold 3 reached: back off 2**0 = 1 day from the third failure
    assert health["backoff_until"] == (NOW + 3 * day).replace(tzinfo=None)

    reports = {r.name: r for r in run_stages(config, db, NOW + 2 * day + timedelta(hours=12))}
    assert len(hits) == 3, "a backed-off source must not be requested"
    skipped = reports["broken"]
    assert skipped.skipped and "backing off until" in (skipped.error or "")
    assert state(db, "broken")["consecutive_failures"] == 3  # a skipped run is not a failure
    summary = RunSummary("r", "daily-monitor", NOW, NOW, "db", tuple(reports.values()))
    assert summary.status == "partial"
    text = summary.as_text()
    # Backing off is not failing: said once, and not counted among the failed sources.
    assert "broken: SKIPPED: backing off until" in text and "after failing 3 runs in a row" in text
    assert "skipped: skipped" not in text.lower() and "SKIPPED: skipped" not in text
    assert "(0 of 2 sources failed, 1 skipped while backing off)" in text.splitlines()[0]
    assert summary.totals().sources_failed == 0

    # Naming the source explicitly tries it anyway (a fourth failure: 2 days' pause).
    explicit = NOW + 2 * day + timedelta(hours=13)
    run_stages(config, db, explicit, only=["broken"])
    assert len(hits) == 4
    assert state(db, "broken")["backoff_until"] == (explicit + 2 * day).replace(tzinfo=None)

    # After the pause it is tried again; a fifth failure doubles the pause again.
    later = explicit + 2 * day + timedelta(hours=1)
    reports = {r.name: r for r in run_stages(config, db, later)}
    assert len(hits) == 5 and not reports["broken"].skipped
    health = state(db, "broken")
    assert health["consecutive_failures"] == 5
    assert health["backoff_until"] == (later + 4 * day).replace(tzinfo=None)


def test_only_skipped_and_failed_sources_make_a_failed_run(
    news_site: NewsSite, tmp_path: Path
) -> None:
    news_site.server.expect_request("/feeds/down.xml").respond_with_data("x", status=500)
    config = load_config(
        news_site.write_config(tmp_path, [("down", news_site.url("/feeds/down.xml"))], folder=None)
    )
    db = Database(config.storage.db)
    for n in range(3):
        run_stages(config, db, NOW + timedelta(days=n))
    reports = run_stages(config, db, NOW + timedelta(days=2, hours=1))
    assert reports[0].skipped
    assert RunSummary("r", "daily-monitor", NOW, NOW, "db", tuple(reports)).status == "failed"


def test_raw_pages_are_kept_compressed_without_cookies_and_pruned(
    news_site: NewsSite, tmp_path: Path
) -> None:
    news_site.server.expect_request("/cookie-page").respond_with_data(
        "x", headers={"Set-Cookie": "session=s3cret"}
    )
    config = load_config(
        news_site.write_config(tmp_path, [("atom", news_site.feed_url("atom.xml"))], folder=None)
    )
    db = Database(config.storage.db)
    [report] = run_stages(config, db)
    pages = load_raw_pages(db)
    assert len(pages) >= report.new > 0
    page = next(
        p
        for p in pages
        if p.url.endswith("/research/2026/11/un-advisory-body-international-ai-governance")
    )
    assert page.status == 200 and page.source_name == "atom"
    assert page.headers["content-type"].startswith("text/html")
    assert page.fetched_at.tzinfo is not None
    assert page.hint is not None and page.hint["entry"]["title"]
    served = news_site.server.log
    assert any(response.get_data() == page.content for _, response in served)
    with duckdb.connect(str(db.path), read_only=True) as connection:
        stored, size = connection.execute(
            "SELECT sum(octet_length(body_gzip)), sum(size) FROM raw_pages"
        ).fetchone() or (0, 0)
        cookies = connection.execute(
            "SELECT count(*) FROM raw_pages WHERE headers::VARCHAR ILIKE '%cookie%'"
        ).fetchone()
    assert stored < size / 2  # gzip on HTML
    assert cookies == (0,)
    assert prune_raw_pages(db, NOW - timedelta(days=1)) == 0
    assert prune_raw_pages(db, datetime.now(UTC) + timedelta(seconds=1)) == len(pages)
    assert load_raw_pages(db) == []


def test_sources_command_shows_outcome_back_off_and_failed_items(
    news_site: NewsSite, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from flows.app.cli import app

    news_site.server.expect_request("/feeds/gone.xml").respond_with_data("x", status=410)
    path = news_site.write_config(
        tmp_path,
        [("gone", news_site.url("/feeds/gone.xml")), ("wire", news_site.feed_url("rss2.xml"))],
        folder=None,
    )
    config = load_config(path)
    db = Database(config.storage.db)
    for n in range(3):
        run_stages(config, db, NOW + timedelta(days=n))
    result = CliRunner().invoke(app, ["sources", "--config", str(path)])
    assert result.exit_code == 0, result.output
    header, _, gone, wire, *_ = result.output.splitlines()
    assert "last outcome" in header and "backing off until" in header and "failed items" in header
    assert gone.split()[:2] == ["gone", "feed"]
    assert "failed" in gone and "2026-11-25 06:00" in gone and "HTTP 410" in gone
    # the wire feed lists one page that 404s: ok overall, one failed item
    assert wire.split()[5] == "ok" and wire.split()[-1] == "1"


def test_raw_page_retention_is_applied_by_the_store_task(
    news_site: NewsSite, tmp_path: Path
) -> None:
    from flows import monitor
    from flows.stages import articles as pipeline
    from flows.stages import listing
    from flows.stages.types import Window

    path = news_site.write_config(
        tmp_path, [("atom", news_site.feed_url("atom.xml"))], folder=None, extra=""
    )
    path.write_text(path.read_text() + "  raw_retention_days: 1\n")
    config = load_config(path)
    db = Database(config.storage.db)
    run_stages(config, db)
    assert load_raw_pages(db)
    listings = listing.list_sources(config, Window(), refresh=True)
    batches = pipeline.extract_articles(listings, {}, Watch(), Window(), NOW)
    later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    monitor.store_articles.fn(config, db, "run-2", batches, later)
    assert load_raw_pages(db) == []


@pytest.mark.parametrize("status", [429, 503])
def test_a_feed_that_asks_to_wait_is_fetched_after_its_retry_after_and_stored(
    news_site: NewsSite, tmp_path: Path, status: int
) -> None:
    body = (SITE / "feeds" / "atom.xml").read_bytes().replace(b"{{BASE}}", news_site.base.encode())
    arrivals: list[float] = []

    def busy_then_ok(request: Request) -> Response:
        arrivals.append(time.monotonic())
        if len(arrivals) == 1:
            return Response("busy", status=status, headers={"Retry-After": "1"})
        return Response(body, content_type="application/atom+xml")

    news_site.server.expect_request("/feeds/busy.xml").respond_with_handler(busy_then_ok)
    feeds = [("busy", news_site.url("/feeds/busy.xml"))]
    config = load_config(news_site.write_config(tmp_path, feeds, folder=None))
    db = Database(config.storage.db)

    [report] = run_stages(config, db)

    # Timed at the server: the retry came after the second it asked for, although the
    # config's backoff (0.01 s) alone would have retried at once.
    assert len(arrivals) == 2 and arrivals[1] - arrivals[0] >= 0.95
    assert report.error is None and report.new > 0
    assert state(db, "busy")["last_outcome"] == "ok"
    with duckdb.connect(str(db.path), read_only=True) as connection:
        [(stored,)] = connection.execute(
            "SELECT count(*) FROM articles WHERE source_name = 'busy'"
        ).fetchall()
    assert stored == report.new + report.off_topic
