"""Load and validate the newswatch YAML configuration (``seeds/sources.yaml``).

The file is parsed with a :class:`yaml.SafeLoader` subclass into a node tree first, so every
problem can be reported as ``file:line: dotted.key.path: problem`` rather than as a bare
pydantic traceback. All problems found are reported together in one :class:`ConfigError`.

Deliberate departures from plain ``yaml.safe_load``:

* only ``true``/``false`` are booleans (YAML 1.2 style), so ``enabled: yes`` is reported
  instead of silently meaning ``True``, and ``name: no`` stays the string ``"no"``;
  likewise unquoted dates stay strings (no setting is a date);
* any non-standard tag (``!!python/object``, ``!custom`` ...) is refused before anything is
  constructed, and duplicate keys are errors instead of "last one wins".
"""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeAlias
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from extractors.yamlguard import ExpansionBudget, YamlBudgetError
from storage.lake_config import LakeConfig

__all__ = [
    "Config",
    "ConfigError",
    "FeedSource",
    "FetchConfig",
    "FolderSource",
    "Provider",
    "ScheduleConfig",
    "Source",
    "StorageConfig",
    "WatchConfig",
    "load_config",
    "parse_config",
]

DEFAULT_USER_AGENT = "newswatch/0.1 (+https://github.com/newswatch/newswatch)"

# Paths are tuples of mapping keys and sequence indexes, e.g. ("sources", 2, "name").
KeyPath = tuple[str | int, ...]


class ConfigError(Exception):
    """The configuration cannot be used; ``str(err)`` is the complete user-facing message.

    Attributes:
        problems: One ``file:line: key.path: problem`` line per problem found.
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("\n".join(self.problems))


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
    # accepted is the one Prefect's cron schedules accept (tests/test_config.py compares).
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

    @field_validator("match_all", "exclude", "topics", "anchors", mode="before")
    @classmethod
    def _empty_means_default(cls, value: object, info: ValidationInfo) -> object:
        # A key left without items (`exclude:`) is an editing state, not a type error.
        if value is None:
            return [] if info.field_name in ("exclude", "anchors") else {}
        return value


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

    db: Text = "data/newswatch.duckdb"
    # Raw responses of article pages are kept this many days (null: forever) for `reprocess`.
    raw_retention_days: int | None = Field(default=90, ge=0)
    # Past one machine (issue [10], in progress): the lake's settings (storage/lake_config.py).
    backend: Literal["file", "ducklake"] = "file"
    lake: LakeConfig | None = None

    @model_validator(mode="after")
    def _backend(self) -> StorageConfig:
        if self.backend == "ducklake":
            raise ValueError(
                "backend: ducklake is not wired into the pipeline yet (storage/lake.py upserts "
                "articles into a lake; runs still write the file): use backend: file"
            )
        return self


class ScheduleConfig(_Model):
    """When the scheduled run happens."""

    cron: Annotated[str, AfterValidator(_cron)] = "0 6 * * *"
    timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"


class DedupConfig(_Model):
    """Time windows of near-copy and story detection (see storage/dedup.py)."""

    window_days: int = Field(default=30, ge=1, le=3650)
    story_window_hours: int = Field(default=72, ge=1, le=24 * 365)
    heat_window_hours: int = Field(default=48, ge=1, le=24 * 365)


class GoogleNewsConfig(_Model):
    """Decoding Google News article links (``news.google.com/rss/articles/…``) to the publisher's URL.

    Google's decoding endpoint is unofficial: links it cannot decode are stored as
    feed-only records and tried again on later runs (see flows/gnews.py).
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
    google_news: GoogleNewsConfig = Field(default_factory=GoogleNewsConfig)

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: object) -> object:
        # `fetch:` with nothing under it means "all defaults"; `watch: {}` means no filter.
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for section in ("fetch", "storage", "schedule", "dedup", "google_news"):
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


# ----------------------------------------------------------------------------- YAML layer

_TAG = "tag:yaml.org,2002:"
_BOOL_TAG = _TAG + "bool"
_MERGE_TAG = _TAG + "merge"
_TIMESTAMP_TAG = _TAG + "timestamp"
_SCALAR_TAGS = frozenset(
    _TAG + name for name in ("null", "bool", "int", "float", "str", "timestamp", "binary")
)


class _SafeConfigLoader(yaml.SafeLoader):
    """SafeLoader whose booleans are only true/false, as in YAML 1.2."""


# A filtered copy, so yaml.SafeLoader itself is untouched. Implicit timestamps go too: no
# setting is a date, and `path: 2024-01-01` should stay the string the user wrote.
_SafeConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SafeConfigLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class _Problem:
    line: int
    path: KeyPath
    message: str
    # For "unknown key (did you mean 'name'?)": the key path the typo most likely meant.
    suggests: KeyPath | None = None
    # For "missing required key": the absent key's path.
    missing: KeyPath | None = None

    def render(self, source_name: str) -> str:
        where = f"{source_name}:{self.line}:"
        dotted = _format_path(self.path)
        return f"{where} {dotted}: {self.message}" if dotted else f"{where} {self.message}"


class _Refused(Exception):
    """The document cannot be turned into data at all (unsafe tag, alias bomb, cycle)."""

    def __init__(self, problem: _Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class _TreeBuilder:
    """Turn a composed node tree into plain data while recording each key's line."""

    loader: yaml.SafeLoader
    key_lines: dict[KeyPath, int] = field(default_factory=dict)
    value_lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[_Problem] = field(default_factory=list)
    # Values already reported as unreadable; schema errors about them would only repeat it.
    bad_values: set[KeyPath] = field(default_factory=set)
    # Shared with the seed format (extractors.yamlguard): aliases can expand a small file
    # into a huge tree ("billion laughs").
    _budget: ExpansionBudget = field(default_factory=ExpansionBudget)
    _active: set[int] = field(default_factory=set)

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        try:
            self._budget.charge(node)
        except YamlBudgetError as exc:
            raise _Refused(_Problem(exc.mark.line + 1, (), exc.problem)) from None
        self.value_lines.setdefault(path, _line(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._active:
            raise _Refused(_Problem(_line(node), path, "recursive alias is not allowed"))
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                self._check_tag(node, path, _TAG + "seq")
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                self._check_tag(node, path, _TAG + "map")
                return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
        raise _Refused(_Problem(_line(node), path, "unsupported YAML node"))  # pragma: no cover

    def _check_tag(self, node: yaml.Node, path: KeyPath, allowed: str | frozenset[str]) -> None:
        # Checked before construct_object ever sees the node: a refused tag is never built.
        ok = node.tag in allowed if isinstance(allowed, frozenset) else node.tag == allowed
        if not ok:
            tag = node.tag.replace(_TAG, "!!")
            raise _Refused(
                _Problem(
                    _line(node),
                    path,
                    f"YAML tag {tag!r} is not allowed (only plain YAML values are supported)",
                )
            )

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        self._check_tag(node, path, _SCALAR_TAGS)
        try:
            return self.loader.construct_object(node)
        except (ValueError, yaml.YAMLError):
            # Only explicit tags get here (`!!int abc`, `!!timestamp 2024-02-30`).
            kind = node.tag.replace(_TAG, "")
            self.problems.append(_Problem(_line(node), path, f"invalid {kind} {node.value!r}"))
            self.bad_values.add(path)
            return node.value

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    _Problem(_line(key_node), path, "mapping keys must be plain text")
                )
                continue
            self._check_tag(key_node, path, _SCALAR_TAGS)
            # The source text, not the resolved value: a key `1.0` or `null` is still a name.
            key = key_node.value
            key_path = (*path, key)
            if key in result:
                first = self.key_lines[key_path]
                self.problems.append(
                    _Problem(
                        _line(key_node),
                        path,
                        f"duplicate key {key!r} (first defined on line {first})",
                    )
                )
                continue
            self.key_lines[key_path] = _line(key_node)
            result[key] = self.build(value_node, key_path)
        # YAML merge keys (`<<: *defaults`): explicit keys win, earlier merges win over later.
        for merge_node in merged:
            sources = (
                merge_node.value if isinstance(merge_node, yaml.SequenceNode) else [merge_node]
            )
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    self.problems.append(
                        _Problem(_line(merge_node), path, "'<<' must merge a mapping")
                    )
                    continue
                # Through build() so merges count against the alias budget and cycle check.
                for key, value in self.build(source, path).items():
                    result.setdefault(key, value)
        return result


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


# ------------------------------------------------------------------- error translation

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _format_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _number(value: object) -> str:
    # Bounds on float fields come back as 0.0; the file most likely says 0.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` so the underlying type can be inspected."""
    while True:
        if typing.get_origin(tp) is Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(tp) if arg is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _tagged_members(tp: Any) -> dict[str, type[BaseModel]]:
    """Map discriminator tag -> model for a union of source models, else empty."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return {}
    tags: dict[str, type[BaseModel]] = {}
    for member in typing.get_args(tp):
        if isinstance(member, type) and issubclass(member, BaseModel):
            kind = member.model_fields.get("kind")
            if kind is not None:
                for tag in typing.get_args(kind.annotation):
                    tags[str(tag)] = member
    return tags


def _resolve_loc(loc: tuple[int | str, ...]) -> tuple[KeyPath, type[BaseModel] | None]:
    """Turn a pydantic ``loc`` into a file key path and the model that owns its last key.

    Pydantic inserts the discriminator tag ("feed") and "[key]" markers into locations;
    neither exists in the file, so they are dropped.
    """
    path: list[str | int] = []
    owner: type[BaseModel] | None = None
    tp: Any = Config
    for part in loc:
        if part == "[key]":
            continue
        tp = _unwrap(tp)
        tagged = _tagged_members(tp)
        if isinstance(part, str) and part in tagged:
            tp = tagged[part]
            continue
        path.append(part)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            owner = tp
            found = tp.model_fields.get(part)
            tp = found.annotation if found is not None else None
            continue
        owner = None
        origin = typing.get_origin(tp)
        if origin is list:
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        else:
            tp = None
    return tuple(path), owner


def _unknown_key(path: KeyPath, owner: type[BaseModel] | None, lines: _Lines) -> _Problem:
    line = lines.key(path)
    if owner is None:
        return _Problem(line, path, "unknown key")
    allowed = sorted(owner.model_fields)
    close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
    if close:
        message = f"unknown key (did you mean {close[0]!r}?)"
        return _Problem(line, path, message, suggests=(*path[:-1], close[0]))
    return _Problem(line, path, f"unknown key (allowed keys: {', '.join(allowed)})")


_TYPE_NAMES = {
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


class _Lines:
    """Line lookup for key paths, falling back to the closest enclosing value."""

    def __init__(self, builder: _TreeBuilder) -> None:
        self._keys = builder.key_lines
        self._values = builder.value_lines

    def key(self, path: KeyPath) -> int:
        """Line of the key itself, or of the value for sequence items and the root."""
        while path:
            line = self._keys.get(path) or self._values.get(path)
            if line is not None:
                return line
            path = path[:-1]
        return self._values.get((), 1)


def _translate(error: ErrorDetails, lines: _Lines) -> _Problem | None:
    kind = error["type"]
    path, owner = _resolve_loc(error["loc"])
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == _DUPLICATE_SOURCE:
        return None  # already reported with its line by _duplicate_source_names
    if kind == "missing":
        parent = path[:-1]
        message = f"missing required key {path[-1]!r}"
        return _Problem(lines.key(parent), parent, message, missing=path)
    if kind == "extra_forbidden":
        return _unknown_key(path, owner, lines)
    expected = ", ".join(SOURCE_KINDS)
    if kind == "union_tag_invalid":
        kind_path = (*path, "kind")
        got = value.get("kind") if isinstance(value, dict) else value
        return _Problem(
            lines.key(kind_path),
            kind_path,
            f"unknown source kind {_describe(got)} (expected one of: {expected})",
        )
    if kind == "union_tag_not_found":
        return _Problem(
            lines.key(path),
            path,
            f"missing required key 'kind' (expected one of: {expected})",
        )
    if kind in _TYPE_NAMES:
        message = f"expected {_TYPE_NAMES[kind]}, got {_describe(value)}"
    elif kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
    elif kind == "too_short":
        message = "must not be empty"
    elif kind in ("greater_than", "greater_than_equal"):
        op, bound = (">", ctx.get("gt")) if kind == "greater_than" else (">=", ctx.get("ge"))
        message = f"must be {op} {_number(bound)}, got {_describe(value)}"
    elif kind == "finite_number":
        message = f"must be a finite number, got {_describe(value)}"
    else:
        message = str(error["msg"])
    return _Problem(lines.key(path), path, message)


def _duplicate_source_names(data: Any, lines: _Lines) -> list[_Problem]:
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
                _Problem(
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
    loader = _SafeConfigLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            raise ConfigError(_yaml_error_message(exc, source_name)) from None
        except RecursionError:
            raise ConfigError(f"{source_name}: YAML nesting is too deep") from None
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _TAG + "null"):
            raise ConfigError(
                f"{source_name}:1: the config is empty (expected a mapping with a 'sources' list)"
            )
        if not isinstance(root, yaml.MappingNode):
            what = "a list" if isinstance(root, yaml.SequenceNode) else repr(root.value)
            raise ConfigError(
                f"{source_name}:{_line(root)}: the top level must be a mapping of keys "
                f"(such as 'sources'), got {what}"
            )
        builder = _TreeBuilder(loader)
        try:
            data = builder.build(root, ())
        except _Refused as exc:
            raise ConfigError(exc.problem.render(source_name)) from None
        except RecursionError:
            raise ConfigError(f"{source_name}: YAML nesting is too deep") from None
    finally:
        loader.dispose()

    lines = _Lines(builder)
    problems = list(builder.problems)
    problems += _duplicate_source_names(data, lines)
    config: Config | None = None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        schema_problems = [_translate(error, lines) for error in exc.errors()]
        # `nmae: x` already says "did you mean 'name'?"; "missing 'name'" would be noise.
        explained = {p.suggests for p in schema_problems if p is not None and p.suggests}
        problems += [
            p
            for p in schema_problems
            if p is not None and p.missing not in explained and p.path not in builder.bad_values
        ]
    if problems or config is None:
        # Sorted by line so the message reads top to bottom like the file.
        ordered = sorted(dict.fromkeys(problems), key=lambda problem: problem.line)
        raise ConfigError([problem.render(source_name) for problem in ordered])
    return config


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
    return config.model_copy(update={"sources": sources, "storage": storage})


def _yaml_error_message(exc: yaml.MarkedYAMLError, source_name: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        if exc.problem.startswith("but "):
            # The composer splits one sentence: "expected a single document" / "but found ...".
            problem = f"{exc.context} {exc.problem}"
        elif exc.context_mark is not None:
            problem += f" ({exc.context} on line {exc.context_mark.line + 1})"
    return f"{source_name}:{line}: YAML syntax error: {problem}"
