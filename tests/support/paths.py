"""Where the repository's test data lives, whatever folder a test module sits in."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
SEEDS = REPO / "seeds" / "documents"
FIXTURES = TESTS / "fixtures"
GOLDEN = TESTS / "golden"
SITE = FIXTURES / "site"
# The real pages with human gold bodies, beside the repository (never copied into it).
REALPAGES = REPO.parent / "shared" / "realpages"
