"""End to end: `newswatch run` / `backfill` as Prefect flow runs against the local news site."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest
from typer.testing import CliRunner

from extractors.urls import article_id
from flows.app.cli import app
from tests.conftest import NewsSite, slow_handler
from tests.support.paths import SEEDS

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()


def newswatch(*args: str) -> Any:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result


def rows(db: Path, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


def article_row(db: Path, url: str) -> dict[str, Any]:
    with duckdb.connect(str(db), read_only=True) as connection:
        cursor = connection.execute("SELECT * FROM articles WHERE id = ?", [article_id(url)])
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone()
    assert row is not None, f"article {url} was not stored"
    return dict(zip(names, row, strict=True))


def expected_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def test_run_stores_feed_articles_with_their_fields_and_a_rerun_adds_nothing(
    news_site: NewsSite, tmp_path: Path
) -> None:
    config = news_site.write_config(
        tmp_path,
        [("wire-rss", news_site.feed_url("rss2.xml")), ("atom", news_site.feed_url("atom.xml"))],
    )
    db = tmp_path / "news.duckdb"

    first = newswatch("run", "--config", str(config))
    assert first.exit_code == 0, first.output
    assert "HTTP 404" in first.output and "missing-article" in first.output

    for name in (
        "policy-news.html",
        "wire-story.html",
        "blog-post.html",
        "export-controls.html",
        "think-tank.html",
        "german-news.html",
        "french-news.html",
    ):
        expected = news_site.article(name)
        row = article_row(db, expected["canonical"] or news_site.url(expected["path"]))
        assert row["title"] == expected["title"], name
        assert row["web_url"] == expected["canonical"], name
        assert row["on_topic"] is True, name
        assert row["language"] == expected["language"], name
        if "T" in expected["published"]:
            assert row["published_at"] == expected_time(expected["published"]), name
        else:
            assert row["published_at"].date().isoformat() == expected["published"], name
        for sentence in expected["must_contain"]:
            assert sentence in row["body"], f"{name}: body lacks {sentence!r}"
        assert row["provider_name"] == expected["site_name"], name
        assert row["provider_domain"] == urlsplit(news_site.base).hostname, name
        assert "AI" in row["topics"], name
        assert row["quality"] > 50, name

    french = article_row(db, news_site.article("french-news.html")["canonical"])
    assert "é" in french["body"] and "Ã" not in french["body"], "windows-1252 page decoded wrongly"

    for name in ("sports-offtopic.html", "recipe-offtopic.html"):
        expected = news_site.article(name)
        row = article_row(db, expected["canonical"] or news_site.url(expected["path"]))
        assert row["on_topic"] is False, name

    original = article_row(db, news_site.article("wire-story.html")["canonical"])
    copy = article_row(db, news_site.article("wire-story-syndicated.html")["canonical"])
    assert original["duplicate_of"] is None and copy["duplicate_of"] == original["id"]

    # The tracking-parameter link to the policy story is the same article, stored once.
    assert rows(
        db,
        "SELECT count(*) FROM articles WHERE title = ?",
        [news_site.article("policy-news.html")["title"]],
    ) == [(1,)]
    # Five seed documents from the folder source, with file:// original URLs.
    seeds = rows(db, "SELECT original_url FROM articles WHERE source_name = 'seed-documents'")
    assert len(seeds) == 5 and all(url.startswith("file://") for (url,) in seeds)

    before = rows(
        db, "SELECT * EXCLUDE (last_seen_at, last_run_id, seen_count) FROM articles ORDER BY id"
    )
    requests_before = len(news_site.server.log)
    second = newswatch("run", "--config", str(config))
    assert second.exit_code == 0, second.output
    after = rows(
        db, "SELECT * EXCLUDE (last_seen_at, last_run_id, seen_count) FROM articles ORDER BY id"
    )
    assert after == before
    runs = rows(
        db,
        "SELECT status, items_new, items_failed, items_duplicate, items_off_topic FROM runs ORDER BY started_at",
    )
    assert len(runs) == 2
    assert runs[0][0] == "completed" and runs[0][1] == len(before)
    assert runs[0][3] == 1 and runs[0][4] == 2
    assert runs[1][1] == 0, "a second run of the same day must store nothing new"
    # Already stored pages are not fetched again: only the feeds and the still-missing page are requested.
    second_run_paths = sorted(request.path for request, _ in news_site.server.log[requests_before:])
    assert second_run_paths == ["/feeds/atom.xml", "/feeds/rss2.xml", "/news/missing-article"]


def test_backfill_stores_only_items_in_the_date_range(news_site: NewsSite, tmp_path: Path) -> None:
    config = news_site.write_config(
        tmp_path,
        [("wire-rss", news_site.feed_url("rss2.xml")), ("atom", news_site.feed_url("atom.xml"))],
    )
    db = tmp_path / "news.duckdb"
    result = newswatch(
        "backfill",
        "--config",
        str(config),
        "--since",
        "2026-11-10",
        "--until",
        "2026-11-17",
        "--source",
        "wire-rss",
        "--source",
        "atom",
    )
    assert result.exit_code == 0, result.output
    stored = {row[0] for row in rows(db, "SELECT web_url FROM articles")}
    inside = {
        news_site.article(name)["canonical"]
        for name in ("policy-news.html", "blog-post.html", "export-controls.html")
    }
    assert stored == inside
    (run,) = rows(db, "SELECT flow, status, window_since, window_until FROM runs")
    assert run == ("backfill", "completed", datetime(2026, 11, 10), datetime(2026, 11, 18))


def test_backfill_of_the_seed_folder_keeps_only_dated_seeds_in_range(
    tmp_path: Path, news_site: NewsSite
) -> None:
    config = news_site.write_config(tmp_path, [])
    result = newswatch(
        "backfill", "--config", str(config), "--since", "2023-12-18", "--until", "2023-12-24"
    )
    assert result.exit_code == 0, result.output
    assert rows(tmp_path / "news.duckdb", "SELECT title FROM articles") == [
        ("The Premature Quest for International AI Cooperation",)
    ]


def test_broken_feeds_are_reported_one_line_each_and_the_rest_goes_on(
    news_site: NewsSite, tmp_path: Path
) -> None:
    news_site.server.expect_request("/feeds/gone.xml").respond_with_data("gone", status=404)
    news_site.server.expect_request("/feeds/slow.xml").respond_with_handler(slow_handler(2.0))
    feeds = [
        ("html-instead", news_site.feed_url("not-a-feed.html")),
        ("gone", news_site.url("/feeds/gone.xml")),
        ("slow", news_site.url("/feeds/slow.xml")),
        ("broken-xml", news_site.feed_url("malformed.xml")),
    ]
    config = news_site.write_config(tmp_path, feeds)
    result = newswatch("run", "--config", str(config))
    assert result.exit_code == 0, result.output
    output = result.output
    assert "html-instead: FAILED:" in output and "not an RSS or Atom feed" in output
    assert "gone: FAILED: HTTP 404" in output
    assert "slow: FAILED:" in output and "timed out" in output
    assert "broken-xml: warning:" in output and "malformed" in output.lower()
    db = tmp_path / "news.duckdb"
    # The good items of the malformed feed were kept, and the seeds are in.
    for item in news_site.feed_items("malformed.xml"):
        assert rows(db, "SELECT count(*) FROM article_urls WHERE url = ?", [item["link"]]) == [(1,)]
    assert rows(db, "SELECT count(*) FROM articles WHERE source_name = 'seed-documents'") == [(5,)]
    health = dict(rows(db, "SELECT name, consecutive_failures FROM sources"))
    assert health == {"seed-documents": 0, "html-instead": 1, "gone": 1, "slow": 1, "broken-xml": 0}


def test_every_source_failing_fails_the_run(news_site: NewsSite, tmp_path: Path) -> None:
    news_site.server.expect_request("/feeds/gone.xml").respond_with_data("gone", status=404)
    config = news_site.write_config(
        tmp_path, [("gone", news_site.url("/feeds/gone.xml"))], folder=tmp_path / "no-such-folder"
    )
    result = newswatch("run", "--config", str(config))
    assert result.exit_code == 1
    assert "every source failed" in result.output
    # A missing folder is that source's failure, said in one line (no traceback: see
    # tests/flows/app/test_cli.py, which runs the real command).
    assert f"seed-documents: FAILED: folder {tmp_path / 'no-such-folder'} does not exist" in (
        result.output
    )
    assert rows(tmp_path / "news.duckdb", "SELECT status, sources_failed FROM runs") == [
        ("failed", 2)
    ]


def test_relative_paths_in_the_config_work_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "inbox").mkdir(parents=True)
    for seed in sorted(SEEDS.iterdir())[:2]:
        (project / "inbox" / seed.name).write_bytes(seed.read_bytes())
    config = project / "sources.yaml"
    config.write_text(
        "sources:\n  - name: inbox\n    kind: folder\n    path: inbox\n"
        "storage:\n  db: data/news.duckdb\n",
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    result = newswatch("run", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert rows(project / "data" / "news.duckdb", "SELECT count(*) FROM articles") == [(2,)]
    assert list(elsewhere.iterdir()) == [], "nothing is written to the working directory"
    # The reading commands find the same database through the same config.
    query = newswatch("query", "SELECT count(*) AS n FROM articles", "--config", str(config))
    assert query.exit_code == 0 and "2" in query.output


def test_bad_article_pages_fail_alone(news_site: NewsSite, tmp_path: Path) -> None:
    base = news_site.base
    news_site.server.expect_request("/bad/empty").respond_with_data("", content_type="text/html")
    news_site.server.expect_request("/bad/binary").respond_with_data(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00" * 50, content_type="text/html"
    )
    news_site.server.expect_request("/bad/huge").respond_with_data(
        b"<html>" + b"a" * 3_000_000, content_type="text/html"
    )
    items = "".join(
        f"<item><title>{name}</title><link>{base}/bad/{name}</link><pubDate>Wed, 18 Nov 2026 10:00:00 GMT</pubDate></item>"
        for name in ("empty", "binary", "huge")
    )
    good = news_site.article("policy-news.html")
    items += f"<item><title>good</title><link>{good['canonical']}</link></item>"
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bad pages</title>{items}</channel></rss>'
    news_site.server.expect_request("/feeds/bad.xml").respond_with_data(
        feed, content_type="application/rss+xml"
    )
    config = news_site.write_config(
        tmp_path, [("bad", news_site.url("/feeds/bad.xml"))], folder=None, extra=""
    )
    config.write_text(
        config.read_text().replace(
            "  total_timeout: 3.0", "  total_timeout: 3.0\n  max_response_bytes: 1000000"
        )
    )
    result = newswatch("run", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "/bad/empty: empty page" in result.output
    assert "/bad/binary: binary content" in result.output
    assert "/bad/huge is 3000006 bytes, over the 1000000-byte limit" in result.output
    assert rows(tmp_path / "news.duckdb", "SELECT count(*) FROM articles") == [(1,)]


def test_config_typo_stops_before_prefect_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n  - name: x\n    kind: folder\n    pth: seeds/documents\n", encoding="utf-8"
    )
    result = newswatch("run", "--config", str(config))
    assert result.exit_code == 2
    assert f"{config}:4: sources[0].pth: unknown key (did you mean 'path'?)" in result.output


def test_each_run_leaves_a_markdown_artifact_with_its_summary(
    news_site: NewsSite, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    config = news_site.write_config(tmp_path, [("atom", news_site.feed_url("atom.xml"))])
    result = newswatch("run", "--config", str(config))
    assert result.exit_code == 0, result.output
    (run_id,) = rows(tmp_path / "news.duckdb", "SELECT run_id FROM runs")[0]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["newswatch-run-summary"]))
        )
    mine = [artifact for artifact in artifacts if str(artifact.flow_run_id) == run_id]
    assert len(mine) == 1
    markdown = str(mine[0].data)
    assert "| atom | 5 | 5 |" in markdown and "| seed-documents | 5 | 5 |" in markdown


def test_a_broken_seed_file_fails_alone_in_a_folder_source(
    news_site: NewsSite, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "broken.md").write_text(
        "---\ntitle: [unclosed\nquality: 3\n---\nbody\n", encoding="utf-8"
    )
    (folder / "evil.md").write_text(
        f"---\ntitle: !!python/object/apply:os.system ['touch {tmp_path}/owned']\n---\nx\n",
        encoding="utf-8",
    )
    (folder / "good.txt").write_text(
        "EU agrees AI Act guidance\n\nThe EU published guidance on the AI Act for general-purpose AI models today.\n",
        encoding="utf-8",
    )
    config = news_site.write_config(tmp_path, [], folder=folder)
    result = newswatch("run", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "broken.md: invalid front matter: line 3" in result.output
    assert (
        "evil.md: invalid front matter" in result.output and "unsupported YAML tag" in result.output
    )
    assert not (tmp_path / "owned").exists()
    assert rows(tmp_path / "news.duckdb", "SELECT title FROM articles") == [
        ("EU agrees AI Act guidance",)
    ]


def test_a_crash_mid_run_is_recorded_as_failed_and_exits_non_zero(
    news_site: NewsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.stages import articles as pipeline

    def broken_extract(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("extractor exploded")

    monkeypatch.setattr(pipeline, "extract_articles", broken_extract)
    config = news_site.write_config(tmp_path, [])
    result = newswatch("run", "--config", str(config))
    assert result.exit_code == 1 and "extractor exploded" in result.output
    (run,) = rows(
        tmp_path / "news.duckdb", "SELECT status, finished_at IS NOT NULL, summary FROM runs"
    )
    assert run[0] == "failed" and run[1] and "extractor exploded" in run[2]
    assert rows(tmp_path / "news.duckdb", "SELECT count(*) FROM articles") == [(0,)]


def test_pages_that_are_not_articles_are_recorded_and_not_fetched_again(
    news_site: NewsSite, tmp_path: Path
) -> None:
    base = news_site.base
    news_site.serve_not_articles_feed()
    config = news_site.write_config(
        tmp_path, [("odd", news_site.url("/feeds/odd.xml"))], folder=None, extra=""
    )
    db = tmp_path / "news.duckdb"

    assert newswatch("run", "--config", str(config)).exit_code == 0
    assert rows(db, "SELECT url, reason FROM rejected_pages ORDER BY url") == [
        (f"{base}/gone", "not-found"),
        (f"{base}/tag/ai", "section-front"),
    ]
    assert rows(db, "SELECT count(*) FROM articles") == [(0,)]

    def pages_fetched(*args: str) -> list[str]:
        before = len(news_site.server.log)
        assert newswatch("run", "--config", str(config), *args).exit_code == 0
        return sorted(
            request.path
            for request, _ in news_site.server.log[before:]
            if not request.path.startswith("/feeds/")
        )

    assert pages_fetched() == []
    assert pages_fetched("--refresh") == ["/gone", "/tag/ai"]
    assert rows(db, "SELECT seen_count FROM rejected_pages ORDER BY url") == [(2,), (2,)]


def test_a_run_stores_the_same_counts_and_stories_whatever_order_its_sources_come_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wire stored after the regional paper that copies it makes the paper's articles the
    copies; the ledger counts the run's copies as stored at its end, so both orders agree.
    Stories are linked once the run is stored: each article is scored against the stored
    ones sharing most terms (here at most 3, so that the cap bites at this size), and those
    are the same whichever source was stored first."""
    from storage import stories
    from tests.support.newsweb import served_news_web, write_config

    monkeypatch.setattr(stories, "MAX_CANDIDATES", 3)
    counts = "SELECT items_seen, items_new, items_duplicate, items_off_topic FROM runs"
    links = "SELECT article_id, other_id, round(score, 9) FROM story_links ORDER BY ALL"
    grouping = "SELECT id, story_id, heat, related FROM articles ORDER BY id"
    outcomes = []
    with served_news_web(20) as (_, news):
        assert news.syndicated > 0
        for order, feeds in (
            ("forward", news.feeds),
            ("backward", dict(reversed(list(news.feeds.items())))),
        ):
            folder = tmp_path / order
            folder.mkdir()
            config = write_config(folder / "sources.yaml", feeds, folder / "news.duckdb")
            result = newswatch("run", "--config", str(config))
            assert result.exit_code == 0, result.output
            with duckdb.connect(str(folder / "news.duckdb"), read_only=True) as connection:
                ledger = connection.execute(counts).fetchall()
                stored = connection.execute(
                    "SELECT count(*), count(duplicate_of), count(*) FILTER (WHERE NOT on_topic)"
                    " FROM articles"
                ).fetchone()
                assert ledger[0][1:] == stored, "the ledger counts what is stored"
                outcomes.append(
                    (
                        ledger,
                        connection.execute(links).fetchall(),
                        connection.execute(grouping).fetchall(),
                    )
                )
    forward, backward = outcomes
    assert forward[1], "the web has stories to link"
    assert forward == backward


def test_a_failure_to_link_stories_leaves_the_run_stored_and_the_next_run_links_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.articles
    from tests.support.newsweb import served_news_web, write_config

    def broken(*args: Any, **kwargs: Any) -> int:
        raise ValueError("a stored article the story profiler cannot read")

    db = tmp_path / "news.duckdb"
    unlinked = "SELECT count(*) FROM articles WHERE story_id IS NULL"
    with served_news_web(10) as (_, news):
        config = write_config(tmp_path / "sources.yaml", news.feeds, db)
        with monkeypatch.context() as patch:
            patch.setattr(storage.articles, "link_unlinked", broken)
            first = newswatch("run", "--config", str(config))
        assert first.exit_code == 0, first.output
        assert rows(db, "SELECT status, items_new FROM runs") == [("completed", 10)]
        assert rows(db, unlinked) == [(10,)], "stored, marked for linking"
        second = newswatch("run", "--config", str(config))
        assert second.exit_code == 0, second.output
    assert rows(db, unlinked) == [(0,)]
