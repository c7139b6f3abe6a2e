"""tests/support/services.py: the throw-away PostgreSQL and S3 endpoint really run, on loopback only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO
from tests.support.services import PG_BIN, PostgresServer, S3Server


def test_postgres_listens_on_loopback_and_wants_the_password(
    postgres_server: PostgresServer,
) -> None:
    assert postgres_server.host == "127.0.0.1"
    assert postgres_server.psql("SHOW listen_addresses").strip() == "127.0.0.1"
    assert (
        postgres_server.psql("SELECT current_setting('server_version_num')::int / 10000").strip()
        == "15"
    )
    name = postgres_server.create_database("services_check")
    assert postgres_server.psql("SELECT current_database()", dbname=name).strip() == name
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    refused = subprocess.run(
        [
            str(PG_BIN / "psql"),
            "-X",
            "-w",
            "-h",
            "127.0.0.1",
            "-p",
            str(postgres_server.port),
            "-U",
            "postgres",
            "-c",
            "SELECT 1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode != 0 and "password" in refused.stderr
    assert postgres_server.password not in repr(postgres_server)


def test_s3_endpoint_stores_and_returns_objects(s3_server: S3Server) -> None:
    bucket = s3_server.create_bucket("services-check")
    client = s3_server.client()
    client.put_object(Bucket=bucket, Key="a/b.txt", Body=b"hello")
    assert s3_server.keys(bucket) == ["a/b.txt"]
    assert client.get_object(Bucket=bucket, Key="a/b.txt")["Body"].read() == b"hello"
    assert s3_server.endpoint.startswith("127.0.0.1:")
    assert s3_server.secret not in repr(s3_server)


def test_postgres_tests_are_skipped_with_the_reason_when_binaries_are_absent(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_needs_pg.py").write_text(
        "def test_needs_pg(postgres_server):\n    raise AssertionError('ran')\n"
    )
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.support.services",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        env={**os.environ, "NEWSWATCH_PG_BIN": str(tmp_path / "absent"), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "1 skipped" in completed.stdout
    assert "PostgreSQL binaries not found" in completed.stdout
