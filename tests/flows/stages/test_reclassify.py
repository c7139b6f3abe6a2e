"""flows/stages/reclassify.py and `newswatch reclassify`: a changed watch applied to stored articles."""

from __future__ import annotations

import textwrap
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from extractors.article import build_article
from extractors.record import Record
from extractors.relevance import Watch
from flows.app.cli import app
from flows.app.devservices import lake_block
from flows.config import load_config
from flows.stages.reclassify import reclassify
from flows.stages.settings import open_store
from storage.articles import ArticleBatch, save_batch
from storage.database import Database, Store
from tests.support.services import PostgresServer, S3Server

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
BROAD = Watch(name="broad", match_all={"subject": ("AI",)}, threshold=0.4)
NARROW = Watch(
    name="narrow",
    match_all={"subject": ("AI",), "angle": ("law", "regulator*")},
    topics={"AI law": ("law",)},
    threshold=0.4,
)
TEXTS = {
    "https://example.org/law": ("Parliament passes AI law", "The AI law takes effect in May."),
    "https://example.org/chip": ("New AI chip is fast", "The AI chip doubles speed."),
    "https://example.org/rain": ("Rain all week", "Umbrellas sold out."),
}


def _stored(tmp_path: Path, watch: Watch) -> Database:
    db = Database(tmp_path / "news.duckdb")
    _store_texts(db, watch)
    return db


def _store_texts(db: Store, watch: Watch) -> None:
    articles = [
        build_article(
            Record(title=title, body=body, web_url=url, original_url=url),
            source="test",
            fetched_at=NOW,
            watch=watch,
            input_kind="text",
        )
        for url, (title, body) in TEXTS.items()
    ]
    save_batch(db, ArticleBatch(run_id="run-1", seen_at=NOW, articles=articles))


def _verdicts(db: Store) -> dict[str, tuple[bool, list[str]]]:
    with db.connect(read_only=True) as connection:
        rows = connection.execute("SELECT web_url, on_topic, topics FROM articles").fetchall()
    return {url: (on_topic, topics) for url, on_topic, topics in rows}


def test_a_narrower_watch_applies_to_stored_articles(tmp_path: Path) -> None:
    db = _stored(tmp_path, BROAD)
    assert [url for url, (on, _) in _verdicts(db).items() if on] == [
        "https://example.org/law",
        "https://example.org/chip",
    ]

    done = reclassify(db, NARROW, page_size=2)

    verdicts = _verdicts(db)
    assert verdicts["https://example.org/law"] == (True, ["AI law"])
    assert verdicts["https://example.org/chip"][0] is False
    assert verdicts["https://example.org/rain"][0] is False
    assert (done.examined, done.now_on_topic, done.now_off_topic) == (3, 0, 1)
    # Every reason now names the new score; the rain story's reason changed too.
    assert done.changed == 3


def test_reclassifying_again_with_the_same_watch_writes_nothing(tmp_path: Path) -> None:
    db = _stored(tmp_path, BROAD)
    reclassify(db, NARROW)
    with db.connect(read_only=True) as connection:
        before = connection.execute("SELECT * FROM articles ORDER BY id").fetchall()

    again = reclassify(db, NARROW)

    assert (again.examined, again.changed) == (3, 0)
    with db.connect(read_only=True) as connection:
        assert connection.execute("SELECT * FROM articles ORDER BY id").fetchall() == before


def _narrow_config(tmp_path: Path, storage: str) -> Path:
    """A config with the narrow watch and the given ``storage`` block's lines."""
    config = tmp_path / "sources.yaml"
    config.write_text(
        "watch:\n"
        "  name: narrow\n"
        "  threshold: 0.4\n"
        "  match_all:\n"
        "    subject: [AI]\n"
        "    angle: [law]\n"
        "sources:\n"
        "  - name: files\n"
        "    kind: folder\n"
        f"    path: {tmp_path}\n"
        "storage:\n" + storage,
        encoding="utf-8",
    )
    return config


def test_reclassify_command_reports_the_changes(tmp_path: Path) -> None:
    db = _stored(tmp_path, BROAD)
    config = _narrow_config(tmp_path, f"  db: {db.path}\n")

    result = CliRunner().invoke(app, ["reclassify", "--config", str(config)])

    assert result.exit_code == 0, result.output
    assert "reclassified 3 stored articles: 2 changed (0 now on-topic, 1 now off-topic)" in (
        result.output
    )
    assert _verdicts(db)["https://example.org/chip"][0] is False


def test_reclassify_without_a_database_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"sources:\n  - name: files\n    kind: folder\n    path: {tmp_path}\n"
        f"storage:\n  db: {tmp_path / 'none.duckdb'}\n",
        encoding="utf-8",
    )

    result = CliRunner().invoke(app, ["reclassify", "--config", str(config)])

    assert result.exit_code == 2
    assert "does not exist yet" in result.output
    assert not (tmp_path / "none.duckdb").exists()


def test_reclassify_on_a_lake_writes_the_verdicts_readers_see_and_a_rerun_changes_nothing(
    tmp_path: Path,
    postgres_server: PostgresServer,
    s3_server: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = "reclassify_" + uuid.uuid4().hex[:10]
    block = lake_block(
        postgres_server,
        postgres_server.create_database(name),
        s3_server,
        s3_server.create_bucket(name.replace("_", "-")),
    )
    config = _narrow_config(tmp_path, textwrap.indent(yaml.safe_dump(block), "  "))
    monkeypatch.setenv("NEWSWATCH_LAKE_PASSWORD", postgres_server.password)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret)
    lake = open_store(load_config(config))
    _store_texts(lake, BROAD)

    result = CliRunner().invoke(app, ["reclassify", "--config", str(config)])

    assert result.exit_code == 0, result.output
    assert "reclassified 3 stored articles: 2 changed (0 now on-topic, 1 now off-topic)" in (
        result.output
    )
    assert _verdicts(lake)["https://example.org/law"][0] is True
    assert _verdicts(lake)["https://example.org/chip"][0] is False
    # Analysts' commands read the lake as of its last publication: they see the new verdicts.
    shown = CliRunner().invoke(
        app,
        [
            "query",
            "--config",
            str(config),
            "--format",
            "csv",
            "SELECT web_url FROM articles WHERE on_topic",
        ],
    )
    assert shown.exit_code == 0, shown.output
    assert shown.output.split() == ["web_url", "https://example.org/law"]

    latest = "SELECT max(snapshot_id) FROM lake.snapshots()"
    with lake.connect(read_only=True) as connection:
        rows = connection.execute("SELECT * FROM articles ORDER BY id").fetchall()
        snapshot = connection.execute(latest).fetchone()
    again = CliRunner().invoke(app, ["reclassify", "--config", str(config)])
    assert again.exit_code == 0, again.output
    assert "reclassified 3 stored articles: 0 changed" in again.output
    with lake.connect(read_only=True) as connection:
        assert connection.execute("SELECT * FROM articles ORDER BY id").fetchall() == rows
        assert connection.execute(latest).fetchone() == snapshot, "no commit at all"
