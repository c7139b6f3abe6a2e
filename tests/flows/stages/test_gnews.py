"""Google News and Bing News items: link decoding protocol, feed fields, POST through the fetcher."""

from __future__ import annotations

import json
import time
from dataclasses import replace as dataclasses_replace
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from extractors import gnews
from extractors.article import Article, build_article
from extractors.feeds import entry_to_record, parse_feed
from extractors.record import Provider, Record
from extractors.relevance import Watch
from extractors.urls import article_id, canonical_url, unwrap_aggregator_link
from flows.config import parse_config
from flows.fetching.http import FetchedPage, FetchFailure, FetchSettings, send_all
from flows.fetching.http import Request as FetchRequest
from flows.stages.articles import _link_outcomes, extract_articles
from flows.stages.backfill_plan import merge_reports
from flows.stages.gnews import resolve_links
from flows.stages.types import Candidate, Document, Listing, SourceReport, Window
from storage.articles import ArticleBatch, save_batch
from storage.database import Database
from storage.gnews import DECODED, PENDING, GoogleLink

BASE = "https://news.google.com"
GID = "CBMiWkFVX3lxTE1hV0Y3c0JkUHRmZXh4UmRWN3pJWmxmVGZwV0dNdzVRa2lPUUJxYlBTbHpB0gFfQVVfeXFM"

# What Google's RSS gives for an article: a title ending in the publisher, a description
# that is the headline as a link plus the publisher's name, and a <source> element.
GOOGLE_RSS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<generator>NFE/5.0</generator>
<title>"AI regulation" - Google News</title>
<link>https://news.google.com/search?q=%22AI+regulation%22&amp;hl=en-US&amp;gl=US&amp;ceid=US:en</link>
<language>en-US</language><webMaster>news-webmaster@google.com</webMaster>
<copyright>2026 Google LLC</copyright><lastBuildDate>Sat, 22 Nov 2026 05:40:00 GMT</lastBuildDate>
<description>Google News</description>
<item><title>EU lawmakers agree on AI Act fines - Reuters</title>
<link>https://news.google.com/rss/articles/{GID}?oc=5</link>
<guid isPermaLink="false">{GID}</guid><pubDate>Fri, 21 Nov 2026 14:05:00 GMT</pubDate>
<description>&lt;a href="https://news.google.com/rss/articles/{GID}?oc=5" target="_blank"&gt;EU lawmakers agree on AI Act fines&lt;/a&gt;&amp;nbsp;&amp;nbsp;&lt;font color="#6f6f6f"&gt;Reuters&lt;/font&gt;</description>
<source url="https://www.reuters.com">Reuters</source></item>
</channel></rss>""".encode()

# A Bing News RSS item as Bing serves it: apiclick.aspx link wrapping the article,
# the publisher in <News:Source>, no suffix in the title.
BING_RSS = b"""<?xml version="1.0" encoding="utf-8" ?><rss version="2.0" xmlns:News="https://www.bing.com:443/news/search?q=%22AI+governance%22&amp;format=rss"><channel><title>"AI governance" - BingNews</title><link>https://www.bing.com:443/news/search?q=%22AI+governance%22&amp;format=rss</link><description>Search results</description><image><url>http://www.bing.com/s/a/bing_p.png</url><title>"AI governance"</title><link>https://www.bing.com:443/news/search?q=%22AI+governance%22&amp;format=rss</link></image><copyright>Copyright &#169; 2026 Microsoft. All rights reserved.</copyright>
<item><title>UN adopts first global AI governance resolution - Example Times</title><link>http://www.bing.com/news/apiclick.aspx?ref=FexRss&amp;aid=&amp;tid=69403B1E8A&amp;url=https%3a%2f%2fwww.example-times.com%2fworld%2fun-ai-resolution%3futm_source%3dbing&amp;c=1492306815463&amp;mkt=en-us</link><description>The General Assembly adopted the resolution without a vote on Thursday.</description><pubDate>Fri, 21 Nov 2026 09:12:00 GMT</pubDate><News:Source>Example Times</News:Source><News:Image>http://www.bing.com/th?id=OVFT.abc&amp;pid=News</News:Image></item>
</channel></rss>"""


# ------------------------------------------------------------------ links and their ids


@pytest.mark.parametrize(
    "url",
    [
        f"https://news.google.com/rss/articles/{GID}?oc=5",
        f"https://news.google.com/rss/articles/{GID}?oc=5&hl=en-US&gl=US&ceid=US:en",
        f"https://news.google.com/articles/{GID}",
        f"https://news.google.com/read/{GID}?hl=de",
    ],
)
def test_google_news_article_links_are_recognised_with_their_id(url: str) -> None:
    assert gnews.article_id(url) == GID
    # However the link is written, it is one URL form (one article_urls key).
    assert canonical_url(url) == f"https://news.google.com/rss/articles/{GID}"


@pytest.mark.parametrize(
    "url",
    [
        "https://news.google.com/rss/search?q=AI&hl=en-US",
        "https://news.google.com/topics/CAAqJggKIiBDQkFTRWdvSUwyMHZNRGRqTVhZU0FtVnVHZ0pWVXlnQVAB",
        f"https://www.reuters.com/rss/articles/{GID}",
        f"http://127.0.0.1:8080/rss/articles/{GID}",
        "not a url",
    ],
)
def test_other_urls_are_not_google_news_article_links(url: str) -> None:
    assert gnews.article_id(url) is None


def test_the_base_url_decides_which_host_plays_google_news() -> None:
    local = "http://127.0.0.1:8080"
    assert gnews.article_id(f"{local}/rss/articles/{GID}?oc=5", local) == GID
    assert gnews.article_id(f"http://127.0.0.1:9090/rss/articles/{GID}", local) is None
    assert gnews.article_id(f"{BASE}/rss/articles/{GID}", local) is None


def test_article_page_url_keeps_the_feeds_locale() -> None:
    feed = "https://news.google.com/rss/search?q=KI&hl=de&gl=DE&ceid=DE:de"
    url = gnews.article_page_url(GID, BASE, feed)
    assert url == f"{BASE}/rss/articles/{GID}?hl=de&gl=DE&ceid=DE%3Ade"
    assert gnews.article_page_url(GID).endswith("?hl=en-US&gl=US&ceid=US%3Aen")


# ------------------------------------------------------------------ the two requests


def test_signature_is_read_from_the_article_page() -> None:
    page = (
        "<!doctype html><html><body><c-wiz jsrenderer='x'>"
        '<div jscontroller="aLI87" data-n-a-id="x" data-n-a-sg="AZ5r3eS-sig" '
        'data-n-a-ts="1763733900"></div></c-wiz></body></html>'
    )
    assert gnews.parse_signature(page) == gnews.Signature("AZ5r3eS-sig", "1763733900")
    # The attributes moved to another element: still found.
    moved = '<html><body><main data-n-a-ts="17" data-n-a-sg="s2"></main></body></html>'
    assert gnews.parse_signature(moved) == gnews.Signature("s2", "17")
    assert gnews.parse_signature("<html><body><c-wiz><div jscontroller='x'></div>") is None


def test_batchexecute_body_has_the_garturlreq_shape() -> None:
    body = gnews.batchexecute_body(
        [("ID1", gnews.Signature("sig1", "1763733900")), ("ID2", gnews.Signature("sig2", "x9"))]
    )
    form = parse_qs(body.decode("ascii"))
    (envelopes,) = json.loads(form["f.req"][0])
    assert [envelope[0] for envelope in envelopes] == ["Fbv4je", "Fbv4je"]
    assert [envelope[3] for envelope in envelopes] == ["0", "1"]
    inner = json.loads(envelopes[0][1])
    assert inner[0] == "garturlreq"
    assert inner[1][0][7] == "US:en" and inner[1][4] == [1, 1, 1]
    assert inner[2:] == ["ID1", 1763733900, "sig1"]
    # A timestamp that is not a number is passed on as Google gave it.
    assert json.loads(envelopes[1][1])[2:] == ["ID2", "x9", "sig2"]


def _row(url: str, request_id: str | None) -> list[object]:
    return ["wrb.fr", "Fbv4je", json.dumps(["garturlres", url, 1]), None, None, None, request_id]


def framed(rows: list[list[object]], chunked: bool = True) -> str:
    """A batchexecute answer: )]}' then one JSON array, or length-prefixed chunks."""
    if not chunked:
        return ")]}'\n\n" + json.dumps(rows)
    text = ")]}'\n\n"
    for chunk in ([row] for row in rows):
        encoded = json.dumps(chunk)
        text += f"{len(encoded)}\n{encoded}\n"
    return text


def test_batchexecute_answers_are_matched_by_request_id_in_both_framings() -> None:
    rows = [
        _row("https://b.example/2", "1"),
        _row("https://a.example/1", "0"),
        ["di", 42],
        ["af.httprm", 41, "-6410373741939000000", 7],
    ]
    for chunked in (True, False):
        assert gnews.parse_batchexecute(framed(rows, chunked), ["ID1", "ID2"]) == {
            "ID1": "https://a.example/1",
            "ID2": "https://b.example/2",
        }
    # Without request ids the order of the answer is the order of the request.
    unnamed = framed([_row("https://a.example/1", None), _row("https://b.example/2", None)])
    assert gnews.parse_batchexecute(unnamed, ["ID1", "ID2"]) == {
        "ID1": "https://a.example/1",
        "ID2": "https://b.example/2",
    }


def test_batchexecute_answers_with_missing_or_bad_urls_decode_only_the_good_ones() -> None:
    rows = [_row("javascript:alert(1)", "0"), ["wrb.fr", "Fbv4je", None, None, None, "1"]]
    assert gnews.parse_batchexecute(
        framed([*rows, _row("https://c.example/", "2")]), ["a", "b", "c"]
    ) == {"c": "https://c.example/"}


@pytest.mark.parametrize("text", ["<html>sorry</html>", ")]}'\n\n", ')]}\'\n\n12\n[["wrb.fr"'])
def test_an_answer_in_another_shape_is_a_decode_error(text: str) -> None:
    with pytest.raises(gnews.DecodeError):
        gnews.parse_batchexecute(text, ["a"])


# ------------------------------------------------------------------ feed items


@pytest.mark.parametrize(
    ("title", "source", "expected"),
    [
        (
            "EU lawmakers agree on AI Act fines - Reuters",
            "Reuters",
            "EU lawmakers agree on AI Act fines",
        ),
        (
            "EU lawmakers agree - and disagree - Reuters",
            "Reuters",
            "EU lawmakers agree - and disagree",
        ),
        ("Regulators act — The Verge", "The Verge", "Regulators act"),
        ("Reuters - Reuters", "Reuters", "Reuters"),
        ("Deal reached - Politico Europe", "Reuters", "Deal reached - Politico Europe"),
        ("No suffix here", "", "No suffix here"),
    ],
)
def test_source_suffix_is_removed_only_when_it_names_the_source(
    title: str, source: str, expected: str
) -> None:
    assert gnews.strip_source_suffix(title, source) == expected


def test_google_news_item_gives_title_provider_date_and_description_text() -> None:
    feed = parse_feed(GOOGLE_RSS, "https://news.google.com/rss/search?q=x", "application/xml")
    (entry,) = feed.entries
    assert (entry.source_name, entry.source_url) == ("Reuters", "https://www.reuters.com")
    record = entry_to_record(entry, feed)
    assert record.title == "EU lawmakers agree on AI Act fines"
    assert (record.provider.name, record.provider.domain) == ("Reuters", "reuters.com")
    assert record.published_at == datetime(2026, 11, 21, 14, 5, tzinfo=UTC)
    # The description only repeats the headline and the publisher: nothing of it is body.
    assert record.body == "" and "<" not in record.excerpt and "Reuters" not in record.excerpt


def test_bing_news_item_is_unwrapped_with_its_publisher() -> None:
    feed = parse_feed(BING_RSS, "https://www.bing.com/news/search?q=x&format=rss", "text/xml")
    (entry,) = feed.entries
    article = "https://www.example-times.com/world/un-ai-resolution"
    assert unwrap_aggregator_link(entry.link) == (
        "https://www.example-times.com/world/un-ai-resolution?utm_source=bing"
    )
    assert article_id(entry.link) == article_id(article)
    record = entry_to_record(entry, feed)
    assert record.title == "UN adopts first global AI governance resolution"
    assert record.web_url == article
    assert (record.provider.name, record.provider.domain) == ("Example Times", "example-times.com")
    assert record.excerpt.startswith("The General Assembly adopted")
    assert unwrap_aggregator_link(article) is None


def test_resolving_unwraps_bing_links_so_the_publisher_is_fetched_directly(tmp_path: Path) -> None:
    config = parse_config(
        "sources:\n  - {name: bing, kind: feed, url: 'https://www.bing.com/news/search?q=x&format=rss'}\n",
        "x.yaml",
    )
    feed = parse_feed(BING_RSS, "https://www.bing.com/news/search?q=x&format=rss", "text/xml")
    (entry,) = feed.entries
    listing = Listing(config.sources[0], candidates=[Candidate(entry.link, entry)], feed=feed)
    (resolved,) = resolve_links(
        Database(tmp_path / "none.duckdb"), config, [listing], Window(), datetime.now(UTC)
    )
    (candidate,) = resolved.candidates
    assert candidate.url.startswith("https://www.example-times.com/world/un-ai-resolution")
    assert candidate.via == entry.link and not candidate.unresolved
    assert not resolved.google_links


# ------------------------------------------------------------------ POST through the fetcher


def _settings(**changes: object) -> FetchSettings:
    values: dict[str, object] = {
        "allow_private_addresses": True,
        "retries": 1,
        "backoff_seconds": 0.01,
        "read_timeout": 2.0,
        "total_timeout": 5.0,
    }
    values.update(changes)
    return FetchSettings(**values)  # type: ignore[arg-type]


def test_post_sends_its_body_and_headers(httpserver: HTTPServer) -> None:
    seen: list[tuple[str, bytes, str]] = []

    def handle(request: Request) -> Response:
        seen.append((request.method, request.get_data(), request.headers.get("Content-Type", "")))
        return Response(")]}'\n\n[]", content_type="application/json")

    httpserver.expect_request("/api", method="POST").respond_with_handler(handle)
    (result,) = send_all(
        [
            FetchRequest(
                httpserver.url_for("/api"),
                "POST",
                b"f.req=%5B%5D",
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
        ],
        _settings(),
    )
    assert isinstance(result, FetchedPage) and result.content == b")]}'\n\n[]"
    assert seen == [("POST", b"f.req=%5B%5D", "application/x-www-form-urlencoded")]


def test_two_posts_to_one_url_are_two_requests(httpserver: HTTPServer) -> None:
    bodies: list[bytes] = []

    def handle(request: Request) -> Response:
        bodies.append(request.get_data())
        return Response(request.get_data())

    httpserver.expect_request("/api", method="POST").respond_with_handler(handle)
    url = httpserver.url_for("/api")
    results = send_all(
        [FetchRequest(url, "POST", b"one"), FetchRequest(url, "POST", b"two")], _settings()
    )
    assert [r.content for r in results if isinstance(r, FetchedPage)] == [b"one", b"two"]
    assert sorted(bodies) == [b"one", b"two"]


def test_post_redirected_with_303_continues_as_get(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api", method="POST").respond_with_data(
        "", status=303, headers={"Location": "/done"}
    )
    httpserver.expect_request("/done", method="GET").respond_with_data("done")
    (result,) = send_all([FetchRequest(httpserver.url_for("/api"), "POST", b"x")], _settings())
    assert isinstance(result, FetchedPage) and result.content == b"done"


def test_post_429_honours_retry_after_then_fails_with_the_status(httpserver: HTTPServer) -> None:
    times: list[float] = []

    def handle(request: Request) -> Response:
        times.append(time.monotonic())
        return Response("slow down", status=429, headers={"Retry-After": "1"})

    httpserver.expect_request("/api", method="POST").respond_with_handler(handle)
    (result,) = send_all([FetchRequest(httpserver.url_for("/api"), "POST", b"x")], _settings())
    assert isinstance(result, FetchFailure) and result.status == 429
    assert len(times) == 2 and times[1] - times[0] >= 0.8


def test_post_to_a_private_address_is_refused_by_default(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api", method="POST").respond_with_data("no")
    (result,) = send_all(
        [FetchRequest(httpserver.url_for("/api"), "POST", b"x")],
        _settings(allow_private_addresses=False),
    )
    assert isinstance(result, FetchFailure) and result.kind == "refused_address"
    assert not httpserver.log


# ------------------------------------------------------------------ replacing a feed-only record


def _record_article(
    url: str, title: str, body: str, original: str = "", kind: str = "html"
) -> Article:
    record = Record(
        title=title,
        body=body,
        web_url=url,
        original_url=original or url,
        published_at=datetime(2026, 11, 21, 14, 5, tzinfo=UTC),
        provider=Provider("Reuters", "reuters.com"),
    )
    return build_article(
        record,
        source="google-news",
        fetched_at=datetime(2026, 11, 22, tzinfo=UTC),
        watch=Watch(),
        input_kind=kind,
    )


def test_a_feed_only_record_replaced_by_its_article_leaves_no_trace(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    now = datetime(2026, 11, 22, 6, tzinfo=UTC)
    link = f"https://news.google.com/rss/articles/{GID}?oc=5"
    title = "EU lawmakers agree on AI Act fines"
    # A feed-only record, and another short record of the same title, provider and day:
    # the two are near-copies (matched on title, provider and day) of each other.
    feed_only = _record_article(canonical_url(link), title, "", original=link, kind="feed-only")
    twin = _record_article("https://www.reuters.com/x/short", title, "Short teaser.")
    pending = GoogleLink(
        GID,
        link,
        "google-news",
        PENDING,
        article_id=feed_only.id,
        feed_only_id=feed_only.id,
        attempts=1,
    )
    save_batch(
        db, ArticleBatch(run_id="r1", seen_at=now, articles=[feed_only, twin], links=[pending])
    )
    with duckdb.connect(str(db.path), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM near_copies").fetchone() == (1,)
        (copy_of,) = connection.execute(
            "SELECT duplicate_of FROM articles WHERE duplicate_of IS NOT NULL"
        ).fetchone()  # type: ignore[misc]
        assert copy_of in {feed_only.id, twin.id}

    body = " ".join(f"Paragraph word{index} about the AI Act fines." for index in range(40))
    real = _record_article(
        "https://www.reuters.com/technology/eu-ai-act-fines", title, body, original=link
    )
    decoded = dataclasses_replace(
        pending,
        status=DECODED,
        publisher_url=real.record.web_url,
        article_id=real.id,
        feed_only_id=None,
        attempts=2,
    )
    save_batch(
        db,
        ArticleBatch(
            run_id="r2",
            seen_at=now,
            articles=[real],
            links=[decoded],
            replaced={feed_only.id: real.id},
        ),
    )
    with duckdb.connect(str(db.path), read_only=True) as connection:
        ids = {row[0] for row in connection.execute("SELECT id FROM articles").fetchall()}
        assert ids == {real.id, twin.id}
        for table, column in (
            ("article_signatures", "article_id"),
            ("story_terms", "article_id"),
            ("near_copies", "article_id"),
            ("near_copies", "other_id"),
        ):
            assert connection.execute(
                f"SELECT count(*) FROM {table} WHERE {column} = ?", [feed_only.id]
            ).fetchone() == (0,)
        # The twin is no longer a copy of a record that is gone: the full article is kept.
        assert connection.execute(
            "SELECT duplicate_of FROM articles WHERE id = ?", [twin.id]
        ).fetchone() == (real.id,)
        # Every URL form of the feed-only record leads to the article.
        assert connection.execute(
            "SELECT DISTINCT article_id FROM article_urls WHERE url = ? OR url = ?",
            [link, canonical_url(link)],
        ).fetchall() == [(real.id,)]
        assert connection.execute(
            "SELECT status, article_id, feed_only_id, attempts FROM google_news_links"
        ).fetchall() == [("decoded", real.id, None, 2)]


def test_a_backfill_sums_the_decoding_counts_of_its_days() -> None:
    def day(decoded: int, undecoded: int, problem: str | None) -> SourceReport:
        return SourceReport(
            "google-news", "feed", 3, 3, 0, 0, 0,
            links_decoded=decoded, links_undecoded=undecoded, decode_problem=problem,
        )  # fmt: skip

    (merged,) = merge_reports(
        [(date(2026, 11, 20), [day(2, 0, None)]), (date(2026, 11, 21), [day(1, 2, "HTTP 429")])]
    )
    assert (merged.links_decoded, merged.links_undecoded, merged.decode_problem) == (
        3,
        2,
        "HTTP 429",
    )


def test_an_article_outside_a_backfills_window_does_not_replace_the_feed_only_record() -> None:
    config = parse_config(
        "sources:\n  - {name: google-news, kind: feed, url: 'https://news.google.com/rss/search?q=x'}\n",
        "x.yaml",
    )
    feed = parse_feed(GOOGLE_RSS, "https://news.google.com/rss/search?q=x", "application/xml")
    (entry,) = feed.entries
    publisher = "https://www.reuters.com/technology/eu-ai-act-fines"
    link = GoogleLink(
        GID,
        entry.link,
        "google-news",
        DECODED,
        publisher_url=publisher,
        feed_only_id="00feed0only00000",
    )
    listing = Listing(
        config.sources[0],
        candidates=[Candidate(publisher, entry, via=entry.link)],
        feed=feed,
        google_links={entry.link: link},
    )
    paragraphs = "".join(
        f"<p>Lawmakers agreed on point {n} of the AI Act fines on Friday, after talks that "
        f"ran through the night in Brussels and ended with statement number {n}.</p>"
        for n in range(12)
    )
    page = (
        "<html><head><title>EU lawmakers agree on AI Act fines</title></head>"
        f"<body><article>{paragraphs}</article></body></html>"
    ).encode()
    document = Document(publisher, publisher, page, datetime(2026, 11, 22, tzinfo=UTC), "text/html")
    november_first = Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))
    (outside,) = extract_articles(
        [listing],
        {publisher: document},
        Watch(),
        november_first,
        datetime(2026, 11, 22, tzinfo=UTC),
    )
    assert outside.articles == [] and outside.skipped_out_of_window == 1
    assert _link_outcomes(outside) == ([link], {})

    (inside,) = extract_articles(
        [listing], {publisher: document}, Watch(), Window(), datetime(2026, 11, 22, tzinfo=UTC)
    )
    (article,) = inside.articles
    assert article.aliases == (publisher,) and article.record.original_url == entry.link
    links, replaced = _link_outcomes(inside)
    assert replaced == {"00feed0only00000": article.id}
    assert links[0].article_id == article.id and links[0].feed_only_id is None
