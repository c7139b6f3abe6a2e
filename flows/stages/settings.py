"""The settings each stage and library takes, derived from the validated config."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from extractors.relevance import Watch
from flows.config import Config
from flows.fetching.http import FetchSettings
from storage.dedup import DedupSettings

_Settings = TypeVar("_Settings", FetchSettings, DedupSettings)


def fetch_settings(config: Config) -> FetchSettings:
    """The fetcher's settings from the config's ``fetch`` section.

    Every setting the two share by name is carried over; the fetcher's own extras
    (``max_retry_after``, ``max_crawl_delay``) keep their defaults and the config's
    source back-off thresholds stay with the stages that store source health.
    """
    return _carried(FetchSettings, config.fetch.model_dump())


def dedup_settings(config: Config) -> DedupSettings:
    """The near-copy and story windows from the config's ``dedup`` section."""
    return _carried(DedupSettings, config.dedup.model_dump())


def _carried(settings: type[_Settings], values: dict[str, Any]) -> _Settings:
    """``settings`` built from the ``values`` whose names are among its fields."""
    names = {each.name for each in dataclasses.fields(settings)}
    return settings(**{name: value for name, value in values.items() if name in names})


def watch_from_config(config: Config) -> Watch:
    """The relevance rules from the config's ``watch`` section (accept-all when missing)."""
    if config.watch is None:
        return Watch()
    return Watch(
        name=config.watch.name,
        match_all={group: tuple(terms) for group, terms in config.watch.match_all.items()},
        exclude=tuple(config.watch.exclude),
        topics={label: tuple(terms) for label, terms in config.watch.topics.items()},
        anchors=tuple(config.watch.anchors),
        threshold=config.watch.threshold,
    )
