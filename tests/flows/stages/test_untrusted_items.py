"""Hostile or broken items fail alone, with a reason: YAML alias bombs and cycles in seed
files, front matter on web pages, oversized files, damaged UTF-8, items that raise."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer

from extractors.article import Article, build_article, extract_document
from extractors.html import decode_html
from extractors.record import Record
from extractors.relevance import Watch
from extractors.seedformat import SeedFormatError, parse_seed_document
from extractors.yamlguard import MAX_NODES, MAX_SCALAR_CHARS
from flows.config import parse_config
from flows.stages import articles as pipeline
from flows.stages.articles import describe_error, extract_articles, fetch_documents
from flows.stages.listing import list_sources
from flows.stages.types import Window
from storage.database import Database
from tests.conftest import RUN_CLOCK, run_stages
from tests.e2e.test_alias_bomb_run import alias_bomb

FETCHED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
GERMAN = (
    "EU verschärft Regeln für künstliche Intelligenz\n\n"
    "Die Europäische Union verschärft die Regeln für künstliche Intelligenz. "
    "Übergangsfristen gelten für große Modelle, die Aufsicht übernimmt das AI Office."
)


def damage(content: bytes) -> bytes:
    """One stray invalid byte, after the first paragraph."""
    at = content.index(b"\n\n")
    return content[:at] + b" \xff" + content[at:]


def folder_config(folder: Path, tmp_path: Path, fetch: str = "") -> Any:
    text = (
        f"sources:\n  - name: inbox\n    kind: folder\n    path: {folder}\n"
        f"storage:\n  db: {tmp_path / 'news.duckdb'}\n"
    )
    if fetch:
        text += f"fetch:\n{fetch}"
    return parse_config(text, "test.yaml")


# --- the alias budget of seed-format front matter -----------------------------------


def test_seed_front_matter_over_the_alias_budget_is_refused_in_one_line() -> None:
    with pytest.raises(SeedFormatError) as caught:
        parse_seed_document(alias_bomb(), name="bomb.md")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("bomb.md: invalid front matter: line ")
    assert f"document too large (over {MAX_NODES} values after expanding aliases)" in message


def test_a_long_string_aliased_many_times_is_over_the_text_budget() -> None:
    text = "---\ns: &s " + "x" * 200_000 + "\nmany: [" + ", ".join(["*s"] * 100) + "]\n---\n"
    with pytest.raises(SeedFormatError) as caught:
        parse_seed_document(text, name="long.md")
    assert f"over {MAX_SCALAR_CHARS} characters of text after expanding aliases" in str(
        caught.value
    )


def test_a_recursive_alias_in_front_matter_is_refused() -> None:
    with pytest.raises(SeedFormatError, match=r"loop\.md: .*recursive alias is not allowed"):
        parse_seed_document("---\nloop: &a [1, *a]\n---\nbody\n", name="loop.md")


def test_ordinary_aliases_and_merges_still_load() -> None:
    record = parse_seed_document(
        "---\ntitle: &t Same title\nexcerpt: *t\nbase: &b {x: 1}\nmore: {<<: *b, y: 2}\n---\nb\n"
    )
    assert record.excerpt == "Same title"
    assert record.extra == {"base": {"x": 1}, "more": {"x": 1, "y": 2}}


def test_config_refuses_the_same_bomb_through_the_shared_budget() -> None:
    bomb = alias_bomb().split("---")[1]
    with pytest.raises(Exception, match="document too large"):
        parse_config("sources: []\n" + bomb.replace("title: Harmless\n", ""), "bomb.yaml")


# --- remote text is never a seed document -------------------------------------------

SEED_LIKE = (
    b"---\nquality: 100\npublished: true\nprovider: {name: Spoofed, domain: spoofed.example}\n"
    b"---\n\nRegulators agree AI governance rules\n\nRegulators agreed common rules today.\n"
)


@pytest.mark.parametrize("media_type", ["text/plain", "text/markdown", ""])
def test_text_fetched_over_http_with_front_matter_is_plain_text(media_type: str) -> None:
    record, kind = extract_document(
        SEED_LIKE, url="https://example.org/a.md", fetched_at=FETCHED, media_type=media_type
    )
    assert kind == "text"
    assert record.quality != 100 and record.published is False
    assert record.provider.domain != "spoofed.example"


def test_a_local_file_with_front_matter_is_still_a_seed_document() -> None:
    record, kind = extract_document(SEED_LIKE, url="file:///inbox/a.md", fetched_at=FETCHED)
    assert kind == "seed" and record.quality == 100 and record.published is True


# --- folder files: size limit and decoding --------------------------------------------


def test_a_folder_file_over_the_size_limit_fails_alone_without_being_read(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    with (folder / "huge.txt").open("wb") as handle:
        handle.truncate(50_000_000)  # sparse: 50 MB on paper, nothing on disk
    (folder / "good.txt").write_text(GERMAN, encoding="utf-8")
    config = folder_config(folder, tmp_path, "  max_response_bytes: 1000000\n")
    listings = list_sources(config, Window())

    tracemalloc.start()
    try:
        documents = fetch_documents(config, listings)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    huge = documents[(folder / "huge.txt").resolve().as_uri()]
    assert isinstance(huge, pipeline.ItemFailure)
    assert (
        huge.message
        == f"{folder / 'huge.txt'}: file larger than 1000000 bytes (fetch.max_response_bytes)"
    )
    assert isinstance(documents[(folder / "good.txt").resolve().as_uri()], pipeline.Document)
    assert peak < 5_000_000, f"read {peak} bytes for a file over the limit"


def test_a_file_growing_past_the_limit_after_the_size_check_is_still_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "grows.txt"
    path.write_bytes(b"x" * 5000)
    real_fstat = pipeline.os.fstat

    def stale_fstat(fd: int) -> Any:
        info = real_fstat(fd)
        return type("Stat", (), {"st_size": 10, "st_mtime": info.st_mtime})()

    monkeypatch.setattr(pipeline.os, "fstat", stale_fstat)
    result = pipeline._read_file(path.as_uri(), 1000)
    assert isinstance(result, pipeline.ItemFailure)
    assert "file larger than 1000 bytes" in result.message


def test_utf8_with_a_damaged_byte_is_decoded_as_utf8_not_mojibake() -> None:
    content = GERMAN.encode("utf-8")
    damaged = damage(content)
    text = decode_html(damaged)
    assert "Europäische" in text and "Ã" not in text and "\ufffd" in text
    # Legacy 8-bit text is still recognised as such.
    assert decode_html(GERMAN.encode("latin-1")) == GERMAN
    assert decode_html(GERMAN.encode("cp1252")) == GERMAN


def test_a_damaged_utf8_file_is_stored_readable_and_flagged(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    content = GERMAN.encode("utf-8")
    (folder / "damaged.txt").write_bytes(damage(content))
    config = folder_config(folder, tmp_path)
    listings = list_sources(config, Window())
    documents = fetch_documents(config, listings)
    (batch,) = extract_articles(listings, documents, Watch(), Window(), RUN_CLOCK)
    (article,) = batch.articles
    assert "Europäische Union" in article.record.body and "Ã" not in article.record.body
    assert any("replaced by U+FFFD" in warning for warning in batch.listing.warnings)


# --- one item failing, whatever it raises ---------------------------------------------


def test_a_self_referencing_seed_file_fails_alone_and_the_rest_is_stored(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "loop.md").write_text("---\ntitle: Loop\nloop: &a [1, *a]\n---\nbody\n")
    (folder / "good.txt").write_text(GERMAN, encoding="utf-8")
    config = folder_config(folder, tmp_path)
    db = Database(tmp_path / "news.duckdb")
    (report,) = run_stages(config, db)
    assert report.error is None and report.new == 1 and report.failed == 1
    assert "loop.md: invalid front matter" in report.failures[0].message
    assert "recursive alias" in report.failures[0].message


def test_an_item_storage_cannot_serialise_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.txt").write_text(GERMAN, encoding="utf-8")
    (folder / "b.txt").write_text(GERMAN.replace("EU", "UN"), encoding="utf-8")
    real = pipeline._extract_one
    loop: list[Any] = []
    loop.append(loop)

    def poisoned(listing: Any, candidate: Any, *args: Any) -> Any:
        article = real(listing, candidate, *args)
        if candidate.url.endswith("b.txt"):
            record = article.record.with_changes(extra={"loop": loop})
            return Article(**{**article.__dict__, "record": record})
        return article

    monkeypatch.setattr(pipeline, "_extract_one", poisoned)
    config = folder_config(folder, tmp_path)
    (report,) = run_stages(config, Database(tmp_path / "news.duckdb"))
    assert report.error is None and report.new == 1 and report.failed == 1
    assert "b.txt: cannot be stored: Circular reference detected" in report.failures[0].message


def test_an_item_raising_memory_error_fails_alone_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.txt").write_text(GERMAN, encoding="utf-8")
    (folder / "b.txt").write_text(GERMAN.replace("EU", "UN"), encoding="utf-8")
    real = pipeline._extract_one

    def exhausted(listing: Any, candidate: Any, *args: Any) -> Any:
        if candidate.url.endswith("b.txt"):
            raise MemoryError()
        return real(listing, candidate, *args)

    monkeypatch.setattr(pipeline, "_extract_one", exhausted)
    config = folder_config(folder, tmp_path)
    (report,) = run_stages(config, Database(tmp_path / "news.duckdb"))
    assert report.new == 1 and report.failed == 1
    assert report.failures[0].message.endswith("b.txt: internal error: out of memory (MemoryError)")


def test_exceptions_without_a_message_still_give_a_reason() -> None:
    assert describe_error(MemoryError()) == "out of memory (MemoryError)"
    assert describe_error(RuntimeError()) == "RuntimeError"
    assert describe_error(ValueError("bad value")) == "bad value"


def test_a_run_failing_with_an_empty_exception_names_its_type(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from flows.app.cli import _finish_flow

    class FailedState:
        def result(self, raise_on_failure: bool = True) -> BaseException:
            return MemoryError()

    with pytest.raises(typer.Exit):
        _finish_flow(FailedState())
    assert "newswatch: run failed: MemoryError" in capsys.readouterr().err


def test_build_article_keeps_unknown_seed_keys_storable() -> None:
    # The storability check must pass ordinary records (extra with dates, nested lists).
    record = Record(title="t", body="b", extra={"when": FETCHED, "nested": [{"a": [1, 2]}]})
    article = build_article(
        record, source="s", fetched_at=FETCHED, watch=Watch(), input_kind="seed"
    )
    from storage.articles import row_problem

    assert row_problem(article) is None


def test_a_crash_with_an_empty_message_is_recorded_with_its_type(tmp_path: Path) -> None:
    import duckdb

    from flows.monitor import _record_crash
    from storage.runs import start_run

    db = Database(tmp_path / "news.duckdb")
    start_run(db, run_id="r1", flow="daily-monitor", started_at=FETCHED, config_path="x.yaml")
    _record_crash(db, "r1", MemoryError())
    with duckdb.connect(str(db.path), read_only=True) as connection:
        row = connection.execute("SELECT status, summary FROM runs").fetchone()
    assert row == ("failed", '{"error": "MemoryError"}')
