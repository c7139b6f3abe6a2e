"""Backfill and reprocess bookkeeping: a failing feed is tried once per backfill, stored items
outside the range are not "seen" again, and a run with nothing to do says so."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from flows.app.cli import app
from tests.conftest import NewsSite

pytestmark = pytest.mark.usefixtures("prefect_harness")


def newswatch(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_a_failing_feed_is_fetched_once_per_backfill_and_reported_once(
    news_site: NewsSite, tmp_path: Path
) -> None:
    news_site.server.expect_request("/feeds/gone.xml").respond_with_data("gone", status=404)
    config = news_site.write_config(
        tmp_path,
        [("gone", news_site.url("/feeds/gone.xml")), ("atom", news_site.feed_url("atom.xml"))],
        folder=None,
    )
    mark = len(news_site.server.log)
    result = newswatch(
        "backfill", "--config", str(config), "--since", "2026-11-10", "--until", "2026-11-14"
    )
    assert result.exit_code == 0, result.output
    paths = [request.path for request, _ in news_site.server.log[mark:]]
    assert paths.count("/feeds/gone.xml") == 1
    assert paths.count(news_site.manifest["feeds"]["atom.xml"]["path"]) == 1
    # One line for the whole range, not five identical ones.
    (line,) = [line for line in result.output.splitlines() if line.startswith("gone: FAILED")]
    assert line.startswith("gone: FAILED: 2026-11-10 to 2026-11-14: ") and "404" in line
    db = tmp_path / "news.duckdb"
    assert rows(db, "SELECT consecutive_failures FROM sources WHERE name = 'gone'") == [(1,)]
    # Its days are not marked done: the next backfill tries the feed again.
    assert rows(db, "SELECT count(*) FROM backfill_progress WHERE source_name = 'gone'") == [(0,)]
    assert rows(db, "SELECT count(*) FROM backfill_progress WHERE source_name = 'atom'") == [(5,)]


def test_stored_folder_items_outside_the_backfill_range_are_not_seen_again(
    news_site: NewsSite, tmp_path: Path
) -> None:
    config = news_site.write_config(tmp_path, [])
    db = tmp_path / "news.duckdb"
    assert newswatch("run", "--config", str(config)).exit_code == 0
    before = dict(rows(db, "SELECT id, (seen_count, last_seen_at) FROM articles"))
    assert len(before) == 5

    # Seed 000 is the one seed published on 2023-12-21.
    result = newswatch(
        "backfill", "--config", str(config), "--since", "2023-12-21", "--until", "2023-12-21"
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"^seed-documents\s+1\s+0\s", result.output, re.MULTILINE), result.output
    after = dict(rows(db, "SELECT id, (seen_count, last_seen_at) FROM articles"))
    in_range = {
        row[0]
        for row in rows(db, "SELECT id FROM articles WHERE published_at::DATE = '2023-12-21'")
    }
    assert len(in_range) == 1
    for article_id, (count, _) in after.items():
        if article_id in in_range:
            assert count == 2
        else:
            assert (count, after[article_id][1]) == before[article_id]
    assert rows(db, "SELECT day, items_seen FROM backfill_progress") == [(date(2023, 12, 21), 1)]

    again = newswatch(
        "backfill", "--config", str(config), "--since", "2023-12-21", "--until", "2023-12-21"
    )
    assert again.exit_code == 0, again.output
    assert "nothing to do: every source and day of the range is stored already" in again.output
    assert "seen" not in again.output


def test_reprocess_with_no_stored_raw_pages_says_so(news_site: NewsSite, tmp_path: Path) -> None:
    config = news_site.write_config(tmp_path, [])
    result = newswatch("reprocess", "--config", str(config), "--since", "2026-01-01")
    assert result.exit_code == 0, result.output
    assert "no stored raw pages in that range" in result.output
    assert "seen" not in result.output and "total" not in result.output
