"""Speed of relevance classification with the default watch (issue [8]).

Times ``extractors.relevance.classify`` with the watch of ``seeds/sources.yaml`` on every
``eval/text`` input and ``seeds/documents/001``-``004`` (articles of a few hundred to a few
thousand characters), beside two peers in the same process, interleaved round by round:

* the same classification at a git revision (``--against``, default ``main``): its
  ``extractors/relevance.py`` and ``seeds/sources.yaml``, loaded from git, so a change to
  the scorer or the watch shows its cost as a ratio measured in one run;
* text extraction and cleaning of the same documents (``extract_document`` +
  ``build_article`` with an accept-all watch), the per-article work classification adds to.

Each round classifies every document once with each; a figure is the median over rounds of
the mean milliseconds per document. Prints a Markdown report; ``--write`` replaces the
"## Relevance classification speed (issue [8])" section of ``BENCHMARKS.md``.

Usage::

    .venv/bin/python bench/bench_relevance.py [--against REV] [--rounds N] [--write]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench_extract import TextDoc, _machine, load_text_docs  # noqa: E402
from benchmarks_md import update_section  # noqa: E402 - bench/ is on sys.path when run as a script

import extractors.relevance as relevance  # noqa: E402
from extractors.article import build_article, extract_document  # noqa: E402
from extractors.record import Record  # noqa: E402
from flows.config import parse_config  # noqa: E402
from flows.config.models import WatchConfig  # noqa: E402

SECTION = "## Relevance classification speed (issue [8])"
COMMAND = ".venv/bin/python bench/bench_relevance.py --write"
FETCHED_AT = datetime(2026, 11, 1, tzinfo=UTC)
WATCH_FILE = "seeds/sources.yaml"
SCORER_FILE = "extractors/relevance.py"


def _git_show(revision: str, path: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{revision}:{path}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"--against {revision}: cannot read {path} ({result.stderr.strip()})")
    return result.stdout


def _module_at(revision: str, folder: Path) -> ModuleType:
    """``extractors/relevance.py`` as it was at ``revision``, imported under its own name."""
    path = folder / "relevance_at_revision.py"
    path.write_text(_git_show(revision, SCORER_FILE), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("relevance_at_revision", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


def _watch(module: ModuleType, config: WatchConfig) -> Any:
    """``module.Watch`` built from ``config``, with the fields that version knows."""
    values: dict[str, Any] = {
        "name": config.name,
        "match_all": {group: tuple(terms) for group, terms in config.match_all.items()},
        "exclude": tuple(config.exclude),
        "topics": {label: tuple(terms) for label, terms in config.topics.items()},
        "anchors": tuple(config.anchors),
        "threshold": config.threshold,
        "frame": config.frame,
    }
    known = {each.name for each in dataclasses.fields(module.Watch)}
    return module.Watch(**{name: value for name, value in values.items() if name in known})


def _watch_config(text: str, name: str) -> WatchConfig:
    config = parse_config(text, name).watch
    if config is None:
        raise SystemExit(f"{name}: no watch to time")
    return config


def _extract(doc: TextDoc) -> Record:
    record, kind = extract_document(doc.content, url=doc.url, fetched_at=FETCHED_AT)
    article = build_article(
        record, source="bench", fetched_at=FETCHED_AT, watch=relevance.Watch(), input_kind=kind
    )
    return article.record


def time_rounds(
    docs: list[TextDoc], rounds: int, against: str
) -> tuple[dict[str, float], int, int]:
    """Median ms per document for each contender, the documents' count and mean length."""
    records = [_extract(doc) for doc in docs]
    current = _watch(relevance, _watch_config((REPO / WATCH_FILE).read_text("utf-8"), WATCH_FILE))
    with tempfile.TemporaryDirectory() as folder:
        old_module = _module_at(against, Path(folder))
    old_watch = _watch(old_module, _watch_config(_git_show(against, WATCH_FILE), WATCH_FILE))
    contenders: dict[str, Callable[[], object]] = {
        "classify, this checkout": lambda: [relevance.classify(r, current) for r in records],
        f"classify, {against}": lambda: [old_module.classify(r, old_watch) for r in records],
        "extract + clean (accept-all watch)": lambda: [_extract(doc) for doc in docs],
    }
    for run in contenders.values():
        run()  # warm-up: compiled patterns, cached properties
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(times) * 1000 / len(docs) for name, times in seconds.items()}
    mean_chars = round(statistics.mean(len(r.title) + len(r.body) for r in records))
    return medians, len(docs), mean_chars


def report(
    medians: dict[str, float], count: int, mean_chars: int, against: str, rounds: int
) -> str:
    """The Markdown section."""
    machine = _machine()
    current, old, extraction = medians.values()
    lines = [
        SECTION,
        "",
        f"Command: `{COMMAND}` (peer revision `{against}`), {count} documents (`eval/text` "
        f"inputs and seeds 001-004, {mean_chars} characters on average), {rounds} rounds, "
        f"interleaved; machine: {machine['nproc']} cores, {machine['cpu']}, Python "
        f"{machine['python']}; measured {datetime.now(UTC):%Y-%m-%d}. Other work shared the "
        "machine: read the ratios, not the absolute figures.",
        "",
        "| contender | ms per document (median of rounds) |",
        "| --- | ---: |",
        *(f"| {name} | {value:.2f} |" for name, value in medians.items()),
        "",
        f"Classification here vs at `{against}`: {current / old:.2f}×; classification vs "
        f"extraction and cleaning of the same documents: {current / extraction:.2f}×.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="main", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args(argv)
    medians, count, mean_chars = time_rounds(load_text_docs(), args.rounds, args.against)
    text = report(medians, count, mean_chars, args.against, args.rounds)
    print(text)
    if args.write:
        update_section(SECTION, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
