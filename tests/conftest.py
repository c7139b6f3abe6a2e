"""Shared fixtures: a Prefect test harness (once per session) and a local news site.

The environment is set before anything imports Prefect: it reads its
settings on import, and cached results must not leak into ~/.prefect.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="newswatch-test-prefect-")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE", "50")
os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE", "50")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("NEWSWATCH_DB", None)

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

REPO = Path(__file__).resolve().parent.parent
SITE = Path(__file__).resolve().parent / "fixtures" / "site"
SEEDS = REPO / "seeds" / "documents"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect API for the whole session (starting one costs ~15 s)."""
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


@pytest.fixture(scope="session")
def make_httpserver() -> Iterator[HTTPServer]:
    """pytest-httpserver's session server, threaded: a slow handler must not stall the others."""
    server = HTTPServer(host="127.0.0.1", threaded=True)
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


def slow_handler(seconds: float) -> Any:
    """A handler that answers only after ``seconds`` (for timeouts)."""
    import time

    def handle(request: Request) -> Response:
        time.sleep(seconds)
        return Response("<rss></rss>", content_type="application/rss+xml")

    return handle
