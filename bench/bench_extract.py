"""Speed of extraction and cleaning against plain trafilatura (issue [2] item 6).

Two measurements, both in this process, on one core:

1. **HTML pages**: our time per page, the pipeline's per-page work from bytes to record
   (``extract_document`` + ``build_article`` with the watch of ``seeds/sources.yaml``: decode,
   parse, trafilatura, metadata, cleaning, relevance, quality), against plain
   ``trafilatura.extract(html)`` with default options and against ``trafilatura.extract(html,
   output_format="json", with_metadata=True)``, on every page of ``eval/html`` and
   ``tests/fixtures/site/articles`` (or ``--realpages N`` real pages of ``../shared/realpages``).
   ``eval/realpages.py`` times the same two calls per page.
   Each round times every page once with each extractor, the three calls of a page back to
   back in an order that rotates from page to page, so drifting clock speed, caches and
   garbage collection hit all three alike. Rounds repeat until each extractor has at least
   200 timed extractions; a page's figure is the median of its rounds.
2. **Plain text**: documents per second through ``extract_document`` + ``build_article`` for
   every ``eval/text`` document and ``seeds/documents/001``-``004``, repeated to at least
   1000 documents per pass; the median of the passes.

Every extractor gets the page's bytes, as fetched: the pipeline hands us bytes, and
``score.py --baseline`` hands trafilatura the same.

Prints Markdown tables; what they mean is written by hand in BENCHMARKS.md.

Usage::

    .venv/bin/python bench/bench_extract.py [--min-extractions N] [--passes P] [--realpages N]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The project is normally installed in editable mode; this keeps `python bench/...` working
# from a plain checkout too (sys.path[0] is bench/, not the repository root).
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402

from extractors.article import build_article, extract_document  # noqa: E402
from extractors.html import ExtractionError  # noqa: E402
from flows.config import load_config  # noqa: E402
from flows.stages.settings import watch_from_config  # noqa: E402

COMMAND = ".venv/bin/python bench/bench_extract.py"
PAGE_FOLDERS = (REPO / "eval" / "html", REPO / "tests" / "fixtures" / "site" / "articles")
TEXT_FOLDER = REPO / "eval" / "text"
SEED_GLOBS = ("001_*.txt", "002_*.txt", "003_*.txt", "004_*.txt")
SEEDS = REPO / "seeds" / "documents"
# Fixed, so that dates on the pages never count as "in the future" and the work is stable.
FETCHED_AT = datetime(2026, 11, 1, tzinfo=UTC)
REALPAGES = REPO.parent / "shared" / "realpages"
# The watch the daily run classifies with: relevance scoring is part of the per-page work.
WATCH = watch_from_config(load_config(REPO / "seeds" / "sources.yaml"))

OURS = "ours"
PLAIN = "plain"
JSON = "json"
LABELS = {
    OURS: "ours: `extract_document` + `build_article` (bytes in, cleaned and classified article out)",
    PLAIN: "plain `trafilatura.extract(html)` (default options)",
    JSON: '`trafilatura.extract(html, output_format="json", with_metadata=True)`',
}


@dataclass(frozen=True)
class Page:
    """One HTML page as fetched."""

    name: str
    url: str
    content: bytes


@dataclass(frozen=True)
class TextDoc:
    """One plain-text document as read from disk."""

    name: str
    url: str
    content: bytes


def load_pages() -> list[Page]:
    """Every ``.html`` page of the evaluation set and the fixture site."""
    pages = []
    for folder in PAGE_FOLDERS:
        for path in sorted(folder.glob("*.html")):
            content = path.read_bytes()
            pages.append(
                Page(
                    name=f"{folder.name}/{path.name}",
                    url=f"https://bench.example/{folder.name}/{path.stem}",
                    content=content,
                )
            )
    return pages


def load_real_pages(count: int, corpus: Path = REALPAGES) -> list[Page]:
    """``count`` real pages spread evenly over the datasets of ``../shared/realpages``.

    The corpus lies outside the repository (its licences keep it out); these are the
    pages the speed target is about, larger and messier than our own fixtures.
    """
    import gzip
    import json

    datasets = sorted(path.parent for path in corpus.glob("*/gold.jsonl"))
    pages = []
    for folder in datasets:
        with (folder / "gold.jsonl").open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        wanted = max(1, count // len(datasets))
        for row in rows[:: max(1, len(rows) // wanted)][:wanted]:
            content = gzip.decompress((folder / "pages" / f"{row['id']}.html.gz").read_bytes())
            url = row.get("url") or f"https://realpages.invalid/{folder.name}/{row['id']}.html"
            pages.append(Page(f"{folder.name}/{row['id']}", url, content))
    return pages


def load_text_docs() -> list[TextDoc]:
    """Every ``eval/text`` input (not the gold files) and seeds 001-004."""
    paths = [p for p in sorted(TEXT_FOLDER.glob("*.txt")) if not p.name.endswith(".gold.txt")]
    for pattern in SEED_GLOBS:
        paths += sorted(SEEDS.glob(pattern))
    return [TextDoc(p.name, p.resolve().as_uri(), p.read_bytes()) for p in paths]


def _ours(content: bytes, url: str, media_type: str) -> bool:
    """Our whole per-item path; ``False`` when it found no article (still a finished call)."""
    try:
        record, kind = extract_document(
            content, url=url, fetched_at=FETCHED_AT, media_type=media_type
        )
    except ExtractionError:  # NotAnArticle included: recognising a non-article is the work too
        return False
    article = build_article(
        record, source="bench", fetched_at=FETCHED_AT, watch=WATCH, input_kind=kind
    )
    return bool(article.record.body)


EXTRACTORS: dict[str, Callable[[Page], bool]] = {
    OURS: lambda page: _ours(page.content, page.url, "text/html"),
    PLAIN: lambda page: bool(trafilatura.extract(page.content)),
    JSON: lambda page: bool(
        trafilatura.extract(page.content, output_format="json", with_metadata=True)
    ),
}


@dataclass
class HtmlTiming:
    """Per extractor and page, the seconds of every round."""

    rounds: int
    seconds: dict[str, list[list[float]]]  # extractor → page → rounds
    empty: dict[str, int]  # extractor → pages it returned nothing for

    def page_medians(self, name: str) -> list[float]:
        """Each page's median over the rounds, in seconds."""
        return [statistics.median(times) for times in self.seconds[name]]

    def ratio(self, name: str, peer: str) -> float:
        """Time for the whole page set, ours over the peer's (sums of per-page medians)."""
        return sum(self.page_medians(name)) / sum(self.page_medians(peer))

    def median_page_ratio(self, name: str, peer: str) -> float:
        """The median over pages of the per-page ratio."""
        pairs = zip(self.page_medians(name), self.page_medians(peer), strict=True)
        return statistics.median(a / b for a, b in pairs)


def time_html(pages: Sequence[Page], min_extractions: int) -> HtmlTiming:
    """Time every extractor on every page, interleaved, until each has ``min_extractions``.

    Args:
        pages: the pages, held in memory.
        min_extractions: timed extractions wanted per extractor (rounds = this / pages, up).

    Returns:
        The per-round seconds and the count of empty outputs per extractor.
    """
    names = list(EXTRACTORS)
    empty = {name: sum(1 for page in pages if not EXTRACTORS[name](page)) for name in names}
    # The pass above was the untimed warm-up: lazy imports and first-call caches are paid.
    rounds = max(3, math.ceil(min_extractions / len(pages)))
    seconds: dict[str, list[list[float]]] = {name: [[] for _ in pages] for name in names}
    clock = time.perf_counter
    for round_ in range(rounds):
        gc.collect()  # start each round with the same heap, outside the timed calls
        for index, page in enumerate(pages):
            shift = (round_ + index) % len(names)
            for name in names[shift:] + names[:shift]:
                extract = EXTRACTORS[name]
                started = clock()
                extract(page)
                seconds[name][index].append(clock() - started)
    return HtmlTiming(rounds, seconds, empty)


@dataclass
class TextTiming:
    """Documents per second over several passes."""

    docs: int
    per_pass: int
    passes_s: list[float]
    empty: int

    @property
    def docs_per_s(self) -> list[float]:
        """Throughput of every pass."""
        return [self.per_pass / seconds for seconds in self.passes_s]


def time_text(docs: Sequence[TextDoc], passes: int, min_per_pass: int = 1000) -> TextTiming:
    """Clean the text documents ``passes`` times, each pass at least ``min_per_pass`` documents."""
    repeat = max(1, math.ceil(min_per_pass / len(docs)))
    workload = list(docs) * repeat
    empty = sum(1 for doc in docs if not _ours(doc.content, doc.url, "text/plain"))  # warm-up
    timings = []
    for _ in range(passes):
        gc.collect()
        started = time.perf_counter()
        for doc in workload:
            _ours(doc.content, doc.url, "text/plain")
        timings.append(time.perf_counter() - started)
    return TextTiming(len(docs), len(workload), timings, empty)


# ----------------------------------------------------------------------------- the report


def _machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": str(
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        ),
        "cpu": cpu,
        "python": platform.python_version(),
        "trafilatura": version("trafilatura"),
        "lxml": version("lxml"),
    }


def render_report(
    pages: Sequence[Page], html: HtmlTiming, docs: Sequence[TextDoc], text: TextTiming
) -> str:
    """The Markdown tables of one run, with the command and the machine."""
    machine = _machine()
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    evaluation = sum(1 for page in pages if page.name.startswith("html/"))
    mean_kb = statistics.mean(len(page.content) for page in pages) / 1024
    seeds = sum(1 for doc in docs if not doc.url.startswith(TEXT_FOLDER.as_uri()))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        "## Extraction and cleaning: ours vs plain trafilatura",
        "",
        f"Measured {when} with `{COMMAND} {' '.join(sys.argv[1:])}`, in one process on one "
        f"core; load average at the end {load}.",
        "",
        f"**Machine:** {machine['nproc']} cores (`nproc`), CPU `{machine['cpu']}` (/proc/cpuinfo); "
        f"Python {machine['python']}, trafilatura {machine['trafilatura']}, lxml {machine['lxml']}.",
        "",
        "### HTML: extraction and cleaning vs plain trafilatura",
        "",
        f"**Workload:** {len(pages)} pages held in memory ({_origin(pages, evaluation)}; "
        f"mean {mean_kb:.0f} KB), "
        f"{html.rounds} rounds → {html.rounds * len(pages)} timed extractions per extractor. "
        "Each round times every page with the three extractors back to back, in an order that "
        "rotates from page to page; a page's time is the median of its rounds. Every extractor "
        "gets the page's bytes; ours classifies with the watch of `seeds/sources.yaml`.",
        "",
        "| extractor | ms/page (mean of page medians) | median page, ms | pages/s | ours / this (page set) | ours / this (median page) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in EXTRACTORS:
        medians = html.page_medians(name)
        mean_ms = 1000 * statistics.mean(medians)
        ratios = (
            ("", "")
            if name == OURS
            else (
                f"**{html.ratio(OURS, name):.2f}**"
                if name == PLAIN
                else f"{html.ratio(OURS, name):.2f}",
                f"{html.median_page_ratio(OURS, name):.2f}",
            )
        )
        lines.append(
            f"| {LABELS[name]} | {mean_ms:.2f} | {1000 * statistics.median(medians):.2f} | "
            f"{1000 / mean_ms:.0f} | {ratios[0]} | {ratios[1]} |"
        )
    lines += [
        "",
        f"Pages with no output: ours {html.empty[OURS]}, plain {html.empty[PLAIN]}, "
        f"json {html.empty[JSON]} (of {len(pages)}).",
        "",
        "### Plain text: cleaning throughput",
        "",
        f"**Workload:** {len(docs)} documents ({len(docs) - seeds} from `eval/text`, seeds 001–004), "
        f"repeated to {text.per_pass} documents per pass, {len(text.passes_s)} passes; each "
        'document goes through `extract_document(media_type="text/plain")` + `build_article`.',
        "",
        "| measure | value |",
        "| --- | ---: |",
    ]
    rates = text.docs_per_s
    per_doc_ms = 1000 * statistics.median(text.passes_s) / text.per_pass
    lines += [
        f"| **documents/s** (median of passes; range {min(rates):.0f}–{max(rates):.0f}) | "
        f"**{statistics.median(rates):.0f}** |",
        f"| ms/document | {per_doc_ms:.2f} |",
        f"| documents with an empty body | {text.empty} of {len(docs)} |",
    ]
    return "\n".join(lines) + "\n"


def _origin(pages: Sequence[Page], evaluation: int) -> str:
    real = sum(
        1 for page in pages if page.url.startswith("http") and "bench.example" not in page.url
    )
    if real:
        return f"real pages spread over the datasets of `../shared/realpages`: {real}"
    return (
        f"{evaluation} from `eval/html`, {len(pages) - evaluation} from "
        "`tests/fixtures/site/articles`"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run both measurements and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--min-extractions",
        type=int,
        default=200,
        help="timed HTML extractions per extractor, at least (default 200)",
    )
    parser.add_argument("--passes", type=int, default=5, help="plain-text passes (default 5)")
    parser.add_argument(
        "--realpages",
        type=int,
        metavar="N",
        help="time N real pages of ../shared/realpages instead of our own pages",
    )
    args = parser.parse_args(argv)
    if args.min_extractions < 1 or args.passes < 1:
        parser.error("--min-extractions and --passes must be at least 1")
    began = time.perf_counter()
    if args.realpages and not (REALPAGES / "score.py").is_file():
        parser.error(f"{REALPAGES} is not here")
    pages = load_real_pages(args.realpages) if args.realpages else load_pages()
    docs = load_text_docs()
    print(f"{len(pages)} pages, {len(docs)} text documents ...", file=sys.stderr, flush=True)
    html = time_html(pages, args.min_extractions)
    text = time_text(docs, args.passes)
    report = render_report(pages, html, docs, text)
    print(report, end="")
    print(f"total wall time {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
