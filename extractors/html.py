"""Article pages to records: trafilatura for the body, the page's own metadata for the rest.

trafilatura finds the main text well but gives dates to the day and one image
without sizes, so metadata is read from the page's declarations first
(JSON-LD, Open Graph, ``article:published_time``, ``<link rel=canonical>``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import lxml.html
import trafilatura
from charset_normalizer import from_bytes
from lxml.etree import ParserError

from extractors.record import Image, Provider, Record, to_utc
from extractors.text import (
    MAX_EXCERPT_CHARS,
    drop_leading_headline,
    join_paragraphs,
    split_paragraphs,
    truncate,
)
from extractors.urls import canonical_url, is_http_url, registered_domain

# A date this far past the fetch time is a parsing error or a scheduled
# placeholder, never a publication date.
FUTURE_TOLERANCE = timedelta(hours=2)
# Single- and multi-byte encodings of non-Latin scripts, trusted when detected.
_NON_LATIN_ENCODINGS = frozenset(
    [
        "cp1251",
        "koi8_r",
        "koi8_u",
        "iso8859_5",
        "cp866",
        "mac_cyrillic",
        "cp1253",
        "iso8859_7",
        "cp1255",
        "iso8859_8",
        "cp1256",
        "iso8859_6",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
        "big5hkscs",
        "shift_jis",
        "cp932",
        "euc_jp",
        "iso2022_jp",
        "euc_kr",
        "cp949",
        "cp874",
        "tis_620",
        "utf_16",
        "utf_16_le",
        "utf_16_be",
        "utf_32",
    ]
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " « ", " » ")
# In order of preference: the most specific type wins when a page lists several.
_ARTICLE_TYPES = (
    "OpinionNewsArticle",
    "AnalysisNewsArticle",
    "ReportageNewsArticle",
    "LiveBlogPosting",
    "NewsArticle",
    "BlogPosting",
    "Report",
    "ScholarlyArticle",
    "TechArticle",
    "Article",
)


class ExtractionError(ValueError):
    """A page that cannot become a record (empty, binary, unparsable)."""


@dataclass
class PageMetadata:
    """What a page declares about itself, before trafilatura touches the tree."""

    title: str = ""
    site_name: str = ""
    description: str = ""
    canonical: str = ""
    amp_url: str = ""
    published: datetime | None = None
    published_has_time: bool = False
    language: str | None = None
    article_type: str = ""
    images: list[Image] = field(default_factory=list)


def decode_html(content: bytes, declared_charset: str | None = None) -> str:
    """Decode page bytes: the HTTP charset, then ``<meta charset>``, then detection.

    Raises:
        ExtractionError: if the content is empty or binary.
    """
    if not content.strip():
        raise ExtractionError("empty page")
    if b"\x00" in content[:4096] and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError("binary content, not a text or HTML document")
    candidates: list[str] = []
    if declared_charset:
        candidates.append(declared_charset)
    sniffed = _META_CHARSET.search(content[:4096])
    if sniffed:
        candidates.append(sniffed.group(1).decode("ascii", "replace"))
    for charset in candidates:
        try:
            return content.decode(_python_codec(charset))
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(content[:200_000]).best()
    if best is not None and best.encoding in _NON_LATIN_ENCODINGS:
        return content.decode(best.encoding, errors="replace")
    # Undeclared legacy pages are overwhelmingly windows-1252 (the WHATWG default
    # for Western locales); detectors confuse it with cp1250/cp1125 on short French text.
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        return content.decode(best.encoding if best else "cp1252", errors="replace")


def read_page_metadata(tree: lxml.html.HtmlElement, url: str) -> PageMetadata:
    """Collect the page's declared metadata: Open Graph, meta tags, links, JSON-LD."""
    meta = PageMetadata()
    properties: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        key = (
            (element.get("property") or element.get("name") or element.get("itemprop") or "")
            .strip()
            .lower()
        )
        content = (element.get("content") or "").strip()
        if key and content:
            properties.setdefault(key, []).append(content)

    def first(*keys: str) -> str:
        for key in keys:
            if properties.get(key):
                return properties[key][0]
        return ""

    meta.title = first("og:title", "twitter:title")
    meta.site_name = first("og:site_name", "application-name", "publisher")
    meta.description = first("og:description", "description", "twitter:description")
    meta.language = (tree.get("lang") or first("og:locale", "language") or "").split("-")[0].split(
        "_"
    )[0].lower() or None
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if not href:
            continue
        if "canonical" in rel and not meta.canonical:
            meta.canonical = urljoin(url, href)
        elif "amphtml" in rel and not meta.amp_url:
            meta.amp_url = urljoin(url, href)
    if not meta.canonical:
        meta.canonical = urljoin(url, first("og:url")) if first("og:url") else ""

    declared_time = first(
        "article:published_time",
        "og:published_time",
        "datepublished",
        "date",
        "dc.date.issued",
        "pubdate",
    )
    _set_date(meta, declared_time)

    og_image = first("og:image:secure_url", "og:image", "twitter:image")
    if og_image:
        meta.images.append(
            Image(
                url=urljoin(url, og_image),
                width=_int_or_none(first("og:image:width")),
                height=_int_or_none(first("og:image:height")),
            )
        )
    for item in _json_ld_items(tree):
        _merge_json_ld(meta, item, url)
    if meta.published is None:
        for time_element in tree.iter("time"):
            if _set_date(meta, time_element.get("datetime") or ""):
                break
    return meta


def html_to_record(
    content: bytes | str,
    url: str,
    fetched_at: datetime,
    *,
    charset: str | None = None,
) -> Record:
    """Extract an article page into a record.

    Args:
        content: the page as fetched (bytes are decoded with ``charset`` or detection).
        url: the URL the page was fetched from (after redirects).
        fetched_at: when it was fetched; no publication date may lie after it.
        charset: the charset from the HTTP Content-Type header, if any.

    Returns:
        The record; ``body`` is empty when no article text was found.

    Raises:
        ExtractionError: empty, binary or unparsable pages.
    """
    html = content if isinstance(content, str) else decode_html(content, charset)
    if not html.strip():
        raise ExtractionError("empty page")
    # lxml refuses str input that still carries an XML encoding declaration (XHTML pages).
    html = _XML_DECLARATION.sub("", html, count=1)
    try:
        tree = lxml.html.document_fromstring(html)
    except (ParserError, ValueError) as error:
        raise ExtractionError(f"unparsable HTML: {error}") from None
    meta = read_page_metadata(tree, url)
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params={
            "max_date": fetched_at.strftime("%Y-%m-%d"),
            "original_date": True,
            "extensive_search": False,
        },
    )
    paragraphs = split_paragraphs(getattr(document, "text", None) or "")

    web_url = _choose_web_url(url, meta.canonical)
    site_name = meta.site_name or (getattr(document, "sitename", None) or "")
    title = strip_site_suffix(
        meta.title or (getattr(document, "title", None) or ""), site_name, web_url
    )
    published = meta.published
    trafilatura_date = getattr(document, "date", None)
    if published is None and trafilatura_date:
        published = _parse_date(str(trafilatura_date))
    if published is not None and published > to_utc(fetched_at) + FUTURE_TOLERANCE:
        published = None
    images = list(meta.images)
    trafilatura_image = getattr(document, "image", None)
    if trafilatura_image and not any(image.url == trafilatura_image for image in images):
        images.append(Image(url=urljoin(url, trafilatura_image)))
    description = meta.description or (getattr(document, "description", None) or "")
    excerpt = truncate(" ".join(description.split()), MAX_EXCERPT_CHARS) if description else ""
    extra: dict[str, Any] = {}
    if meta.amp_url:
        extra["ampWebUrl"] = meta.amp_url
    return Record(
        title=title,
        body=drop_leading_headline(join_paragraphs(paragraphs), title),
        excerpt=excerpt,
        category=_category(meta.article_type),
        published_at=published,
        original_url=url,
        web_url=web_url,
        provider=Provider(name=site_name, domain=registered_domain(web_url)),
        images=tuple(_unique_images(images)),
        language=meta.language or (getattr(document, "language", None) or None),
        extra=extra,
    )


def strip_site_suffix(title: str, site_name: str, url: str) -> str:
    """Drop a trailing " | Site" or " - Site" that names the site, not the story."""
    title = " ".join(title.split())
    domain = registered_domain(url).split(".")[0] if url else ""
    names = {_squash(site_name), _squash(domain)} - {""}
    for separator in _TITLE_SEPARATORS:
        if separator not in title:
            continue
        head, _, tail = title.rpartition(separator)
        squashed = _squash(tail)
        if squashed and any(name in squashed or squashed in name for name in names):
            return head.strip()
    return title


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def _choose_web_url(url: str, declared: str) -> str:
    """The page's canonical URL when it is a plausible article address on the same site."""
    fallback = canonical_url(url)
    if not declared or not is_http_url(declared):
        return fallback
    candidate = canonical_url(declared)
    same_site = registered_domain(candidate) == registered_domain(fallback)
    # A canonical pointing at the home page is a CMS default, not this article.
    points_home = candidate.rstrip("/").count("/") <= 2
    return candidate if same_site and not points_home else fallback


def _json_ld_items(tree: lxml.html.HtmlElement) -> Iterator[Mapping[str, Any]]:
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text_content() or "null")
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.append(item["@graph"])
                yield item


def _merge_json_ld(meta: PageMetadata, item: Mapping[str, Any], url: str) -> None:
    types = item.get("@type")
    type_names = {types} if isinstance(types, str) else set(types or [])
    matching = [name for name in _ARTICLE_TYPES if name in type_names]
    if not matching:
        return
    meta.article_type = meta.article_type or matching[0]
    if isinstance(item.get("headline"), str) and not meta.title:
        meta.title = item["headline"]
    if not meta.published_has_time:
        _set_date(meta, str(item.get("datePublished") or ""), override=True)
    publisher = item.get("publisher")
    if (
        isinstance(publisher, dict)
        and isinstance(publisher.get("name"), str)
        and not meta.site_name
    ):
        meta.site_name = publisher["name"]
    if isinstance(item.get("description"), str) and not meta.description:
        meta.description = item["description"]
    for image in _json_ld_images(item.get("image"), url):
        if not any(known.url == image.url for known in meta.images):
            meta.images.append(image)


def _json_ld_images(value: Any, url: str) -> Iterator[Image]:
    values = value if isinstance(value, list) else [value]
    for entry in values:
        if isinstance(entry, str) and entry:
            yield Image(url=urljoin(url, entry))
        elif isinstance(entry, dict) and isinstance(entry.get("url"), str):
            yield Image(
                url=urljoin(url, entry["url"]),
                width=_int_or_none(entry.get("width")),
                height=_int_or_none(entry.get("height")),
            )


def _set_date(meta: PageMetadata, text: str, override: bool = False) -> bool:
    if meta.published is not None and not override:
        return False
    moment = _parse_date(text)
    if moment is None:
        return False
    has_time = "T" in text or ":" in text
    if meta.published is None or (has_time and not meta.published_has_time):
        meta.published, meta.published_has_time = moment, has_time
    return True


def _parse_date(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _category(article_type: str) -> str:
    if article_type == "OpinionNewsArticle":
        return "opinion"
    if article_type == "AnalysisNewsArticle":
        return "analysis"
    return "news"


def _int_or_none(value: Any) -> int | None:
    try:
        number = int(str(value).strip().removesuffix("px"))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _unique_images(images: list[Image]) -> Iterator[Image]:
    seen: set[str] = set()
    for image in images:
        if image.url in seen or not is_http_url(image.url):
            continue
        seen.add(image.url)
        yield image


def _python_codec(charset: str) -> str:
    # Browsers read pages labelled latin-1 / ascii as windows-1252 (WHATWG Encoding).
    lowered = charset.strip().lower()
    return (
        "cp1252" if lowered in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"} else lowered
    )
