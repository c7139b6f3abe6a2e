"""A Prefect process work pool with real ``prefect worker`` processes, for the fan-out tests.

``WorkPool`` creates a pool on a running Prefect API (``prefect work-pool create``),
deploys the shard flow from the repository's ``prefect.yaml`` (``prefect deploy --name
monitor-shard``, as the README's set-up does) and starts workers: each a ``prefect worker
start`` process in its own session, with its own working directory (holding its own copy
of the config, ``NEWSWATCH_HOME``) and its own ``PREFECT_HOME``. The workers share nothing
with each other or with the test but the Prefect API, the lake's Postgres and S3, and the
installed code. ``kill`` ends a worker and the flow run it is running with SIGKILL, as a
machine that dies would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from tests.support.paths import REPO

BIN = Path(sys.executable).parent


@dataclass
class Worker:
    """One running ``prefect worker start`` process."""

    name: str
    directory: Path
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    # When the process was started: a heartbeat from before is an earlier worker's of that name.
    started_at: datetime

    def output(self) -> str:
        """What the worker printed so far (for assertion messages)."""
        self.log.flush()
        return (self.directory / "worker.log").read_text(errors="replace")[-4000:]


@dataclass
class WorkPool:
    """A process work pool on the Prefect API at ``api_url``, and its workers."""

    name: str
    api_url: str
    # What every machine of the set-up has in its environment (the lake's credentials).
    environment: dict[str, str]
    # The CLI's own PREFECT_HOME.
    home: Path
    workers: list[Worker] = field(default_factory=list)

    def prefect(self, *args: str) -> str:
        """Run the ``prefect`` CLI against the API from the repository; its output."""
        completed = subprocess.run(
            [str(BIN / "prefect"), *args],
            cwd=REPO,
            env={**self._base(), "PREFECT_HOME": str(self.home)},
            capture_output=True,
            text=True,
            timeout=180,
        )
        if completed.returncode != 0:
            raise AssertionError(f"prefect {' '.join(args)}: {completed.stdout}{completed.stderr}")
        return completed.stdout

    def create(self) -> None:
        """Create the pool and deploy the shard flow of ``prefect.yaml`` onto it."""
        self.prefect("work-pool", "create", self.name, "--type", "process")
        self.prefect("--no-prompt", "deploy", "--name", "monitor-shard", "--pool", self.name)

    def start_worker(self, name: str, directory: Path, limit: int | None = None) -> Worker:
        """Start a worker whose working directory (and NEWSWATCH_HOME) is ``directory``.

        Args:
            name: the worker's name in the pool.
            directory: its own folder (holding its copy of the config).
            limit: flow runs it runs at once (``--limit``); unlimited when None.
        """
        directory.mkdir(parents=True, exist_ok=True)
        log = (directory / "worker.log").open("wb")
        started_at = datetime.now(UTC)
        command = [str(BIN / "prefect"), "worker", "start", "--pool", self.name, "--name", name]
        process = subprocess.Popen(
            command + (["--limit", str(limit)] if limit else []),
            cwd=directory,
            env={
                **self._base(),
                "PREFECT_HOME": str(directory / "prefect-home"),
                "NEWSWATCH_HOME": str(directory),
                # Look for work every second (default 10 s): the tests wait for it.
                "PREFECT_WORKER_QUERY_SECONDS": "1",
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        worker = Worker(name, directory, process, log, started_at)
        self.workers.append(worker)
        return worker

    def kill(self, worker: Worker, flow_run_pid: int | None = None) -> None:
        """SIGKILL a worker's process group and the flow-run process it started."""
        for pid in (flow_run_pid,):
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=30)

    def stop(self) -> None:
        """End every worker this pool started (and anything they started); the pool stays,
        with no worker polling it, for the next test."""
        for worker in self.workers:
            if worker.process.poll() is None:
                try:
                    os.killpg(worker.process.pid, signal.SIGTERM)
                    worker.process.wait(timeout=20)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    os.killpg(worker.process.pid, signal.SIGKILL)
                    worker.process.wait(timeout=20)
            worker.log.close()
        self.workers.clear()

    def wait_online(self, count: int, timeout: float = 60) -> None:
        """Wait until ``count`` of the workers started here have reported to the pool.

        Only a heartbeat sent since a worker's process started counts: the pool also lists
        the workers an earlier test started (and stopped) on it.
        """
        from prefect.client.orchestration import get_client

        deadline = time.monotonic() + timeout
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                beats = {
                    record.name: record.last_heartbeat_time
                    for record in client.read_workers_for_work_pool(self.name)
                }
                online = [
                    worker
                    for worker in self.workers
                    if (beat := beats.get(worker.name)) is not None and beat >= worker.started_at
                ]
                if len(online) >= count:
                    return
                for worker in self.workers:
                    if worker.process.poll() is not None:
                        raise AssertionError(f"worker {worker.name} exited: {worker.output()}")
                time.sleep(0.5)
        raise AssertionError(f"fewer than {count} workers came up in {timeout} s")

    def _base(self) -> dict[str, str]:
        kept = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        return {
            **kept,
            **self.environment,
            "PREFECT_API_URL": self.api_url,
        }
