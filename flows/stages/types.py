"""The data the stages pass on: a run's window, what a source lists, what was fetched.

Defined once here and shared by every stage (``listing`` → ``gnews`` → ``articles``)
and by the Prefect flows, so no stage imports a later one to learn its inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from extractors.article import Article
from extractors.feeds import FeedEntry, ParsedFeed
from flows.config import AnySource
from storage.boilerplate import RejectedPage
from storage.gnews import GoogleLink
from storage.raw import RawPage

__all__ = [
    "FEED_ONLY",
    "MAX_LISTED_FAILURES",
    "Candidate",
    "Document",
    "ItemFailure",
    "Listing",
    "RejectedPage",
    "SourceBatch",
    "SourceReport",
    "Window",
]

# How many item failures a source report lists in full; the count is always complete.
MAX_LISTED_FAILURES = 20
# input_kind of an aggregator item stored from its feed entry because its link did not resolve.
FEED_ONLY = "feed-only"


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
    # The aggregator link the source listed when ``url`` is where it leads (a decoded Google
    # News link, an unwrapped Bing link): the article's original URL.
    via: str = ""
    # Why an aggregator link could not be resolved: the item is stored from its feed entry
    # alone (a feed-only record) and not fetched.
    unresolved: str = ""


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
    # Google News links of this listing and what they decode to, by the link as listed
    # (``flows.stages.gnews``); stored with the source's batch.
    google_links: dict[str, GoogleLink] = field(default_factory=dict)
    # Google News links decoded in this run, those whose attempt failed, and why (summary).
    links_decoded: int = 0
    links_undecoded: int = 0
    decode_problem: str | None = None

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


@dataclass
class SourceBatch:
    """A source's extracted articles, ready to store."""

    listing: Listing
    articles: list[Article] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)
    rejected: list[RejectedPage] = field(default_factory=list)
    skipped_out_of_window: int = 0
    raw: list[RawPage] = field(default_factory=list)
    # The article each aggregator link of the batch was stored as, by the link (``Candidate.via``).
    resolved: dict[str, str] = field(default_factory=dict)


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
    # Google News links: decoded in this run, feed-only after this run's attempt, and why.
    links_decoded: int = 0
    links_undecoded: int = 0
    decode_problem: str | None = None
