"""storage/lake.py against a real throw-away PostgreSQL catalog and a moto S3 endpoint.

The services come from tests/support/services.py (started once per session, only when a test
here needs them).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from extractors.article import Article, build_article
from extractors.record import Record
from extractors.relevance import Watch
from storage.articles import ArticleBatch, StoreResult, save_batch
from storage.database import Database
from storage.lake import (
    GUARD_TABLE,
    Lake,
    LakeError,
    LakeSettings,
    PostgresCatalog,
    S3Storage,
    lake_schema,
)
from tests.support.paths import REPO
from tests.support.services import PG_BIN, PostgresServer, S3Server

NOW = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)


def make_article(index: int, body_version: int = 0) -> Article:
    body = " ".join(f"story{index} word{n} v{body_version}" for n in range(40))
    url = f"https://news{index % 7}.example/2026/12/article-{index}"
    record = Record(title=f"Article {index}", body=body, web_url=url, original_url=url)
    return build_article(record, source="test", fetched_at=NOW, watch=Watch(), input_kind="text")


def lake_settings(postgres: PostgresServer, s3: S3Server, name: str) -> LakeSettings:
    """A lake of its own: a new catalog database and a new bucket."""
    postgres.create_database(name)
    s3.create_bucket(name.replace("_", "-"))
    return LakeSettings(
        catalog=PostgresCatalog(
            dbname=name,
            host=postgres.host,
            port=postgres.port,
            user=postgres.user,
            password=postgres.password,
        ),
        data_path=f"s3://{name.replace('_', '-')}/lake/",
        s3=S3Storage(
            key_id=s3.key_id,
            secret=s3.secret,
            endpoint=s3.endpoint,
            url_style="path",
            use_ssl=False,
        ),
    )


def store(lake: Lake, articles: list[Article], *, run_id: str, seen_at: datetime) -> StoreResult:
    """What a run does with a source's batch (storage.articles.save_batch), into the lake."""
    return save_batch(lake, ArticleBatch(run_id=run_id, seen_at=seen_at, articles=articles))


def fresh_name() -> str:
    return "lake_" + uuid.uuid4().hex[:10]


def article_rows(connection: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return connection.execute("SELECT * FROM articles ORDER BY id").fetchall()


def test_lake_schema_is_the_file_schema_without_keys(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    with db.connect() as connection:
        file_columns = connection.execute(
            """
            SELECT table_name, column_name, data_type, is_nullable, comment FROM duckdb_columns()
            WHERE table_name IN (SELECT table_name FROM duckdb_tables())
            ORDER BY table_name, column_index
            """
        ).fetchall()
        file_views = {
            row[0]
            for row in connection.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        }
    schema = lake_schema()
    lake_columns = sorted(
        (
            (table.name, index, column.name, column.data_type, not column.not_null, column.comment)
            for table in schema.tables
            if table.name != GUARD_TABLE
            for index, column in enumerate(table.columns)
        ),
        key=lambda row: (row[0], row[1]),
    )
    assert [(t, c, d, n, m) for t, _, c, d, n, m in lake_columns] == file_columns
    assert {view.name for view in schema.views} == file_views
    statements = " ".join(schema.create_statements({}))
    assert "PRIMARY KEY" not in statements and "CREATE INDEX" not in statements


@pytest.fixture(scope="module")
def shared_lake(postgres_server: PostgresServer, s3_server: S3Server) -> LakeSettings:
    return lake_settings(postgres_server, s3_server, fresh_name())


def test_attached_lake_has_every_table_view_and_comment(
    shared_lake: LakeSettings, tmp_path: Path
) -> None:
    with Lake(shared_lake).connect() as connection:
        settings = dict(
            connection.execute(
                """
                SELECT name, value FROM duckdb_settings()
                WHERE name IN (
                    'autoinstall_known_extensions', 'autoload_known_extensions', 'enable_progress_bar'
                )
                """
            ).fetchall()
        )
        lake_columns = connection.execute(
            """
            SELECT table_name, column_name, data_type, comment FROM duckdb_columns()
            WHERE database_name = 'lake' ORDER BY table_name, column_index
            """
        ).fetchall()
        version = connection.execute(
            "SELECT value FROM schema_info WHERE key = 'schema_version'"
        ).fetchall()
        # The analysts' views work on the lake as on the file.
        connection.execute("SELECT * FROM unique_articles, stories, syndication LIMIT 1").fetchall()
    assert settings == {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "enable_progress_bar": "false",
    }
    with Database(tmp_path / "news.duckdb").connect() as file:
        file_columns = file.execute(
            """
            SELECT table_name, column_name, data_type, comment FROM duckdb_columns()
            WHERE database_name = current_database() ORDER BY table_name, column_index
            """
        ).fetchall()
    views = {"unique_articles", "stories", "syndication"}
    # A lake keeps no comments on views' columns (DuckLake 1.0); everything else is equal.
    assert [
        (table, column, kind, None if table in views else comment)
        for table, column, kind, comment in file_columns
    ] == [row for row in lake_columns if row[0] != GUARD_TABLE]
    assert all(row[3] for row in lake_columns if row[0] not in views), "every column is described"
    from storage.schema import SCHEMA_VERSION

    assert version == [(str(SCHEMA_VERSION),)]
    # Attaching again finds the schema in place and writes nothing.
    with Lake(shared_lake).connect() as connection:
        snapshots = connection.execute("SELECT count(*) FROM lake.snapshots()").fetchone()
    with Lake(shared_lake).connect() as connection:
        assert connection.execute("SELECT count(*) FROM lake.snapshots()").fetchone() == snapshots


def test_a_batch_upserted_twice_gives_the_same_rows(
    shared_lake: LakeSettings, s3_server: S3Server
) -> None:
    batch = [make_article(index) for index in range(30)]
    lake = Lake(shared_lake)
    with lake.connect() as connection:
        first = store(lake, batch, run_id="run-1", seen_at=NOW)
        after_first = article_rows(connection)
        second = store(lake, batch, run_id="run-1", seen_at=NOW)
        after_second = article_rows(connection)
    assert sorted(first.new_ids) == sorted(article.id for article in batch)
    assert second.new_ids == [] and len(second.unchanged_ids) == 30
    assert after_first == after_second and len(after_first) == 30
    bucket = shared_lake.data_path.split("/")[2]
    assert any(key.endswith(".parquet") for key in s3_server.keys(bucket)), "data is on S3"

    # A later run: unchanged articles are touched once, a changed one is rewritten.
    later = NOW + timedelta(days=1)
    changed = [make_article(0, body_version=1), *batch[1:]]
    with lake.connect() as connection:
        third = store(lake, changed, run_id="run-2", seen_at=later)
        store(lake, changed, run_id="run-2", seen_at=later)
        rows = {
            row[0]: row[1:]
            for row in connection.execute(
                "SELECT id, seen_count, last_run_id, content_updated_at, body, first_run_id FROM articles"
            ).fetchall()
        }
    assert third.updated_ids == [batch[0].id] and len(third.unchanged_ids) == 29
    assert rows[batch[0].id] == (
        2,
        "run-2",
        later.replace(tzinfo=None),
        changed[0].record.body,
        "run-1",
    )
    assert rows[batch[1].id] == (2, "run-2", None, batch[1].record.body, "run-1")


WORKER = """
import json, os, sys, time
from datetime import datetime, UTC
sys.path.insert(0, os.environ["REPO"])
from pathlib import Path
from storage.lake import Lake, LakeSettings, PostgresCatalog, S3Storage
from importlib import import_module
# This test module, by the name pytest imported it under (it may move between folders).
module = import_module(os.environ["TEST_MODULE"])
make_article, store = module.make_article, module.store
spec = json.loads(os.environ["LAKE"])
settings = LakeSettings(
    catalog=PostgresCatalog(**spec["catalog"]), data_path=spec["data_path"], s3=S3Storage(**spec["s3"])
)
indexes = json.loads(sys.argv[1])
run_id = sys.argv[2]
go = Path(sys.argv[3])
lake = Lake(settings)
with lake.connect() as connection:
    pass  # attached before the start, as a worker is
while not go.exists():
    time.sleep(0.01)
new = []
for start in range(0, len(indexes), 5):
    batch = [make_article(i) for i in indexes[start:start + 5]]
    new.append(len(store(lake, batch, run_id=run_id, seen_at=datetime.now(UTC)).new_ids))
print(json.dumps(new))
"""


# Slow (about 25 s): the default run keeps the fan-out end-to-end case
# (tests/e2e/test_lake_fanout.py), where two worker processes store into one lake at once.
@pytest.mark.slow
def test_concurrent_processes_store_every_article_exactly_once(
    postgres_server: PostgresServer, s3_server: S3Server, tmp_path: Path
) -> None:
    settings = lake_settings(postgres_server, s3_server, fresh_name())
    assert isinstance(settings.catalog, PostgresCatalog) and settings.s3 is not None
    # Create the schema first: what is tested here is the articles, not concurrent DDL.
    with Lake(settings).connect():
        pass
    spec = lake_spec(settings)
    # 4 processes, 40 articles each out of 60, in different orders: every article is
    # upserted by 2 or 3 processes, new to the lake for whichever commits first.
    workers = 4
    plans = [[(w * 20 + n) % 60 for n in range(40)] for w in range(workers)]
    for number, plan in enumerate(plans):
        if number % 2:
            plan.reverse()
    go = tmp_path / "go"
    env = {**os.environ, "LAKE": json.dumps(spec), "REPO": str(REPO), "TEST_MODULE": __name__}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps(plan), f"run-{number}", str(go)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number, plan in enumerate(plans)
    ]
    time.sleep(3)  # every worker attached and waiting
    go.touch()
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    assert all(len(stdout.splitlines()) == 1 for stdout, _ in outputs), "nothing else printed"
    new = [count for stdout, _ in outputs for count in json.loads(stdout)]
    expected_seen = {
        make_article(index).id: sum(index in plan for plan in plans) for index in range(60)
    }
    with Lake(settings).connect() as connection:
        rows = connection.execute("SELECT id, seen_count FROM articles").fetchall()
        total, distinct = connection.execute(
            "SELECT count(*), count(DISTINCT id) FROM articles"
        ).fetchone() or (0, 0)
        urls = connection.execute(
            "SELECT count(*), count(DISTINCT url_key) FROM article_urls"
        ).fetchone()
        commits = connection.execute(f"SELECT commits FROM {GUARD_TABLE}").fetchone()
    assert (total, distinct) == (60, 60), "every article exactly once"
    assert urls == (60, 60), "every URL form exactly once"
    assert dict(rows) == expected_seen, "each process counted once per article"
    assert len(new) == workers * 8 and sum(new) == 60, "each article new to exactly one batch"
    assert commits == (workers * 8,), "every batch committed exactly once"


ATTACHER = """
import json, os, sys, time
sys.path.insert(0, os.environ["REPO"])
from pathlib import Path
from storage.lake import Lake, LakeSettings, PostgresCatalog, S3Storage
spec = json.loads(os.environ["LAKE"])
settings = LakeSettings(
    catalog=PostgresCatalog(**spec["catalog"]), data_path=spec["data_path"], s3=S3Storage(**spec["s3"])
)
go = Path(sys.argv[1])
Path(sys.argv[2]).touch()  # imported, waiting
while not go.exists():
    time.sleep(0.005)
with Lake(settings).connect() as connection:
    print(connection.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'lake'").fetchone()[0])
"""


def lake_spec(settings: LakeSettings) -> dict[str, Any]:
    """The settings as JSON for a worker process (credentials through its environment)."""
    assert isinstance(settings.catalog, PostgresCatalog) and settings.s3 is not None
    return {
        "catalog": {
            "dbname": settings.catalog.dbname,
            "host": settings.catalog.host,
            "port": settings.catalog.port,
            "user": settings.catalog.user,
            "password": settings.catalog.password,
        },
        "data_path": settings.data_path,
        "s3": {
            "key_id": settings.s3.key_id,
            "secret": settings.s3.secret,
            "endpoint": settings.s3.endpoint,
            "url_style": "path",
            "use_ssl": False,
        },
    }


def test_processes_attaching_a_new_lake_at_once_create_one_schema(
    postgres_server: PostgresServer, s3_server: S3Server, tmp_path: Path
) -> None:
    # Seen before the retries: DuckLake's first ATTACH collided in Postgres (duplicate key
    # on ducklake_metadata), then CREATE TABLE found the other process's table.
    settings = lake_settings(postgres_server, s3_server, fresh_name())
    go = tmp_path / "go"
    env = {**os.environ, "LAKE": json.dumps(lake_spec(settings)), "REPO": str(REPO)}
    ready = [tmp_path / f"ready-{number}" for number in range(3)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", ATTACHER, str(go), str(flag)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flag in ready
    ]
    # Go once every process has imported and waits (rather than after a fixed 2 s).
    deadline = time.monotonic() + 120
    while not all(flag.exists() for flag in ready):
        assert time.monotonic() < deadline, "the attaching processes did not start"
        assert all(process.poll() is None for process in processes), "an attacher exited early"
        time.sleep(0.01)
    go.touch()
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    table_count = len(lake_schema().tables)
    assert [int(stdout) for stdout, _ in outputs] == [table_count] * 3
    with Lake(settings).connect() as connection:
        assert connection.execute(f"SELECT name FROM {GUARD_TABLE}").fetchall() == [("articles",)]
        assert connection.execute("SELECT count(*) FROM schema_info").fetchone() == (1,)


def test_secrets_reach_no_log_no_row_no_catalog_and_no_object(
    postgres_server: PostgresServer,
    s3_server: S3Server,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    settings = lake_settings(postgres_server, s3_server, fresh_name())
    assert isinstance(settings.catalog, PostgresCatalog) and settings.s3 is not None
    secret_values = [settings.catalog.password, settings.s3.secret]
    assert all(secret_values)
    lake = Lake(settings)
    caplog.set_level(logging.DEBUG)
    with lake.connect() as connection:
        store(lake, [make_article(n) for n in range(25)], run_id="run-s", seen_at=NOW)
        stored = json.dumps(
            [
                connection.execute(f'SELECT * FROM "{table}"').fetchall()
                for (table,) in connection.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'"
                ).fetchall()
            ],
            default=str,
        )
        shown_secrets = json.dumps(
            connection.execute("FROM duckdb_secrets()").fetchall(), default=str
        )
    # A wrong password: the error names the catalog, not the password tried.
    wrong = LakeSettings(
        catalog=PostgresCatalog(
            dbname=settings.catalog.dbname,
            host=settings.catalog.host,
            port=settings.catalog.port,
            user=settings.catalog.user,
            password="Wr0ng-" + uuid.uuid4().hex,
        ),
        data_path=settings.data_path,
        s3=settings.s3,
    )
    assert isinstance(wrong.catalog, PostgresCatalog)
    with pytest.raises(LakeError) as refused, Lake(wrong).connect():
        pass
    assert "password authentication failed" in str(refused.value)
    assert wrong.catalog.password not in str(refused.value)
    catalog_dump = subprocess.run(
        [
            str(PG_BIN / "pg_dump"),
            "-h",
            postgres_server.host,
            "-p",
            str(postgres_server.port),
            "-U",
            postgres_server.user,
            settings.catalog.dbname,
        ],
        env={**os.environ, "PGPASSWORD": postgres_server.password},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    bucket = settings.data_path.split("/")[2]
    client = s3_server.client()
    objects = [
        client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in s3_server.keys(bucket)
    ]
    assert objects, "the batch was written to S3"
    assert "ducklake_data_file" in catalog_dump and "run-s" in stored
    captured = capfd.readouterr()
    places = {
        "logs": caplog.text,
        "stdout/stderr": captured.out + captured.err,
        "stored rows": stored,
        "duckdb_secrets()": shown_secrets,
        "catalog": catalog_dump,
        "repr": repr(settings) + repr(lake),
        "error": str(refused.value),
    }
    for value in secret_values:
        assert value is not None
        for place, text in places.items():
            assert value not in text, f"a secret reached the {place}"
        assert all(value.encode() not in body for body in objects), "a secret reached S3"


def test_a_local_catalog_and_data_folder_need_no_server(tmp_path: Path) -> None:
    from storage.publish import publish

    settings = LakeSettings(catalog=tmp_path / "catalog.ducklake", data_path=f"{tmp_path}/data/")
    lake = Lake(settings)
    batch = [make_article(index) for index in range(12)]
    store(lake, batch, run_id="r", seen_at=NOW)
    store(lake, batch, run_id="r", seen_at=NOW)
    # A writer that reads and publishes in the same process: a local catalog file can be
    # attached only once per process, so its readers share the writer's attachment.
    assert publish(lake, run_id="r").snapshot
    with lake.connect(read_only=True) as reader, lake.connect() as writer:
        assert reader.execute("SELECT count(*) FROM articles").fetchone() == (12,)
        assert writer.execute("SELECT count(*) FROM articles").fetchone() == (12,)
    assert list((tmp_path / "data").rglob("*.parquet")), "Parquet written to the folder"


def test_a_writer_inlines_no_rows_in_the_catalog(tmp_path: Path) -> None:
    # Inlined rows (DuckLake's default for writes of up to 10 rows) let two concurrent
    # updates of the same row both commit: bench/bench_lake.py lost an article that way
    # with two processes. Every write, however small, must go to data files.
    settings = LakeSettings(catalog=tmp_path / "catalog.ducklake", data_path=f"{tmp_path}/data/")
    lake = Lake(settings)
    store(lake, [make_article(1)], run_id="r", seen_at=NOW)
    metadata = '"__ducklake_metadata_lake"'
    with lake.connect() as connection:
        inlined = connection.execute(
            f"SELECT table_name FROM {metadata}.ducklake_inlined_data_tables"
        ).fetchall()
        counts = {
            name: connection.execute(f"SELECT count(*) FROM {metadata}.{name}").fetchone()
            for (name,) in inlined
        }
        files = connection.execute(
            f"SELECT t.table_name FROM {metadata}.ducklake_data_file AS f "
            f"JOIN {metadata}.ducklake_table AS t USING (table_id) WHERE f.end_snapshot IS NULL"
        ).fetchall()
    assert all(count == (0,) for count in counts.values()), counts
    assert {("articles",), ("write_guards",)} <= set(files), "one-row writes go to data files"


def test_a_reader_sees_whole_commits_only_and_can_look_back(
    postgres_server: PostgresServer, s3_server: S3Server
) -> None:
    settings = lake_settings(postgres_server, s3_server, fresh_name())
    lake = Lake(settings)
    # A reader creates nothing: neither the lake nor its tables.
    with pytest.raises(LakeError, match="does not exist"), lake.connect(read_only=True):
        pass
    with lake.connect() as writer:
        store(lake, [make_article(n) for n in range(10)], run_id="a", seen_at=NOW)
        first = writer.execute("SELECT max(snapshot_id) FROM lake.snapshots()").fetchone()
        with lake.connect(read_only=True) as reader:
            count = "SELECT count(*) FROM articles"
            assert reader.execute(count).fetchone() == (10,)
            writer.execute("BEGIN TRANSACTION")
            writer.execute(
                "INSERT INTO articles SELECT * REPLACE (id || '-copy' AS id) FROM articles"
            )
            assert reader.execute(count).fetchone() == (10,), "nothing uncommitted is seen"
            writer.execute("COMMIT")
            assert reader.execute(count).fetchone() == (20,)
            assert first is not None
            assert reader.execute(
                f"SELECT count(*) FROM articles AT (VERSION => {int(first[0])})"
            ).fetchone() == (10,)
            with pytest.raises(duckdb.Error, match=r"(?i)read.only"):
                reader.execute("DELETE FROM articles")
            assert reader.execute(count).fetchone() == (20,)


def test_a_reader_of_a_lake_without_newswatch_tables_is_told_so(tmp_path: Path) -> None:
    from storage.extensions import NO_AUTOMATIC_EXTENSIONS, load_extensions

    catalog = tmp_path / "catalog.ducklake"
    other = duckdb.connect(config=dict(NO_AUTOMATIC_EXTENSIONS))
    load_extensions(other, ["ducklake"])
    other.execute(f"ATTACH 'ducklake:{catalog}' AS other (DATA_PATH '{tmp_path}/data/')")
    other.execute("CREATE TABLE other.unrelated (x INTEGER)")
    other.close()
    lake = Lake(LakeSettings(catalog=catalog, data_path=f"{tmp_path}/data/"))
    with (
        pytest.raises(LakeError, match="has no newswatch tables yet"),
        lake.connect(read_only=True),
    ):
        pass


def test_maintenance_merges_small_files_and_expires_old_snapshots(
    postgres_server: PostgresServer, s3_server: S3Server
) -> None:
    settings = lake_settings(postgres_server, s3_server, fresh_name())
    lake = Lake(settings)
    with lake.connect() as connection:
        for run in range(6):
            batch = [make_article(run * 30 + n) for n in range(30)]
            store(lake, batch, run_id=f"r{run}", seen_at=NOW)
        store(
            lake,
            [make_article(n, body_version=1) for n in range(5)],
            run_id="r6",
            seen_at=NOW,
        )
        rows = article_rows(connection)
        old = connection.execute("SELECT min(snapshot_id) FROM lake.snapshots()").fetchone()
        kept = lake.maintain(connection)  # defaults: nothing is old enough to expire
        assert kept.snapshots_expired == 0 and kept.files_deleted == 0
        result = lake.maintain(
            connection, keep_snapshots=timedelta(0), keep_unused_files=timedelta(0)
        )
        assert article_rows(connection) == rows
        assert old is not None
        with pytest.raises(duckdb.Error):
            connection.execute(f"SELECT count(*) FROM articles AT (VERSION => {old[0]})").fetchall()
    assert kept.files_before >= 6 and kept.files_after < kept.files_before
    assert result.snapshots_expired > 0 and result.files_deleted > 0
    with Lake(settings).connect(read_only=True) as reader:
        assert article_rows(reader) == rows


def test_a_plain_duckdb_file_published_from_the_lake_opens_like_an_analytics_copy(
    postgres_server: PostgresServer, s3_server: S3Server, tmp_path: Path
) -> None:
    from storage.query import run_query

    settings = lake_settings(postgres_server, s3_server, fresh_name())
    lake = Lake(settings)
    target = tmp_path / "lake-analytics.duckdb"
    with lake.connect() as connection:
        store(lake, [make_article(n) for n in range(40)], run_id="p", seen_at=NOW)
        first = lake.publish_file(connection, target)
        lake_rows = article_rows(connection)
        store(lake, [make_article(n) for n in range(40, 45)], run_id="q", seen_at=NOW)
        second = lake.publish_file(connection, target)
    assert first.articles == 40 and second.articles == 45
    assert second.snapshot_id > first.snapshot_id
    published = Database(target)
    result = run_query(published, "SELECT count(*) FROM unique_articles")  # `newswatch query`
    assert result.rows == [(45,)]
    with published.connect(read_only=True) as reader:
        info = dict(reader.execute("SELECT key, value FROM schema_info").fetchall())
        copied = reader.execute(
            "SELECT * FROM articles WHERE id IN (SELECT unnest(?)) ORDER BY id",
            [[row[0] for row in lake_rows]],
        ).fetchall()
        comments = reader.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'articles' AND comment IS NULL"
        ).fetchone()
    assert info["published_lake_snapshot"] == str(second.snapshot_id)
    assert copied == lake_rows, "the same rows as in the lake"
    assert comments == (0,)
    assert [p.name for p in tmp_path.iterdir()] == ["lake-analytics.duckdb"], "no temporary left"


def test_reading_commands_see_the_lake_as_of_the_last_published_run(
    postgres_server: PostgresServer, s3_server: S3Server
) -> None:
    from storage.publish import publish, reader_database
    from storage.query import run_query

    settings = lake_settings(postgres_server, s3_server, fresh_name())
    lake = Lake(settings)
    store(lake, [make_article(n) for n in range(10)], run_id="a", seen_at=NOW)
    reader = reader_database(lake)
    count = "SELECT count(*) FROM articles"
    # Before the first publication: the latest snapshot.
    assert run_query(reader, count).rows == [(10,)]
    published = publish(lake, run_id="a")
    assert published.path is None and published.snapshot
    # The next run has stored one source's batch and is not finished: not seen.
    store(lake, [make_article(n) for n in range(10, 15)], run_id="b", seen_at=NOW)
    assert run_query(reader, count).rows == [(10,)]
    assert run_query(
        reader, "SELECT value FROM schema_info WHERE key = 'published_run_id'"
    ).rows == [("a",)]
    with lake.connect(read_only=True) as latest:
        assert latest.execute(count).fetchone() == (15,)
    publish(lake, run_id="b")
    assert run_query(reader, count).rows == [(15,)]
    # Maintenance that expires every old snapshot keeps the published one readable.
    store(lake, [make_article(n) for n in range(15, 17)], run_id="c", seen_at=NOW)
    with lake.connect() as connection:
        lake.maintain(connection, keep_snapshots=timedelta(0), keep_unused_files=timedelta(0))
    assert run_query(reader, count).rows == [(15,)]
