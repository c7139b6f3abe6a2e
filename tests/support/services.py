"""Throw-away services for the tests that need them: PostgreSQL 15 and an S3 endpoint.

Session-scoped fixtures, started by the first test that asks for them and stopped at
the end of the session; nothing is started for a run that does not need them. Both
listen on free ports on 127.0.0.1 only and keep their files in a temporary folder
that is removed afterwards.

- ``postgres_server``: a fresh PostgreSQL 15 cluster (``initdb`` + ``pg_ctl``).
  PostgreSQL refuses to run as root: as root the cluster belongs to the ``postgres``
  system user (``runuser -u postgres``), otherwise to the current user. TCP logins
  need the password (scram-sha-256), so a test proves credentials really are passed.
- ``s3_server``: ``moto_server`` (PyPI ``moto[server]``), an S3 API in one process.

A test needing Postgres is skipped, with the reason, only when the PostgreSQL binaries
are absent (``NEWSWATCH_PG_BIN`` overrides where they are looked for); CI has them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

PG_BIN = Path(os.environ.get("NEWSWATCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
_START_TIMEOUT_S = 60


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class PostgresServer:
    """A running throw-away PostgreSQL cluster.

    Attributes:
        host: the address it listens on (127.0.0.1).
        port: its TCP port.
        user: the superuser.
        password: the superuser's password (required for TCP logins).
        directory: the folder holding the cluster, its socket and its log.
    """

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    directory: Path

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL with ``psql`` over TCP (with the password); returns its output.

        Raises:
            subprocess.CalledProcessError: the statement failed.
        """
        completed = subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                dbname,
                "-c",
                sql,
            ],
            env={**os.environ, "PGPASSWORD": self.password},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return completed.stdout

    def create_database(self, name: str) -> str:
        """Create an empty database and return its name."""
        self.psql(f'CREATE DATABASE "{name}"')
        return name


@dataclass(frozen=True)
class S3Server:
    """A running ``moto_server`` speaking the S3 API on 127.0.0.1.

    Attributes:
        endpoint: ``host:port`` of the endpoint (no scheme).
        key_id: the access key id clients sign with.
        secret: the secret access key.
        region: the region buckets are created in.
    """

    endpoint: str
    key_id: str
    secret: str = field(repr=False)
    region: str = "us-east-1"

    def client(self) -> Any:
        """A boto3 S3 client for the endpoint (boto3 comes with moto)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=f"http://{self.endpoint}",
            aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret,
            region_name=self.region,
        )

    def create_bucket(self, name: str) -> str:
        """Create a bucket and return its name."""
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        """Every object key in a bucket, sorted."""
        paginator = self.client().get_paginator("list_objects_v2")
        return sorted(
            item["Key"]
            for page in paginator.paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        )


def new_lake_storage(postgres: PostgresServer, s3: S3Server, name: str) -> str:
    """The lines of a config's ``storage`` block for a new lake: its own catalog database
    and bucket called ``name`` (credentials stay out: they come from the environment)."""
    postgres.create_database(name)
    bucket = s3.create_bucket(name.replace("_", "-"))
    return (
        "  backend: ducklake\n"
        "  lake:\n"
        f'    catalog: "postgres:host={postgres.host} port={postgres.port} '
        f'user={postgres.user} dbname={name}"\n'
        f"    data_path: s3://{bucket}/newswatch/\n"
        f"    s3_endpoint: {s3.endpoint}\n"
        "    s3_url_style: path\n"
        "    s3_use_ssl: false\n"
    )


def _as_cluster_owner(command: list[str]) -> list[str]:
    """The command run as the cluster's owner: ``postgres`` when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL 15 cluster on a free loopback port for the whole session."""
    for tool in ("initdb", "pg_ctl", "psql"):
        if not (PG_BIN / tool).exists():
            pytest.skip(
                f"PostgreSQL binaries not found ({PG_BIN / tool}): "
                "apt-get install postgresql-15, or set NEWSWATCH_PG_BIN"
            )
    directory = Path(tempfile.mkdtemp(prefix="newswatch-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, user="postgres", group="postgres")
    data = directory / "data"
    password = secrets.token_urlsafe(18)
    password_file = directory / "password"
    password_file.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(password_file, user="postgres", group="postgres")
    password_file.chmod(0o600)
    try:
        subprocess.run(
            _as_cluster_owner(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    f"--pwfile={password_file}",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        password_file.unlink()
        server = _start_postgres(directory, data, password)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        subprocess.run(
            _as_cluster_owner([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(directory, ignore_errors=True)


def _start_postgres(directory: Path, data: Path, password: str) -> PostgresServer:
    """Start the cluster on a free port (another try when the port was taken meanwhile)."""
    error = ""
    for _ in range(3):
        port = free_port()
        options = (
            f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=100"
        )
        completed = subprocess.run(
            _as_cluster_owner(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(directory / "log"),
                    "-w",
                    "-t",
                    str(_START_TIMEOUT_S),
                    "start",
                ]
            ),
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT_S + 30,
        )
        if completed.returncode == 0:
            return PostgresServer("127.0.0.1", port, "postgres", password, directory)
        log = directory / "log"
        error = log.read_text(errors="replace")[-2000:] if log.exists() else completed.stderr
    raise RuntimeError(f"PostgreSQL did not start: {error}")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """``moto_server`` on a free loopback port for the whole session."""
    executable = Path(sys.executable).parent / "moto_server"
    if not executable.exists():
        found = shutil.which("moto_server")
        if found is None:
            raise RuntimeError("moto_server not installed: pip install -e '.[dev]'")
        executable = Path(found)
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(executable), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            # moto checks no signature: the keys the tests sign with are throw-away.
            env={**os.environ, "AWS_ACCESS_KEY_ID": "unused", "AWS_SECRET_ACCESS_KEY": "unused"},
        )
        try:
            _wait_until_answering(process, log, port)
            yield S3Server(
                endpoint=f"127.0.0.1:{port}",
                key_id="AKIA" + secrets.token_hex(8).upper(),
                secret=secrets.token_urlsafe(30),
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_answering(process: subprocess.Popen[bytes], log: IO[bytes], port: int) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"moto_server exited: {log.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise RuntimeError("moto_server did not answer in time") from None
            time.sleep(0.2)
