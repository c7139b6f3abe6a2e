"""The run ledger and the database file tell the truth: killed runs, held files, damaged files."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from flows.app.cli import app
from storage.articles import ArticleBatch, save_batch
from storage.database import Database
from storage.processes import process_start
from storage.publish import analytics_path, publish
from storage.runs import start_run
from tests.storage.test_storage import NOW, seed_articles
from tests.support.paths import REPO, SEEDS

runner = CliRunner()

# A process that records a run as started, says so, and then waits to be killed.
STARTER = """
import sys, time
from datetime import UTC, datetime
from storage.database import Database
from storage.runs import start_run
start_run(Database(sys.argv[1]), run_id=sys.argv[2], flow="daily-monitor",
          started_at=datetime.now(UTC), config_path="sources.yaml")
print("started", flush=True)
time.sleep(120)
"""

# A program holding the working file open, as an analyst's tool would.
HOLDER = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(120)
"""


def seeds_config(directory: Path) -> Path:
    path = directory / "sources.yaml"
    path.write_text(
        "sources:\n"
        f"  - name: seed-documents\n    kind: folder\n    path: {SEEDS}\n"
        f"storage:\n  db: {directory / 'news.duckdb'}\n",
        encoding="utf-8",
    )
    return path


def child(script: str, *arguments: str) -> subprocess.Popen[str]:
    """A Python child process in the repository, once it printed its first line."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, *arguments],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    if not process.stdout.readline():
        _, errors = process.communicate()
        raise AssertionError(errors or "child failed")
    return process


def newswatch(*arguments: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """The real command in its own process (what a user or a scheduler runs)."""
    environment = dict(os.environ, PREFECT_HOME=os.environ.get("PREFECT_HOME", ""))
    return subprocess.run(
        [sys.executable, "-m", "flows.app.cli", *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={key: value for key, value in environment.items() if value},
    )


def runs(path: Path) -> dict[str, dict[str, Any]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        cursor = connection.execute("SELECT * FROM runs")
        names = [column[0] for column in cursor.description or []]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.usefixtures("prefect_harness")
def test_a_killed_run_is_closed_as_crashed_by_the_next_run(tmp_path: Path) -> None:
    config = seeds_config(tmp_path)
    db = tmp_path / "news.duckdb"
    killed = child(STARTER, str(db), "killed-run")
    alive = child(STARTER, str(db), "run-still-going")
    try:
        killed.send_signal(signal.SIGKILL)
        killed.communicate()
        before = runs(db)
        assert before["killed-run"]["status"] == "running", "a SIGKILLed run closes nothing"
        assert before["killed-run"]["pid"] == killed.pid
        noticed_after = datetime.now(UTC).replace(tzinfo=None)
        result = runner.invoke(app, ["run", "--config", str(config)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        after = runs(db)
    finally:
        alive.kill()
        alive.communicate()
    crashed = after["killed-run"]
    assert crashed["status"] == "crashed"
    assert crashed["crash_noticed_at"] is not None and crashed["crash_noticed_at"] >= noticed_after
    assert crashed["finished_at"] is None
    assert "ended without closing the run" in crashed["summary"]
    # A run whose process is still there is not anybody's to close.
    assert after["run-still-going"]["status"] == "running"
    assert after["run-still-going"]["crash_noticed_at"] is None
    (new,) = (row for key, row in after.items() if key not in before)
    assert new["status"] == "completed" and new["pid"] == os.getpid()


def test_a_reused_pid_or_another_host_is_judged_right(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    for run_id in ("reused-pid", "this-process", "other-host", "before-the-ledger-knew"):
        start_run(db, run_id=run_id, flow="daily-monitor", started_at=NOW, config_path="x")
    with db.connect() as connection:
        # Our own pid, alive, but recorded with another start: the pid was reused.
        connection.execute(
            "UPDATE runs SET process_start = 'another-boot:1' WHERE run_id = 'reused-pid'"
        )
        # A pid that is certainly not alive here, but on another machine.
        connection.execute(
            "UPDATE runs SET host = ?, pid = 999999999 WHERE run_id = 'other-host'",
            [socket.gethostname() + "-elsewhere"],
        )
        # A row written before the ledger recorded processes.
        connection.execute(
            "UPDATE runs SET pid = NULL, host = NULL, process_start = NULL "
            "WHERE run_id = 'before-the-ledger-knew'"
        )
    assert process_start(os.getpid()) not in ("", "zombie")
    start_run(db, run_id="next", flow="daily-monitor", started_at=NOW, config_path="x")
    status = {run_id: row["status"] for run_id, row in runs(db.path).items()}
    assert status == {
        "reused-pid": "crashed",
        "this-process": "running",
        "other-host": "running",
        "before-the-ledger-knew": "crashed",
        "next": "running",
    }


def test_a_run_while_another_program_holds_the_file_names_it_and_writes_nothing(
    tmp_path: Path,
) -> None:
    config = seeds_config(tmp_path)
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=seed_articles()[:2]))
    before = digest(db.path)
    holder = child(HOLDER, str(db.path))
    try:
        result = newswatch("run", "--config", str(config))
    finally:
        holder.kill()
        holder.communicate()
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    (line,) = output.strip().splitlines()
    assert line.startswith("newswatch: ") and str(db.path) in line
    assert f"process {holder.pid} (" in line
    assert f"open the analytics copy {analytics_path(db.path)} instead" in line
    assert "read-only mode" not in line
    assert digest(db.path) == before, "nothing was written, not even a ledger row"
    assert "r1" in str(runs(db.path)) or not runs(db.path)


def truncated(path: Path, keep: float = 0.5) -> None:
    path.chmod(0o644)
    with path.open("r+b") as handle:
        handle.truncate(int(path.stat().st_size * keep))


def test_a_truncated_working_file_is_refused_in_one_line_and_left_as_is(tmp_path: Path) -> None:
    config = seeds_config(tmp_path)
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=seed_articles()))
    truncated(db.path)
    before = digest(db.path)
    for command in (["run"], ["backfill", "--since", "2026-11-01"], ["reprocess"], ["publish"]):
        result = newswatch(*command, "--config", str(config))
        output = result.stdout + result.stderr
        assert result.returncode == 1, (command, output)
        assert "Traceback" not in output
        (line,) = output.strip().splitlines()
        assert line.startswith(f"newswatch: database {db.path} is damaged"), line
        assert "newswatch will not read or write it" in line
        assert digest(db.path) == before, command
    assert sorted(path.name for path in tmp_path.iterdir()) == ["news.duckdb", "sources.yaml"]


def test_query_and_report_say_a_damaged_copy_is_damaged(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=seed_articles()))
    copy = publish(db, run_id="r1").path
    truncated(copy)
    for command in (
        ["query", "SELECT count(*) FROM articles"],
        ["report", "--out", str(tmp_path / "report.html")],
        ["sources"],
    ):
        result = runner.invoke(app, [*command, "--db", str(db.path)])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"newswatch: database {copy} is damaged")
        assert result.output.count("\n") == 1
        assert "`newswatch publish` copies the working file over it again" in result.output
    assert not (tmp_path / "report.html").exists()
    # As the message says: publishing again replaces the damaged copy.
    assert runner.invoke(app, ["publish", "--db", str(db.path)]).exit_code == 0
    result = runner.invoke(app, ["query", "SELECT count(*) FROM articles", "--db", str(db.path)])
    assert result.exit_code == 0 and "5" in result.output


def damaged_in_the_middle(db: Database) -> None:
    """A file that opens (header and catalogue intact) with a damaged data block."""
    # Enough data that the middle of the file is a data block, not the catalogue.
    with duckdb.connect(str(db.path)) as connection:
        connection.execute(
            "CREATE TABLE filler AS SELECT i, repeat('x', 100) || i AS s FROM range(300000) t(i)"
        )
    size = db.path.stat().st_size
    with db.path.open("r+b") as handle:
        handle.seek(size // 2)
        handle.write(os.urandom(4096))


def test_damage_found_while_reading_is_reported_as_damage_not_a_partial_answer(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=seed_articles()))
    damaged_in_the_middle(db)
    result = runner.invoke(
        app, ["query", "SELECT count(*), sum(length(s)) FROM filler", "--db", str(db.path)]
    )
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"newswatch: database {db.path} is damaged")
    assert "checksum" in result.output and result.output.count("\n") == 1


def test_a_damaged_working_file_never_replaces_the_last_good_copy(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=seed_articles()))
    copy = publish(db, run_id="r1").path
    good = digest(copy)
    damaged_in_the_middle(db)
    result = runner.invoke(app, ["publish", "--db", str(db.path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"newswatch: the working file {db.path} is damaged")
    assert f"the previous copy {copy} is unchanged" in result.output
    assert "checksum" in result.output and result.output.count("\n") == 1
    assert digest(copy) == good
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "news-analytics.duckdb",
        "news.duckdb",
    ]


def test_a_query_error_that_quotes_damage_words_is_a_query_error(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=seed_articles()))
    result = runner.invoke(
        app, ["query", 'SELECT * FROM "Corrupt database file"', "--db", str(db.path)]
    )
    assert result.exit_code == 2
    assert result.output.startswith("newswatch: query failed (SELECT): Catalog Error")


def test_a_file_held_by_another_newswatch_command_says_to_wait_for_it(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=seed_articles()[:1]))
    # Run the way the console script runs: `python …/bin/newswatch ARGS`.
    script = tmp_path / "bin" / "newswatch"
    script.parent.mkdir()
    script.write_text(
        "import sys, time, duckdb\n"
        "connection = duckdb.connect(sys.argv[2])\n"
        "print('writing', flush=True)\n"
        "time.sleep(120)\n"
    )
    other = subprocess.Popen(
        [sys.executable, str(script), "run", str(db.path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "writing"
        result = runner.invoke(app, ["publish", "--db", str(db.path)])
    finally:
        other.kill()
        other.communicate()
    assert result.exit_code == 1
    assert f"in use by process {other.pid} (" in result.output
    assert "another newswatch run; wait for it to finish" in result.output


def test_a_working_file_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database's folder should be")
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"sources:\n  - name: seed-documents\n    kind: folder\n    path: {SEEDS}\n"
        f"storage:\n  db: {blocker / 'news.duckdb'}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 1
    assert result.output.startswith(f"newswatch: cannot create database {blocker / 'news.duckdb'}")
    assert result.output.count("\n") == 1
