"""The newswatch configuration (``seeds/sources.yaml``): its models, defaults and loading.

Reading the YAML with every key's line and turning schema errors into
``file:line: key.path: problem`` lines is the generic half, in
``flows.config.yamlfile``; this module says what a valid configuration is.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from typing import Annotated, Any, Literal, TypeAlias
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from flows.config.yamlfile import (
    ConfigError,
    KeyPath,
    Lines,
    Problem,
    read_mapping,
    validate,
)
from storage.lake_config import LakeConfig

__all__ = ["ConfigError", "load_config", "parse_config", "shards_problem"]

DEFAULT_USER_AGENT = "newswatch/0.1 (+https://github.com/newswatch/newswatch)"
# The configuration the commands use without --config, and the database without one.
DEFAULT_CONFIG_PATH = "seeds/sources.yaml"
DEFAULT_DB_PATH = "data/newswatch.duckdb"

# --------------------------------------------------------------------------- field checks


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]*")


def _source_name(value: str) -> str:
    # Names end up in file names, DuckDB rows and CLI arguments: keep them boring.
    if not _SLUG.fullmatch(value):
        raise ValueError(
            f"invalid source name {value!r} (use lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit)"
        )
    return value


def _http_url(value: str) -> str:
    problem = f"malformed URL {value!r} (expected http:// or https:// with a host)"
    if any(ch.isspace() for ch in value):
        raise ValueError(problem)
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        raise ValueError(problem) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(problem)
    return value


_DOMAIN = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)


def _domain(value: str) -> str:
    if not _DOMAIN.fullmatch(value):
        raise ValueError(f"invalid domain {value!r} (expected a bare host name like 'example.org')")
    return value


_CRON_FIELDS = "minute hour day-of-month month day-of-week"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name in messages, lowest, highest, names counted from `lowest`) per cron field.
_CRON_RANGES: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 7, _WEEKDAYS),
)
_CRON_ITEM = re.compile(
    r"(?P<start>\*|\?|\w+)(?:-(?P<end>\w+))?(?:/(?P<step>\d+))?(?:#(?P<nth>\d+))?"
)


def _cron(value: str) -> str:
    # Checked here, not when `newswatch serve` builds its schedule: a bad cron must stop at
    # load time with the file and line, not after a Prefect server was started. The syntax
    # accepted is the one Prefect's cron schedules accept (tests/flows/config/test_config.py compares).
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 cron fields ({_CRON_FIELDS}), got {len(fields)} in {value!r}")
    for text, (name, low, high, names) in zip(fields, _CRON_RANGES, strict=True):
        for item in text.split(","):
            problem = _cron_item_problem(item, name, low, high, names)
            if problem:
                raise ValueError(f"invalid cron expression {value!r}: {problem}")
    return value


def _cron_item_problem(
    item: str, name: str, low: int, high: int, names: tuple[str, ...]
) -> str | None:
    """What is wrong with one comma-separated item of a cron field, or None."""
    if name == "day-of-month" and item == "L":
        return None  # the last day of the month
    match = _CRON_ITEM.fullmatch(item)
    if match is None:
        return f"{name} {item!r} is not a number, range, list or step"
    start, end, step, nth = match["start"], match["end"], match["step"], match["nth"]
    if start == "?" and name not in ("day-of-month", "day-of-week"):
        return f"'?' is allowed only in day-of-month and day-of-week, not in {name}"
    if start in ("*", "?"):
        if end is not None or nth is not None or (start == "?" and step is not None):
            return f"{name} {item!r} is not a number, range, list or step"
    else:
        for bound in (start, end):
            if bound is None:
                continue
            number = _cron_number(bound, low, names)
            if number is None:
                return f"{name} {bound!r} is not a number" + (
                    f" or a name ({', '.join(names)})" if names else ""
                )
            if not low <= number <= high:
                return f"{name} {bound} is out of range {low}-{high}"
    if step is not None and int(step) == 0:
        return f"{name} step 0 in {item!r} must be at least 1"
    if nth is not None:
        if name != "day-of-week" or end is not None or step is not None or start == "*":
            return f"'#' is allowed only as day-of-week DAY#N, not in {item!r}"
        if not 1 <= int(nth) <= 5:
            return f"day-of-week {item!r}: the week number after '#' must be 1-5"
    return None


def _cron_number(text: str, low: int, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        return int(text)
    lowered = text.lower()
    return names.index(lowered) + low if lowered in names else None


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
        # ZoneInfo also opens files outside the IANA list ("posixrules", "right/UTC"), which
        # Prefect's schedules refuse: `newswatch serve` would fail after starting a server.
        if value not in available_timezones():
            raise ZoneInfoNotFoundError(value)
    except (ZoneInfoNotFoundError, ValueError):
        # ValueError covers names ZoneInfo refuses outright, such as absolute or '..' paths.
        message = f"unknown time zone {value!r}"
        close = difflib.get_close_matches(value, sorted(available_timezones()), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "expected an IANA name such as 'UTC'"
        raise ValueError(f"{message} ({hint})") from None
    return value


Text = Annotated[str, AfterValidator(_non_blank)]
Terms = Annotated[list[Text], Field(min_length=1)]
SourceName = Annotated[str, AfterValidator(_source_name)]
HttpUrlText = Annotated[str, AfterValidator(_http_url)]
Domain = Annotated[str, AfterValidator(_domain)]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeSeconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]


# --------------------------------------------------------------------------------- models


class _Model(BaseModel):
    # strict: a YAML string "8" or "yes" must be reported, not quietly coerced.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class WatchConfig(_Model):
    """What the pipeline watches for; ``None`` at the top level means "keep everything"."""

    name: Text
    description: str = ""
    match_all: dict[Text, Terms] = Field(default_factory=dict)
    exclude: list[Text] = Field(default_factory=list)
    topics: dict[Text, Terms] = Field(default_factory=dict)
    # Terms that name the topic on their own ("AI Act"); see extractors.relevance.
    anchors: list[Text] = Field(default_factory=list)
    # Relevance score at which an article is on-topic; unset keeps the original
    # any-term-of-every-group rule, so older configs behave as before.
    threshold: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    # The match_all group that says what kind of story the watch wants (the angle,
    # "governance"): a headline holding one of its strong terms keeps the lede's later
    # sentences from counting less (extractors.relevance.Watch.frame). Declared after
    # match_all so that the check below sees the groups.
    frame: Text | None = None

    @field_validator("match_all", "exclude", "topics", "anchors", mode="before")
    @classmethod
    def _empty_means_default(cls, value: object, info: ValidationInfo) -> object:
        # A key left without items (`exclude:`) is an editing state, not a type error.
        if value is None:
            return [] if info.field_name in ("exclude", "anchors") else {}
        return value

    @field_validator("frame")
    @classmethod
    def _frame_names_a_group(cls, value: str | None, info: ValidationInfo) -> str | None:
        groups = info.data.get("match_all")
        # match_all missing from info.data failed its own check, which is reported.
        if value is None or groups is None or value in groups:
            return value
        names = ", ".join(repr(group) for group in groups) or "none"
        close = difflib.get_close_matches(value, list(groups), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{value!r} is not one of the watch's match_all groups ({names}){hint}")


class FolderSource(_Model):
    """A local folder of seed documents."""

    name: SourceName
    kind: Literal["folder"]
    path: Text
    enabled: bool = True


class Provider(_Model):
    """Publisher override for a feed whose items name the wrong (or no) publisher."""

    name: Text
    domain: Domain


class FeedSource(_Model):
    """An RSS/Atom feed."""

    name: SourceName
    kind: Literal["feed"]
    url: HttpUrlText
    enabled: bool = True
    fetch_articles: bool = True
    provider: Provider | None = None
    max_items: int = Field(default=200, ge=1)


class GdeltSource(_Model):
    """Articles found by the GDELT DOC 2.0 API (article-list mode) for a query.

    A daily run asks for the last ``daily_hours``; a backfill asks day by day, each day
    cut into ``slice_hours`` slices (a slice that returns the API's 250-result maximum is
    halved until it does not, down to 15 minutes).
    """

    name: SourceName
    kind: Literal["gdelt"]
    query: Text
    api_url: HttpUrlText = "https://api.gdeltproject.org/api/v2/doc/doc"
    enabled: bool = True
    slice_hours: float = Field(default=6.0, gt=0, le=24)
    daily_hours: float = Field(default=24.0, gt=0, le=24 * 7)
    # GDELT asks for at most one request every 5 seconds.
    request_interval: NonNegativeSeconds = 5.0
    provider: Provider | None = None
    max_items: int = Field(default=2000, ge=1)


class SitemapSource(_Model):
    """A (news) sitemap or sitemap index; URLs are kept by publication date or lastmod.

    A daily run keeps URLs dated within the last ``daily_hours``; a backfill keeps those
    dated inside each day. Child sitemaps whose lastmod is before the range are not fetched.
    """

    name: SourceName
    kind: Literal["sitemap"]
    url: HttpUrlText
    enabled: bool = True
    daily_hours: float = Field(default=48.0, gt=0, le=24 * 30)
    max_sitemaps: int = Field(default=50, ge=1)
    provider: Provider | None = None
    max_items: int = Field(default=2000, ge=1)


AnySource: TypeAlias = FolderSource | FeedSource | GdeltSource | SitemapSource
Source = Annotated[AnySource, Field(discriminator="kind")]


class FetchConfig(_Model):
    """HTTP client limits shared by every network source."""

    user_agent: Text = DEFAULT_USER_AGENT
    connect_timeout: Seconds = 10.0
    read_timeout: Seconds = 20.0
    total_timeout: Seconds = 60.0
    max_response_bytes: int = Field(default=10_000_000, ge=1)
    max_redirects: int = Field(default=5, ge=0)
    concurrency: int = Field(default=32, ge=1)
    per_host_concurrency: int = Field(default=2, ge=1)
    per_host_delay: NonNegativeSeconds = 0.0
    retries: int = Field(default=2, ge=0)
    backoff_seconds: NonNegativeSeconds = 1.0
    allow_private_addresses: bool = False
    # robots.txt of every host is honoured (RFC 9309) unless this is false (local mirrors).
    respect_robots: bool = True
    robots_timeout: Seconds = 10.0
    # A source failing this many runs in a row is tried again only after a growing pause.
    backoff_after_failures: int = Field(default=3, ge=1)
    max_backoff_days: int = Field(default=7, ge=1)


class StorageConfig(_Model):
    """Where records are stored."""

    db: Text = DEFAULT_DB_PATH
    # Raw responses of article pages are kept this many days (null: forever) for `reprocess`.
    raw_retention_days: int | None = Field(default=90, ge=0)
    # file: the one DuckDB file above (the default); ducklake: the lake below, which several
    # processes and machines write at once (storage/lake_config.py, README "Past one machine").
    backend: Literal["file", "ducklake"] = "file"
    lake: LakeConfig | None = None

    @model_validator(mode="after")
    def _backend(self) -> StorageConfig:
        if self.backend == "ducklake" and self.lake is None:
            raise ValueError("backend: ducklake needs a storage.lake block (catalog, data_path)")
        return self


class ScheduleConfig(_Model):
    """When the scheduled run happens."""

    cron: Annotated[str, AfterValidator(_cron)] = "0 6 * * *"
    timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"
    # When `newswatch serve` runs the lake-maintenance flow (a lake config only).
    maintenance_cron: Annotated[str, AfterValidator(_cron)] = "0 3 * * *"


class RunConfig(_Model):
    """How a run is split over machines (fan-out on a Prefect work pool, a lake config only)."""

    # 1: the run's stages run in its own process (the default, what `make run` does).
    # N > 1: the sources are split into N groups by a hash of their name (a backfill: days ×
    # groups), each group a flow run of `shard_deployment` on a work pool (README "Past one
    # machine"); the run waits for them, then reports and publishes once.
    shards: int = Field(default=1, ge=1, le=1000)
    # The deployment of flows.monitor.monitor_shard, as "flow name/deployment name".
    shard_deployment: Text = "monitor-shard/monitor-shard"
    # A shard flow run that crashed or failed is run again this many times.
    shard_retries: int = Field(default=1, ge=0, le=10)
    # Seconds between a shard flow run's heartbeats (Prefect's minimum is 30); a running
    # shard that has sent none for `shard_stale_after` heartbeats is marked Crashed (its
    # worker or machine is gone) and run again.
    shard_heartbeat_seconds: int = Field(default=30, ge=30)
    shard_stale_after: float = Field(default=3.0, gt=1)
    # Seconds a shard flow run may wait on the pool before a worker picks it up; after that it
    # is cancelled and its sources fail with a message naming the pool (no worker is polling
    # it). 0 waits for ever (a pool whose workers start on demand).
    shard_start_timeout: float = Field(default=900, ge=0)


def shards_problem(shards: int, backend: str) -> str | None:
    """Why a run cannot have ``shards`` shards with this storage backend; None when it can."""
    if shards < 1:
        return f"{shards}: a run has at least one shard"
    if shards > 1 and backend != "ducklake":
        return (
            f"{shards} shards need storage.backend: ducklake (shards on several machines "
            "write into one lake; a DuckDB file has one writer)"
        )
    return None


class DedupConfig(_Model):
    """Time windows of near-copy and story detection (see storage/dedup.py)."""

    window_days: int = Field(default=30, ge=1, le=3650)
    story_window_hours: int = Field(default=72, ge=1, le=24 * 365)
    heat_window_hours: int = Field(default=48, ge=1, le=24 * 365)


class GoogleNewsConfig(_Model):
    """Decoding Google News article links (``news.google.com/rss/articles/…``) to the publisher's URL.

    Google's decoding endpoint is unofficial: links it cannot decode are stored as
    feed-only records and tried again on later runs (see flows/stages/gnews.py).
    """

    decode: bool = True
    base_url: HttpUrlText = "https://news.google.com"
    # Seconds between request starts to Google News: a rate fit for an unofficial endpoint.
    request_interval: NonNegativeSeconds = 1.0
    # Links decoded per batchexecute POST.
    batch_size: int = Field(default=20, ge=1, le=100)
    # A link still undecoded after this many runs' attempts stays a feed-only record.
    max_attempts: int = Field(default=5, ge=1)


_DUPLICATE_SOURCE = "duplicate_source_name"


class Config(_Model):
    """The whole validated configuration."""

    watch: WatchConfig | None = None
    sources: list[Source] = Field(min_length=1)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    run: RunConfig = Field(default_factory=RunConfig)
    google_news: GoogleNewsConfig = Field(default_factory=GoogleNewsConfig)

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: object) -> object:
        # `fetch:` with nothing under it means "all defaults"; `watch: {}` means no filter.
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for section in ("fetch", "storage", "schedule", "dedup", "run", "google_news"):
            if section in data and data[section] is None:
                del data[section]
        if data.get("watch") == {}:
            data["watch"] = None
        return data

    @model_validator(mode="after")
    def _unique_source_names(self) -> Config:
        # parse_config reports duplicates with their lines before this runs; this keeps
        # Config(...) built in code honest too.
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise PydanticCustomError(
                    _DUPLICATE_SOURCE, "duplicate source name {name!r}", {"name": source.name}
                )
            seen.add(source.name)
        return self

    @model_validator(mode="after")
    def _shards_need_a_lake(self) -> Config:
        problem = shards_problem(self.run.shards, self.storage.backend)
        if problem:
            raise ValueError(f"run.shards: {problem}")
        return self

    def source(self, name: str) -> AnySource:
        """Return the source called ``name``.

        Args:
            name: The source's ``name``.

        Returns:
            The configured source, enabled or not.

        Raises:
            KeyError: No source has that name.
        """
        for candidate in self.sources:
            if candidate.name == name:
                return candidate
        raise KeyError(f"no source named {name!r}")

    @property
    def enabled_sources(self) -> list[AnySource]:
        """The sources with ``enabled: true``, in file order."""
        return [source for source in self.sources if source.enabled]


SOURCE_KINDS: tuple[str, ...] = tuple(
    sorted(
        typing.get_args(model.model_fields["kind"].annotation)[0]
        for model in (FeedSource, FolderSource, GdeltSource, SitemapSource)
    )
)


def _duplicate_source_names(data: Any, lines: Lines) -> list[Problem]:
    """Report repeated source names on the raw data, where their lines are still known."""
    sources = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(sources, list):
        return []
    first_seen: dict[str, int] = {}
    problems = []
    for index, item in enumerate(sources):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        if name in first_seen:
            first = first_seen[name]
            path: KeyPath = ("sources", index, "name")
            problems.append(
                Problem(
                    lines.key(path),
                    path,
                    f"duplicate source name {name!r} (first used by sources[{first}] "
                    f"on line {lines.key(('sources', first, 'name'))})",
                )
            )
        else:
            first_seen[name] = index
    return problems


# ---------------------------------------------------------------------------- public API


def parse_config(text: str, source_name: str) -> Config:
    """Parse and validate configuration YAML held in a string.

    Args:
        text: The YAML document.
        source_name: How to name the document in error messages, usually its path.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: The text is not valid YAML or does not match the schema; the message
            lists every problem found, one ``file:line: key.path: problem`` per line.
    """
    document = read_mapping(text, source_name, empty="expected a mapping with a 'sources' list")
    return validate(
        Config,
        document,
        source_name,
        tag_noun="source",
        more_problems=_duplicate_source_names(document.data, document.lines),
        reported_elsewhere={_DUPLICATE_SOURCE},
    )


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read, parse and validate a configuration file.

    Args:
        path: The YAML file, e.g. ``seeds/sources.yaml``; used as given in messages.

    Returns:
        The validated configuration. Relative paths written in it (a folder source's
        ``path``, ``storage.db``) are resolved against the directory of the config file,
        so a run finds the same files from any working directory. ``storage.db`` left
        unset stays the default ``data/newswatch.duckdb``, relative to the working
        directory like ``--db``.

    Raises:
        ConfigError: The file is missing, unreadable, not UTF-8, not valid YAML or does not
            match the schema.
    """
    name = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {name}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {name}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return _relative_to(parse_config(text, name), os.path.dirname(name))


def _relative_to(config: Config, directory: str) -> Config:
    """``config`` with its relative file paths taken relative to ``directory``."""

    def resolve(path: str) -> str:
        # normpath keeps `seeds/../data/x.duckdb` out of messages; it is "data/x.duckdb".
        return path if os.path.isabs(path) else os.path.normpath(os.path.join(directory, path))

    sources = [
        source.model_copy(update={"path": resolve(source.path)})
        if isinstance(source, FolderSource)
        else source
        for source in config.sources
    ]
    storage = config.storage
    if "db" in storage.model_fields_set:
        storage = storage.model_copy(update={"db": resolve(storage.db)})
    if storage.lake is not None:
        storage = storage.model_copy(update={"lake": storage.lake.resolved(directory)})
    return config.model_copy(update={"sources": sources, "storage": storage})
