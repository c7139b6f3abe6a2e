"""Opening the DuckDB file: migrations on open, short-lived connections, clear errors.

Connections are opened per unit of work and closed right after, because
DuckDB lets one process hold a file for writing and locks every other process
out meanwhile; holding it for a whole run would lock analysts out for longer
than needed.

Every connection is locked down when it is opened (see :data:`HARDENED_CONFIG`):
it reaches no file but its own database (no ``COPY``, ``read_csv``, ``glob``,
``ATTACH``), installs and loads no extension on its own, and no ``SET`` can
undo that. Only an export is given one directory to write into.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb

from storage.schema import MIGRATIONS, SCHEMA_VERSION

# Safe by construction rather than by parsing SQL: whatever a statement says, DuckDB
# itself refuses to touch another file, to fetch or load an extension (opening a SQLite
# file as the database would otherwise download one), or to change these settings.
HARDENED_CONFIG: dict[str, Any] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    # No table is found by the name of a Python variable: batches are registered by name.
    "python_enable_replacements": False,
    "lock_configuration": True,
    # Set per session after the configuration is locked (ICU's setting cannot be given
    # at start-up); a session's time zone only changes how times are shown.
    "allowed_configs": ["TimeZone"],
}

# DuckDB's words for a file that is not (or no longer) a whole database, in the kinds
# of error it raises for them (a statement's own error may quote any text).
_DAMAGE = re.compile(
    r"could not read enough bytes|does not match stored checksum|corrupt database file"
    r"|not a valid duckdb database file",
    re.IGNORECASE,
)
_DAMAGE_KINDS = (duckdb.IOException, duckdb.FatalException, duckdb.InternalException)
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_NEWER_STORAGE = re.compile(
    r"database file with version number (?P<number>\d+), but we can only read"
)
# DuckDB's main header: checksum (8 bytes), "DUCK", storage version (uint64), 4 flag words,
# then the version string of the DuckDB that created the file (32 bytes, NUL-padded).
_HEADER_MAGIC = slice(8, 12)
_HEADER_CREATOR = slice(52, 84)


_T = TypeVar("_T")


class Store(Protocol):
    """Where newswatch's tables are: one DuckDB file (:class:`Database`) or a DuckLake
    (:class:`storage.lake.Lake`). Every function of ``storage`` takes either: the SQL is
    written once, in statements both accept (no ``ON CONFLICT``, no ``INSERT OR REPLACE``:
    a lake has no keys; ``MERGE INTO`` instead).
    """

    def connect(
        self, read_only: bool = False, *, write_dir: Path | None = None
    ) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A connection whose default database holds newswatch's tables; closed on exit."""
        ...

    def write(self, body: Callable[[duckdb.DuckDBPyConnection], _T]) -> _T:
        """Run ``body`` in one transaction: all of it is stored or none.

        ``body`` may run more than once (a lake retries a commit that conflicts with
        another writer's), so it must only write through the connection it is given.
        """
        ...

    def exists(self) -> bool:
        """Whether there may be anything stored yet (readers return nothing when not)."""
        ...

    def describe(self) -> str:
        """Where the data is, for messages and run summaries (never a credential)."""
        ...


class StorageError(RuntimeError):
    """A database problem a user can act on; the message names the file."""


class DatabaseBusyError(StorageError):
    """Another process holds the database file."""


class DatabaseTooNewError(StorageError):
    """The file was written by a newer DuckDB than the one newswatch runs on; left untouched."""


class DatabaseDamagedError(StorageError):
    """The file is truncated, corrupted or not a DuckDB database: newswatch neither writes nor reads it.

    Args:
        message: the whole message, naming the file and what to do.
        detail: DuckDB's own words for the damage.
    """

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


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
    def connect(
        self, read_only: bool = False, *, write_dir: Path | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A hardened connection with the schema up to date; closed on exit.

        Args:
            read_only: open the file read-only (what every reader does).
            write_dir: the one directory (and what is below it) statements may write
                into, for an export; no other file outside the database is reachable.

        Raises:
            DatabaseBusyError: another process holds the file.
            DatabaseDamagedError: the file is truncated or corrupted (also when the
                damage only shows while reading it).
            StorageError: a missing file in read-only mode, or a newer schema.
        """
        connection = self._open(read_only, write_dir)
        try:
            connection.execute("SET TimeZone = 'UTC'")
            if read_only:
                self._check_version(connection)
            else:
                self._migrate(connection)
            yield connection
        except duckdb.Error as error:
            if is_damage(error):
                raise self._damaged(error) from None
            raise
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

    def write(self, body: Callable[[duckdb.DuckDBPyConnection], _T]) -> _T:
        """Run ``body`` in one transaction (see :meth:`Store.write`); a file has one writer, so once."""
        with self.transaction() as connection:
            return body(connection)

    def exists(self) -> bool:
        """Whether the file exists."""
        return self.path.exists()

    def describe(self) -> str:
        """The file's path."""
        return str(self.path)

    def schema_version(self) -> int:
        """The schema version recorded in the file (0 for a new file)."""
        with self.connect(read_only=True) as connection:
            return _recorded_version(connection)

    def _open(self, read_only: bool, write_dir: Path | None) -> duckdb.DuckDBPyConnection:
        if read_only and not self.path.exists():
            raise StorageError(
                f"database {self.path} does not exist yet: run `newswatch run` first"
            )
        if self._is_sqlite():
            raise StorageError(
                f"{self.path} is a SQLite database, not a newswatch DuckDB file; "
                "point --db at the .duckdb file newswatch writes"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        config = dict(HARDENED_CONFIG)
        if write_dir is not None:
            # DuckDB takes the allowed paths only while external access is still on:
            # they are set and then everything is locked before the connection is used.
            del config["enable_external_access"], config["lock_configuration"]
        try:
            connection = duckdb.connect(str(self.path), read_only=read_only, config=config)
        except duckdb.IOException as error:
            newer = _NEWER_STORAGE.search(str(error))
            if newer is not None:
                raise self._too_new(int(newer["number"])) from None
            if "lock" in str(error).lower():
                raise self._busy(error, read_only) from None
            if is_damage(error):
                raise self._damaged(error) from None
            raise StorageError(f"cannot open database {self.path}: {_first_line(error)}") from None
        except duckdb.Error as error:
            if is_damage(error):
                raise self._damaged(error) from None
            raise StorageError(f"cannot open database {self.path}: {_first_line(error)}") from None
        if write_dir is not None:
            directory = str(Path(write_dir).resolve())
            try:
                connection.execute("SET allowed_paths = ?", [[directory]])
                connection.execute("SET allowed_directories = ?", [[directory + os.sep]])
                connection.execute("SET enable_external_access = false")
                connection.execute("SET lock_configuration = true")
            except BaseException:
                connection.close()
                raise
        return connection

    def _is_sqlite(self) -> bool:
        try:
            with self.path.open("rb") as handle:
                return handle.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
        except OSError:
            return False

    def _too_new(self, storage_version: int) -> DatabaseTooNewError:
        """Which DuckDB wrote the file, and how to move its data to one this version reads."""
        creator = ""
        try:
            with self.path.open("rb") as handle:
                header = handle.read(_HEADER_CREATOR.stop)
            if header[_HEADER_MAGIC] == b"DUCK":
                creator = header[_HEADER_CREATOR].split(b"\0", 1)[0].decode("ascii", "replace")
        except OSError:
            pass
        writer = f"DuckDB {creator}" if creator else "a newer DuckDB"
        return DatabaseTooNewError(
            f"database {self.path} was written by {writer} (storage version {storage_version}), "
            f"which DuckDB {duckdb.__version__} in this newswatch cannot open; it was left "
            "untouched: move its data out with that DuckDB through Parquet (README: "
            "'A database from DuckDB 2.0') or point --db at another file"
        )

    def _busy(self, error: duckdb.Error, read_only: bool) -> DatabaseBusyError:
        """Which process holds the file, and what to do about it."""
        holder = _LOCK_HOLDER.search(str(error))
        if holder is None:
            who = f"another process ({_first_line(error)})"
            pid = None
        else:
            pid = int(holder["pid"])
            program = _command_line(pid) or holder["program"]
            who = f"process {pid} ({program if len(program) <= 60 else program[:59] + '…'})"
        if pid is not None and _is_newswatch(pid):
            return DatabaseBusyError(
                f"database {self.path} is in use by {who}, another newswatch run; "
                "wait for it to finish and try again"
            )
        if read_only:
            return DatabaseBusyError(
                f"database {self.path} is being written by {who}; "
                "try again when it has closed the file"
            )
        from storage.publish import analytics_path  # publish builds on this module

        return DatabaseBusyError(
            f"database {self.path} is held open by {who}, so newswatch cannot write it; "
            f"that program should open the analytics copy {analytics_path(self.path)} instead "
            "(read-only, replaced at the end of every run): close the working file there "
            "and run again"
        )

    def _damaged(self, error: BaseException) -> DatabaseDamagedError:
        from storage.publish import ANALYTICS_SUFFIX, analytics_path

        if self.path.name.endswith(ANALYTICS_SUFFIX):
            remedy = "`newswatch publish` copies the working file over it again"
        else:
            remedy = (
                "restore it from a backup; the analytics copy "
                f"{analytics_path(self.path)}, if there is one, holds the last published run"
            )
        detail = _first_line(error)
        return DatabaseDamagedError(
            f"database {self.path} is damaged ({detail}); newswatch will not "
            f"read or write it: {remedy}",
            detail,
        )

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


def read_everything(connection: duckdb.DuckDBPyConnection) -> None:
    """Read every column of every table, so that DuckDB checks every data block's checksum.

    Opening a file reads only its header and catalogue; a damaged data block shows
    only when it is read. Costs one full scan (about 1 s per 100 MB here).

    Raises:
        duckdb.Error: a damaged block (see :func:`is_damage`).
    """
    tables = connection.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary"
    ).fetchall()
    for schema, table in tables:
        name = ".".join('"' + part.replace('"', '""') + '"' for part in (schema, table))
        connection.execute(f"SELECT bit_xor(hash(COLUMNS(*))) FROM {name}").fetchall()


def is_damage(error: BaseException) -> bool:
    """Whether a DuckDB error says the file is truncated or corrupted (not a bad statement)."""
    kind = isinstance(error, _DAMAGE_KINDS) or type(error) is duckdb.Error
    return kind and bool(_DAMAGE.search(str(error)))


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


def _command_line(pid: int) -> str:
    """The command line of a local process, or "" when it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    # Arguments joined by single spaces: a message stays on one line.
    return " ".join(raw.decode(errors="replace").replace("\0", " ").split())


def _is_newswatch(pid: int) -> bool:
    """Whether a local process is a ``newswatch`` command (not just a Python of its venv)."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False
    return any(Path(each).name == "newswatch" or each == "flows.app.cli" for each in arguments[:3])


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
