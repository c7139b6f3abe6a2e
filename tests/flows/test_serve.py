"""``newswatch serve``: the deployments it serves match prefect.yaml's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from flows.config import parse_config
from flows.serve import deployments
from tests.support.paths import REPO


def test_serve_offers_every_flow_prefect_yaml_deploys_with_the_config_schedule() -> None:
    config = parse_config(
        "sources:\n  - name: inbox\n    kind: folder\n    path: inbox\n"
        "schedule:\n  cron: '30 5 * * *'\n  timezone: Europe/Berlin\n",
        "test.yaml",
    )

    served = {
        deployment.name: deployment
        for deployment in deployments(config, config_path="my.yaml", db_path="my.duckdb")
    }

    declared = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    # lake-maintenance only for a lake config (below); monitor-shard never: a served
    # deployment runs only in the serving process, shards run on a work pool's workers.
    assert set(served) | {"lake-maintenance", "monitor-shard"} == {
        deployment["name"] for deployment in declared["deployments"]
    }
    assert {name: deployment.flow_name for name, deployment in served.items()} == {
        "daily-monitor": "daily-monitor",
        "backfill": "backfill",
        "reprocess": "reprocess",
    }
    for deployment in served.values():
        assert deployment.parameters == {"config_path": "my.yaml", "db_path": "my.duckdb"}
    [daily] = served["daily-monitor"].schedules or []
    assert (daily.schedule.cron, daily.schedule.timezone) == ("30 5 * * *", "Europe/Berlin")
    assert not served["backfill"].schedules and not served["reprocess"].schedules


def test_serve_maintains_a_lake_on_the_maintenance_schedule() -> None:
    config = parse_config(
        "sources:\n  - name: inbox\n    kind: folder\n    path: inbox\n"
        "schedule:\n  maintenance_cron: '15 2 * * 0'\n"
        "storage:\n  backend: ducklake\n  lake: {catalog: c.ducklake, data_path: lake}\n",
        "test.yaml",
    )
    served = {
        deployment.name: deployment
        for deployment in deployments(config, config_path="lake.yaml", db_path=None)
    }
    declared = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    assert set(served) | {"monitor-shard"} == {
        deployment["name"] for deployment in declared["deployments"]
    }
    upkeep = served["lake-maintenance"]
    assert upkeep.flow_name == "lake-maintenance"
    assert upkeep.parameters == {"config_path": "lake.yaml"}
    [schedule] = upkeep.schedules or []
    assert schedule.schedule.cron == "15 2 * * 0"


def test_serve_with_an_invalid_cron_stops_with_one_line_before_any_server(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n  - name: inbox\n    kind: folder\n    path: inbox\n"
        "schedule:\n  cron: '0 25 * * *'\n",
        encoding="utf-8",
    )
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("newswatch")), "serve", "--config", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home")},
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr and "Prefect server" not in completed.stdout
    assert completed.stderr.strip().splitlines() == [
        f"newswatch: {config}:6: schedule.cron: invalid cron expression '0 25 * * *': "
        "hour 25 is out of range 0-23"
    ]


def test_a_schedule_prefect_refuses_is_one_runtime_error_not_a_traceback() -> None:
    # Belt and braces behind the config check: `newswatch serve` turns RuntimeError into one line.
    config = parse_config(
        "sources:\n  - name: inbox\n    kind: folder\n    path: inbox\n", "t.yaml"
    )
    schedule = config.schedule.model_copy(update={"cron": "0 25 * * *"})  # skips validation
    with pytest.raises(RuntimeError, match=r"^Prefect cannot schedule cron '0 25 \* \* \*' in UTC"):
        deployments(config.model_copy(update={"schedule": schedule}), config_path="c", db_path="d")
