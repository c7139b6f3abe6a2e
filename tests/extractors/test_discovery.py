"""Date-range discovery: GDELT DOC 2.0 article lists and news sitemaps (parsers and listing)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug import Request, Response

from extractors.discovery import (
    DiscoveryError,
    gdelt_slices,
    gdelt_url,
    parse_gdelt_artlist,
    parse_sitemap,
    split_slice,
)
from flows.config import Config, load_config
from flows.stages.backfill_plan import day_window
from flows.stages.listing import list_sources
from flows.stages.types import Window
from tests.conftest import NewsSite

DAY = datetime(2026, 11, 12, tzinfo=UTC)


# ----------------------------------------------------------------------------- GDELT parser


def test_gdelt_url_asks_for_an_article_list_in_json_for_the_slice() -> None:
    url = gdelt_url('"AI Act" sourcelang:english', DAY, DAY + timedelta(hours=6))
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://api.gdeltproject.org/api/v2/doc/doc?")
    assert query["mode"] == ["artlist"] and query["format"] == ["json"]
    assert query["maxrecords"] == ["250"]
    assert query["query"] == ['"AI Act" sourcelang:english']
    assert query["startdatetime"] == ["20261112000000"]
    assert query["enddatetime"] == ["20261112055959"]


def test_gdelt_slices_and_splitting() -> None:
    slices = gdelt_slices(DAY, DAY + timedelta(days=1), 6)
    assert len(slices) == 4 and slices[0] == (DAY, DAY + timedelta(hours=6))
    assert slices[-1][1] == DAY + timedelta(days=1)
    first, second = split_slice(DAY, DAY + timedelta(hours=6))
    assert first == (DAY, DAY + timedelta(hours=3)) and second[1] == DAY + timedelta(hours=6)
    assert split_slice(DAY, DAY + timedelta(minutes=15)) == []


def test_parse_gdelt_artlist() -> None:
    body = json.dumps(
        {
            "articles": [
                {
                    "url": "https://news.example/a",
                    "title": "EU  AI Act ",
                    "seendate": "20261112T093000Z",
                    "domain": "news.example",
                },
                {"url": "javascript:alert(1)", "title": "x", "seendate": "20261112T093000Z"},
                {"url": "https://news.example/b", "title": "", "seendate": "garbage"},
            ]
        }
    ).encode()
    first, second = parse_gdelt_artlist(body)
    assert first.link == "https://news.example/a" and first.title == "EU AI Act"
    assert first.published_at == datetime(2026, 11, 12, 9, 30, tzinfo=UTC)
    assert second.published_at is None
    assert parse_gdelt_artlist(b"") == []
    assert parse_gdelt_artlist(b"{}") == []
    with pytest.raises(DiscoveryError, match="Your query was too short"):
        parse_gdelt_artlist(b"Your query was too short or too long.\n")


# ----------------------------------------------------------------------------- sitemap parser

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://news.example/2026/11/12/ai-act</loc>
    <lastmod>2026-11-13T08:00:00Z</lastmod>
    <news:news>
      <news:publication><news:name>Example</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2026-11-12T10:15:00+01:00</news:publication_date>
      <news:title>AI Act enforcement begins</news:title>
    </news:news>
  </url>
  <url><loc>/relative/page</loc><lastmod>2026-11-11</lastmod></url>
  <url><loc>https://news.example/undated</loc></url>
  <url><loc>ftp://news.example/file</loc></url>
</urlset>
"""


def test_news_sitemap_entries_use_publication_date_then_lastmod() -> None:
    sitemap = parse_sitemap(NEWS_SITEMAP, "https://news.example/news-sitemap.xml")
    first, relative, undated = sitemap.entries
    assert first.link == "https://news.example/2026/11/12/ai-act"
    assert first.title == "AI Act enforcement begins"
    assert first.published_at == datetime(2026, 11, 12, 9, 15, tzinfo=UTC)
    assert relative.link == "https://news.example/relative/page"
    assert relative.published_at == datetime(2026, 11, 11, tzinfo=UTC)
    assert undated.published_at is None
    assert sitemap.skipped == 1 and sitemap.children == []


def test_sitemap_index_and_gzip() -> None:
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>https://news.example/s1.xml.gz</loc><lastmod>2026-11-12</lastmod></sitemap>
    <sitemap><loc>https://news.example/s2.xml</loc></sitemap></sitemapindex>"""
    parsed = parse_sitemap(gzip.compress(index), "https://news.example/index.xml")
    assert parsed.children == [
        ("https://news.example/s1.xml.gz", datetime(2026, 11, 12, tzinfo=UTC)),
        ("https://news.example/s2.xml", None),
    ]


@pytest.mark.parametrize(
    "content",
    [b"<html><body>not a sitemap</body></html>", b"", b"\x00\x01binary", b"{}"],
)
def test_non_sitemaps_are_refused(content: bytes) -> None:
    with pytest.raises(DiscoveryError, match="not a sitemap"):
        parse_sitemap(content, "https://news.example/s.xml")


def test_billion_laughs_sitemap_is_not_expanded() -> None:
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
            for n in range(1, 10)
        )
        + b']><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://news.example/&lol9;</loc></url></urlset>"
    )
    sitemap = parse_sitemap(lol, "https://news.example/s.xml")
    assert all(len(entry.link) < 200 for entry in sitemap.entries)


def test_gzip_bomb_sitemap_is_refused() -> None:
    bomb = gzip.compress(b"<" + b" " * 60_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(DiscoveryError, match="bytes once decompressed"):
        parse_sitemap(bomb, "https://news.example/s.xml.gz")


# ----------------------------------------------------------------------------- listing


class FakeGdelt:
    """A GDELT DOC API stand-in: ``count`` articles spread evenly over the day, 250 newest per query."""

    def __init__(self, count: int) -> None:
        step = timedelta(days=1) / count
        self.articles = [
            {
                "url": f"https://news{n % 7}.example/story/{n}",
                "title": f"Story {n}",
                "seendate": (DAY + n * step).strftime("%Y%m%dT%H%M%SZ"),
            }
            for n in range(count)
        ]
        self.queries: list[tuple[str, str]] = []

    def __call__(self, request: Request) -> Response:
        args = request.args
        assert args["mode"] == "artlist" and args["format"] == "json"
        start, end = args["startdatetime"], args["enddatetime"]
        self.queries.append((start, end))
        inside = [
            a
            for a in self.articles
            if start <= a["seendate"].replace("T", "").replace("Z", "") <= end
        ]
        inside.sort(key=lambda a: a["seendate"], reverse=True)
        return Response(
            json.dumps({"articles": inside[: int(args["maxrecords"])]}),
            content_type="application/json",
        )


def write(tmp_path: Path, news_site: NewsSite, source_lines: list[str]) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "\n".join(
            [
                "sources:",
                *source_lines,
                "fetch:",
                "  allow_private_addresses: true",
                "  retries: 0",
                "storage:",
                f"  db: {tmp_path / 'news.duckdb'}",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def gdelt_config(tmp_path: Path, news_site: NewsSite, query: str, path: str) -> Config:
    lines = ["  - name: gdelt", "    kind: gdelt", f"    query: {query}"]
    lines += [f"    api_url: {news_site.url(path)}", "    request_interval: 0"]
    return load_config(write(tmp_path, news_site, lines))


def test_gdelt_day_is_sliced_and_full_slices_are_split(news_site: NewsSite, tmp_path: Path) -> None:
    fake = FakeGdelt(1300)  # ~325 per 6-hour slice: every slice comes back full once
    news_site.server.expect_request("/api/v2/doc/doc").respond_with_handler(fake)
    config = gdelt_config(tmp_path, news_site, "'\"AI Act\"'", "/api/v2/doc/doc")
    [listing] = list_sources(config, day_window(DAY.date()))
    assert listing.error is None, listing.error
    assert len(listing.candidates) == 1300
    assert {c.url for c in listing.candidates} == {a["url"] for a in fake.articles}
    assert len(fake.queries) == 4 + 8  # 4 slices, each split once
    assert all(q[0].startswith("20261112") for q in fake.queries)
    entry = listing.candidates[0].entry
    assert entry is not None and entry.title.startswith("Story ") and entry.published_at


def test_gdelt_error_text_fails_the_source_with_its_message(
    news_site: NewsSite, tmp_path: Path
) -> None:
    news_site.server.expect_request("/gdelt").respond_with_data(
        "Invalid query: parentheses unbalanced", content_type="text/html"
    )
    config = gdelt_config(tmp_path, news_site, "'(AI'", "/gdelt")
    [listing] = list_sources(config, day_window(DAY.date()))
    assert listing.error is not None and "parentheses unbalanced" in listing.error


def test_sitemap_index_children_older_than_the_window_are_not_fetched(
    news_site: NewsSite, tmp_path: Path
) -> None:
    base = news_site.base
    news_site.server.expect_request("/sitemap-index.xml").respond_with_data(
        f"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <sitemap><loc>{base}/old.xml</loc><lastmod>2026-10-01</lastmod></sitemap>
        <sitemap><loc>{base}/recent.xml.gz</loc><lastmod>2026-11-12T23:00:00Z</lastmod></sitemap>
        </sitemapindex>""",
        content_type="application/xml",
    )
    news_site.server.expect_request("/recent.xml.gz").respond_with_data(
        gzip.compress(
            f"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <url><loc>{base}/a</loc><lastmod>2026-11-12T10:00:00Z</lastmod></url>
            <url><loc>{base}/b</loc><lastmod>2026-11-11T10:00:00Z</lastmod></url>
            <url><loc>{base}/c</loc></url></urlset>""".encode()
        ),
        content_type="application/x-gzip",
    )
    config = load_config(
        write(
            tmp_path,
            news_site,
            ["  - name: site", "    kind: sitemap", f"    url: {base}/sitemap-index.xml"],
        )
    )
    [listing] = list_sources(config, day_window(DAY.date()))
    assert [c.url for c in listing.candidates] == [f"{base}/a"]
    assert listing.warnings == ["1 URLs without a date left out"]
    paths = [request.path for request, _ in news_site.server.log]
    assert "/old.xml" not in paths and "/recent.xml.gz" in paths

    # A daily run keeps what is dated within the last daily_hours (48 by default).
    [daily] = list_sources(config, Window(), now=DAY + timedelta(days=1, hours=12))
    assert [c.url for c in daily.candidates] == [f"{base}/a"]


def test_daily_window_of_a_discovery_source_reaches_back_to_its_cursor(
    news_site: NewsSite, tmp_path: Path
) -> None:
    base = news_site.base
    days = [DAY - timedelta(days=n) for n in range(10)]
    news_site.server.expect_request("/sitemap.xml").respond_with_data(
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(
            f"<url><loc>{base}/d{n}</loc><lastmod>{day:%Y-%m-%dT%H:%M:%SZ}</lastmod></url>"
            for n, day in enumerate(days)
        )
        + "</urlset>",
        content_type="application/xml",
    )
    config = load_config(
        write(
            tmp_path,
            news_site,
            ["  - name: site", "    kind: sitemap", f"    url: {base}/sitemap.xml"],
        )
    )
    now = DAY + timedelta(hours=1)
    recent = list_sources(config, Window(), now=now)[0]
    assert [c.url for c in recent.candidates] == [f"{base}/d0", f"{base}/d1"]  # 48 h
    behind = {"site": {"cursor": (DAY - timedelta(days=4)).replace(tzinfo=None)}}
    caught_up = list_sources(config, Window(), states=behind, now=now)[0]
    assert [c.url for c in caught_up.candidates] == [f"{base}/d{n}" for n in range(5)]
    far_behind = {"site": {"cursor": (DAY - timedelta(days=30)).replace(tzinfo=None)}}
    capped = list_sources(config, Window(), states=far_behind, now=now)[0]
    assert len(capped.candidates) == 7  # at most 7 days back: d0 .. d6 (d7 is 7 d 1 h old)
