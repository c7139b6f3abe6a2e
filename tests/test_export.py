"""`newswatch export`: Parquet that DuckDB, pandas and Polars read; seed files that normalize reads back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest
from typer.testing import CliRunner

from bench.synthetic import fill_synthetic
from extractors.seedformat import parse_seed_document
from flows.cli import app
from storage.articles import read_records, save_batch
from storage.database import Database
from storage.publish import publish
from tests.test_storage import NOW, seed_articles

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
    partitions = sorted(path.name for path in out.iterdir())
    assert (
        partitions[0] == "published_date=2026-10-23"
        and partitions[-1] == "published_date=2026-11-22"
    )
    assert all(list(path.glob("*.parquet")) for path in out.iterdir())

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
    save_batch(db, run_id="r", seen_at=NOW, articles=seed_articles())
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
            *map(str, sorted(exported.iterdir())),
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
    done = runner.invoke(
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
    assert done.exit_code == 0 and not (out / "notes.txt").exists()
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    refused = runner.invoke(
        app, ["export", "--format", "seed", "--out", str(a_file), "--db", str(synthetic_db)]
    )
    assert refused.exit_code == 2 and "not a directory" in refused.output
