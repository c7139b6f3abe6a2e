"""storage/: migrations, comments, idempotent upserts, duplicates, read-only queries, exports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from extractors.article import Article, build_article, extract_document
from extractors.record import Record
from extractors.relevance import Watch
from extractors.seedformat import parse_seed_document
from storage.articles import ArticleBatch, known_articles, read_records, save_batch
from storage.database import Database, DatabaseBusyError, StorageError
from storage.query import QueryRefusedError, export_parquet, export_seed, run_query
from storage.schema import SCHEMA_VERSION
from storage.sources import SourceUpdate, source_states
from tests.support.paths import SEEDS

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
WATCH = Watch(
    match_all={"subject": ("AI",), "governance": ("governance", "cooperation", "resolution")}
)


def seed_articles() -> list[Article]:
    articles = []
    for path in sorted(SEEDS.iterdir()):
        record, kind = extract_document(
            path.read_bytes(), url=path.resolve().as_uri(), fetched_at=NOW
        )
        articles.append(
            build_article(record, source="seeds", fetched_at=NOW, watch=WATCH, input_kind=kind)
        )
    return articles


def make_article(url: str, body: str, title: str = "A title", on_topic: bool = True) -> Article:
    record = Record(title=title, body=body, web_url=url, original_url=url)
    watch = Watch() if on_topic else Watch(match_all={"never": ("zzzqqq",)})
    return build_article(record, source="test", fetched_at=NOW, watch=watch, input_kind="text")


def table_snapshot(db: Database) -> list[tuple[object, ...]]:
    with db.connect(read_only=True) as connection:
        return connection.execute(
            "SELECT * EXCLUDE (last_seen_at, last_run_id, seen_count) FROM articles ORDER BY id"
        ).fetchall()


BODY = " ".join(f"word{index}" for index in range(60))


def test_new_database_gets_schema_version_and_comments(tmp_path: Path) -> None:
    db = Database(tmp_path / "sub" / "news.duckdb")
    with db.connect() as connection:
        tables = {
            row[0]
            for row in connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        undocumented = connection.execute(
            """
            SELECT table_name || '.' || column_name FROM duckdb_columns()
            WHERE table_name IN ('articles', 'runs', 'sources', 'article_urls') AND comment IS NULL
            """
        ).fetchall()
        table_comments = connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE comment IS NULL OR comment = ''"
        ).fetchone()
    assert {"articles", "runs", "sources", "article_urls", "schema_info"} <= tables
    assert undocumented == []
    assert table_comments == (0,)
    assert db.schema_version() == SCHEMA_VERSION


def test_articles_table_has_the_columns_analysts_rely_on(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    with db.connect() as connection:
        columns = {row[0] for row in connection.execute("DESCRIBE articles").fetchall()}
    required = "id web_url original_url title excerpt body published_at first_seen_at provider_name provider_domain topics images related quality heat duplicate_of story_id"
    assert set(required.split()) <= columns


def test_newer_schema_version_is_refused_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    with Database(path).connect() as connection:
        connection.execute("UPDATE schema_info SET value = '999' WHERE key = 'schema_version'")
    before = path.read_bytes()
    with pytest.raises(StorageError, match="newer than this newswatch"), Database(path).connect():
        pass
    assert path.read_bytes() == before


def test_same_batch_twice_adds_nothing_and_changes_only_bookkeeping(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    articles = seed_articles()
    first = save_batch(db, ArticleBatch(run_id="run-1", seen_at=NOW, articles=articles))
    snapshot = table_snapshot(db)
    second = save_batch(
        db,
        ArticleBatch(run_id="run-2", seen_at=datetime(2026, 11, 23, tzinfo=UTC), articles=articles),
    )
    assert len(first.new_ids) == 5
    assert second.new_ids == [] and len(second.unchanged_ids) == 5
    assert table_snapshot(db) == snapshot
    with db.connect(read_only=True) as connection:
        assert connection.execute(
            "SELECT DISTINCT seen_count, last_run_id FROM articles"
        ).fetchall() == [(2, "run-2")]


def test_repeated_id_inside_one_batch_is_stored_once(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    article = make_article("https://example.org/a", BODY)
    result = save_batch(db, ArticleBatch(run_id="r", seen_at=NOW, articles=[article, article]))
    assert result.new_ids == [article.id]
    with db.connect(read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone() == (1,)


def test_exact_copy_under_another_url_points_at_the_kept_copy(tmp_path: Path) -> None:
    # Undated, equally complete copies: the kept copy is the smallest id (order-independent),
    # which here is the wire's; tests/storage/test_dedup.py covers the ranking itself.
    db = Database(tmp_path / "news.duckdb")
    original = make_article("https://wire.example/story", BODY)
    copy_same_batch = make_article("https://paper.example/world/story", BODY.upper())
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=[original, copy_same_batch]))
    later_copy = make_article("https://other.example/story", BODY + " ")
    result = save_batch(db, ArticleBatch(run_id="r2", seen_at=NOW, articles=[later_copy]))
    assert result.duplicate_ids == [later_copy.id]
    with db.connect(read_only=True) as connection:
        rows = dict(connection.execute("SELECT id, duplicate_of FROM articles").fetchall())
    assert rows == {original.id: None, copy_same_batch.id: original.id, later_copy.id: original.id}


def test_short_bodies_never_cluster(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    empties = [make_article(f"https://example.org/{index}", "") for index in range(3)]
    result = save_batch(db, ArticleBatch(run_id="r", seen_at=NOW, articles=empties))
    assert len(result.new_ids) == 3 and result.duplicate_ids == []


def test_changed_text_updates_the_row_and_keeps_first_seen(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    article = make_article("https://example.org/a", BODY)
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=[article]))
    edited = make_article("https://example.org/a", BODY + " correction appended")
    later = datetime(2026, 11, 23, tzinfo=UTC)
    result = save_batch(db, ArticleBatch(run_id="r2", seen_at=later, articles=[edited]))
    assert result.updated_ids == [article.id]
    with db.connect(read_only=True) as connection:
        row = connection.execute(
            "SELECT body, first_seen_at, content_updated_at FROM articles"
        ).fetchone()
    assert row == (edited.record.body, NOW.replace(tzinfo=None), later.replace(tzinfo=None))


def test_known_articles_recognises_every_url_form(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    article = make_article("https://www.example.org/news/story", BODY)
    save_batch(db, ArticleBatch(run_id="r", seen_at=NOW, articles=[article]))
    forms = [
        "http://example.org/news/story/",
        "https://www.example.org/news/story?utm_source=rss#comments",
        "https://www.example.org/news/story/amp",
        "https://www-example-org.cdn.ampproject.org/c/s/www.example.org/news/story/amp",
    ]
    assert known_articles(db, [*forms, "https://www.example.org/news/other"]) == dict.fromkeys(
        forms, article.id
    )


def test_source_state_is_written_with_the_batch_and_counts_failures(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    ok = SourceUpdate(
        "feed-a", "feed", "https://a.example/feed", ok=True, etag='"v1"', items_seen=3
    )
    save_batch(
        db,
        ArticleBatch(
            run_id="r1",
            seen_at=NOW,
            articles=[make_article("https://a.example/1", BODY)],
            source=ok,
        ),
    )
    failed = SourceUpdate("feed-a", "feed", "https://a.example/feed", ok=False, error="HTTP 503")
    save_batch(db, ArticleBatch(run_id="r2", seen_at=NOW, articles=[], source=failed))
    save_batch(db, ArticleBatch(run_id="r3", seen_at=NOW, articles=[], source=failed))
    (state,) = source_states(db)
    assert state["consecutive_failures"] == 2
    assert state["last_error"] == "HTTP 503"
    assert state["etag"] == '"v1"', "a failed fetch must not forget the last good ETag"
    assert state["last_success_at"] == NOW.replace(tzinfo=None)


def test_failed_batch_leaves_nothing_behind(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(
        db,
        ArticleBatch(
            run_id="r0", seen_at=NOW, articles=[make_article("https://example.org/keep", BODY)]
        ),
    )
    # The source row violates NOT NULL, after the articles were already inserted in the transaction.
    bad_source = SourceUpdate("x", None, "https://x.example", ok=True)  # type: ignore[arg-type]
    fresh = make_article("https://example.org/new", BODY + " more")
    with pytest.raises(duckdb.Error):
        save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=[fresh], source=bad_source))
    with db.connect(read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone() == (1,)
        assert connection.execute("SELECT count(*) FROM sources").fetchone() == (0,)


@pytest.mark.parametrize("holder_mode", ["read_only=True", "read_only=False"])
def test_database_held_by_another_process_names_it_and_the_analytics_copy(
    tmp_path: Path, holder_mode: str
) -> None:
    import subprocess
    import sys

    path = tmp_path / "busy.duckdb"
    Database(path).connect().__enter__().close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}, {holder_mode}); print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseBusyError) as raised, Database(path).connect():
            pass
        message = str(raised.value)
        assert f"held open by process {holder.pid} (" in message and str(path) in message
        # Not DuckDB's hint to open the working file read-only: that would block the next run too.
        assert "read-only mode" not in message
        assert f"open the analytics copy {tmp_path / 'busy-analytics.duckdb'} instead" in message
        assert "\n" not in message
    finally:
        holder.kill()
        holder.communicate()


def test_query_is_read_only_and_single_statement(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r", seen_at=NOW, articles=seed_articles()))
    result = run_query(db, "SELECT count(*) AS n FROM articles")
    assert result.columns == ["n"] and result.rows == [(5,)]
    for sql in (
        "DELETE FROM articles",
        "UPDATE articles SET title = 'x'",
        "COPY articles TO '/tmp/x.csv'",
        "ATTACH 'x.db'",
    ):
        with pytest.raises(QueryRefusedError, match="read-only"):
            run_query(db, sql)
    with pytest.raises(QueryRefusedError, match="exactly one"):
        run_query(db, "SELECT 1; DROP TABLE articles")
    with pytest.raises(StorageError, match="query failed"):
        run_query(db, "SELECT no_such_column FROM articles")
    assert run_query(db, "SELECT count(*) FROM articles").rows == [(5,)]


def test_query_on_missing_database_says_so(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist yet"):
        run_query(Database(tmp_path / "none.duckdb"), "SELECT 1")


def test_export_seed_reads_back_to_the_same_records(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r", seen_at=NOW, articles=seed_articles()))
    out = tmp_path / "seed-export"
    assert export_seed(db, out) == 5
    stored = dict(read_records(db))
    assert sorted(path.stem for path in out.glob("*.md")) == sorted(stored)
    for path in out.glob("*.md"):  # beside them only the export's manifest, a dot-file
        assert (
            parse_seed_document(path.read_text(encoding="utf-8"), name=str(path))
            == stored[path.stem]
        )
    with pytest.raises(StorageError, match="not empty"):
        export_seed(db, out)
    assert export_seed(db, out, overwrite=True) == 5


def test_export_parquet_is_hive_partitioned_by_day(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r", seen_at=NOW, articles=seed_articles()))
    out = tmp_path / "parquet"
    assert export_parquet(db, out) == 5
    partitions = sorted(path.name for path in out.iterdir())
    assert "published_date=2023-12-21" in partitions and "published_date=unknown" in partitions
    table = pq.read_table(out)
    assert table.num_rows == 5
    count = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true)"
    ).fetchall()
    assert count == [(5,)]


@pytest.mark.parametrize("read_only", [True, False])
def test_every_connection_is_locked_down_whatever_the_sql(tmp_path: Path, read_only: bool) -> None:
    """Not by parsing: a statement that reaches DuckDB still cannot touch another file."""
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r", seen_at=NOW, articles=seed_articles()))
    outside = tmp_path / "outside.csv"
    outside.write_text("a,b\n1,2\n")
    statements = [
        f"EXPLAIN ANALYZE COPY (SELECT 'x') TO '{tmp_path / 'written.csv'}' (FORMAT csv)",
        f"SELECT * FROM read_csv('{outside}')",
        "SELECT * FROM read_text('/etc/passwd')",
        f"SELECT * FROM glob('{tmp_path}/*')",
        f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
        "INSTALL sqlite",
        "LOAD sqlite",
        "SET enable_external_access = true",
        "RESET enable_external_access",
        "SET autoinstall_known_extensions = true",
    ]
    with db.connect(read_only=read_only) as connection:
        for statement in statements:
            with pytest.raises(duckdb.Error):
                connection.execute(statement)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["news.duckdb", "outside.csv"]


def test_the_export_connection_writes_only_into_its_directory(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r", seen_at=NOW, articles=seed_articles()))
    out = tmp_path / "export"
    out.mkdir()
    with db.connect(read_only=True, write_dir=out) as connection:
        connection.execute(f"COPY (SELECT 1 AS a) TO '{out / 'a.csv'}'")
        for target in (tmp_path / "b.csv", out / ".." / "c.csv", tmp_path / "exportx.csv"):
            with pytest.raises(duckdb.Error):
                connection.execute(f"COPY (SELECT 1 AS a) TO '{target}'")
        with pytest.raises(duckdb.Error):
            connection.execute("SET enable_external_access = true")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["export", "news.duckdb"]
    assert [path.name for path in out.iterdir()] == ["a.csv"]
