"""Shared fixtures: a Prefect test harness (once per session) and a local news site.

The environment is set before anything imports Prefect: it reads its
settings on import, and cached results must not leak into ~/.prefect.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import SEEDS, SITE

os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="newswatch-test-prefect-")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE", "50")
os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE", "50")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("NEWSWATCH_DB", None)

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from extractors.relevance import Watch
from flows.config import Config
from flows.stages.articles import extract_articles, fetch_documents, mark_known, store_batches
from flows.stages.gnews import resolve_links
from flows.stages.listing import list_sources
from flows.stages.types import SourceReport, Window
from storage.database import Database
from storage.sources import source_states_by_name

pytest_plugins = ("tests.support.services",)  # throw-away PostgreSQL and S3 for the tests that ask


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect API for the whole session, one per test process (starting one
    costs ~15 s)."""
    from prefect.logging.configuration import setup_logging
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # Bind Prefect's log handlers to the session's stderr now; bound inside a
    # CliRunner invocation they would write to its stream after it is closed.
    setup_logging()

    with (
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
        prefect_test_harness(server_startup_timeout=90),
    ):
        yield


@pytest.fixture(autouse=True)
def _fresh_robots_cache() -> Iterator[None]:
    """Each test starts without cached robots.txt rules (servers reuse ports across tests)."""
    from flows.fetching.http import clear_robots_cache

    clear_robots_cache()
    yield
    clear_robots_cache()


@dataclass
class NewsSite:
    """The fixture site served on 127.0.0.1, with its manifest."""

    server: HTTPServer
    base: str
    manifest: dict[str, Any]

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def feed_url(self, name: str) -> str:
        return self.url(self.manifest["feeds"][name]["path"])

    def article(self, name: str) -> dict[str, Any]:
        return {
            key: _substitute(value, self.base)
            for key, value in self.manifest["articles"][name].items()
        }

    def feed_items(self, name: str) -> list[dict[str, Any]]:
        return [
            {key: _substitute(value, self.base) for key, value in item.items()}
            for item in self.manifest["feeds"][name]["items"]
        ]

    def serve_not_articles_feed(self) -> str:
        """Serve ``/feeds/odd.xml``: a feed of two pages that are not articles (a tag page
        linking 30 stories, a "Page not found" served as 200); returns its URL."""
        links = "".join(
            f"<li><a href='/news/{n}'>Story number {n} of the day</a></li>" for n in range(30)
        )
        self.server.expect_request("/tag/ai").respond_with_data(
            f"<html><head><title>AI | Tags</title></head><body><ul>{links}</ul></body></html>",
            content_type="text/html",
        )
        self.server.expect_request("/gone").respond_with_data(
            "<html><head><title>Page not found</title></head><body><h1>Page not found</h1>"
            "<p>Sorry, this page does not exist.</p></body></html>",
            content_type="text/html",
        )
        items = "".join(
            f"<item><title>{path}</title><link>{self.base}{path}</link></item>"
            for path in ("/tag/ai", "/gone")
        )
        self.server.expect_request("/feeds/odd.xml").respond_with_data(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Odd</title>{items}'
            "</channel></rss>",
            content_type="application/rss+xml",
        )
        return self.url("/feeds/odd.xml")

    def write_config(
        self,
        directory: Path,
        feeds: list[tuple[str, str]],
        *,
        folder: Path | None = SEEDS,
        extra: str = "",
    ) -> Path:
        """A sources.yaml with the seed folder and the given ``(name, url)`` feeds."""
        lines = [
            "watch:",
            "  name: test-watch",
            "  match_all:",
            "    subject: [AI, artificial intelligence, KI, künstliche Intelligenz, IA, intelligence artificielle]",
            "    governance: [governance, regulat*, policy, law, act, Act, code of conduct, export control*, cooperation,",
            "                 resolution, summit, UN, EU, G7, Gesetz*, Verordnung, loi, réglementation, executive order,",
            "                 rules, license*, licence*, règlement*]",
            "  topics:",
            "    AI: [AI, artificial intelligence, KI, künstliche Intelligenz, IA, intelligence artificielle]",
            "    Export controls: [export control*, chip*]",
            "sources:",
        ]
        if folder is not None:
            lines += ["  - name: seed-documents", "    kind: folder", f"    path: {folder}"]
        for name, url in feeds:
            lines += [f"  - name: {name}", "    kind: feed", f"    url: {url!r}"]
        lines += [
            "fetch:",
            "  allow_private_addresses: true",
            "  retries: 1",
            "  backoff_seconds: 0.01",
            "  read_timeout: 1.0",
            "  total_timeout: 3.0",
            "storage:",
            f"  db: {directory / 'news.duckdb'}",
        ]
        path = directory / "sources.yaml"
        path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
        return path


def _substitute(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return value.replace("{{BASE}}", base)
    if isinstance(value, list):
        return [_substitute(item, base) for item in value]
    return value


class LocalServer(HTTPServer):
    """pytest-httpserver whose unexpected paths answer 404, also after ``clear()``.

    The fetcher asks every host for /robots.txt first: 404 means "no rules, allow all",
    while pytest-httpserver's default 500 would mean "disallow all" (RFC 9309).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.no_handler_status_code = 404

    def clear(self) -> None:
        super().clear()
        self.no_handler_status_code = 404


@pytest.fixture(scope="session")
def make_httpserver() -> Iterator[HTTPServer]:
    """pytest-httpserver's session server, threaded: a slow handler must not stall the others."""
    server = LocalServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def news_site(httpserver: HTTPServer) -> NewsSite:
    """Every fixture page and feed at its manifest path; {{BASE}} filled in."""
    manifest = json.loads((SITE / "manifest.json").read_text(encoding="utf-8"))
    base = httpserver.url_for("").rstrip("/")
    for name, article in manifest["articles"].items():
        content = (SITE / "articles" / name).read_bytes()
        encoding = article.get("encoding", "utf-8")
        body = content.decode(encoding).replace("{{BASE}}", base).encode(encoding)
        httpserver.expect_request(article["path"]).respond_with_data(
            body, content_type=article["content_type"]
        )
    for name, feed in manifest["feeds"].items():
        body = (SITE / "feeds" / name).read_bytes().replace(b"{{BASE}}", base.encode())
        httpserver.expect_request(feed["path"]).respond_with_data(
            body, content_type=feed["content_type"]
        )
    httpserver.expect_request("/news/missing-article").respond_with_data("Not Found", status=404)
    return NewsSite(httpserver, base, manifest)


RUN_CLOCK = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def run_stages(
    config: Config,
    db: Database,
    now: datetime = RUN_CLOCK,
    refresh: bool = False,
    only: Sequence[str] = (),
    watch: Watch | None = None,
) -> list[SourceReport]:
    """One daily run through the pipeline's stage functions, as flows.monitor runs it (no Prefect).

    Every article is on-topic unless a ``watch`` is given.
    """
    listings = list_sources(config, Window(), only, source_states_by_name(db), refresh, now)
    listings = resolve_links(db, config, listings, Window(), now, refresh)
    listings = mark_known(db, listings, refresh)
    documents = fetch_documents(config, listings)
    batches = extract_articles(listings, documents, watch or Watch(), Window(), now)
    return store_batches(db, str(uuid.uuid4()), batches, now, None, config.fetch)


def slow_handler(seconds: float) -> Any:
    """A handler that answers only after ``seconds`` (for timeouts)."""
    import time

    def handle(request: Request) -> Response:
        time.sleep(seconds)
        return Response("<rss></rss>", content_type="application/rss+xml")

    return handle
