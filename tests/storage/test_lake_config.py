"""storage/lake_config.py: the storage.lake block, credentials from the environment only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from extractors.article import build_article
from extractors.record import Record
from extractors.relevance import Watch
from storage.articles import ArticleBatch, save_batch
from storage.lake import Lake, PostgresCatalog
from storage.lake_config import LakeConfig
from tests.support.services import PostgresServer, S3Server

BLOCK = """
catalog: "postgres:host=db.example port=6543 user=newswatch dbname=news_lake"
data_path: s3://news-bucket/newswatch
s3_endpoint: minio.example:9000
s3_url_style: path
s3_use_ssl: false
"""


def test_the_block_gives_lake_settings_with_credentials_from_the_environment() -> None:
    config = LakeConfig.model_validate(yaml.safe_load(BLOCK))
    settings = config.settings(
        {
            "NEWSWATCH_LAKE_PASSWORD": "pg-secret",
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "s3-secret",
            "AWS_REGION": "eu-central-1",
        }
    )
    assert settings.catalog == PostgresCatalog(
        dbname="news_lake", host="db.example", port=6543, user="newswatch", password="pg-secret"
    )
    assert settings.data_path == "s3://news-bucket/newswatch/"
    assert settings.s3 is not None
    assert (settings.s3.key_id, settings.s3.secret, settings.s3.region) == (
        "AKIAEXAMPLE",
        "s3-secret",
        "eu-central-1",
    )
    assert (settings.s3.endpoint, settings.s3.url_style, settings.s3.use_ssl) == (
        "minio.example:9000",
        "path",
        False,
    )
    assert "pg-secret" not in repr(settings) and "s3-secret" not in repr(settings)


def test_an_endpoint_from_the_aws_variable_and_a_local_catalog() -> None:
    config = LakeConfig.model_validate(
        {"catalog": "lake/catalog.ducklake", "data_path": "s3://b/p/"}
    )
    settings = config.settings({"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"})
    assert settings.catalog == Path("lake/catalog.ducklake")
    assert settings.s3 is not None
    assert (settings.s3.endpoint, settings.s3.use_ssl) == ("127.0.0.1:9000", False)
    folder = LakeConfig.model_validate({"catalog": "c.ducklake", "data_path": "/srv/lake"})
    assert folder.settings({}).s3 is None and folder.data_path == "/srv/lake/"
    # Relative paths are the config file's folder's, as everywhere in a config file.
    local = LakeConfig.model_validate({"catalog": "lake/c.ducklake", "data_path": "lake/data"})
    resolved = local.settings({}, relative_to=Path("/srv/watch"))
    assert resolved.catalog == Path("/srv/watch/lake/c.ducklake")
    assert resolved.data_path == "/srv/watch/lake/data/"


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"catalog": "postgres:dbname=x password=hunter2", "data_path": "/d"}, "no password"),
        ({"catalog": "postgres:host=h", "data_path": "/d"}, "dbname= is required"),
        ({"catalog": "postgres:dbname=x sslmode=disable", "data_path": "/d"}, "unknown key"),
        ({"catalog": "mysql://h/x", "data_path": "/d"}, "catalog is 'postgres:"),
        ({"catalog": "c.ducklake", "data_path": "gs://bucket/p/"}, "data_path is s3://"),
        ({"catalog": "c.ducklake", "data_path": "/d", "password": "x"}, "Extra inputs"),
    ],
)
def test_mistakes_are_named_without_echoing_a_password(
    block: dict[str, str], expected: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        LakeConfig.model_validate(block)
    assert expected in str(refused.value)
    if "password=" in block["catalog"]:
        errors = refused.value.errors(include_input=False, include_context=False)
        assert "hunter2" not in str(errors)


def test_the_ducklake_backend_needs_a_lake_block_and_takes_paths_from_the_config_file(
    tmp_path: Path,
) -> None:
    from flows.config import ConfigError, load_config, parse_config
    from flows.stages.settings import open_store

    text = (
        "sources:\n  - {name: a, kind: folder, path: x}\n"
        "storage:\n  backend: ducklake\n  lake: {catalog: c.ducklake, data_path: lake-data}\n"
    )
    with pytest.raises(ConfigError, match=r"backend: ducklake needs a storage\.lake block"):
        parse_config(text.split("  lake:")[0], "sources.yaml")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "sources.yaml").write_text(text)
    config = load_config(tmp_path / "conf" / "sources.yaml")
    lake = open_store(config)
    assert isinstance(lake, Lake)
    assert lake.settings.catalog == tmp_path / "conf" / "c.ducklake"
    assert lake.settings.data_path == f"{tmp_path}/conf/lake-data/"
    with pytest.raises(ValueError, match=r"--db x\.duckdb names a DuckDB file, but this config"):
        open_store(config, "x.duckdb")
    file_config = parse_config(text.replace("ducklake\n", "file\n", 1), "sources.yaml")
    assert not isinstance(open_store(file_config), Lake)


def test_a_config_block_attaches_the_lake(
    postgres_server: PostgresServer, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "lake_" + uuid.uuid4().hex[:10]
    postgres_server.create_database(name)
    bucket = s3_server.create_bucket(name.replace("_", "-"))
    config = LakeConfig.model_validate(
        {
            "catalog": f"postgres:host={postgres_server.host} port={postgres_server.port} "
            f"user={postgres_server.user} dbname={name}",
            "data_path": f"s3://{bucket}/lake/",
            "s3_endpoint": s3_server.endpoint,
            "s3_url_style": "path",
            "s3_use_ssl": False,
        }
    )
    # libpq's own PGPASSWORD serves when NEWSWATCH_LAKE_PASSWORD is not set.
    monkeypatch.setenv("PGPASSWORD", postgres_server.password)
    settings = config.settings(
        {"AWS_ACCESS_KEY_ID": s3_server.key_id, "AWS_SECRET_ACCESS_KEY": s3_server.secret}
    )
    now = datetime(2026, 12, 4, tzinfo=UTC)
    articles = [
        build_article(
            Record(title=f"T{n}", body=f"body {n} " * 30, web_url=f"https://e.example/{n}"),
            source="s",
            fetched_at=now,
            watch=Watch(),
            input_kind="text",
        )
        for n in range(15)
    ]
    lake = Lake(settings)
    result = save_batch(lake, ArticleBatch(run_id="cfg", seen_at=now, articles=articles))
    with lake.connect() as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone() == (15,)
    assert len(result.new_ids) == 15
    assert s3_server.keys(bucket), "Parquet written to the bucket"
