"""DuckDB 1.5 LTS: the pinned version, and a file written by DuckDB 2.0 named for what it is.

The fixture ``written-by-2.0.1.duckdb.gz`` is a real database file created by the duckdb
2.0.1 wheel (one small table), gzip-compressed because it is mostly empty blocks
(780 KiB -> 1.5 KiB). DuckDB 1.5 cannot read DuckDB 2.0's storage format.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import duckdb
import pytest

from storage.database import Database, DatabaseTooNewError
from tests.support.paths import FIXTURES, REPO

FIXTURE = FIXTURES / "duckdb2" / "written-by-2.0.1.duckdb.gz"
NEWSWATCH = Path(sys.executable).parent / "newswatch"


@pytest.fixture
def duckdb2_file(tmp_path: Path) -> Path:
    path = tmp_path / "news.duckdb"
    path.write_bytes(gzip.decompress(FIXTURE.read_bytes()))
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_duckdb_is_the_pinned_lts_release_with_matching_extension_wheels() -> None:
    assert duckdb.__version__ == "1.5.5"
    for wheel in (
        "duckdb-extension-ducklake",
        "duckdb-extension-postgres-scanner",
        "duckdb-extension-httpfs",
    ):
        assert version(wheel) == duckdb.__version__, wheel


def test_the_fixture_really_is_a_file_duckdb_1_5_cannot_read(duckdb2_file: Path) -> None:
    with pytest.raises(duckdb.IOException, match="version number"):
        duckdb.connect(str(duckdb2_file), read_only=True)


@pytest.mark.parametrize("read_only", [False, True])
def test_a_duckdb_2_file_is_named_and_left_untouched(duckdb2_file: Path, read_only: bool) -> None:
    before = _digest(duckdb2_file)
    with pytest.raises(DatabaseTooNewError) as raised, Database(duckdb2_file).connect(read_only):
        pass
    message = str(raised.value)
    assert "\n" not in message
    assert str(duckdb2_file) in message
    assert "DuckDB v2.0.1" in message and "1.5.5" in message
    assert "Parquet" in message, "says how to move the data"
    assert _digest(duckdb2_file) == before
    assert sorted(p.name for p in duckdb2_file.parent.iterdir()) == ["news.duckdb"], "no WAL"


@pytest.mark.parametrize(
    ("command", "code"),
    [(["query", "SELECT count(*) FROM articles"], 2), (["sources"], 2), (["run"], 1)],
)
def test_the_cli_says_so_in_one_line(
    duckdb2_file: Path, tmp_path: Path, command: list[str], code: int
) -> None:
    before = _digest(duckdb2_file)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("NEWSWATCH_DB", None)
    completed = subprocess.run(
        [str(NEWSWATCH), *command, "--db", str(duckdb2_file)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    output = completed.stderr + completed.stdout
    assert "Traceback" not in output, output
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith(f"newswatch: database {duckdb2_file} was written by DuckDB v2.0.1")
    assert completed.returncode == code, output
    assert _digest(duckdb2_file) == before


def test_the_duckdb_cli_from_pypi_opens_the_analytics_copy(tmp_path: Path) -> None:
    from storage.publish import analytics_path, publish

    db = Database(tmp_path / "news.duckdb")
    with db.connect():
        pass
    publish(db, run_id="r1")
    cli = Path(sys.executable).parent / "duckdb"  # PyPI duckdb-cli (dev extra)
    completed = subprocess.run(
        [
            str(cli),
            "-readonly",
            "-csv",
            "-noheader",
            str(analytics_path(db.path)),
            "-c",
            "SELECT value FROM schema_info WHERE key = 'published_run_id'",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "r1"
