"""The stages after listing: skip what is known, fetch, extract, store.

Each stage works on a whole run's batch (every source at once) so that
fetching is concurrent and Prefect's per-task overhead stays constant. A
problem with one source or one item is recorded and the batch goes on.
Listing the sources is in ``flows.stages.listing``, resolving aggregator links
in ``flows.stages.gnews``, splitting a backfill into days in
``flows.stages.backfill_plan``; the data they pass on is in ``flows.stages.types``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from extractors.article import Article, NotAnArticle, build_article, extract_document
from extractors.feeds import entry_to_record
from extractors.html import ExtractionError
from extractors.record import Provider, Record
from extractors.relevance import Watch
from extractors.urls import (
    canonical_url,
    is_http_url,
    redact,
    redact_data,
    strip_credentials,
)
from flows.config import AnySource, Config, FetchConfig, FolderSource, GdeltSource
from flows.fetching.http import FetchFailure, fetch_all
from flows.stages.settings import fetch_settings
from flows.stages.types import (
    FEED_ONLY,
    MAX_LISTED_FAILURES,
    Candidate,
    Document,
    ItemFailure,
    Listing,
    RejectedPage,
    SourceBatch,
    SourceReport,
    Window,
)
from storage.articles import ArticleBatch, known_articles, published_times, row_problem, save_batch
from storage.boilerplate import known_rejections, learned_boilerplate
from storage.database import Store
from storage.dedup import DedupSettings
from storage.gnews import DECODED, GoogleLink
from storage.raw import RawPage
from storage.sources import SourceUpdate

logger = logging.getLogger(__name__)

# A feed body this long stands in for a page that turned out to be a wall or a shell.
FEED_BODY_FOR_ARTICLE_WORDS = 80


def mark_known(
    db: Store,
    listings: Sequence[Listing],
    refresh: bool = False,
    window: Window | None = None,
) -> list[Listing]:
    """Note which candidates are stored or were rejected already, so they are not fetched again.

    In a backfill (``window`` restricts dates), a stored article dated outside the window
    (by its feed entry, else by what was stored) is dropped from its listing: like an entry
    the feed dates outside the range, it was not seen in that range, so it is neither
    counted nor marked seen again. Undated ones are outside, as new undated items are.
    """
    if refresh:
        return list(listings)
    urls = [candidate.url for listing in listings for candidate in listing.candidates]
    known = known_articles(db, urls)
    rejected = known_rejections(db, urls)
    if window is not None and window.is_backfill:
        dates = published_times(db, set(known.values()))
        for listing in listings:
            listing.candidates = [
                candidate
                for candidate in listing.candidates
                if candidate.url not in known
                or window.contains(_known_date(candidate, dates.get(known[candidate.url])))
            ]
    for listing in listings:
        listing.known = {
            candidate.url: known[candidate.url]
            for candidate in listing.candidates
            if candidate.url in known
        }
        listing.rejected_before = {
            candidate.url: rejected[candidate.url]
            for candidate in listing.candidates
            if candidate.url in rejected and candidate.url not in known
        }
    return list(listings)


def _known_date(candidate: Candidate, stored: datetime | None) -> datetime | None:
    if candidate.entry is not None and candidate.entry.published_at is not None:
        return candidate.entry.published_at
    return stored


def fetch_documents(
    config: Config, listings: Sequence[Listing]
) -> dict[str, Document | ItemFailure]:
    """Download (concurrently) or read every candidate that is not stored yet.

    Feed sources configured with ``fetch_articles: false`` are skipped: their
    records come from the feed itself. Files are held to ``fetch.max_response_bytes``
    like pages are.
    """
    results: dict[str, Document | ItemFailure] = {}
    web_urls: list[str] = []
    for listing in listings:
        if listing.error:
            continue
        for candidate in listing.to_fetch:
            if candidate.unresolved:
                continue  # a feed-only record: there is no page to fetch
            if isinstance(listing.source, FolderSource):
                results[candidate.url] = _read_file(candidate.url, config.fetch.max_response_bytes)
            elif getattr(listing.source, "fetch_articles", True):
                web_urls.append(candidate.url)
    unique_urls = list(dict.fromkeys(web_urls))
    for url, response in zip(
        unique_urls, fetch_all(unique_urls, fetch_settings(config)), strict=True
    ):
        if isinstance(response, FetchFailure):
            results[url] = ItemFailure(url, response.message)
        else:
            results[url] = Document(
                url=url,
                final_url=response.final_url,
                content=response.content,
                fetched_at=response.fetched_at,
                media_type=response.content_type,
                charset=response.charset,
                status=response.status,
                headers=response.headers,
            )
    return results


def extract_articles(
    listings: Sequence[Listing],
    documents: dict[str, Document | ItemFailure],
    watch: Watch,
    window: Window,
    now: datetime,
    boilerplate: Mapping[str, frozenset[str]] | None = None,
    memo: dict[str, Article | None] | None = None,
) -> list[SourceBatch]:
    """Turn every fetched document into an article; failures are collected per source.

    Pages that are not articles (404s, section fronts, walls, empty shells) are
    collected as rejected pages with their reason; ``boilerplate`` holds the
    lines each provider repeats, learned from stored articles. ``memo`` carries
    outcomes across the days of a backfill: an item extracted on an earlier day
    (and found to lie outside it) is not extracted again, and one that failed is
    not reported again (None).
    """
    batches = []
    for listing in listings:
        batch = SourceBatch(listing)
        batches.append(batch)
        if listing.error:
            continue
        provider = _configured_provider(listing.source)
        for candidate in listing.to_fetch:
            if memo is not None and candidate.url in memo:
                remembered = memo[candidate.url]
                if remembered is not None:
                    _place(batch, candidate, remembered, window)
                continue
            document = documents.get(candidate.url)
            if isinstance(document, Document) and is_http_url(document.url):
                batch.raw.append(_raw_page(listing, candidate, document))
            if memo is not None:
                memo[candidate.url] = None
            try:
                article = _extract_one(
                    listing,
                    candidate,
                    document,
                    watch,
                    now,
                    provider,
                    boilerplate or {},
                )
            except NotAnArticle as rejection:
                batch.rejected.append(
                    RejectedPage(candidate.url, rejection.reason, rejection.detail)
                )
                continue
            except (ExtractionError, ValueError) as error:
                batch.failures.append(
                    ItemFailure(candidate.url, f"{candidate.url}: {describe_error(error)}")
                )
                continue
            except Exception as error:
                # MemoryError included: one item that cannot be handled fails alone.
                logger.exception("unexpected error extracting %s", redact(candidate.url))
                batch.failures.append(
                    ItemFailure(
                        candidate.url, f"{candidate.url}: internal error: {describe_error(error)}"
                    )
                )
                continue
            if isinstance(article, ItemFailure):
                batch.failures.append(article)
                continue
            # Checked here, item by item: a record storage cannot write would otherwise
            # fail its whole source's batch (and the run) when the batch is written.
            problem = row_problem(article)
            if problem is not None:
                batch.failures.append(
                    ItemFailure(candidate.url, f"{candidate.url}: cannot be stored: {problem}")
                )
                continue
            if isinstance(document, Document) and _replaced_bytes(article, document):
                listing.warnings.append(
                    f"{candidate.url}: bytes that are not valid in the document's encoding "
                    "were replaced by U+FFFD"
                )
            if candidate.via:
                # The publisher URL the link led to is one more way to reach the article.
                article = dataclasses.replace(article, aliases=(candidate.url,))
            if memo is not None:
                memo[candidate.url] = article
            _place(batch, candidate, article, window)
    return batches


def describe_error(error: BaseException) -> str:
    """An exception as a one-line reason, never empty (``MemoryError()`` says nothing)."""
    if isinstance(error, MemoryError):
        return f"out of memory ({type(error).__name__}{': ' + str(error) if str(error) else ''})"
    return str(error) or type(error).__name__


def _replaced_bytes(article: Article, document: Document) -> bool:
    """Whether decoding replaced bytes with U+FFFD (rather than the document holding one)."""
    record = article.record
    return (
        any("\ufffd" in text for text in (record.title, record.excerpt, record.body))
        and b"\xef\xbf\xbd" not in document.content
    )


def _place(batch: SourceBatch, candidate: Candidate, article: Article, window: Window) -> None:
    if window.is_backfill and not window.contains(_item_date(candidate, article.record)):
        batch.skipped_out_of_window += 1
    else:
        batch.articles.append(article)
        if candidate.via:
            # Only an article the batch stores may take over its link (and replace a feed-only record).
            batch.resolved[candidate.via] = article.id


def provider_boilerplate(db: Store, before_run: str | None = None) -> dict[str, frozenset[str]]:
    """The lines each provider repeats across its stored articles (empty for a new database).

    ``before_run``: only what runs before this one stored (a shard of a fanned-out run).
    """
    if not db.exists():
        return {}
    return learned_boilerplate(db, before_run=before_run)


def store_batches(
    db: Store,
    run_id: str,
    batches: Sequence[SourceBatch],
    now: datetime,
    dedup: DedupSettings | None = None,
    fetch: FetchConfig | None = None,
    reextracted: bool = False,
    link_stories: bool = True,
) -> list[SourceReport]:
    """Store each source's batch in its own transaction with the source's new state.

    Near-copies (and stories, see ``link_stories``) are updated in the same transaction (``dedup``:
    their time windows; defaults when None), and so are the raw pages behind
    the batch and, in a backfill, the (source, day) progress mark. ``fetch``
    holds the back-off thresholds (defaults when None). ``reextracted``: the batches
    come from stored raw pages (``reprocess``): stored articles are rewritten and the
    sources' health and raw pages are left alone, as nothing was fetched.
    ``link_stories`` False leaves the batches' stories to ``storage.articles.link_stories``
    at the run's end (a run's batches, on any machine, in any order).
    """
    fetch = fetch or FetchConfig()
    reports = []
    for batch in batches:
        listing = batch.listing
        stored_ids = set(listing.known.values())
        cursor = max(
            (a.record.published_at for a in batch.articles if a.record.published_at), default=None
        )
        if listing.skipped:
            # Not tried: its health stays as the failing runs left it.
            reports.append(_report(batch, new=0, duplicate=0, off_topic=0))
            continue
        update = SourceUpdate(
            name=listing.source.name,
            kind=listing.source.kind,
            location=_location(listing.source),
            ok=listing.error is None,
            error=listing.error,
            etag=listing.etag,
            last_modified=listing.last_modified,
            body_hash=listing.body_hash,
            cursor=cursor,
            items_seen=listing.seen - batch.skipped_out_of_window,
            new=0,
            unchanged=listing.unchanged,
            failed_items=len(batch.failures),
            backoff_after=fetch.backoff_after_failures,
            max_backoff_days=fetch.max_backoff_days,
        )
        links, replaced = _link_outcomes(batch)
        result = save_batch(
            db,
            ArticleBatch(
                run_id=run_id,
                seen_at=now,
                articles=batch.articles,
                seen_ids=stored_ids,
                source=None if reextracted else update,
                rejected=batch.rejected,
                raw_pages=() if reextracted else batch.raw,
                backfill_day=listing.day if listing.error is None else None,
                reextracted=reextracted,
                links=links,
                replaced=replaced,
            ),
            dedup=dedup,
            link_stories=link_stories,
        )
        reports.append(
            _report(
                batch,
                new=len(result.new_ids),
                duplicate=len(result.duplicate_ids),
                off_topic=len(result.off_topic_ids),
                updated=len(result.updated_ids),
            )
        )
    return reports


def _link_outcomes(batch: SourceBatch) -> tuple[list[GoogleLink], dict[str, str]]:
    """Each Google News link's new state, and the feed-only records real articles replace.

    A decoded link leads to the article stored (or already known) under its publisher URL;
    the feed-only record that stood in for it, if any, is replaced by that article. An
    undecoded link leads to its feed-only record.
    """
    listing = batch.listing
    links: list[GoogleLink] = []
    replaced: dict[str, str] = {}
    for link_url, link in listing.google_links.items():
        if link.status == DECODED and link.publisher_url:
            target = batch.resolved.get(link_url) or listing.known.get(link.publisher_url)
            if target is not None:
                if link.feed_only_id and link.feed_only_id != target:
                    replaced[link.feed_only_id] = target
                link = dataclasses.replace(link, article_id=target, feed_only_id=None)
        else:
            target = batch.resolved.get(link_url) or listing.known.get(link_url)
            if target is not None:
                link = dataclasses.replace(link, article_id=target, feed_only_id=target)
        links.append(link)
    return links, replaced


def _report(
    batch: SourceBatch, *, new: int, duplicate: int, off_topic: int, updated: int = 0
) -> SourceReport:
    listing = batch.listing
    return SourceReport(
        name=listing.source.name,
        kind=listing.source.kind,
        seen=listing.seen - batch.skipped_out_of_window,
        new=new,
        duplicate=duplicate,
        off_topic=off_topic,
        failed=len(batch.failures),
        error=listing.error,
        warnings=tuple(listing.warnings),
        failures=tuple(batch.failures[:MAX_LISTED_FAILURES]),
        unchanged=listing.unchanged,
        skipped=listing.skipped,
        updated=updated,
        links_decoded=listing.links_decoded,
        links_undecoded=listing.links_undecoded,
        decode_problem=listing.decode_problem,
    )


def _raw_page(listing: Listing, candidate: Candidate, document: Document) -> RawPage:
    hint: dict[str, Any] | None = None
    if candidate.entry is not None:
        feed = listing.feed
        hint = {
            "entry": dataclasses.asdict(candidate.entry),
            "feed": {"title": feed.title, "link": feed.link, "version": feed.version}
            if feed is not None
            else None,
        }
    # The fetch used the real URLs; what is kept for reprocessing carries no credential.
    return RawPage(
        url=redact(document.url),
        final_url=redact(document.final_url),
        status=document.status,
        headers=document.headers,
        fetched_at=document.fetched_at,
        content=document.content,
        source_name=listing.source.name,
        hint=redact_data(hint),
    )


def _read_file(uri: str, max_bytes: int) -> Document | ItemFailure:
    """Read a local file, refusing one over ``max_bytes`` before reading it."""
    path = Path(url2pathname(urlsplit(uri).path))
    too_large = f"{path}: file larger than {max_bytes} bytes (fetch.max_response_bytes)"
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_size > max_bytes:
                return ItemFailure(uri, too_large)
            # Bounded even if the file grows after the size check.
            content = handle.read(max_bytes + 1)
    except OSError as error:
        return ItemFailure(uri, f"{path}: cannot read file: {error.strerror or error}")
    if len(content) > max_bytes:
        return ItemFailure(uri, too_large)
    modified = datetime.fromtimestamp(info.st_mtime).astimezone()
    return Document(url=uri, final_url=uri, content=content, fetched_at=modified)


def _extract_one(
    listing: Listing,
    candidate: Candidate,
    document: Document | ItemFailure | None,
    watch: Watch,
    now: datetime,
    provider: Provider | None,
    boilerplate: Mapping[str, frozenset[str]],
) -> Article | ItemFailure:
    source = listing.source
    hint: Record | None = None
    if candidate.entry is not None and listing.feed is not None:
        hint = entry_to_record(candidate.entry, listing.feed, provider)
        if candidate.entry.source_name or candidate.entry.source_url:
            # An aggregator's <source> names the item's publisher (also when reprocessing).
            provider = provider or hint.provider
        if candidate.via:
            # The aggregator's link is the original URL; the publisher's, once resolved, the web URL.
            hint = hint.with_changes(web_url=canonical_url(candidate.url))
    if candidate.unresolved:
        if hint is None:
            return ItemFailure(candidate.url, f"{candidate.url}: {candidate.unresolved}")
        # Not lost: what the feed says, marked feed-only, until the link resolves.
        return build_article(
            hint,
            source=source.name,
            fetched_at=now,
            watch=watch,
            input_kind=FEED_ONLY,
            original_url=candidate.via,
            provider=provider,
            boilerplate=boilerplate,
        )
    if isinstance(document, ItemFailure):
        return document
    if document is None:
        if hint is None:
            return ItemFailure(candidate.url, f"{candidate.url}: nothing fetched")
        # fetch_articles is off: the feed carries the article.
        return build_article(
            hint,
            source=source.name,
            fetched_at=now,
            watch=watch,
            input_kind="feed",
            provider=provider,
            boilerplate=boilerplate,
        )
    try:
        record, kind = extract_document(
            document.content,
            # Relative links (images, canonical) must not inherit a password or key.
            url=strip_credentials(document.final_url),
            fetched_at=now,
            media_type=document.media_type,
            charset=document.charset,
        )
    except NotAnArticle:
        if hint is None or len(hint.body.split()) < FEED_BODY_FOR_ARTICLE_WORDS:
            raise
        # The page is a wall or a shell, but the feed carries the whole article.
        return build_article(
            hint,
            source=source.name,
            fetched_at=now,
            watch=watch,
            input_kind="feed",
            original_url=redact(candidate.url),
            provider=provider,
            boilerplate=boilerplate,
        )
    if not record.body and not record.title and (hint is None or not hint.body):
        raise ExtractionError("no article text or title found on the page")
    original_url = redact(
        candidate.via or (candidate.url if is_http_url(candidate.url) else document.url)
    )
    return build_article(
        record,
        source=source.name,
        fetched_at=now,
        watch=watch,
        input_kind=kind,
        original_url=original_url,
        hint=hint,
        provider=provider,
        boilerplate=boilerplate,
    )


def _item_date(candidate: Candidate, record: Record) -> datetime | None:
    if candidate.entry is not None and candidate.entry.published_at is not None:
        return candidate.entry.published_at
    return record.published_at


def _configured_provider(source: AnySource) -> Provider | None:
    configured = getattr(source, "provider", None)
    if configured is not None:
        return Provider(configured.name, configured.domain)
    return None


def _location(source: AnySource) -> str:
    """Where a source reads from, as stored in ``sources.location`` (credentials redacted)."""
    if isinstance(source, FolderSource):
        return source.path
    if isinstance(source, GdeltSource):
        return redact(f"{source.api_url} query={source.query!r}")
    return redact(source.url)
