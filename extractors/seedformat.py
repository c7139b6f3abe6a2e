"""Read and write records in the seed format: YAML front matter, then the body.

The front matter is only ever loaded with ``yaml.SafeLoader``: a document that
carries a ``!!python/object`` tag is refused, never executed. Its aliases get
the same budget as the config file's (``extractors.yamlguard``): a few hundred
bytes of nested aliases are refused before they can expand into gigabytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import yaml

from extractors.record import Image, Provider, Record, format_datetime, to_utc
from extractors.yamlguard import YamlBudgetError, check_expansion

FRONT_MATTER_DELIMITER = "---"

# The order seed 000 uses; blank lines separate the groups when writing.
_SCALAR_KEYS = (
    "category",
    "title",
    "excerpt",
    "publishedDateTime",
    "originalUrl",
    "webUrl",
    "type",
    "quality",
    "heat",
    "published",
)
_KNOWN_KEYS = frozenset(
    (*_SCALAR_KEYS, "provider", "topics", "images", "related", "secured", "language")
)
_PLAIN_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
# Words YAML 1.1 (PyYAML's safe_load) reads as booleans or null when unquoted.
_YAML_KEYWORDS = frozenset(["y", "n", "yes", "no", "true", "false", "on", "off", "null"])


class SeedFormatError(ValueError):
    """A seed-format document that cannot be read; the message names the input."""


def has_front_matter(text: str) -> bool:
    """Tell whether a document starts with a YAML front matter block."""
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    return first_line.rstrip() == FRONT_MATTER_DELIMITER


def split_front_matter(text: str, name: str = "<document>") -> tuple[str, str]:
    """Split a seed-format document into its YAML text and its body.

    Raises:
        SeedFormatError: if the document has no front matter or it is not closed.
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].rstrip() != FRONT_MATTER_DELIMITER:
        raise SeedFormatError(f"{name}: no front matter (first line is not '---')")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in (FRONT_MATTER_DELIMITER, "..."):
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return front, body.strip("\n")
    raise SeedFormatError(f"{name}: front matter is not closed by a '---' line")


def parse_seed_document(text: str, name: str = "<document>") -> Record:
    """Read a seed-format document into a record.

    Args:
        text: the whole document (front matter and body).
        name: how to name the input in error messages (usually the file path).

    Returns:
        The record; keys the seed format does not define are kept in ``extra``.

    Raises:
        SeedFormatError: broken YAML, an unsafe tag, aliases over the budget (see
            ``extractors.yamlguard``), or a field of the wrong type.
    """
    front, body = split_front_matter(text, name)
    data = _load_front_matter(front, name)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SeedFormatError(f"{name}: front matter must be a mapping of fields")
    return record_from_mapping(data, body=_normalise_body(body), name=name)


def _load_front_matter(front: str, name: str) -> Any:
    """``yaml.safe_load`` with the alias budget checked on the node tree before construction."""
    loader = yaml.SafeLoader(front)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        check_expansion(root)
        return loader.construct_document(root)
    except yaml.YAMLError as error:
        raise SeedFormatError(
            f"{name}: invalid front matter: {_describe_yaml_error(error)}"
        ) from None
    except YamlBudgetError as error:
        # +2: marks count from 0 and from the line after the opening '---'.
        raise SeedFormatError(
            f"{name}: invalid front matter: line {error.mark.line + 2}: {error.problem}"
        ) from None
    except RecursionError:
        raise SeedFormatError(f"{name}: invalid front matter: nesting is too deep") from None
    finally:
        loader.dispose()


def record_from_mapping(
    data: Mapping[str, Any], body: str = "", name: str = "<document>"
) -> Record:
    """Build a record from seed-format fields (as loaded from YAML)."""
    fields = _FieldReader(data, name)
    provider = fields.mapping("provider")
    return Record(
        category=fields.text("category", "news"),
        title=fields.text("title", ""),
        excerpt=fields.text("excerpt", ""),
        published_at=fields.moment("publishedDateTime"),
        original_url=fields.text("originalUrl", ""),
        web_url=fields.text("webUrl", ""),
        type=fields.text("type", "article"),
        quality=fields.integer("quality", 0),
        heat=fields.integer("heat", -1),
        published=fields.boolean("published", False),
        provider=Provider(
            name=_as_text(provider.get("name"), f"{name}: provider.name"),
            domain=_as_text(provider.get("domain"), f"{name}: provider.domain"),
        ),
        topics=tuple(_as_text(topic, f"{name}: topics") for topic in fields.sequence("topics")),
        images=tuple(_image(item, f"{name}: images") for item in fields.sequence("images")),
        related=tuple(_related(item, f"{name}: related") for item in fields.sequence("related")),
        secured=fields.optional_text("secured"),
        language=fields.optional_text("language"),
        body=body,
        extra={key: value for key, value in data.items() if key not in _KNOWN_KEYS},
    )


def record_to_mapping(record: Record) -> dict[str, Any]:
    """The record's front-matter fields in seed order (body excluded)."""
    data: dict[str, Any] = {
        "category": record.category,
        "title": record.title,
        "excerpt": record.excerpt,
        "publishedDateTime": record.published_at,
        "originalUrl": record.original_url,
        "webUrl": record.web_url,
        "type": record.type,
        "quality": record.quality,
        "heat": record.heat,
        "published": record.published,
        "provider": {"name": record.provider.name, "domain": record.provider.domain},
        "topics": list(record.topics),
        "images": [
            {
                "url": image.url,
                "width": image.width,
                "height": image.height,
                "isCached": image.is_cached,
            }
            for image in record.images
        ],
        "related": [dict(item) for item in record.related],
    }
    if record.secured is not None:
        data["secured"] = record.secured
    if record.language is not None:
        data["language"] = record.language
    data.update(record.extra)
    return data


def dump_seed_document(record: Record) -> str:
    """Write a record as a seed-format document, laid out like seed 000."""
    data = record_to_mapping(record)
    groups: list[dict[str, Any]] = [{key: data.pop(key) for key in _SCALAR_KEYS}]
    for key in ("provider", "topics", "images", "related", "secured"):
        if key in data:
            groups.append({key: data.pop(key)})
    if data:
        groups.append(data)
    front = "\n".join(_dump_yaml(group) for group in groups)
    body = record.body.strip("\n")
    return f"{FRONT_MATTER_DELIMITER}\n{front}{FRONT_MATTER_DELIMITER}\n\n{body}\n"


class _SeedDumper(yaml.SafeDumper):
    """Writes strings the way the seeds do: plain words bare, the rest double-quoted."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # A plain "true", "no" or "null" would come back as a boolean or None.
    plain = _PLAIN_WORD.match(value) and value.lower() not in _YAML_KEYWORDS
    style = None if plain else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_datetime(dumper: yaml.SafeDumper, value: datetime) -> yaml.Node:
    text = format_datetime(value)
    if value.microsecond:
        text = text[:-1] + f".{value.microsecond:06d}Z"
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", text)


_SeedDumper.add_representer(str, _represent_str)
_SeedDumper.add_representer(datetime, _represent_datetime)


def _dump_yaml(data: Mapping[str, Any]) -> str:
    return yaml.dump(
        dict(data),
        Dumper=_SeedDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )


class _FieldReader:
    """Typed access to front-matter fields with errors that name the field."""

    def __init__(self, data: Mapping[str, Any], name: str) -> None:
        self._data = data
        self._name = name

    def _where(self, key: str) -> str:
        return f"{self._name}: {key}"

    def text(self, key: str, default: str) -> str:
        value = self._data.get(key)
        return default if value is None else _as_text(value, self._where(key))

    def optional_text(self, key: str) -> str | None:
        value = self._data.get(key)
        return None if value is None else _as_text(value, self._where(key))

    def integer(self, key: str, default: int) -> int:
        value = self._data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise SeedFormatError(f"{self._where(key)}: expected an integer, got {value!r}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self._data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise SeedFormatError(f"{self._where(key)}: expected true or false, got {value!r}")
        return value

    def moment(self, key: str) -> datetime | None:
        return parse_moment(self._data.get(key), self._where(key))

    def mapping(self, key: str) -> Mapping[str, Any]:
        value = self._data.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise SeedFormatError(f"{self._where(key)}: expected a mapping, got {value!r}")
        return value

    def sequence(self, key: str) -> list[Any]:
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise SeedFormatError(f"{self._where(key)}: expected a list, got {value!r}")
        return value


def parse_moment(value: Any, where: str) -> datetime | None:
    """Read a YAML timestamp, date or ISO-8601 string as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return to_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        except ValueError:
            pass
    raise SeedFormatError(f"{where}: expected an ISO-8601 date and time, got {value!r}")


def _as_text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads an unquoted title like 1984 as a number; it is still text.
        return str(value)
    raise SeedFormatError(f"{where}: expected text, got {value!r}")


def _image(item: Any, where: str) -> Image:
    if isinstance(item, str):
        return Image(url=item)
    if not isinstance(item, Mapping) or not isinstance(item.get("url"), str):
        raise SeedFormatError(f"{where}: each image needs a url, got {item!r}")
    return Image(
        url=item["url"],
        width=_optional_int(item.get("width"), where),
        height=_optional_int(item.get("height"), where),
        is_cached=bool(item.get("isCached", False)),
    )


def _optional_int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SeedFormatError(f"{where}: image width/height must be integers, got {value!r}")
    return value


def _related(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise SeedFormatError(f"{where}: each related item must be a mapping, got {item!r}")
    return dict(item)


def _normalise_body(body: str) -> str:
    return body.replace("\r\n", "\n").strip("\n")


def _describe_yaml_error(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    # +2: marks count from 0 and from the line after the opening '---'.
    where = f"line {mark.line + 2}: " if mark is not None else ""
    if "could not determine a constructor" in problem:
        problem = "unsupported YAML tag (only plain YAML is accepted; tags are never executed)"
    return f"{where}{problem}"
