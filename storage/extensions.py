"""DuckDB extensions from the installed wheels, by file path; never downloaded.

DuckDB fetches a missing extension from the internet when a statement needs one
(``INSTALL``, or auto-loading on first use). A pipeline must not do that at run time:
it may have no internet, and what it runs must be what was installed. newswatch
therefore turns auto-install and auto-load off on every connection and loads the
extensions it needs from the PyPI wheels pinned beside ``duckdb`` in pyproject.toml
(``duckdb-extension-<name>``, built for exactly that DuckDB version), by the path of
the ``.duckdb_extension`` file inside the installed wheel.

Only these are used: ``ducklake`` (the lake format), ``postgres_scanner`` (a Postgres
catalog) and ``httpfs`` (S3-compatible object storage). The ``duckdb-extension-postgres``
wheel is not one of them: its file does not load ("did not contain the expected
entrypoint function"); ``duckdb-extension-postgres-scanner`` holds the same extension.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from storage.database import StorageError

# extension name -> the distribution (PyPI wheel) that ships its file
WHEELS: dict[str, str] = {
    "ducklake": "duckdb-extension-ducklake",
    "postgres_scanner": "duckdb-extension-postgres-scanner",
    "httpfs": "duckdb-extension-httpfs",
}

# Settings of every connection that loads extensions: nothing is fetched or loaded by
# DuckDB on its own; only the files named by extension_path are loaded.
NO_AUTOMATIC_EXTENSIONS: dict[str, Any] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}


class ExtensionMissingError(StorageError):
    """An extension newswatch needs is not installed for this DuckDB version."""


def extension_path(name: str) -> Path:
    """The ``.duckdb_extension`` file of one extension inside its installed wheel.

    Args:
        name: ``ducklake``, ``postgres_scanner`` or ``httpfs``.

    Returns:
        The file's path (it exists).

    Raises:
        ExtensionMissingError: the wheel is not installed, is built for another DuckDB
            version, or lacks the file; the message says what to install.
        KeyError: ``name`` is not an extension newswatch uses.
    """
    distribution = WHEELS[name]
    version = duckdb.__version__
    remedy = f"pip install '{distribution}=={version}' (newswatch never downloads extensions)"
    spec = importlib.util.find_spec(distribution.replace("-", "_"))
    if spec is None or spec.origin is None:
        raise ExtensionMissingError(
            f"DuckDB extension {name} is not installed for duckdb {version}: {remedy}"
        )
    try:
        installed = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        installed = "unknown"
    path = Path(spec.origin).parent / "extensions" / f"v{version}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise ExtensionMissingError(
            f"DuckDB extension {name} from {distribution} {installed} does not match "
            f"duckdb {version} (no {path.name} for v{version}): {remedy}"
        )
    return path


def load_extensions(connection: duckdb.DuckDBPyConnection, names: Iterable[str]) -> None:
    """Load extensions into a connection from their wheels' files.

    The connection must have been opened with :data:`NO_AUTOMATIC_EXTENSIONS` and with
    external access on (loading reads a file outside the database).

    Args:
        connection: the connection.
        names: extension names (see :data:`WHEELS`).

    Raises:
        ExtensionMissingError: a wheel is missing or does not match duckdb (one line).
        StorageError: DuckDB refused to load a file it found.
    """
    for name in names:
        path = extension_path(name)
        try:
            connection.execute("LOAD " + _sql_string(str(path)))
        except duckdb.Error as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            raise StorageError(
                f"DuckDB could not load extension {name} from {path}: {first}"
            ) from None


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
