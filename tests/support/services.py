"""Throw-away services for the tests that need them: PostgreSQL 15 and an S3 endpoint.

Session-scoped fixtures, started by the first test that asks for them and stopped at
the end of the session; nothing is started for a run that does not need them. Both
listen on free ports on 127.0.0.1 only and keep their files in a temporary folder
that is removed afterwards. They start what ``newswatch lake dev-services start``
starts (``flows/app/devservices.py``):

- ``postgres_server``: a fresh PostgreSQL 15 cluster (``initdb`` + ``pg_ctl``).
  PostgreSQL refuses to run as root: as root the cluster belongs to the ``postgres``
  system user (``runuser -u postgres``), otherwise to the current user. TCP logins
  need the password (scram-sha-256), so a test proves credentials really are passed.
- ``s3_server``: ``moto_server`` (PyPI ``moto[server]``), an S3 API in one process.

A test needing Postgres is skipped, with the reason, only when the PostgreSQL binaries
are absent (``NEWSWATCH_PG_BIN`` overrides where they are looked for); CI has them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flows.app.devservices import (
    PG_BIN,
    PostgresServer,
    S3Server,
    free_port,
    missing_postgres_binaries,
    running_postgres,
    running_s3,
)

__all__ = [
    "PG_BIN",
    "PostgresServer",
    "S3Server",
    "free_port",
    "new_lake_storage",
    "postgres_server",
    "s3_server",
]


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL 15 cluster on a free loopback port for the whole session."""
    missing = missing_postgres_binaries()
    if missing:
        pytest.skip(missing)
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """``moto_server`` on a free loopback port for the whole session."""
    with running_s3() as server:
        yield server
