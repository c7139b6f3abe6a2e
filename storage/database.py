"""Opening the DuckDB file: migrations on open, short-lived connections, clear errors.

Connections are opened per unit of work and closed right after, because
DuckDB lets one process hold a file for writing and locks every other process
out meanwhile; holding it for a whole run would lock analysts out for longer
than needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from storage.schema import MIGRATIONS, SCHEMA_VERSION


class StorageError(RuntimeError):
    """A database problem a user can act on; the message names the file."""


class DatabaseBusyError(StorageError):
    """Another process holds the database file."""


class Database:
    """A newswatch DuckDB file.

    Args:
        path: the database file; its folder is created when writing.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with the schema up to date; closed on exit.

        Raises:
            DatabaseBusyError: another process holds the file.
            StorageError: a missing file in read-only mode, or a newer schema.
        """
        connection = self._open(read_only)
        try:
            connection.execute("SET TimeZone = 'UTC'")
            if read_only:
                self._check_version(connection)
            else:
                self._migrate(connection)
            yield connection
        finally:
            connection.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection inside one transaction: all of it is stored or none."""
        with self.connect() as connection:
            connection.execute("BEGIN TRANSACTION")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def schema_version(self) -> int:
        """The schema version recorded in the file (0 for a new file)."""
        with self.connect(read_only=True) as connection:
            return _recorded_version(connection)

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        if read_only and not self.path.exists():
            raise StorageError(
                f"database {self.path} does not exist yet: run `newswatch run` first"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                raise DatabaseBusyError(
                    f"database {self.path} is in use by another process ({_first_line(error)}); "
                    "close the other connection or wait for the running pipeline to finish"
                ) from None
            raise StorageError(f"cannot open database {self.path}: {_first_line(error)}") from None
        except duckdb.Error as error:
            raise StorageError(f"cannot open database {self.path}: {_first_line(error)}") from None

    def _check_version(self, connection: duckdb.DuckDBPyConnection) -> None:
        version = _recorded_version(connection)
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"database {self.path} has schema version {version}, newer than this newswatch "
                f"understands ({SCHEMA_VERSION}); upgrade newswatch instead of opening it with an old one"
            )
        if version < SCHEMA_VERSION:
            raise StorageError(
                f"database {self.path} has schema version {version}; a run of newswatch upgrades it to {SCHEMA_VERSION}"
            )

    def _migrate(self, connection: duckdb.DuckDBPyConnection) -> None:
        version = _recorded_version(connection)
        if version > SCHEMA_VERSION:
            self._check_version(connection)
        for migration in MIGRATIONS:
            if migration.version <= version:
                continue
            connection.execute("BEGIN TRANSACTION")
            try:
                for statement in migration.statements:
                    connection.execute(statement)
                connection.execute(
                    "INSERT OR REPLACE INTO schema_info VALUES ('schema_version', ?)",
                    [str(migration.version)],
                )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")


def _recorded_version(connection: duckdb.DuckDBPyConnection) -> int:
    has_table = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_info' AND schema_name = 'main'"
    ).fetchone()
    if not has_table or not has_table[0]:
        return 0
    row = connection.execute(
        "SELECT value FROM schema_info WHERE key = 'schema_version'"
    ).fetchone()
    return int(row[0]) if row else 0


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
