"""Misbehaving servers and hostile inputs, all in one daily run: each source gets a clear
outcome in its health row, and none of them stops the run (the good source is stored)."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractors.feeds import FeedEntry, ParsedFeed
from extractors.relevance import Watch
from flows.config import load_config
from flows.stages.articles import extract_articles, fetch_documents, store_batches
from flows.stages.summary import RunSummary
from flows.stages.types import Candidate, Listing, Window
from storage.database import Database
from storage.sources import source_states_by_name
from tests.conftest import RUN_CLOCK, NewsSite, run_stages
from tests.support.web import LocalWeb, Raw, Request, Response, endless_chunks, trickle


def huge(conn: socket.socket, stop: threading.Event, request: Request) -> None:
    # announces 5 GB, then sends as much as it is allowed to
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 5000000000\r\n\r\n"
    )
    while not stop.is_set():
        conn.sendall(b"<rss>" * 10_000)


def robots_hangs(conn: socket.socket, stop: threading.Event, request: Request) -> None:
    stop.wait(3)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def rss(items: str) -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://x.example/</link>{items}</channel></rss>'.encode()


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    """Feeds that misbehave below HTTP; robots.txt is missing (404: allow all)."""
    with LocalWeb() as server:
        server.route("/trickle.xml", trickle("application/rss+xml", every=0.05, byte=b"<"))
        server.route("/huge.xml", Raw(huge))
        server.route("/endless.xml", endless_chunks("application/rss+xml"))
        yield server


@pytest.fixture
def hung_robots() -> Iterator[LocalWeb]:
    """A host whose robots.txt answers only after 3 s; every other path is an empty 200."""
    with LocalWeb(handler=Response(b"")) as server:
        server.route("/robots.txt", Raw(robots_hangs))
        yield server


def test_every_bad_input_fails_its_source_alone_with_a_clear_outcome(
    news_site: NewsSite, tmp_path: Path, web: LocalWeb, hung_robots: LocalWeb
) -> None:
    server = news_site.server
    base = news_site.base
    server.expect_request("/loop-a").respond_with_data("", 302, {"Location": "/loop-b"})
    server.expect_request("/loop-b").respond_with_data("", 302, {"Location": "/loop-a"})
    server.expect_request("/bomb.xml").respond_with_data(
        gzip.compress(b" " * 50_000_000),
        headers={"Content-Encoding": "gzip"},
        content_type="application/rss+xml",
    )
    server.expect_request("/page.html").respond_with_data(
        "<html><body><p>Not a feed</p></body></html>", content_type="text/html"
    )
    entries = "".join(
        f"<item><title>Item {n}</title><link>{base}/n/{n}</link>"
        "<pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate></item>"
        for n in range(10_000)
    )
    server.expect_request("/ten-thousand.xml").respond_with_data(
        rss(entries), content_type="application/rss+xml"
    )
    article = news_site.article("policy-news.html")
    server.expect_request("/incomplete.xml").respond_with_data(
        rss(
            "<item><title>No link here</title><pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate></item>"
            f"<item><title>No date</title><link>{news_site.url(article['path'])}</link></item>"
            f"<item><link>{news_site.url(news_site.article('blog-post.html')['path'])}</link></item>"
        ),
        content_type="application/rss+xml",
    )
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
            for n in range(1, 10)
        )
        + b']><rss version="2.0"><channel><title>&lol9;</title>'
        b"<item><title>&lol9;</title><link>https://x.example/lol</link></item></channel></rss>"
    )
    server.expect_request("/lol.xml").respond_with_data(lol, content_type="application/rss+xml")

    feeds = {
        "trickle": web.url("/trickle.xml"),
        "redirect-loop": f"{base}/loop-a",
        "multi-gb": web.url("/huge.xml"),
        "endless-chunks": web.url("/endless.xml"),
        "gzip-bomb": f"{base}/bomb.xml",
        "tls-error": base.replace("http://", "https://") + "/feed.xml",
        "wrong-type": f"{base}/page.html",
        "ten-thousand": f"{base}/ten-thousand.xml",
        "incomplete-entries": f"{base}/incomplete.xml",
        "billion-laughs": f"{base}/lol.xml",
        "robots-timeout": hung_robots.url("/feed.xml"),
        "good": news_site.feed_url("atom.xml"),
    }
    path = news_site.write_config(
        tmp_path,
        list(feeds.items()),
        folder=None,
        extra="",
    )
    text = path.read_text().replace(
        "  total_timeout: 3.0\n",
        "  total_timeout: 1.5\n  robots_timeout: 0.5\n  max_response_bytes: 2000000\n"
        "  max_redirects: 4\n",
    )
    # ten thousand entries, fetch_articles off: the feed's own content is stored
    text = text.replace(
        f"url: '{feeds['ten-thousand']}'",
        f"url: '{feeds['ten-thousand']}'\n    fetch_articles: false",
    )
    path.write_text(text)
    config = load_config(path)
    db = Database(config.storage.db)

    started = time.monotonic()
    reports = {report.name: report for report in run_stages(config, db)}
    elapsed = time.monotonic() - started
    assert elapsed < 20
    health = source_states_by_name(db)

    def failed(name: str, *needles: str) -> None:
        row = health[name]
        assert row["last_outcome"] == "failed" and row["consecutive_failures"] == 1, (name, row)
        for needle in needles:
            assert needle in row["last_error"], (name, row["last_error"])
        assert reports[name].error == row["last_error"]

    failed("trickle", "timed out after 1.5s in total")
    failed("redirect-loop", "more than 4 redirects", "redirect loop")
    failed("multi-gb", "5000000000 bytes, over the 2000000-byte limit")
    failed("endless-chunks", "exceeds the 2000000-byte limit")
    failed("gzip-bomb", "exceeds the 2000000-byte limit")
    failed("tls-error", "TLS error")
    failed("wrong-type", "HTML")
    failed("robots-timeout", "robots.txt is unreachable", "timed out", "disallow")

    # Sources that worked, with what was wrong said in warnings.
    ten = reports["ten-thousand"]
    assert ten.error is None and ten.seen == 200 and ten.new == 200
    assert any("10000 entries, kept the first 200" in w for w in ten.warnings)
    assert health["ten-thousand"]["last_outcome"] == "ok"

    incomplete = reports["incomplete-entries"]
    assert incomplete.error is None and incomplete.seen == 2 and incomplete.new == 2
    assert any("link" in w for w in incomplete.warnings)

    laughs = reports["billion-laughs"]
    assert laughs.error is None
    assert any("amplification" in w or "malformed" in w for w in laughs.warnings)
    assert health["billion-laughs"]["last_outcome"] == "ok"

    good = reports["good"]
    assert good.error is None and good.new > 0


def test_links_to_private_addresses_in_a_feed_are_refused_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n  - name: third-party\n    kind: feed\n    url: https://feeds.example/x.xml\n"
        f"storage:\n  db: {tmp_path / 'news.duckdb'}\n"
    )
    config = load_config(path)
    assert config.fetch.allow_private_addresses is False
    links = [
        "http://127.0.0.1:8080/admin",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[::1]/x",
        "http://10.1.2.3/intranet",
        "http://[::ffff:192.168.0.1]/router",
    ]
    listing = Listing(
        config.sources[0],
        candidates=[Candidate(link, FeedEntry(link=link, title="t")) for link in links],
        feed=ParsedFeed(title="Third party", link="https://feeds.example/", version="rss20"),
    )
    documents = fetch_documents(config, [listing])
    batches = extract_articles([listing], documents, Watch(), Window(), RUN_CLOCK)
    db = Database(config.storage.db)
    [report] = store_batches(db, "run-1", batches, RUN_CLOCK, None, config.fetch)
    assert report.failed == len(links) and report.error is None
    messages = [failure.message for failure in report.failures]
    assert all(message.startswith("refused:") for message in messages), messages
    assert "cloud metadata address 169.254.169.254" in messages[1]
    assert "loopback" in messages[0] and "private" in messages[3]
    assert source_states_by_name(db)["third-party"]["failed_items_last_run"] == len(links)
    summary = RunSummary("run-1", "daily-monitor", RUN_CLOCK, RUN_CLOCK, "db", (report,))
    assert "item failed: refused: http://169.254.169.254/" in summary.as_text()
