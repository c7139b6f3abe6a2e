"""``newswatch serve``: keep the daily schedule on one machine.

Prefect's ephemeral API cannot schedule, so serving needs a real API: the one
in ``PREFECT_API_URL`` if set, else a local ``prefect server start`` that this
command starts and, on Ctrl-C, stops again.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.config import Config

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

SERVER_START_TIMEOUT = 120.0


def serve_forever(
    config: Config, *, config_path: str, db_path: str | None, port: int = 4200
) -> None:
    """Serve the ``daily-monitor`` (on the config's schedule), ``backfill`` and ``reprocess`` deployments.

    Blocks until interrupted (Ctrl-C, or SIGTERM from a service manager). Raises
    RuntimeError when no Prefect server can be reached or started.
    """
    # SIGTERM would end the process without unwinding; make it stop like Ctrl-C so the
    # server this command started is stopped too.
    signal.signal(signal.SIGTERM, _interrupt)
    with prefect_api(port) as api_url:
        print(
            f"newswatch: using the Prefect API at {api_url} (UI: {api_url.removesuffix('/api')})",
            flush=True,
        )
        # Imported only now: Prefect reads PREFECT_API_URL when it loads.
        from prefect import serve

        served = deployments(config, config_path=config_path, db_path=db_path)
        print(
            f"newswatch: daily-monitor scheduled '{config.schedule.cron}' ({config.schedule.timezone}); Ctrl-C stops",
            flush=True,
        )
        serve(*served)


def deployments(config: Config, *, config_path: str, db_path: str | None) -> list[RunnerDeployment]:
    """The deployments ``newswatch serve`` runs, the same ones prefect.yaml declares.

    ``daily-monitor`` runs on the config's schedule; ``backfill`` and ``reprocess``
    run on demand (from the UI or ``prefect deployment run``); with a lake config,
    ``lake-maintenance`` runs on ``schedule.maintenance_cron``.

    Args:
        config: the loaded config (its ``schedule`` section).
        config_path: the sources.yaml every run reads.
        db_path: the DuckDB file every run writes (None: the config's store).
    """
    # Imported only when called: Prefect reads PREFECT_API_URL when it loads.
    from prefect.schedules import Cron

    from flows.monitor import backfill, daily_monitor, lake_maintenance, reprocess

    parameters = {"config_path": config_path, "db_path": db_path}

    def cron(expression: str) -> Any:  # prefect.schedules.Schedule
        try:
            return Cron(expression, timezone=config.schedule.timezone)
        except ValueError as error:
            # The config check accepts what Prefect accepts (tests/flows/config/test_config.py);
            # should the two ever differ, say so in one line instead of a traceback.
            details = getattr(error, "errors", None)  # a pydantic ValidationError lists them
            reason = details()[0]["msg"] if callable(details) else str(error).strip()
            raise RuntimeError(
                f"Prefect cannot schedule cron {expression!r} in "
                f"{config.schedule.timezone}: {reason}"
            ) from None

    schedule = cron(config.schedule.cron)
    upkeep = []
    if config.storage.backend == "ducklake":
        upkeep.append(
            _deployment(
                lake_maintenance,
                name="lake-maintenance",
                schedule=cron(config.schedule.maintenance_cron),
                parameters={"config_path": config_path},
                description="Merge the lake's small files and expire old snapshots.",
            )
        )
    return [
        _deployment(
            daily_monitor,
            name="daily-monitor",
            schedule=schedule,
            parameters=parameters,
            description="Fetch what is new in every enabled source and store it.",
        ),
        _deployment(
            backfill,
            name="backfill",
            parameters=parameters,
            description="Store what the sources published in a date range (give since/until).",
        ),
        _deployment(
            reprocess,
            name="reprocess",
            parameters=parameters,
            description="Re-extract stored raw pages after an extractor change (fetches nothing).",
        ),
        *upkeep,
    ]


def _deployment(flow: Flow[..., Any], **options: Any) -> RunnerDeployment:
    """``flow.to_deployment(**options)`` from synchronous code, where Prefect returns the
    deployment itself (its signature also admits the coroutine of the async twin)."""
    deployment = flow.to_deployment(**options)
    if inspect.isawaitable(deployment):  # pragma: no cover - only inside an event loop
        raise RuntimeError("deployments() must be called outside an event loop")
    return deployment


@contextlib.contextmanager
def prefect_api(port: int) -> Iterator[str]:
    """The API URL to use: a configured one, a running local server, or one started here."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        if not _healthy(configured):
            raise RuntimeError(
                f"PREFECT_API_URL={configured} does not answer; start that server or unset the variable"
            )
        yield configured
        return
    api_url = f"http://127.0.0.1:{port}/api"
    if _healthy(api_url):
        os.environ["PREFECT_API_URL"] = api_url
        yield api_url
        return
    prefect_cli = Path(sys.executable).with_name("prefect")
    command = [str(prefect_cli), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    print(f"newswatch: starting a local Prefect server on port {port} …", flush=True)
    # A file, not a pipe: a long-lived server would block once a pipe buffer fills.
    with tempfile.NamedTemporaryFile(
        "w+", prefix="newswatch-prefect-server-", suffix=".log", delete=False
    ) as log:
        # Own session: Ctrl-C reaches only the runner, which still needs the server to pause its
        # deployments; the server is stopped below, after the runner has finished.
        server = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        try:
            _wait_until_healthy(api_url, server, Path(log.name))
            os.environ["PREFECT_API_URL"] = api_url
            yield api_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    print(f"newswatch: stopped the local Prefect server (its log: {log.name})", flush=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _wait_until_healthy(api_url: str, server: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(
                f"the Prefect server exited with code {server.returncode}: {' '.join(tail)} (log: {log})"
            )
        if _healthy(api_url):
            return
        time.sleep(0.5)
    raise RuntimeError(
        f"the Prefect server did not answer at {api_url} within {SERVER_START_TIMEOUT:.0f} s"
    )


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False
