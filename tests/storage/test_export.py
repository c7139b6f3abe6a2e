"""`newswatch export`: Parquet that DuckDB, pandas and Polars read; seed files that normalize reads back."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pytest
from typer.testing import CliRunner

from bench.synthetic import fill_synthetic
from extractors.seedformat import parse_seed_document
from flows.app.cli import app
from storage.articles import ArticleBatch, read_records, save_batch
from storage.database import Database
from storage.publish import publish
from storage.query import EXPORT_MANIFEST
from tests.storage.test_storage import NOW, seed_articles

runner = CliRunner()


@pytest.fixture(scope="module")
def synthetic_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = Database(tmp_path_factory.mktemp("export") / "news.duckdb")
    fill_synthetic(db, 1500, days=30, end=date(2026, 11, 22))
    publish(db, run_id="synthetic")
    return db.path


def test_parquet_export_is_hive_partitioned_and_read_alike_by_duckdb_pandas_and_polars(
    synthetic_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "parquet"
    result = runner.invoke(
        app, ["export", "--format", "parquet", "--out", str(out), "--db", str(synthetic_db)]
    )
    assert result.exit_code == 0 and "exported 1500 articles" in result.output, result.output
    partitions = sorted(path.name for path in out.iterdir() if path.is_dir())
    assert (
        partitions[0] == "published_date=2026-10-23"
        and partitions[-1] == "published_date=2026-11-22"
    )
    assert all(list((out / name).glob("*.parquet")) for name in partitions)
    assert sorted(path.name for path in out.iterdir() if path.is_file()) == [EXPORT_MANIFEST]

    with duckdb.connect() as connection:
        by_day = connection.execute(
            f"""
            SELECT published_date::VARCHAR, count(*) FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true)
            GROUP BY 1 ORDER BY 1
            """
        ).fetchall()
    with duckdb.connect(str(synthetic_db), read_only=True) as connection:
        expected = connection.execute(
            "SELECT strftime(published_at, '%Y-%m-%d'), count(*) FROM articles GROUP BY 1 ORDER BY 1"
        ).fetchall()
        ids = {row[0] for row in connection.execute("SELECT id FROM articles").fetchall()}
    assert by_day == expected

    frame = pd.read_parquet(out, engine="pyarrow")
    assert len(frame) == 1500 and set(frame["id"]) == ids
    assert frame.groupby(frame["published_date"].astype(str)).size().to_dict() == dict(expected)
    assert isinstance(frame["topics"].iloc[0].tolist(), list)

    polars_frame = pl.read_parquet(out / "**" / "*.parquet", hive_partitioning=True)
    assert polars_frame.height == 1500 and set(polars_frame["id"].to_list()) == ids
    assert "published_date" in polars_frame.columns


def test_seed_export_reads_back_through_normalize_to_the_same_records(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    save_batch(db, ArticleBatch(run_id="r", seen_at=NOW, articles=seed_articles()))
    publish(db, run_id="r")
    exported = tmp_path / "seed"
    result = runner.invoke(
        app, ["export", "--format", "seed", "--out", str(exported), "--db", str(db.path)]
    )
    assert result.exit_code == 0 and "exported 5 articles" in result.output
    normalized = tmp_path / "normalized"
    result = runner.invoke(
        app,
        [
            "normalize",
            # What `normalize DIR/*` passes: the shell's glob skips the dot-file manifest.
            *(str(path) for path in sorted(exported.iterdir()) if not path.name.startswith(".")),
            "--out",
            str(normalized),
            "--config",
            str(tmp_path / "no-config.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    stored = dict(read_records(db))
    assert sorted(path.stem for path in normalized.iterdir()) == sorted(stored)
    for path in normalized.iterdir():
        record = parse_seed_document(path.read_text(encoding="utf-8"), name=str(path))
        assert record == stored[path.stem], path.name
    # Seed 000's fields that only a complete record has survive the trip.
    full = [record for record in stored.values() if record.secured]
    assert full and full[0].related and full[0].images


def test_export_into_a_non_empty_directory_is_refused_unless_overwrite(
    synthetic_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    out.mkdir()
    (out / "notes.txt").write_text("analyst notes")
    for fmt in ("parquet", "seed"):
        refused = runner.invoke(
            app, ["export", "--format", fmt, "--out", str(out), "--db", str(synthetic_db)]
        )
        assert refused.exit_code == 2 and "not empty; pass --overwrite" in refused.output
        assert sorted(path.name for path in out.iterdir()) == ["notes.txt"]
    # --overwrite replaces only an earlier export: the analyst's notes are not one.
    kept = runner.invoke(
        app,
        [
            "export",
            "--format",
            "parquet",
            "--out",
            str(out),
            "--db",
            str(synthetic_db),
            "--overwrite",
        ],
    )
    assert kept.exit_code == 2 and "not written by `newswatch export`" in kept.output
    assert (out / "notes.txt").read_text() == "analyst notes"
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    refused = runner.invoke(
        app, ["export", "--format", "seed", "--out", str(a_file), "--db", str(synthetic_db)]
    )
    assert refused.exit_code == 2 and "not a directory" in refused.output


def _export(db: Path, fmt: str, out: Path, *options: str) -> Any:
    return runner.invoke(
        app, ["export", "--format", fmt, "--out", str(out), "--db", str(db), *options]
    )


@pytest.mark.parametrize("fmt", ["parquet", "seed"])
def test_overwrite_replaces_an_earlier_export_and_nothing_else(
    fmt: str, synthetic_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    assert _export(synthetic_db, fmt, out).exit_code == 0
    manifest = json.loads((out / EXPORT_MANIFEST).read_text(encoding="utf-8"))
    written = sorted(
        path.relative_to(out).as_posix()
        for path in out.rglob("*")
        if path.is_file() and path.name != EXPORT_MANIFEST
    )
    assert sorted(manifest["files"]) == written and manifest["articles"] == 1500
    assert manifest["format"] == fmt

    # A file and a folder the user put beside the export: --overwrite deletes nothing.
    (out / "notes.txt").write_text("analyst notes")
    (out / "charts").mkdir()
    (out / "charts" / "plot.png").write_bytes(b"png")
    refused = _export(synthetic_db, fmt, out, "--overwrite")
    assert refused.exit_code == 2, refused.output
    assert "holds charts and 2 more" in refused.output
    assert (out / "notes.txt").read_text() == "analyst notes"
    assert (out / "charts" / "plot.png").read_bytes() == b"png"
    assert all((out / name).exists() for name in written), "the earlier export is untouched"

    # An exported file edited since is not the export's any more either.
    (out / "notes.txt").unlink()
    (out / "charts" / "plot.png").unlink()
    (out / "charts").rmdir()
    with (out / written[0]).open("ab") as edited:
        edited.write(b"\nmy edit\n")
    refused = _export(synthetic_db, fmt, out, "--overwrite")
    assert refused.exit_code == 2 and written[0] in refused.output, refused.output
    (out / written[0]).unlink()

    # Only the earlier export left (minus the deleted file): replaced, with a fresh manifest.
    done = _export(synthetic_db, fmt, out, "--overwrite")
    assert done.exit_code == 0, done.output
    again = sorted(
        path.relative_to(out).as_posix()
        for path in out.rglob("*")
        if path.is_file() and path.name != EXPORT_MANIFEST
    )
    assert again == written
    if fmt == "parquet":
        # Readers of the folder skip the dot-file manifest.
        assert len(pd.read_parquet(out, engine="pyarrow")) == 1500


def test_overwrite_refuses_a_folder_no_export_wrote(synthetic_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "documents"
    (out / "old").mkdir(parents=True)
    (out / "old" / "data_0.parquet").write_bytes(b"PAR1 mine")
    refused = _export(synthetic_db, "parquet", out, "--overwrite")
    assert refused.exit_code == 2 and EXPORT_MANIFEST in refused.output
    assert (out / "old" / "data_0.parquet").read_bytes() == b"PAR1 mine"
