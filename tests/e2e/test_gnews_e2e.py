"""End to end: a Google News search feed through `newswatch run`, against a local server playing Google.

The fake Google (``FakeGoogle``) serves the RSS search feed, the article pages with
their signature attributes, the batchexecute endpoint with its framing, and can
answer with a consent redirect or a 429 with Retry-After. The publishers' pages
are the fixture news site. Nothing contacts the real Google.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
from typer.testing import CliRunner
from werkzeug import Request, Response

from extractors.urls import article_id, url_key
from flows.app.cli import app
from flows.config import load_config
from storage.database import Database
from tests.conftest import LocalServer, NewsSite, run_stages

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()

# (fixture article, Google's name for the publisher, publication time in the feed)
STORIES = [
    ("policy-news.html", "Daily Ledger", datetime(2026, 11, 17, 9, 30, tzinfo=UTC)),
    (
        "think-tank.html",
        "Institute for Global Technology Policy",
        datetime(2026, 11, 18, 8, 0, tzinfo=UTC),
    ),
    ("german-news.html", "Rheinischer Bote", datetime(2026, 11, 19, 7, 15, tzinfo=UTC)),
    ("export-controls.html", "Byteline", datetime(2026, 11, 20, 16, 45, tzinfo=UTC)),
]
SIGNATURE_TS = 1763733900


def gnews_id(name: str) -> str:
    """An id in the current shape (CBMi + base64url), opaque: not the article URL."""
    return "CBMi" + base64.urlsafe_b64encode(f"AU_yqL-{name}-x".encode()).decode().rstrip("=")


class FakeGoogle:
    """news.google.com on 127.0.0.1: feed, article pages, batchexecute, consent and 429 modes."""

    def __init__(self, server: LocalServer, site: NewsSite) -> None:
        self.server = server
        self.base = server.url_for("").rstrip("/")
        self.site = site
        self.targets = {
            gnews_id(name): f"{site.url(site.manifest['articles'][name]['path'])}?utm_source=google"
            for name, _, _ in STORIES
        }
        self.page_mode = "ok"  # ok | consent
        self.post_mode = "ok"  # ok | 429
        self.feed_builds = 0
        self.changing_feed = False
        self.pages: list[tuple[float, str]] = []
        self.posts: list[tuple[float, list[str]]] = []
        self.bad_requests: list[str] = []
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    @property
    def feed_url(self) -> str:
        return f"{self.base}/rss/search?q=%22AI+regulation%22&hl=en-US&gl=US&ceid=US:en"

    def link(self, name: str) -> str:
        return f"{self.base}/rss/articles/{gnews_id(name)}?oc=5"

    def handle(self, request: Request) -> Response:
        if request.path == "/rss/search":
            return Response(self.feed(), content_type="application/xml; charset=utf-8")
        match = re.fullmatch(r"/rss/articles/([A-Za-z0-9_-]+)", request.path)
        if match and request.method == "GET":
            return self.article_page(match.group(1), request)
        if request.path == "/_/DotsSplashUi/data/batchexecute" and request.method == "POST":
            return self.batchexecute(request)
        if request.path == "/ml":
            return Response(
                "<html><body><form>Before you continue to Google</form></body></html>",
                content_type="text/html",
            )
        return Response("not found", status=404)

    def feed(self) -> bytes:
        self.feed_builds += 1
        # A changing lastBuildDate makes every run re-read the items (no "unchanged" shortcut).
        built = self.feed_builds if self.changing_feed else 0
        items = []
        for name, source, published in STORIES:
            article = self.site.manifest["articles"][name]
            link = self.link(name)
            title = f"{article['title']} - {source}"
            description = (
                f'&lt;a href="{link}" target="_blank"&gt;{article["title"]}&lt;/a&gt;'
                f'&amp;nbsp;&amp;nbsp;&lt;font color="#6f6f6f"&gt;{source}&lt;/font&gt;'
            )
            if name == "policy-news.html":
                # Google lists other coverage of the story in an <ol> for some items.
                description = (
                    f'&lt;ol&gt;&lt;li&gt;{description}&lt;/li&gt;&lt;li&gt;&lt;a href="{self.base}/rss/articles/CBMiOTHER?oc=5"&gt;'
                    "Commission names first AI Act investigators&lt;/a&gt;&amp;nbsp;&amp;nbsp;"
                    '&lt;font color="#6f6f6f"&gt;Euro Policy Wire&lt;/font&gt;&lt;/li&gt;&lt;/ol&gt;'
                )
            items.append(
                f"<item><title>{_xml(title)}</title><link>{link}</link>"
                f'<guid isPermaLink="false">{gnews_id(name)}</guid>'
                f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>"
                f"<description>{description}</description>"
                f'<source url="{self.site.base}">{_xml(source)}</source></item>'
            )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
            '<generator>NFE/5.0</generator><title>"AI regulation" - Google News</title>'
            "<link>https://news.google.com/search?q=%22AI+regulation%22&amp;hl=en-US&amp;gl=US&amp;ceid=US:en</link>"
            "<language>en-US</language><webMaster>news-webmaster@google.com</webMaster>"
            f"<lastBuildDate>Sat, 22 Nov 2026 05:{built % 60:02d}:00 GMT</lastBuildDate>"
            "<description>Google News</description>" + "".join(items) + "</channel></rss>"
        ).encode()

    def article_page(self, gid: str, request: Request) -> Response:
        self.pages.append((time.monotonic(), gid))
        if request.args.get("ceid") != "US:en" or request.args.get("hl") != "en-US":
            self.bad_requests.append(f"article page without the feed's locale: {request.url}")
        if self.page_mode == "consent":
            consent = self.base.replace("127.0.0.1", "localhost")
            return Response(
                "", status=302, headers={"Location": f"{consent}/ml?continue={request.url}"}
            )
        return Response(
            "<!doctype html><html><head><title>Google News</title></head><body>"
            '<c-wiz jsrenderer="zX7Ec" jsmodel="hc6Ubd">'
            f'<div jscontroller="aLI87" jsaction="rcuQ6b:npT2md" data-n-a-id="{gid}" '
            f'data-n-a-sg="SIG-{gid[-6:]}" data-n-a-ts="{SIGNATURE_TS}"></div></c-wiz></body></html>',
            content_type="text/html; charset=utf-8",
        )

    def batchexecute(self, request: Request) -> Response:
        form = parse_qs(request.get_data(as_text=True))
        ids: list[str] = []
        rows: list[list[Any]] = []
        try:
            (envelopes,) = json.loads(form["f.req"][0])
            for envelope in envelopes:
                rpc, inner_json, _, request_id = envelope
                inner = json.loads(inner_json)
                gid, ts, sig = inner[2], inner[3], inner[4]
                if (
                    rpc != "Fbv4je"
                    or inner[0] != "garturlreq"
                    or ts != SIGNATURE_TS
                    or sig != f"SIG-{gid[-6:]}"
                ):
                    self.bad_requests.append(f"malformed garturlreq: {envelope}")
                    continue
                ids.append(gid)
                rows.append(
                    [
                        "wrb.fr",
                        "Fbv4je",
                        json.dumps(["garturlres", self.targets[gid], 1]),
                        None,
                        None,
                        None,
                        request_id,
                    ]
                )
        except (KeyError, ValueError, TypeError) as error:
            self.bad_requests.append(f"malformed batchexecute body: {error}")
        self.posts.append((time.monotonic(), ids))
        if self.post_mode == "429":
            return Response("Too many requests", status=429, headers={"Retry-After": "1"})
        rows += [["di", 38], ["af.httprm", 37, "-8437447018710617000", 22]]
        text = ")]}'\n\n"
        for chunk in (rows[:-2], rows[-2:]):
            encoded = json.dumps(chunk)
            text += f"{len(encoded)}\n{encoded}\n"
        return Response(text, content_type="application/json; charset=utf-8")


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


@pytest.fixture
def google(news_site: NewsSite) -> Iterator[FakeGoogle]:
    server = LocalServer(host="127.0.0.1", threaded=True)
    server.start()
    try:
        yield FakeGoogle(server, news_site)
    finally:
        server.clear()
        server.stop()


def write_config(
    path: Path, db: Path, feeds: list[tuple[str, str]], google: FakeGoogle, decode: bool = True
) -> Path:
    lines = ["sources:"]
    for name, url in feeds:
        lines += [f"  - name: {name}", "    kind: feed", f"    url: {url!r}"]
    lines += [
        "fetch:",
        "  allow_private_addresses: true",
        "  retries: 1",
        "  backoff_seconds: 0.01",
        "  read_timeout: 2.0",
        "  total_timeout: 5.0",
        "storage:",
        f"  db: {db}",
        "google_news:",
        f"  base_url: {google.base}",
        "  request_interval: 0.2",
        "  batch_size: 3",
        f"  decode: {'true' if decode else 'false'}",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def newswatch(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def rows(db: Path, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


def canonical(site: NewsSite, name: str) -> str:
    return str(site.article(name)["canonical"])


def test_google_news_items_are_stored_under_the_publishers_urls_and_decoded_once(
    news_site: NewsSite, google: FakeGoogle, tmp_path: Path
) -> None:
    db = tmp_path / "news.duckdb"
    google.changing_feed = True
    # Day 1: the publisher's own feed delivers the policy story.
    own = write_config(
        tmp_path / "own.yaml", db, [("ledger", news_site.feed_url("rss091.xml"))], google
    )
    assert newswatch("run", "--config", str(own)).exit_code == 0
    policy_id = article_id(canonical(news_site, "policy-news.html"))
    assert rows(db, "SELECT count(*) FROM articles WHERE id = ?", [policy_id]) == [(1,)]

    # Day 2: the Google News search feed too.
    both = write_config(
        tmp_path / "both.yaml",
        db,
        [("ledger", news_site.feed_url("rss091.xml")), ("google-news", google.feed_url)],
        google,
    )
    result = newswatch("run", "--config", str(both))
    assert result.exit_code == 0, result.output
    assert google.bad_requests == []
    # Four article pages, then one POST per batch of 3 (batch_size), the pages spaced 0.2 s.
    assert sorted(gid for _, gid in google.pages) == sorted(google.targets)
    assert [len(ids) for _, ids in google.posts] == [3, 1]
    starts = sorted(moment for moment, _ in google.pages + [(t, "") for t, _ in google.posts])
    # Measured at the server, where scheduling on a loaded machine shifts single starts a
    # little: unspaced requests would arrive within milliseconds of each other.
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.1
    assert starts[-1] - starts[0] >= 0.8  # five gaps of 0.2 s

    for name, source, _ in STORIES:
        url = canonical(news_site, name)
        (row,) = rows(
            db,
            "SELECT web_url, original_url, provider_name, provider_domain, input_kind, title "
            "FROM articles WHERE id = ?",
            [article_id(url)],
        )
        web_url, original_url, provider, domain, kind, title = row
        assert web_url == url and kind == "html"
        assert title == news_site.article(name)["title"]
        if name == "policy-news.html":
            # Stored from the publisher's own feed yesterday: recognised, not stored again.
            assert original_url == news_site.url(news_site.manifest["articles"][name]["path"])
        else:
            assert original_url == google.link(name)
            assert (provider, domain) == (source, urlsplit(news_site.base).hostname)
        # The Google link is one of the article's URL forms.
        assert rows(
            db,
            "SELECT article_id FROM article_urls WHERE url_key = ?",
            [url_key(google.link(name))],
        ) == [(article_id(url),)]
    assert rows(db, "SELECT count(*) FROM articles") == [(5,)]  # 2 from the own feed + 3 new
    assert rows(db, "SELECT count(*) FROM articles WHERE title LIKE '% - %'") == [(0,)]
    assert rows(db, "SELECT status, count(*) FROM google_news_links GROUP BY status") == [
        ("decoded", 4)
    ]

    # Day 3: the feed lists the same links again (its body changed): nothing is decoded again.
    pages, posts = len(google.pages), len(google.posts)
    before = rows(
        db, "SELECT * EXCLUDE (last_seen_at, last_run_id, seen_count) FROM articles ORDER BY id"
    )
    again = newswatch("run", "--config", str(both))
    assert again.exit_code == 0, again.output
    assert (len(google.pages), len(google.posts)) == (pages, posts)
    assert (
        rows(
            db, "SELECT * EXCLUDE (last_seen_at, last_run_id, seen_count) FROM articles ORDER BY id"
        )
        == before
    )
    assert google.feed_builds >= 2

    health = newswatch("sources", "--config", str(both))
    assert re.search(r"google-news .* 4/0/0(  |$)", health.output, re.M), health.output


def test_undecodable_links_become_feed_only_records_and_are_upgraded_later(
    news_site: NewsSite, google: FakeGoogle, tmp_path: Path
) -> None:
    db = tmp_path / "news.duckdb"
    config = write_config(tmp_path / "google.yaml", db, [("google-news", google.feed_url)], google)

    # Run 1: Google sends the article pages to its consent page.
    google.page_mode = "consent"
    first = newswatch("run", "--config", str(config))
    assert first.exit_code == 0, first.output
    assert "google-news: Google News decoding failing: 4 of 4 links not decoded" in first.output
    assert "consent or refusal page" in first.output
    # The whole first batch failed: the second batch waited for the next run.
    assert len(google.pages) == 3 and google.posts == []
    records = rows(
        db,
        "SELECT original_url, web_url, title, provider_name, provider_domain, published_at, excerpt, body "
        "FROM articles WHERE input_kind = 'feed-only' ORDER BY published_at",
    )
    assert len(records) == 4
    for (original, web_url, title, provider, domain, published, excerpt, body), (
        name,
        source,
        when,
    ) in zip(records, STORIES, strict=True):
        assert original == google.link(name)
        assert web_url.startswith(google.base + "/rss/articles/")
        assert title == news_site.article(name)["title"]  # no " - Publisher"
        assert (provider, domain) == (source, urlsplit(news_site.base).hostname)
        assert published == when.replace(tzinfo=None)
        # The description only repeats the headline and publisher, except for the related list.
        assert "<" not in excerpt and "&nbsp" not in excerpt and source not in excerpt
        assert "<" not in body
    assert [record[6] for record in records[1:]] == ["", "", ""]
    assert records[0][6] == "Commission names first AI Act investigators Euro Policy Wire"
    health = newswatch("sources", "--config", str(config))
    assert re.search(r"google-news .* 0/4/0(  |$)", health.output, re.M), health.output

    # Run 2: the pages answer, but batchexecute is rate-limited (429, Retry-After: 1).
    # The feed has not changed: the pending links are retried from the database.
    google.page_mode, google.post_mode = "ok", "429"
    second = newswatch("run", "--config", str(config))
    assert second.exit_code == 0, second.output
    assert "HTTP 429" in second.output and "Google News decoding failing" in second.output
    retried = [moment for moment, _ in google.posts]
    assert len(retried) == 2 and retried[1] - retried[0] >= 0.8  # Retry-After: 1 honoured
    assert rows(db, "SELECT count(*) FROM articles WHERE input_kind = 'feed-only'") == [(4,)]

    # Run 3: Google works again: every feed-only record becomes the publisher's article.
    google.post_mode = "ok"
    third = newswatch("run", "--config", str(config))
    assert third.exit_code == 0, third.output
    assert "decoding failing" not in third.output
    assert google.bad_requests == []
    assert rows(db, "SELECT count(*) FROM articles WHERE input_kind = 'feed-only'") == [(0,)]
    assert rows(db, "SELECT count(*) FROM articles") == [(4,)]
    for name, source, _ in STORIES:
        url = canonical(news_site, name)
        (row,) = rows(
            db,
            "SELECT original_url, provider_name, input_kind FROM articles WHERE id = ?",
            [article_id(url)],
        )
        assert row == (google.link(name), source, "html")
        assert rows(
            db,
            "SELECT article_id FROM article_urls WHERE url_key = ?",
            [url_key(google.link(name))],
        ) == [(article_id(url),)]
    # No index entry of a replaced record is left behind.
    assert rows(
        db,
        "SELECT count(*) FROM article_signatures s ANTI JOIN articles a ON a.id = s.article_id",
    ) == [(0,)]
    assert rows(
        db,
        "SELECT count(*) FROM google_news_links WHERE status = 'decoded' AND feed_only_id IS NULL",
    ) == [(4,)]
    health = newswatch("sources", "--config", str(config))
    assert re.search(r"google-news .* 4/0/0(  |$)", health.output, re.M), health.output

    # Run 4: nothing left to do.
    pages, posts = len(google.pages), len(google.posts)
    fourth = newswatch("run", "--config", str(config))
    assert fourth.exit_code == 0, fourth.output
    assert (len(google.pages), len(google.posts)) == (pages, posts)


def test_a_feed_only_record_whose_article_came_through_the_publishers_feed_is_merged_into_it(
    news_site: NewsSite, google: FakeGoogle, tmp_path: Path
) -> None:
    db_path = tmp_path / "news.duckdb"
    db = Database(db_path)
    google_only = load_config(
        write_config(tmp_path / "google.yaml", db_path, [("google-news", google.feed_url)], google)
    )
    own_feed = load_config(
        write_config(
            tmp_path / "own.yaml", db_path, [("ledger", news_site.feed_url("rss091.xml"))], google
        )
    )
    google.page_mode = "consent"
    run_stages(google_only, db)
    assert rows(db_path, "SELECT count(*) FROM articles WHERE input_kind = 'feed-only'") == [(4,)]
    # The publisher's own feed brings the policy story while its Google link is still pending.
    run_stages(own_feed, db)
    policy = article_id(canonical(news_site, "policy-news.html"))
    assert rows(db_path, "SELECT input_kind FROM articles WHERE id = ?", [policy]) == [("html",)]

    google.page_mode = "ok"
    fetched_before = len(news_site.server.log)
    reports = run_stages(google_only, db)
    assert [(r.links_decoded, r.links_undecoded, r.decode_problem) for r in reports] == [
        (4, 0, None)
    ]
    # The policy page was not fetched again: it was known under the decoded URL.
    policy_path = news_site.manifest["articles"]["policy-news.html"]["path"]
    assert policy_path not in [r.path for r, _ in news_site.server.log[fetched_before:]]
    assert rows(db_path, "SELECT count(*) FROM articles WHERE input_kind = 'feed-only'") == [(0,)]
    assert rows(db_path, "SELECT count(*) FROM articles") == [(5,)]
    assert rows(
        db_path,
        "SELECT article_id FROM article_urls WHERE url_key = ?",
        [url_key(google.link("policy-news.html"))],
    ) == [(policy,)]
    assert rows(db_path, "SELECT original_url FROM articles WHERE id = ?", [policy]) == [
        (news_site.url(news_site.manifest["articles"]["policy-news.html"]["path"]),)
    ]
    assert rows(
        db_path,
        "SELECT article_id, feed_only_id FROM google_news_links WHERE gnews_id = ?",
        [gnews_id("policy-news.html")],
    ) == [(policy, None)]


def test_with_decoding_off_google_is_never_asked_and_items_are_feed_only(
    news_site: NewsSite, google: FakeGoogle, tmp_path: Path
) -> None:
    db_path = tmp_path / "news.duckdb"
    config = load_config(
        write_config(
            tmp_path / "g.yaml", db_path, [("google-news", google.feed_url)], google, decode=False
        )
    )
    (report,) = run_stages(config, Database(db_path))
    assert (report.new, report.failed, report.links_decoded) == (4, 0, 0)
    assert google.pages == [] and google.posts == []
    assert rows(db_path, "SELECT count(*) FROM articles WHERE input_kind = 'feed-only'") == [(4,)]
    # The Google links themselves were never fetched as pages either.
    assert not [r for r, _ in google.server.log if r.path.startswith("/rss/articles/")]
