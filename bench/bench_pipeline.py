"""End-to-end benchmark of the newswatch pipeline on a generated local news web (issue 1).

What it does, in order:

1. Serves the generated news web of ``tests/support/newsweb.py`` (N article pages of 30-60 KB
   on five sites, each on its own port of 127.0.0.1, one RSS 2.0 feed per site, ~5 % exact
   syndicated copies, ~10 % off-topic) from the shared local web (``tests/support/web.py``)
   in this process.
2. Runs each configuration in a fresh child process (``--child NAME``) so that its peak RSS
   is its own and no configuration warms another's caches:

   * ``stages``: the ``flows.stages.listing`` and ``flows.stages.articles`` stage functions
     called directly, no Prefect;
   * ``flow``: ``flows.monitor.daily_monitor`` on Prefect's ephemeral API (a warm-up flow run
     on a tiny config first, so the API start-up is reported on its own), then a re-run on
     the same database, which must store nothing new; then, to take Prefect's overhead
     apart, 3-article runs, runs without the flow-run heartbeat and a measurement of
     Prefect's walk over the task arguments;
   * ``ours`` / ``trafilatura``: our extraction (``extract_document`` + ``build_article``)
     versus plain ``trafilatura.extract`` over the same pages held in memory.

   The HTTP servers stay in the parent, which idles meanwhile: the fetch stage then pays
   for the client only, as it would against remote sites, and the served pages do not
   count towards the children's memory.
3. Prints tables of what it measured (Markdown). What they mean is written by hand in
   BENCHMARKS.md; this script writes no prose and does not edit that file.

Usage::

    .venv/bin/python bench/bench_pipeline.py [--articles N] [--repeat R] [--keep]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# The project is normally installed in editable mode; this keeps `python bench/...` working
# from a plain checkout too (sys.path[0] is bench/, not the repository root), and it makes
# the shared local web of tests/support importable.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.newsweb import SITES, GeneratedWeb, served_news_web, write_config  # noqa: E402

COMMAND = ".venv/bin/python bench/bench_pipeline.py"
# The stages as the flow names its tasks; the no-Prefect run times the same calls.
STAGES = (
    "load-config",
    "begin-run",
    "list-sources",
    "resolve-links",
    "skip-known",
    "fetch-articles",
    "extract-articles",
    "store-articles",
    "link-stories",
    "report-run",
    "publish-analytics",
)

# -------------------------------------------------------------------------------- children


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_rss_mb() -> dict[str, float]:
    """VmHWM of this process's live children (the Prefect API server runs as one)."""
    peaks = {}
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[1] != me:
            continue
        hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
        if hwm:
            peaks[cmdline.strip()[:120]] = int(hwm.group(1)) / 1024
    return peaks


def _totals(summary: Any) -> dict[str, Any]:
    return dataclasses.asdict(summary.totals())


class StageClock:
    """Wall time per stage, summed over calls (wrappers around the pipeline's functions)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        # When set, each wrapped call's arguments are kept (for the argument-walk measurement).
        self.capture = False
        self.arguments: dict[str, tuple[Any, ...]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time one stage."""
        started = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` timed under ``name``."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.capture:
                self.arguments[name] = args
            with self.stage(name):
                return function(*args, **kwargs)

        return timed


def stage_run(
    config_path: str, store: Any = None, flow: str = "bench-stages"
) -> tuple[dict[str, float], dict[str, Any]]:
    """One run of the stage functions in order, as ``flows.monitor`` calls them, no Prefect.

    Args:
        config_path: the config to run.
        store: where to store (a ``storage.database.Store``); by default the config's own
            (its DuckDB file, or its lake).
        flow: the name the run ledger records.

    Returns:
        Seconds per stage, and the run's totals.
    """
    import uuid

    from flows.config import load_config
    from flows.stages import articles as pipeline
    from flows.stages import gnews, listing
    from flows.stages.settings import dedup_settings, open_store, watch_from_config
    from flows.stages.summary import RunSummary, recount
    from flows.stages.types import Window
    from storage.articles import link_stories
    from storage.publish import publish
    from storage.runs import finish_run, start_run, stored_counts
    from storage.sources import source_states_by_name

    clock = StageClock()
    with clock.stage("load-config"):
        config = load_config(config_path)
    db = store if store is not None else open_store(config)
    run_id, started_at, window = str(uuid.uuid4()), datetime.now(UTC), Window()
    with clock.stage("begin-run"):
        start_run(db, run_id=run_id, flow=flow, started_at=started_at, config_path=config_path)
    with clock.stage("list-sources"):
        listings = listing.list_sources(config, window, [], source_states_by_name(db))
    with clock.stage("resolve-links"):
        listings = gnews.resolve_links(db, config, listings, window, started_at, False)
    with clock.stage("skip-known"):
        listings = pipeline.mark_known(db, listings, False, window)
    with clock.stage("fetch-articles"):
        documents = pipeline.fetch_documents(config, listings)
    with clock.stage("extract-articles"):
        batches = pipeline.extract_articles(
            listings,
            documents,
            watch_from_config(config),
            window,
            started_at,
            boilerplate=pipeline.provider_boilerplate(db, run_id),
        )
    with clock.stage("store-articles"):
        reports = pipeline.store_batches(
            db,
            run_id,
            batches,
            started_at,
            dedup_settings(config),
            config.fetch,
            link_stories=False,
        )
    with clock.stage("link-stories"):
        link_stories(db, dedup_settings(config))
    with clock.stage("report-run"):
        reports = recount(reports, stored_counts(db, run_id))
        summary = RunSummary(
            run_id, flow, started_at, datetime.now(UTC), db.describe(), tuple(reports)
        )
        finish_run(
            db,
            run_id=run_id,
            finished_at=summary.finished_at,
            totals=summary.totals(),
            summary=summary.as_json(),
        )
    with clock.stage("publish-analytics"):
        publish(db, run_id=run_id)
    return clock.seconds, _totals(summary)


def child_stages(spec: dict[str, Any]) -> dict[str, Any]:
    """The stage functions in order, as ``flows.monitor`` calls them, without Prefect."""
    from storage.database import Database

    tmp = Path(spec["tmp"])

    def one_run(config_path: str, db_path: Path) -> tuple[dict[str, float], dict[str, Any]]:
        return stage_run(config_path, Database(db_path))

    # Untimed warm-up: imports and first-call caches (trafilatura, lxml, DuckDB) out of the runs.
    one_run(spec["tiny_config"], tmp / "stages-warmup.duckdb")
    runs = []
    for rep in range(spec["repeat"]):
        stages, totals = one_run(spec["config"], tmp / f"stages-{rep}.duckdb")
        runs.append({"stages": stages, "totals": totals})
    started = time.perf_counter()
    _, rerun_totals = one_run(spec["config"], tmp / "stages-0.duckdb")
    rerun = {"wall_s": time.perf_counter() - started, "totals": rerun_totals}
    return {"runs": runs, "rerun": rerun, "peak_rss_mb": _peak_rss_mb()}


def _prefect_environment(home: str) -> None:
    # Prefect reads its settings when imported: this must run before the first import.
    os.environ["PREFECT_HOME"] = home
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["DO_NOT_TRACK"] = "1"
    # The ephemeral server records task-run events one per transaction by default and stalls.
    os.environ["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE"] = "50"
    os.environ["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE"] = "50"
    # A server configured in the caller's environment would measure that server instead.
    os.environ.pop("PREFECT_API_URL", None)


def child_flow(spec: dict[str, Any]) -> dict[str, Any]:
    """``daily_monitor`` on the ephemeral API: warm-up, timed runs, then a same-day re-run."""
    tmp = Path(spec["tmp"])
    _prefect_environment(str(tmp / "prefect-home"))
    started = time.perf_counter()
    from flows import monitor
    from flows.stages import articles as pipeline
    from flows.stages import gnews, listing

    import_s = time.perf_counter() - started
    # Time the stages inside the flow as well, by wrapping what the tasks call: the flow's
    # own overhead is then measured in the same run, not only against another process.
    clock = StageClock()
    listing.list_sources = clock.wrap("list-sources", listing.list_sources)
    gnews.resolve_links = clock.wrap("resolve-links", gnews.resolve_links)
    for name, attribute in (
        ("skip-known", "mark_known"),
        ("fetch-articles", "fetch_documents"),
        ("extract-articles", "extract_articles"),
        ("store-articles", "store_batches"),
    ):
        setattr(pipeline, attribute, clock.wrap(name, getattr(pipeline, attribute)))
    for name, attribute in (
        ("load-config", "load_config"),
        ("begin-run", "start_run"),
        ("link-stories", "link_stored_stories"),
        ("report-run", "finish_run"),
        ("publish-analytics", "publish"),
    ):
        setattr(monitor, attribute, clock.wrap(name, getattr(monitor, attribute)))

    def run(config: str, db: Path) -> tuple[float, dict[str, Any]]:
        clock.seconds.clear()
        begun = time.perf_counter()
        summary = monitor.daily_monitor(config_path=config, db_path=str(db))
        return time.perf_counter() - begun, _totals(summary)

    first_s, _ = run(spec["tiny_config"], tmp / "flow-warmup-1.duckdb")
    second_s, _ = run(spec["tiny_config"], tmp / "flow-warmup-2.duckdb")
    rss_after_warmup = _peak_rss_mb()
    runs = []
    db_bytes = 0
    for rep in range(spec["repeat"]):
        db = tmp / f"flow-{rep}.duckdb"
        # The last run's arguments are kept for the walk measurement below; they are only
        # alive once that run's own objects are gone, so the peak RSS does not change.
        clock.capture = rep == spec["repeat"] - 1
        wall, totals = run(spec["config"], db)
        runs.append({"wall_s": wall, "totals": totals, "stages": dict(clock.seconds)})
        if rep == 0:
            db_bytes = sum(p.stat().st_size for p in tmp.glob("flow-0.duckdb*"))
            rss_after_first = _peak_rss_mb()
    clock.capture = False
    rerun_s, rerun_totals = run(spec["config"], tmp / "flow-0.duckdb")
    peak = _peak_rss_mb()
    children = _children_peak_rss_mb()

    # Extra runs to take Prefect's overhead apart (after the peak RSS was read: they are no
    # bigger than the runs above). A 3-article flow, now that the API has settled after
    # its start-up ...
    tiny_runs = []
    for rep in range(spec["repeat"]):
        wall, _ = run(spec["tiny_config"], tmp / f"flow-tiny-{rep}.duckdb")
        tiny_runs.append({"wall_s": wall, "stages": dict(clock.seconds)})
    # ... and the full runs without the flow-run heartbeat: its thread sleeps in whole
    # seconds and is joined when the flow ends, which rounds every run up to a second.
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    quiet_runs = []
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        for rep in range(spec["repeat"]):
            wall, totals = run(spec["config"], tmp / f"flow-quiet-{rep}.duckdb")
            quiet_runs.append({"wall_s": wall, "totals": totals, "stages": dict(clock.seconds)})
    return {
        "import_s": import_s,
        "first_tiny_s": first_s,
        "second_tiny_s": second_s,
        "runs": runs,
        "rerun": {"wall_s": rerun_s, "totals": rerun_totals, "stages": dict(clock.seconds)},
        "tiny_runs": tiny_runs,
        "no_heartbeat_runs": quiet_runs,
        "db_bytes": db_bytes,
        "rss_after_warmup_mb": rss_after_warmup,
        "rss_after_first_mb": rss_after_first,
        "peak_rss_mb": peak,
        "children_peak_rss_mb": children,
        "argument_walk_s": _argument_walk_seconds(clock.arguments, spec["repeat"]),
    }


def _argument_walk_seconds(arguments: dict[str, tuple[Any, ...]], repeat: int) -> float | None:
    """What Prefect spends walking the batch-sized task arguments of one run.

    Before a task runs, Prefect 3.8's task engine visits every argument twice, all the way
    down: once to collect upstream futures/states for the task-run record and once to
    resolve them to values (``collect_task_run_inputs_sync`` and ``visit_collection`` with
    ``resolve_to_final_result`` in ``prefect.task_engine``). This repeats those two walks on
    the arguments the tasks of the last 500-article run received. It uses Prefect internals,
    so it gives None rather than failing when they change.
    """
    try:
        from prefect.utilities.collections import visit_collection
        from prefect.utilities.engine import (
            collect_task_run_inputs_sync,
            resolve_to_final_result,
        )

        # Positional arguments as flows.monitor's tasks pass them to the stage functions.
        db, listings = arguments["skip-known"][:2]
        config = arguments["fetch-articles"][0]
        documents, _, window, now = arguments["extract-articles"][1:5]
        run_id, batches = arguments["store-articles"][1:3]
    except (ImportError, KeyError, ValueError):
        return None
    # The parameters of each task in flows.monitor, as run_pipeline passes them.
    tasks: list[dict[str, Any]] = [
        {"db": db, "config": config, "window": window, "only": [], "refresh": False},
        {"db": db, "config": config, "listings": listings, "window": window, "now": now},
        {"db": db, "listings": listings, "refresh": False, "window": window},
        {"config": config, "listings": listings},
        {
            "db": db,
            "config": config,
            "listings": listings,
            "documents": documents,
            "window": window,
            "now": now,
        },
        {"config": config, "db": db, "run_id": run_id, "batches": batches, "now": now},
    ]
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        for parameters in tasks:
            for name, value in parameters.items():
                collect_task_run_inputs_sync(value)
                visit_collection(
                    value,
                    visit_fn=resolve_to_final_result,
                    return_data=True,
                    max_depth=-1,
                    remove_annotations=True,
                    context={"parameter_name": name},
                )
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _load_pages(spec: dict[str, Any]) -> list[tuple[str, bytes]]:
    index = json.loads(Path(spec["pages_index"]).read_text(encoding="utf-8"))
    return [(item["url"], Path(item["file"]).read_bytes()) for item in index]


def child_ours(spec: dict[str, Any]) -> dict[str, Any]:
    """Our extraction over every page in memory: ``extract_document`` + ``build_article``."""
    from extractors.article import build_article, extract_document
    from flows.config import load_config
    from flows.stages.settings import watch_from_config

    pages = _load_pages(spec)
    watch = watch_from_config(load_config(spec["config"]))
    now = datetime.now(UTC)

    def extract(url: str, content: bytes) -> bool:
        record, kind = extract_document(
            content, url=url, fetched_at=now, media_type="text/html", charset="utf-8"
        )
        article = build_article(
            record, source="bench", fetched_at=now, watch=watch, input_kind=kind, original_url=url
        )
        return bool(article.record.body)

    return _passes(pages, extract, spec["repeat"])


def child_trafilatura(spec: dict[str, Any]) -> dict[str, Any]:
    """The peer: plain ``trafilatura.extract`` to JSON with metadata, no comments."""
    import trafilatura

    # Decoded up front, as a caller holding the page's text would: the call gets ``html``.
    pages = [(url, content.decode("utf-8")) for url, content in _load_pages(spec)]

    def extract(url: str, page: str) -> bool:
        result = trafilatura.extract(
            page, output_format="json", with_metadata=True, include_comments=False
        )
        return bool(result and json.loads(result).get("text"))

    return _passes(pages, extract, spec["repeat"])


def _passes(
    pages: Sequence[tuple[str, Any]], extract: Callable[[str, Any], bool], repeat: int
) -> dict[str, Any]:
    for url, page in pages[:20]:  # untimed warm-up: lazy imports and first-call caches
        extract(url, page)
    passes, empty = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        empty = sum(1 for url, page in pages if not extract(url, page))
        passes.append(time.perf_counter() - started)
    return {"passes_s": passes, "pages": len(pages), "empty": empty, "peak_rss_mb": _peak_rss_mb()}


CHILDREN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "stages": child_stages,
    "flow": child_flow,
    "ours": child_ours,
    "trafilatura": child_trafilatura,
}


def run_child(name: str, spec_path: Path) -> int:
    """Entry point of ``--child NAME``: run one configuration, write its JSON result."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    result = CHILDREN[name](spec)
    Path(spec["out"][name]).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


def _spawn(name: str, spec_path: Path, log: Path) -> dict[str, Any]:
    print(f"  running --child {name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as handle:
        done = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                name,
                "--spec",
                str(spec_path),
            ],
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])
        raise SystemExit(f"--child {name} failed (exit {done.returncode}):\n{tail}")
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    result: dict[str, Any] = json.loads(Path(spec["out"][name]).read_text(encoding="utf-8"))
    result["child_wall_s"] = time.perf_counter() - started
    return result


# -------------------------------------------------------------------------------- report


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return {
        "nproc": str(os.cpu_count()),
        "load": f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
        "cpu": cpu,
        "python": platform.python_version(),
        "duckdb": version("duckdb"),
        "trafilatura": version("trafilatura"),
        "prefect": version("prefect"),
    }


def report_problems(problems: Sequence[str], began: float) -> int:
    """Print each problem and the total wall time; the exit status (1 when any problem)."""
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    print(f"total wall time {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return 1 if problems else 0


def machine_rows(machine: dict[str, str]) -> list[tuple[str, str]]:
    """The first rows of a benchmark's machine table: cores, load, CPU."""
    return [
        ("cores (`os.cpu_count()`)", machine["nproc"]),
        ("load average at the end (1 / 5 / 15 min)", machine["load"]),
        ("CPU", machine["cpu"]),
    ]


def _check(results: dict[str, Any], web: GeneratedWeb) -> list[str]:
    """What differs from the plan: failed items, missing dedup, wrong off-topic count."""
    problems = []
    count = len(web.articles)
    labelled = [("flow", results["flow"]["runs"]), ("stages", results["stages"]["runs"])]
    labelled.append(("flow without heartbeat", results["flow"]["no_heartbeat_runs"]))
    for name, runs in labelled:
        for i, run in enumerate(runs):
            totals = run["totals"]
            expected = {
                "items_seen": count,
                "items_new": count,
                "items_failed": 0,
                "items_off_topic": web.off_topic,
                "sources_failed": 0,
            }
            for key, want in expected.items():
                if totals[key] != want:
                    problems.append(f"{name} run {i + 1}: {key} = {totals[key]}, expected {want}")
            # Every syndicated copy must be found. Pages generated from the same small pool
            # of fixture paragraphs may share over half their text and be linked too, by
            # the same rule that links a copy cut to 60 % of its original.
            if totals["items_duplicate"] < web.syndicated:
                problems.append(
                    f"{name} run {i + 1}: items_duplicate = {totals['items_duplicate']}, "
                    f"expected at least the {web.syndicated} syndicated copies"
                )
    for name in ("flow", "stages"):
        rerun = results[name]["rerun"]["totals"]
        if rerun["items_new"] != 0 or rerun["items_failed"] != 0:
            problems.append(
                f"{name} re-run: {rerun['items_new']} new, {rerun['items_failed']} failed"
            )
    for name in ("ours", "trafilatura"):
        if results[name]["empty"]:
            problems.append(f"{name}: {results[name]['empty']} pages gave no text")
    return problems


def _spread(values: Sequence[float], scale: float = 1.0, digits: int = 2) -> str:
    """``min–max`` of the repetitions, to show how much the median can be trusted."""
    return f"{min(values) * scale:.{digits}f}–{max(values) * scale:.{digits}f}"


def _overheads(runs: Sequence[dict[str, Any]]) -> float:
    """Median over flow runs of wall time minus the stage time measured inside the run."""
    return _median([run["wall_s"] - sum(run["stages"].values()) for run in runs])


@dataclass(frozen=True)
class Figures:
    """The medians and the differences between them that the tables print."""

    stages: dict[str, float]
    stage_sum: float
    flow_wall: float
    overhead: float
    inflow_overhead: float
    tiny_overhead: float
    quiet_wall: float
    quiet_overhead: float
    startup: float
    ours_ms: float
    plain_ms: float

    @classmethod
    def from_results(cls, results: dict[str, Any], count: int) -> Figures:
        """Medians over the repetitions of each child's measurements."""
        stage_runs = results["stages"]["runs"]
        flow = results["flow"]
        stage_sum = _median([sum(run["stages"].values()) for run in stage_runs])
        flow_wall = _median([run["wall_s"] for run in flow["runs"]])
        return cls(
            stages={
                name: _median([run["stages"].get(name, 0.0) for run in stage_runs])
                for name in STAGES
            },
            stage_sum=stage_sum,
            flow_wall=flow_wall,
            overhead=flow_wall - stage_sum,
            inflow_overhead=_overheads(flow["runs"]),
            tiny_overhead=_overheads(flow["tiny_runs"]),
            quiet_wall=_median([run["wall_s"] for run in flow["no_heartbeat_runs"]]),
            quiet_overhead=_overheads(flow["no_heartbeat_runs"]),
            startup=flow["first_tiny_s"] - flow["second_tiny_s"],
            ours_ms=_median(results["ours"]["passes_s"]) / count * 1000,
            plain_ms=_median(results["trafilatura"]["passes_s"]) / count * 1000,
        )


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A Markdown table; the first column left-aligned, the others right-aligned."""
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("| --- |" + " ---: |" * (len(header) - 1))
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def render_tables(results: dict[str, Any], web: GeneratedWeb, repeat: int) -> str:
    """What was measured, as Markdown tables (no interpretation: BENCHMARKS.md has that)."""
    from flows.fetching.http import FetchSettings  # the parent imports no project code until here

    machine = _machine()
    count = len(web.articles)
    f = Figures.from_results(results, count)
    flow, stages = results["flow"], results["stages"]
    sizes = web.page_sizes
    mb = 1024 * 1024
    server_rss = max(flow["children_peak_rss_mb"].values(), default=0.0)
    walk = flow["argument_walk_s"]
    settings = FetchSettings()
    stage_walls = [sum(run["stages"].values()) for run in stages["runs"]]
    lines = [
        f"Command: `{COMMAND} --articles {count} --repeat {repeat}`, "
        f"{datetime.now(UTC):%Y-%m-%d}; medians of {repeat} repetitions, each configuration "
        "in a fresh process.",
        "",
        "### Machine and workload",
        "",
        *_table(
            ["what", "value"],
            [
                *machine_rows(machine),
                (
                    "Python, duckdb, trafilatura, prefect",
                    f"{machine['python']}, {machine['duckdb']}, {machine['trafilatura']}, "
                    f"{machine['prefect']}",
                ),
                (
                    "article pages (sites, feed items per site)",
                    f"{count} ({len(SITES)}, ~{count // len(SITES)})",
                ),
                (
                    "page size: min / mean / max, total",
                    f"{min(sizes) / 1024:.0f} / {statistics.mean(sizes) / 1024:.0f} / "
                    f"{max(sizes) / 1024:.0f} KB, {sum(sizes) / mb:.1f} MB",
                ),
                ("body words: min / max", f"{min(web.body_words)} / {max(web.body_words)}"),
                (
                    "syndicated copies / off-topic / German or French",
                    f"{web.syndicated} / {web.off_topic} / {web.foreign}",
                ),
                (
                    "fetch settings",
                    f"{settings.concurrency} connections, {settings.per_host_concurrency} per host, "
                    "robots.txt honoured, no added latency",
                ),
            ],
        ),
        "",
        "### Result check",
        "",
        *_table(
            ["configuration", "new", "duplicates", "off-topic", "failed items", "re-run new"],
            [
                (
                    "expected",
                    count,
                    f"≥ {web.syndicated}",
                    web.off_topic,
                    0,
                    0,
                ),
                *(
                    (
                        name,
                        run["totals"]["items_new"],
                        run["totals"]["items_duplicate"],
                        run["totals"]["items_off_topic"],
                        run["totals"]["items_failed"],
                        rerun,
                    )
                    for name, run, rerun in (
                        ("flow, first run", flow["runs"][0], flow["rerun"]["totals"]["items_new"]),
                        (
                            "stages, first run",
                            stages["runs"][0],
                            stages["rerun"]["totals"]["items_new"],
                        ),
                    )
                ),
            ],
        ),
        "",
        "### Stages without Prefect",
        "",
        *_table(
            ["stage", "median s", "share"],
            [
                *(
                    (name, f"{f.stages[name]:.3f}", f"{f.stages[name] / f.stage_sum:.1%}")
                    for name in STAGES
                ),
                ("**sum**", f"**{f.stage_sum:.2f}** (runs {_spread(stage_walls)})", "100 %"),
            ],
        ),
        "",
        "### Flow and Prefect overhead",
        "",
        *_table(
            ["measure", "value"],
            [
                (
                    f"`daily_monitor` wall time, {count} articles (runs {_spread([r['wall_s'] for r in flow['runs']])})",
                    f"{f.flow_wall:.2f} s",
                ),
                ("stage sum without Prefect (above)", f"{f.stage_sum:.2f} s"),
                ("flow wall − stage sum", f"{f.overhead:.2f} s ({f.overhead / f.flow_wall:.1%})"),
                (
                    "flow wall − stages timed inside the same runs",
                    f"{f.inflow_overhead:.2f} s ({f.inflow_overhead / f.flow_wall:.1%})",
                ),
                (
                    f"the same, flow-run heartbeat off (flow wall {f.quiet_wall:.2f} s, runs "
                    f"{_spread([r['wall_s'] for r in flow['no_heartbeat_runs']])})",
                    f"{f.quiet_overhead:.2f} s",
                ),
                ("the same, 3-article runs, heartbeat on", f"{f.tiny_overhead:.2f} s"),
                (
                    f"Prefect's two walks over the task arguments of one {count}-article run "
                    "(measured apart; the flow passes them through `quote()`)",
                    "n/a" if walk is None else f"{walk:.3f} s",
                ),
                (
                    "articles/s: flow / stages without Prefect",
                    f"{count / f.flow_wall:.1f} / {count / f.stage_sum:.1f}",
                ),
                ("`import flows.monitor` (imports Prefect)", f"{flow['import_s']:.2f} s"),
                (
                    "first 3-article flow run of the process (starts the ephemeral API)",
                    f"{flow['first_tiny_s']:.2f} s",
                ),
                ("second 3-article flow run", f"{flow['second_tiny_s']:.2f} s"),
                ("first − second", f"{f.startup:.2f} s"),
                (
                    "same-day re-run, same database: flow",
                    f"{flow['rerun']['wall_s']:.2f} s, {flow['rerun']['totals']['items_new']} new",
                ),
                (
                    "same-day re-run, same database: stages",
                    f"{stages['rerun']['wall_s']:.2f} s, {stages['rerun']['totals']['items_new']} new",
                ),
                (f"DuckDB file after {count} articles", f"{flow['db_bytes'] / mb:.1f} MB"),
            ],
        ),
        "",
        "### Peak memory",
        "",
        *_table(
            ["process", "peak RSS"],
            [
                (
                    f"flow: 2 warm-up runs, {repeat} × {count} articles, re-run (`ru_maxrss`)",
                    f"{flow['peak_rss_mb']:.0f} MB",
                ),
                ("flow, after the warm-up runs", f"{flow['rss_after_warmup_mb']:.0f} MB"),
                (
                    f"flow, after the first {count}-article run",
                    f"{flow['rss_after_first_mb']:.0f} MB",
                ),
                ("Prefect ephemeral API server (child process, VmHWM)", f"{server_rss:.0f} MB"),
                (
                    f"stages without Prefect: warm-up, {repeat} × {count} articles, re-run",
                    f"{stages['peak_rss_mb']:.0f} MB",
                ),
                (
                    f"our extraction, {count} pages in memory",
                    f"{results['ours']['peak_rss_mb']:.0f} MB",
                ),
                (
                    f"plain trafilatura, {count} pages in memory",
                    f"{results['trafilatura']['peak_rss_mb']:.0f} MB",
                ),
            ],
        ),
        "",
        "### Extraction: ours vs plain trafilatura",
        "",
        *_table(
            ["extractor (same pages in memory, one thread)", "ms/page", "passes", "pages/s"],
            [
                (
                    'plain `trafilatura.extract(html, output_format="json", with_metadata=True, include_comments=False)`',
                    f"{f.plain_ms:.1f}",
                    _spread(results["trafilatura"]["passes_s"], 1000 / count, 1),
                    f"{1000 / f.plain_ms:.0f}",
                ),
                (
                    "ours: `extract_document` + `build_article` (bytes in, classified article out)",
                    f"{f.ours_ms:.1f}",
                    _spread(results["ours"]["passes_s"], 1000 / count, 1),
                    f"{1000 / f.ours_ms:.0f}",
                ),
                ("**ratio ours / plain**", f"**{f.ours_ms / f.plain_ms:.2f}**", "", ""),
            ],
        ),
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- main


def run_benchmark(count: int, repeat: int, keep: bool) -> int:
    """Generate the web, serve it, run every configuration in a child, print the tables."""
    tmp = Path(tempfile.mkdtemp(prefix="newswatch-bench-"))
    began = time.perf_counter()
    try:
        print(f"generating {count} pages ...", file=sys.stderr, flush=True)
        with served_news_web(count) as (web, news):
            pages_dir = tmp / "pages"
            pages_dir.mkdir()
            index = []
            for article in news.articles:
                file = pages_dir / f"{article.index:05d}.html"
                host = SITES.index(article.site)
                file.write_bytes(news.pages[article.site.key][article.path][0])
                index.append({"url": web.url(article.path, host), "file": str(file)})
            (tmp / "pages.json").write_text(json.dumps(index), encoding="utf-8")
            spec = {
                "tmp": str(tmp),
                "repeat": repeat,
                "config": str(write_config(tmp / "bench.yaml", news.feeds, tmp / "unused.duckdb")),
                "tiny_config": str(
                    write_config(
                        tmp / "tiny.yaml", {"warmup": news.warmup_feed}, tmp / "unused.duckdb"
                    )
                ),
                "pages_index": str(tmp / "pages.json"),
                "out": {name: str(tmp / f"result-{name}.json") for name in CHILDREN},
            }
            spec_path = tmp / "spec.json"
            spec_path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
            print(f"  generated in {time.perf_counter() - began:.1f} s", file=sys.stderr)
            results = {name: _spawn(name, spec_path, tmp / f"{name}.log") for name in CHILDREN}
            if web.errors:
                raise SystemExit("the local web failed to answer: " + "; ".join(web.errors))
        print(render_tables(results, news, repeat))
        return report_problems(_check(results, news), began)
    finally:
        if keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line; ``--child`` runs one configuration (internal)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--articles", type=int, default=500, help="number of article pages (default 500)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="repetitions per configuration (default 3)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (pages, configs, logs)"
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--spec", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args.child, args.spec)
    if args.articles < len(SITES) or args.repeat < 1:
        parser.error(f"--articles must be at least {len(SITES)} and --repeat at least 1")
    return run_benchmark(args.articles, args.repeat, args.keep)


if __name__ == "__main__":
    sys.exit(main())
