"""flows.stages.settings: the libraries' settings carry what the config says."""

from __future__ import annotations

import dataclasses

from flows.config import parse_config
from flows.fetching.http import FetchSettings
from flows.stages.settings import dedup_settings, fetch_settings
from storage.dedup import DedupSettings

CONFIG = """
sources:
  - {name: local, kind: folder, path: docs}
fetch:
  user_agent: "tester/2.0 (+https://example.org)"
  connect_timeout: 3
  read_timeout: 4
  total_timeout: 5
  max_response_bytes: 1234
  max_redirects: 1
  concurrency: 3
  per_host_concurrency: 1
  per_host_delay: 0.25
  retries: 0
  backoff_seconds: 0.5
  allow_private_addresses: true
  respect_robots: false
  robots_timeout: 2
dedup:
  window_days: 9
  story_window_hours: 10
  heat_window_hours: 11
"""


def test_every_fetch_setting_the_config_names_is_carried() -> None:
    config = parse_config(CONFIG, "test.yaml")
    settings = fetch_settings(config)
    shared = {f.name for f in dataclasses.fields(FetchSettings)} & set(
        type(config.fetch).model_fields
    )

    # Every shared field is set to a non-default value above, so a dropped one shows.
    assert shared == {f.name for f in dataclasses.fields(FetchSettings)} - {
        "max_retry_after",
        "max_crawl_delay",
    }
    for name in shared:
        assert getattr(settings, name) == getattr(config.fetch, name), name
        assert getattr(settings, name) != getattr(FetchSettings(), name), name


def test_dedup_windows_are_carried() -> None:
    settings = dedup_settings(parse_config(CONFIG, "test.yaml"))

    assert settings == DedupSettings(window_days=9, story_window_hours=10, heat_window_hours=11)
