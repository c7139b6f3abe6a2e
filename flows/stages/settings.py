"""The settings each stage and library takes, derived from the validated config."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, TypeVar

from extractors.relevance import Watch
from flows.config import Config
from flows.fetching.http import FetchSettings
from storage.database import Database, Store
from storage.dedup import DedupSettings
from storage.lake import Lake

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


def open_store(config: Config, db_path: str | None = None) -> Store:
    """Where a run stores: the config's DuckDB file (or ``db_path``), or its DuckLake.

    Args:
        config: the validated config (``storage.backend`` chooses).
        db_path: a DuckDB file that overrides ``storage.db`` (``--db``).

    Raises:
        ValueError: ``db_path`` given for a config that stores into a lake.
    """
    storage = config.storage
    if storage.backend == "ducklake" and storage.lake is not None:
        if db_path:
            raise ValueError(
                f"--db {db_path} names a DuckDB file, but this config stores into a DuckLake "
                "(storage.backend: ducklake): leave out --db (and NEWSWATCH_DB)"
            )
        # Credentials come from the environment, never from the config file.
        return Lake(storage.lake.settings(os.environ))
    return Database(db_path or storage.db)


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
        frame=config.watch.frame,
    )
