"""Migrations: an old database is upgraded in place on open; a newer one is refused untouched."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.app.cli import app
from storage.articles import ArticleBatch, read_records, save_batch
from storage.database import Database, StorageError
from storage.publish import publish
from storage.schema import SCHEMA_VERSION
from tests.storage.test_storage import NOW, seed_articles
from tests.support.paths import FIXTURES

# The checked-in version-1 database, as the SQL that builds it (make_v1.py wrote it).
V1_SQL = FIXTURES / "db" / "v1.sql"
runner = CliRunner()


@pytest.fixture(scope="module")
def v1_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("v1") / "v1.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(V1_SQL.read_text(encoding="utf-8"))
    return path


@pytest.fixture
def v1_copy(v1_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "old.duckdb"
    shutil.copyfile(v1_file, path)
    return path


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_the_checked_in_fixture_is_a_version_1_database(v1_file: Path) -> None:
    assert rows(v1_file, "SELECT value FROM schema_info WHERE key = 'schema_version'") == [("1",)]
    assert rows(v1_file, "SELECT count(*) FROM articles") == [(2,)]
    tables = {row[0] for row in rows(v1_file, "SELECT table_name FROM duckdb_tables()")}
    assert "near_copies" not in tables and "rejected_pages" not in tables


def test_a_version_1_database_is_upgraded_in_place_and_keeps_its_rows(v1_copy: Path) -> None:
    before = rows(
        v1_copy, "SELECT id, title, body, duplicate_of, topics, extra FROM articles ORDER BY id"
    )
    runs_before = rows(v1_copy, "SELECT * FROM runs ORDER BY run_id")
    v1_run_columns = ", ".join(
        name for (name,) in rows(v1_copy, "SELECT name FROM pragma_table_info('runs')")
    )
    sources_before = rows(v1_copy, "SELECT * FROM sources ORDER BY name")
    v1_source_columns = ", ".join(
        name for (name,) in rows(v1_copy, "SELECT name FROM pragma_table_info('sources')")
    )
    db = Database(v1_copy)
    with db.connect():
        pass  # opening for writing upgrades
    assert db.schema_version() == SCHEMA_VERSION
    assert (
        rows(
            v1_copy, "SELECT id, title, body, duplicate_of, topics, extra FROM articles ORDER BY id"
        )
        == before
    )
    assert rows(v1_copy, f"SELECT {v1_run_columns} FROM runs ORDER BY run_id") == runs_before
    assert rows(v1_copy, "SELECT pid, host, crash_noticed_at FROM runs") == [
        (None, None, None)
    ] * len(runs_before)
    assert rows(v1_copy, f"SELECT {v1_source_columns} FROM sources ORDER BY name") == sources_before
    # Later migrations' columns, tables and views are there, and documented.
    assert rows(v1_copy, "SELECT last_outcome, backoff_until FROM sources ORDER BY name") == [
        (None, None)
    ] * len(sources_before)
    assert rows(v1_copy, "SELECT removed_lines, related_input FROM articles ORDER BY id") == [
        ("[]", None),
        ("[]", None),
    ]
    assert rows(v1_copy, "SELECT article_id, copies FROM syndication WHERE copies > 0") == [
        ("a1b2c3d4e5f60718", 1)
    ]
    assert rows(
        v1_copy, "SELECT count(*) FROM duckdb_tables() WHERE comment IS NULL OR comment = ''"
    ) == [(0,)]
    view_columns = """
        SELECT count(*), count(comment) FROM duckdb_columns()
        WHERE table_name IN ('unique_articles', 'stories', 'syndication')
    """
    [(listed, commented)] = rows(v1_copy, view_columns)
    assert listed == commented == 36 + 10 + 7
    assert rows(
        v1_copy, "SELECT count(*) FROM duckdb_views() WHERE NOT internal AND comment IS NULL"
    ) == [(0,)]
    # The upgraded file works like a new one: records read back, new batches store.
    assert {article_id for article_id, _ in read_records(db)} == {
        "a1b2c3d4e5f60718",
        "0f1e2d3c4b5a6978",
    }
    save_batch(db, ArticleBatch(run_id="run-3", seen_at=NOW, articles=seed_articles()))
    assert rows(v1_copy, "SELECT count(*) FROM articles") == [(7,)]
    # Opening it again changes nothing more.
    with db.connect():
        pass
    assert db.schema_version() == SCHEMA_VERSION


def test_reading_an_old_database_says_a_run_upgrades_it(v1_copy: Path) -> None:
    digest = hashlib.sha256(v1_copy.read_bytes()).hexdigest()
    result = runner.invoke(app, ["query", "SELECT count(*) FROM articles", "--db", str(v1_copy)])
    assert result.exit_code == 2 and "schema version 1" in result.output
    assert "upgrades it" in result.output
    assert hashlib.sha256(v1_copy.read_bytes()).hexdigest() == digest, "reading never migrates"
    # `newswatch publish` opens it for writing: upgraded, then published and readable.
    published = runner.invoke(app, ["publish", "--db", str(v1_copy)])
    assert published.exit_code == 0, published.output
    result = runner.invoke(app, ["query", "SELECT count(*) FROM articles", "--db", str(v1_copy)])
    assert result.exit_code == 0 and "2" in result.output


def test_a_newer_database_is_refused_for_reading_writing_and_publishing(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    with Database(path).connect() as connection:
        connection.execute(
            "UPDATE schema_info SET value = ? WHERE key = 'schema_version'",
            [str(SCHEMA_VERSION + 1)],
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    message = f"schema version {SCHEMA_VERSION + 1}, newer than this newswatch understands"
    for read_only in (False, True):
        with pytest.raises(StorageError, match=message), Database(path).connect(read_only):
            pass
    with pytest.raises(StorageError, match=message):
        publish(Database(path))
    for args in (["query", "SELECT 1"], ["publish"], ["report", "--out", str(tmp_path / "r.html")]):
        result = runner.invoke(app, [*args, "--db", str(path)])
        assert result.exit_code != 0 and "upgrade newswatch" in result.output, args
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["future.duckdb"]


def test_migration_5_syndication_view_gives_the_rows_of_migration_3s(tmp_path: Path) -> None:
    from bench.synthetic import fill_synthetic
    from storage.schema import _V3_STATEMENTS

    old_view = next(sql for sql in _V3_STATEMENTS if "CREATE VIEW syndication" in sql)
    old_query = old_view.split(" AS", 1)[1]
    db = Database(tmp_path / "news.duckdb")
    fill_synthetic(db, 3000, days=30)
    order = " ORDER BY article_id"
    with db.connect(read_only=True) as connection:
        new = connection.execute("SELECT * FROM syndication" + order).fetchall()
        old = connection.execute(f"SELECT * FROM ({old_query})" + order).fetchall()
        described = connection.execute("DESCRIBE syndication").fetchall()
    assert new == old and sum(row[4] for row in new) > 50
    assert [row[:2] for row in described] == [
        ("article_id", "VARCHAR"),
        ("title", "VARCHAR"),
        ("provider_name", "VARCHAR"),
        ("published_at", "TIMESTAMP"),
        ("copies", "BIGINT"),
        ("copy_domains", "VARCHAR[]"),
        ("copy_urls", "VARCHAR[]"),
    ]
