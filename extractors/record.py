"""The seed-format record: one article, as every part of newswatch sees it.

Field names on disk follow seed 000 exactly (``publishedDateTime``, ``webUrl`` …);
in Python they are snake_case. Keys this module does not know are kept in
``Record.extra`` so that reading and writing a record never loses data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

DEFAULT_CATEGORY = "news"
DEFAULT_TYPE = "article"
UNKNOWN_HEAT = -1


@dataclass(frozen=True)
class Provider:
    """The publisher of an article."""

    name: str = ""
    domain: str = ""


@dataclass(frozen=True)
class Image:
    """An image of the article; sizes are None when unknown."""

    url: str
    width: int | None = None
    height: int | None = None
    is_cached: bool = False


@dataclass(frozen=True)
class Record:
    """One article in the seed format.

    ``related`` is kept in the seed format's own shape (a list of mappings with
    ``title``, ``webUrl``, ``ampWebUrl`` …) because it is passed through from
    input files and rebuilt from stories, never interpreted field by field.
    """

    title: str = ""
    body: str = ""
    excerpt: str = ""
    category: str = DEFAULT_CATEGORY
    published_at: datetime | None = None
    original_url: str = ""
    web_url: str = ""
    type: str = DEFAULT_TYPE
    quality: int = 0
    heat: int = UNKNOWN_HEAT
    published: bool = False
    provider: Provider = field(default_factory=Provider)
    topics: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    related: tuple[dict[str, Any], ...] = ()
    secured: str | None = None
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # What each paragraph of ``body`` was in the page (``extractors.structure``: paragraph,
    # heading, list-item …; "" unknown), for the cleaner; not part of the seed format.
    line_kinds: tuple[str, ...] = ()

    def with_changes(self, **changes: Any) -> Record:
        """Return a copy with some fields replaced."""
        return replace(self, **changes)


def to_utc(moment: datetime) -> datetime:
    """Normalise a datetime to aware UTC, reading a naive one as UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_datetime(moment: datetime) -> str:
    """ISO-8601 in UTC with a ``Z``, to the second, as the seed format writes it."""
    moment = to_utc(moment)
    # strftime's %Y writes year 1 as "1", which YAML no longer reads as a timestamp.
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"
