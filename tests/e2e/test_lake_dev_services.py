"""`newswatch lake dev-services start|stop`: a local lake to try, and nothing left behind."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flows.app.cli import app
from flows.app.devservices import is_running as running
from flows.app.devservices import missing_postgres_binaries
from storage.lake import release_attached
from tests.conftest import NewsSite

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()


def newswatch(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_dev_services_start_a_lake_a_run_stores_into_and_stop_leaves_nothing(
    news_site: NewsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if missing_postgres_binaries():
        pytest.skip(str(missing_postgres_binaries()))
    (tmp_path / "base").mkdir()
    base = news_site.write_config(tmp_path / "base", [("wire-rss", news_site.feed_url("rss2.xml"))])
    folder = tmp_path / "dev"

    started = newswatch(
        "lake", "dev-services", "start", "--dir", str(folder), "--config", str(base)
    )
    assert started.exit_code == 0, started.output
    state = json.loads((folder / "services.json").read_text())
    moto_pid = int(state["s3"]["pid"])
    cluster = Path(state["postgres"]["directory"])
    postmaster_pid = int((cluster / "data" / "postmaster.pid").read_text().split()[0])
    try:
        assert running(moto_pid) and running(postmaster_pid)
        again = newswatch(
            "lake", "dev-services", "start", "--dir", str(folder), "--config", str(base)
        )
        assert again.exit_code == 1 and "already has running services" in again.output

        # The credentials are in the env file only (owner-readable), never in the config.
        env_file = folder / "lake.env"
        assert env_file.stat().st_mode & 0o077 == 0
        variables = dict(
            line.removeprefix("export ").split("=", 1) for line in env_file.read_text().splitlines()
        )
        config_text = (folder / "lake.yaml").read_text()
        for name, quoted in variables.items():
            value = shlex.split(quoted)[0]
            assert value not in config_text, f"{name} leaked into the config"
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("NEWSWATCH_DB", raising=False)

        run = newswatch("run", "--config", str(folder / "lake.yaml"))
        assert run.exit_code == 0, run.output
        assert "database: lake postgres:host=127.0.0.1" in run.output
        counted = newswatch(
            "query",
            "--config",
            str(folder / "lake.yaml"),
            "--format",
            "json",
            "SELECT count(*) AS n, count(*) FILTER (source_name = 'seed-documents') AS seeds FROM articles",
        )
        assert counted.exit_code == 0, counted.output
        rows = json.loads(counted.output)
        assert rows[0]["n"] >= 10 and rows[0]["seeds"] >= 1, "feed and folder source stored"
        assert not (tmp_path / "base" / "news.duckdb").exists(), "the run wrote no file"
    finally:
        release_attached()  # the attached lake's connections to the server go first
        stopped = newswatch("lake", "dev-services", "stop", "--dir", str(folder))
    assert stopped.exit_code == 0, stopped.output
    assert not running(moto_pid), "moto_server left running"
    assert not running(postmaster_pid), "PostgreSQL left running"
    assert not folder.exists() and not cluster.exists()
    missing = newswatch("lake", "dev-services", "stop", "--dir", str(folder))
    assert missing.exit_code == 1 and missing.output.strip().count("\n") == 0
    assert "no services started from" in missing.output
