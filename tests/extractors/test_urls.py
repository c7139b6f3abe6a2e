"""Tests for extractors.urls: one article, many URLs, one identity."""

from __future__ import annotations

import pytest
import yaml

from extractors.urls import (
    article_id,
    canonical_url,
    is_http_url,
    registered_domain,
    url_key,
)
from tests.support.paths import SEEDS

SEED_000 = SEEDS / "000_1866282a761c14d8.txt"


def _seed_related() -> dict[str, str]:
    front = SEED_000.read_text(encoding="utf-8").split("---\n")[1]
    related: dict[str, str] = yaml.safe_load(front)["related"][0]
    return related


FIRSTPOST = (
    "https://www.firstpost.com/opinion/"
    "bhashini-how-it-encourages-national-integration-in-an-ai-enabled-way-13543032.html"
)
ARTICLE = "https://www.example.com/world/2024/eu-ai-act"


# --- the seed's three addresses of one story ----------------------------------


def test_seed_000_related_web_amp_and_cdn_urls_are_one_article() -> None:
    related = _seed_related()
    web, amp, cdn = related["webUrl"], related["ampWebUrl"], related["cdnAmpWebUrl"]

    assert canonical_url(amp) == web
    assert canonical_url(cdn) == web
    assert url_key(web) == url_key(amp) == url_key(cdn)
    assert article_id(web) == article_id(amp) == article_id(cdn)


def test_amp_cache_address_with_escaped_hyphens_is_the_article() -> None:
    cdn = "https://my--site-example-com.cdn.ampproject.org/c/s/my-site.example.com/a/b/amp"

    assert url_key(cdn) == url_key("https://my-site.example.com/a/b")


# --- variants that must collapse onto the article URL -------------------------


@pytest.mark.parametrize(
    "variant",
    [
        ARTICLE,
        "HTTPS://WWW.EXAMPLE.COM/world/2024/eu-ai-act",
        "https://www.example.com:443/world/2024/eu-ai-act",
        "http://www.example.com:80/world/2024/eu-ai-act",
        "https://www.example.com/world/2024/eu-ai-act#comments",
        "https://www.example.com/world/2024/eu-ai-act/",
        "https://www.example.com/world/2024//eu-ai-act",
        "https://www.example.com./world/2024/eu-ai-act",
        "  https://www.example.com/world/2024/eu-ai-act\n",
        "https://www.example.com/world/2024/eu-ai-act?utm_source=twitter&utm_medium=social&utm_campaign=x",
        "https://www.example.com/world/2024/eu-ai-act?fbclid=IwAR0abc",
        "https://www.example.com/world/2024/eu-ai-act?gclid=Cj0KCQ",
        "https://www.example.com/world/2024/eu-ai-act?UTM_Source=news&mc_cid=1&_ga=2.1",
        "https://www.example.com/world/2024/eu-ai-act/amp",
        "https://www.example.com/world/2024/eu-ai-act/amp/",
        "https://www.example.com/world/2024/eu-ai-act.amp",
        "https://www.example.com/world/2024/eu-ai-act.amp.html",
        "https://www.example.com/world/2024/eu-ai-act?amp=1",
        "https://www.example.com/world/2024/eu-ai-act?amp",
        "https://www.example.com/amp/world/2024/eu-ai-act",
        "https://amp.example.com/world/2024/eu-ai-act",
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/world/2024/eu-ai-act/amp",
        "https://www-example-com.cdn.ampproject.org/v/s/www.example.com/world/2024/eu-ai-act/amp",
        "http://example.com/world/2024/eu-ai-act",
        "https://example.com/world/2024/eu-ai-act",
    ],
)
def test_variants_of_one_article_share_key_and_id(variant: str) -> None:
    assert url_key(variant) == "example.com/world/2024/eu-ai-act"
    assert article_id(variant) == article_id(ARTICLE)


def test_canonical_url_keeps_the_real_address_scheme_www_and_trailing_slash() -> None:
    assert canonical_url("HTTPS://WWW.Example.COM:443/a/b#x") == "https://www.example.com/a/b"
    assert canonical_url("http://Example.com/a") == "http://example.com/a"
    # the stored web_url keeps the publisher's form; only url_key ignores the slash
    assert canonical_url("https://www.example.com/a/b/") == "https://www.example.com/a/b/"
    assert url_key("https://www.example.com/a/b/") == url_key("https://www.example.com/a/b")


def test_tracking_params_removed_and_real_params_kept_and_sorted() -> None:
    url = (
        "https://news.example.org/story?utm_source=rss&p=2&fbclid=abc&id=42"
        "&gclid=xyz&utm_campaign=daily#top"
    )

    assert canonical_url(url) == "https://news.example.org/story?id=42&p=2"
    assert url_key(url) == "news.example.org/story?id=42&p=2"


def test_query_order_does_not_change_identity() -> None:
    assert article_id("https://x.example/s?id=42&p=2") == article_id(
        "https://x.example/s?p=2&id=42"
    )


def test_repeated_params_are_kept_and_sorted() -> None:
    assert canonical_url("https://x.example/s?b=1&a=2&a=1") == "https://x.example/s?a=1&a=2&b=1"


def test_non_default_port_is_kept() -> None:
    assert canonical_url("http://example.com:8080/a") == "http://example.com:8080/a"
    assert url_key("http://example.com:8080/a") != url_key("http://example.com/a")


def test_home_page_keeps_its_slash_and_key_is_bare_host() -> None:
    assert canonical_url("https://www.example.com") == "https://www.example.com/"
    assert url_key("https://www.example.com/") == "example.com"


@pytest.mark.parametrize(
    "path", ["/camp", "/a/amp-news", "/ampersand/x", "/example/lamp", "/sample.ampx"]
)
def test_words_containing_amp_are_not_treated_as_amp_markers(path: str) -> None:
    assert canonical_url(f"https://example.com{path}") == f"https://example.com{path}"


# --- different articles -------------------------------------------------------


@pytest.mark.parametrize(
    "other",
    [
        "https://www.example.com/world/2024/eu-ai-act-2",
        "https://www.example.com/world/2023/eu-ai-act",
        "https://www.example.org/world/2024/eu-ai-act",
        "https://news.example.com/world/2024/eu-ai-act",
        "https://www.example.com/world/2024/EU-AI-Act",
        "https://www.example.com/world/2024/eu-ai-act?id=2",
    ],
)
def test_different_articles_get_different_ids(other: str) -> None:
    assert article_id(other) != article_id(ARTICLE)


def test_article_id_is_sixteen_hex_digits_and_stable() -> None:
    ident = article_id(FIRSTPOST)

    assert len(ident) == 16
    assert int(ident, 16) >= 0
    assert ident == article_id(FIRSTPOST)


def test_id_param_values_distinguish_articles() -> None:
    assert article_id("https://x.example/view?id=1") != article_id("https://x.example/view?id=2")


# --- aggregator wrappers -------------------------------------------------------


def test_bing_news_apiclick_link_is_unwrapped() -> None:
    bing = (
        "https://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=6F2A9C&"
        "url=https%3a%2f%2fwww.example.com%2fworld%2f2024%2feu-ai-act%3futm_source%3dbing"
        "&c=1234567890&mkt=en-us"
    )

    assert canonical_url(bing) == ARTICLE
    assert article_id(bing) == article_id(ARTICLE)


def test_double_encoded_wrapped_url_is_unwrapped() -> None:
    bing = "https://www.bing.com/news/apiclick.aspx?url=https%253A%252F%252Fexample.com%252Fa"

    assert canonical_url(bing) == "https://example.com/a"


@pytest.mark.parametrize(
    "wrapped",
    [
        "https://www.google.com/url?rct=j&sa=t&url=https://www.example.com/world/2024/eu-ai-act&ct=ga",
        "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.example.com%2Fworld%2F2024%2Feu-ai-act&h=AT0",
    ],
)
def test_other_aggregator_wrappers_are_unwrapped(wrapped: str) -> None:
    assert canonical_url(wrapped) == ARTICLE


def test_wrapper_with_non_http_target_is_not_unwrapped() -> None:
    wrapped = "https://www.bing.com/news/apiclick.aspx?url=javascript:alert(1)"

    assert canonical_url(wrapped).startswith("https://www.bing.com/news/apiclick.aspx?")


# --- non-http URLs ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///work/seeds/documents/000_1866282a761c14d8.txt",
        "file:///tmp/Some%20File.HTML#frag",
        "mailto:desk@example.com",
        "urn:uuid:1234",
    ],
)
def test_non_http_urls_are_returned_unchanged(url: str) -> None:
    assert canonical_url(url) == url
    assert url_key(url) == url


def test_non_http_url_is_only_stripped_of_surrounding_whitespace() -> None:
    assert canonical_url("  file:///tmp/a.txt\n") == "file:///tmp/a.txt"


def test_distinct_files_get_distinct_ids() -> None:
    assert article_id("file:///a/1.txt") != article_id("file:///a/2.txt")


# --- idempotence (hypothesis is not installed: a fixed sample instead) --------

IDEMPOTENCE_SAMPLE = [
    ARTICLE,
    FIRSTPOST + "/amp",
    _seed_related()["cdnAmpWebUrl"],
    "HTTPS://WWW.Example.COM:443/a/b/?utm_source=x&id=3&fbclid=1&p=2#frag",
    "http://example.com:8080/a//b/",
    "https://example.com/a?q=a+b&q=c%20d&z=%2F",
    "https://example.com/a?flag",
    "https://example.com/a%20b/caf%C3%A9",
    "https://example.com/päth/ü?x=ß",
    "https://amp.example.com/amp/a/b.amp.html?amp=1",
    "https://www.bing.com/news/apiclick.aspx?url=https%3a%2f%2fexample.com%2fx%3fid%3d1",
    "https://example.com",
    "https://example.com/?",
    "file:///tmp/x.txt",
]


@pytest.mark.parametrize("url", IDEMPOTENCE_SAMPLE)
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)

    assert canonical_url(once) == once
    assert url_key(once) == url_key(url)


# --- edge cases (regressions of bugs found while writing these tests) ---------


def test_amp_viewer_url_with_viewer_params_is_the_article() -> None:
    viewer = (
        "https://www-example-com.cdn.ampproject.org/v/s/www.example.com/world/2024/eu-ai-act/amp"
        "?amp_js_v=0.1&usqp=mq331AQIKAGwASCAAgM%3D"
    )

    assert article_id(viewer) == article_id(ARTICLE)


def test_amp_prefix_is_not_stripped_from_a_two_label_host() -> None:
    assert canonical_url("https://amp.dev/documentation/") == "https://amp.dev/documentation/"
    assert url_key("https://amp.dev/documentation/") == "amp.dev/documentation"


def test_ipv6_host_keeps_its_brackets() -> None:
    once = canonical_url("https://[::1]:8443/a")

    assert once == "https://[::1]:8443/a"
    assert canonical_url(once) == once


@pytest.mark.parametrize("url", ["https://example.com:abc/x", "https://example.com:99999/x"])
def test_malformed_port_does_not_raise(url: str) -> None:
    assert is_http_url(url)
    assert canonical_url(url) == url


# --- registered_domain, is_http_url -------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.foreignaffairs.com/premature-quest", "foreignaffairs.com"),
        ("www.foreignaffairs.com", "foreignaffairs.com"),
        ("https://amp.theguardian.com/x", "theguardian.com"),
        ("https://m.bbc.co.uk/news", "bbc.co.uk"),
        ("https://EXAMPLE.org./x", "example.org"),
        ("https://news.example.com/x", "news.example.com"),
        ("www.com", "www.com"),
        ("http://localhost:8000/x", "localhost"),
        ("file:///tmp/a.txt", ""),
    ],
)
def test_registered_domain(value: str, expected: str) -> None:
    assert registered_domain(value) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x", True),
        ("HTTP://A.EXAMPLE", True),
        ("  https://a.example/x  ", True),
        ("http://127.0.0.1:8000/", True),
        ("ftp://a.example/x", False),
        ("file:///x", False),
        ("https:///x", False),
        ("//a.example/x", False),
        ("/relative/path", False),
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_is_http_url(url: str, expected: bool) -> None:
    assert is_http_url(url) is expected
