"""`newswatch normalize | query | export | sources`: no Prefect, clear errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from extractors.article import build_article, extract_document
from extractors.relevance import Watch
from extractors.seedformat import parse_seed_document, split_front_matter
from flows.app.cli import app
from storage.articles import ArticleBatch, save_batch
from storage.database import Database
from storage.sources import SourceUpdate
from tests.support.paths import REPO, SEEDS

NOW = datetime(2026, 11, 22, 6, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture
def filled_db(tmp_path: Path) -> Path:
    db = Database(tmp_path / "news.duckdb")
    articles = []
    for path in sorted(SEEDS.iterdir()):
        record, kind = extract_document(
            path.read_bytes(), url=path.resolve().as_uri(), fetched_at=NOW
        )
        articles.append(
            build_article(
                record, source="seed-documents", fetched_at=NOW, watch=Watch(), input_kind=kind
            )
        )
    failing = SourceUpdate("seed-documents", "folder", "seeds/documents", ok=True, items_seen=5)
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=articles, source=failing))
    return db.path


def test_normalize_writes_one_md_per_input_and_keeps_seed_000(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["normalize", *map(str, sorted(SEEDS.iterdir())), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == sorted(
        f"{path.stem}.md" for path in SEEDS.iterdir()
    )
    original = SEEDS / "000_1866282a761c14d8.txt"
    written = out / "000_1866282a761c14d8.md"
    original_front, _ = split_front_matter(original.read_text(encoding="utf-8"))
    written_front, _ = split_front_matter(written.read_text(encoding="utf-8"))
    assert yaml.safe_load(written_front) == yaml.safe_load(original_front)
    record_003 = parse_seed_document((out / "003_1f29b1ebc0e135c8.md").read_text(encoding="utf-8"))
    assert record_003.title == "China proposes new international body for global AI cooperation"
    assert record_003.title not in record_003.body


def test_normalize_reports_a_broken_file_and_goes_on(tmp_path: Path) -> None:
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text(
        "A headline\n\nA first paragraph of text that is long enough to be an excerpt.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["normalize", str(broken), str(good), "--out", str(out)])
    assert result.exit_code == 1
    assert f"{broken}" in result.output and "invalid front matter" in result.output
    assert (out / "good.md").exists() and not (out / "broken.md").exists()


def test_query_formats_and_refusals(filled_db: Path) -> None:
    table = runner.invoke(
        app, ["query", "SELECT count(*) AS n FROM articles", "--db", str(filled_db)]
    )
    assert table.exit_code == 0 and "(1 row)" in table.output and "5" in table.output
    as_json = runner.invoke(
        app,
        [
            "query",
            "SELECT id FROM articles ORDER BY id",
            "--db",
            str(filled_db),
            "--format",
            "json",
        ],
    )
    assert len(json.loads(as_json.output)) == 5
    as_csv = runner.invoke(
        app, ["query", "SELECT 1 AS a, 'x,y' AS b", "--db", str(filled_db), "--format", "csv"]
    )
    assert as_csv.output.splitlines() == ["a,b", '1,"x,y"']
    refused = runner.invoke(app, ["query", "DELETE FROM articles", "--db", str(filled_db)])
    assert refused.exit_code == 2 and "read-only" in refused.output
    several = runner.invoke(app, ["query", "SELECT 1; SELECT 2", "--db", str(filled_db)])
    assert several.exit_code == 2 and "exactly one" in several.output


def test_db_from_environment_variable(filled_db: Path, tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"sources:\n  - name: inbox\n    kind: folder\n    path: {SEEDS}\n"
        "storage:\n  db: elsewhere.duckdb\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        ["query", "SELECT count(*) FROM articles", "--config", str(config)],
        env={"NEWSWATCH_DB": str(filled_db)},
    )
    assert result.exit_code == 0 and "5" in result.output
    assert not (tmp_path / "elsewhere.duckdb").exists()


def test_export_refuses_non_empty_dir_without_overwrite(filled_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    out.mkdir()
    (out / "keep.txt").write_text("analyst notes")
    refused = runner.invoke(
        app, ["export", "--format", "parquet", "--out", str(out), "--db", str(filled_db)]
    )
    assert refused.exit_code == 2 and "not empty" in refused.output
    assert (out / "keep.txt").read_text() == "analyst notes"
    # --overwrite replaces an earlier export only; keep.txt is not one (tests/storage/test_export.py).
    (out / "keep.txt").unlink()
    first = runner.invoke(
        app, ["export", "--format", "seed", "--out", str(out), "--db", str(filled_db)]
    )
    assert first.exit_code == 0, first.output
    done = runner.invoke(
        app,
        ["export", "--format", "seed", "--out", str(out), "--db", str(filled_db), "--overwrite"],
    )
    assert done.exit_code == 0 and "exported 5 articles" in done.output


def test_sources_shows_health_from_the_database(filled_db: Path, tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"sources:\n  - name: seed-documents\n    kind: folder\n    path: {SEEDS}\n"
        "  - name: never-run\n    kind: feed\n    url: https://example.org/feed.xml\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["sources", "--config", str(config), "--db", str(filled_db)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("seed-documents") and "2026-11-22 06:00" in line for line in lines)
    assert any(line.startswith("never-run") and "never" in line for line in lines)


@pytest.mark.parametrize(
    "command",
    [
        ["normalize", str(SEEDS / "001_c0615c37b8205970.txt")],
        ["query", "SELECT 1"],
        ["sources"],
        ["export", "--format", "seed", "--out", "{tmp}/export"],
        ["report", "--out", "{tmp}/report.html"],
        ["publish"],
        ["reclassify"],
    ],
)
def test_commands_other_than_run_never_import_prefect(
    command: list[str], filled_db: Path, tmp_path: Path
) -> None:
    arguments = [part.replace("{tmp}", str(tmp_path)) for part in command]
    if arguments[0] != "normalize":
        arguments += ["--db", str(filled_db)]
    script = (
        "import sys\n"
        "from flows.app.cli import app\n"
        f"try:\n    app({arguments!r})\nexcept SystemExit as exit:\n    code = exit.code\n"
        "assert 'prefect' not in sys.modules, 'prefect was imported'\n"
        "sys.exit(code or 0)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr + completed.stdout


# Each of these once wrote a file, read one, or tried to fetch an extension through
# `newswatch query` (issue 11, item 1). All must be refused with the files untouched.
BYPASSES = [
    "EXPLAIN ANALYZE COPY (SELECT 'x') TO '{db}' (FORMAT csv)",
    "EXPLAIN ANALYZE COPY (SELECT 'x') TO '{copy}' (FORMAT csv)",
    "EXPLAIN ANALYZE COPY (SELECT 'x') TO '{tmp}/written.csv' (FORMAT csv)",
    "COPY (SELECT 'x') TO '{db}' (FORMAT csv)",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT content FROM read_blob('{db}')",
    "SELECT * FROM glob('/root/**')",
    "SELECT * FROM glob('{tmp}/*')",
    "SET enable_external_access = true",
    "RESET enable_external_access",
    "SET lock_configuration = false",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "INSTALL sqlite",
    "LOAD sqlite",
    "PRAGMA database_size",
    "SELECT 1; COPY (SELECT 'x') TO '{tmp}/written.csv'",
    "EXPORT DATABASE '{tmp}/exported'",
]


@pytest.mark.parametrize("sql", BYPASSES)
def test_query_cannot_write_read_other_files_or_change_its_settings(
    filled_db: Path, tmp_path: Path, sql: str
) -> None:
    from storage.publish import analytics_path, publish

    publish(Database(filled_db), run_id="r1")
    copy = analytics_path(filled_db)
    before = {path: path.read_bytes() for path in (filled_db, copy)}
    listing = sorted(tmp_path.iterdir())
    statement = sql.format(db=filled_db, copy=copy, tmp=tmp_path)
    result = runner.invoke(app, ["query", statement, "--db", str(filled_db)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("newswatch: ") and result.output.count("\n") == 1
    assert "root:" not in result.output, "no line of /etc/passwd is shown"
    assert {path: path.read_bytes() for path in before} == before, "the database files are intact"
    assert sorted(tmp_path.iterdir()) == listing, "no file was written"


def test_query_of_a_sqlite_file_fetches_no_extension(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "news.duckdb"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE articles (id TEXT)")
    before = path.read_bytes()
    result = runner.invoke(app, ["query", "SELECT * FROM articles", "--db", str(path)])
    assert result.exit_code == 2
    assert f"{path} is a SQLite database" in result.output
    assert "download" not in result.output.lower() and "http" not in result.output
    assert path.read_bytes() == before


def test_query_errors_keep_duckdb_hints(filled_db: Path) -> None:
    table = runner.invoke(app, ["query", "SELECT * FROM artcles", "--db", str(filled_db)])
    assert table.exit_code == 2
    assert 'Did you mean "articles"' in table.output and table.output.count("\n") == 1
    column = runner.invoke(app, ["query", "SELECT titel FROM articles", "--db", str(filled_db)])
    assert column.exit_code == 2
    assert "Candidate bindings" in column.output and '"title"' in column.output
    assert column.output.count("\n") == 1


# ------------------------------------------------------------- user errors, paths, --help

NEWSWATCH = str(Path(sys.executable).with_name("newswatch"))


def newswatch_process(
    cwd: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The installed `newswatch` command, as a user runs it (Prefect state kept under cwd)."""
    env = {
        **os.environ,
        "PREFECT_HOME": str(cwd / ".prefect-home"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    }
    env.pop("NEWSWATCH_DB", None)
    return subprocess.run(
        [NEWSWATCH, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


def assert_one_line_error(completed: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """A user error: exit 2, one `newswatch: …` line on stderr, no traceback."""
    assert "Traceback" not in completed.stderr + completed.stdout, completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newswatch: "), completed.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert completed.returncode == 2
    return lines[0]


def test_backfill_since_in_the_future_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - name: inbox\n    kind: folder\n    path: {SEEDS}\n")
    completed = newswatch_process(
        tmp_path, "backfill", "--since", "2999-01-01", "--config", str(config)
    )
    assert_one_line_error(completed, "--since 2999-01-01 is in the future")
    assert not (tmp_path / ".prefect-home").exists(), "Prefect must not start for a user error"


def test_reprocess_since_after_until_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - name: inbox\n    kind: folder\n    path: {SEEDS}\n")
    completed = newswatch_process(
        tmp_path,
        "reprocess",
        "--since",
        "2026-07-10",
        "--until",
        "2026-07-01",
        "--config",
        str(config),
    )
    line = assert_one_line_error(completed, "--until 2026-07-01 is before --since 2026-07-10")
    assert "backfill" not in line
    unknown = runner.invoke(app, ["reprocess", "--source", "nope", "--config", str(config)])
    assert unknown.exit_code == 2 and f"{config}: no source named nope" in unknown.output


def test_a_run_whose_every_source_failed_prints_no_traceback(tmp_path: Path) -> None:
    # The config's relative folder is looked for beside the config, not in the working directory.
    project = tmp_path / "project"
    project.mkdir()
    config = project / "sources.yaml"
    config.write_text(
        "sources:\n  - name: inbox\n    kind: folder\n    path: inbox\n"
        "storage:\n  db: news.duckdb\n",
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    completed = newswatch_process(elsewhere, "run", "--config", str(config), timeout=300)
    assert completed.returncode == 1, completed.stderr
    assert f"inbox: FAILED: folder {project / 'inbox'} does not exist" in completed.stdout
    assert "Traceback" not in completed.stderr + completed.stdout, completed.stderr
    assert completed.stderr.strip().splitlines()[-1] == "newswatch: every source failed"
    assert (project / "news.duckdb").exists() and not (elsewhere / "data").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["query", "SELECT 1"],
        ["report", "--out", "{tmp}/report.html"],
        ["export", "--format", "seed", "--out", "{tmp}/export"],
        ["publish"],
        ["sources"],
    ],
)
def test_reading_commands_refuse_a_config_that_does_not_exist(
    command: list[str], filled_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "typo.yaml"
    arguments = [part.replace("{tmp}", str(tmp_path)) for part in command]
    result = runner.invoke(app, [*arguments, "--config", str(missing)])
    assert result.exit_code == 2, result.output
    assert f"newswatch: config file not found: {missing}" in result.output
    assert not (tmp_path / "data").exists(), "no fallback to data/newswatch.duckdb"
    # Named on the command line, a missing config is an error even with --db ...
    result = runner.invoke(app, [*arguments, "--config", str(missing), "--db", str(filled_db)])
    assert result.exit_code == 2 and "config file not found" in result.output
    if command[0] == "sources":
        return  # sources lists the config's sources: it always needs one
    # ... while the default config (absent from this directory) is not needed with --db.
    result = runner.invoke(app, [*arguments, "--db", str(filled_db)])
    assert result.exit_code == 0, result.output


def _commands() -> list[list[str]]:
    names = [command.name or command.callback.__name__ for command in app.registered_commands]  # type: ignore[union-attr]
    return [[], *([name] for name in names)]


@pytest.mark.parametrize("command", _commands(), ids=lambda command: " ".join(command) or "main")
def test_help_has_no_stray_spaces_and_no_bool_values(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert not re.search(r"\s[.,;:](\s|$)", result.output), result.output
    if command:
        # Each flag (--refresh, --overwrite, --explain) is listed without a value.
        for flag in re.findall(r"(--(?:refresh|overwrite|explain))\b(.*)", result.output):
            assert not flag[1].lstrip().startswith("<"), flag


def test_shards_are_refused_for_a_file_config_before_prefect_starts(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n  - name: a\n    kind: feed\n    url: https://a.example/feed\n"
        f"storage:\n  db: {tmp_path / 'news.duckdb'}\n"
    )
    for command in (["run"], ["backfill", "--since", "2026-11-01"]):
        result = runner.invoke(app, [*command, "--shards", "2", "--config", str(config)])
        assert result.exit_code == 2, result.output
        assert "need storage.backend: ducklake" in result.output
        assert not (tmp_path / "news.duckdb").exists()
    zero = runner.invoke(app, ["run", "--shards", "0", "--config", str(config)])
    assert zero.exit_code == 2 and "at least one shard" in zero.output
