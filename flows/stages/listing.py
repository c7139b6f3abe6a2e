"""Listing: what each configured source offers in this run, as ``Listing``s of candidates.

Feeds are fetched concurrently with conditional GET against the stored state
(ETag, Last-Modified, body hash); GDELT and sitemap sources are asked for a
window (a backfill's day, or back to the source's cursor); folders are listed.
``raw_listings`` rebuilds listings from stored raw pages, for ``reprocess``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from extractors.article import DOCUMENT_SUFFIXES
from extractors.discovery import (
    GDELT_MAX_RECORDS,
    DiscoveryError,
    gdelt_slices,
    gdelt_url,
    parse_gdelt_artlist,
    parse_sitemap,
    split_slice,
)
from extractors.feeds import FeedEntry, FeedError, ParsedFeed, parse_feed
from extractors.record import Image
from extractors.urls import redact, strip_credentials
from flows.config import Config, FeedSource, FolderSource, GdeltSource, SitemapSource
from flows.fetching.http import (
    FetchedPage,
    FetchFailure,
    FetchResult,
    FetchSettings,
    charset_of,
    fetch_all,
)
from flows.stages.settings import fetch_settings
from flows.stages.types import Candidate, Document, ItemFailure, Listing, Window
from storage.raw import RawPage

logger = logging.getLogger(__name__)


def list_sources(
    config: Config,
    window: Window,
    only: Sequence[str] = (),
    states: Mapping[str, Mapping[str, Any]] | None = None,
    refresh: bool = False,
    now: datetime | None = None,
    cache: dict[str, FetchResult] | None = None,
    share: Sequence[str] | None = None,
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
        share: a shard's sources (fan-out): the run is restricted to them like ``only``,
            but sources backing off stay skipped, as in the whole run.
    """
    states = states or {}
    clock = now or datetime.now(UTC)
    moment = clock.astimezone(UTC).replace(tzinfo=None)
    incremental = not window.is_backfill and not refresh
    sources = [
        source
        for source in config.enabled_sources
        if (not only or source.name in only) and (share is None or source.name in share)
    ]
    listings: dict[str, Listing] = {}
    for source in sources:
        until = states.get(source.name, {}).get("backoff_until")
        if not only and not window.is_backfill and until is not None and until > moment:
            failures = states[source.name].get("consecutive_failures", 0)
            listings[source.name] = Listing(
                source,
                error=f"backing off until {until:%Y-%m-%d %H:%M} UTC after failing {failures} runs "
                f"in a row (last error: {states[source.name].get('last_error')})",
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
    # Errors and warnings quote feed URLs and fetch errors; they go to the summary, the
    # runs and sources tables, logs and artifacts, so no credential may remain in them.
    for each in listings.values():
        each.error = redact(each.error) if each.error else each.error
        each.warnings = [redact(warning) for warning in each.warnings]
    return [listings[source.name] for source in sources]


def _fetch_cached(
    urls: Sequence[str],
    settings: FetchSettings,
    cache: dict[str, FetchResult] | None,
    headers: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, FetchResult]:
    """Fetch URLs concurrently, reusing (and filling) ``cache``.

    Failures are cached too: a backfill fetches a feed once, so a failing feed is tried
    once (with the fetcher's own retries), not once per day of the range; each day
    reports the same failure. The next backfill or daily run tries again.
    """
    cache = cache if cache is not None else {}
    missing = [url for url in dict.fromkeys(urls) if url not in cache]
    for url, result in zip(
        missing, fetch_all(missing, settings, extra_headers=headers), strict=True
    ):
        cache[url] = result
    return {url: cache[url] for url in urls}


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
                sitemap = parse_sitemap(response.content, strip_credentials(response.final_url))
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
        # Credentials in the feed's URL are for the feed: links resolved against it do not
        # inherit them, so no article, image or feed link stored later can carry them.
        feed = parse_feed(
            response.content, strip_credentials(response.final_url), response.content_type
        )
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
            and path.suffix.lower() in DOCUMENT_SUFFIXES
            and not path.name.startswith(".")
        ):
            listing.candidates.append(Candidate(path.resolve().as_uri()))
    return listing


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
            Candidate(page.url, entry_from_hint(entry) if isinstance(entry, dict) else None)
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


def entry_from_hint(data: Mapping[str, Any]) -> FeedEntry:
    """A feed entry back from its stored JSON form (a raw page's hint, a pending link's entry)."""
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
        source_name=str(data.get("source_name", "")),
        source_url=str(data.get("source_url", "")),
    )
