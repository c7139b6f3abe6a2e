"""The configuration a user writes (``seeds/sources.yaml``), validated.

Every layer reads it, so it imports nothing of newswatch but ``extractors.yamlguard``:
``models`` says what a valid configuration is and loads one; ``yamlfile`` is the
generic YAML-with-line-numbers reader that words every problem as
``file:line: key.path: problem``.
"""

from flows.config.models import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_DB_PATH,
    AnySource,
    Config,
    DedupConfig,
    FeedSource,
    FetchConfig,
    FolderSource,
    GdeltSource,
    GoogleNewsConfig,
    Provider,
    RunConfig,
    ScheduleConfig,
    SitemapSource,
    Source,
    StorageConfig,
    WatchConfig,
    load_config,
    parse_config,
    shards_problem,
)
from flows.config.yamlfile import ConfigError

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_DB_PATH",
    "AnySource",
    "Config",
    "ConfigError",
    "DedupConfig",
    "FeedSource",
    "FetchConfig",
    "FolderSource",
    "GdeltSource",
    "GoogleNewsConfig",
    "Provider",
    "RunConfig",
    "ScheduleConfig",
    "SitemapSource",
    "Source",
    "StorageConfig",
    "WatchConfig",
    "load_config",
    "parse_config",
    "shards_problem",
]
