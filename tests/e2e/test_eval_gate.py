"""The evaluation gate: our extraction must not fall below the floors in eval/baseline.json.

The scorer (``eval/run_eval.py``) is a script, not a package module, so it is loaded by path.
Only our extractor runs here (no trafilatura peers), which keeps the test to a few seconds.
Raise the floors with ``eval/run_eval.py --update-baseline`` when the cleaner improves.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.paths import REPO, load_script

RUN_EVAL = REPO / "eval" / "run_eval.py"


run_eval = load_script("newswatch_eval_run_eval", RUN_EVAL)
FLOORS: dict[str, float] = run_eval.load_baseline()["floors"]


@pytest.fixture(scope="module")
def report() -> Any:
    """Our extractor over the whole evaluation set, run once for every test here."""
    result = run_eval.evaluate(peers=False)
    assert result.html[run_eval.OURS], "no HTML pages found in eval/html"
    assert result.text[run_eval.OURS], "no text documents found in eval/text"
    return result


@pytest.fixture(scope="module")
def metrics(report: Any) -> dict[str, float | None]:
    """The gated figures of that run."""
    result: dict[str, float | None] = report.gate_metrics()
    return result


def test_no_document_crashes_the_extractor(report: Any) -> None:
    """A crash is scored as an empty body; name it here rather than as a mere low score."""
    crashes = {name: trace.strip().splitlines()[-1] for name, trace in report.crashes.items()}
    assert crashes == {}


def test_every_reported_metric_has_a_floor(metrics: dict[str, float | None]) -> None:
    """A metric the scorer reports but the baseline does not pin would go unguarded."""
    assert sorted(set(metrics) - set(FLOORS)) == []


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_metric_at_or_above_its_floor(metrics: dict[str, float | None], name: str) -> None:
    """One test per metric, so a failure names the metric that regressed."""
    failures = run_eval.below_floors(metrics, {name: FLOORS[name]})
    assert not failures, failures[0]


def test_update_refuses_to_lower_a_floor() -> None:
    """Floors only go up unless lowering is asked for explicitly (--allow-lower)."""
    old = {"html.f1": 0.95, "text.retention": 0.98}
    raised = run_eval.updated_floors(old, {"html.f1": 0.97, "text.retention": 0.995}, 0.01)
    assert raised == {"html.f1": 0.96, "text.retention": 0.985}
    with pytest.raises(run_eval.FloorLowered, match=r"html\.f1"):
        run_eval.updated_floors(old, {"html.f1": 0.90, "text.retention": 0.995}, 0.01)
    lowered = run_eval.updated_floors(
        old, {"html.f1": 0.90, "text.retention": 0.995}, 0.01, allow_lower=True
    )
    assert lowered["html.f1"] == 0.89


def test_shingle_scores_match_hand_counts() -> None:
    """4-gram shingles on casefolded \\w+ tokens, counted as a multiset."""
    gold = "One two three four five."
    assert run_eval.shingle_scores("one TWO three, four five", gold) == (1.0, 1.0, 1.0)
    precision, recall, _ = run_eval.shingle_scores("one two three four five six", gold)
    assert (precision, recall) == (2 / 3, 1.0)
    assert run_eval.shingle_scores("", gold) == (0.0, 0.0, 0.0)
