"""Throw-away local services for trying the lake on one machine: PostgreSQL 15 and S3.

Used by ``newswatch lake dev-services start|stop`` (and ``make lake-up`` / ``make lake-down``)
and by the tests' fixtures (``tests/support/services.py``), so both start the same thing:

- a fresh PostgreSQL 15 cluster (``initdb`` + ``pg_ctl``) on a free port of 127.0.0.1, in
  a temporary folder. PostgreSQL refuses to run as root: as root the cluster belongs to
  the ``postgres`` system user (``runuser -u postgres``), otherwise to the current user.
  TCP logins need the superuser's password (scram-sha-256);
- ``moto_server`` (PyPI ``moto[server]``, the dev extra), an S3 API in one process on a
  free port of 127.0.0.1. It keeps its objects in memory: stopping it loses them.

:func:`start_dev_services` also writes what a lake run needs into one folder: a config
(the watch and sources of a given config, storage pointed at the new lake), an env file
with the credentials (mode 0600; newswatch reads credentials from the environment only)
and the state :func:`stop_dev_services` reads to stop both services and delete the folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
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

import yaml

PG_BIN = Path(os.environ.get("NEWSWATCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_TIMEOUT_S = 60
# What `newswatch lake dev-services start` creates in the lake: one catalog database, one bucket.
DEV_DATABASE = "newswatch_lake"
DEV_BUCKET = "newswatch-lake"
_STATE = "services.json"
# Detached servers this process started, kept so that stopping one reaps it (and no
# "still running" warning fires when a Popen of a server meant to outlive us is collected).
_DETACHED: dict[int, subprocess.Popen[bytes]] = {}


class DevServicesError(RuntimeError):
    """A service could not be started or stopped; the message is one line for the user."""


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
        directory: the folder holding the cluster (``data/``), its socket and its log.
    """

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    directory: Path

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.directory / "data"

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

    def postmaster_pid(self) -> int | None:
        """The server's process id while it runs (from ``postmaster.pid``), else None."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


@dataclass(frozen=True)
class S3Server:
    """A running ``moto_server`` speaking the S3 API on 127.0.0.1.

    Attributes:
        endpoint: ``host:port`` of the endpoint (no scheme).
        key_id: the access key id clients sign with.
        secret: the secret access key.
        region: the region buckets are created in.
        pid: the ``moto_server`` process.
    """

    endpoint: str
    key_id: str
    secret: str = field(repr=False)
    region: str = "us-east-1"
    pid: int = 0

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
        return sorted(self.objects(bucket))

    def objects(self, bucket: str) -> dict[str, int]:
        """Every object in a bucket: key -> size in bytes."""
        paginator = self.client().get_paginator("list_objects_v2")
        return {
            item["Key"]: int(item["Size"])
            for page in paginator.paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        }


# ------------------------------------------------------------------------------ PostgreSQL


def missing_postgres_binaries() -> str | None:
    """Why PostgreSQL cannot be started here (a one-line reason), or None when it can."""
    for tool in ("initdb", "pg_ctl", "psql"):
        if not (PG_BIN / tool).exists():
            return (
                f"PostgreSQL binaries not found ({PG_BIN / tool}): "
                "apt-get install postgresql-15, or set NEWSWATCH_PG_BIN"
            )
    return None


def _as_cluster_owner(command: list[str]) -> list[str]:
    """The command run as the cluster's owner: ``postgres`` when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _owned_by_cluster_user(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user="postgres", group="postgres")


def start_postgres() -> PostgresServer:
    """A new PostgreSQL 15 cluster in a temporary folder, started on a free loopback port.

    Raises:
        DevServicesError: the binaries are missing, or the cluster did not start.
    """
    missing = missing_postgres_binaries()
    if missing:
        raise DevServicesError(missing)
    # A temporary folder, not one in the checkout: as root the cluster runs as `postgres`,
    # which must be able to reach its folder (a checkout under /root is closed to it).
    directory = Path(tempfile.mkdtemp(prefix="newswatch-pg-"))
    _owned_by_cluster_user(directory)
    password = secrets.token_urlsafe(18)
    password_file = directory / "password"
    password_file.write_text(password + "\n")
    _owned_by_cluster_user(password_file)
    password_file.chmod(0o600)
    try:
        subprocess.run(
            _as_cluster_owner(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(directory / "data"),
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
        return _start_cluster(directory, password)
    except subprocess.CalledProcessError as error:
        shutil.rmtree(directory, ignore_errors=True)
        stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else ""
        raise DevServicesError(f"initdb failed: {' '.join(stderr.split())[-300:]}") from None
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _start_cluster(directory: Path, password: str) -> PostgresServer:
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
                    str(directory / "data"),
                    "-o",
                    options,
                    "-l",
                    str(directory / "log"),
                    "-w",
                    "-t",
                    str(START_TIMEOUT_S),
                    "start",
                ]
            ),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S + 30,
        )
        if completed.returncode == 0:
            return PostgresServer("127.0.0.1", port, "postgres", password, directory)
        log = directory / "log"
        error = log.read_text(errors="replace")[-2000:] if log.exists() else completed.stderr
    raise DevServicesError(f"PostgreSQL did not start: {' '.join(error.split())[-300:]}")


def stop_postgres(server: PostgresServer, mode: str = "fast") -> None:
    """Stop the cluster and delete its folder (``mode``: fast, or immediate for tests)."""
    if server.data.exists():
        subprocess.run(
            _as_cluster_owner([str(PG_BIN / "pg_ctl"), "-D", str(server.data), "-m", mode, "stop"]),
            capture_output=True,
            timeout=60,
        )
    shutil.rmtree(server.directory, ignore_errors=True)


# -------------------------------------------------------------------------------------- S3


def moto_executable() -> Path:
    """The ``moto_server`` of this environment.

    Raises:
        DevServicesError: moto is not installed.
    """
    beside = Path(sys.executable).parent / "moto_server"
    if beside.exists():
        return beside
    found = shutil.which("moto_server")
    if found is None:
        raise DevServicesError("moto_server not installed: pip install -e '.[dev]'")
    return Path(found)


def start_s3(log: IO[bytes], *, detached: bool = False) -> tuple[S3Server, subprocess.Popen[bytes]]:
    """``moto_server`` on a free loopback port, answering; its output goes to ``log``.

    Args:
        log: where the server writes its output (a file the caller keeps open or owns).
        detached: in its own session, so it outlives the calling command.

    Raises:
        DevServicesError: it exited or did not answer in time.
    """
    port = free_port()
    process = subprocess.Popen(
        [str(moto_executable()), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        # moto checks no signature: the keys clients sign with are throw-away.
        env={**os.environ, "AWS_ACCESS_KEY_ID": "unused", "AWS_SECRET_ACCESS_KEY": "unused"},
        start_new_session=detached,
    )
    try:
        _wait_until_answering(process, log, port)
    except BaseException:
        stop_process(process.pid, process)
        raise
    if detached:
        _DETACHED[process.pid] = process
    server = S3Server(
        endpoint=f"127.0.0.1:{port}",
        key_id="AKIA" + secrets.token_hex(8).upper(),
        secret=secrets.token_urlsafe(30),
        pid=process.pid,
    )
    return server, process


def _wait_until_answering(process: subprocess.Popen[bytes], log: IO[bytes], port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            output = ""
            with contextlib.suppress(OSError, ValueError):
                log.seek(0)
                output = log.read().decode(errors="replace")
            raise DevServicesError(f"moto_server exited: {' '.join(output.split())[-300:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise DevServicesError("moto_server did not answer in time") from None
            time.sleep(0.2)


def stop_process(pid: int, process: subprocess.Popen[bytes] | None = None) -> None:
    """SIGTERM, then SIGKILL after 10 s; ``process`` (our own child) is also reaped."""
    process = process or _DETACHED.pop(pid, None)
    if process is not None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while is_running(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if is_running(pid):
            os.kill(pid, signal.SIGKILL)


def is_running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its parent, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# ---------------------------------------------------------------- newswatch lake dev-services


@dataclass(frozen=True)
class DevServices:
    """What ``newswatch lake dev-services start`` started and wrote.

    Attributes:
        folder: holds the config, the env file, the state and moto's log.
        config: the lake config to run with (``newswatch run --config …``).
        env_file: the credentials, as ``export NAME=value`` lines (mode 0600).
        postgres: the catalog's server.
        s3: the S3 endpoint.
    """

    folder: Path
    config: Path
    env_file: Path
    postgres: PostgresServer
    s3: S3Server

    def environment(self) -> dict[str, str]:
        """The variables of the env file."""
        return {
            "NEWSWATCH_LAKE_PASSWORD": self.postgres.password,
            "AWS_ACCESS_KEY_ID": self.s3.key_id,
            "AWS_SECRET_ACCESS_KEY": self.s3.secret,
            "AWS_REGION": self.s3.region,
        }


def lake_block(
    postgres: PostgresServer, database: str, s3: S3Server, bucket: str
) -> dict[str, Any]:
    """The ``storage`` block of a config storing into a lake on these two services."""
    return {
        "backend": "ducklake",
        "lake": {
            "catalog": (
                f"postgres:host={postgres.host} port={postgres.port} "
                f"user={postgres.user} dbname={database}"
            ),
            "data_path": f"s3://{bucket}/newswatch/",
            "s3_endpoint": s3.endpoint,
            "s3_url_style": "path",
            "s3_use_ssl": False,
        },
    }


def start_dev_services(folder: Path, base_config: Path) -> DevServices:
    """Start PostgreSQL and moto, create the lake's database and bucket, write config and env.

    Args:
        folder: where the config, env file and state go (created; must not hold running
            services already).
        base_config: the config whose watch, sources and settings the lake config copies
            (its storage block is replaced; relative folder paths are made absolute).

    Raises:
        DevServicesError: services already run from ``folder``, the base config is
            unreadable, or a service did not start (whatever had started is stopped).
    """
    folder = folder.resolve()
    if (folder / _STATE).exists():
        raise DevServicesError(
            f"{folder} already has running services: `newswatch lake dev-services stop "
            f"--dir {folder}` first"
        )
    document = _base_document(base_config)
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as undo:
        postgres = start_postgres()
        undo.callback(stop_postgres, postgres)
        with (folder / "moto.log").open("wb") as log:
            s3, _ = start_s3(log, detached=True)
        undo.callback(stop_process, s3.pid)
        try:
            postgres.create_database(DEV_DATABASE)
            s3.create_bucket(DEV_BUCKET)
        except subprocess.CalledProcessError as error:
            raise DevServicesError(f"cannot create the catalog database: {error.stderr}") from None
        state = {
            "postgres": {"port": postgres.port, "directory": str(postgres.directory)},
            "s3": {"endpoint": s3.endpoint, "pid": s3.pid},
        }
        (folder / _STATE).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        undo.pop_all()
    storage = document.get("storage") or {}
    document["storage"] = {
        **{key: value for key, value in storage.items() if key == "raw_retention_days"},
        **lake_block(postgres, DEV_DATABASE, s3, DEV_BUCKET),
    }
    config = folder / "lake.yaml"
    config.write_text(
        "# Written by `newswatch lake dev-services start`: the watch and sources of "
        f"{base_config},\n# storing into the throw-away local lake (stopped and deleted by "
        "`newswatch lake dev-services stop`).\n"
        + yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    services = DevServices(folder, config, folder / "lake.env", postgres, s3)
    env_file = services.env_file
    env_file.touch(mode=0o600)
    env_file.chmod(0o600)
    env_file.write_text(
        "".join(f"export {name}='{value}'\n" for name, value in services.environment().items()),
        encoding="utf-8",
    )
    return services


def _base_document(base_config: Path) -> dict[str, Any]:
    """The base config as a mapping, with relative folder-source paths made absolute."""
    try:
        document = yaml.safe_load(base_config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise DevServicesError(f"cannot read {base_config}: {error}") from None
    if not isinstance(document, dict):
        raise DevServicesError(f"{base_config}: not a newswatch config (no mapping)")
    here = base_config.resolve().parent
    for source in document.get("sources") or []:
        if isinstance(source, dict) and source.get("kind") == "folder" and "path" in source:
            path = Path(str(source["path"]))
            source["path"] = str(path if path.is_absolute() else here / path)
    return document


def stop_dev_services(folder: Path) -> list[str]:
    """Stop what ``start_dev_services`` started from ``folder`` and delete the folder.

    Returns:
        What was stopped, one line each.

    Raises:
        DevServicesError: ``folder`` holds no services.
    """
    folder = folder.resolve()
    try:
        state = json.loads((folder / _STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise DevServicesError(f"no services started from {folder}") from None
    stopped = []
    pid = int(state["s3"]["pid"])
    # Only the moto_server we started: a pid reused by another process is left alone.
    if is_running(pid) and "moto_server" in _command_line(pid):
        stop_process(pid)
        stopped.append(f"S3 endpoint {state['s3']['endpoint']} (moto_server, pid {pid})")
    directory = Path(state["postgres"]["directory"])
    if directory.exists():
        stop_postgres(
            PostgresServer("127.0.0.1", int(state["postgres"]["port"]), "postgres", "", directory)
        )
        stopped.append(f"PostgreSQL on 127.0.0.1:{state['postgres']['port']}")
    shutil.rmtree(folder, ignore_errors=True)
    return stopped


@contextlib.contextmanager
def running_postgres(mode: str = "immediate") -> Iterator[PostgresServer]:
    """A PostgreSQL cluster for the duration of a ``with`` block (tests, benchmarks)."""
    server = start_postgres()
    try:
        yield server
    finally:
        stop_postgres(server, mode)


@contextlib.contextmanager
def running_s3() -> Iterator[S3Server]:
    """A ``moto_server`` for the duration of a ``with`` block (tests, benchmarks)."""
    with tempfile.TemporaryFile() as log:
        server, process = start_s3(log)
        try:
            yield server
        finally:
            stop_process(process.pid, process)
