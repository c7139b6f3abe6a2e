"""Read-only access for analysts: one checked SQL statement, and exports."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from extractors.seedformat import dump_seed_document
from storage.articles import read_records
from storage.database import StorageError, Store, is_damage

# What a query may be: a SELECT (also FROM …, DESCRIBE, SUMMARIZE, SHOW), or an EXPLAIN
# of one. This only gives clear refusals; what makes a query read-only is the connection
# (read-only, no access to any other file, configuration locked: storage.database).
_ALLOWED_TYPES = frozenset({"SELECT", "EXPLAIN"})
_PRAGMA = re.compile(r"PRAGMA\b", re.IGNORECASE)
_LEADING_COMMENTS = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)
_EXPLAIN_PREFIX = re.compile(r"^\s*EXPLAIN\s+(?:ANALY[SZ]E\s+)?(?:\([^)]*\)\s*)?", re.IGNORECASE)


class QueryRefusedError(StorageError):
    """A query newswatch will not run: several statements, or one that writes."""


@dataclass(frozen=True)
class QueryResult:
    """Column names and rows of a query."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def run_query(db: Store, sql: str) -> QueryResult:
    """Run one read-only SQL statement against the database.

    Raises:
        QueryRefusedError: several statements, or a statement that is not a read.
        StorageError: the database cannot be opened, or the SQL is invalid.
    """
    statement_type = check_read_only(sql)
    with db.connect(read_only=True) as connection:
        try:
            cursor = connection.execute(sql)
            columns = [column[0] for column in cursor.description or []]
            return QueryResult(columns, cursor.fetchall())
        except duckdb.Error as error:
            if is_damage(error):
                raise  # the connection reports the file as damaged, not the query as wrong
            raise StorageError(f"query failed ({statement_type}): {_one_line(error)}") from None


def check_read_only(sql: str) -> str:
    """The type of the single statement in ``sql``; refuses anything else.

    Raises:
        QueryRefusedError: no statement, several statements, or a write.
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise StorageError(f"invalid SQL: {str(error).strip().splitlines()[0]}") from None
    if len(statements) != 1:
        raise QueryRefusedError(
            f"expected exactly one SQL statement, got {len(statements)}; run them one at a time"
        )
    statement_type = statements[0].type.name
    if _PRAGMA.match(_LEADING_COMMENTS.sub("", sql)):
        # DuckDB 1.5 reports a PRAGMA as the SELECT it is rewritten to (2.0 as PRAGMA), so the
        # text as written is checked: refused with either.
        statement_type = "PRAGMA"
    if statement_type == "EXPLAIN":
        # EXPLAIN ANALYZE runs the statement it explains: that one must be a read too.
        explained = _EXPLAIN_PREFIX.sub("", statements[0].query, count=1)
        try:
            inner = [each.type.name for each in duckdb.extract_statements(explained)]
        except duckdb.Error:
            inner = []
        if inner != ["SELECT"]:
            raise QueryRefusedError(
                "refused: `newswatch query` is read-only and only explains a SELECT; "
                "the pipeline is the only writer of the database"
            )
    elif statement_type not in _ALLOWED_TYPES:
        raise QueryRefusedError(
            f"refused: `newswatch query` is read-only and this is a {statement_type} statement; "
            "the pipeline is the only writer of the database"
        )
    return statement_type


def _one_line(error: BaseException) -> str:
    """DuckDB's message on one line, with its hints (Did you mean …, Candidate bindings …).

    The ``LINE n:`` excerpt with its caret is left out: it only makes sense laid out
    over several lines.
    """
    text = str(error).strip()
    text = re.split(r"\n\s*LINE \d+:", text, maxsplit=1)[0]
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


# Written last into every export directory: what the export wrote, so that --overwrite can
# delete exactly that and nothing a user put beside it.
EXPORT_MANIFEST = ".newswatch-export.json"


def prepare_output_dir(out: Path, overwrite: bool) -> None:
    """Create ``out``; refuse a non-empty one unless ``overwrite``.

    With ``overwrite``, the files an earlier export wrote (listed in its manifest) are
    deleted; anything else in the directory (a file or folder the export did not write, or
    an exported file that was changed since) makes the export refuse, and nothing is deleted.

    Raises:
        StorageError: ``out`` is not a directory, is not empty (without ``overwrite``), or
            holds something an earlier export did not write.
    """
    if out.exists() and not out.is_dir():
        raise StorageError(f"export target {out} exists and is not a directory")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise StorageError(
                f"export directory {out} is not empty; pass --overwrite to replace an earlier "
                "export in it"
            )
        _remove_earlier_export(out)
    out.mkdir(parents=True, exist_ok=True)


def _remove_earlier_export(out: Path) -> None:
    """Delete what the manifest of an earlier export lists, if that is all ``out`` holds."""
    manifest = out / EXPORT_MANIFEST
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        files = {str(name): int(size) for name, size in listed.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise StorageError(
            f"export directory {out} was not written by `newswatch export` (no valid "
            f"{EXPORT_MANIFEST}); --overwrite deletes only an earlier export: empty it "
            "yourself or choose another --out"
        ) from None
    # Folders an export creates: the parents of its files (Parquet's partition folders).
    folders = {parent for name in files for parent in Path(name).parents if parent != Path(".")}
    foreign = []
    for path in sorted(out.rglob("*")):
        relative = path.relative_to(out)
        if path == manifest:
            continue
        if path.is_symlink():
            foreign.append(relative)
        elif path.is_dir():
            if relative not in folders:
                foreign.append(relative)
        elif relative.as_posix() not in files:
            foreign.append(relative)
        elif path.stat().st_size != files[relative.as_posix()]:
            foreign.append(relative)  # an exported file someone edited since
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise StorageError(
            f"export directory {out} holds {foreign[0]}{more}, not written (or changed since) "
            "by the earlier export; --overwrite deletes only an earlier export's files: move "
            "them away or choose another --out"
        )
    for name in files:
        (out / name).unlink(missing_ok=True)
    for folder in sorted(folders, key=lambda folder: len(folder.parts), reverse=True):
        with contextlib.suppress(FileNotFoundError):
            (out / folder).rmdir()
    manifest.unlink()


def _write_manifest(out: Path, export_format: str, count: int) -> None:
    """Record every file the export just wrote into ``out`` (which it found empty)."""
    files = {
        path.relative_to(out).as_posix(): path.stat().st_size
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.name != EXPORT_MANIFEST
    }
    manifest = {
        "written_by": "newswatch export",
        "format": export_format,
        "articles": count,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": files,
    }
    temporary = out / f"{EXPORT_MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    temporary.replace(out / EXPORT_MANIFEST)


def export_parquet(db: Store, out: Path, overwrite: bool = False) -> int:
    """Write every article as Parquet, Hive-partitioned by publication day.

    Partitions are ``published_date=YYYY-MM-DD`` (``unknown`` when the date is
    not known). Returns the number of articles written.
    """
    prepare_output_dir(out, overwrite)
    # The one place a connection may write a file: the export directory, nothing else.
    with db.connect(read_only=True, write_dir=out) as connection:
        row = connection.execute("SELECT count(*) FROM articles").fetchone()
        count = int(row[0]) if row else 0
        if count:
            target = str(out.resolve()).replace("'", "''")
            connection.execute(
                f"""
                COPY (
                    SELECT *, coalesce(strftime(published_at, '%Y-%m-%d'), 'unknown') AS published_date
                    FROM articles ORDER BY published_at, id
                ) TO '{target}' (FORMAT parquet, PARTITION_BY (published_date), OVERWRITE_OR_IGNORE)
                """
            )
    _write_manifest(out, "parquet", count)
    return count


def export_seed(db: Store, out: Path, overwrite: bool = False) -> int:
    """Write one seed-format file per article, ``ID.md``. Returns the number written."""
    prepare_output_dir(out, overwrite)
    records = read_records(db)
    for article_id, record in records:
        (out / f"{article_id}.md").write_text(dump_seed_document(record), encoding="utf-8")
    _write_manifest(out, "seed", len(records))
    return len(records)
