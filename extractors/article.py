"""From fetched bytes to a finished article: pick the extractor, merge feed hints, classify.

This is the one entry point the pipeline calls per item; every function here
is pure (bytes, URL and time in, record out).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from extractors.clean import RemovedLine, clean_paragraphs, learnable_line_keys
from extractors.fingerprint import content_hash
from extractors.html import ExtractionError, NotAnArticle, decode_html, html_to_record
from extractors.language import detect_language
from extractors.quality import quality_score
from extractors.record import Provider, Record
from extractors.relevance import Watch, classify
from extractors.seedformat import has_front_matter, parse_seed_document
from extractors.text import drop_leading_headline, make_excerpt, text_to_record
from extractors.urls import article_id, canonical_url, is_http_url, registered_domain, url_key

HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_MEDIA_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
# The files a folder source reads.
DOCUMENT_SUFFIXES = HTML_SUFFIXES | TEXT_SUFFIXES

__all__ = [
    "Article",
    "ExtractionError",
    "NotAnArticle",
    "RemovedLine",
    "build_article",
    "extract_document",
]


@dataclass(frozen=True)
class Article:
    """A record plus what the pipeline and storage need to know about it."""

    id: str
    url_key: str
    record: Record
    source: str
    fetched_at: datetime
    content_hash: str | None
    on_topic: bool
    relevance_reason: str
    input_kind: str
    removed: tuple[RemovedLine, ...] = ()
    line_keys: tuple[str, ...] = ()
    # Other URLs that lead to this article (the publisher URL an aggregator link resolved to).
    aliases: tuple[str, ...] = ()


def extract_document(
    content: bytes,
    *,
    url: str,
    fetched_at: datetime,
    media_type: str = "",
    charset: str | None = None,
) -> tuple[Record, str]:
    """Turn one fetched document into a record, choosing the extractor by type.

    HTML pages go to the HTML extractor; a local file (``file://``) with YAML
    front matter is read as a seed-format record; other text is plain article
    text. Text fetched over HTTP is never read as a seed record: its front
    matter would let any web page set ``quality``, ``published``, ``provider``…

    Args:
        content: the raw bytes.
        url: where they came from (http(s) or ``file://``).
        fetched_at: when they were fetched or read.
        media_type: the Content-Type's media type, if known.
        charset: the Content-Type's charset, if known.

    Returns:
        The record and the input kind (``html``, ``seed`` or ``text``).

    Raises:
        ExtractionError: empty, binary or unsupported input; a broken seed file.
    """
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    sniffed_html = content.lstrip()[:512].lower().startswith((b"<!doctype html", b"<html"))
    if (
        media_type in HTML_MEDIA_TYPES
        or suffix in HTML_SUFFIXES
        or (not media_type and sniffed_html)
    ):
        return html_to_record(content, url, fetched_at, charset=charset), "html"
    if media_type and media_type not in TEXT_MEDIA_TYPES and not media_type.startswith("text/"):
        raise ExtractionError(f"unsupported content type {media_type!r}")
    if not media_type and suffix and suffix not in TEXT_SUFFIXES:
        raise ExtractionError(
            f"unsupported file type {suffix!r} (expected .html, .htm, .txt or .md)"
        )
    text = decode_html(content, charset)
    if has_front_matter(text) and not is_http_url(url):
        try:
            return parse_seed_document(text, name=url), "seed"
        except ValueError as error:
            raise ExtractionError(str(error)) from None
    return text_to_record(text, url), "text"


def build_article(
    record: Record,
    *,
    source: str,
    fetched_at: datetime,
    watch: Watch,
    input_kind: str,
    original_url: str = "",
    hint: Record | None = None,
    provider: Provider | None = None,
    boilerplate: Mapping[str, Collection[str]] | None = None,
) -> Article:
    """Finish a record: merge what the feed said, fill defaults, classify and score.

    Values the document itself states win over the feed's (a seed-format file's
    fields are kept as written); the feed fills gaps and supplies the time of
    day that pages often lack.

    Args:
        record: the extracted record.
        source: the configured source name.
        fetched_at: when the document was fetched.
        watch: the relevance rules.
        input_kind: ``html``, ``text``, ``seed`` or ``feed``.
        original_url: the URL as first discovered (the feed link), if different.
        hint: the feed entry's own record, if any.
        provider: a provider configured for the source, overriding the page's.
        boilerplate: lines learned per provider domain (``line_key`` values) that
            the provider repeats across its articles; see ``extractors.clean``.
    """
    if hint is not None:
        record = _merge_hint(record, hint)
    if input_kind == "seed":
        # Seed files are not cleaned; elsewhere the cleaner removes headline copies and
        # says so (``removed``), so that no line of the extracted text goes unaccounted.
        record = record.with_changes(body=drop_leading_headline(record.body, record.title))
    removed: tuple[RemovedLine, ...] = ()
    line_keys: tuple[str, ...] = ()
    if input_kind != "seed" and record.body:
        record, removed, line_keys = _clean(record, fetched_at, provider, boilerplate or {})
    if not record.language and record.body:
        # Text and seed records carry no <html lang>; name the language from the text
        # itself, as HTML pages without a declaration get it ([7] item 7).
        record = record.with_changes(language=detect_language(record.body))
    if original_url:
        record = record.with_changes(original_url=original_url)
    web_url = record.web_url or record.original_url
    if web_url.startswith(("http://", "https://")):
        web_url = canonical_url(web_url)
    record = record.with_changes(web_url=web_url)
    if provider is not None and (provider.name or provider.domain):
        record = record.with_changes(
            provider=Provider(
                provider.name or record.provider.name, provider.domain or record.provider.domain
            )
        )
    elif not record.provider.domain and web_url.startswith(("http://", "https://")):
        record = record.with_changes(
            provider=Provider(record.provider.name, registered_domain(web_url))
        )
    verdict = classify(record, watch)
    record = record.with_changes(topics=kept_topics(input_kind, record.topics, verdict.topics))
    if input_kind != "seed" or not record.quality:
        record = record.with_changes(quality=quality_score(record, removed_lines=len(removed)))
    return Article(
        id=article_id(web_url),
        url_key=url_key(web_url),
        record=record,
        source=source,
        fetched_at=fetched_at,
        content_hash=content_hash(record.body),
        on_topic=verdict.on_topic,
        relevance_reason=verdict.reason,
        input_kind=input_kind,
        removed=removed,
        line_keys=line_keys,
    )


def _clean(
    record: Record,
    fetched_at: datetime,
    configured: Provider | None,
    boilerplate: Mapping[str, Collection[str]],
) -> tuple[Record, tuple[RemovedLine, ...], tuple[str, ...]]:
    """Strip boilerplate lines and lift what they said (dateline, source) into fields."""
    paragraphs = [line for line in record.body.split("\n\n") if line.strip()]
    domain = (configured.domain if configured else "") or record.provider.domain
    if not domain and record.web_url.startswith(("http://", "https://")):
        domain = registered_domain(record.web_url)
    result = clean_paragraphs(
        paragraphs,
        title=record.title,
        reference=fetched_at,
        learned=boilerplate.get(domain, frozenset()),
        kinds=record.line_kinds,
    )
    # The kinds described the extracted lines; the cleaned body has other lines.
    changes: dict[str, object] = {"body": result.body, "line_kinds": ()}
    if result.title and not record.title:
        changes["title"] = result.title
    if record.published_at is None and result.published_at is not None:
        changes["published_at"] = result.published_at
    if result.provider is not None:
        known = Provider(record.provider.name, record.provider.domain or domain)
        changes["provider"] = _with_lifted_provider(known, result.provider)
    # An excerpt taken from a line that turned out to be boilerplate must go with it.
    if not record.excerpt or _excerpt_from_removed(record.excerpt, result.removed):
        changes["excerpt"] = make_excerpt(list(result.paragraphs), result.title or record.title)
    return record.with_changes(**changes), result.removed, learnable_line_keys(paragraphs)


def kept_topics(input_kind: str, own: tuple[str, ...], judged: tuple[str, ...]) -> tuple[str, ...]:
    """The topics an article is stored with: a seed-format file's own are the user's.

    Args:
        input_kind: how the article came in (``seed``, ``html``, ``text`` …).
        own: the topics the input itself declared.
        judged: the topics the watch found.
    """
    return own if input_kind == "seed" and own else judged


def _with_lifted_provider(known: Provider, lifted: Provider) -> Provider:
    """Fill what the page's metadata left empty with what its boilerplate named.

    A page's own host wins; a lifted name only joins it when the lifted line named no
    other host (a disclaimer naming a partner site does not rename the page's publisher).
    """
    if not (known.name or known.domain):
        return lifted
    if known.name or (lifted.domain and lifted.domain != known.domain):
        return known
    return Provider(lifted.name, known.domain)


def _excerpt_from_removed(excerpt: str, removed: tuple[RemovedLine, ...]) -> bool:
    stem = excerpt.rstrip("…").strip()
    return any(line.text.startswith(stem) for line in removed)


def _merge_hint(record: Record, hint: Record) -> Record:
    published = record.published_at
    if published is None:
        published = hint.published_at
    elif (
        hint.published_at is not None
        and _is_midnight(published)
        and published.date() == hint.published_at.date()
    ):
        # Pages often give the day only; the feed knows the time.
        published = hint.published_at
    body = record.body
    if len(body.split()) < len(hint.body.split()) // 2:
        # The page gave little text (a teaser page, a failed extraction): the feed carries the article.
        body = hint.body
    return record.with_changes(
        title=record.title or hint.title,
        excerpt=record.excerpt or hint.excerpt,
        body=body,
        published_at=published,
        images=record.images or hint.images,
        provider=Provider(
            record.provider.name or hint.provider.name,
            record.provider.domain or hint.provider.domain,
        ),
    )


def _is_midnight(moment: datetime) -> bool:
    return moment.hour == moment.minute == moment.second == 0
