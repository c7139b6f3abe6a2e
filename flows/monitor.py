"""The Prefect flows: ``daily_monitor``, ``backfill`` and ``reprocess``.

Each flow reads as the pipeline's table of contents; every task works on the
whole run's batch (not one task per article), does the I/O and carries the
retries, and the work itself lives in ``flows.stages`` (listing, gnews,
articles, backfill_plan, summary), ``extractors`` and ``storage``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Failed
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import quote

from extractors.article import Article
from extractors.urls import redact
from flows.config import DEFAULT_CONFIG_PATH, Config, load_config, shards_problem
from flows.fanout import publish_shard_reports, run_shards
from flows.fetching.http import FetchResult
from flows.stages import articles, backfill_plan, gnews, listing, maintenance, settings
from flows.stages.shards import Shard, plan_backfill_shards, plan_shards
from flows.stages.summary import RunSummary, recount
from flows.stages.types import Document, ItemFailure, Listing, SourceBatch, SourceReport, Window
from storage.articles import link_stories as link_stored_stories
from storage.backfill import done_days
from storage.database import StorageError, Store
from storage.publish import Publication, publish
from storage.raw import load_raw_pages, prune_raw_pages
from storage.report import top_new_stories
from storage.runs import fail_publication, fail_run, finish_run, start_run, stored_counts
from storage.sources import source_states_by_name

_Batch = TypeVar("_Batch")


def _as_is(value: _Batch) -> _Batch:
    """``value`` wrapped in Prefect's ``quote``: a batch-sized argument holds no futures, so
    Prefect need not walk it before each task. Typed as the value, as the task receives it."""
    return cast(_Batch, quote(value))


class AllSourcesFailedError(RuntimeError):
    """Every source failed: the data of the Failed state the flow run ends in (so alerting fires)."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__(summary.as_text())
        self.summary = summary


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a fetch task only for errors a second attempt can fix (network, disk, timeouts)."""
    try:
        state.result()
    except (OSError, TimeoutError):
        return True
    except Exception:
        return False
    return False


# Per-request retries with backoff live in the fetcher; these task retries
# cover a failure of the whole batch (e.g. the event loop or a disk error).
_FETCH_RETRIES: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": exponential_backoff(backoff_factor=2),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": _transient,
    "cache_policy": NO_CACHE,
}


@task(name="load-config", cache_policy=NO_CACHE)
def load_settings(config_path: str) -> Config:
    """Read and validate the config file."""
    return load_config(config_path)


@task(name="begin-run", cache_policy=NO_CACHE)
def begin_run(db: Store, flow_name: str, config_path: str, window: Window) -> tuple[str, datetime]:
    """Record the run in the ledger; its id is the Prefect flow run id."""
    run_id = str(flow_run.get_id() or uuid.uuid4())
    started_at = datetime.now(UTC)
    start_run(
        db,
        run_id=run_id,
        flow=flow_name,
        started_at=started_at,
        config_path=config_path,
        window_since=window.since,
        window_until=window.until,
    )
    return run_id, started_at


@task(name="list-sources", **_FETCH_RETRIES)
def list_sources(
    db: Store,
    config: Config,
    window: Window,
    only: Sequence[str],
    refresh: bool,
    day: date | None = None,
    cache: dict[str, FetchResult] | None = None,
    share: Sequence[str] | None = None,
) -> list[Listing]:
    """Fetch the feeds (conditional GET against the stored state), sitemaps and GDELT; list the folders."""
    listings = listing.list_sources(
        config, window, only, source_states_by_name(db), refresh, cache=cache, share=share
    )
    for each in listings:
        each.day = day
    return listings


@task(name="plan-backfill", cache_policy=NO_CACHE)
def plan_backfill(
    db: Store, config: Config, window: Window, only: Sequence[str], refresh: bool
) -> list[tuple[date, list[str]]]:
    """Each day of the range with the sources still to do (all when refreshing)."""
    names = [s.name for s in config.enabled_sources if not only or s.name in only]
    days = backfill_plan.backfill_days(window)
    done = set() if refresh else done_days(db, names, days[0], days[-1])
    plan = [(day, [name for name in names if (name, day) not in done]) for day in days]
    return [(day, todo) for day, todo in plan if todo]


@task(name="resolve-links", **_FETCH_RETRIES)
def resolve_links(
    db: Store,
    config: Config,
    listings: list[Listing],
    window: Window,
    now: datetime,
    refresh: bool,
) -> list[Listing]:
    """Aggregator links to publisher URLs: Bing links unwrapped, Google News links decoded once."""
    return gnews.resolve_links(db, config, listings, window, now, refresh)


@task(name="skip-known", cache_policy=NO_CACHE)
def skip_known(
    db: Store, listings: list[Listing], refresh: bool, window: Window | None = None
) -> list[Listing]:
    """Mark items already stored so they are not fetched again (in a backfill: drop stored ones outside the day)."""
    return articles.mark_known(db, listings, refresh, window)


@task(name="fetch-articles", **_FETCH_RETRIES)
def fetch_articles(config: Config, listings: list[Listing]) -> dict[str, Document | ItemFailure]:
    """Download the new articles' pages and read the new files."""
    return articles.fetch_documents(config, listings)


@task(name="extract-articles", cache_policy=NO_CACHE)
def extract_articles(
    db: Store,
    config: Config,
    listings: list[Listing],
    documents: dict[str, Document | ItemFailure],
    window: Window,
    now: datetime,
    memo: dict[str, Article | None] | None = None,
    before_run: str | None = None,
) -> list[SourceBatch]:
    """Extract, clean (with each provider's learned boilerplate) and classify every document."""
    return articles.extract_articles(
        listings,
        documents,
        settings.watch_from_config(config),
        window,
        now,
        boilerplate=articles.provider_boilerplate(db, before_run),
        memo=memo,
    )


@task(name="store-articles", cache_policy=NO_CACHE)
def store_articles(
    config: Config, db: Store, run_id: str, batches: list[SourceBatch], now: datetime
) -> list[SourceReport]:
    """Upsert each source's batch with its state and near-copies, one transaction per source.

    Stories are linked once the whole run is stored (``link_stories``).
    """
    reports = articles.store_batches(
        db,
        run_id,
        batches,
        now,
        settings.dedup_settings(config),
        config.fetch,
        link_stories=False,
    )
    if config.storage.raw_retention_days is not None:
        prune_raw_pages(db, now - timedelta(days=config.storage.raw_retention_days))
    return reports


@task(name="link-stories", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def link_stories(config: Config, db: Store) -> int:
    """Link the stories of everything the run stored, at once: the same in any batch order.

    Also links what a crashed earlier run stored and never linked. A failure does not fail
    the run: the stored articles stay marked (``story_id`` empty) and the next run links
    them; the error is logged. Returns how many articles were linked (0 on failure).
    """
    try:
        return link_stored_stories(db, settings.dedup_settings(config))
    except StorageError:
        raise  # the store itself is unusable: the run cannot go on either
    except Exception as error:  # one bad stored article must not stop every later run
        get_run_logger().error(
            "stories not linked (%s); the run's articles stay marked and the next run links them",
            redact(f"{type(error).__name__}: {error}"),
        )
        return 0


@task(name="count-stored", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def count_stored(db: Store, run_id: str, reports: list[SourceReport]) -> list[SourceReport]:
    """Each source's new, duplicate and off-topic articles as the store holds them at the end.

    Whatever order shards committed in and however often one was run again, the counts
    are those of the stored rows (storage.runs.stored_counts says why).
    """
    return recount(reports, stored_counts(db, run_id))


@task(name="report-run", cache_policy=NO_CACHE)
def report_run(db: Store, summary: RunSummary) -> None:
    """Close the run in the ledger, log the summary and leave a Prefect artifact."""
    finish_run(
        db,
        run_id=summary.run_id,
        finished_at=summary.finished_at,
        totals=summary.totals(),
        summary=summary.as_json(),
    )
    totals = summary.totals()
    get_run_logger().info(
        "%s: %d new, %d duplicate, %d off-topic, %d failed items; %d of %d sources failed",
        summary.status,
        totals.items_new,
        totals.items_duplicate,
        totals.items_off_topic,
        totals.items_failed,
        totals.sources_failed,
        totals.sources_total,
    )
    create_markdown_artifact(
        key="newswatch-run-summary",
        markdown=summary.as_markdown(top_stories=top_new_stories(db, summary.run_id)),
        description=f"newswatch {summary.flow} run summary",
    )


@task(name="publish-analytics", cache_policy=NO_CACHE)
def publish_analytics(db: Store, run_id: str) -> Publication:
    """Replace the read-only analytics copy analysts open with this run's whole result."""
    publication = publish(db, run_id=run_id)
    get_run_logger().info("published %s", publication.describe())
    return publication


def run_pipeline(
    flow_name: str,
    config_path: str,
    db_path: str | None,
    window: Window,
    sources: Sequence[str] = (),
    refresh: bool = False,
    shards: int | None = None,
) -> RunSummary | State:
    """The stages shared by both flows, in order; a Failed state when every source failed."""
    config = load_settings(config_path)
    if shards is not None:
        config = with_shards(config, shards)
    db = settings.open_store(config, db_path)
    run_id, started_at = begin_run(db, flow_name, config_path, window)
    try:
        if config.run.shards > 1:
            reports = _fan_out(
                config, config_path, db, run_id, started_at, window, sources, refresh
            )
        elif window.is_backfill:
            # Day by day, oldest first; each (source, day) is marked done with its batch,
            # so a re-run or a resumed backfill skips what is stored.
            cache: dict[str, FetchResult] = {}
            memo: dict[str, Article | None] = {}
            days = []
            for day, todo in plan_backfill(db, config, window, list(sources), refresh):
                days.append(
                    (
                        day,
                        _stages(
                            config,
                            db,
                            run_id,
                            started_at,
                            backfill_plan.day_window(day),
                            todo,
                            refresh,
                            day,
                            cache,
                            memo,
                        ),
                    )
                )
            reports = backfill_plan.merge_reports(days)
        else:
            reports = _stages(config, db, run_id, started_at, window, list(sources), refresh)
        link_stories(config, db)
        reports = count_stored(db, run_id, list(reports))
    except BaseException as error:
        _record_crash(db, run_id, error)
        raise
    summary = RunSummary(
        run_id, flow_name, started_at, datetime.now(UTC), db.describe(), tuple(reports)
    )
    report_run(db, summary)
    _publish(db, run_id)
    if summary.all_failed:
        # Returned, not raised: the flow run still ends Failed (alerting fires), but Prefect
        # logs no traceback for what is a reported outcome (e.g. a missing folder), not a crash.
        return Failed(
            message=summary.as_text().splitlines()[0], data=AllSourcesFailedError(summary)
        )
    return summary


def _stages(
    config: Config,
    db: Store,
    run_id: str,
    started_at: datetime,
    window: Window,
    only: list[str],
    refresh: bool,
    day: date | None = None,
    cache: dict[str, FetchResult] | None = None,
    memo: dict[str, Article | None] | None = None,
    share: Sequence[str] | None = None,
) -> list[SourceReport]:
    """List, skip what is stored, fetch, extract, store: one pass over the sources."""

    listings = list_sources(db, config, window, only, refresh, day, _as_is(cache), share)
    listings = resolve_links(db, config, _as_is(listings), window, started_at, refresh)
    listings = skip_known(db, _as_is(listings), refresh, window)
    documents = fetch_articles(config, _as_is(listings))
    # Provider boilerplate is learned only from earlier runs: what this run stored already
    # depends on order (one provider's feeds may be in two shards; a backfill's earlier
    # days may be another worker's shards), and a run gives the same result on one process
    # or many.
    batches = extract_articles(
        db,
        config,
        _as_is(listings),
        _as_is(documents),
        window,
        started_at,
        _as_is(memo),
        run_id,
    )
    return store_articles(config, db, run_id, _as_is(batches), started_at)


def with_shards(config: Config, shards: int) -> Config:
    """``config`` with ``run.shards`` replaced (``--shards``), checked as the config file is."""
    problem = shards_problem(shards, config.storage.backend)
    if problem:
        raise ValueError(f"shards: {problem}")
    return config.model_copy(update={"run": config.run.model_copy(update={"shards": shards})})


def _fan_out(
    config: Config,
    config_path: str,
    db: Store,
    run_id: str,
    started_at: datetime,
    window: Window,
    only: Sequence[str],
    refresh: bool,
) -> list[SourceReport]:
    """The run's stages as shard flow runs on the work pool (``run.shards``); their reports."""
    names = [s.name for s in config.enabled_sources if not only or s.name in only]
    if window.is_backfill:
        plan = plan_backfill(db, config, window, list(only), refresh)
        parts = plan_backfill_shards(plan, config.run.shards)
    else:
        parts = plan_shards(names, config.run.shards)

    def parameters(shard: Shard) -> dict[str, Any]:
        day = backfill_plan.day_window(shard.day) if shard.day else window
        return {
            "config_path": config_path,
            "run_id": run_id,
            "started_at": started_at,
            "sources": list(shard.sources),
            "only": list(only),
            "since": day.since,
            "until": day.until,
            "day": shard.day,
            "refresh": refresh,
            "shard_key": shard.key,
        }

    kinds = {source.name: source.kind for source in config.sources}
    done = run_shards(config.run, parts, parameters, kinds, f"{run_id[:8]}")
    if window.is_backfill:
        by_day: dict[date, list[SourceReport]] = {}
        for shard, reports in done:
            if shard.day is not None:
                by_day.setdefault(shard.day, []).extend(reports)
        return backfill_plan.merge_reports(sorted(by_day.items()))
    found = {report.name: report for _, reports in done for report in reports}
    # In config order, as a single process reports them.
    return [found[name] for name in names if name in found]


@flow(name="monitor-shard", log_prints=True)
def monitor_shard(
    config_path: str,
    run_id: str,
    started_at: datetime,
    sources: list[str],
    only: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    day: date | None = None,
    refresh: bool = False,
    shard_key: str = "shard",
) -> int:
    """One shard of a fanned-out run: list, fetch, extract and store some sources.

    Run by a worker of the work pool for a parent ``daily-monitor`` or ``backfill`` run
    (``run.shards`` > 1), under the parent's run id; the parent closes the run and publishes.

    Args:
        config_path: the sources.yaml, relative to the worker's working directory.
        run_id: the parent run's id (the ledger row the articles are stored under).
        started_at: the parent run's start (the run's clock).
        sources: the shard's source names.
        only: the source names the parent run was restricted to (they ignore back-off).
        since: start of the window (a backfill day), None in a daily run.
        until: end of the window.
        day: the backfill day.
        refresh: fetch and re-extract articles that are already stored.
        shard_key: the shard's name, for its report.

    Returns:
        How many sources the shard reported on.
    """
    config = load_settings(config_path)
    db = settings.open_store(config)
    reports = _stages(
        config,
        db,
        run_id,
        started_at,
        Window(since=since, until=until),
        list(only or ()),
        refresh,
        day,
        share=sources,
    )
    publish_shard_reports(shard_key, reports)
    return len(reports)


def _publish(db: Store, run_id: str) -> None:
    """Publish the analytics copy; a run whose copy could not be published ends failed."""
    try:
        publish_analytics(db, run_id)
    except StorageError as error:
        # The ledger must not say completed while the command exits 1; a database that
        # is itself the problem (held, damaged) cannot take the note either.
        with contextlib.suppress(StorageError):
            fail_publication(db, run_id=run_id, error=str(error))
        raise


def _record_crash(db: Store, run_id: str, error: BaseException) -> None:
    """Close the ledger row of a crashed run; a database that is itself the problem is left as is."""
    with contextlib.suppress(StorageError):
        fail_run(
            db,
            run_id=run_id,
            finished_at=datetime.now(UTC),
            # MemoryError() has no message: the type alone is still a reason.
            error=f"{type(error).__name__}: {error}" if str(error) else type(error).__name__,
        )


@flow(name="daily-monitor", log_prints=True)
def daily_monitor(
    config_path: str = DEFAULT_CONFIG_PATH,
    db_path: str | None = None,
    refresh: bool = False,
    shards: int | None = None,
) -> RunSummary | State:
    """Fetch what is new in every enabled source and store it.

    Args:
        config_path: the sources.yaml to use.
        db_path: the DuckDB file (default: the config's ``storage.db``; a config that
            stores into a DuckLake takes none).
        refresh: fetch and re-extract articles that are already stored.
        shards: split the run into this many shard flow runs on the work pool (a lake
            config only); default the config's ``run.shards``.
    """
    return run_pipeline(
        "daily-monitor", config_path, db_path, Window(), refresh=refresh, shards=shards
    )


@flow(name="backfill", log_prints=True)
def backfill(
    since: date,
    until: date | None = None,
    sources: list[str] | None = None,
    config_path: str = DEFAULT_CONFIG_PATH,
    db_path: str | None = None,
    refresh: bool = False,
    shards: int | None = None,
) -> RunSummary | State:
    """Store the items published in [since, until] from the given (or all) sources.

    Args:
        since: first publication day to include (UTC).
        until: last publication day to include (UTC); default today.
        sources: source names; all enabled sources when empty.
        config_path: the sources.yaml to use.
        db_path: the DuckDB file (default: the config's ``storage.db``; a config that
            stores into a DuckLake takes none).
        refresh: fetch and re-extract articles that are already stored.
        shards: split the run into days × this many source groups, each a shard flow run
            on the work pool (a lake config only); default the config's ``run.shards``.
    """
    window = date_window(since, until)
    return run_pipeline("backfill", config_path, db_path, window, sources or (), refresh, shards)


@task(name="load-raw-pages", cache_policy=NO_CACHE)
def load_raw(
    db: Store, config: Config, sources: Sequence[str], window: Window
) -> tuple[list[Listing], dict[str, Document | ItemFailure]]:
    """Stored raw pages (of some sources, fetched in a range) as listings and documents."""
    pages = load_raw_pages(db, sources=sources, since=window.since, until=window.until)
    return listing.raw_listings(config, pages)


@task(name="store-reextracted", cache_policy=NO_CACHE)
def store_reextracted(
    config: Config, db: Store, run_id: str, batches: list[SourceBatch], now: datetime
) -> list[SourceReport]:
    """Rewrite the re-extracted articles (sources' health and raw pages untouched)."""
    return articles.store_batches(
        db,
        run_id,
        batches,
        now,
        settings.dedup_settings(config),
        config.fetch,
        reextracted=True,
        link_stories=False,
    )


@flow(name="reprocess", log_prints=True)
def reprocess(
    since: date | None = None,
    until: date | None = None,
    sources: list[str] | None = None,
    config_path: str = DEFAULT_CONFIG_PATH,
    db_path: str | None = None,
) -> RunSummary:
    """Re-extract stored raw pages (after an extractor change) without fetching anything.

    Args:
        since: first fetch day (UTC) of the pages to re-extract; all when None.
        until: last fetch day (UTC); default today.
        sources: source names; all when empty.
        config_path: the sources.yaml to use (watch, dedup windows).
        db_path: the DuckDB file (default: the config's ``storage.db``; a config that
            stores into a DuckLake takes none).
    """
    config = load_settings(config_path)
    db = settings.open_store(config, db_path)
    window = date_window(since, until) if since else Window()
    run_id, started_at = begin_run(db, "reprocess", config_path, window)
    try:
        listings, documents = load_raw(db, config, list(sources or ()), window)
        # The window selected pages by fetch time; publication dates are not filtered.
        batches = extract_articles(
            db, config, _as_is(listings), _as_is(documents), Window(), started_at
        )
        reports = store_reextracted(config, db, run_id, _as_is(batches), started_at)
        link_stories(config, db)
    except BaseException as error:
        _record_crash(db, run_id, error)
        raise
    summary = RunSummary(
        run_id, "reprocess", started_at, datetime.now(UTC), db.describe(), tuple(reports)
    )
    report_run(db, summary)
    # Re-extracted bodies reach analysts the same way a run's new articles do.
    _publish(db, run_id)
    return summary


@task(
    name="maintain-lake",
    # A compaction step that conflicts with a writer's commit fails; the next try finds
    # the lake as that writer left it.
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_jitter_factor=0.5,
    cache_policy=NO_CACHE,
)
def maintain_lake(
    config: Config,
    config_path: str,
    keep_snapshot_days: float,
    keep_unused_file_days: float,
    publish_file: str | None,
) -> maintenance.MaintenanceReport:
    """Compact the lake, expire old snapshots, and publish a plain DuckDB file if asked."""
    report = maintenance.maintain_lake(
        maintenance.config_lake(config, config_path),
        keep_snapshot_days=keep_snapshot_days,
        keep_unused_file_days=keep_unused_file_days,
        publish_file=Path(publish_file) if publish_file else None,
    )
    get_run_logger().info("%s", report.as_text())
    return report


@flow(name="lake-maintenance", log_prints=True)
def lake_maintenance(
    config_path: str = DEFAULT_CONFIG_PATH,
    keep_snapshot_days: float = 7,
    keep_unused_file_days: float = 2,
    publish_file: str | None = None,
) -> maintenance.MaintenanceReport:
    """Keep a lake small and fast: merge small files, expire old snapshots (scheduled daily).

    Args:
        config_path: a sources.yaml with ``storage.backend: ducklake``.
        keep_snapshot_days: time travel keeps working this far back.
        keep_unused_file_days: data files no snapshot needs are deleted after this long.
        publish_file: also (re)write this plain DuckDB file from the last published run.
    """
    config = load_settings(config_path)
    return maintain_lake(
        config, config_path, keep_snapshot_days, keep_unused_file_days, publish_file
    )


def date_window(since: date, until: date | None) -> Window:
    """The UTC window from the start of ``since`` to the end of ``until`` (inclusive days)."""
    last_day = until or datetime.now(UTC).date()
    if last_day < since:
        raise ValueError(f"the date range is empty: until {last_day} is before since {since}")
    return Window(
        since=datetime.combine(since, time.min, tzinfo=UTC),
        until=datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC),
    )
