"""The ``storage.lake`` block of sources.yaml, and the lake settings it gives.

Credentials are never read from the config file (it is shared, versioned, printed):
the catalog password comes from ``NEWSWATCH_LAKE_PASSWORD`` (or libpq's own
``PGPASSWORD`` / ``~/.pgpass``), S3 credentials from the usual ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY`` and ``AWS_REGION`` variables, and an S3-compatible endpoint
from the block or ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``.

```yaml
storage:
  backend: file                  # file (default) | ducklake
  lake:
    catalog: "postgres:host=db.example port=5432 user=newswatch dbname=newswatch_lake"
    data_path: s3://news-bucket/newswatch/
    s3_endpoint: minio.example:9000      # optional: an S3-compatible service
    s3_url_style: path                   # path (S3-compatible services) or vhost (AWS)
    s3_use_ssl: true
```
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from storage.lake import LakeSettings

_LIBPQ_KEYS = {"host", "port", "user", "dbname"}
_SCHEME = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://", re.IGNORECASE)


class LakeConfig(BaseModel):
    """Where the lake is (``storage.lake``); see the module docstring for the YAML."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    catalog: str = Field(min_length=1)
    data_path: str = Field(min_length=1)
    s3_endpoint: str | None = None
    s3_url_style: Literal["path", "vhost"] = "vhost"
    s3_use_ssl: bool = True
    s3_region: str | None = None

    @field_validator("catalog")
    @classmethod
    def _catalog(cls, value: str) -> str:
        if value.startswith("postgres:"):
            _postgres_fields(value)  # reports unknown keys and passwords
        elif _SCHEME.match(value):
            raise ValueError(
                "catalog is 'postgres:host=… port=… user=… dbname=…' or the path of a local "
                "catalog file"
            )
        return value

    @field_validator("data_path")
    @classmethod
    def _data_path(cls, value: str) -> str:
        scheme = _SCHEME.match(value)
        if scheme and scheme["scheme"].lower() != "s3":
            raise ValueError("data_path is s3://bucket/prefix/ or a folder")
        if scheme and not re.match(r"^s3://[^/]+/", value):
            raise ValueError("data_path is s3://bucket/prefix/ (a bucket and a trailing /)")
        return value if value.endswith("/") else value + "/"

    def resolved(self, directory: str) -> LakeConfig:
        """This block with a relative local catalog file or data folder taken from ``directory``.

        Every path written in a config file is relative to the file (see
        ``flows.config.load_config``); a Postgres catalog and an ``s3://`` path are kept.
        """
        update: dict[str, str] = {}
        if not self.catalog.startswith("postgres:"):
            update["catalog"] = str(_resolved(Path(self.catalog), Path(directory)))
        if not self.data_path.startswith("s3://"):
            update["data_path"] = str(_resolved(Path(self.data_path), Path(directory))) + "/"
        return self.model_copy(update=update) if update else self

    def settings(self, environ: Mapping[str, str], relative_to: Path | None = None) -> LakeSettings:
        """The lake's settings, with credentials from the environment.

        Args:
            environ: the environment (``os.environ``).
            relative_to: the config file's folder: a relative local catalog or data folder
                is taken from there, as every path written in a config file is.
        """
        # Imported here: reading a config must not load DuckDB and the storage layer.
        from storage.lake import LakeSettings, PostgresCatalog, S3Storage

        catalog: PostgresCatalog | Path
        if self.catalog.startswith("postgres:"):
            fields = _postgres_fields(self.catalog)
            catalog = PostgresCatalog(
                dbname=fields["dbname"],
                host=fields.get("host", "localhost"),
                port=int(fields.get("port", "5432")),
                user=fields.get("user", "postgres"),
                password=environ.get("NEWSWATCH_LAKE_PASSWORD") or None,
            )
        else:
            catalog = _resolved(Path(self.catalog), relative_to)
        data_path = self.data_path
        if not data_path.startswith("s3://"):
            data_path = str(_resolved(Path(data_path), relative_to)) + "/"
        s3 = None
        if self.data_path.startswith("s3://"):
            endpoint = (
                self.s3_endpoint
                or environ.get("AWS_ENDPOINT_URL_S3")
                or environ.get("AWS_ENDPOINT_URL")
                or None
            )
            use_ssl = self.s3_use_ssl
            if endpoint and "://" in endpoint:
                use_ssl = endpoint.startswith("https://")
                endpoint = endpoint.split("://", 1)[1].rstrip("/")
            s3 = S3Storage(
                key_id=environ.get("AWS_ACCESS_KEY_ID") or None,
                secret=environ.get("AWS_SECRET_ACCESS_KEY") or None,
                region=self.s3_region
                or environ.get("AWS_REGION")
                or environ.get("AWS_DEFAULT_REGION")
                or "us-east-1",
                endpoint=endpoint,
                url_style=self.s3_url_style,
                use_ssl=use_ssl,
            )
        return LakeSettings(catalog=catalog, data_path=data_path, s3=s3)


def _resolved(path: Path, relative_to: Path | None) -> Path:
    return relative_to / path if relative_to is not None and not path.is_absolute() else path


def _postgres_fields(catalog: str) -> dict[str, str]:
    """``postgres:host=… port=…`` as a dict; refuses a password and unknown keys."""
    fields: dict[str, str] = {}
    for item in shlex.split(catalog.removeprefix("postgres:")):
        key, equals, value = item.partition("=")
        if not equals or not value:
            raise ValueError(f"catalog: {item!r} is not key=value")
        if key == "password":
            raise ValueError(
                "catalog: no password in the config file; set NEWSWATCH_LAKE_PASSWORD "
                "(or PGPASSWORD, or ~/.pgpass)"
            )
        if key not in _LIBPQ_KEYS:
            raise ValueError(f"catalog: unknown key {key!r} (known: host, port, user, dbname)")
        fields[key] = value
    if "dbname" not in fields:
        raise ValueError("catalog: dbname= is required")
    if not fields.get("port", "5432").isdigit():
        raise ValueError("catalog: port is a number")
    return fields
