"""The architecture as a test: which package may import which (README, "Layout").

Imports point one way, from the user down: ``flows.app`` → ``flows.monitor`` /
``flows.serve`` → (``flows.fanout``) → ``flows.stages`` → ``flows.fetching`` / ``extractors`` /
``storage``; ``flows.config`` is read by every layer and imports none of them.
Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import REPO

# Who may import whom, by module prefix; the most specific prefix of a module applies.
ALLOWED: dict[str, tuple[str, ...]] = {
    "extractors": ("extractors",),
    "storage": ("extractors", "storage"),
    # storage.lake_config is storage's own description of the lake block (pydantic only).
    "flows.config": ("extractors.yamlguard", "flows.config", "storage.lake_config"),
    "flows.fetching": ("extractors", "flows.fetching"),
    "flows.stages": (
        "extractors",
        "storage",
        "flows.config",
        "flows.fetching",
        "flows.stages",
    ),
    "flows.monitor": (
        "extractors",
        "storage",
        "flows.config",
        "flows.fetching",
        "flows.stages",
        "flows.fanout",
    ),
    # The fan-out of a run onto a work pool: Prefect's API, below the flows that use it.
    "flows.fanout": ("flows.config", "flows.stages"),
    "flows.serve": ("flows.config", "flows.monitor"),
    "flows.app": ("extractors", "storage", "flows"),
    "flows": (),
}
# Third-party packages only some rooms may use.
RESTRICTED = {
    "prefect": ("flows.monitor", "flows.serve", "flows.fanout"),
    "duckdb": ("storage",),
    "httpx": ("flows.fetching",),
    "httpcore": ("flows.fetching",),
}
OURS = ("extractors", "storage", "flows")


def _modules() -> Iterator[tuple[str, Path]]:
    for package in OURS:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _imports(path: Path, module: str) -> set[str]:
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from flows.stages import listing` imports flows.stages.listing
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _rule(module: str) -> str:
    return max((prefix for prefix in ALLOWED if _within(module, prefix)), key=len)


def _violations(module: str, path: Path) -> list[str]:
    """The imports of ``module`` (its source at ``path``) that break the rules."""
    allowed = ALLOWED[_rule(module)]
    imports = _imports(path, module)
    upward = [
        name
        for name in imports
        if name.split(".")[0] in OURS
        and not _within(name, module)
        and not any(_within(name, prefix) for prefix in allowed)
    ]
    misplaced = [
        name
        for name in imports
        if name.split(".")[0] in RESTRICTED
        and not any(_within(module, room) for room in RESTRICTED[name.split(".")[0]])
    ]
    return sorted(upward + misplaced)


MODULES = list(_modules())


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[name for name, _ in MODULES])
def test_imports_point_down(module: str, path: Path) -> None:
    assert not _violations(module, path), f"{module} ({_rule(module)}) imports what it may not"


def test_the_rules_catch_upward_and_misplaced_imports(tmp_path: Path) -> None:
    source = tmp_path / "listing.py"
    source.write_text(
        "import prefect\n"
        "from flows.config import Config\n"
        "from storage.database import Database\n"
        "def late():\n"
        "    from flows.monitor import daily_monitor\n"
    )

    assert _violations("flows.stages.listing", source) == ["flows.monitor.daily_monitor", "prefect"]
    assert _violations("flows.monitor", source) == []
    assert _violations("extractors.html", source) == [
        "flows.config.Config",
        "flows.monitor.daily_monitor",
        "prefect",
        "storage.database.Database",
    ]
