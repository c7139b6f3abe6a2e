"""Where the repository's test data lives, whatever folder a test module sits in."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
SEEDS = REPO / "seeds" / "documents"
FIXTURES = TESTS / "fixtures"
GOLDEN = TESTS / "golden"
SITE = FIXTURES / "site"
# The real pages with human gold bodies, beside the repository (never copied into it).
REALPAGES = REPO.parent / "shared" / "realpages"


def load_script(name: str, path: Path) -> ModuleType:
    """Import a script of eval/ or bench/ (not a package module) by its path, once.

    It is registered in ``sys.modules`` before it runs: dataclasses look their module up
    there while the class body is processed.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
