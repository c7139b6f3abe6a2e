"""The ``newswatch`` command line.

Only ``run``, ``backfill`` and ``serve`` import Prefect (starting its API costs
seconds); ``normalize``, ``query``, ``export``, ``report``, ``publish`` and
``sources`` never do. The reading commands read the published analytics copy
(``storage.publish``) when there is one, so they never lock the pipeline out.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from extractors.urls import redact
from flows.config import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_DB_PATH,
    Config,
    ConfigError,
    load_config,
    shards_problem,
)
from storage.database import Database, StorageError, Store

app = typer.Typer(
    name="newswatch",
    help="Monitor news coverage of a topic: feeds and pages in, clean seed-format records in DuckDB out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich panels show flags as taking a `<bool>` value and read
    # square brackets in help texts as markup (dropping them, leaving stray spaces).
    rich_markup_mode=None,
)

ConfigOption = typer.Option(
    DEFAULT_CONFIG_PATH, "--config", "-c", metavar="PATH", help="The sources.yaml to use."
)
# The reading commands take the config only for its storage.db: without --config they read
# the default config when it is there, and data/newswatch.duckdb when it is not; a --config
# that names a missing file is an error (a typo must not silently open another database).
ReadConfigOption = typer.Option(
    None,
    "--config",
    "-c",
    metavar="PATH",
    help=f"The sources.yaml whose storage.db to read (default: {DEFAULT_CONFIG_PATH}, if present).",
)
DbOption = typer.Option(
    None,
    "--db",
    envvar="NEWSWATCH_DB",
    metavar="PATH",
    help="DuckDB file (default: the config's storage.db, else data/newswatch.duckdb).",
)
ShardsOption = typer.Option(
    None,
    "--shards",
    metavar="N",
    help="Split the run into N shard flow runs on the Prefect work pool (a lake config; "
    "default: the config's run.shards).",
)


class OutputFormat(StrEnum):
    """Output formats of `newswatch query`."""

    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(StrEnum):
    """Formats of `newswatch export`."""

    parquet = "parquet"
    seed = "seed"


def main() -> None:
    """Console-script entry point."""
    app()


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"newswatch: {message}", err=True)
    return typer.Exit(code)


def _load(config_path: str) -> Config:
    try:
        return load_config(config_path)
    except ConfigError as error:
        raise _fail(str(error)) from None


def _database(db: str | None, config_path: str | None) -> Store:
    """--db, then NEWSWATCH_DB (typer fills ``db`` from it), then the config, then the default.

    A ``config_path`` given on the command line must exist, even with --db; without one the
    default config is used when it exists. A config that stores into a DuckLake gives the
    lake (and refuses --db).
    """
    if config_path is not None:
        return _store(_load(config_path), db)
    if db:
        return Database(db)
    if Path(DEFAULT_CONFIG_PATH).exists():
        return _store(_load(DEFAULT_CONFIG_PATH), None)
    return Database(DEFAULT_DB_PATH)


def _store(settings: Config, db: str | None) -> Store:
    """The config's store (its file, or ``db``; or its lake)."""
    from flows.stages.settings import open_store

    try:
        return open_store(settings, db)
    except ValueError as error:
        raise _fail(str(error)) from None


def _db_path(settings: Config, db: str | None) -> str | None:
    """The ``db_path`` a flow run gets: the file to write, or None for the config's lake."""
    _store(settings, db)  # refuses --db with a lake
    return None if settings.storage.backend == "ducklake" else db or settings.storage.db


def _reader(db: str | None, config_path: str | None) -> Store:
    """The analytics copy of the database when one was published, else the database itself
    (a lake: as of its last published run)."""
    from storage.publish import reader_database

    return reader_database(_database(db, config_path))


def _check_writable(store: Store) -> None:
    """Open the store for writing once before Prefect starts.

    A file another program holds, a damaged one, or a lake that cannot be attached is
    then one line naming it (and the process), instead of a flow run failing with a
    traceback after the Prefect start-up; nothing is written.
    """
    try:
        with store.connect():
            pass
    except StorageError as error:
        raise _fail(str(error), code=1) from None
    except OSError as error:
        raise _fail(
            f"cannot create database {store.describe()}: {error.strerror or error}", code=1
        ) from None


def _check_sources(config: str, settings: Config, names: list[str]) -> None:
    """Refuse --source names the config does not define."""
    unknown = sorted(set(names) - {s.name for s in settings.sources})
    if unknown:
        raise _fail(
            f"{config}: no source named {', '.join(unknown)} (known: {', '.join(s.name for s in settings.sources)})"
        )


def _check_shards(config: str, settings: Config, shards: int | None) -> None:
    """Refuse --shards below 1, or above 1 with a config that stores into a file."""
    problem = None if shards is None else shards_problem(shards, settings.storage.backend)
    if problem:
        raise _fail(f"--shards {problem} ({config}; README: Past one machine)")


def _check_range(since: date | None, until: date | None) -> None:
    """Refuse an empty --since/--until range before Prefect starts."""
    if since and until and until < since:
        raise _fail(f"--until {until} is before --since {since}")


def _prefect_environment() -> None:
    # Set before Prefect is imported: it reads settings on import.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # The ephemeral server records task-run events one per transaction by default and stalls.
    os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE", "50")
    os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE", "50")


def _finish_flow(state: Any) -> None:
    """Print a flow run's summary and exit 0, or 1 when every source failed or the run crashed."""
    from flows.monitor import AllSourcesFailedError
    from flows.stages.summary import RunSummary

    result = state.result(raise_on_failure=False)
    if isinstance(result, RunSummary):
        typer.echo(result.as_text())
        return
    if isinstance(result, AllSourcesFailedError):
        typer.echo(result.summary.as_text())
        backing_off = " or is backing off" if result.summary.skipped_sources else ""
        raise _fail(f"every source failed{backing_off}", code=1)
    # str() of some exceptions is empty (MemoryError()): name the type so there is a reason.
    reason = str(result) or type(result).__name__
    raise _fail(f"run failed: {reason}", code=1)


@app.command()
def run(
    config: str = ConfigOption,
    db: str | None = DbOption,
    refresh: bool = typer.Option(
        False, "--refresh", help="Fetch and re-extract articles already stored."
    ),
    shards: int | None = ShardsOption,
) -> None:
    """Run the daily monitor once now (a Prefect flow run; no server needed)."""
    settings = _load(config)
    _check_shards(config, settings, shards)
    _check_writable(_store(settings, db))
    _prefect_environment()
    from flows.monitor import daily_monitor

    state = daily_monitor(
        config_path=config,
        db_path=_db_path(settings, db),
        refresh=refresh,
        shards=shards,
        return_state=True,
    )
    _finish_flow(state)


@app.command()
def backfill(
    since: datetime = typer.Option(
        ...,
        "--since",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="First publication day (UTC).",
    ),
    until: datetime | None = typer.Option(
        None,
        "--until",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="Last publication day (UTC) (default: today).",
    ),
    source: list[str] = typer.Option(
        [],
        "--source",
        "-s",
        metavar="NAME",
        help="Source name; repeat for several (default: all).",
    ),
    config: str = ConfigOption,
    db: str | None = DbOption,
    refresh: bool = typer.Option(
        False, "--refresh", help="Fetch and re-extract articles already stored."
    ),
    shards: int | None = ShardsOption,
) -> None:
    """Store what the sources published in a date range."""
    settings = _load(config)
    _check_shards(config, settings, shards)
    _check_sources(config, settings, source)
    until_day: date | None = until.date() if until else None
    _check_range(since.date(), until_day)
    today = datetime.now(UTC).date()
    if since.date() > today:
        raise _fail(f"--since {since.date()} is in the future (today is {today} UTC)")
    _check_writable(_store(settings, db))
    _prefect_environment()
    from flows.monitor import backfill as backfill_flow

    state = backfill_flow(
        since=since.date(),
        until=until_day,
        sources=source or None,
        config_path=config,
        db_path=_db_path(settings, db),
        refresh=refresh,
        shards=shards,
        return_state=True,
    )
    _finish_flow(state)


@app.command()
def reprocess(
    since: datetime | None = typer.Option(
        None,
        "--since",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="First fetch day (UTC) (default: all).",
    ),
    until: datetime | None = typer.Option(
        None,
        "--until",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="Last fetch day (UTC) (default: today).",
    ),
    source: list[str] = typer.Option(
        [],
        "--source",
        "-s",
        metavar="NAME",
        help="Source name; repeat for several (default: all).",
    ),
    config: str = ConfigOption,
    db: str | None = DbOption,
) -> None:
    """Re-extract the stored raw pages (after an extractor change) without fetching."""
    settings = _load(config)
    _check_sources(config, settings, source)
    _check_range(since.date() if since else None, until.date() if until else None)
    _check_writable(_store(settings, db))
    _prefect_environment()
    from flows.monitor import reprocess as reprocess_flow

    state = reprocess_flow(
        since=since.date() if since else None,
        until=until.date() if until else None,
        sources=source or None,
        config_path=config,
        db_path=_db_path(settings, db),
        return_state=True,
    )
    _finish_flow(state)


@app.command()
def reclassify(config: str = ConfigOption, db: str | None = DbOption) -> None:
    """Judge every stored article against the config's watch again, from its stored text.

    Cheaper than `reprocess` after a change to the watch only: nothing is fetched
    or extracted, no Prefect starts, and articles whose raw page is gone (older than
    storage.raw_retention_days, folder and feed-only records) are judged too.
    """
    from flows.stages.reclassify import reclassify as reclassify_stored
    from flows.stages.settings import watch_from_config
    from storage.publish import publish as publish_copy

    settings = _load(config)
    database = _store(settings, db)
    if not database.exists():
        raise _fail(f"database {database.describe()} does not exist yet: run `newswatch run` first")
    _check_writable(database)
    try:
        done = reclassify_stored(database, watch_from_config(settings))
        if done.changed:
            # Analysts read the published copy: it shows the new verdicts at once.
            publish_copy(database)
    except StorageError as error:
        raise _fail(str(error), code=1) from None
    typer.echo(
        f"reclassified {done.examined} stored articles: {done.changed} changed "
        f"({done.now_on_topic} now on-topic, {done.now_off_topic} now off-topic)"
    )


@app.command()
def serve(
    config: str = ConfigOption,
    db: str | None = DbOption,
    port: int = typer.Option(
        4200, "--port", help="Port of the local Prefect server started when none is configured."
    ),
) -> None:
    """Stay up and run the daily monitor on its schedule (starts or connects to a Prefect server)."""
    settings = _load(config)
    _prefect_environment()
    from flows.serve import serve_forever

    try:
        serve_forever(settings, config_path=config, db_path=_db_path(settings, db), port=port)
    except RuntimeError as error:
        raise _fail(str(error), code=1) from None


@app.command()
def normalize(
    paths: list[Path] = typer.Argument(
        ..., metavar="FILE", help="HTML, plain-text or seed-format files."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Folder for NAME.md outputs (default: print to stdout)."
    ),
    explain: bool = typer.Option(
        False,
        "--explain",
        help="List every removed line with its reason code, and why the watch keeps the "
        "article or not (score, threshold, evidence sentences).",
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Also apply the boilerplate learned per provider in this database (read-only).",
    ),
    learned: bool = typer.Option(
        False,
        "--learned",
        help="Also apply the boilerplate learned per provider in the config's store: its "
        "DuckDB file, or its lake as of the last published run (read-only).",
    ),
    config: str = ConfigOption,
) -> None:
    """Turn files into cleaned seed-format records (NAME.* -> NAME.md)."""
    from extractors.article import build_article, extract_document
    from extractors.relevance import Watch
    from extractors.seedformat import dump_seed_document
    from flows.stages.settings import watch_from_config

    watch = watch_from_config(_load(config)) if Path(config).exists() else Watch()
    if db and learned:
        raise _fail("--db and --learned name two databases: give one")
    boilerplate = {}
    if db:
        boilerplate = _learned_boilerplate(_boilerplate_file(db))
    elif learned:
        boilerplate = _learned_boilerplate(_reader(None, config))
    failures = 0
    if out:
        out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        try:
            content = path.read_bytes()
            now = datetime.now(UTC)
            record, kind = extract_document(content, url=path.resolve().as_uri(), fetched_at=now)
            article = build_article(
                record,
                source="normalize",
                fetched_at=now,
                watch=watch,
                input_kind=kind,
                boilerplate=boilerplate,
            )
        except (OSError, ValueError) as error:
            typer.echo(f"newswatch: {path}: {error}", err=True)
            failures += 1
            continue
        if explain:
            typer.echo(_explanation(path, article.removed))
            typer.echo(_relevance_explanation(article.record, watch))
        document = dump_seed_document(article.record)
        if out:
            (out / f"{path.stem}.md").write_text(document, encoding="utf-8")
        elif not explain:
            sys.stdout.write(document)
    if failures:
        raise typer.Exit(1)


def _boilerplate_file(db: str) -> Store:
    """The DuckDB file ``normalize --db`` names (a config, e.g. a lake's, is refused)."""
    if Path(db).suffix.lower() in (".yaml", ".yml"):
        raise _fail(
            f"--db {db} names a config, not a DuckDB file: use --config {db} --learned "
            "(for a lake too)"
        )
    if not Path(db).exists():
        raise _fail(f"{db}: no such database")
    return Database(db)


def _learned_boilerplate(store: Store) -> dict[str, frozenset[str]]:
    from storage.boilerplate import learned_boilerplate

    try:
        return learned_boilerplate(store)
    except StorageError as error:
        raise _fail(str(error)) from None


def _explanation(path: Path, removed: Any) -> str:
    """One line per removed line: its position, reason code and text."""
    lines = [f"# {path}: {len(removed)} line(s) removed"]
    for line in removed:
        text = line.text if len(line.text) <= 100 else line.text[:99] + "…"
        lines.append(f"  line {line.index + 1:>3}  {line.reason:<16} {text}")
    return "\n".join(lines)


def _relevance_explanation(record: Any, watch: Any) -> str:
    """The watch's verdict: on- or off-topic, the score against the threshold, the evidence."""
    from extractors.relevance import classify

    verdict = classify(record, watch)
    state = "on-topic" if verdict.on_topic else "off-topic"
    lines = [f"# relevance: {state} ({verdict.reason.split('; evidence:')[0]})"]
    lines += [f"  {sentence}" for sentence in verdict.evidence]
    if verdict.topics:
        lines.append(f"  topics: {', '.join(verdict.topics)}")
    return "\n".join(lines)


@app.command()
def query(
    sql: str = typer.Argument(..., metavar="SQL", help="One read-only SQL statement."),
    output: OutputFormat = typer.Option(
        OutputFormat.table, "--format", "-f", help="Output format."
    ),
    db: str | None = DbOption,
    config: str | None = ReadConfigOption,
) -> None:
    """Run one read-only SQL query against the database."""
    from storage.query import run_query

    try:
        result = run_query(_reader(db, config), sql)
    except StorageError as error:
        raise _fail(str(error)) from None
    if output is OutputFormat.json:
        rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
        typer.echo(json.dumps(rows, default=str, ensure_ascii=False, indent=2))
    elif output is OutputFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows(result.rows)
    else:
        typer.echo(_table(result.columns, [[_cell(value) for value in row] for row in result.rows]))


@app.command()
def export(
    output: ExportFormat = typer.Option(
        ...,
        "--format",
        "-f",
        help="parquet (Hive-partitioned by day) or seed (one file per article).",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Target folder."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace the contents of a non-empty folder."
    ),
    db: str | None = DbOption,
    config: str | None = ReadConfigOption,
) -> None:
    """Export every article as Parquet or as seed-format files."""
    from storage.query import export_parquet, export_seed

    database = _reader(db, config)
    try:
        count = (export_parquet if output is ExportFormat.parquet else export_seed)(
            database, out, overwrite
        )
    except StorageError as error:
        raise _fail(str(error)) from None
    typer.echo(f"exported {count} articles to {out} ({output.value})")


@app.command()
def report(
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="The HTML file to write."),
    days: int = typer.Option(60, "--days", min=1, help="Days of coverage the charts span."),
    db: str | None = DbOption,
    config: str | None = ReadConfigOption,
) -> None:
    """Write one self-contained HTML page with charts: coverage, providers, stories, source health."""
    from flows.app.report import write_report

    database = _reader(db, config)
    try:
        data = write_report(database, out, days=days)
    except StorageError as error:
        raise _fail(str(error)) from None
    except OSError as error:
        raise _fail(f"cannot write {out}: {error}") from None
    typer.echo(
        f"wrote {out}: {data.totals.get('unique_articles')} unique articles, "
        f"{len(data.stories)} stories, {len(data.sources)} sources (from {database.describe()})"
    )


@app.command()
def publish(config: str | None = ReadConfigOption, db: str | None = DbOption) -> None:
    """Publish the read-only analytics copy now (every run does this at its end)."""
    from storage.publish import publish as publish_copy

    database = _database(db, config)
    if not database.exists():
        raise _fail(f"database {database.describe()} does not exist yet: run `newswatch run` first")
    try:
        publication = publish_copy(database)
    except StorageError as error:
        raise _fail(str(error), code=1) from None
    typer.echo(f"published {publication.describe()}")


lake_app = typer.Typer(
    name="lake",
    help="Upkeep of a DuckLake (storage.backend: ducklake): compaction, published files, local services to try it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(lake_app)


def _config_lake(config: str) -> Any:
    from flows.stages.maintenance import config_lake

    try:
        return config_lake(_load(config), config)
    except ValueError as error:
        raise _fail(str(error)) from None


@lake_app.command("maintain")
def lake_maintain(
    config: str = ConfigOption,
    keep_snapshot_days: float = typer.Option(
        7, "--keep-snapshot-days", min=0, help="Time travel keeps working this many days back."
    ),
    keep_unused_file_days: float = typer.Option(
        2, "--keep-unused-file-days", min=0, help="Delete data files unused this many days."
    ),
) -> None:
    """Merge the lake's small files and expire old snapshots (the scheduled flow does this daily)."""
    from flows.stages.maintenance import maintain_lake

    lake = _config_lake(config)
    try:
        report = maintain_lake(
            lake,
            keep_snapshot_days=keep_snapshot_days,
            keep_unused_file_days=keep_unused_file_days,
        )
    except StorageError as error:
        raise _fail(str(error), code=1) from None
    typer.echo(report.as_text())


@lake_app.command("publish-file")
def lake_publish_file(
    out: Path = typer.Option(..., "--out", "-o", help="The DuckDB file to (re)write."),
    snapshot: int | None = typer.Option(
        None, "--snapshot", help="Lake snapshot to copy (default: the last published run)."
    ),
    config: str = ConfigOption,
) -> None:
    """Write a plain DuckDB file from the lake, for tools that cannot attach a lake."""
    from flows.stages.maintenance import publication_text, publish_lake_file

    lake = _config_lake(config)
    try:
        publication = publish_lake_file(lake, out, snapshot)
    except StorageError as error:
        raise _fail(str(error), code=1) from None
    typer.echo(publication_text(publication))


dev_services_app = typer.Typer(
    name="dev-services",
    help="Throw-away local PostgreSQL 15 and S3 (moto) for trying the lake on one machine.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
lake_app.add_typer(dev_services_app)
DevFolderOption = typer.Option(
    Path("data/lake-dev"),
    "--dir",
    metavar="DIR",
    help="Folder for the lake config, the env file with the credentials and the state.",
)


@dev_services_app.command("start")
def dev_services_start(
    folder: Path = DevFolderOption,
    config: str = typer.Option(
        DEFAULT_CONFIG_PATH,
        "--config",
        "-c",
        metavar="PATH",
        help="The config whose watch and sources the lake config copies.",
    ),
) -> None:
    """Start PostgreSQL and S3 on free loopback ports; write DIR/lake.yaml and DIR/lake.env."""
    from flows.app.devservices import DevServicesError, start_dev_services

    _load(config)  # a config that does not validate is refused before anything starts
    try:
        services = start_dev_services(folder, Path(config))
    except DevServicesError as error:
        raise _fail(str(error), code=1) from None
    typer.echo(
        f"PostgreSQL 15 on {services.postgres.host}:{services.postgres.port}, "
        f"S3 (moto_server) on {services.s3.endpoint}\n"
        f"lake config: {services.config}\n"
        f"credentials: {services.env_file}\n"
        f"try it:  . {services.env_file} && newswatch run --config {services.config}\n"
        f"stop:    newswatch lake dev-services stop --dir {folder}  (deletes the lake)"
    )


@dev_services_app.command("stop")
def dev_services_stop(folder: Path = DevFolderOption) -> None:
    """Stop the services started from DIR and delete DIR (the lake's data with it)."""
    from flows.app.devservices import DevServicesError, stop_dev_services

    try:
        stopped = stop_dev_services(folder)
    except DevServicesError as error:
        raise _fail(str(error), code=1) from None
    for line in stopped:
        typer.echo(f"stopped {line}")
    typer.echo(f"deleted {folder}")


@app.command()
def sources(config: str = ConfigOption, db: str | None = DbOption) -> None:
    """Show each source's health: last success, last error, failures in a row, items per run."""
    from storage.sources import source_states

    settings = _load(config)
    try:
        states = {state["name"]: state for state in source_states(_reader(db, config))}
    except StorageError as error:
        raise _fail(str(error)) from None
    rows = []
    for source in settings.sources:
        state = states.pop(source.name, {})
        rows.append(_source_row(source.name, source.kind, source.enabled, state))
    rows += [
        _source_row(name, state["kind"], False, state, note=" (not in config)")
        for name, state in states.items()
    ]
    typer.echo(
        _table(
            [
                "source",
                "kind",
                "enabled",
                "last success",
                "last outcome",
                "failures in a row",
                "backing off until",
                "items",
                "new",
                "failed items",
                "google links decoded/pending/failed",
                "last error",
            ],
            rows,
        )
    )


def _source_row(
    name: str, kind: str, enabled: bool, state: dict[str, Any], note: str = ""
) -> list[str]:
    return [
        name + note,
        kind,
        "yes" if enabled else "no",
        _cell(state.get("last_success_at")) or "never",
        _cell(state.get("last_outcome")),
        str(state.get("consecutive_failures", "")),
        _cell(state.get("backoff_until")),
        str(state.get("items_last_run", "")),
        str(state.get("new_last_run", "")),
        _cell(state.get("failed_items_last_run")),
        f"{state['links_decoded']}/{state['links_pending']}/{state['links_failed']}"
        if "links_decoded" in state
        else "",
        # Redacted again on display: a database written before redaction may still hold one.
        _cell(redact(str(state.get("last_error") or ""))),
    ]


def _cell(value: Any, limit: int = 80) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(columns: list[str], rows: list[list[str]]) -> str:
    widths = [
        max([len(column), *(len(row[index]) for row in rows)])
        for index, column in enumerate(columns)
    ]
    lines = [
        "  ".join(
            column.ljust(width) for column, width in zip(columns, widths, strict=True)
        ).rstrip()
    ]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
