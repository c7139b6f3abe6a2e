"""End to end: one run fanned out as shard flow runs over two ``prefect worker`` processes.

A process work pool on the session's Prefect API, the shard deployment of ``prefect.yaml``,
two workers as separate processes with their own working directory (their own copy of the
config) and their own PREFECT_HOME, sharing nothing but the API, the lake's Postgres and S3;
a generated local news web; the parent run in the test process (``newswatch run`` with a
config whose ``run.shards`` is 2) or as a ``newswatch`` process. What the lake holds
afterwards is compared with a single-file run of the same web, table by table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flows.app.cli import app
from flows.config import load_config
from flows.stages.settings import open_store
from flows.stages.shards import shard_of
from storage.database import Database
from storage.lake import Lake
from tests.e2e.test_lake_run import RUN_COLUMNS, TABLES, snapshot
from tests.support.newsweb import GeneratedWeb, served_news_web, write_config
from tests.support.services import PostgresServer, S3Server, new_lake_storage
from tests.support.workers import WorkPool

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()
CONFIG = "newswatch.yaml"


@pytest.fixture
def lake_block(
    postgres_server: PostgresServer, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], str]:
    """A ``storage`` block for a new lake (its own catalog database and bucket) each call."""
    monkeypatch.setenv("NEWSWATCH_LAKE_PASSWORD", postgres_server.password)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret)
    monkeypatch.delenv("NEWSWATCH_DB", raising=False)

    def block() -> str:
        return new_lake_storage(postgres_server, s3_server, "fan_" + uuid.uuid4().hex[:10])

    return block


@pytest.fixture(scope="module")
def shard_pool(
    prefect_harness: None,
    postgres_server: PostgresServer,
    s3_server: S3Server,
    tmp_path_factory: pytest.TempPathFactory,
) -> WorkPool:
    """A process pool with the shard deployment, on the session's Prefect API, created and
    deployed to once for this module's tests (the two ``prefect`` commands take ~5 s)."""
    from prefect.settings import PREFECT_API_URL

    pool = WorkPool(
        name="fan-" + uuid.uuid4().hex[:8],
        api_url=str(PREFECT_API_URL.value()),
        # Each machine has the lake's credentials in its environment (those lake_block sets).
        environment={
            "NEWSWATCH_LAKE_PASSWORD": postgres_server.password,
            "AWS_ACCESS_KEY_ID": s3_server.key_id,
            "AWS_SECRET_ACCESS_KEY": s3_server.secret,
            "PREFECT_LOGGING_LEVEL": "INFO",
        },
        home=tmp_path_factory.mktemp("prefect-cli"),
    )
    pool.create()
    return pool


@pytest.fixture
def work_pool(shard_pool: WorkPool) -> Iterator[WorkPool]:
    """The module's pool, with no worker polling it until the test starts some; they are
    stopped after the test."""
    assert not shard_pool.workers
    try:
        yield shard_pool
    finally:
        shard_pool.stop()


def _configs(
    tmp_path: Path, feeds: dict[str, str], lake: str, run: str, workers: list[str]
) -> Path:
    """The parent's lake config and a copy in each worker's folder; returns the parent's folder."""
    parent = tmp_path / "parent"
    for folder in [parent, *(tmp_path / name for name in workers)]:
        folder.mkdir(parents=True, exist_ok=True)
        path = write_config(folder / CONFIG, feeds, folder / "unused.duckdb")
        path.write_text(path.read_text() + lake + run)
    return parent


def _reference(tmp_path: Path, feeds: dict[str, str]) -> Database:
    """The same web run once into a single DuckDB file, in this process."""
    folder = tmp_path / "file"
    folder.mkdir()
    config = write_config(folder / CONFIG, feeds, folder / "news.duckdb")
    result = runner.invoke(app, ["run", "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return Database(folder / "news.duckdb")


def _assert_same_as_file(
    lake: Lake, file: Database, news: GeneratedWeb, order_dependent: tuple[str, ...] = ()
) -> dict[str, list[Any]]:
    in_file, in_lake = snapshot(file), snapshot(lake)
    assert len(in_file["articles"]) == len(news.articles), "the reference stored every page"
    for table in TABLES:
        if table == "runs" or table in order_dependent:
            continue
        assert in_lake[table] == in_file[table], _difference(table, in_lake, in_file, file)
    with lake.connect(read_only=True) as connection:
        counts = connection.execute(
            "SELECT count(*), count(DISTINCT id), count(duplicate_of) FROM articles"
        ).fetchone()
        urls = connection.execute(
            "SELECT count(*), count(DISTINCT url_key) FROM article_urls"
        ).fetchone()
    assert counts is not None and counts[:2] == (len(news.articles), len(news.articles))
    # Every syndicated copy found (two webs generated from the same pools hold a few more).
    assert counts[2] >= news.syndicated
    assert urls is not None and urls[0] == urls[1], "every URL form stored once"
    return in_file


def _difference(
    table: str, in_lake: dict[str, list[Any]], in_file: dict[str, list[Any]], file: Database
) -> str:
    """Which columns of which row differ (a readable failure)."""
    selected = f"* EXCLUDE ({RUN_COLUMNS[table]})" if table in RUN_COLUMNS else "*"
    with file.connect(read_only=True) as connection:
        cursor = connection.execute(f"SELECT {selected} FROM {table} LIMIT 0")
        columns = [column[0] for column in cursor.description or []]
    if len(in_lake[table]) != len(in_file[table]):
        return f"{table}: {len(in_lake[table])} rows in the lake, {len(in_file[table])} in the file"
    for lake_row, file_row in zip(in_lake[table], in_file[table], strict=True):
        if lake_row != file_row:
            differing = [
                (name, a, b)
                for name, a, b in zip(columns, lake_row, file_row, strict=False)
                if a != b
            ]
            return f"{table} differs between the shards and one run: {differing}"
    return table


def _shards_split_the_copies(feeds: dict[str, str], shards: int) -> None:
    """The wire and the regional paper (who syndicates it) land in different shards."""
    wires = [name for name in feeds if name.endswith("wire-feed")]
    couriers = [name for name in feeds if name.endswith("courier-feed")]
    assert any(
        shard_of(wire, shards) != shard_of(courier, shards)
        for wire, courier in zip(wires, couriers, strict=True)
    ), "pick source names whose copies cross shards"


def test_a_run_sharded_over_two_workers_stores_what_one_file_run_does(
    tmp_path: Path,
    lake_block: Callable[[], str],
    work_pool: WorkPool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with served_news_web(60) as (_, news):
        feeds = news.feeds
        _shards_split_the_copies(feeds, 2)
        parent = _configs(tmp_path, feeds, lake_block(), "run:\n  shards: 2\n", ["a", "b"])
        for name in ("a", "b"):
            # One shard at a time per worker (a shard uses the machine's cores), so the two
            # shards go to the two workers.
            work_pool.start_worker(f"worker-{name}", tmp_path / name, limit=1)
        work_pool.wait_online(2)

        monkeypatch.chdir(parent)
        started = time.monotonic()
        fanned = runner.invoke(app, ["run", "--config", CONFIG], catch_exceptions=False)
        fan_out_seconds = time.monotonic() - started
        assert fanned.exit_code == 0, fanned.output + "".join(
            worker.output() for worker in work_pool.workers
        )
        monkeypatch.chdir(tmp_path)
        file = _reference(tmp_path, feeds)

    lake = open_store(load_config(parent / CONFIG))
    assert isinstance(lake, Lake)
    in_file = _assert_same_as_file(lake, file, news)
    # The counts are taken from the stored rows when the run closes, so they do not depend on
    # which shard stored first (the wire before or after the paper that copies it).
    counts = "SELECT status, items_seen, items_new, items_duplicate, items_off_topic FROM runs"
    with lake.connect(read_only=True) as connection:
        run = connection.execute(counts).fetchall()
    with file.connect(read_only=True) as connection:
        reference = connection.execute(counts).fetchall()
    assert run == reference, "one ledger row with the counts of the single-file run"
    assert len(in_file["near_copies"]) > 0
    # Both workers ran a shard, each in its own folder.
    ran = [worker.name for worker in work_pool.workers if "monitor-shard" in worker.output()]
    assert sorted(ran) == ["worker-a", "worker-b"], [w.output() for w in work_pool.workers]
    print(f"fan-out run over 2 workers: {fan_out_seconds:.1f} s")


@pytest.mark.slow
def test_500_articles_on_10_hosts_over_two_workers_a_killed_worker_and_an_analyst(
    tmp_path: Path,
    lake_block: Callable[[], str],
    work_pool: WorkPool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue [10] item 5: ≥ 500 articles on ≥ 10 hosts, sharded over two workers; then one
    worker SIGKILLed mid-run, its shard crashed and run again; an analyst sees whole runs."""
    from prefect.client.orchestration import get_client

    with (
        served_news_web(250, seed=1) as (_, first),
        served_news_web(250, seed=2) as (_, second),
    ):
        feeds = {**{f"a-{k}": v for k, v in first.feeds.items()}}
        feeds |= {f"b-{k}": v for k, v in second.feeds.items()}
        news = GeneratedWeb(
            pages={},
            articles=first.articles + second.articles,
            feeds=feeds,
            sitemaps={},
            warmup_feed="",
            page_sizes=[],
            syndicated=first.syndicated + second.syndicated,
            off_topic=first.off_topic + second.off_topic,
            foreign=first.foreign + second.foreign,
        )
        assert (
            len(news.articles) >= 500 and len({url.split("/")[2] for url in feeds.values()}) >= 10
        )
        _shards_split_the_copies(feeds, 4)
        # A shard whose heartbeats stop for 45 s is taken for dead (the minimum heartbeat is 30 s).
        run = "run:\n  shards: 4\n  shard_stale_after: 1.5\n"
        parent = _configs(tmp_path, feeds, lake_block(), run, ["a", "b"])
        for name in ("a", "b"):
            work_pool.start_worker(f"worker-{name}", tmp_path / name, limit=1)
        work_pool.wait_online(2)

        monkeypatch.chdir(parent)
        fanned = runner.invoke(app, ["run", "--config", CONFIG], catch_exceptions=False)
        assert fanned.exit_code == 0, fanned.output
        monkeypatch.chdir(tmp_path)
        file = _reference(tmp_path, feeds)
        lake = open_store(load_config(parent / CONFIG))
        assert isinstance(lake, Lake)
        _assert_same_as_file(lake, file, news)
        with file.connect(read_only=True) as connection:
            file_counts = connection.execute(
                "SELECT status, items_new, items_duplicate, items_off_topic FROM runs"
            ).fetchall()

        # Again into a new lake, and this time a worker dies mid-run.
        second_parent = tmp_path / "again"
        again = _configs(second_parent, feeds, lake_block(), run, ["a", "b"])
        for name in ("a", "b"):
            (tmp_path / name / CONFIG).write_text((again / CONFIG).read_text())
        lake = open_store(load_config(again / CONFIG))
        assert isinstance(lake, Lake)
        lake.publish(None)  # an empty lake, published: what an analyst sees until the run is in
        seen: list[int] = []
        stop = threading.Event()

        def analyst() -> None:
            while not stop.is_set():
                with lake.published().connect(read_only=True) as connection:
                    row = connection.execute("SELECT count(*) FROM articles").fetchone()
                seen.append(row[0] if row else -1)
                time.sleep(0.5)

        reader = threading.Thread(target=analyst, daemon=True)
        reader.start()
        parent_process = subprocess.Popen(
            [str(Path(sys.executable).with_name("newswatch")), "run", "--config", CONFIG],
            cwd=again,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")},
                "PREFECT_API_URL": work_pool.api_url,
                "PREFECT_HOME": str(again / "prefect-home"),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        victim_run = _kill_a_worker_mid_shard(work_pool, lake)
        output = parent_process.communicate(timeout=900)[0]
        stop.set()
        reader.join(timeout=60)
        assert parent_process.returncode == 0, output

    # The killed shard committed some sources' batches with their state (feed hash, counts)
    # before it died; its retry found those feeds unchanged: the sources' bookkeeping of
    # that run differs, every stored row does not.
    in_file = _assert_same_as_file(lake, file, news, ("sources",))
    # ...and so do the ledger's counts: they are taken from the stored rows at the run's end,
    # so the articles the killed attempt stored still count as this run's new ones.
    counts = "SELECT status, items_new, items_duplicate, items_off_topic FROM runs"
    with lake.connect(read_only=True) as connection:
        assert connection.execute(counts).fetchall() == file_counts
    with get_client(sync_client=True) as client:
        crashed = client.read_flow_run(victim_run)
    assert crashed.state is not None and crashed.state.name == "Crashed", crashed.state
    assert set(seen) <= {0, len(in_file["articles"])}, "the analyst saw only whole runs"
    assert seen and seen[0] == 0 and seen[-1] == len(in_file["articles"])


@pytest.mark.slow
def test_a_backfill_sharded_by_day_and_source_stores_what_one_process_does(
    tmp_path: Path,
    lake_block: Callable[[], str],
    work_pool: WorkPool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Days × source groups as shards on two workers, against a backfill in one process into
    a file: the same tables (provider boilerplate is learned from earlier runs only, in both)."""
    today = datetime.now(UTC).date()
    window = ["--since", (today - timedelta(days=7)).isoformat(), "--until", today.isoformat()]
    with served_news_web(40) as (_, news):
        parent = _configs(tmp_path, news.feeds, lake_block(), "run:\n  shards: 2\n", ["a", "b"])
        for name in ("a", "b"):
            work_pool.start_worker(f"worker-{name}", tmp_path / name, limit=1)
        work_pool.wait_online(2)
        monkeypatch.chdir(parent)
        fanned = runner.invoke(app, ["backfill", "--config", CONFIG, *window])
        assert fanned.exit_code == 0, fanned.output
        monkeypatch.chdir(tmp_path)
        folder = tmp_path / "file"
        folder.mkdir()
        config = write_config(folder / CONFIG, news.feeds, folder / "news.duckdb")
        single = runner.invoke(app, ["backfill", "--config", str(config), *window])
        assert single.exit_code == 0, single.output
    file = Database(folder / "news.duckdb")
    lake = open_store(load_config(parent / CONFIG))
    with_flows = {**RUN_COLUMNS, "backfill_progress": "finished_at, run_id"}
    in_file, in_lake = snapshot(file, with_flows), snapshot(lake, with_flows)
    assert len(in_file["articles"]) == len(news.articles)
    for table in TABLES:
        if table != "runs":
            assert in_lake[table] == in_file[table], _difference(table, in_lake, in_file, file)
    counts = "SELECT flow, status, items_new, items_duplicate, items_off_topic FROM runs"
    with lake.connect(read_only=True) as connection:
        sharded = connection.execute(counts).fetchall()
    with file.connect(read_only=True) as connection:
        assert sharded == connection.execute(counts).fetchall()


def _kill_a_worker_mid_shard(pool: WorkPool, lake: Lake) -> Any:
    """SIGKILL the worker running a shard once the lake holds some articles; that flow run's id."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState
    from prefect.client.schemas.filters import FlowRunFilterStateType as StateTypes
    from prefect.client.schemas.objects import StateType

    deadline = time.monotonic() + 600
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            time.sleep(0.5)
            with lake.connect(read_only=True) as connection:
                stored = connection.execute("SELECT count(*) FROM articles").fetchone()
            if not stored or stored[0] == 0:
                continue
            running = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=StateTypes(any_=[StateType.RUNNING]))
                )
            )
            for flow_run in running:
                if "shard" not in flow_run.name or not flow_run.infrastructure_pid:
                    continue
                pid = int(str(flow_run.infrastructure_pid).rsplit(":", 1)[-1])
                for worker in pool.workers:
                    if _descends_from(pid, worker.process.pid):
                        pool.kill(worker, pid)
                        return flow_run.id
    raise AssertionError("no shard was running while the lake filled")


def _descends_from(pid: int, ancestor: int) -> bool:
    """Whether process ``pid`` was started (directly or not) by ``ancestor``."""
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False


def test_a_sharded_run_with_no_worker_on_the_pool_ends_saying_so(
    tmp_path: Path,
    lake_block: Callable[[], str],
    work_pool: WorkPool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With nobody polling the pool, the run does not wait for ever: after
    run.shard_start_timeout each shard is cancelled and its sources fail, naming the pool."""
    from prefect.client.orchestration import get_client

    with served_news_web(10) as (_, news):
        run = "run:\n  shards: 2\n  shard_start_timeout: 3\n"
        parent = _configs(tmp_path, news.feeds, lake_block(), run, [])
        monkeypatch.chdir(parent)
        started = time.monotonic()
        result = runner.invoke(app, ["run", "--config", CONFIG], catch_exceptions=False)
        waited = time.monotonic() - started
    assert result.exit_code != 0, result.output
    assert f"no worker picked it up from work pool '{work_pool.name}'" in result.output
    assert f"prefect worker start --pool {work_pool.name}" in result.output
    assert waited < 60
    with get_client(sync_client=True) as client:
        shards = [
            flow_run
            for flow_run in client.read_flow_runs()
            if flow_run.name.endswith(("-shard-0", "-shard-1"))
            and flow_run.deployment_id is not None
            and flow_run.state is not None
            and flow_run.state.name == "Cancelled"
        ]
    assert len(shards) >= 2, "both shards cancelled, so a worker started later runs nothing"
