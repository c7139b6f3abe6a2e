"""newswatch's tables in a DuckLake: a catalog (PostgreSQL) and Parquet data (S3 or a folder).

The embedded default stays one DuckDB file (:mod:`storage.database`). A lake is what
several machines write into at once: DuckDB's own lakehouse format, with the catalog in
PostgreSQL (many writers on many machines; a local DuckDB file serves one writer) and
the data as Parquet files on S3-compatible storage or in a shared folder.

A :class:`Lake` is a :class:`storage.database.Store` like the file: every function of
``storage`` (articles, sources, runs, near-copies, stories, raw and rejected pages,
boilerplate memory, backfill progress, queries, reports, exports) takes either, with the
same SQL. Statements are the ones both accept: a lake has no primary keys, unique
constraints or indexes, so upserts are ``MERGE INTO`` (never ``ON CONFLICT`` or
``INSERT OR REPLACE``), and a ``DELETE`` has no ``RETURNING``.

- :class:`Lake` opens a private in-memory DuckDB with automatic extension download off,
  loads ``ducklake``, ``postgres_scanner`` and ``httpfs`` from their wheels
  (:mod:`storage.extensions`), gives the credentials to DuckDB as temporary secrets (never
  inside a connection string, so no error message can quote them), and attaches the lake;
  the attached lake is kept for the process and each connection is a cursor on it.
- :func:`lake_schema` derives the lake's tables, views and comments from
  :mod:`storage.schema` by running its migrations in a throw-away in-memory database and
  reading the result back: the SQL of the schema is written once. Keys and indexes are
  left out; NOT NULL and literal defaults are kept.
- :meth:`Lake.write` runs one transaction (a source's batch with its state, near-copies
  and stories; a run's ledger row) and runs it again when its commit conflicts.
- Readers (``connect(read_only=True)``) see whole commits and can look back;
  :meth:`Lake.publish` marks a finished run's snapshot and :meth:`Lake.published` reads
  the lake as of it (what `newswatch query`, `report`, `export` and `sources` open);
  :meth:`Lake.publish_file` copies one snapshot into a plain newswatch DuckDB file;
  :meth:`Lake.maintain` compacts small files and expires old snapshots.

Exactly once across processes: without a unique key, two processes merging the same new
article at the same time would each find it missing and both insert it (seen here).
Every write transaction therefore also updates the ``articles`` row of the lake's
``write_guards`` table; two concurrent writes then touch the same row, DuckLake aborts
the later commit as a conflict, and it runs again (with back-off) against the rows the
first one committed. Writes are serialised at commit only: fetching and extracting, the
bulk of a run, happen in parallel.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import duckdb

from storage.database import StorageError
from storage.extensions import NO_AUTOMATIC_EXTENSIONS, load_extensions
from storage.schema import MIGRATIONS, SCHEMA_VERSION

GUARD_TABLE = "write_guards"
# A lake opened at the last published run (Lake.published); publications are the snapshots
# newswatch commits with this author and message.
PUBLISHED = "published"
_AUTHOR = "newswatch"
_PUBLISH_MESSAGE = "publish"
_T = TypeVar("_T")
# Attached lakes kept for the process (see Lake.connect), by settings, alias, mode and pid.
_ATTACHED: dict[tuple[object, ...], duckdb.DuckDBPyConnection] = {}
_ATTACHED_LOCK = threading.Lock()
_GUARD_COMMENTS = {
    None: (
        "Lake only: every write transaction of the pipeline updates the row 'articles' in "
        "the same transaction, so two concurrent writes conflict and the later is retried "
        "against the first one's rows (a lake has no unique keys)."
    ),
    "name": "The guarded table (articles).",
    "commits": "Write transactions committed through this guard.",
    "updated_at": "UTC time of the last write.",
}
_CONFLICT = re.compile(r"conflict", re.IGNORECASE)
# Creating the schema while another process does: a commit conflict, or (when the other
# committed first) a table that already exists.
_SCHEMA_RACE = re.compile(r"conflict|already exists", re.IGNORECASE)
_CATALOG_RACE = re.compile(
    r"Failed to initialize DuckLake.*(duplicate key|already exists)", re.IGNORECASE | re.DOTALL
)


class LakeError(StorageError):
    """The lake cannot be attached or written; the message carries no credential."""


class LakeConflictError(LakeError):
    """An upsert still conflicted with concurrent writers after every retry."""


@dataclass(frozen=True)
class PostgresCatalog:
    """A DuckLake catalog in a PostgreSQL database (many writers on many machines).

    Args:
        dbname: the database holding the catalog (it must exist; DuckLake creates its
            tables on first attach).
        host: server address.
        port: server port.
        user: login role.
        password: the role's password; None when the server needs none (or libpq finds
            it in ``~/.pgpass``). Never shown by ``repr`` nor put in a connection string.
    """

    dbname: str
    host: str = "localhost"
    port: int = 5432
    user: str = "postgres"
    password: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """Where the catalog is, without the password."""
        return f"postgres:host={self.host} port={self.port} user={self.user} dbname={self.dbname}"


@dataclass(frozen=True)
class S3Storage:
    """Credentials and endpoint for ``s3://`` data paths.

    Args:
        key_id: access key id (e.g. from ``AWS_ACCESS_KEY_ID``).
        secret: secret access key; never shown by ``repr``.
        region: the bucket's region.
        endpoint: ``host:port`` of an S3-compatible service (MinIO, moto, Ceph …); None
            for AWS itself.
        url_style: ``path`` (most S3-compatible services) or ``vhost`` (AWS).
        use_ssl: False only for a local endpoint without TLS.
    """

    key_id: str | None = None
    secret: str | None = field(default=None, repr=False)
    region: str = "us-east-1"
    endpoint: str | None = None
    url_style: str = "vhost"
    use_ssl: bool = True


@dataclass(frozen=True)
class LakeSettings:
    """Where a lake is.

    Args:
        catalog: a PostgreSQL catalog, or the path of a local DuckDB catalog file (one
            writer at a time: single-machine use).
        data_path: where Parquet files go: ``s3://bucket/prefix/`` or a folder. Only
            used when the lake is created; an existing lake keeps its own.
        s3: credentials for an ``s3://`` data path.
        max_attempts: tries of one upsert that keeps conflicting with other writers.
    """

    catalog: PostgresCatalog | Path
    data_path: str
    s3: S3Storage | None = None
    max_attempts: int = 20


@dataclass(frozen=True)
class LakeColumn:
    """One column of a lake table, as the file's schema has it."""

    name: str
    data_type: str
    not_null: bool
    default: str | None
    comment: str | None


@dataclass(frozen=True)
class LakeTable:
    """One lake table: its columns in order and its comment."""

    name: str
    columns: tuple[LakeColumn, ...]
    comment: str | None


@dataclass(frozen=True)
class LakeView:
    """One view: its defining SQL (as DuckDB gives it back) and its comment."""

    name: str
    sql: str
    comment: str | None


@dataclass(frozen=True)
class LakeSchema:
    """The tables and views of newswatch's schema at :data:`SCHEMA_VERSION`."""

    version: int
    tables: tuple[LakeTable, ...]
    views: tuple[LakeView, ...]

    def create_statements(self, existing: dict[str, set[str]]) -> list[str]:
        """Statements that bring a lake with ``existing`` tables (and columns) to this schema.

        Missing tables are created and missing columns added (every migration so far only
        adds); views are created again, since their definition may have changed. Comments
        are set on everything.
        """
        statements: list[str] = []
        for table in self.tables:
            if table.name not in existing:
                columns = ", ".join(_column_sql(column) for column in table.columns)
                statements.append(f"CREATE TABLE {_name(table.name)} ({columns})")
            else:
                statements.extend(
                    f"ALTER TABLE {_name(table.name)} ADD COLUMN {_column_sql(column)}"
                    for column in table.columns
                    if column.name not in existing[table.name]
                )
            if table.comment:
                statements.append(f"COMMENT ON TABLE {_name(table.name)} IS {_text(table.comment)}")
            statements.extend(
                f"COMMENT ON COLUMN {_name(table.name)}.{_name(column.name)} IS {_text(column.comment)}"
                for column in table.columns
                if column.comment
            )
        for view in self.views:
            statements.append(_CREATE_VIEW.sub("CREATE OR REPLACE VIEW", view.sql.rstrip(";"), 1))
            if view.comment:
                statements.append(f"COMMENT ON VIEW {_name(view.name)} IS {_text(view.comment)}")
            # DuckLake 1.0 keeps no comments on a view's columns ("Cannot comment on columns
            # for entry … - it is not a table"): in a lake they are described in the file
            # schema and README only.
        return statements


_CREATE_VIEW = re.compile(r"^\s*CREATE\s+VIEW", re.IGNORECASE)


@functools.cache
def lake_schema() -> LakeSchema:
    """newswatch's schema for a lake, derived from :mod:`storage.schema`.

    The migrations run in a throw-away in-memory DuckDB; its tables (columns, types, NOT
    NULL, defaults, comments) and views (SQL, comments) are read back. Keys and indexes
    are not carried over: a lake has none.
    """
    connection = duckdb.connect(
        ":memory:", config={**NO_AUTOMATIC_EXTENSIONS, "enable_external_access": False}
    )
    try:
        for migration in MIGRATIONS:
            for statement in migration.statements:
                connection.execute(statement)
        table_rows = connection.execute(
            """
            SELECT table_name, comment FROM duckdb_tables()
            WHERE database_name = current_database() AND schema_name = 'main'
            ORDER BY table_oid
            """
        ).fetchall()
        column_rows = connection.execute(
            """
            SELECT table_name, column_name, data_type, NOT is_nullable, column_default, comment
            FROM duckdb_columns()
            WHERE database_name = current_database() AND schema_name = 'main'
            ORDER BY table_oid, column_index
            """
        ).fetchall()
        view_rows = connection.execute(
            """
            SELECT view_name, sql, comment FROM duckdb_views()
            WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal
            ORDER BY view_oid
            """
        ).fetchall()
    finally:
        connection.close()
    columns: dict[str, list[LakeColumn]] = {}
    for table, name, data_type, not_null, default, comment in column_rows:
        columns.setdefault(table, []).append(
            LakeColumn(name, data_type, not_null, default, comment)
        )
    tables = tuple(LakeTable(name, tuple(columns[name]), comment) for name, comment in table_rows)
    views = tuple(LakeView(name, sql, comment) for name, sql, comment in view_rows)
    guard = LakeTable(
        GUARD_TABLE,
        (
            LakeColumn("name", "VARCHAR", True, None, _GUARD_COMMENTS["name"]),
            LakeColumn("commits", "BIGINT", True, None, _GUARD_COMMENTS["commits"]),
            LakeColumn("updated_at", "TIMESTAMP", False, None, _GUARD_COMMENTS["updated_at"]),
        ),
        _GUARD_COMMENTS[None],
    )
    return LakeSchema(SCHEMA_VERSION, (*tables, guard), views)


@dataclass(frozen=True)
class LakePublication:
    """A plain DuckDB file published from the lake: where, from which snapshot, how many articles."""

    path: Path
    snapshot_id: int
    articles: int
    published_at: datetime


@dataclass(frozen=True)
class MaintenanceResult:
    """What :meth:`Lake.maintain` did: live data files before and after, and what it removed."""

    files_before: int
    files_after: int
    snapshots_expired: int
    files_deleted: int


class Lake:
    """A DuckLake holding newswatch's tables.

    Args:
        settings: where the catalog and the data are.
        alias: the name the lake is attached as in each connection.
    """

    def __init__(
        self, settings: LakeSettings, alias: str = "lake", *, at: int | str | None = None
    ) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", alias):
            raise ValueError(f"lake alias must be a plain lower-case name, not {alias!r}")
        if at is not None and at != PUBLISHED and not isinstance(at, int):
            raise ValueError(f"at is a snapshot id or {PUBLISHED!r}, not {at!r}")
        self.settings = settings
        self.alias = alias
        self.at = at

    def __repr__(self) -> str:
        return f"Lake({self.describe()!r})"

    def describe(self) -> str:
        """Catalog and data path, without credentials (for messages and logs)."""
        catalog = self.settings.catalog
        where = catalog.describe() if isinstance(catalog, PostgresCatalog) else str(catalog)
        return f"lake {where} data {self.settings.data_path}"

    def exists(self) -> bool:
        """Always True: a writer creates the tables, a reader says when there are none."""
        return True

    def published(self) -> Lake:
        """This lake as analysts' commands read it: as of the last published run (see :meth:`publish`)."""
        return Lake(self.settings, self.alias, at=PUBLISHED)

    @contextmanager
    def connect(
        self, read_only: bool = False, *, write_dir: Path | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with the lake attached (as :attr:`alias`, the default database).

        A writer's connection brings the lake's schema up to date first. A reader's
        (``read_only``) writes nothing and reaches no file but the lake's data (and
        ``write_dir``, for an export): it sees whole committed snapshots only, and earlier
        ones with ``AT (VERSION => n)``; a lake opened ``at`` a snapshot (or at the last
        published run) sees that snapshot.

        The attached lake is kept for the process (attaching costs about 0.6 s: loading
        the extensions, a catalog round trip); each ``connect`` is a cursor on it, which
        begins every transaction at the latest snapshot.

        Raises:
            ExtensionMissingError: an extension wheel is not installed.
            LakeError: the catalog or the data path cannot be reached (the message names
                them without credentials), or a reader finds no newswatch tables.
        """
        if self.at is not None or write_dir is not None:
            instance = self._open(read_only=True, write_dir=write_dir)
            try:
                yield instance
            finally:
                instance.close()
            return
        cursor = self._instance(read_only).cursor()
        try:
            cursor.execute(f"USE {self.alias}")
            yield cursor
        finally:
            cursor.close()

    def write(self, body: Callable[[duckdb.DuckDBPyConnection], _T]) -> _T:
        """Run ``body`` in one transaction, again from the start when the commit conflicts.

        A lake has no unique keys, so what keeps every key once (``MERGE INTO`` against the
        rows a transaction sees) is that writes do not interleave: every write transaction
        also updates the ``write_guards`` row; two concurrent ones then conflict, DuckLake
        aborts the later commit, and it runs again (with jittered back-off) against the
        rows the first one committed.

        Raises:
            LakeConflictError: still conflicting after ``settings.max_attempts`` tries.
            LakeError: the transaction failed for another reason.
        """
        for attempt in range(1, self.settings.max_attempts + 1):
            with self.connect() as connection:
                try:
                    connection.execute("BEGIN TRANSACTION")
                    result = body(connection)
                    connection.execute(
                        f"UPDATE {GUARD_TABLE} SET commits = commits + 1, updated_at = ? "
                        "WHERE name = 'articles'",
                        [datetime.now(UTC).replace(tzinfo=None)],
                    )
                    connection.execute("COMMIT")
                    return result
                except duckdb.Error as error:
                    _rollback_quietly(connection)
                    if not _CONFLICT.search(str(error)):
                        raise
                    if attempt == self.settings.max_attempts:
                        raise LakeConflictError(
                            f"a write into {self.describe()} still conflicted after {attempt} "
                            f"tries: {_line(error)}"
                        ) from None
                except BaseException:
                    _rollback_quietly(connection)
                    raise
            # Back off (with jitter, so the losers do not collide again in step).
            time.sleep(min(2.0, 0.05 * 1.6**attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")  # pragma: no cover

    def publish(self, run_id: str | None) -> int:
        """Mark the lake's current state as a published run: what analysts' commands read.

        Runs commit source by source; a reader that opens :meth:`published` sees the
        lake as of the last publication, so never half a run. Records ``published_at`` and
        ``published_run_id`` in ``schema_info`` (as the file's analytics copy does) in a
        snapshot with the commit message ``publish``.

        Returns:
            The snapshot id of the publication.
        """
        published_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        def stamp(connection: duckdb.DuckDBPyConnection) -> None:
            connection.execute(
                """
                MERGE INTO schema_info AS info
                USING (SELECT unnest(?) AS key, unnest(?) AS value) AS stamp
                ON info.key = stamp.key
                WHEN MATCHED THEN UPDATE SET value = stamp.value
                WHEN NOT MATCHED THEN INSERT BY NAME
                """,
                [["published_at", "published_run_id"], [published_at, run_id or ""]],
            )
            connection.execute(
                f"CALL {self.alias}.set_commit_message(?, ?)", [_AUTHOR, _PUBLISH_MESSAGE]
            )

        self.write(stamp)
        with self.connect(read_only=True) as connection:
            snapshot = _published_snapshot(connection, self.alias)
        return snapshot or 0

    def _instance(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        def key(mode: bool) -> tuple[object, ...]:
            return (self.settings, self.alias, mode, os.getpid())

        local = isinstance(self.settings.catalog, Path)
        with _ATTACHED_LOCK:
            if local:
                # A local catalog file can be attached once per process ("Unique file
                # handle conflict", seen here): a reader shares this process's writer
                # attachment, and a writer replaces a reader's.
                if read_only and key(False) in _ATTACHED:
                    return _ATTACHED[key(False)]
                if not read_only and key(True) in _ATTACHED:
                    with contextlib.suppress(duckdb.Error):
                        _ATTACHED.pop(key(True)).close()
            instance = _ATTACHED.get(key(read_only))
            if instance is None:
                instance = self._open(read_only)
                _ATTACHED[key(read_only)] = instance
        return instance

    def _open(self, read_only: bool, write_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
        """A private in-memory DuckDB with the lake attached, its schema checked or brought up to date."""
        connection = duckdb.connect(
            ":memory:",
            config={**NO_AUTOMATIC_EXTENSIONS, "python_enable_replacements": False},
        )
        try:
            # No progress bar: DuckDB draws one on stdout for statements over 2 s (seen in
            # a worker's output), which is noise in a pipeline's output and logs.
            connection.execute("SET enable_progress_bar = false")
            connection.execute("SET GLOBAL TimeZone = 'UTC'")
            self._prepare(connection)
            snapshot = self._snapshot_to_read(connection) if self.at is not None else None
            self._attach(connection, read_only, snapshot)
            if read_only:
                self._check_schema(connection)
                self._harden(connection, write_dir)
            else:
                self._ensure_schema(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _snapshot_to_read(self, connection: duckdb.DuckDBPyConnection) -> int | None:
        """The snapshot a lake opened ``at`` reads: the given one, or the last publication's."""
        if isinstance(self.at, int):
            return self.at
        self._attach(connection, True, None)
        try:
            return _published_snapshot(connection, self.alias)
        finally:
            connection.execute("USE memory")
            connection.execute(f"DETACH {self.alias}")

    def _harden(self, connection: duckdb.DuckDBPyConnection, write_dir: Path | None) -> None:
        """A reader reaches the lake's data (and an export's folder) and no other file."""
        allowed = [self.settings.data_path]
        if write_dir is not None:
            # As the file's export (storage.database): the folder itself and what is below it.
            directory = str(Path(write_dir).resolve())
            connection.execute("SET allowed_paths = ?", [[directory]])
            allowed.append(directory + os.sep)
        connection.execute("SET allowed_directories = ?", [allowed])
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")

    def maintain(
        self,
        connection: duckdb.DuckDBPyConnection,
        *,
        keep_snapshots: timedelta = timedelta(days=7),
        keep_unused_files: timedelta = timedelta(days=2),
    ) -> MaintenanceResult:
        """Compact the lake: small inlined and Parquet writes merged, old snapshots dropped.

        Every upsert leaves a small Parquet file (or rows inlined in the catalog); this
        flushes inlined rows to Parquet, merges adjacent small files, expires snapshots
        older than ``keep_snapshots`` (time travel before that stops working), and deletes
        files that were unused for longer than ``keep_unused_files`` (a reader still
        scanning them must have finished by then). The last published run's snapshot is
        never expired: the reading commands read the lake as of it. Meant for a scheduled
        maintenance run, one at a time; a writer whose commit conflicts with a merge is
        retried (:meth:`write`), a merge that conflicts fails: run it again.

        Args:
            connection: a writer's connection from :meth:`connect`.
            keep_snapshots: how far back time travel must keep working.
            keep_unused_files: how long a file no snapshot needs is kept.
        """
        before = self._live_files(connection)
        lake = _text(self.alias)
        connection.execute(f"CALL ducklake_flush_inlined_data({lake})").fetchall()
        connection.execute(f"CALL ducklake_merge_adjacent_files({lake})").fetchall()
        cutoff = datetime.now(UTC) - keep_snapshots
        published = _published_snapshot(connection, self.alias)
        if published is not None:
            row = connection.execute(
                f"SELECT snapshot_time FROM {self.alias}.snapshots() WHERE snapshot_id = ?",
                [published],
            ).fetchone()
            if row is not None:
                cutoff = min(cutoff, row[0])
        expired = connection.execute(
            f"CALL ducklake_expire_snapshots({lake}, older_than => ?::TIMESTAMPTZ)",
            [cutoff],
        ).fetchall()
        deleted = connection.execute(
            f"CALL ducklake_cleanup_old_files({lake}, older_than => ?::TIMESTAMPTZ)",
            [datetime.now(UTC) - keep_unused_files],
        ).fetchall()
        return MaintenanceResult(
            files_before=before,
            files_after=self._live_files(connection),
            snapshots_expired=len(expired),
            files_deleted=len(deleted),
        )

    def publish_file(
        self,
        connection: duckdb.DuckDBPyConnection,
        target: Path,
        snapshot: int | None = None,
    ) -> LakePublication:
        """Copy one snapshot of the lake into a plain newswatch DuckDB file, atomically.

        For tools that cannot attach a lake: the file has the file schema (keys, indexes,
        every comment) and opens like an analytics copy, read-only (by DuckDB 1.5, and by
        2.0, which reads 1.5 files). Every table is read from one snapshot; ``schema_info``
        records which (``published_lake_snapshot``) and the run it shows
        (``published_run_id``). A key the lake holds twice fails the copy and leaves
        ``target`` as it was.

        Args:
            connection: a writer's connection from :meth:`connect`.
            target: the file to create or replace.
            snapshot: the snapshot to copy; by default the last published run's (the
                latest before the first publication), what the reading commands show.

        Raises:
            LakeError: the copy failed; ``target`` is unchanged.
        """
        from storage.database import Database  # the file's own schema and hardening

        target = Path(target)
        temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        for leftover in (temporary, Path(f"{temporary}.wal")):
            leftover.unlink(missing_ok=True)
        published_at = datetime.now(UTC)
        alias = "newswatch_published"
        try:
            with Database(temporary).connect():
                pass  # creates every table, view and comment of the file schema
            connection.execute(f"ATTACH {_text(str(temporary))} AS {alias}")
            try:
                connection.execute("BEGIN TRANSACTION")
                if snapshot is None:
                    snapshot = _published_snapshot(connection, self.alias)
                if snapshot is None:
                    row = connection.execute(
                        f"SELECT max(snapshot_id) FROM {self.alias}.snapshots()"
                    ).fetchone()
                    snapshot = int(row[0]) if row and row[0] is not None else 0
                at = f"AT (VERSION => {int(snapshot)})"
                for table in lake_schema().tables:
                    if table.name in (GUARD_TABLE, "schema_info"):
                        continue
                    name = _name(table.name)
                    connection.execute(
                        f"INSERT INTO {alias}.main.{name} BY NAME "
                        f"SELECT * FROM {self.alias}.main.{name} {at}"
                    )
                run_row = connection.execute(
                    f"SELECT value FROM {self.alias}.main.schema_info {at} "
                    "WHERE key = 'published_run_id'"
                ).fetchone()
                articles_row = connection.execute(
                    f"SELECT count(*) FROM {alias}.main.articles"
                ).fetchone()
                articles = int(articles_row[0]) if articles_row else 0
                connection.executemany(
                    f"INSERT OR REPLACE INTO {alias}.main.schema_info VALUES (?, ?)",
                    [
                        ["published_at", published_at.strftime("%Y-%m-%dT%H:%M:%SZ")],
                        ["published_lake_snapshot", str(snapshot)],
                        ["published_run_id", str(run_row[0]) if run_row else ""],
                    ],
                )
                connection.execute("COMMIT")
            except BaseException:
                _rollback_quietly(connection)
                raise
            finally:
                connection.execute(f"DETACH {alias}")
            temporary.chmod(0o444)
            os.replace(temporary, target)
        except (OSError, duckdb.Error, StorageError) as error:
            temporary.unlink(missing_ok=True)
            raise LakeError(
                f"could not publish {self.describe()} to {target} ({_line(error)}); "
                f"{target} is unchanged"
            ) from None
        return LakePublication(target, snapshot, articles, published_at)

    def _live_files(self, connection: duckdb.DuckDBPyConnection) -> int:
        """Data files the latest snapshot reads, over all tables."""
        row = connection.execute(
            f"SELECT count(*) FROM {_name('__ducklake_metadata_' + self.alias)}.ducklake_data_file "
            "WHERE end_snapshot IS NULL"
        ).fetchone()
        return int(row[0]) if row else 0

    def _prepare(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Load the extensions the lake needs and give DuckDB its credentials."""
        settings = self.settings
        catalog = settings.catalog
        remote_data = settings.data_path.startswith("s3://")
        names = ["ducklake"]
        if isinstance(catalog, PostgresCatalog):
            names.append("postgres_scanner")
        if remote_data:
            names.append("httpfs")
        load_extensions(connection, names)
        try:
            # Temporary secrets live in this in-memory DuckDB only; DuckDB redacts them
            # in duckdb_secrets(), and no connection string carries them.
            if isinstance(catalog, PostgresCatalog):
                connection.execute(
                    "CREATE TEMPORARY SECRET (TYPE postgres, "
                    f"HOST {_text(catalog.host)}, PORT {int(catalog.port)}, "
                    f"USER {_text(catalog.user)}, DATABASE {_text(catalog.dbname)}"
                    + (f", PASSWORD {_text(catalog.password)}" if catalog.password else "")
                    + ")"
                )
            if remote_data:
                connection.execute(_s3_secret(settings.s3 or S3Storage()))
        except duckdb.Error as error:
            hidden = [value for value in self._credentials() if value]
            raise LakeError(
                f"cannot attach the lake {self.describe()}: {_scrub(_line(error), hidden)}"
            ) from None

    def _attach(
        self, connection: duckdb.DuckDBPyConnection, read_only: bool, snapshot: int | None
    ) -> None:
        settings = self.settings
        catalog = settings.catalog
        if isinstance(catalog, PostgresCatalog):
            target = f"ducklake:postgres:dbname={catalog.dbname}"
        else:
            target = f"ducklake:{catalog}"
        # A writer inlines nothing in the catalog. With DuckLake 1.0's default (writes of
        # up to 10 rows, the guard row's update among them, go into catalog tables),
        # two processes storing shards at once lost a stored article in 3 of 6 runs of
        # bench/bench_lake.py (an update of an inlined row by one commit and a concurrent
        # one by another were not caught as a conflict); with inlining off, none in 3 runs.
        options = (
            "READ_ONLY"
            if read_only
            else f"DATA_PATH {_text(settings.data_path)}, DATA_INLINING_ROW_LIMIT 0"
        )
        if snapshot is not None:
            options += f", SNAPSHOT_VERSION {int(snapshot)}"
        attach = f"ATTACH {_text(target)} AS {self.alias} ({options})"
        try:
            for attempt in range(1, self.settings.max_attempts + 1):
                try:
                    connection.execute(attach)
                    break
                except duckdb.Error as error:
                    # DuckLake creates its catalog tables on the first ATTACH, and two
                    # processes doing so at once collide in Postgres (seen here: duplicate
                    # key on ducklake_metadata): the loser attaches the winner's catalog.
                    if attempt == self.settings.max_attempts or not _CATALOG_RACE.search(
                        str(error)
                    ):
                        raise
                    time.sleep(0.1 * attempt * (0.5 + random.random()))
            connection.execute(f"USE {self.alias}")
        except duckdb.Error as error:
            hidden = [value for value in self._credentials() if value]
            raise LakeError(
                f"cannot attach the lake {self.describe()}: {_scrub(_line(error), hidden)}"
            ) from None

    def _credentials(self) -> list[str | None]:
        catalog = self.settings.catalog
        s3 = self.settings.s3
        return [
            catalog.password if isinstance(catalog, PostgresCatalog) else None,
            s3.secret if s3 else None,
        ]

    def _check_schema(self, connection: duckdb.DuckDBPyConnection) -> None:
        """A reader's check: newswatch's tables are there, at a version it understands."""
        version = self._recorded_version(connection, self._existing_columns(connection))
        if version == 0:
            raise LakeError(
                f"{self.describe()} has no newswatch tables yet: run `newswatch run` first"
            )
        if version > lake_schema().version:
            raise LakeError(
                f"{self.describe()} has schema version {version}, newer than this "
                f"newswatch understands ({lake_schema().version}); upgrade newswatch"
            )

    def _ensure_schema(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Create the lake's tables and views, or add what a newer schema added; retried on conflict."""
        schema = lake_schema()
        for attempt in range(1, self.settings.max_attempts + 1):
            existing = self._existing_columns(connection)
            version = self._recorded_version(connection, existing)
            if version > schema.version:
                raise LakeError(
                    f"{self.describe()} has schema version {version}, newer than this "
                    f"newswatch understands ({schema.version}); upgrade newswatch"
                )
            if version == schema.version and GUARD_TABLE in existing:
                return
            try:
                connection.execute("BEGIN TRANSACTION")
                for statement in schema.create_statements(existing):
                    connection.execute(statement)
                if GUARD_TABLE not in existing:
                    connection.execute(f"INSERT INTO {GUARD_TABLE} VALUES ('articles', 0, NULL)")
                connection.execute("DELETE FROM schema_info WHERE key = 'schema_version'")
                connection.execute(
                    "INSERT INTO schema_info VALUES ('schema_version', ?)", [str(schema.version)]
                )
                connection.execute("COMMIT")
                return
            except duckdb.Error as error:
                _rollback_quietly(connection)
                # Another process created or upgraded the schema at the same time: look again.
                if attempt == self.settings.max_attempts or not _SCHEMA_RACE.search(str(error)):
                    raise LakeError(
                        f"cannot create newswatch's tables in the lake {self.describe()}: "
                        f"{_line(error)}"
                    ) from None
                time.sleep(0.05 * attempt * (0.5 + random.random()))

    def _existing_columns(self, connection: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
        existing: dict[str, set[str]] = {}
        for table, column in connection.execute(
            """
            SELECT c.table_name, c.column_name FROM duckdb_columns() AS c
            JOIN duckdb_tables() AS t
              ON t.database_name = c.database_name AND t.schema_name = c.schema_name
             AND t.table_name = c.table_name
            WHERE c.database_name = ? AND c.schema_name = 'main'
            """,
            [self.alias],
        ).fetchall():
            existing.setdefault(table, set()).add(column)
        return existing

    @staticmethod
    def _recorded_version(
        connection: duckdb.DuckDBPyConnection, existing: dict[str, set[str]]
    ) -> int:
        if "schema_info" not in existing:
            return 0
        row = connection.execute(
            "SELECT max(value::INTEGER) FROM schema_info WHERE key = 'schema_version'"
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else 0


def _published_snapshot(connection: duckdb.DuckDBPyConnection, alias: str) -> int | None:
    """The snapshot of the last publication in an attached lake, or None before the first."""
    row = connection.execute(
        f"SELECT max(snapshot_id) FROM {alias}.snapshots() WHERE author = ? AND commit_message = ?",
        [_AUTHOR, _PUBLISH_MESSAGE],
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def release_attached() -> None:
    """Close the lakes this process keeps attached (tests; a long-lived process that is done)."""
    with _ATTACHED_LOCK:
        for connection in _ATTACHED.values():
            with contextlib.suppress(duckdb.Error):
                connection.close()
        _ATTACHED.clear()


def _s3_secret(s3: S3Storage) -> str:
    parts = ["TYPE s3", f"REGION {_text(s3.region)}", f"URL_STYLE {_text(s3.url_style)}"]
    parts.append(f"USE_SSL {'true' if s3.use_ssl else 'false'}")
    if s3.key_id:
        parts.append(f"KEY_ID {_text(s3.key_id)}")
    if s3.secret:
        parts.append(f"SECRET {_text(s3.secret)}")
    if s3.endpoint:
        parts.append(f"ENDPOINT {_text(s3.endpoint)}")
    return f"CREATE TEMPORARY SECRET ({', '.join(parts)})"


def _column_sql(column: LakeColumn) -> str:
    sql = f"{_name(column.name)} {column.data_type}"
    if column.default is not None:
        sql += f" DEFAULT {column.default}"
    if column.not_null:
        sql += " NOT NULL"
    return sql


def _name(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _text(value: str | None) -> str:
    return "'" + (value or "").replace("'", "''") + "'"


def _line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _scrub(text: str, hidden: Sequence[str]) -> str:
    for value in hidden:
        text = text.replace(value, "***")
    return text


def _rollback_quietly(connection: duckdb.DuckDBPyConnection) -> None:
    # A failed COMMIT has already ended the transaction.
    with contextlib.suppress(duckdb.Error):
        connection.execute("ROLLBACK")


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
