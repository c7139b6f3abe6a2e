"""The pipeline's stages as plain functions; the Prefect flows call them as tasks.

Each stage works on a whole run's batch (every source at once) so that
fetching is concurrent and Prefect's per-task overhead stays constant. A
problem with one source or one item is recorded and the batch goes on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from extractors.article import Article, NotAnArticle, build_article, extract_document
from extractors.discovery import (
    GDELT_MAX_RECORDS,
    DiscoveryError,
    gdelt_slices,
    gdelt_url,
    parse_gdelt_artlist,
    parse_sitemap,
    split_slice,
)
from extractors.feeds import FeedEntry, FeedError, ParsedFeed, entry_to_record, parse_feed
from extractors.html import ExtractionError
from extractors.record import Image, Provider, Record
from extractors.relevance import Watch
from extractors.urls import is_http_url, url_key
from flows.config import (
    AnySource,
    Config,
    FeedSource,
    FetchConfig,
    FolderSource,
    GdeltSource,
    SitemapSource,
)
from flows.http import (
    FetchedPage,
    FetchFailure,
    FetchResult,
    FetchSettings,
    charset_of,
    fetch_all,
)
from storage.articles import known_articles, save_batch
from storage.boilerplate import known_rejections, learned_boilerplate
from storage.database import Database
from storage.dedup import DedupSettings
from storage.raw import RawPage
from storage.sources import SourceUpdate

logger = logging.getLogger(__name__)

FOLDER_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".txt", ".md", ".markdown", ".text"})
# How many item failures a source report lists in full; the count is always complete.
MAX_LISTED_FAILURES = 20
# A feed body this long stands in for a page that turned out to be a wall or a shell.
FEED_BODY_FOR_ARTICLE_WORDS = 80


@dataclass(frozen=True)
class Window:
    """A publication-date range [since, until); both None for a daily run."""

    since: datetime | None = None
    until: datetime | None = None

    @property
    def is_backfill(self) -> bool:
        """A window with a start restricts items to dates inside it."""
        return self.since is not None or self.until is not None

    def contains(self, moment: datetime | None) -> bool:
        """Whether a publication time lies in the window (unknown dates only in daily runs)."""
        if not self.is_backfill:
            return True
        if moment is None:
            return False
        return (self.since is None or moment >= self.since) and (
            self.until is None or moment < self.until
        )


@dataclass(frozen=True)
class Candidate:
    """One item a source lists: where to get it, and what its feed said."""

    url: str
    entry: FeedEntry | None = None


@dataclass
class Listing:
    """What one source listed in this run, or why it could not."""

    source: AnySource
    candidates: list[Candidate] = field(default_factory=list)
    feed: ParsedFeed | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    known: dict[str, str] = field(default_factory=dict)
    # The feed answered 304 or sent the body it sent last time: nothing to parse.
    unchanged: bool = False
    # Not tried in this run because the source is backing off (``error`` says until when).
    skipped: bool = False
    # The backfill day this listing covers (progress is recorded per source and day).
    day: date | None = None
    # Pages an earlier run found not to be articles (walls, section fronts): not fetched again.
    rejected_before: dict[str, str] = field(default_factory=dict)

    @property
    def seen(self) -> int:
        """Items the source listed (inside the window)."""
        return len(self.candidates)

    @property
    def to_fetch(self) -> list[Candidate]:
        """Candidates neither stored nor rejected as non-articles yet."""
        return [
            candidate
            for candidate in self.candidates
            if candidate.url not in self.known and candidate.url not in self.rejected_before
        ]


@dataclass(frozen=True)
class Document:
    """An item's bytes as fetched or read."""

    url: str
    final_url: str
    content: bytes
    fetched_at: datetime
    media_type: str = ""
    charset: str | None = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class ItemFailure:
    """An item that could not be fetched or extracted."""

    url: str
    message: str


@dataclass(frozen=True)
class RejectedPage:
    """A fetched page that is not an article, and why."""

    url: str
    reason: str
    detail: str


@dataclass
class SourceBatch:
    """A source's extracted articles, ready to store."""

    listing: Listing
    articles: list[Article] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)
    rejected: list[RejectedPage] = field(default_factory=list)
    skipped_out_of_window: int = 0
    raw: list[RawPage] = field(default_factory=list)


@dataclass(frozen=True)
class SourceReport:
    """Per-source line of the run summary."""

    name: str
    kind: str
    seen: int
    new: int
    duplicate: int
    off_topic: int
    failed: int
    error: str | None = None
    warnings: tuple[str, ...] = ()
    failures: tuple[ItemFailure, ...] = ()
    unchanged: bool = False
    skipped: bool = False
    updated: int = 0


def fetch_settings(config: Config) -> FetchSettings:
    """The fetcher's settings from the config's ``fetch`` section."""
    fetch = config.fetch
    return FetchSettings(
        user_agent=fetch.user_agent,
        connect_timeout=fetch.connect_timeout,
        read_timeout=fetch.read_timeout,
        total_timeout=fetch.total_timeout,
        max_response_bytes=fetch.max_response_bytes,
        max_redirects=fetch.max_redirects,
        concurrency=fetch.concurrency,
        per_host_concurrency=fetch.per_host_concurrency,
        per_host_delay=fetch.per_host_delay,
        retries=fetch.retries,
        backoff_seconds=fetch.backoff_seconds,
        allow_private_addresses=fetch.allow_private_addresses,
        respect_robots=fetch.respect_robots,
        robots_timeout=fetch.robots_timeout,
    )


def dedup_settings(config: Config) -> DedupSettings:
    """The near-copy and story windows from the config's ``dedup`` section."""
    return DedupSettings(
        window_days=config.dedup.window_days,
        story_window_hours=config.dedup.story_window_hours,
        heat_window_hours=config.dedup.heat_window_hours,
    )


def watch_from_config(config: Config) -> Watch:
    """The relevance rules from the config's ``watch`` section (accept-all when missing)."""
    if config.watch is None:
        return Watch()
    return Watch(
        name=config.watch.name,
        match_all={group: tuple(terms) for group, terms in config.watch.match_all.items()},
        exclude=tuple(config.watch.exclude),
        topics={label: tuple(terms) for label, terms in config.watch.topics.items()},
    )


def list_sources(
    config: Config,
    window: Window,
    only: Sequence[str] = (),
    states: Mapping[str, Mapping[str, Any]] | None = None,
    refresh: bool = False,
    now: datetime | None = None,
    cache: dict[str, FetchResult] | None = None,
) -> list[Listing]:
    """Fetch every feed (concurrently), ask the GDELT and sitemap sources, list every folder.

    A daily run asks each feed with its stored ETag / Last-Modified and treats a
    304, or a body whose hash matches the stored one, as "nothing new" without
    parsing it. A source backing off after failing many runs in a row is skipped
    until its ``backoff_until`` (unless named in ``only``).

    Args:
        config: the loaded config.
        window: the backfill range; feed entries dated outside it are dropped.
        only: source names to restrict the run to (all enabled sources when empty).
        states: stored source states by name (``storage.sources.source_states``).
        refresh: ignore stored validators and hashes; parse every feed.
        now: the run's clock, for back-off (default: the current time).
        cache: responses by URL shared across calls (a backfill lists every day from the
            same feed and sitemap responses); filled as URLs are fetched.
    """
    states = states or {}
    clock = now or datetime.now(UTC)
    moment = clock.astimezone(UTC).replace(tzinfo=None)
    incremental = not window.is_backfill and not refresh
    sources = [source for source in config.enabled_sources if not only or source.name in only]
    listings: dict[str, Listing] = {}
    for source in sources:
        until = states.get(source.name, {}).get("backoff_until")
        if not only and not window.is_backfill and until is not None and until > moment:
            failures = states[source.name].get("consecutive_failures", 0)
            listings[source.name] = Listing(
                source,
                error=f"skipped: failed {failures} runs in a row, backing off until "
                f"{until:%Y-%m-%d %H:%M} UTC (last error: {states[source.name].get('last_error')})",
                skipped=True,
            )
    feeds = [
        source
        for source in sources
        if isinstance(source, FeedSource) and source.name not in listings
    ]
    headers = {feed.url: _validators(states.get(feed.name, {})) for feed in feeds if incremental}
    settings = fetch_settings(config)
    responses = _fetch_cached([feed.url for feed in feeds], settings, cache, headers)
    for source in sources:
        if source.name in listings:
            continue
        if isinstance(source, FeedSource):
            state = states.get(source.name, {}) if incremental else {}
            listings[source.name] = _feed_listing(source, responses[source.url], window, state)
        elif isinstance(source, GdeltSource | SitemapSource):
            span = (
                window
                if window.is_backfill
                else _since_cursor(clock, source.daily_hours, states.get(source.name, {}))
            )
            if isinstance(source, GdeltSource):
                listings[source.name] = _gdelt_listing(source, span, settings, cache)
            else:
                listings[source.name] = _sitemap_listing(source, span, settings, cache)
        else:
            listings[source.name] = _folder_listing(source)
    return [listings[source.name] for source in sources]


def _fetch_cached(
    urls: Sequence[str],
    settings: FetchSettings,
    cache: dict[str, FetchResult] | None,
    headers: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, FetchResult]:
    """Fetch URLs concurrently, reusing (and filling) ``cache``; failures are not cached."""
    cache = cache if cache is not None else {}
    missing = [url for url in dict.fromkeys(urls) if url not in cache]
    for url, result in zip(
        missing, fetch_all(missing, settings, extra_headers=headers), strict=True
    ):
        if isinstance(result, FetchedPage):
            cache[url] = result
        else:
            cache.setdefault(url, result)
    found = {url: cache[url] for url in urls}
    for url in missing:
        if isinstance(cache[url], FetchFailure):
            del cache[url]  # a later day of a backfill tries again
    return found


# A discovery source's daily window reaches back to its cursor (minus this overlap, for items
# dated a little before the newest one stored), so missed days are caught up ...
CURSOR_OVERLAP = timedelta(hours=1)
# ... but never further than this: longer gaps are what `newswatch backfill` is for.
MAX_CATCH_UP = timedelta(days=7)


def _since_cursor(now: datetime, hours: float, state: Mapping[str, Any]) -> Window:
    """The daily window of a discovery source: the last ``hours``, or back to its cursor."""
    since = now - timedelta(hours=hours)
    cursor = state.get("cursor")
    if isinstance(cursor, datetime):
        since = min(since, max(cursor.replace(tzinfo=UTC) - CURSOR_OVERLAP, now - MAX_CATCH_UP))
    return Window(since=since, until=now + timedelta(seconds=1))


def _discovery_listing(source: GdeltSource | SitemapSource, where: str) -> Listing:
    # A feed-shaped stand-in, so entries get the same treatment as a feed's (title, date
    # hints). No title: the discovery service is not the articles' publisher.
    return Listing(source, feed=ParsedFeed(title="", link=where, version=source.kind))


def _add_entries(
    listing: Listing, entries: Sequence[FeedEntry], window: Window, limit: int
) -> None:
    """Candidates from discovered entries dated inside the window (undated ones are left out)."""
    seen = {candidate.url for candidate in listing.candidates}
    undated = 0
    for entry in entries:
        if entry.link in seen:
            continue
        if entry.published_at is None:
            undated += 1
            continue
        if not window.contains(entry.published_at):
            continue
        if len(listing.candidates) >= limit:
            listing.warnings.append(f"more than {limit} items, kept the first {limit} (max_items)")
            break
        seen.add(entry.link)
        listing.candidates.append(Candidate(entry.link, entry))
    if undated:
        listing.warnings.append(f"{undated} URLs without a date left out")


def _gdelt_listing(
    source: GdeltSource,
    window: Window,
    settings: FetchSettings,
    cache: dict[str, FetchResult] | None,
) -> Listing:
    """Ask GDELT slice by slice; a slice that comes back full (250) is halved and asked again."""
    assert window.since is not None and window.until is not None
    listing = _discovery_listing(source, source.api_url)
    polite = dataclasses.replace(
        settings,
        per_host_concurrency=1,
        per_host_delay=max(settings.per_host_delay, source.request_interval),
    )
    pending = gdelt_slices(window.since, window.until, source.slice_hours)
    entries: list[FeedEntry] = []
    while pending:
        urls = [gdelt_url(source.query, start, end, source.api_url) for start, end in pending]
        responses = _fetch_cached(urls, polite, cache)
        following: list[tuple[datetime, datetime]] = []
        for (start, end), url in zip(pending, urls, strict=True):
            response = responses[url]
            if isinstance(response, FetchFailure):
                listing.error = f"GDELT query for {start:%Y-%m-%d %H:%M}-{end:%H:%M} UTC failed: {response.message}"
                return listing
            try:
                found = parse_gdelt_artlist(response.content)
            except DiscoveryError as error:
                listing.error = f"GDELT query for {start:%Y-%m-%d %H:%M}-{end:%H:%M} UTC: {error}"
                return listing
            entries.extend(found)
            if len(found) >= GDELT_MAX_RECORDS:
                halves = split_slice(start, end)
                if halves:
                    following.extend(halves)
                else:
                    listing.warnings.append(
                        f"GDELT returned the maximum {GDELT_MAX_RECORDS} results for "
                        f"{start:%Y-%m-%d %H:%M}-{end:%H:%M} UTC; some articles may be missing"
                    )
        pending = following
    _add_entries(listing, entries, window, source.max_items)
    return listing


def _sitemap_listing(
    source: SitemapSource,
    window: Window,
    settings: FetchSettings,
    cache: dict[str, FetchResult] | None,
) -> Listing:
    """Read a sitemap (index): child sitemaps last modified before the window are not fetched."""
    listing = _discovery_listing(source, source.url)
    pending = [source.url]
    visited: set[str] = set()
    entries: list[FeedEntry] = []
    while pending and len(visited) < source.max_sitemaps:
        pending = [url for url in pending if url not in visited][
            : source.max_sitemaps - len(visited)
        ]
        visited.update(pending)
        responses = _fetch_cached(pending, settings, cache)
        following: list[str] = []
        for url in pending:
            response = responses[url]
            if isinstance(response, FetchFailure):
                if url == source.url:
                    listing.error = response.message
                    return listing
                listing.warnings.append(f"child sitemap failed: {response.message}")
                continue
            try:
                sitemap = parse_sitemap(response.content, response.final_url)
            except DiscoveryError as error:
                if url == source.url:
                    listing.error = f"{url}: {error}"
                    return listing
                listing.warnings.append(f"{url}: {error}")
                continue
            entries.extend(sitemap.entries)
            following.extend(
                child
                for child, modified in sitemap.children
                if modified is None or window.since is None or modified >= window.since
            )
        pending = following
    if pending:
        listing.warnings.append(f"stopped after {source.max_sitemaps} sitemaps (max_sitemaps)")
    _add_entries(listing, entries, window, source.max_items)
    return listing


def _validators(state: Mapping[str, Any]) -> dict[str, str]:
    """Conditional-GET headers from a source's stored state (none after failed items)."""
    if state.get("failed_items_last_run"):
        return {}  # re-read the feed so the items that failed get another try
    headers = {}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    return headers


def mark_known(db: Database, listings: Sequence[Listing], refresh: bool = False) -> list[Listing]:
    """Note which candidates are stored or were rejected already, so they are not fetched again."""
    if refresh:
        return list(listings)
    urls = [candidate.url for listing in listings for candidate in listing.candidates]
    known = known_articles(db, urls)
    rejected = known_rejections(db, urls)
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


def fetch_documents(
    config: Config, listings: Sequence[Listing]
) -> dict[str, Document | ItemFailure]:
    """Download (concurrently) or read every candidate that is not stored yet.

    Feed sources configured with ``fetch_articles: false`` are skipped: their
    records come from the feed itself.
    """
    results: dict[str, Document | ItemFailure] = {}
    web_urls: list[str] = []
    for listing in listings:
        if listing.error:
            continue
        for candidate in listing.to_fetch:
            if isinstance(listing.source, FolderSource):
                results[candidate.url] = _read_file(candidate.url)
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
                batch.failures.append(ItemFailure(candidate.url, f"{candidate.url}: {error}"))
                continue
            except Exception as error:
                logger.exception("unexpected error extracting %s", candidate.url)
                batch.failures.append(
                    ItemFailure(candidate.url, f"{candidate.url}: internal error: {error!r}")
                )
                continue
            if isinstance(article, ItemFailure):
                batch.failures.append(article)
                continue
            if memo is not None:
                memo[candidate.url] = article
            _place(batch, candidate, article, window)
    return batches


def _place(batch: SourceBatch, candidate: Candidate, article: Article, window: Window) -> None:
    if window.is_backfill and not window.contains(_item_date(candidate, article.record)):
        batch.skipped_out_of_window += 1
    else:
        batch.articles.append(article)


def provider_boilerplate(db: Database) -> dict[str, frozenset[str]]:
    """The lines each provider repeats across its stored articles (empty for a new database)."""
    if not db.path.exists():
        return {}
    return learned_boilerplate(db)


def store_batches(
    db: Database,
    run_id: str,
    batches: Sequence[SourceBatch],
    now: datetime,
    dedup: DedupSettings | None = None,
    fetch: FetchConfig | None = None,
    reextracted: bool = False,
) -> list[SourceReport]:
    """Store each source's batch in its own transaction with the source's new state.

    Near-copies and stories are updated in the same transaction (``dedup``:
    their time windows; defaults when None), and so are the raw pages behind
    the batch and, in a backfill, the (source, day) progress mark. ``fetch``
    holds the back-off thresholds (defaults when None). ``reextracted``: the batches
    come from stored raw pages (``reprocess``): stored articles are rewritten and the
    sources' health and raw pages are left alone, as nothing was fetched.
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
            items_seen=listing.seen,
            new=0,
            unchanged=listing.unchanged,
            failed_items=len(batch.failures),
            backoff_after=fetch.backoff_after_failures,
            max_backoff_days=fetch.max_backoff_days,
        )
        result = save_batch(
            db,
            run_id=run_id,
            seen_at=now,
            articles=batch.articles,
            seen_ids=stored_ids,
            source=None if reextracted else update,
            rejected=[
                (url_key(page.url), page.url, page.reason, page.detail) for page in batch.rejected
            ],
            dedup=dedup,
            raw_pages=() if reextracted else batch.raw,
            backfill_day=listing.day if listing.error is None else None,
            reextracted=reextracted,
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
    return RawPage(
        url=document.url,
        final_url=document.final_url,
        status=document.status,
        headers=document.headers,
        fetched_at=document.fetched_at,
        content=document.content,
        source_name=listing.source.name,
        hint=hint,
    )


def _feed_listing(
    source: FeedSource,
    response: FetchedPage | FetchFailure,
    window: Window,
    state: Mapping[str, Any] | None = None,
) -> Listing:
    listing = Listing(source)
    if isinstance(response, FetchFailure):
        listing.error = response.message
        return listing
    state = state or {}
    if response.status == http.HTTPStatus.NOT_MODIFIED:
        # 304 carries no body; the stored validators and hash stay valid.
        listing.unchanged = True
        listing.etag = response.headers.get("etag") or state.get("etag")
        listing.last_modified = response.headers.get("last-modified") or state.get("last_modified")
        listing.body_hash = state.get("body_hash")
        return listing
    listing.etag = response.headers.get("etag")
    listing.last_modified = response.headers.get("last-modified")
    listing.body_hash = hashlib.sha256(response.content).hexdigest()
    if state.get("body_hash") == listing.body_hash and not state.get("failed_items_last_run"):
        # Same bytes as last time (whatever the validators said): nothing new to parse.
        listing.unchanged = True
        return listing
    try:
        feed = parse_feed(response.content, response.final_url, response.content_type)
    except FeedError as error:
        listing.error = str(error)
        return listing
    listing.feed = feed
    if feed.problem:
        listing.warnings.append(f"{source.url}: {feed.problem}")
    listing.warnings.extend(f"{source.url}: {skipped}" for skipped in feed.skipped)
    seen_urls: set[str] = set()
    for entry in feed.entries[: source.max_items]:
        if entry.link in seen_urls:
            continue
        if (
            window.is_backfill
            and entry.published_at is not None
            and not window.contains(entry.published_at)
        ):
            continue
        seen_urls.add(entry.link)
        listing.candidates.append(Candidate(entry.link, entry))
    if len(feed.entries) > source.max_items:
        listing.warnings.append(
            f"{source.url}: {len(feed.entries)} entries, kept the first {source.max_items} (max_items)"
        )
    return listing


def _folder_listing(source: FolderSource) -> Listing:
    listing = Listing(source)
    folder = Path(source.path)
    if not folder.is_dir():
        listing.error = f"folder {folder} does not exist or is not a directory"
        return listing
    for path in sorted(folder.rglob("*")):
        if (
            path.is_file()
            and path.suffix.lower() in FOLDER_SUFFIXES
            and not path.name.startswith(".")
        ):
            listing.candidates.append(Candidate(path.resolve().as_uri()))
    return listing


def _read_file(uri: str) -> Document | ItemFailure:
    path = Path(url2pathname(urlsplit(uri).path))
    try:
        content = path.read_bytes()
        modified = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    except OSError as error:
        return ItemFailure(uri, f"{path}: cannot read file: {error.strerror or error}")
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
            url=document.final_url,
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
            original_url=candidate.url,
            provider=provider,
            boilerplate=boilerplate,
        )
    if not record.body and not record.title and (hint is None or not hint.body):
        raise ExtractionError("no article text or title found on the page")
    original_url = candidate.url if is_http_url(candidate.url) else document.url
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
    if isinstance(source, FolderSource):
        return source.path
    if isinstance(source, GdeltSource):
        return f"{source.api_url} query={source.query!r}"
    return source.url


def backfill_days(window: Window) -> list[date]:
    """The UTC days a backfill window covers, oldest first."""
    assert window.since is not None and window.until is not None
    first = window.since.astimezone(UTC).date()
    days = []
    day = first
    while datetime.combine(day, datetime.min.time(), tzinfo=UTC) < window.until:
        days.append(day)
        day += timedelta(days=1)
    return days


def day_window(day: date) -> Window:
    """One UTC day as a window."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return Window(since=start, until=start + timedelta(days=1))


def merge_reports(days: Sequence[tuple[date, Sequence[SourceReport]]]) -> list[SourceReport]:
    """One report per source for a whole backfill: counts summed over its days.

    A source failed only if it failed on every day it was tried; the days it failed
    on are listed among its warnings.
    """
    merged: dict[str, SourceReport] = {}
    failed_days: dict[str, list[str]] = {}
    tried: dict[str, int] = {}
    for day, reports in days:
        for report in reports:
            tried[report.name] = tried.get(report.name, 0) + 1
            if report.error:
                failed_days.setdefault(report.name, []).append(f"{day}: {report.error}")
            previous = merged.get(report.name)
            if previous is None:
                merged[report.name] = dataclasses.replace(
                    report, warnings=tuple(f"{day}: {w}" for w in report.warnings)
                )
                continue
            merged[report.name] = dataclasses.replace(
                previous,
                seen=previous.seen + report.seen,
                new=previous.new + report.new,
                duplicate=previous.duplicate + report.duplicate,
                off_topic=previous.off_topic + report.off_topic,
                failed=previous.failed + report.failed,
                error=report.error,
                warnings=previous.warnings + tuple(f"{day}: {w}" for w in report.warnings),
                failures=(previous.failures + report.failures)[:MAX_LISTED_FAILURES],
            )
    result = []
    for name, report in merged.items():
        failures = failed_days.get(name, [])
        if len(failures) == tried[name]:
            result.append(dataclasses.replace(report, error=failures[-1]))
        else:
            result.append(
                dataclasses.replace(report, error=None, warnings=report.warnings + tuple(failures))
            )
    return result


def raw_listings(
    config: Config, pages: Sequence[RawPage]
) -> tuple[list[Listing], dict[str, Document | ItemFailure]]:
    """Listings and documents rebuilt from stored raw pages, for re-extraction without fetching.

    Pages of sources no longer in the config are left out (logged).
    """
    by_name = {source.name: source for source in config.sources}
    listings: dict[str, Listing] = {}
    documents: dict[str, Document | ItemFailure] = {}
    for page in pages:
        source = by_name.get(page.source_name)
        if source is None:
            logger.warning(
                "raw page %s: source %r is not in the config", page.url, page.source_name
            )
            continue
        hint = page.hint or {}
        listing = listings.get(source.name)
        if listing is None:
            feed = hint.get("feed")
            listing = listings[source.name] = Listing(
                source, feed=ParsedFeed(**feed) if isinstance(feed, dict) else None
            )
        entry = hint.get("entry")
        listing.candidates.append(
            Candidate(page.url, _entry_from_hint(entry) if isinstance(entry, dict) else None)
        )
        content_type = page.headers.get("content-type", "")
        documents[page.url] = Document(
            url=page.url,
            final_url=page.final_url,
            content=page.content,
            fetched_at=page.fetched_at,
            media_type=content_type.split(";", 1)[0].strip().lower(),
            charset=charset_of(content_type),
            status=page.status,
            headers=page.headers,
        )
    return list(listings.values()), documents


def _entry_from_hint(data: Mapping[str, Any]) -> FeedEntry:
    published = data.get("published_at")
    return FeedEntry(
        link=str(data.get("link", "")),
        title=str(data.get("title", "")),
        summary=str(data.get("summary", "")),
        content=str(data.get("content", "")),
        published_at=datetime.fromisoformat(published) if published else None,
        guid=str(data.get("guid", "")),
        author=str(data.get("author", "")),
        categories=tuple(data.get("categories", ())),
        images=tuple(Image(**image) for image in data.get("images", ())),
    )
