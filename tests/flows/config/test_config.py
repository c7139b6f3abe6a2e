"""Tests for flows.config: schema, defaults and the file:line: key: problem messages."""

from __future__ import annotations

import ast
import textwrap
import time
from pathlib import Path

import pydantic
import pytest

import flows.config
from flows.config import (
    Config,
    ConfigError,
    FeedSource,
    FetchConfig,
    FolderSource,
    Provider,
    ScheduleConfig,
    StorageConfig,
    WatchConfig,
    load_config,
    parse_config,
)
from tests.support.paths import REPO

NAME = "seeds/sources.yaml"

MINIMAL = """\
sources:
  - name: seed-documents
    kind: folder
    path: seeds/documents
"""

FULL = """\
watch:
  name: ai-governance
  description: "AI policy and regulation news"
  match_all:
    subject: [AI, artificial intelligence, machine learning]
    governance: [regulat*, policy, law]
  exclude: [horoscope]
  topics:
    "AI regulation": [AI Act, regulation]
    Safety: [alignment, safety]
sources:
  - name: seed-documents
    kind: folder
    path: seeds/documents
    enabled: true
  - name: some-outlet
    kind: feed
    url: https://example.org/feed.xml
    enabled: false
    fetch_articles: false
    provider:
      name: Example
      domain: example.org
    max_items: 50
  - name: other.outlet_2
    kind: feed
    url: http://news.example.com:8080/rss?x=1
fetch:
  user_agent: "test-agent/1.0"
  connect_timeout: 5
  read_timeout: 7.5
  total_timeout: 30.0
  max_response_bytes: 1_000_000
  max_redirects: 0
  concurrency: 4
  per_host_concurrency: 1
  per_host_delay: 0.5
  retries: 0
  backoff_seconds: 0
  allow_private_addresses: true
storage:
  db: /tmp/x.duckdb
schedule:
  cron: "*/15 6-18 * * 1-5"
  timezone: Europe/Paris
"""


def _y(text: str) -> str:
    """Dedent an inline YAML document so its first line is line 1."""
    return textwrap.dedent(text).lstrip("\n")


def _errors(text: str) -> list[str]:
    """Return the problem lines parse_config reports for ``text``."""
    with pytest.raises(ConfigError) as info:
        parse_config(_y(text), NAME)
    lines = str(info.value).splitlines()
    assert list(info.value.problems) == lines
    return lines


def _only_error(text: str) -> str:
    errors = _errors(text)
    assert len(errors) == 1, errors
    return errors[0]


# ------------------------------------------------------------------------- valid configs


def test_full_config_is_parsed() -> None:
    config = parse_config(FULL, NAME)

    assert config.watch == WatchConfig(
        name="ai-governance",
        description="AI policy and regulation news",
        match_all={
            "subject": ["AI", "artificial intelligence", "machine learning"],
            "governance": ["regulat*", "policy", "law"],
        },
        exclude=["horoscope"],
        topics={"AI regulation": ["AI Act", "regulation"], "Safety": ["alignment", "safety"]},
    )
    assert config.watch is not None and config.watch.match_all
    assert config.sources == [
        FolderSource(name="seed-documents", kind="folder", path="seeds/documents"),
        FeedSource(
            name="some-outlet",
            kind="feed",
            url="https://example.org/feed.xml",
            enabled=False,
            fetch_articles=False,
            provider=Provider(name="Example", domain="example.org"),
            max_items=50,
        ),
        FeedSource(name="other.outlet_2", kind="feed", url="http://news.example.com:8080/rss?x=1"),
    ]
    assert config.fetch == FetchConfig(
        user_agent="test-agent/1.0",
        connect_timeout=5.0,
        read_timeout=7.5,
        total_timeout=30.0,
        max_response_bytes=1_000_000,
        max_redirects=0,
        concurrency=4,
        per_host_concurrency=1,
        per_host_delay=0.5,
        retries=0,
        backoff_seconds=0.0,
        allow_private_addresses=True,
    )
    assert config.storage == StorageConfig(db="/tmp/x.duckdb")
    assert config.schedule == ScheduleConfig(cron="*/15 6-18 * * 1-5", timezone="Europe/Paris")


def test_int_is_accepted_where_a_float_is_expected() -> None:
    config = parse_config(FULL, NAME)
    assert isinstance(config.fetch.connect_timeout, float | int)
    assert config.fetch.connect_timeout == 5


def test_defaults() -> None:
    config = parse_config(MINIMAL, NAME)

    assert config.watch is None
    assert config.fetch == FetchConfig()
    assert config.fetch.user_agent == "newswatch/0.1 (+https://github.com/newswatch/newswatch)"
    assert (config.fetch.connect_timeout, config.fetch.read_timeout) == (10.0, 20.0)
    assert config.fetch.total_timeout == 60.0
    assert config.fetch.max_response_bytes == 10_000_000
    assert config.fetch.max_redirects == 5
    assert (config.fetch.concurrency, config.fetch.per_host_concurrency) == (32, 2)
    assert config.fetch.per_host_delay == 0.0
    assert (config.fetch.retries, config.fetch.backoff_seconds) == (2, 1.0)
    assert config.fetch.allow_private_addresses is False
    assert config.storage.db == "data/newswatch.duckdb"
    assert config.schedule == ScheduleConfig(cron="0 6 * * *", timezone="UTC")
    assert config.sources[0] == FolderSource(
        name="seed-documents", kind="folder", path="seeds/documents", enabled=True
    )


def test_feed_defaults() -> None:
    config = parse_config(
        _y("""
        sources:
          - name: feed
            kind: feed
            url: https://example.org/rss
        """),
        NAME,
    )
    feed = config.source("feed")
    assert isinstance(feed, FeedSource)
    assert feed.enabled and feed.fetch_articles
    assert feed.provider is None
    assert feed.max_items == 200


def test_relative_paths_are_kept_as_written() -> None:
    config = parse_config(MINIMAL, NAME)
    source = config.source("seed-documents")
    assert isinstance(source, FolderSource)
    assert source.path == "seeds/documents"


@pytest.mark.parametrize("watch", ["watch:", "watch: {}", "watch: null"])
def test_empty_watch_accepts_everything(watch: str) -> None:
    config = parse_config(watch + "\n" + MINIMAL, NAME)
    assert config.watch is None


def test_watch_without_filters_accepts_everything() -> None:
    config = parse_config(
        _y("""
        watch:
          name: everything
          match_all:
          exclude:
          topics: {}
        """)
        + MINIMAL,
        NAME,
    )
    assert config.watch == WatchConfig(name="everything")
    assert not config.watch.match_all and not config.watch.exclude


def test_empty_sections_mean_defaults() -> None:
    config = parse_config(MINIMAL + "fetch:\nstorage:\nschedule:\n", NAME)
    assert config.fetch == FetchConfig()
    assert config.storage == StorageConfig()
    assert config.schedule == ScheduleConfig()


def test_source_lookup_and_enabled_sources() -> None:
    config = parse_config(FULL, NAME)
    assert config.source("some-outlet").name == "some-outlet"
    assert [source.name for source in config.enabled_sources] == [
        "seed-documents",
        "other.outlet_2",
    ]
    with pytest.raises(KeyError, match="nope"):
        config.source("nope")


def test_models_are_frozen() -> None:
    config = parse_config(MINIMAL, NAME)
    with pytest.raises(pydantic.ValidationError):
        config.fetch.retries = 9


def test_yaml_merge_keys_are_supported() -> None:
    config = parse_config(
        _y("""
        sources:
          - &feed
            name: a
            kind: feed
            url: https://a.example/rss
            max_items: 7
          - <<: *feed
            name: b
        """),
        NAME,
    )
    b = config.source("b")
    assert isinstance(b, FeedSource)
    assert (b.url, b.max_items) == ("https://a.example/rss", 7)


def test_yes_no_are_strings_not_booleans() -> None:
    # YAML 1.1 would turn `no` into False; a source name or path must stay as written.
    config = parse_config(
        _y("""
        sources:
          - name: "no"
            kind: folder
            path: no
        """),
        NAME,
    )
    source = config.source("no")
    assert isinstance(source, FolderSource)
    assert source.path == "no"


def test_date_like_values_stay_strings() -> None:
    config = parse_config(MINIMAL.replace("seeds/documents", "2024-01-01"), NAME)
    assert config.sources[0] == FolderSource(
        name="seed-documents", kind="folder", path="2024-01-01"
    )


# ----------------------------------------------------------------------------- load_config


def test_load_config_uses_the_path_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "sources.yaml").write_text(MINIMAL + "fetch:\n  retries: lots\n")

    expected = "seeds/sources.yaml:6: fetch.retries: expected an integer, got 'lots'"
    for path in ("seeds/sources.yaml", Path("seeds/sources.yaml")):
        with pytest.raises(ConfigError) as info:
            load_config(path)
        assert str(info.value) == expected


def test_load_config_reads_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(FULL, encoding="utf-8")
    # Only the folder's relative path differs: it is taken relative to the file's directory.
    parsed = parse_config(FULL, NAME)
    folder = parsed.sources[0].model_copy(update={"path": str(tmp_path / "seeds" / "documents")})
    assert load_config(path) == parsed.model_copy(update={"sources": [folder, *parsed.sources[1:]]})


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(missing)
    assert str(info.value) == f"config file not found: {missing}"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("sources: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_config(path).sources[0].name == "seed-documents"


# ---------------------------------------------------------------------- error messages


def test_unknown_key_suggests_the_closest_one() -> None:
    error = _only_error("""
        # seeds/sources.yaml
        watch:
          name: ai-governance
        sources:
          - name: one
            kind: folder
            path: seeds/one
          - name: two
            kind: feed
            url: https://example.org/two.xml
          - kind: folder
            path: seeds/three
            enabled: true
            nmae: three
        """)
    assert error == "seeds/sources.yaml:14: sources[2].nmae: unknown key (did you mean 'name'?)"


def test_unknown_key_without_close_match_lists_the_allowed_keys() -> None:
    error = _only_error(MINIMAL + "fetch:\n  zzz: 1\n")
    assert error.startswith("seeds/sources.yaml:6: fetch.zzz: unknown key (allowed keys: ")
    assert "per_host_concurrency" in error


def test_key_of_the_other_source_kind_is_unknown() -> None:
    error = _only_error(MINIMAL + "    url: https://example.org/\n")
    assert error == (
        "seeds/sources.yaml:5: sources[0].url: unknown key (allowed keys: enabled, kind, name, path)"
    )


def test_unknown_top_level_key() -> None:
    error = _only_error(MINIMAL + "fecth:\n  retries: 1\n")
    assert error == "seeds/sources.yaml:5: fecth: unknown key (did you mean 'fetch'?)"


def test_malformed_url() -> None:
    error = _only_error("""
        sources:
          - name: a
            kind: folder
            path: seeds/a
          - name: b
            kind: feed
            # the scheme is misspelt and the host is missing
            url: htp:/example
        """)
    assert error == (
        "seeds/sources.yaml:8: sources[1].url: malformed URL 'htp:/example' "
        "(expected http:// or https:// with a host)"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https:/example.org",
        "ftp://example.org/feed",
        "https://",
        "example.org/feed",
        "http://x:99999/",
    ],
)
def test_other_malformed_urls(url: str) -> None:
    error = _only_error(f"""
        sources:
          - name: b
            kind: feed
            url: "{url}"
        """)
    assert error.startswith(f"seeds/sources.yaml:4: sources[0].url: malformed URL '{url}'")


def test_missing_required_key_points_at_the_mapping() -> None:
    error = _only_error("""
        sources:
          - name: a
            kind: folder
            path: seeds/a

          - name: b
            kind: feed
            enabled: true
        """)
    assert error == "seeds/sources.yaml:6: sources[1]: missing required key 'url'"


def test_missing_sources() -> None:
    error = _only_error("""
        # no sources yet
        fetch:
          retries: 1
        """)
    assert error == "seeds/sources.yaml:2: missing required key 'sources'"


def test_empty_sources() -> None:
    assert _only_error("sources: []\n") == "seeds/sources.yaml:1: sources: must not be empty"


def test_sources_without_items() -> None:
    assert _only_error("sources:\n") == "seeds/sources.yaml:1: sources: expected a list, got null"


def test_watch_needs_a_name() -> None:
    error = _only_error("watch:\n  description: x\n" + MINIMAL)
    assert error == "seeds/sources.yaml:1: watch: missing required key 'name'"


def test_wrong_integer() -> None:
    error = _only_error(
        MINIMAL
        + _y("""
        fetch:
          concurrency: 8
          per_host_concurrency: two
        """)
    )
    assert (
        error == "seeds/sources.yaml:7: fetch.per_host_concurrency: expected an integer, got 'two'"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('max_items: "8"', "sources[0].max_items: expected an integer, got '8'"),
        ("max_items: 2.5", "sources[0].max_items: expected an integer, got 2.5"),
        ("max_items: true", "sources[0].max_items: expected an integer, got true"),
        ("max_items: 0", "sources[0].max_items: must be >= 1, got 0"),
        ("enabled: yes", "sources[0].enabled: expected true or false, got 'yes'"),
        ('enabled: "true"', "sources[0].enabled: expected true or false, got 'true'"),
        ("fetch_articles: 1", "sources[0].fetch_articles: expected true or false, got 1"),
        ("provider: example.org", "sources[0].provider: expected a mapping, got 'example.org'"),
    ],
)
def test_strict_types_on_a_feed(line: str, expected: str) -> None:
    error = _only_error(f"""
        sources:
          - name: feed
            kind: feed
            url: https://example.org/rss
            {line}
        """)
    assert error == f"seeds/sources.yaml:5: {expected}"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("connect_timeout: 0", "fetch.connect_timeout: must be > 0, got 0"),
        ("read_timeout: -1.5", "fetch.read_timeout: must be > 0, got -1.5"),
        ("total_timeout: .inf", "fetch.total_timeout: must be a finite number, got inf"),
        ('total_timeout: "60"', "fetch.total_timeout: expected a number, got '60'"),
        ("per_host_delay: -1", "fetch.per_host_delay: must be >= 0, got -1"),
        ("max_redirects: -1", "fetch.max_redirects: must be >= 0, got -1"),
        ("concurrency: 0", "fetch.concurrency: must be >= 1, got 0"),
        (
            "allow_private_addresses: on",
            "fetch.allow_private_addresses: expected true or false, got 'on'",
        ),
        ("user_agent: ''", "fetch.user_agent: must not be empty"),
        ("user_agent: 12", "fetch.user_agent: expected a string, got 12"),
    ],
)
def test_fetch_values(line: str, expected: str) -> None:
    error = _only_error(MINIMAL + f"fetch:\n  {line}\n")
    assert error == f"seeds/sources.yaml:6: {expected}"


def test_fetch_must_be_a_mapping() -> None:
    error = _only_error(MINIMAL + "fetch: [1, 2]\n")
    assert error == "seeds/sources.yaml:5: fetch: expected a mapping, got a list"


def test_unknown_source_kind() -> None:
    error = _only_error("""
        sources:
          - name: a
            kind: fed
            url: https://example.org/feed
        """)
    assert error == (
        "seeds/sources.yaml:3: sources[0].kind: unknown source kind 'fed' "
        "(expected one of: feed, folder, gdelt, sitemap)"
    )


def test_missing_source_kind() -> None:
    error = _only_error("""
        sources:
          - name: a
            path: seeds/a
        """)
    assert error == (
        "seeds/sources.yaml:2: sources[0]: missing required key 'kind' "
        "(expected one of: feed, folder, gdelt, sitemap)"
    )


def test_source_that_is_not_a_mapping() -> None:
    error = _only_error(MINIMAL + "  - just-a-name\n")
    assert error == "seeds/sources.yaml:5: sources[1]: expected a mapping, got 'just-a-name'"


@pytest.mark.parametrize("name", ["Seed Documents", "-leading-dash", "UPPER", "ümlaut", ""])
def test_source_name_must_be_a_slug(name: str) -> None:
    error = _only_error(MINIMAL.replace("seed-documents", f'"{name}"'))
    assert error.startswith(f"seeds/sources.yaml:2: sources[0].name: invalid source name {name!r}")


def test_duplicate_source_names() -> None:
    error = _only_error("""
        sources:
          - name: dup
            kind: folder
            path: seeds/a
          - name: unique
            kind: folder
            path: seeds/b
          - name: dup
            kind: feed
            url: https://example.org/rss
        """)
    assert error == (
        "seeds/sources.yaml:8: sources[2].name: duplicate source name 'dup' "
        "(first used by sources[0] on line 2)"
    )


def test_duplicate_names_in_code_are_rejected_too() -> None:
    source = FolderSource(name="a", kind="folder", path="x")
    with pytest.raises(pydantic.ValidationError, match="duplicate source name"):
        Config(sources=[source, source])


def test_provider_domain() -> None:
    error = _only_error("""
        sources:
          - name: feed
            kind: feed
            url: https://example.org/rss
            provider:
              name: Example
              domain: https://example.org/
        """)
    assert error == (
        "seeds/sources.yaml:7: sources[0].provider.domain: invalid domain "
        "'https://example.org/' (expected a bare host name like 'example.org')"
    )


def test_watch_term_groups() -> None:
    errors = _errors(
        _y("""
        watch:
          name: w
          match_all:
            subject: []
          exclude: [ok, ""]
          topics:
            "AI regulation": [AI Act, 3]
        """)
        + MINIMAL
    )
    assert errors == [
        "seeds/sources.yaml:4: watch.match_all.subject: must not be empty",
        "seeds/sources.yaml:5: watch.exclude[1]: must not be empty",
        "seeds/sources.yaml:7: watch.topics['AI regulation'][1]: expected a string, got 3",
    ]


_FRAMED_WATCH = """
watch:
  name: w
  threshold: 0.4
  match_all:
    subject: [AI]
    governance: [law]
  frame: {frame}
"""


def test_watch_frame_names_a_match_all_group() -> None:
    config = parse_config(_y(_FRAMED_WATCH.format(frame="governance")) + MINIMAL, NAME)

    assert config.watch is not None and config.watch.frame == "governance"
    assert parse_config(_y(_FRAMED_WATCH.format(frame="null")) + MINIMAL, NAME).watch.frame is None


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        (
            "governence",
            "'governence' is not one of the watch's match_all groups ('subject', 'governance'); "
            "did you mean 'governance'?",
        ),
        ("angle", "'angle' is not one of the watch's match_all groups ('subject', 'governance')"),
        ('""', "must not be empty"),
        ("[governance]", "expected a string, got a list"),
    ],
)
def test_watch_frame_must_name_a_match_all_group(frame: str, problem: str) -> None:
    error = _only_error(_y(_FRAMED_WATCH.format(frame=frame)) + MINIMAL)

    assert error == f"seeds/sources.yaml:7: watch.frame: {problem}"


def test_watch_frame_without_match_all_groups() -> None:
    error = _only_error("watch:\n  name: w\n  frame: governance\n" + MINIMAL)

    assert error == (
        "seeds/sources.yaml:3: watch.frame: 'governance' is not one of the watch's "
        "match_all groups (none)"
    )


def test_schedule_cron_needs_five_fields() -> None:
    error = _only_error(MINIMAL + 'schedule:\n  cron: "0 6 * *"\n')
    assert error == (
        "seeds/sources.yaml:6: schedule.cron: expected 5 cron fields "
        "(minute hour day-of-month month day-of-week), got 4 in '0 6 * *'"
    )


def test_schedule_timezone_must_exist() -> None:
    errors = _errors(MINIMAL + "schedule:\n  timezone: Europe/Pariss\n")
    assert errors == [
        "seeds/sources.yaml:6: schedule.timezone: unknown time zone 'Europe/Pariss' "
        "(did you mean 'Europe/Paris'?)"
    ]


@pytest.mark.parametrize("zone", ["Nowhere/Atlantis", "../../etc/passwd", "/etc/localtime"])
def test_schedule_timezone_rejects_non_iana_names(zone: str) -> None:
    error = _only_error(MINIMAL + f'schedule:\n  timezone: "{zone}"\n')
    assert error.startswith(f"seeds/sources.yaml:6: schedule.timezone: unknown time zone {zone!r}")


# ------------------------------------------------------------------------ YAML problems


def test_yaml_syntax_error() -> None:
    error = _only_error("""
        sources:
          - name: a
            kind: folder
            path: "seeds/a
        fetch:
          retries: 1
        """)
    assert error.startswith("seeds/sources.yaml:")
    assert "YAML syntax error:" in error


def test_yaml_syntax_error_line() -> None:
    error = _only_error("""
        sources:
          - name: a
            kind: folder
            path: seeds/a
          bad: [1, 2
        """)
    assert error.startswith("seeds/sources.yaml:5: YAML syntax error: ")


def test_duplicate_key() -> None:
    error = _only_error("""
        sources:
          - name: a
            kind: folder
            path: seeds/a
            name: b
        """)
    assert (
        error == "seeds/sources.yaml:5: sources[0]: duplicate key 'name' (first defined on line 2)"
    )


def test_duplicate_top_level_key() -> None:
    error = _only_error(MINIMAL + "fetch: {}\nfetch: {retries: 1}\n")
    assert error == "seeds/sources.yaml:6: duplicate key 'fetch' (first defined on line 5)"


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "~\n", "null\n"])
def test_empty_file(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, NAME)
    assert str(info.value) == (
        "seeds/sources.yaml:1: the config is empty (expected a mapping with a 'sources' list)"
    )


def test_top_level_list() -> None:
    error = _only_error("- name: a\n- name: b\n")
    assert error == (
        "seeds/sources.yaml:1: the top level must be a mapping of keys (such as 'sources'), got a list"
    )


def test_top_level_scalar() -> None:
    assert "top level must be a mapping" in _only_error("just text\n")


def test_several_documents() -> None:
    error = _only_error(MINIMAL + "---\nsources: []\n")
    assert error == (
        "seeds/sources.yaml:5: YAML syntax error: "
        "expected a single document in the stream but found another document"
    )


def test_non_text_key() -> None:
    error = _only_error(MINIMAL + "    [1, 2]: x\n")
    assert error == "seeds/sources.yaml:5: sources[0]: mapping keys must be plain text"


# --------------------------------------------------------------------- unsafe documents


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system",
        "!!python/object/new:os.system",
        "!!python/object:os.system",
    ],
)
def test_python_tags_are_refused_and_not_executed(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    config = tmp_path / "sources.yaml"
    config.write_text(
        _y(f"""
        sources:
          - name: a
            kind: folder
            path: {tag} ["touch {marker}"]
        """)
    )
    with pytest.raises(ConfigError) as info:
        load_config(config)
    tag_text = tag.split(" ")[0]
    assert str(info.value) == (
        f"{config}:4: sources[0].path: YAML tag {tag_text!r} is not allowed "
        "(only plain YAML values are supported)"
    )
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("sources: !!python/name:os.system\n", 1),
        ("sources: !!python/module:os\n", 1),
        (MINIMAL + "fetch: !env FETCH_SETTINGS\n", 5),
        (MINIMAL + "? !!python/name:os.system\n: 1\n", 5),
        (MINIMAL + "fetch: !!set {a, b}\n", 5),
    ],
)
def test_non_standard_tags_are_refused(text: str, line: int) -> None:
    error = _only_error(text)
    assert error.startswith(f"seeds/sources.yaml:{line}:")
    assert "is not allowed" in error


def test_recursive_alias_is_refused() -> None:
    error = _only_error("sources: &loop [*loop]\n")
    assert error == "seeds/sources.yaml:1: sources[0]: recursive alias is not allowed"


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    started = time.monotonic()
    error = _only_error("\n".join(lines) + "\n")
    assert "document too large" in error
    assert time.monotonic() - started < 5


def test_explicit_standard_tags_still_work() -> None:
    config = parse_config(MINIMAL + "fetch:\n  retries: !!int 3\n", NAME)
    assert config.fetch.retries == 3
    assert _only_error(MINIMAL + "fetch:\n  retries: !!int three\n") == (
        "seeds/sources.yaml:6: fetch.retries: invalid int 'three'"
    )


# ------------------------------------------------------------------- several problems


def test_all_problems_are_reported_together_in_file_order() -> None:
    errors = _errors("""
        watch:
          nmae: typo
        sources:
          - name: a
            kind: feed
            url: htp:/example
          - name: a
            kind: fed
          - name: c
            kind: folder
        fetch:
          per_host_concurrency: two
          retries: -1
        schedule:
          timezone: Mars/Olympus_Mons
        """)
    # No "watch: missing required key 'name'": the typo already explains it.
    assert errors == [
        "seeds/sources.yaml:2: watch.nmae: unknown key (did you mean 'name'?)",
        "seeds/sources.yaml:6: sources[0].url: malformed URL 'htp:/example' "
        "(expected http:// or https:// with a host)",
        "seeds/sources.yaml:7: sources[1].name: duplicate source name 'a' "
        "(first used by sources[0] on line 4)",
        "seeds/sources.yaml:8: sources[1].kind: unknown source kind 'fed' "
        "(expected one of: feed, folder, gdelt, sitemap)",
        "seeds/sources.yaml:9: sources[2]: missing required key 'path'",
        "seeds/sources.yaml:12: fetch.per_host_concurrency: expected an integer, got 'two'",
        "seeds/sources.yaml:13: fetch.retries: must be >= 0, got -1",
        "seeds/sources.yaml:15: schedule.timezone: unknown time zone 'Mars/Olympus_Mons' "
        "(expected an IANA name such as 'UTC')",
    ]


def test_duplicate_keys_and_schema_errors_are_reported_together() -> None:
    errors = _errors(MINIMAL + "fetch:\n  retries: 1\n  retries: 2\n  concurrency: many\n")
    assert errors == [
        "seeds/sources.yaml:7: fetch: duplicate key 'retries' (first defined on line 6)",
        "seeds/sources.yaml:8: fetch.concurrency: expected an integer, got 'many'",
    ]


# ---------------------------------------------------------------------------- hygiene


def test_module_does_not_import_heavy_dependencies() -> None:
    imported: set[str] = set()
    modules = Path(flows.config.__file__).parent.glob("*.py")
    for node in (n for m in modules for n in ast.walk(ast.parse(m.read_text(encoding="utf-8")))):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"prefect", "httpx", "duckdb"}


def test_repository_config_is_valid() -> None:
    path = REPO / "seeds" / "sources.yaml"
    if not path.exists():
        pytest.skip("seeds/sources.yaml not present")
    assert load_config(path).sources


def test_dedup_section_defaults_and_values() -> None:
    assert parse_config(MINIMAL, NAME).dedup == flows.config.DedupConfig(
        window_days=30, story_window_hours=72, heat_window_hours=48
    )
    assert parse_config(MINIMAL + "dedup:\n", NAME).dedup.window_days == 30
    config = parse_config(MINIMAL + "dedup:\n  window_days: 7\n  story_window_hours: 24\n", NAME)
    assert (config.dedup.window_days, config.dedup.story_window_hours) == (7, 24)


def test_dedup_window_must_be_a_positive_whole_number_of_days() -> None:
    assert "dedup.window_days" in _only_error(MINIMAL + "dedup:\n  window_days: 0\n")
    assert "dedup.window_days" in _only_error(MINIMAL + 'dedup:\n  window_days: "30"\n')
    assert "dedup.windw_days" in _only_error(MINIMAL + "dedup:\n  windw_days: 3\n")


# ------------------------------------------------------------------ schedule and paths


@pytest.mark.parametrize(
    ("cron", "problem"),
    [
        ("0 25 * * *", "hour 25 is out of range 0-23"),
        ("60 6 * * *", "minute 60 is out of range 0-59"),
        ("0 6 0 * *", "day-of-month 0 is out of range 1-31"),
        ("0 6 * 13 *", "month 13 is out of range 1-12"),
        ("0 6 * * 8", "day-of-week 8 is out of range 0-7"),
        ("0 6 * * funday", "day-of-week 'funday' is not a number or a name"),
        ("*/0 * * * *", "minute step 0 in '*/0' must be at least 1"),
    ],
)
def test_schedule_cron_values_are_checked_when_the_config_is_loaded(
    cron: str, problem: str
) -> None:
    error = _only_error(MINIMAL + f'schedule:\n  cron: "{cron}"\n')
    assert error.startswith(
        f"seeds/sources.yaml:6: schedule.cron: invalid cron expression {cron!r}: {problem}"
    )


CRON_SAMPLES = [
    "0 6 * * *",
    "*/15 6-18 * * 1-5",
    "0 6 * * MON-FRI",
    "0 6 L * *",
    "0 6 * * 5#3",
    "0 6 ? * *",
    "0 6 * JAN-MAR *",
    "0 6 * * 7",
    "0 6 5-1 * *",
    "0 6 * * Sun,Sat",
    "0-59/60 * * * *",
    "0 06 * * 07",
    "0 25 * * *",
    "60 6 * * *",
    "0 6 0 * *",
    "0 6 32 * *",
    "0 6 * 13 *",
    "0 6 * 0 *",
    "0 6 * * 8",
    "0 6 * * 5L",
    "0 6 LW * *",
    "0 6 * * 5#6",
    "0 6 * * 1-5#2",
    "? 6 * * *",
    "0 6 ?/2 * *",
    "0 6 */2/3 * *",
    "0 6 * * 1,",
    "a b c d e",
]


@pytest.mark.parametrize("cron", CRON_SAMPLES)
def test_schedule_cron_check_agrees_with_prefect(cron: str) -> None:
    # What the config accepts is what `newswatch serve` can schedule, and nothing more.
    from prefect._internal.schemas.validators import validate_cron_string

    try:
        validate_cron_string(cron)
        prefect_accepts = True
    except ValueError:
        prefect_accepts = False
    try:
        ScheduleConfig(cron=cron)
        we_accept = True
    except pydantic.ValidationError:
        we_accept = False
    assert we_accept == prefect_accepts


@pytest.mark.parametrize("zone", ["posixrules", "right/UTC", "posix/Europe/Paris"])
def test_schedule_timezone_must_be_one_prefect_schedules_accept(zone: str) -> None:
    # zoneinfo opens these files, but they are not IANA names and Prefect refuses them.
    error = _only_error(MINIMAL + f'schedule:\n  timezone: "{zone}"\n')
    assert error.startswith(f"seeds/sources.yaml:6: schedule.timezone: unknown time zone {zone!r}")


def test_relative_paths_in_a_config_file_are_relative_to_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "sources.yaml").write_text(
        "sources:\n  - name: inbox\n    kind: folder\n    path: inbox\n"
        "  - name: abs\n    kind: folder\n    path: /srv/news\n"
        "storage:\n  db: ../shared/news.duckdb\n",
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    config = load_config(project / "sources.yaml")
    assert [source.path for source in config.sources] == [str(project / "inbox"), "/srv/news"]  # type: ignore[union-attr]
    assert config.storage.db == str(tmp_path / "shared" / "news.duckdb")

    # Given relative to the working directory, the results stay relative (and short).
    monkeypatch.chdir(tmp_path)
    config = load_config("project/sources.yaml")
    assert config.sources[0].path == "project/inbox"  # type: ignore[union-attr]
    assert config.storage.db == "shared/news.duckdb"


def test_the_default_database_stays_relative_to_the_working_directory(tmp_path: Path) -> None:
    # storage.db left out is the built-in default, like --db: not a path written in the file.
    path = tmp_path / "sources.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert load_config(path).storage.db == "data/newswatch.duckdb"


def test_repository_config_resolves_to_the_repository_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `make run` (from the repository root, default config) keeps reading seeds/documents and
    # writing data/newswatch.duckdb.
    repo = REPO
    monkeypatch.chdir(repo)
    config = load_config("seeds/sources.yaml")
    assert config.source("seed-documents").path == "seeds/documents"  # type: ignore[union-attr]
    assert config.storage.db == "data/newswatch.duckdb"


def test_more_than_one_shard_needs_a_lake() -> None:
    sources = "sources:\n  - name: a\n    kind: feed\n    url: https://a.example/feed\n"
    assert parse_config(_y(sources), NAME).run.shards == 1
    error = _only_error(sources + "run:\n  shards: 4\n")
    assert "run.shards: 4 shards need storage.backend: ducklake" in error
    lake = (
        "storage:\n  backend: ducklake\n  lake:\n    catalog: lake/catalog.ducklake\n"
        "    data_path: lake/data/\nrun:\n  shards: 4\n"
    )
    assert parse_config(_y(sources + lake), NAME).run.shards == 4
