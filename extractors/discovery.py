"""Date-range discovery sources, parsed from bytes: GDELT DOC 2.0 article lists and news sitemaps.

Pure functions (no I/O): the fetcher downloads, these turn the bytes into feed-like
entries (``FeedEntry``) the pipeline treats like a feed's, and say which URLs to ask next.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urljoin

from lxml import etree

from extractors.feeds import FeedEntry
from extractors.urls import is_http_url

GDELT_API = "https://api.gdeltproject.org/api/v2/doc/doc"
# The DOC 2.0 API returns at most this many articles per query, newest first.
GDELT_MAX_RECORDS = 250
# A slice that comes back full is split in two, down to this length.
GDELT_MIN_SLICE = timedelta(minutes=15)
# A sitemap file may hold 50,000 URLs and 50 MB uncompressed (sitemaps.org).
SITEMAP_MAX_BYTES = 52_428_800


class DiscoveryError(ValueError):
    """A discovery response that cannot be read (not JSON, not a sitemap, an API error)."""


# ----------------------------------------------------------------------------- GDELT


def gdelt_url(query: str, start: datetime, end: datetime, api_url: str = GDELT_API) -> str:
    """The article-list URL for ``query`` published in [start, end) (UTC, second precision)."""
    parameters = {
        "query": query,
        "mode": "artlist",
        "format": "json",
        "maxrecords": str(GDELT_MAX_RECORDS),
        "sort": "datedesc",
        "startdatetime": _gdelt_time(start),
        "enddatetime": _gdelt_time(end - timedelta(seconds=1)),
    }
    return f"{api_url}?{urlencode(parameters)}"


def gdelt_slices(start: datetime, end: datetime, hours: float) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into slices of ``hours`` (the last one may be shorter)."""
    step = timedelta(hours=hours)
    slices = []
    moment = start
    while moment < end:
        slices.append((moment, min(moment + step, end)))
        moment += step
    return slices


def split_slice(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Halves of a slice whose query came back full; [] once it is as short as allowed."""
    if end - start <= GDELT_MIN_SLICE:
        return []
    middle = start + (end - start) / 2
    middle = middle.replace(microsecond=0)
    return [(start, middle), (middle, end)]


def parse_gdelt_artlist(content: bytes) -> list[FeedEntry]:
    """Entries of a GDELT DOC 2.0 ``mode=artlist&format=json`` response.

    Raises:
        DiscoveryError: the body is not the expected JSON (GDELT answers errors in plain text).
    """
    text = content.decode("utf-8", errors="replace").strip()
    if not text:
        return []  # GDELT sends an empty body when nothing matched
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise DiscoveryError(f"GDELT answered: {' '.join(text.split())[:200]}") from None
    if not isinstance(data, dict):
        raise DiscoveryError("GDELT answered JSON that is not an object")
    entries = []
    for item in data.get("articles") or []:
        if not isinstance(item, dict):
            continue
        link = str(item.get("url") or "").strip()
        if not is_http_url(link):
            continue
        entries.append(
            FeedEntry(
                link=link,
                title=" ".join(str(item.get("title") or "").split()),
                published_at=_parse_gdelt_time(str(item.get("seendate") or "")),
            )
        )
    return entries


def _gdelt_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def _parse_gdelt_time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


# ----------------------------------------------------------------------------- sitemaps


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: its URLs (as entries), or the child sitemaps of a sitemap index."""

    entries: list[FeedEntry] = field(default_factory=list)
    children: list[tuple[str, datetime | None]] = field(default_factory=list)
    skipped: int = 0


def parse_sitemap(content: bytes, url: str) -> Sitemap:
    """Parse a sitemap, news sitemap or sitemap index (plain or gzip-compressed).

    An entry's date is the news ``publication_date`` if present, else ``lastmod``.
    Entities are never expanded and no DTD or network access happens, so an
    entity-expansion ("billion laughs") file parses to nothing rather than to gigabytes.

    Raises:
        DiscoveryError: not XML, not a sitemap, or over the size limit once decompressed.
    """
    if content[:2] == b"\x1f\x8b":
        content = _gunzip(content)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
    )
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as error:
        raise DiscoveryError(f"not a sitemap: {error}") from None
    if root is None:
        raise DiscoveryError("not a sitemap: empty or unreadable XML")
    kind = etree.QName(root).localname
    if kind == "sitemapindex":
        children = []
        for node in root:
            if _local(node) != "sitemap":
                continue
            loc = urljoin(url, _child_text(node, "loc"))
            if is_http_url(loc):
                children.append((loc, _parse_w3c_date(_child_text(node, "lastmod"))))
        return Sitemap(children=children)
    if kind != "urlset":
        raise DiscoveryError(f"not a sitemap: root element <{kind}>")
    entries = []
    skipped = 0
    for node in root:
        if _local(node) != "url":
            continue
        loc = urljoin(url, _child_text(node, "loc"))
        if not is_http_url(loc):
            skipped += 1
            continue
        news = next((child for child in node if _local(child) == "news"), None)
        title = _child_text(news, "title") if news is not None else ""
        published = (
            _parse_w3c_date(_child_text(news, "publication_date")) if news is not None else None
        )
        entries.append(
            FeedEntry(
                link=loc,
                title=" ".join(title.split()),
                published_at=published or _parse_w3c_date(_child_text(node, "lastmod")),
            )
        )
    return Sitemap(entries=entries, skipped=skipped)


def _gunzip(content: bytes) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(content, SITEMAP_MAX_BYTES + 1)
    except zlib.error as error:
        raise DiscoveryError(f"broken gzip sitemap: {error}") from None
    if len(data) > SITEMAP_MAX_BYTES:
        raise DiscoveryError(f"sitemap over {SITEMAP_MAX_BYTES} bytes once decompressed")
    return data


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _child_text(node: etree._Element | None, name: str) -> str:
    if node is None:
        return ""
    for child in node:
        if _local(child) == name:
            return (child.text or "").strip()
    return ""


_W3C = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$"
)


def _parse_w3c_date(value: str) -> datetime | None:
    """A W3C datetime (``2026-11-21``, ``2026-11-21T10:00:00+01:00``) in UTC; None if unreadable."""
    match = _W3C.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment -= sign * offset
    return moment.replace(tzinfo=UTC)
