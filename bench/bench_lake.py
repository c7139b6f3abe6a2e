"""The lake beside the single DuckDB file on the generated local news web (issue [10], item 6).

What it does, in order:

1. Serves two generated news webs of ``tests/support/newsweb.py`` (different seeds, five
   publishers each: 10 hosts on 127.0.0.1, 10 RSS feeds, N article pages of 30-60 KB in
   all) from this process, and starts a throw-away PostgreSQL 15 and ``moto_server`` (S3)
   on free loopback ports (``flows/app/devservices.py``, what the tests and
   ``newswatch lake dev-services`` start).
2. Per repetition, runs three configurations, each in fresh child processes that run the
   stage functions as ``flows.monitor`` calls them, without Prefect
   (``bench_pipeline.stage_run``), after an untimed warm-up; the timed part starts in
   every child of a configuration at once:

   * ``file``: one process storing into a new DuckDB file (and its analytics copy);
   * ``lake, 1 process``: one process storing into a new lake (its own catalog database
     and bucket);
   * ``lake, 2 processes``: two OS processes at once, each running half of the feeds into
     one new lake: the existing process mechanism (one ``newswatch run`` per shard of
     the sources), not Prefect workers on a work pool.

3. Measures what each lake costs: catalog commits (snapshots), Parquet data and delete
   files (in the catalog, live and all written), objects and bytes in the bucket, the
   catalog database's size; then runs the maintenance (``Lake.maintain``: flush inlined
   rows, merge small files, expire snapshots, delete unused files, here with 0 days kept)
   and measures again.
4. Prints Markdown tables of what it measured; what they mean is written by hand in
   BENCHMARKS.md (this script writes no prose and does not edit that file).

Usage::

    .venv/bin/python bench/bench_lake.py [--articles N] [--repeat R] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench_pipeline import (  # noqa: E402  (bench/ is sys.path[0] when run as a script)
    _machine,
    _median,
    _peak_rss_mb,
    _spread,
    _table,
    machine_rows,
    report_problems,
    stage_run,
)

from tests.support.newsweb import SEED, GeneratedWeb, served_news_web, write_config  # noqa: E402

COMMAND = ".venv/bin/python bench/bench_lake.py"
WEBS = 2  # two generated webs of five publishers: 10 hosts
CONFIGURATIONS = ("file", "lake-1", "lake-2")
LABELS = {
    "file": "file, 1 process",
    "lake-1": "lake, 1 process",
    "lake-2": "lake, 2 processes (half the feeds each)",
}
_READY_TIMEOUT_S = 600

# -------------------------------------------------------------------------------- children


def child_run(spec: dict[str, Any]) -> None:
    """Warm up, say ready, wait for the go, run the config once, write the result."""
    from storage.database import Database

    tmp = Path(spec["tmp"])
    # Untimed warm-up: imports and first-call caches (trafilatura, lxml, DuckDB) out of the run.
    stage_run(spec["tiny_config"], Database(tmp / f"warmup-{spec['name']}.duckdb"))
    Path(spec["ready"]).touch()
    go = Path(spec["go"])
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go from the parent")
        time.sleep(0.02)
    started = time.time()
    stages, totals = stage_run(spec["config"])
    finished = time.time()
    result = {
        "start": started,
        "end": finished,
        "stages": stages,
        "totals": totals,
        "peak_rss_mb": _peak_rss_mb(),
    }
    Path(spec["out"]).write_text(json.dumps(result), encoding="utf-8")


def _run_processes(
    tmp: Path, name: str, configs: Sequence[Path], tiny_config: Path
) -> list[dict[str, Any]]:
    """Run one child per config; the timed parts start together; their results in order."""
    folder = tmp / name
    folder.mkdir()
    go = folder / "go"
    children = []
    for index, config in enumerate(configs):
        spec = {
            "name": f"{name}-{index}",
            "tmp": str(folder),
            "config": str(config),
            "tiny_config": str(tiny_config),
            "ready": str(folder / f"ready-{index}"),
            "go": str(go),
            "out": str(folder / f"result-{index}.json"),
        }
        spec_path = folder / f"spec-{index}.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        log = (folder / f"child-{index}.log").open("w", encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(spec_path)],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        children.append((process, spec, log))
    try:
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while not all(Path(spec["ready"]).exists() for _, spec, _ in children):
            for process, spec, _ in children:
                if process.poll() is not None:
                    raise SystemExit(f"{spec['name']} exited early: see {folder}")
            if time.monotonic() > deadline:
                raise SystemExit(f"{name}: the children did not warm up in time")
            time.sleep(0.05)
        go.touch()
        results = []
        for process, spec, log in children:
            process.wait()
            log.close()
            if process.returncode != 0:
                tail = Path(log.name).read_text(encoding="utf-8", errors="replace")[-3000:]
                raise SystemExit(f"{spec['name']} failed (exit {process.returncode}):\n{tail}")
            results.append(json.loads(Path(spec["out"]).read_text(encoding="utf-8")))
        return results
    finally:
        for process, _, log in children:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()


# ------------------------------------------------------------------------------ the stores


def _lake_block(postgres: Any, database: str, s3: Any, bucket: str) -> str:
    from flows.app.devservices import lake_block

    lake = lake_block(postgres, database, s3, bucket)["lake"]
    return "  backend: ducklake\n  lake:\n" + "".join(
        f"    {key}: {json.dumps(value) if isinstance(value, str) else str(value).lower()}\n"
        for key, value in lake.items()
    )


def _lake_configs(
    tmp: Path, name: str, shards: Sequence[dict[str, str]], postgres: Any, s3: Any
) -> list[Path]:
    """One config per shard, all storing into one new lake (its own database and bucket)."""
    database = postgres.create_database(name.replace("-", "_"))
    bucket = s3.create_bucket(name)
    block = _lake_block(postgres, database, s3, bucket)
    configs = []
    for index, feeds in enumerate(shards):
        path = write_config(tmp / f"{name}-{index}.yaml", feeds, tmp / f"{name}-unused.duckdb")
        path.write_text(path.read_text(encoding="utf-8") + block, encoding="utf-8")
        configs.append(path)
    return configs


def lake_costs(config: Path, postgres: Any, s3: Any) -> dict[str, int]:
    """Snapshots, data and delete files, bucket objects and catalog size of a config's lake."""
    from flows.config import load_config
    from flows.stages.settings import open_store

    lake = open_store(load_config(config))
    lake_settings = load_config(config).storage.lake
    assert lake_settings is not None
    bucket = lake_settings.data_path.removeprefix("s3://").split("/", 1)[0]
    database = lake_settings.catalog.split("dbname=", 1)[1].split()[0]
    metadata = '"__ducklake_metadata_lake"'
    with lake.connect() as connection:
        snapshots = connection.execute("SELECT count(*) FROM lake.snapshots()").fetchone()
        data = connection.execute(
            "SELECT count(*) FILTER (end_snapshot IS NULL), "
            "coalesce(sum(file_size_bytes) FILTER (end_snapshot IS NULL), 0), "
            f"count(*), coalesce(sum(file_size_bytes), 0) FROM {metadata}.ducklake_data_file"
        ).fetchone()
        deletes = connection.execute(
            "SELECT count(*) FILTER (end_snapshot IS NULL), count(*) "
            f"FROM {metadata}.ducklake_delete_file"
        ).fetchone()
        articles = connection.execute(
            "SELECT count(*), count(DISTINCT id), count(duplicate_of) FROM articles"
        ).fetchone()
        urls = [row[0] for row in connection.execute("SELECT web_url FROM articles").fetchall()]
    assert snapshots and data and deletes and articles
    objects = s3.objects(bucket)
    catalog_bytes = int(
        postgres.psql("SELECT pg_database_size(current_database())", dbname=database).strip()
    )
    return {
        "snapshots": int(snapshots[0]),
        "live_files": int(data[0]),
        "live_bytes": int(data[1]),
        "files_written": int(data[2]),
        "bytes_written": int(data[3]),
        "live_delete_files": int(deletes[0]),
        "delete_files_written": int(deletes[1]),
        "objects": len(objects),
        "object_bytes": sum(objects.values()),
        "catalog_bytes": catalog_bytes,
        "articles": int(articles[0]),
        "distinct_articles": int(articles[1]),
        "copies": int(articles[2]),
        "urls": sorted(urls),
    }


def create_schema(config: Path) -> None:
    """Attach the lake once so its tables exist before the timed run (as a deployed lake's do)."""
    from flows.config import load_config
    from flows.stages.settings import open_store

    with open_store(load_config(config)).connect():
        pass


def maintain(config: Path) -> dict[str, Any]:
    """``newswatch lake maintain --keep-snapshot-days 0 --keep-unused-file-days 0``, timed."""
    from flows.config import load_config
    from flows.stages.maintenance import config_lake, maintain_lake

    lake = config_lake(load_config(config), str(config))
    started = time.perf_counter()
    report = maintain_lake(lake, keep_snapshot_days=0, keep_unused_file_days=0)
    return {
        "wall_s": time.perf_counter() - started,
        "files_before": report.result.files_before,
        "files_after": report.result.files_after,
        "snapshots_expired": report.result.snapshots_expired,
        "files_deleted": report.result.files_deleted,
    }


def file_costs(config: Path) -> dict[str, int]:
    """Bytes of a config's DuckDB file and of its analytics copy; its article counts."""
    import duckdb

    from flows.config import load_config
    from storage.publish import analytics_path

    db = Path(load_config(config).storage.db)
    copy = analytics_path(db)
    with contextlib.closing(duckdb.connect(str(copy), read_only=True)) as connection:
        articles = connection.execute(
            "SELECT count(*), count(DISTINCT id), count(duplicate_of) FROM articles"
        ).fetchone()
        urls = [row[0] for row in connection.execute("SELECT web_url FROM articles").fetchall()]
    assert articles is not None
    return {
        "db_bytes": db.stat().st_size,
        "copy_bytes": copy.stat().st_size if copy.exists() else 0,
        "articles": int(articles[0]),
        "distinct_articles": int(articles[1]),
        "copies": int(articles[2]),
        "urls": sorted(urls),
    }


# ----------------------------------------------------------------------------------- main


@contextlib.contextmanager
def served_webs(count: int) -> Iterator[tuple[list[GeneratedWeb], dict[str, str], str]]:
    """``WEBS`` generated news webs (different seeds) served at once: webs, feeds, warm-up feed."""
    shares = [count // WEBS + (1 if i < count % WEBS else 0) for i in range(WEBS)]
    with contextlib.ExitStack() as stack:
        webs = [
            stack.enter_context(served_news_web(share, seed=SEED + index))
            for index, share in enumerate(shares)
        ]
        feeds = {
            f"web{index}-{name}": url
            for index, (_, news) in enumerate(webs)
            for name, url in news.feeds.items()
        }
        yield [news for _, news in webs], feeds, webs[0][1].warmup_feed


def run_benchmark(count: int, repeat: int, keep: bool, budget_s: float = float("inf")) -> int:
    """Serve the webs, start the services, run every configuration, print the tables."""
    from flows.app.devservices import running_postgres, running_s3

    tmp = Path(tempfile.mkdtemp(prefix="newswatch-bench-lake-"))
    began = time.perf_counter()
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in CONFIGURATIONS}
    try:
        print(f"generating {count} pages on {WEBS * 5} hosts ...", file=sys.stderr, flush=True)
        with (
            served_webs(count) as (webs, feeds, warmup),
            running_postgres() as pg,
            running_s3() as s3,
        ):
            print(f"  ready after {time.perf_counter() - began:.0f} s", file=sys.stderr)
            # Credentials reach the children as they reach newswatch: from the environment.
            os.environ["NEWSWATCH_LAKE_PASSWORD"] = pg.password
            os.environ["AWS_ACCESS_KEY_ID"] = s3.key_id
            os.environ["AWS_SECRET_ACCESS_KEY"] = s3.secret
            os.environ.pop("NEWSWATCH_DB", None)
            tiny = write_config(tmp / "tiny.yaml", {"warmup": warmup}, tmp / "unused.duckdb")
            names = sorted(feeds)
            halves = [
                {name: feeds[name] for name in names[0::2]},
                {name: feeds[name] for name in names[1::2]},
            ]
            for rep in range(repeat):
                if rep and time.perf_counter() - began > budget_s:
                    print(f"  time budget spent: {rep} repetitions", file=sys.stderr)
                    repeat = rep
                    break
                for configuration in CONFIGURATIONS:
                    label = f"{configuration}-r{rep}"
                    print(
                        f"  repetition {rep + 1}: {configuration} ...", file=sys.stderr, flush=True
                    )
                    if configuration == "file":
                        configs = [
                            write_config(tmp / f"{label}.yaml", feeds, tmp / f"{label}.duckdb")
                        ]
                    else:
                        shards = [feeds] if configuration == "lake-1" else halves
                        configs = _lake_configs(tmp, f"bench-{label}", shards, pg, s3)
                        create_schema(configs[0])
                        baseline = lake_costs(configs[0], pg, s3)
                    runs = _run_processes(tmp, label, configs, tiny)
                    entry: dict[str, Any] = {
                        "wall_s": max(run["end"] for run in runs)
                        - min(run["start"] for run in runs),
                        "runs": runs,
                    }
                    if configuration == "file":
                        entry["costs"] = file_costs(configs[0])
                    else:
                        entry["baseline"] = baseline
                        entry["costs"] = lake_costs(configs[0], pg, s3)
                        if rep == 0:
                            entry["maintain"] = maintain(configs[0])
                            entry["after"] = lake_costs(configs[0], pg, s3)
                    results[configuration].append(entry)
                    print(f"    {entry['wall_s']:.1f} s", file=sys.stderr, flush=True)
            from storage.lake import release_attached

            release_attached()
        print(render_tables(results, webs, count, repeat, len(feeds)))
        return report_problems(_check(results, webs, count), began)
    finally:
        if keep:
            (tmp / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------- report


def _totals(entry: dict[str, Any], key: str) -> int:
    return sum(int(run["totals"][key]) for run in entry["runs"])


def _check(
    results: dict[str, list[dict[str, Any]]], webs: list[GeneratedWeb], count: int
) -> list[str]:
    """Every configuration stores every page once, finds the copies, fails nothing."""
    syndicated = sum(web.syndicated for web in webs)
    off_topic = sum(web.off_topic for web in webs)
    problems = []
    for configuration, entries in results.items():
        for rep, entry in enumerate(entries):
            where = f"{configuration} repetition {rep + 1}"
            if _totals(entry, "items_new") != count:
                problems.append(f"{where}: {_totals(entry, 'items_new')} new, expected {count}")
            if _totals(entry, "items_failed"):
                problems.append(f"{where}: {_totals(entry, 'items_failed')} failed items")
            if _totals(entry, "items_off_topic") != off_topic:
                problems.append(
                    f"{where}: {_totals(entry, 'items_off_topic')} off-topic, expected {off_topic}"
                )
            # Which shard stores a copy's original first decides what each run counts as
            # a copy; the copies stored do not depend on it.
            if entry["costs"]["copies"] < syndicated:
                problems.append(
                    f"{where}: {entry['costs']['copies']} stored as copies, fewer than the "
                    f"{syndicated} syndicated ones"
                )
            if entry["costs"]["copies"] != results["file"][rep]["costs"]["copies"]:
                problems.append(f"{where}: stored copies differ from the file's")
            missing = set(results["file"][rep]["costs"]["urls"]) - set(entry["costs"]["urls"])
            if missing:
                problems.append(f"{where}: not stored, stored by the file: {sorted(missing)}")
            costs = entry["costs"]
            if not costs["articles"] == costs["distinct_articles"] == count:
                problems.append(
                    f"{where}: {costs['articles']} article rows, {costs['distinct_articles']} ids, expected {count}"
                )
    return problems


def _mb(value: float) -> str:
    return f"{value / 1024 / 1024:.2f} MB"


def render_tables(
    results: dict[str, list[dict[str, Any]]],
    webs: list[GeneratedWeb],
    count: int,
    repeat: int,
    feeds: int,
) -> str:
    """What was measured, as Markdown tables (no interpretation: BENCHMARKS.md has that)."""
    machine = _machine()
    sizes = [size for web in webs for size in web.page_sizes]
    walls = {name: [entry["wall_s"] for entry in entries] for name, entries in results.items()}
    median = {name: _median(values) for name, values in walls.items()}
    per_k = 1000 / count
    lines = [
        f"Command: `{COMMAND} --articles {count} --repeat {repeat}`, {datetime.now(UTC):%Y-%m-%d}; "
        f"medians of {repeat} repetitions, each configuration in fresh processes.",
        "",
        "### Machine and workload",
        "",
        *_table(
            ["what", "value"],
            [
                *machine_rows(machine),
                ("Python, duckdb", f"{machine['python']}, {machine['duckdb']}"),
                ("article pages, hosts, feeds", f"{count}, {WEBS * 5}, {feeds}"),
                (
                    "page size: mean, total",
                    f"{sum(sizes) / len(sizes) / 1024:.0f} KB, {sum(sizes) / 1024 / 1024:.1f} MB",
                ),
                (
                    "syndicated copies / off-topic",
                    f"{sum(w.syndicated for w in webs)} / {sum(w.off_topic for w in webs)}",
                ),
                ("catalog, data", "PostgreSQL 15 (fsync off), moto_server S3; both on 127.0.0.1"),
                (
                    "parallelism",
                    "OS processes, each running the stage functions (no Prefect) over its "
                    "shard of the feeds; not Prefect workers",
                ),
            ],
        ),
        "",
        "### Result check (first repetition)",
        "",
        *_table(
            [
                "configuration",
                "new",
                "duplicates",
                "off-topic",
                "failed",
                "article rows / ids stored",
                "stored as copies",
            ],
            [
                (
                    LABELS[name],
                    _totals(entries[0], "items_new"),
                    _totals(entries[0], "items_duplicate"),
                    _totals(entries[0], "items_off_topic"),
                    _totals(entries[0], "items_failed"),
                    f"{entries[0]['costs']['articles']} / {entries[0]['costs']['distinct_articles']}",
                    entries[0]["costs"]["copies"],
                )
                for name, entries in results.items()
            ],
        ),
        "",
        "### Throughput",
        "",
        *_table(
            ["configuration", "median wall s", "runs", "articles/s", "× file", "× lake, 1 process"],
            [
                (
                    LABELS[name],
                    f"{median[name]:.1f}",
                    _spread(walls[name], digits=1),
                    f"{count / median[name]:.1f}",
                    f"{median['file'] / median[name]:.2f}",
                    f"{median['lake-1'] / median[name]:.2f}",
                )
                for name in CONFIGURATIONS
            ],
        ),
        "",
        "### Stage medians (s; for 2 processes, the slower process's)",
        "",
        *_table(
            ["stage", *(LABELS[name] for name in CONFIGURATIONS)],
            [
                (
                    stage,
                    *(
                        f"{_median([max(run['stages'].get(stage, 0.0) for run in e['runs']) for e in results[name]]):.2f}"
                        for name in CONFIGURATIONS
                    ),
                )
                for stage in results["file"][0]["runs"][0]["stages"]
            ],
        ),
        "",
    ]
    lake_rows = []
    keys = (
        ("catalog commits (snapshots) of the run", "snapshots", False),
        ("Parquet data files written", "files_written", False),
        ("Parquet data files live (the latest snapshot reads)", "live_files", False),
        ("bytes of data files written", "bytes_written", True),
        ("bytes of live data files", "live_bytes", True),
        ("delete files written / live", None, False),
        ("objects in the bucket", "objects", False),
        ("bytes in the bucket", "object_bytes", True),
        ("catalog database growth", "catalog_bytes", True),
    )
    columns = [
        ("lake-1", "costs", "after run"),
        ("lake-2", "costs", "after run"),
        ("lake-1", "after", "after maintain"),
        ("lake-2", "after", "after maintain"),
    ]
    for title, key, in_bytes in keys:
        cells = []
        for name, which, _ in columns:
            entry = results[name][0]
            measured, baseline = entry[which], entry["baseline"]
            if key is None:
                cells.append(
                    f"{measured['delete_files_written']} / {measured['live_delete_files']}"
                )
                continue
            value = measured[key] - (baseline[key] if key in ("snapshots", "catalog_bytes") else 0)
            cells.append(_mb(value * per_k) if in_bytes else f"{value * per_k:.0f}")
        lake_rows.append((title, *cells))
    file_costs_0 = results["file"][0]["costs"]
    lines += [
        f"### Cost per 1,000 articles (first repetition, scaled from {count})",
        "",
        *_table(
            ["measure", *(f"{LABELS[name].split(' (')[0]}, {when}" for name, _, when in columns)],
            lake_rows,
        ),
        "",
        *_table(
            ["measure, per 1,000 articles", "value"],
            [
                ("wall time: file, 1 process", f"{median['file'] * per_k:.1f} s"),
                ("wall time: lake, 1 process", f"{median['lake-1'] * per_k:.1f} s"),
                ("wall time: lake, 2 processes", f"{median['lake-2'] * per_k:.1f} s"),
                ("DuckDB file", _mb(file_costs_0["db_bytes"] * per_k)),
                ("its analytics copy", _mb(file_costs_0["copy_bytes"] * per_k)),
                (
                    "sources (feeds) per run; lake commits per source",
                    f"{feeds}; "
                    + ", ".join(
                        f"{(results[name][0]['costs']['snapshots'] - results[name][0]['baseline']['snapshots']) / feeds:.1f} ({name})"
                        for name in ("lake-1", "lake-2")
                    ),
                ),
                (
                    "catalog database before the run (schema only)",
                    _mb(results["lake-1"][0]["baseline"]["catalog_bytes"]),
                ),
            ],
        ),
        "",
        "### Maintenance (`Lake.maintain`, 0 days kept), first repetition",
        "",
        *_table(
            ["lake", "wall s", "live files before → after", "snapshots expired", "files deleted"],
            [
                (
                    LABELS[name],
                    f"{results[name][0]['maintain']['wall_s']:.1f}",
                    f"{results[name][0]['maintain']['files_before']} → {results[name][0]['maintain']['files_after']}",
                    results[name][0]["maintain"]["snapshots_expired"],
                    results[name][0]["maintain"]["files_deleted"],
                )
                for name in ("lake-1", "lake-2")
            ],
        ),
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line; ``--child SPEC`` runs one configuration's process (internal)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--articles", type=int, default=1000, help="article pages in all (default 1000)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=float("inf"),
        help="start no further repetition after this long (the tables say how many ran)",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_run(json.loads(args.child.read_text(encoding="utf-8")))
        return 0
    if args.articles < WEBS * 5 or args.repeat < 1:
        parser.error(f"--articles must be at least {WEBS * 5} and --repeat at least 1")
    return run_benchmark(args.articles, args.repeat, args.keep, args.max_minutes * 60)


if __name__ == "__main__":
    sys.exit(main())
