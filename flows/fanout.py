"""Fan-out: one run's shards as flow runs of a deployment on a Prefect work pool.

The parent run (``daily-monitor`` or ``backfill`` with ``run.shards`` > 1) records the run
in the ledger, submits one flow run of ``run.shard_deployment`` (``flows.monitor.monitor_shard``)
per shard with ``run_deployment``, and waits for them; any worker on any machine polling
the pool picks a shard up. Each shard lists, fetches, extracts and stores its sources
under the parent's run id, storing source by source as a single process does (each
source's batch with its near-copies, stories, heat and ``related`` in one lake
transaction, serialised at commit by the guard row and retried on conflict). Then the
parent alone closes the ledger row and publishes: a reader sees the run when all shards
are in.

A shard that crashes or fails (its worker killed, its machine gone) is run again
``run.shard_retries`` times; a shard still running whose heartbeats stop (Prefect's
flow-run heartbeat events) is marked Crashed first. A shard that never completes fails
its sources in the summary; the others' work stands.

A shard hands its source reports to the parent as a table artifact on its flow run: the
Prefect API is the one thing the parent and every worker share besides the lake, and it
keeps the reports visible in the UI.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.client.schemas.objects import FlowRun, State, StateType
from prefect.deployments import run_deployment
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.exceptions import ObjectNotFound
from prefect.states import Cancelled, Crashed

from flows.config import RunConfig
from flows.stages.shards import Shard, lost_shard_reports, reports_as_rows, reports_from_rows
from flows.stages.types import SourceReport

REPORT_KEY = "newswatch-shard-reports"
_HEARTBEAT = "prefect.flow-run.heartbeat"
# Seconds between two looks at the shards' flow runs.
POLL_SECONDS = 2.0


class FanOutError(RuntimeError):
    """The run cannot fan out (no Prefect server, no deployment); the message says what to do."""


@dataclass
class _Attempt:
    shard: Shard
    flow_run_id: UUID
    number: int
    submitted: float = field(default_factory=time.monotonic)


def publish_shard_reports(shard_key: str, reports: Sequence[SourceReport]) -> None:
    """Leave a shard's source reports on its flow run for the parent (and the UI)."""
    create_table_artifact(
        key=REPORT_KEY,
        table=reports_as_rows(reports),
        description=f"newswatch {shard_key}: what each source of the shard did",
    )


def run_shards(
    settings: RunConfig,
    shards: Sequence[Shard],
    parameters: Callable[[Shard], dict[str, Any]],
    kinds: Mapping[str, str],
    run_name: str,
) -> list[tuple[Shard, list[SourceReport]]]:
    """Run every shard as a flow run of the shard deployment and wait for all of them.

    Args:
        settings: the config's ``run`` section (deployment, retries, heartbeats).
        shards: the shards to run.
        parameters: a shard's flow-run parameters.
        kinds: source name -> kind, for the reports of a shard that never completed.
        run_name: the parent's name for the shards' flow runs (``<run_name>-shard-0``).

    Returns:
        Each shard with its sources' reports, in the order of ``shards``.

    Raises:
        FanOutError: the Prefect API has no such deployment (or is the ephemeral one).
    """
    logger = get_run_logger()
    pool = _check_deployment(settings.shard_deployment)
    attempts = {
        shard.key: _submit(settings, shard, parameters(shard), run_name, 1) for shard in shards
    }
    done: dict[str, list[SourceReport]] = {}
    stale_after = timedelta(seconds=settings.shard_heartbeat_seconds * settings.shard_stale_after)
    with get_client(sync_client=True) as client:
        while len(done) < len(shards):
            time.sleep(POLL_SECONDS)
            for key, attempt in list(attempts.items()):
                if key in done:
                    continue
                flow_run = client.read_flow_run(attempt.flow_run_id)
                state = flow_run.state
                unclaimed = _waiting_for_a_worker(attempt, state, settings.shard_start_timeout)
                if unclaimed is not None:
                    reason = (
                        f"no worker picked it up from work pool {pool!r} in "
                        f"{unclaimed.total_seconds():.0f} s (run.shard_start_timeout): start one "
                        f"with `prefect worker start --pool {pool}` (README: Past one machine)"
                    )
                    client.set_flow_run_state(
                        attempt.flow_run_id, Cancelled(message=reason), force=True
                    )
                    logger.error("%s: %s", key, reason)
                    done[key] = lost_shard_reports(attempt.shard, kinds, reason)
                    continue
                # A worker that died while starting the run leaves it Pending; one that died
                # while running it leaves it Running with no more heartbeats.
                if state is not None and state.type in (StateType.PENDING, StateType.RUNNING):
                    silent = _silence(client, flow_run)
                    if silent > stale_after:
                        message = (
                            f"no heartbeat for {silent.total_seconds():.0f} s: "
                            "its worker or machine is gone"
                        )
                        client.set_flow_run_state(
                            attempt.flow_run_id, Crashed(message=message), force=True
                        )
                        state = client.read_flow_run(attempt.flow_run_id).state
                if state is None or not state.is_final():
                    continue
                if state.type == StateType.COMPLETED:
                    done[key] = _reports(client, attempt.flow_run_id)
                    continue
                reason = f"{state.name}: {state.message or 'no message'}"
                if attempt.number <= settings.shard_retries:
                    logger.warning(
                        "%s (flow run %s) ended %s; running it again",
                        key,
                        attempt.flow_run_id,
                        reason,
                    )
                    attempts[key] = _submit(
                        settings,
                        attempt.shard,
                        parameters(attempt.shard),
                        run_name,
                        attempt.number + 1,
                    )
                    continue
                logger.error("%s ended %s after %d attempts", key, reason, attempt.number)
                done[key] = lost_shard_reports(attempt.shard, kinds, reason)
    return [(shard, done[shard.key]) for shard in shards]


def _waiting_for_a_worker(
    attempt: _Attempt, state: State | None, timeout: float
) -> timedelta | None:
    """How long a shard has waited on the pool, once that is longer than ``timeout`` seconds.

    A flow run stays Scheduled (or Late) until a worker polling its pool claims it; with no
    worker it would wait for ever, and so would the run.
    """
    if not timeout or state is None or state.type != StateType.SCHEDULED:
        return None
    waited = time.monotonic() - attempt.submitted
    return timedelta(seconds=waited) if waited > timeout else None


def _check_deployment(name: str) -> str:
    """The shard deployment's work pool; fails at once, saying what to set up, without one."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise FanOutError(
            "run.shards > 1 runs shards on a work pool: set PREFECT_API_URL to the Prefect "
            f"server whose workers run the deployment {name!r} (README: Past one machine)"
        )
    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(name)
        except ObjectNotFound:
            raise FanOutError(
                f"the Prefect API at {url} has no deployment {name!r} (run.shard_deployment): "
                "`prefect deploy --name monitor-shard` (README: Past one machine)"
            ) from None
    return str(deployment.work_pool_name or "")


def _submit(
    settings: RunConfig, shard: Shard, parameters: dict[str, Any], run_name: str, number: int
) -> _Attempt:
    """One flow run of the shard deployment, linked to the parent as a subflow; not awaited."""
    flow_run = run_deployment(
        settings.shard_deployment,
        parameters=parameters,
        flow_run_name=f"{run_name}-{shard.key}" + (f"-try{number}" if number > 1 else ""),
        timeout=0,
        # Heartbeats let the parent tell a shard whose worker died from a slow one.
        job_variables={
            "env": {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(settings.shard_heartbeat_seconds)}
        },
    )
    # Called from a synchronous flow, run_deployment returns the flow run itself.
    assert isinstance(flow_run, FlowRun)
    return _Attempt(shard, flow_run.id, number)


def _silence(client: Any, flow_run: FlowRun) -> timedelta:
    """How long a pending or running flow run has sent no heartbeat (since its state began)."""
    started = flow_run.state.timestamp if flow_run.state else None
    page = client.read_events(
        filter=EventFilter(
            event=EventNameFilter(name=[_HEARTBEAT]),
            resource=EventResourceFilter(id=[f"prefect.flow-run.{flow_run.id}"]),
        ),
        limit=1,
    )
    moments: list[datetime] = [event.occurred for event in page.events]
    if started is not None:
        moments.append(started)
    if not moments:
        return timedelta(0)
    silence: timedelta = datetime.now(UTC) - max(moments)
    return silence


def _reports(client: Any, flow_run_id: UUID) -> list[SourceReport]:
    """The source reports a completed shard left on its flow run."""
    artifacts = client.read_artifacts(
        artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[REPORT_KEY])),
        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
    )
    if not artifacts:
        raise FanOutError(f"shard flow run {flow_run_id} completed but left no source reports")
    data = artifacts[0].data
    return reports_from_rows(json.loads(data) if isinstance(data, str) else data or [])
