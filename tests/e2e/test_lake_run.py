"""End to end: `newswatch run` into a DuckLake (throw-away Postgres catalog, moto S3) gives
what the same run gives in a DuckDB file, and every reading command works on the lake.

The default run keeps one run into the lake, the reading commands and the upkeep commands; the
backfill/reprocess, two-process and killed-run cases take ~10 s each and run with `pytest -m slow`
(the default suite's budget is 5 minutes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from flows.app.cli import app
from flows.config import load_config
from flows.stages.settings import open_store
from storage.database import Database, Store
from storage.lake import Lake, LakeError
from storage.raw import load_raw_pages
from tests.conftest import NewsSite
from tests.support.paths import SITE
from tests.support.services import PostgresServer, S3Server, new_lake_storage

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()

# Columns that differ between two runs of the same input by design: when and by which
# run a row was written.
RUN_COLUMNS = {
    "articles": "first_seen_at, last_seen_at, content_updated_at, first_run_id, last_run_id",
    "article_urls": "first_seen_at",
    # An undated article's effective time is its first-seen time.
    "article_signatures": "effective_at",
    "sources": "last_run_id, last_attempt_at, last_success_at, last_error_at",
    "rejected_pages": "first_seen_at, last_seen_at, last_run_id",
    # gzip's header carries the time of compression; the bodies are compared decompressed.
    "raw_pages": "fetched_at, run_id, headers, body_gzip",
    "unique_articles": "first_seen_at, last_seen_at, content_updated_at, first_run_id, last_run_id",
    # An undated article counts from its first-seen time.
    "stories": "first_seen, last_seen",
    "runs": "run_id, started_at, finished_at, config_path, summary, pid, host, process_start",
}
# What analysts and the pipeline read: every table and view, in an order that does not
# depend on how rows were written.
TABLES = {
    "articles": "id",
    "article_urls": "url_key",
    "article_signatures": "article_id",
    "article_bands": "band_key, article_key",
    "near_copies": "article_id, other_id",
    "story_terms": "article_id, term",
    "story_links": "article_id, other_id",
    "provider_lines": "provider_domain, line_key, article_id",
    "rejected_pages": "url_key",
    "raw_pages": "url",
    "sources": "name",
    "runs": "flow, started_at",  # two runs of a flow: in the order they ran
    "google_news_links": "gnews_id",
    "backfill_progress": "source_name, day",
    "unique_articles": "id",
    "stories": "story_id",
    "syndication": "article_id",
}


def newswatch(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def snapshot(store: Store, exclude: dict[str, str] | None = None) -> dict[str, list[Any]]:
    """Every table's and view's rows, without the columns that name the run or its clock."""
    exclude = RUN_COLUMNS if exclude is None else exclude
    found: dict[str, list[Any]] = {}
    with store.connect(read_only=True) as connection:
        for table, order in TABLES.items():
            columns = f"* EXCLUDE ({exclude[table]})" if table in exclude else "*"
            if table == "story_links":
                # A score is a sum of products: summed in another order (the other article
                # being the new one) it may differ in the last bit (1.0 / 0.9999999999999998).
                columns = "* REPLACE (round(score, 12) AS score)"
            found[table] = connection.execute(
                f"SELECT {columns} FROM {table} ORDER BY {order}"
            ).fetchall()
    return found


@pytest.fixture
def lake_config(
    postgres_server: PostgresServer,
    s3_server: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[NewsSite, Path, list[tuple[str, str]]], Path]:
    """Writes a config whose storage is a new lake: its own catalog database and bucket."""
    # Credentials reach newswatch the way they do in production: from the environment.
    monkeypatch.setenv("NEWSWATCH_LAKE_PASSWORD", postgres_server.password)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret)
    monkeypatch.delenv("NEWSWATCH_DB", raising=False)
    block = new_lake_storage(postgres_server, s3_server, "lake_" + uuid.uuid4().hex[:10])

    def write(site: NewsSite, directory: Path, feeds: list[tuple[str, str]]) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        return site.write_config(directory, feeds, extra=block)

    return write


def test_a_run_into_a_lake_stores_what_a_run_into_a_file_does_and_a_rerun_changes_nothing(
    news_site: NewsSite,
    tmp_path: Path,
    lake_config: Callable[[NewsSite, Path, list[tuple[str, str]]], Path],
) -> None:
    feeds = [
        ("wire-rss", news_site.feed_url("rss2.xml")),
        ("atom", news_site.feed_url("atom.xml")),
        ("odd", news_site.serve_not_articles_feed()),
    ]
    (tmp_path / "file").mkdir()
    file_config = news_site.write_config(tmp_path / "file", feeds)
    lake_config_path = lake_config(news_site, tmp_path / "lake", feeds)

    into_file = newswatch("run", "--config", str(file_config))
    assert into_file.exit_code == 0, into_file.output
    into_lake = newswatch("run", "--config", str(lake_config_path))
    assert into_lake.exit_code == 0, into_lake.output
    assert "database: lake postgres:" in into_lake.output
    assert not (tmp_path / "lake" / "news.duckdb").exists(), "the lake run wrote no file"

    file_store = Database(tmp_path / "file" / "news.duckdb")
    lake = open_store(load_config(lake_config_path))
    assert isinstance(lake, Lake)
    in_file, in_lake = snapshot(file_store), snapshot(lake)
    assert len(in_file["articles"]) >= 15 and in_file["near_copies"] and in_file["story_links"]
    assert in_file["rejected_pages"] and in_file["provider_lines"] and in_file["raw_pages"]
    for table in TABLES:
        assert in_lake[table] == in_file[table], f"{table} differs between the lake and the file"
    assert [(page.url, page.content) for page in load_raw_pages(lake)] == [
        (page.url, page.content) for page in load_raw_pages(file_store)
    ]

    # A second identical run changes nothing but the bookkeeping of who saw what last.
    again = newswatch("run", "--config", str(lake_config_path))
    assert again.exit_code == 0, again.output
    bookkeeping = {
        **RUN_COLUMNS,
        "articles": RUN_COLUMNS["articles"] + ", seen_count",
        "unique_articles": RUN_COLUMNS["articles"] + ", seen_count",
        "sources": RUN_COLUMNS["sources"] + ", items_last_run, new_last_run, last_outcome",
        "rejected_pages": RUN_COLUMNS["rejected_pages"] + ", seen_count",
        "runs": RUN_COLUMNS["runs"] + ", items_seen, items_new, items_duplicate, items_off_topic",
    }
    after = snapshot(lake, bookkeeping)
    before = snapshot(file_store, bookkeeping)
    for table in TABLES:
        if table == "runs":
            continue
        assert after[table] == before[table], f"the second run changed {table}"
    with lake.connect(read_only=True) as connection:
        runs = connection.execute(
            "SELECT status, items_new, items_duplicate FROM runs ORDER BY started_at"
        ).fetchall()
        counts = connection.execute("SELECT count(*), count(DISTINCT id) FROM articles").fetchone()
    assert runs[0][0] == runs[1][0] == "completed"
    assert runs[1][1:] == (0, 0), "the rerun stored nothing new"
    assert counts is not None and counts[0] == counts[1] == len(in_file["articles"])


def test_every_reading_command_works_on_the_lake_as_on_the_file(
    news_site: NewsSite,
    tmp_path: Path,
    lake_config: Callable[[NewsSite, Path, list[tuple[str, str]]], Path],
) -> None:
    feeds = [("wire-rss", news_site.feed_url("rss2.xml"))]
    (tmp_path / "file").mkdir()
    file_config = news_site.write_config(tmp_path / "file", feeds)
    lake_config_path = lake_config(news_site, tmp_path / "lake", feeds)
    for config in (file_config, lake_config_path):
        result = newswatch("run", "--config", str(config))
        assert result.exit_code == 0, result.output

    sql = (
        "SELECT title, provider_domain, duplicate_of IS NULL AS kept, story_id "
        "FROM unique_articles ORDER BY id"
    )
    outputs = {}
    for label, config in (("file", file_config), ("lake", lake_config_path)):
        query = newswatch("query", sql, "--format", "json", "--config", str(config))
        assert query.exit_code == 0, query.output
        sources = newswatch("sources", "--config", str(config))
        assert sources.exit_code == 0, sources.output
        report = newswatch(
            "report", "--out", str(tmp_path / f"{label}.html"), "--config", str(config)
        )
        assert report.exit_code == 0, report.output
        export = newswatch(
            "export", "--format", "seed", "--out", str(tmp_path / f"{label}-seed"),
            "--config", str(config),
        )  # fmt: skip
        assert export.exit_code == 0, export.output
        parquet = newswatch(
            "export", "--format", "parquet", "--out", str(tmp_path / f"{label}-parquet"),
            "--config", str(config),
        )  # fmt: skip
        assert parquet.exit_code == 0, parquet.output
        outputs[label] = (json.loads(query.output), sources.output, export.output)
    assert outputs["lake"][0] == outputs["file"][0] and outputs["lake"][0]
    strip = [line.split("  ")[0] for line in outputs["lake"][1].splitlines()]
    assert strip == [line.split("  ")[0] for line in outputs["file"][1].splitlines()]
    assert outputs["lake"][2].split(" to ")[0] == outputs["file"][2].split(" to ")[0]
    seeds = sorted(path.name for path in (tmp_path / "lake-seed").glob("*.md"))
    assert seeds == sorted(path.name for path in (tmp_path / "file-seed").glob("*.md"))
    for name in seeds:
        assert (tmp_path / "lake-seed" / name).read_text() == (
            tmp_path / "file-seed" / name
        ).read_text(), name
    with duckdb.connect() as reader:
        counts = [
            reader.execute(
                f"SELECT count(*) FROM read_parquet('{tmp_path}/{label}-parquet/**/*.parquet')"
            ).fetchone()
            for label in ("file", "lake")
        ]
    assert counts[0] == counts[1]

    # A query never writes, into the lake neither; --db next to a lake config is refused.
    refused = newswatch("query", "DELETE FROM articles", "--config", str(lake_config_path))
    assert refused.exit_code != 0 and "read-only" in refused.output
    read_file = newswatch(
        "query", "SELECT * FROM read_csv('/etc/passwd')", "--config", str(lake_config_path)
    )
    assert read_file.exit_code != 0 and "Permission Error" in read_file.output
    both = newswatch("run", "--config", str(lake_config_path), "--db", str(tmp_path / "x.duckdb"))
    assert both.exit_code == 2 and "names a DuckDB file, but this config" in both.output
    published = newswatch("publish", "--config", str(lake_config_path))
    assert published.exit_code == 0 and "published lake snapshot" in published.output

    # normalize applies the boilerplate learned in the config's store, a lake's as a file's;
    # --db takes a DuckDB file only, and says so in one line when given a config.
    page = str(SITE / "articles" / "policy-news.html")
    explained = {}
    for label, config in (("file", file_config), ("lake", lake_config_path)):
        result = newswatch("normalize", page, "--explain", "--learned", "--config", str(config))
        assert result.exit_code == 0, result.output
        explained[label] = result.output
    assert explained["lake"] == explained["file"] and "line(s) removed" in explained["lake"]
    wrong = newswatch("normalize", page, "--explain", "--db", str(lake_config_path))
    assert wrong.exit_code == 2 and len(wrong.output.strip().splitlines()) == 1
    assert "names a config, not a DuckDB file" in wrong.output


@pytest.mark.slow
def test_a_backfill_and_a_reprocess_into_a_lake_match_the_file(
    news_site: NewsSite,
    tmp_path: Path,
    lake_config: Callable[[NewsSite, Path, list[tuple[str, str]]], Path],
) -> None:
    feeds = [("wire-rss", news_site.feed_url("rss2.xml")), ("atom", news_site.feed_url("atom.xml"))]
    (tmp_path / "file").mkdir()
    configs = {
        "file": news_site.write_config(tmp_path / "file", feeds),
        "lake": lake_config(news_site, tmp_path / "lake", feeds),
    }
    stores: dict[str, Store] = {
        "file": Database(tmp_path / "file" / "news.duckdb"),
        "lake": open_store(load_config(configs["lake"])),
    }
    window = ["--since", "2026-11-10", "--until", "2026-11-17"]
    for config in configs.values():
        backfill = newswatch("backfill", "--config", str(config), *window)
        assert backfill.exit_code == 0, backfill.output
        again = newswatch("backfill", "--config", str(config), *window)
        assert again.exit_code == 0, again.output
        reprocess = newswatch("reprocess", "--config", str(config))
        assert reprocess.exit_code == 0, reprocess.output
    with_flows = {**RUN_COLUMNS, "backfill_progress": "finished_at, run_id"}
    in_file, in_lake = snapshot(stores["file"], with_flows), snapshot(stores["lake"], with_flows)
    assert in_file["backfill_progress"] and len(in_file["articles"]) == 3
    for table in TABLES:
        assert in_lake[table] == in_file[table], f"{table} differs between the lake and the file"
    with stores["lake"].connect(read_only=True) as connection:
        flows = connection.execute(
            "SELECT flow, status, items_new FROM runs ORDER BY started_at"
        ).fetchall()
    assert flows == [
        ("backfill", "completed", 3),
        ("backfill", "completed", 0),
        ("reprocess", "completed", 0),
    ]


def test_lake_upkeep_commands_and_the_maintenance_flow(
    news_site: NewsSite,
    tmp_path: Path,
    lake_config: Callable[[NewsSite, Path, list[tuple[str, str]]], Path],
) -> None:
    from flows.monitor import lake_maintenance

    config = lake_config(news_site, tmp_path / "lake", [("atom", news_site.feed_url("atom.xml"))])
    first = newswatch("run", "--config", str(config))
    assert first.exit_code == 0, first.output
    lake = open_store(load_config(config))
    before = snapshot(lake)
    with lake.connect(read_only=True) as connection:
        (run_id,) = connection.execute("SELECT run_id FROM runs").fetchone() or ("",)

    # A plain DuckDB file for tools that cannot attach a lake; the DuckDB CLI from PyPI
    # (the 1.5 line, dev extra) opens it.
    target = tmp_path / "published" / "news.duckdb"
    target.parent.mkdir()
    published = newswatch("lake", "publish-file", "--out", str(target), "--config", str(config))
    assert published.exit_code == 0, published.output
    assert f"published {target}: {len(before['articles'])} articles" in published.output
    cli = Path(sys.executable).parent / "duckdb"
    completed = subprocess.run(
        [str(cli), "-readonly", "-csv", "-noheader", str(target), "-c",
         "SELECT (SELECT count(*) FROM unique_articles), value FROM schema_info "
         "WHERE key = 'published_run_id'"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"{len(before['unique_articles'])},{run_id}"
    assert snapshot(Database(target)) == before, "the file holds what the lake holds"

    # Compaction and expiry change no row.
    maintained = newswatch(
        "lake", "maintain", "--keep-snapshot-days", "0", "--keep-unused-file-days", "0",
        "--config", str(config),
    )  # fmt: skip
    assert maintained.exit_code == 0, maintained.output
    assert maintained.output.startswith(f"maintained {lake.describe()}: ")
    assert snapshot(lake) == before

    # The scheduled flow does the same, as a Prefect flow run, and can publish the file.
    again = tmp_path / "published" / "again.duckdb"
    report = lake_maintenance(config_path=str(config), publish_file=str(again))
    assert report.publication is not None and report.publication.articles == len(before["articles"])
    assert snapshot(Database(again)) == before

    # A file config has no lake: one line, no traceback.
    (tmp_path / "file").mkdir()
    file_config = news_site.write_config(tmp_path / "file", [])
    refused = newswatch("lake", "maintain", "--config", str(file_config))
    assert refused.exit_code == 2 and "not a lake" in refused.output


@pytest.mark.slow
def test_two_processes_running_shards_of_the_sources_into_one_lake_match_one_file_run(
    news_site: NewsSite,
    tmp_path: Path,
    lake_config: Callable[[NewsSite, Path, list[tuple[str, str]]], Path],
) -> None:
    # Shards that split a wire story from its syndicated copy (rss2 / atom): the copy must
    # be found across the shards. (Feeds listing the same article are not split here: the
    # first feed's description becomes its excerpt, so which shard commits first shows;
    # tests/storage/test_lake.py stores overlapping batches from 4 processes exactly once.)
    shards = {
        "a": [("wire-rss", news_site.feed_url("rss2.xml"))],
        "b": [("atom", news_site.feed_url("atom.xml"))],
    }
    configs = {
        name: lake_config(news_site, tmp_path / f"worker-{name}", feeds)
        for name, feeds in shards.items()
    }
    # The seed folder goes with shard a only.
    configs["b"].write_text(
        configs["b"]
        .read_text()
        .replace(
            "  - name: seed-documents\n    kind: folder\n",
            "  - name: unused\n    kind: folder\n    enabled: false\n",
        )
    )
    from prefect.settings import PREFECT_API_URL

    # Both processes report to the session's Prefect API, as workers report to theirs;
    # they share nothing else but the lake (own working folders, own PREFECT_HOME).
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")},
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
    }
    processes = {
        name: subprocess.Popen(
            [str(Path(sys.executable).with_name("newswatch")), "run", "--config", str(config)],
            cwd=config.parent,
            env={**environment, "PREFECT_HOME": str(config.parent / "prefect")},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, config in configs.items()
    }
    outputs = {name: process.communicate(timeout=600)[0] for name, process in processes.items()}
    for name, process in processes.items():
        assert process.returncode == 0, outputs[name]

    (tmp_path / "file").mkdir()
    whole = news_site.write_config(tmp_path / "file", [*shards["a"], *shards["b"]])
    reference = newswatch("run", "--config", str(whole))
    assert reference.exit_code == 0, reference.output

    lake = open_store(load_config(configs["a"]))
    # Which source delivered an article first, and what each run counted as new or a
    # copy, depend on which shard came first; what is stored does not.
    order = {
        **RUN_COLUMNS,
        "articles": RUN_COLUMNS["articles"] + ", source_name",
        "unique_articles": RUN_COLUMNS["unique_articles"] + ", source_name",
        "sources": RUN_COLUMNS["sources"] + ", new_last_run",
        "raw_pages": RUN_COLUMNS["raw_pages"] + ", source_name",
        "rejected_pages": RUN_COLUMNS["rejected_pages"] + ", source_name",
    }
    in_file, in_lake = (
        snapshot(Database(tmp_path / "file" / "news.duckdb"), order),
        snapshot(lake, order),
    )
    wire = news_site.article("wire-story.html")["canonical"]
    copy = news_site.article("wire-story-syndicated.html")["canonical"]
    with lake.connect(read_only=True) as connection:
        pair = connection.execute(
            "SELECT web_url, duplicate_of IS NULL FROM articles WHERE web_url IN (?, ?) ORDER BY 1",
            [wire, copy],
        ).fetchall()
        runs = connection.execute("SELECT sum(items_new), count(*) FROM runs").fetchone()
    assert sorted(pair) == sorted([(wire, True), (copy, False)]), "the copy found across shards"
    assert runs == (len(in_file["articles"]), 2), "each article new to exactly one shard"
    for table in TABLES:
        if table == "runs":
            continue
        assert in_lake[table] == in_file[table], f"{table} differs between the shards and one run"


@pytest.mark.slow
def test_a_run_killed_mid_way_leaves_a_crashed_row_and_a_rerun_completes_exactly(
    news_site: NewsSite,
    tmp_path: Path,
    lake_config: Callable[[NewsSite, Path, list[tuple[str, str]]], Path],
) -> None:
    from prefect.settings import PREFECT_API_URL

    feeds = [("wire-rss", news_site.feed_url("rss2.xml")), ("atom", news_site.feed_url("atom.xml"))]
    config = lake_config(news_site, tmp_path / "lake", feeds)
    lake = open_store(load_config(config))
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")},
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_HOME": str(tmp_path / "prefect"),
    }
    victim = subprocess.Popen(
        [str(Path(sys.executable).with_name("newswatch")), "run", "--config", str(config)],
        cwd=config.parent,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Killed as soon as its run is in the ledger: while it lists, fetches or stores.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and victim.poll() is None:
        try:
            with lake.connect(read_only=True) as connection:
                if connection.execute("SELECT count(*) FROM runs").fetchone() == (1,):
                    break
        except LakeError:
            pass  # the victim has not created the lake yet
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL

    rerun = newswatch("run", "--config", str(config))
    assert rerun.exit_code == 0, rerun.output
    (tmp_path / "file").mkdir()
    reference = newswatch("run", "--config", str(news_site.write_config(tmp_path / "file", feeds)))
    assert reference.exit_code == 0, reference.output
    # Articles the victim stored before it died were seen again by the rerun.
    seen_twice = {
        **RUN_COLUMNS,
        "articles": RUN_COLUMNS["articles"] + ", seen_count",
        "unique_articles": RUN_COLUMNS["unique_articles"] + ", seen_count",
        "rejected_pages": RUN_COLUMNS["rejected_pages"] + ", seen_count",
    }
    in_file = snapshot(Database(tmp_path / "file" / "news.duckdb"), seen_twice)
    in_lake = snapshot(lake, seen_twice)
    for table in TABLES:
        if table in ("runs", "sources"):
            continue  # the killed run's row, and its sources' attempts
        assert in_lake[table] == in_file[table], f"{table} differs after the crash and rerun"
    with lake.connect(read_only=True) as connection:
        statuses = connection.execute("SELECT status FROM runs ORDER BY started_at").fetchall()
        counts = connection.execute("SELECT count(*), count(DISTINCT id) FROM articles").fetchone()
    assert statuses == [("crashed",), ("completed",)]
    assert counts == (len(in_file["articles"]),) * 2, "every article stored exactly once"
