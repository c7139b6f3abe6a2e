"""The analytics copy: published whole at the end of each run, readers never block the writer."""

from __future__ import annotations

import errno
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from flows.app.cli import app
from storage import publish as publish_module
from storage.articles import ArticleBatch, save_batch
from storage.database import Database
from storage.publish import PublishError, analytics_path, publish, reader_database
from tests.conftest import NewsSite
from tests.storage.test_storage import NOW, seed_articles
from tests.support.paths import REPO

runner = CliRunner()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count(path: Path, sql: str = "SELECT count(*) FROM articles") -> Any:
    with duckdb.connect(str(path), read_only=True) as connection:
        row = connection.execute(sql).fetchone()
        return row[0] if row else None


def test_analytics_path_sits_beside_the_database() -> None:
    assert analytics_path("data/newswatch.duckdb") == Path("data/newswatch-analytics.duckdb")
    assert analytics_path("/x/news.db") == Path("/x/news.db-analytics.duckdb")


def test_publish_writes_a_stamped_read_only_copy_and_readers_prefer_it(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=seed_articles()))
    assert reader_database(db) is db, "before the first publication the file itself is read"
    publication = publish(db, run_id="r1")
    target = tmp_path / "news-analytics.duckdb"
    assert publication.path == target and publication.size_bytes == target.stat().st_size
    assert count(target) == 5
    assert count(target, "SELECT value FROM schema_info WHERE key = 'published_run_id'") == "r1"
    assert target.stat().st_mode & 0o222 == 0, "the copy is read-only on disk"
    assert reader_database(db).path == target
    # No temporary file or WAL is left beside it.
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "news-analytics.duckdb",
        "news.duckdb",
    ]
    # The pipeline's own file is still writable after publishing.
    save_batch(db, ArticleBatch(run_id="r2", seen_at=NOW, articles=seed_articles()[:1]))


def test_a_reader_holding_the_copy_keeps_its_session_across_a_publication(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    articles = seed_articles()
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=articles[:2]))
    publish(db, run_id="r1")
    target = analytics_path(db.path)
    with duckdb.connect(str(target), read_only=True) as held:
        assert held.execute("SELECT count(*) FROM articles").fetchall() == [(2,)]
        # The pipeline writes and publishes while the analyst's connection is open.
        save_batch(db, ArticleBatch(run_id="r2", seen_at=NOW, articles=articles[2:]))
        publish(db, run_id="r2")
        # The open session still answers, from the copy it opened (a whole run).
        assert held.execute("SELECT count(*) FROM articles").fetchall() == [(2,)]
    assert count(target) == 5


def test_disk_full_while_copying_keeps_the_previous_copy_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(tmp_path / "news.duckdb")
    articles = seed_articles()
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=articles[:3]))
    publish(db, run_id="r1")
    target = analytics_path(db.path)
    before = digest(target)
    save_batch(db, ArticleBatch(run_id="r2", seen_at=NOW, articles=articles[3:]))

    def full_disk(source: Path, destination: Path) -> None:
        # Half the file gets written, then the disk is full.
        data = Path(source).read_bytes()
        Path(destination).write_bytes(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish_module, "_copy_file", full_disk)
    with pytest.raises(PublishError, match="No space left on device") as raised:
        publish(db, run_id="r2")
    assert "previous copy" in str(raised.value) and "unchanged" in str(raised.value)
    assert digest(target) == before
    assert count(target) == 3
    assert count(target, "SELECT value FROM schema_info WHERE key = 'published_run_id'") == "r1"
    assert not [path for path in tmp_path.iterdir() if ".tmp-" in path.name]
    # The CLI says the same and exits non-zero.
    failed = runner.invoke(app, ["publish", "--db", str(db.path)])
    assert failed.exit_code == 1 and "unchanged" in failed.output
    # Once there is room again, the next publication goes through.
    monkeypatch.undo()
    done = runner.invoke(app, ["publish", "--db", str(db.path)])
    assert done.exit_code == 0, done.output
    assert count(target) == 5


def test_disk_full_on_a_real_small_file_system(tmp_path: Path) -> None:
    """A tmpfs too small for the copy, when this machine lets the test mount one."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        db = Database(tmp_path / "news.duckdb")
        articles = seed_articles()
        save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=articles[:1]))
        target = mount / "news-analytics.duckdb"
        publish(db, run_id="r1", target=target)
        before = digest(target)
        # Fill the disk so that no second copy fits.
        filler = mount / "filler"
        with filler.open("wb") as handle, pytest.raises(OSError):
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        save_batch(db, ArticleBatch(run_id="r2", seen_at=NOW, articles=articles[1:]))
        with pytest.raises(PublishError, match="unchanged"):
            publish(db, run_id="r2", target=target)
        assert digest(target) == before and count(target) == 1
        assert sorted(path.name for path in mount.iterdir()) == ["filler", "news-analytics.duckdb"]
    finally:
        subprocess.run(["umount", str(mount)], check=False)


# Two kinds of analyst, each in its own process. DuckDB shares one database
# instance between the connections of a process that name the same file, so a
# "fresh" session is only fresh in a process that has no other connection open.
HOLDER = """
import json, os, sys, time, duckdb
path, stop, log = sys.argv[1:4]
held = duckdb.connect(path, read_only=True)  # opened before the run, kept open all through it
with open(log, "w") as out:
    while not os.path.exists(stop):
        out.write(json.dumps(held.execute("SELECT count(*) FROM articles").fetchone()[0]) + "\\n")
        out.flush()
        time.sleep(0.02)
held.close()
"""
LOOKER = """
import json, os, sys, time, duckdb
path, stop, log = sys.argv[1:4]
with open(log, "w") as out:
    while not os.path.exists(stop):
        with duckdb.connect(path, read_only=True) as fresh:  # a new session every time
            row = fresh.execute(
                "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM runs),"
                " (SELECT count(*) FROM runs WHERE status = 'running')"
            ).fetchone()
        out.write(json.dumps(row) + "\\n")
        out.flush()
        time.sleep(0.02)
"""


@pytest.mark.usefixtures("prefect_harness")
def test_a_second_process_reading_all_through_a_run_neither_blocks_it_nor_sees_half_of_it(
    news_site: NewsSite, tmp_path: Path
) -> None:
    seeds_only = news_site.write_config(tmp_path, [])
    first = runner.invoke(app, ["run", "--config", str(seeds_only)], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    db = tmp_path / "news.duckdb"
    copy = analytics_path(db)
    assert count(copy) == 5 and count(copy, "SELECT count(*) FROM runs") == 1

    stop = tmp_path / "stop"
    logs = {"holder": tmp_path / "holder.log", "looker": tmp_path / "looker.log"}
    readers = {
        name: subprocess.Popen(
            [sys.executable, "-c", script, str(copy), str(stop), str(logs[name])],
            stderr=subprocess.PIPE,
        )
        for name, script in (("holder", HOLDER), ("looker", LOOKER))
    }
    try:
        deadline = time.monotonic() + 30
        while not all(log.exists() and log.read_text() for log in logs.values()):
            for reader in readers.values():
                assert reader.poll() is None, reader.stderr.read() if reader.stderr else ""
            assert time.monotonic() < deadline, "the readers did not start"
            time.sleep(0.05)
        with_feeds = news_site.write_config(
            tmp_path,
            [
                ("wire-rss", news_site.feed_url("rss2.xml")),
                ("atom", news_site.feed_url("atom.xml")),
            ],
        )
        second = runner.invoke(app, ["run", "--config", str(with_feeds)], catch_exceptions=False)
        assert second.exit_code == 0, second.output
        time.sleep(0.5)  # let the readers look at the new copy a few times
    finally:
        stop.touch()
        errors = {name: reader.communicate(timeout=30)[1] for name, reader in readers.items()}
    for name, reader in readers.items():
        assert reader.returncode == 0, f"{name}: {errors[name].decode()}"
    after = count(copy)
    assert after > 5 and count(db) == after
    held = [json.loads(line) for line in logs["holder"].read_text().splitlines()]
    fresh = [tuple(json.loads(line)) for line in logs["looker"].read_text().splitlines()]
    assert len(held) > 5 and len(fresh) > 5
    assert set(held) == {5}, "the session opened before the run keeps answering, unchanged"
    assert set(fresh) <= {(5, 1, 0), (after, 2, 0)}, "a new session sees whole runs only"
    assert fresh[0] == (5, 1, 0) and fresh[-1] == (after, 2, 0)
    published = count(copy, "SELECT value FROM schema_info WHERE key = 'published_run_id'")
    assert published == count(copy, "SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1")


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_whose_publication_fails_says_so_and_leaves_the_previous_copy(
    news_site: NewsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = news_site.write_config(tmp_path, [])
    first = runner.invoke(app, ["run", "--config", str(config)], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    copy = analytics_path(tmp_path / "news.duckdb")
    before = digest(copy)

    def full_disk(source: Path, destination: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish_module, "_copy_file", full_disk)
    second = runner.invoke(app, ["run", "--config", str(config)], catch_exceptions=False)
    assert second.exit_code == 1
    assert "could not publish the analytics copy" in second.output
    assert "No space left on device" in second.output and "unchanged" in second.output
    assert digest(copy) == before
    # The run stored its articles, and its ledger row says it failed, and why.
    db = tmp_path / "news.duckdb"
    assert count(db, "SELECT count(*) FROM runs WHERE status = 'completed'") == 1
    assert count(db, "SELECT count(*) FROM runs WHERE status = 'failed'") == 1
    error = count(db, "SELECT summary->>'error' FROM runs WHERE status = 'failed'")
    assert "could not publish the analytics copy" in error and "No space left" in error
    assert count(db, "SELECT count(*) FROM runs WHERE status = 'failed' AND items_seen = 5") == 1
    assert count(copy, "SELECT count(*) FROM runs") == 1


# A publication killed while copying: the copy step writes half the file, then hangs.
KILLED_PUBLISHER = """
import sys, time
from pathlib import Path
from storage import publish as publish_module
from storage.database import Database

def half_then_hang(source, destination):
    data = Path(source).read_bytes()
    Path(destination).write_bytes(data[: len(data) // 2])
    print("copying", flush=True)
    time.sleep(120)

publish_module._copy_file = half_then_hang
publish_module.publish(Database(sys.argv[1]), run_id="killed")
"""


def test_a_leftover_of_a_killed_publication_is_removed_by_the_next(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=seed_articles()))
    killed = subprocess.Popen(
        [sys.executable, "-c", KILLED_PUBLISHER, str(db.path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert killed.stdout is not None and killed.stdout.readline().strip() == "copying"
    killed.kill()
    killed.communicate()
    leftover = tmp_path / f".news-analytics.duckdb.tmp-{killed.pid}"
    assert leftover.exists(), "the killed publication left its half copy"
    # The temporary copy of a publication still going in another process is not touched.
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    in_progress = tmp_path / f".news-analytics.duckdb.tmp-{alive.pid}"
    in_progress.write_bytes(b"being written")
    try:
        publish(db, run_id="r2")
    finally:
        alive.kill()
        alive.communicate()
    assert not leftover.exists()
    assert in_progress.exists()
    in_progress.unlink()
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "news-analytics.duckdb",
        "news.duckdb",
    ]


def test_a_publication_by_hand_names_the_run_it_shows(tmp_path: Path) -> None:
    from datetime import timedelta

    from storage.runs import RunTotals, finish_run, start_run

    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=seed_articles()))
    totals = RunTotals("completed", 1, 0, 5, 5, 0, 0, 0)
    for offset, run_id in enumerate(["older", "latest"]):
        started = NOW + timedelta(hours=offset)
        start_run(db, run_id=run_id, flow="daily-monitor", started_at=started, config_path="x")
        finish_run(db, run_id=run_id, finished_at=started, totals=totals, summary={})
    result = runner.invoke(app, ["publish", "--db", str(db.path)])
    assert result.exit_code == 0, result.output
    copy = analytics_path(db.path)
    assert count(copy, "SELECT value FROM schema_info WHERE key = 'published_run_id'") == "latest"
