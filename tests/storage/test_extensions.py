"""storage/extensions.py: extensions come from the installed wheels, never from the internet."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from storage import extensions
from storage.database import HARDENED_CONFIG
from storage.extensions import (
    NO_AUTOMATIC_EXTENSIONS,
    WHEELS,
    ExtensionMissingError,
    extension_path,
    load_extensions,
)


def test_each_extension_file_is_inside_its_wheel_for_this_duckdb() -> None:
    for name in WHEELS:
        path = extension_path(name)
        assert path.is_file() and path.suffix == ".duckdb_extension"
        assert f"v{duckdb.__version__}" in path.parts
        assert "site-packages" in path.parts


def test_loading_by_path_downloads_and_installs_nothing(tmp_path: Path) -> None:
    home = tmp_path / "extension-home"
    connection = duckdb.connect(
        config={**NO_AUTOMATIC_EXTENSIONS, "extension_directory": str(home)}
    )
    load_extensions(connection, list(WHEELS))
    loaded = dict(
        connection.execute(
            "SELECT extension_name, loaded FROM duckdb_extensions() WHERE extension_name IN (?, ?, ?)",
            list(WHEELS),
        ).fetchall()
    )
    assert loaded == dict.fromkeys(WHEELS, True)
    assert not home.exists() or not any(home.rglob("*")), (
        "nothing installed into the extension folder"
    )
    connection.close()


def test_with_automatic_loading_off_an_extension_is_never_fetched(tmp_path: Path) -> None:
    connection = duckdb.connect(
        config={**NO_AUTOMATIC_EXTENSIONS, "extension_directory": str(tmp_path / "ext")}
    )
    # Reading s3:// needs httpfs; DuckDB would otherwise try to download it here.
    with pytest.raises(duckdb.Error) as refused:
        connection.execute("SELECT * FROM read_parquet('s3://bucket/x.parquet')").fetchall()
    assert "httpfs" in str(refused.value)
    assert not (tmp_path / "ext").exists()
    connection.close()


def test_every_connection_newswatch_opens_has_automatic_extensions_off() -> None:
    for setting in ("autoinstall_known_extensions", "autoload_known_extensions"):
        assert HARDENED_CONFIG[setting] is False
        assert NO_AUTOMATIC_EXTENSIONS[setting] is False


def test_a_missing_wheel_is_one_line_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(extensions.WHEELS, "ducklake", "duckdb-extension-not-installed")
    with pytest.raises(ExtensionMissingError) as missing:
        extension_path("ducklake")
    message = str(missing.value)
    assert "\n" not in message
    assert f"pip install 'duckdb-extension-not-installed=={duckdb.__version__}'" in message
    assert "ducklake" in message


def test_a_wheel_for_another_duckdb_version_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extensions.duckdb, "__version__", "9.9.9")
    with pytest.raises(ExtensionMissingError) as mismatch:
        extension_path("httpfs")
    message = str(mismatch.value)
    assert "\n" not in message
    assert "does not match duckdb 9.9.9" in message and "duckdb-extension-httpfs" in message
