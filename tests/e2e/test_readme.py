"""The README's example queries run, answer, and are accepted by `newswatch query`; the schema is documented."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from bench.synthetic import fill_synthetic
from flows.app.cli import app
from storage.database import Database
from storage.publish import analytics_path, publish
from storage.query import QueryRefusedError, check_read_only
from tests.support.paths import REPO

README = REPO / "README.md"
runner = CliRunner()
# What an analyst asks first (issue [5]); each must have an example in the README.
REQUIRED = (
    "articles per day by provider",
    "top stories by heat",
    "topic trends by week",
    "where a story was syndicated",
    "failing sources",
)


def readme_queries() -> list[tuple[str, str]]:
    """``(comment, sql)`` of every statement in the README's example-queries block."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("Example queries") :]
    block = re.search(r"```sql\n(.*?)```", section, flags=re.S)
    assert block, "no ```sql block after 'Example queries' in README.md"
    queries = []
    for chunk in re.split(r"\n\s*\n", block.group(1).strip()):
        lines = chunk.strip().splitlines()
        assert lines[0].startswith("-- "), f"query without a comment: {chunk}"
        queries.append((lines[0][3:].strip(), "\n".join(lines[1:])))
    return queries


QUERIES = readme_queries()


@pytest.fixture(scope="module")
def analytics_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 synthetic articles up to today (the last-week query needs recent ones), published."""
    db = Database(tmp_path_factory.mktemp("readme") / "news.duckdb")
    fill_synthetic(db, 3000, days=90)
    publish(db, run_id="synthetic")
    return analytics_path(db.path)


def test_the_readme_has_an_example_for_each_question_an_analyst_asks() -> None:
    comments = [comment for comment, _ in QUERIES]
    for question in REQUIRED:
        assert any(comment.startswith(question) for comment in comments), question


@pytest.mark.parametrize(("comment", "sql"), QUERIES, ids=[comment for comment, _ in QUERIES])
def test_readme_query_runs_and_answers(analytics_copy: Path, comment: str, sql: str) -> None:
    check_read_only(sql)  # `newswatch query` accepts it
    with duckdb.connect(str(analytics_copy), read_only=True) as connection:
        rows = connection.execute(sql).fetchall()
    assert rows, f"{comment}: no rows on the synthetic database"


def test_readme_query_through_the_cli_in_every_format(analytics_copy: Path) -> None:
    sql = dict(QUERIES)["failing sources"]
    db = str(analytics_copy).replace("-analytics.duckdb", ".duckdb")
    for fmt, check in (
        ("table", lambda out: "consecutive_failures" in out and "(3 rows)" in out),
        ("csv", lambda out: out.startswith("name,consecutive_failures,")),
        ("json", lambda out: '"last_error": "HTTP 503' in out),
    ):
        result = runner.invoke(app, ["query", sql, "--db", db, "--format", fmt])
        assert result.exit_code == 0 and check(result.output), (fmt, result.output)


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM articles",
        "WITH x AS (SELECT 1) INSERT INTO runs SELECT * FROM runs",
        "CREATE TABLE mine AS SELECT * FROM articles",
        "COPY (SELECT * FROM articles) TO 'out.csv'",
        "INSTALL httpfs",
        "SET threads = 1",
        "DETACH main",
        "SELECT 1; DROP TABLE articles",
        "SELECT 1; SELECT 2",
    ],
)
def test_writes_and_several_statements_are_refused(sql: str) -> None:
    with pytest.raises(QueryRefusedError, match=r"read-only|exactly one"):
        check_read_only(sql)


def test_every_table_view_and_column_is_documented_in_the_database_and_the_readme(
    analytics_copy: Path,
) -> None:
    readme = README.read_text(encoding="utf-8")
    schema_section = readme[readme.index("## Schema") : readme.index("## Near-copies")]
    with duckdb.connect(str(analytics_copy), read_only=True) as connection:
        tables = connection.execute(
            "SELECT table_name, comment FROM duckdb_tables() ORDER BY 1"
        ).fetchall()
        views = connection.execute(
            "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal ORDER BY 1"
        ).fetchall()
        # Views' columns too: DBeaver and duckdb_columns() show them like a table's.
        undocumented = connection.execute(
            """
            SELECT table_name || '.' || column_name FROM duckdb_columns()
            WHERE (comment IS NULL OR comment = '')
              AND table_name IN (SELECT table_name FROM duckdb_tables()
                                 UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal)
            """
        ).fetchall()
        # A view lists (and can comment) only the columns it had when created: each view's
        # listed columns must be the columns a query of it returns.
        for view, _ in views:
            listed = [
                row[0]
                for row in connection.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                    [view],
                ).fetchall()
            ]
            returned = [
                column[0]
                for column in connection.execute(f"SELECT * FROM {view} LIMIT 0").description
            ]
            assert listed == returned, view
    assert undocumented == []
    for name, comment in tables + views:
        assert comment, f"{name} has no COMMENT ON"
        assert f"`{name}`" in schema_section, f"{name} is not in README's schema table"
