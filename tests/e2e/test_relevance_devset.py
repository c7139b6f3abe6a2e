"""The relevance gate: the default watch meets issue [8]'s targets on eval/relevance/devset.jsonl.

``eval/relevance/evaluate.py`` is a script, loaded by path; scoring the 306 excerpts with
both watches takes about a second.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.support.paths import REPO


def _load_evaluate() -> ModuleType:
    name = "newswatch_eval_relevance"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "eval" / "relevance" / "evaluate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


evaluate = _load_evaluate()


def test_default_watch_meets_the_targets_on_the_development_set() -> None:
    printed: list[str] = []

    items = evaluate.load_items()
    watch = evaluate.watch_from_config(evaluate.load_config(REPO / "seeds" / "sources.yaml"))
    verdicts = {"score": {item.id: evaluate.classify(item.record(), watch) for item in items}}
    summary = evaluate.report(items, verdicts, "none", out=printed.append)
    lines = evaluate.target_lines(summary["score"])

    assert len(items) >= 300
    assert any(line.startswith("lang nl") for line in printed)
    assert [line for line in lines if "NOT MET" in line] == []
    assert sum(": met (" in line for line in lines) == len(evaluate.TARGETS)


def test_target_lines_report_a_missed_target() -> None:
    figures = {
        "all.precision": 0.95,
        "all.recall": 0.90,
        "non-English.precision": 0.9,
        "non-English.recall": 0.9,
        "lang nl.precision": 1.0,
        "lang nl.recall": 0.81,
    }

    lines = evaluate.target_lines(figures)

    assert "  all: precision and recall >= 0.92: NOT MET (0.950 / 0.900)" in lines
    assert "  non-English: precision and recall >= 0.88: met (0.900 / 0.900)" in lines
    assert "  below 0.88 in one language: lang nl recall 0.810" in lines
