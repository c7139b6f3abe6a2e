"""YAML read with the line of every key, and schema errors as ``file:line: key.path: problem``.

The configuration layer's generic half (the models are in ``flows.config.models``):
a document is parsed with a :class:`yaml.SafeLoader` subclass into a node tree
first, so every problem can be reported with its line rather than as a bare
pydantic traceback, and all problems are reported together in one
:class:`ConfigError`.

Deliberate departures from plain ``yaml.safe_load``:

* only ``true``/``false`` are booleans (YAML 1.2 style), so ``enabled: yes`` is reported
  instead of silently meaning ``True``, and ``name: no`` stays the string ``"no"``;
  likewise unquoted dates stay strings (no setting is a date);
* any non-standard tag (``!!python/object``, ``!custom`` ...) is refused before anything is
  constructed, and duplicate keys are errors instead of "last one wins";
* aliases share the seed format's expansion budget (``extractors.yamlguard``).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from extractors.yamlguard import ExpansionBudget, YamlBudgetError

_Model = TypeVar("_Model", bound=BaseModel)

KeyPath = tuple[str | int, ...]


class ConfigError(Exception):
    """The configuration cannot be used; ``str(err)`` is the complete user-facing message.

    Attributes:
        problems: One ``file:line: key.path: problem`` line per problem found.
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("\n".join(self.problems))


# ----------------------------------------------------------------------------- YAML layer

_TAG = "tag:yaml.org,2002:"
_BOOL_TAG = _TAG + "bool"
_MERGE_TAG = _TAG + "merge"
_TIMESTAMP_TAG = _TAG + "timestamp"
_SCALAR_TAGS = frozenset(
    _TAG + name for name in ("null", "bool", "int", "float", "str", "timestamp", "binary")
)


class _SafeConfigLoader(yaml.SafeLoader):
    """SafeLoader whose booleans are only true/false, as in YAML 1.2."""


# A filtered copy, so yaml.SafeLoader itself is untouched. Implicit timestamps go too: no
# setting is a date, and `path: 2024-01-01` should stay the string the user wrote.
_SafeConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SafeConfigLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class Problem:
    line: int
    path: KeyPath
    message: str
    # For "unknown key (did you mean 'name'?)": the key path the typo most likely meant.
    suggests: KeyPath | None = None
    # For "missing required key": the absent key's path.
    missing: KeyPath | None = None

    def render(self, source_name: str) -> str:
        where = f"{source_name}:{self.line}:"
        dotted = format_path(self.path)
        return f"{where} {dotted}: {self.message}" if dotted else f"{where} {self.message}"


class _Refused(Exception):
    """The document cannot be turned into data at all (unsafe tag, alias bomb, cycle)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class _TreeBuilder:
    """Turn a composed node tree into plain data while recording each key's line."""

    loader: yaml.SafeLoader
    key_lines: dict[KeyPath, int] = field(default_factory=dict)
    value_lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Values already reported as unreadable; schema errors about them would only repeat it.
    bad_values: set[KeyPath] = field(default_factory=set)
    # Shared with the seed format (extractors.yamlguard): aliases can expand a small file
    # into a huge tree ("billion laughs").
    _budget: ExpansionBudget = field(default_factory=ExpansionBudget)
    _active: set[int] = field(default_factory=set)

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        try:
            self._budget.charge(node)
        except YamlBudgetError as exc:
            raise _Refused(Problem(exc.mark.line + 1, (), exc.problem)) from None
        self.value_lines.setdefault(path, line_of(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._active:
            raise _Refused(Problem(line_of(node), path, "recursive alias is not allowed"))
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                self._check_tag(node, path, _TAG + "seq")
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                self._check_tag(node, path, _TAG + "map")
                return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
        raise _Refused(Problem(line_of(node), path, "unsupported YAML node"))  # pragma: no cover

    def _check_tag(self, node: yaml.Node, path: KeyPath, allowed: str | frozenset[str]) -> None:
        # Checked before construct_object ever sees the node: a refused tag is never built.
        ok = node.tag in allowed if isinstance(allowed, frozenset) else node.tag == allowed
        if not ok:
            tag = node.tag.replace(_TAG, "!!")
            raise _Refused(
                Problem(
                    line_of(node),
                    path,
                    f"YAML tag {tag!r} is not allowed (only plain YAML values are supported)",
                )
            )

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        self._check_tag(node, path, _SCALAR_TAGS)
        try:
            return self.loader.construct_object(node)
        except (ValueError, yaml.YAMLError):
            # Only explicit tags get here (`!!int abc`, `!!timestamp 2024-02-30`).
            kind = node.tag.replace(_TAG, "")
            self.problems.append(Problem(line_of(node), path, f"invalid {kind} {node.value!r}"))
            self.bad_values.add(path)
            return node.value

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    Problem(line_of(key_node), path, "mapping keys must be plain text")
                )
                continue
            self._check_tag(key_node, path, _SCALAR_TAGS)
            # The source text, not the resolved value: a key `1.0` or `null` is still a name.
            key = key_node.value
            key_path = (*path, key)
            if key in result:
                first = self.key_lines[key_path]
                self.problems.append(
                    Problem(
                        line_of(key_node),
                        path,
                        f"duplicate key {key!r} (first defined on line {first})",
                    )
                )
                continue
            self.key_lines[key_path] = line_of(key_node)
            result[key] = self.build(value_node, key_path)
        # YAML merge keys (`<<: *defaults`): explicit keys win, earlier merges win over later.
        for merge_node in merged:
            sources = (
                merge_node.value if isinstance(merge_node, yaml.SequenceNode) else [merge_node]
            )
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    self.problems.append(
                        Problem(line_of(merge_node), path, "'<<' must merge a mapping")
                    )
                    continue
                # Through build() so merges count against the alias budget and cycle check.
                for key, value in self.build(source, path).items():
                    result.setdefault(key, value)
        return result


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


# ------------------------------------------------------------------- error translation

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def format_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _number(value: object) -> str:
    # Bounds on float fields come back as 0.0; the file most likely says 0.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` so the underlying type can be inspected."""
    while True:
        if typing.get_origin(tp) is Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(tp) if arg is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _tagged_members(tp: Any) -> dict[str, type[BaseModel]]:
    """Map discriminator tag -> model for a union of source models, else empty."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return {}
    tags: dict[str, type[BaseModel]] = {}
    for member in typing.get_args(tp):
        if isinstance(member, type) and issubclass(member, BaseModel):
            kind = member.model_fields.get("kind")
            if kind is not None:
                for tag in typing.get_args(kind.annotation):
                    tags[str(tag)] = member
    return tags


def _resolve_loc(
    loc: tuple[int | str, ...], root: type[BaseModel]
) -> tuple[KeyPath, type[BaseModel] | None, Any]:
    """Turn a pydantic ``loc`` into a file key path, the model that owns its last key
    and the type expected there.

    Pydantic inserts the discriminator tag ("feed") and "[key]" markers into locations;
    neither exists in the file, so they are dropped.
    """
    path: list[str | int] = []
    owner: type[BaseModel] | None = None
    tp: Any = root
    for part in loc:
        if part == "[key]":
            continue
        tp = _unwrap(tp)
        tagged = _tagged_members(tp)
        if isinstance(part, str) and part in tagged:
            tp = tagged[part]
            continue
        path.append(part)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            owner = tp
            found = tp.model_fields.get(part)
            tp = found.annotation if found is not None else None
            continue
        owner = None
        origin = typing.get_origin(tp)
        if origin is list:
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        else:
            tp = None
    return tuple(path), owner, tp


def _unknown_key(path: KeyPath, owner: type[BaseModel] | None, lines: Lines) -> Problem:
    line = lines.key(path)
    if owner is None:
        return Problem(line, path, "unknown key")
    allowed = sorted(owner.model_fields)
    close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
    if close:
        message = f"unknown key (did you mean {close[0]!r}?)"
        return Problem(line, path, message, suggests=(*path[:-1], close[0]))
    return Problem(line, path, f"unknown key (allowed keys: {', '.join(allowed)})")


_TYPE_NAMES = {
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


class Lines:
    """Line lookup for key paths, falling back to the closest enclosing value."""

    def __init__(self, builder: _TreeBuilder) -> None:
        self._keys = builder.key_lines
        self._values = builder.value_lines

    def key(self, path: KeyPath) -> int:
        """Line of the key itself, or of the value for sequence items and the root."""
        while path:
            line = self._keys.get(path) or self._values.get(path)
            if line is not None:
                return line
            path = path[:-1]
        return self._values.get((), 1)


def translate(
    error: ErrorDetails, lines: Lines, root: type[BaseModel], tag_noun: str
) -> Problem | None:
    """One pydantic error as a problem at its line, worded for the file's author.

    Args:
        error: The error, as ``ValidationError.errors()`` lists it.
        lines: Where each key of the document is.
        root: The model the whole document was validated as.
        tag_noun: What a tagged union's members are called in messages ("source" gives
            "unknown source kind").
    """
    kind = error["type"]
    path, owner, expected_type = _resolve_loc(error["loc"], root)
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        parent = path[:-1]
        message = f"missing required key {path[-1]!r}"
        return Problem(lines.key(parent), parent, message, missing=path)
    if kind == "extra_forbidden":
        return _unknown_key(path, owner, lines)
    expected = ", ".join(sorted(_tagged_members(_unwrap(expected_type))))
    if kind == "union_tag_invalid":
        kind_path = (*path, "kind")
        got = value.get("kind") if isinstance(value, dict) else value
        return Problem(
            lines.key(kind_path),
            kind_path,
            f"unknown {tag_noun} kind {_describe(got)} (expected one of: {expected})",
        )
    if kind == "union_tag_not_found":
        return Problem(
            lines.key(path),
            path,
            f"missing required key 'kind' (expected one of: {expected})",
        )
    if kind in _TYPE_NAMES:
        message = f"expected {_TYPE_NAMES[kind]}, got {_describe(value)}"
    elif kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
    elif kind == "too_short":
        message = "must not be empty"
    elif kind in ("greater_than", "greater_than_equal"):
        op, bound = (">", ctx.get("gt")) if kind == "greater_than" else (">=", ctx.get("ge"))
        message = f"must be {op} {_number(bound)}, got {_describe(value)}"
    elif kind == "finite_number":
        message = f"must be a finite number, got {_describe(value)}"
    else:
        message = str(error["msg"])
    return Problem(lines.key(path), path, message)


def yaml_error_message(exc: yaml.MarkedYAMLError, source_name: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        if exc.problem.startswith("but "):
            # The composer splits one sentence: "expected a single document" / "but found ...".
            problem = f"{exc.context} {exc.problem}"
        elif exc.context_mark is not None:
            problem += f" ({exc.context} on line {exc.context_mark.line + 1})"
    return f"{source_name}:{line}: YAML syntax error: {problem}"


@dataclass(frozen=True)
class YamlDocument:
    """A YAML mapping as plain data, where each key stood, and what was wrong on the way."""

    data: Any
    lines: Lines
    problems: list[Problem]
    # Values already reported as unreadable; schema errors about them would only repeat it.
    bad_values: set[KeyPath]


def read_mapping(text: str, source_name: str, *, empty: str) -> YamlDocument:
    """Parse a YAML document whose top level must be a mapping, keeping every key's line.

    Args:
        text: The YAML document.
        source_name: How to name the document in error messages, usually its path.
        empty: What to say when the document is empty, e.g. "expected a mapping with a
            'sources' list".

    Returns:
        The data with its lines and the problems found so far (duplicate keys, bad
        explicit scalars), for :func:`validate` to report together with schema errors.

    Raises:
        ConfigError: The text cannot be turned into data at all (syntax error, refused tag,
            alias bomb, recursion, not a mapping).
    """
    loader = _SafeConfigLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            raise ConfigError(yaml_error_message(exc, source_name)) from None
        except RecursionError:
            raise ConfigError(f"{source_name}: YAML nesting is too deep") from None
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _TAG + "null"):
            raise ConfigError(f"{source_name}:1: the config is empty ({empty})")
        if not isinstance(root, yaml.MappingNode):
            what = "a list" if isinstance(root, yaml.SequenceNode) else repr(root.value)
            raise ConfigError(
                f"{source_name}:{line_of(root)}: the top level must be a mapping of keys "
                f"(such as 'sources'), got {what}"
            )
        builder = _TreeBuilder(loader)
        try:
            data = builder.build(root, ())
        except _Refused as exc:
            raise ConfigError(exc.problem.render(source_name)) from None
        except RecursionError:
            raise ConfigError(f"{source_name}: YAML nesting is too deep") from None
    finally:
        loader.dispose()
    return YamlDocument(data, Lines(builder), list(builder.problems), set(builder.bad_values))


def validate(
    model: type[_Model],
    document: YamlDocument,
    source_name: str,
    *,
    tag_noun: str,
    more_problems: Sequence[Problem] = (),
    reported_elsewhere: Collection[str] = (),
) -> _Model:
    """Validate a read document as ``model``, reporting every problem with its line.

    Args:
        model: The pydantic model of the whole document.
        document: What :func:`read_mapping` read.
        source_name: How to name the document in error messages.
        tag_noun: What the members of a tagged union are called in messages.
        more_problems: Problems the caller found on the data itself (with their lines).
        reported_elsewhere: Pydantic error types already covered by ``more_problems``.

    Returns:
        The validated model.

    Raises:
        ConfigError: One ``file:line: key.path: problem`` line per problem, in file order.
    """
    problems = [*document.problems, *more_problems]
    result: _Model | None = None
    try:
        result = model.model_validate(document.data)
    except ValidationError as exc:
        schema_problems = [
            translate(error, document.lines, model, tag_noun)
            for error in exc.errors()
            if error["type"] not in reported_elsewhere
        ]
        # `nmae: x` already says "did you mean 'name'?"; "missing 'name'" would be noise.
        explained = {p.suggests for p in schema_problems if p is not None and p.suggests}
        problems += [
            p
            for p in schema_problems
            if p is not None and p.missing not in explained and p.path not in document.bad_values
        ]
    if problems or result is None:
        # Sorted by line so the message reads top to bottom like the file.
        ordered = sorted(dict.fromkeys(problems), key=lambda problem: problem.line)
        raise ConfigError([problem.render(source_name) for problem in ordered])
    return result
