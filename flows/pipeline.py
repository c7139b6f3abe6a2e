"""The pipeline's stages as plain functions; the Prefect flows call them as tasks.

Each stage works on a whole run's batch (every source at once) so that
fetching is concurrent and Prefect's per-task overhead stays constant. A
problem with one source or one item is recorded and the batch goes on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from extractors.article import Article, NotAnArticle, build_article, extract_document
from extractors.feeds import FeedEntry, FeedError, ParsedFeed, entry_to_record, parse_feed
from extractors.html import ExtractionError
from extractors.record import Provider, Record
from extractors.relevance import Watch
from extractors.urls import is_http_url, url_key
from flows.config import Config, FeedSource, FolderSource
from flows.http import FetchedPage, FetchFailure, FetchSettings, fetch_all
from storage.articles import known_articles, save_batch
from storage.boilerplate import known_rejections, learned_boilerplate
from storage.database import Database
from storage.dedup import DedupSettings
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

    source: FeedSource | FolderSource
    candidates: list[Candidate] = field(default_factory=list)
    feed: ParsedFeed | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    known: dict[str, str] = field(default_factory=dict)
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


def list_sources(config: Config, window: Window, only: Sequence[str] = ()) -> list[Listing]:
    """Fetch every feed (concurrently) and list every folder.

    Args:
        config: the loaded config.
        window: the backfill range; feed entries dated outside it are dropped.
        only: source names to restrict the run to (all enabled sources when empty).
    """
    sources = [source for source in config.enabled_sources if not only or source.name in only]
    feeds = [source for source in sources if isinstance(source, FeedSource)]
    responses = dict(
        zip(
            [feed.url for feed in feeds],
            fetch_all([feed.url for feed in feeds], fetch_settings(config)),
            strict=True,
        )
    )
    listings = []
    for source in sources:
        if isinstance(source, FeedSource):
            listing = _feed_listing(source, responses[source.url], window)
        else:
            listing = _folder_listing(source)
        listings.append(listing)
    return listings


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
            elif listing.source.fetch_articles:
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
            )
    return results


def extract_articles(
    listings: Sequence[Listing],
    documents: dict[str, Document | ItemFailure],
    watch: Watch,
    window: Window,
    now: datetime,
    boilerplate: Mapping[str, frozenset[str]] | None = None,
) -> list[SourceBatch]:
    """Turn every fetched document into an article; failures are collected per source.

    Pages that are not articles (404s, section fronts, walls, empty shells) are
    collected as rejected pages with their reason; ``boilerplate`` holds the
    lines each provider repeats, learned from stored articles.
    """
    batches = []
    for listing in listings:
        batch = SourceBatch(listing)
        batches.append(batch)
        if listing.error:
            continue
        provider = _configured_provider(listing.source)
        for candidate in listing.to_fetch:
            try:
                article = _extract_one(
                    listing,
                    candidate,
                    documents.get(candidate.url),
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
            elif window.is_backfill and not window.contains(_item_date(candidate, article.record)):
                batch.skipped_out_of_window += 1
            else:
                batch.articles.append(article)
    return batches


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
) -> list[SourceReport]:
    """Store each source's batch in its own transaction with the source's new state.

    Near-copies and stories are updated in the same transaction (``dedup``:
    their time windows; defaults when None).
    """
    reports = []
    for batch in batches:
        listing = batch.listing
        stored_ids = set(listing.known.values())
        cursor = max(
            (a.record.published_at for a in batch.articles if a.record.published_at), default=None
        )
        update = SourceUpdate(
            name=listing.source.name,
            kind=listing.source.kind,
            location=listing.source.url
            if isinstance(listing.source, FeedSource)
            else listing.source.path,
            ok=listing.error is None,
            error=listing.error,
            etag=listing.etag,
            last_modified=listing.last_modified,
            body_hash=listing.body_hash,
            cursor=cursor,
            items_seen=listing.seen,
            new=0,
        )
        result = save_batch(
            db,
            run_id=run_id,
            seen_at=now,
            articles=batch.articles,
            seen_ids=stored_ids,
            source=update,
            rejected=[
                (url_key(page.url), page.url, page.reason, page.detail) for page in batch.rejected
            ],
            dedup=dedup,
        )
        reports.append(
            SourceReport(
                name=listing.source.name,
                kind=listing.source.kind,
                seen=listing.seen - batch.skipped_out_of_window,
                new=len(result.new_ids),
                duplicate=len(result.duplicate_ids),
                off_topic=len(result.off_topic_ids),
                failed=len(batch.failures),
                error=listing.error,
                warnings=tuple(listing.warnings),
                failures=tuple(batch.failures[:MAX_LISTED_FAILURES]),
            )
        )
    return reports


def _feed_listing(
    source: FeedSource, response: FetchedPage | FetchFailure, window: Window
) -> Listing:
    listing = Listing(source)
    if isinstance(response, FetchFailure):
        listing.error = response.message
        return listing
    listing.etag = response.headers.get("etag")
    listing.last_modified = response.headers.get("last-modified")
    listing.body_hash = hashlib.sha256(response.content).hexdigest()
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


def _configured_provider(source: FeedSource | FolderSource) -> Provider | None:
    if isinstance(source, FeedSource) and source.provider is not None:
        return Provider(source.provider.name, source.provider.domain)
    return None
