"""RSS 0.9x/1.0/2.0 and Atom feeds to entries and records (feedparser on bytes).

Feeds are parsed from bytes the fetcher already downloaded: feedparser's own
HTTP has no timeout, and keeping the network out keeps this module pure.
"""

from __future__ import annotations

import calendar
import html
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
import lxml.html
from lxml.etree import ParserError

from extractors.gnews import strip_source_suffix
from extractors.record import Image, Provider, Record
from extractors.text import join_paragraphs, make_excerpt, split_paragraphs
from extractors.urls import canonical_url, is_http_url, registered_domain

_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "tr",
        "section",
        "article",
        "figure",
        "figcaption",
        "ul",
        "ol",
        "table",
    ]
)
_HTML_MEDIA_TYPES = ("text/html", "application/xhtml+xml")


class FeedError(ValueError):
    """Content that is not a feed at all (an HTML page, an empty body, binary data)."""


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, as far as the feed tells."""

    link: str
    title: str = ""
    summary: str = ""
    content: str = ""
    published_at: datetime | None = None
    guid: str = ""
    author: str = ""
    categories: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    # The publisher an aggregator names for the item: RSS <source url="…">Name</source>
    # (Google News) or <News:Source> (Bing News, no URL).
    source_name: str = ""
    source_url: str = ""


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: its entries and, for a damaged feed, what was wrong."""

    title: str
    link: str
    version: str
    entries: list[FeedEntry] = field(default_factory=list)
    problem: str | None = None
    skipped: list[str] = field(default_factory=list)


def parse_feed(content: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse feed bytes into entries; a damaged feed keeps what parsed.

    Args:
        content: the response body.
        url: the feed URL (relative links are resolved against it).
        content_type: the response's media type, used to name what came back.

    Returns:
        The feed; ``problem`` describes malformed XML when entries were still recovered,
        ``skipped`` lists entries dropped for having no usable link.

    Raises:
        FeedError: when the content is not a feed at all.
    """
    if not content.strip():
        raise FeedError(f"empty response from {url}, expected a feed")
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(
        content, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    problem = _describe_bozo(parsed) if parsed.get("bozo") else None
    raw_entries = parsed.get("entries") or []
    if not parsed.get("version") and not raw_entries:
        what = (
            "an HTML page"
            if content_type.startswith(_HTML_MEDIA_TYPES) or b"<html" in content[:2048].lower()
            else f"content of type {content_type or 'unknown'}"
        )
        detail = f" ({problem})" if problem else ""
        raise FeedError(f"{url} returned {what}, not an RSS or Atom feed{detail}")
    feed_info = parsed.get("feed") or {}
    base = feed_info.get("link") or url
    entries: list[FeedEntry] = []
    skipped: list[str] = []
    for position, raw in enumerate(raw_entries, start=1):
        entry = _entry(raw, base if is_http_url(base) else url)
        if entry is None:
            skipped.append(
                f"entry {position} ({raw.get('title') or 'untitled'}) has no http(s) link"
            )
            continue
        entries.append(entry)
    if problem and raw_entries:
        problem = f"{problem}; kept {len(entries)} entries that parsed"
    return ParsedFeed(
        title=str(feed_info.get("title") or ""),
        link=str(feed_info.get("link") or ""),
        version=str(parsed.get("version") or ""),
        entries=entries,
        problem=problem,
        skipped=skipped,
    )


def entry_to_record(entry: FeedEntry, feed: ParsedFeed, provider: Provider | None = None) -> Record:
    """A record from the feed alone, for feeds that carry the article or pages that fail.

    ``content:encoded`` (or Atom ``content``) wins over the summary as the body.
    """
    # Feeds escape titles once or twice; a headline never contains markup.
    title = " ".join(html_fragment_to_text(html.unescape(entry.title)).split())
    title = strip_source_suffix(title, entry.source_name)
    body_html = entry.content or entry.summary
    paragraphs = split_paragraphs(html_fragment_to_text(body_html)) if body_html else []
    if entry.source_name:
        # Aggregators' descriptions are the headline and the publisher's name again.
        paragraphs = _without_echoes(paragraphs, title, entry.source_name)
    summary_text = " ".join(html_fragment_to_text(entry.summary).split()) if entry.summary else ""
    if entry.source_name and summary_text:
        lines = split_paragraphs(html_fragment_to_text(entry.summary))
        summary_text = " ".join(_without_echoes(lines, title, entry.source_name))
    web_url = canonical_url(entry.link)
    excerpt = (
        make_excerpt([summary_text]) if summary_text else make_excerpt(paragraphs, entry.title)
    )
    return Record(
        title=title,
        body=join_paragraphs(paragraphs),
        excerpt=excerpt,
        published_at=entry.published_at,
        original_url=entry.link,
        web_url=web_url,
        provider=provider or _entry_provider(entry, feed, web_url),
        images=entry.images,
    )


def _entry_provider(entry: FeedEntry, feed: ParsedFeed, web_url: str) -> Provider:
    """The item's publisher: the aggregator's ``<source>`` when it names one, else the feed."""
    if entry.source_name or entry.source_url:
        domain = (
            registered_domain(entry.source_url)
            if is_http_url(entry.source_url)
            else registered_domain(web_url)
        )
        return Provider(name=entry.source_name, domain=domain)
    return Provider(name=feed.title, domain=registered_domain(web_url))


def _without_echoes(paragraphs: list[str], title: str, source: str) -> list[str]:
    """Paragraphs minus a trailing publisher name and minus lines that only repeat the title."""
    kept = []
    for paragraph in paragraphs:
        text = " ".join(paragraph.split())
        if text.casefold().endswith(source.casefold()):
            text = text[: -len(source)].rstrip()
        text = strip_source_suffix(text, source)
        if text and text.casefold() != title.casefold():
            kept.append(text)
    return kept


def html_fragment_to_text(fragment: str) -> str:
    """Text of an HTML fragment with one line per block element."""
    if "<" not in fragment:
        return html.unescape(fragment)
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return fragment
    for bad in root.xpath(".//script|.//style|.//noscript"):
        bad.drop_tree()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "br":
            element.tail = "\n" + (element.tail or "")
        elif element.tag in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
            if element.text:
                element.text = "\n" + element.text
    return str(root.text_content())


def _entry(raw: Mapping[str, Any], base: str) -> FeedEntry | None:
    link = str(raw.get("link") or "")
    if not link:
        link = next(
            (str(item.get("href")) for item in raw.get("links") or [] if item.get("href")), ""
        )
    if not link and str(raw.get("id") or "").startswith(("http://", "https://")):
        # RSS guids with isPermaLink are the article URL.
        link = str(raw.get("id"))
    link = urljoin(base, link.strip()) if link else ""
    if not is_http_url(link):
        return None
    contents = raw.get("content") or []
    source = raw.get("source")
    if not isinstance(source, Mapping):
        source = {}
    content = max((str(item.get("value") or "") for item in contents), key=len, default="")
    return FeedEntry(
        link=link,
        title=str(raw.get("title") or ""),
        summary=str(raw.get("summary") or ""),
        content=content,
        published_at=_entry_time(raw),
        guid=str(raw.get("id") or ""),
        author=str(raw.get("author") or ""),
        categories=tuple(str(tag.get("term")) for tag in raw.get("tags") or [] if tag.get("term")),
        images=tuple(_entry_images(raw, link)),
        source_name=" ".join(str(source.get("title") or raw.get("news_source") or "").split()),
        source_url=str(source.get("href") or ""),
    )


def _entry_time(raw: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = raw.get(key)
        if isinstance(value, time.struct_time):
            # feedparser normalises to UTC struct_time; timegm reads it as such.
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _entry_images(raw: Mapping[str, Any], link: str) -> list[Image]:
    images: list[Image] = []
    candidates: list[Mapping[str, Any]] = [
        *(raw.get("media_content") or []),
        *(raw.get("media_thumbnail") or []),
    ]
    candidates += [
        item
        for item in raw.get("enclosures") or []
        if str(item.get("type", "")).startswith("image/")
    ]
    for item in candidates:
        url = str(item.get("url") or item.get("href") or "")
        medium = str(item.get("medium") or item.get("type") or "image")
        if not url or not medium.startswith("image"):
            continue
        url = urljoin(link, url)
        if is_http_url(url) and all(image.url != url for image in images):
            images.append(
                Image(
                    url=url,
                    width=_int_or_none(item.get("width")),
                    height=_int_or_none(item.get("height")),
                )
            )
    return images


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value)) or None
    except (TypeError, ValueError):
        return None


def _describe_bozo(parsed: Mapping[str, Any]) -> str:
    error = parsed.get("bozo_exception")
    message = str(error) if error else "malformed feed"
    line = getattr(error, "getLineNumber", None)
    if callable(line):
        try:
            return (
                f"malformed XML at line {line()}: {getattr(error, 'getMessage', lambda: message)()}"
            )
        except Exception:
            return f"malformed XML: {message}"
    return f"malformed feed: {message}"
