"""Golden files: seeds 001-004 cleaned, compared field by field with tests/golden/seeds/.

Regenerate with ``python tests/golden/regenerate.py`` after an intended change
and review the diff: the golden record is the specification.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from extractors.seedformat import parse_seed_document
from tests.support.paths import GOLDEN


def _regenerate_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("golden_regenerate", GOLDEN / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REGENERATE = _regenerate_module()
FIELDS = (
    "title",
    "body",
    "excerpt",
    "category",
    "published_at",
    "original_url",
    "web_url",
    "type",
    "quality",
    "heat",
    "published",
    "provider",
    "topics",
    "images",
    "related",
    "secured",
)


@pytest.mark.parametrize("prefix", REGENERATE.SEED_PREFIXES)
@pytest.mark.parametrize("field", FIELDS)
def test_seed_record_matches_golden_file(prefix: str, field: str) -> None:
    expected = parse_seed_document(
        (GOLDEN / "seeds" / f"{prefix}.md").read_text(encoding="utf-8"), name=f"{prefix}.md"
    )
    actual = REGENERATE.clean_seed(prefix).record

    assert getattr(actual, field) == getattr(expected, field), f"seed {prefix}: {field}"


@pytest.mark.parametrize("prefix", REGENERATE.SEED_PREFIXES)
def test_seed_removed_lines_match_golden_file(prefix: str) -> None:
    expected = (GOLDEN / "seeds" / f"{prefix}.removed.txt").read_text(encoding="utf-8")

    assert REGENERATE.removed_listing(REGENERATE.clean_seed(prefix)) == expected


def test_design_boilerplate_of_the_seeds_is_removed_and_metadata_lifted() -> None:
    """What DESIGN.md names as boilerplate of each seed goes; what it names as metadata is lifted."""
    s001, s002, s003, s004 = (REGENERATE.clean_seed(p) for p in REGENERATE.SEED_PREFIXES)

    assert "Pancakes" not in s002.record.body
    assert "Most read" not in s001.record.body and "Share link:" not in s001.record.body
    assert "• Global AI cooperation crucial for ethical development." in s001.record.body
    assert "Jul 26, 2025" not in s003.record.body
    assert s003.record.published_at is not None
    assert s003.record.published_at.isoformat() == "2025-07-26T16:45:00+00:00"
    assert "What's Your Reaction?" not in s003.record.body
    assert "Original Source" not in s004.record.body
    assert s004.record.provider.domain == "asianews.network"
