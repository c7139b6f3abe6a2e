"""Score our extraction on real pages nobody here wrote (``../shared/realpages``), beside trafilatura.

The corpus (see its README) holds 2,989 real pages from three public datasets with human gold:
``l3s-gn1`` and ``dragnet`` have whole gold bodies, ``trafilatura-eval`` has ``with`` /
``without`` snippets. Its licences keep the pages and gold out of this repository, so they are
read from where they lie; when the folder is absent the evaluation says so and exits 0.

Scoring is the corpus's own ``score.py`` (imported, not copied): body sets get token 4-gram
shingle P and R per page (``\\w+``, case kept, multiset), averaged over pages, F1 the harmonic
mean of the averages; snippet sets get pooled snippet P/R/F1. Three systems on every page, in
the same run: ours (``extract_document`` + ``build_article``, as the pipeline calls them, with no
provider memory), plain ``trafilatura.extract(html, include_comments=False)`` on the raw bytes
(what ``score.py --baseline`` runs) and the same with ``favor_precision=True``. A fourth
column scores our same record as headline + body (``ours, title + body``): the datasets' gold
bodies begin with the headline, which the seed format keeps in ``title``, not in the body. The
targets and the loss counts are judged on ``ours``, the body alone.

Our time per page is the pipeline's per-page work from bytes to record: ``extract_document`` +
``build_article`` with the watch of ``seeds/sources.yaml`` (relevance scoring included), the
same calls ``bench/bench_extract.py`` times; trafilatura's is ``extract`` on the same bytes.
Here every page runs once, in worker processes beside other work, so the medians are a rough
view; ``bench/bench_extract.py --realpages N`` measures the ratio (interleaved rounds).

Per dataset it reports the three systems' figures, the pages where ours loses more than 0.05 F1
to plain trafilatura, empty outputs and rejections (by reason), our time per page against
trafilatura's, and the ten pages we lose most on, with what was lost: the gold paragraphs (or
``with`` snippets) trafilatura found and we did not, each marked as dropped by the cleaner (with
its reason code) or missing from our extraction already.

Usage::

    .venv/bin/python eval/realpages.py [--dataset NAME ...] [--limit N] [--jobs 2] [--json PATH]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

EVAL_DIR = Path(__file__).resolve().parent
REPO = EVAL_DIR.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402

from extractors.article import build_article, extract_document  # noqa: E402
from extractors.html import ExtractionError, NotAnArticle  # noqa: E402
from flows.config import load_config  # noqa: E402
from flows.stages.settings import watch_from_config  # noqa: E402

# Relative to the repository root, as the corpus README says.
DEFAULT_CORPUS = REPO.parent / "shared" / "realpages"
FETCHED_AT_ISO = "2026-11-01T00:00:00+00:00"
LOSS_THRESHOLD = 0.05
WORST = 10
# A gold paragraph counts as found by a system when this share of its shingles is in the output.
FOUND_SHARE = 0.5
OURS = "ours"
TRAFILATURA = "trafilatura"
PRECISION = "trafilatura-precision"
# The same record read as an analyst reads it: the headline (``title``), then the body. The
# datasets' gold bodies start with the headline, which the seed format keeps in ``title`` and
# the cleaner removes from the body (as ``headline``); this column shows what that costs.
# Targets are judged on ``ours`` (the body alone), never on this column.
OURS_TITLED = "ours, title + body"
SYSTEMS = (OURS, OURS_TITLED, TRAFILATURA, PRECISION)
CRASH = "crash"
_WATCH = watch_from_config(load_config(REPO / "seeds" / "sources.yaml"))


def load_scorer(corpus: Path) -> ModuleType:
    """Import the corpus's ``score.py`` so that the definitions are exactly the corpus's."""
    spec = importlib.util.spec_from_file_location("realpages_score", corpus / "score.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {corpus / 'score.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class PageResult:
    """The three systems' outputs on one page, with ours's audit trail."""

    id: str
    texts: dict[str, str]
    seconds: dict[str, float]
    rejected: str = ""
    extracted: str = ""
    removed: list[tuple[str, str]] = field(default_factory=list)


def page_url(row: dict[str, Any], dataset: str) -> str:
    """The page's own URL when the gold knows it, else a stable invented one."""
    url = row.get("url") or ""
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return url
    return f"https://realpages.invalid/{dataset}/{row['id']}.html"


def run_page(job: tuple[str, str, str, str]) -> PageResult:
    """Run the three systems on one page (called in a worker process).

    Args:
        job: (path of the gzipped page, page id, URL, fetch time as ISO text).

    Returns:
        The outputs and timings; ours's rejection reason, raw extraction and removed lines.
    """
    path, page_id, url, fetched_iso = job
    content = gzip.decompress(Path(path).read_bytes())
    return run_systems(content, page_id, url, datetime.fromisoformat(fetched_iso))


def run_systems(content: bytes, page_id: str, url: str, fetched_at: datetime) -> PageResult:
    """Ours, plain trafilatura and trafilatura with ``favor_precision`` on one page's bytes."""
    texts: dict[str, str] = {}
    seconds: dict[str, float] = {}
    rejected = ""
    extracted = ""
    removed: list[tuple[str, str]] = []
    started = time.perf_counter()
    try:
        record, kind = extract_document(
            content, url=url, fetched_at=fetched_at, media_type="text/html"
        )
        extracted = record.body
        article = build_article(
            record, source="realpages", fetched_at=fetched_at, watch=_WATCH, input_kind=kind
        )
        texts[OURS] = article.record.body
        title = article.record.title
        texts[OURS_TITLED] = f"{title}\n\n{texts[OURS]}" if title and texts[OURS] else texts[OURS]
        removed = [(line.reason, line.text) for line in article.removed]
    except NotAnArticle as error:
        texts[OURS], rejected = "", error.reason
    except ExtractionError as error:
        texts[OURS], rejected = "", f"error: {error}"
    except Exception as error:  # one crashing page must not hide the others
        texts[OURS], rejected = "", f"{CRASH}: {type(error).__name__}: {error}"
    texts.setdefault(OURS_TITLED, texts[OURS])
    seconds[OURS] = seconds[OURS_TITLED] = time.perf_counter() - started
    for system, favor_precision in ((TRAFILATURA, False), (PRECISION, True)):
        started = time.perf_counter()
        try:
            text = trafilatura.extract(
                content, include_comments=False, favor_precision=favor_precision
            )
        except Exception:  # as score.py: a crash counts as an empty extraction
            text = None
        seconds[system] = time.perf_counter() - started
        texts[system] = text or ""
    return PageResult(page_id, texts, seconds, rejected, extracted, removed)


def page_f1(scorer: ModuleType, row: dict[str, Any], text: str) -> float:
    """One page's F1: shingle F1 for body gold, snippet F1 for snippet gold."""
    if "body" in row:
        precision, recall = scorer.body_scores(text, row["body"])
        return float(scorer.f1(precision, recall))
    found, missed, leaked, _absent = scorer.snippet_counts(
        text, row.get("with", []), row.get("without", [])
    )
    precision = found / (found + leaked) if found + leaked else 1.0 if not missed else 0.0
    recall = found / (found + missed) if found + missed else 1.0
    return float(scorer.f1(precision, recall))


def lost_pieces(
    scorer: ModuleType, row: dict[str, Any], result: PageResult
) -> list[tuple[str, str]]:
    """Gold pieces trafilatura found and we did not, each with where we lost it.

    Returns:
        (where, text) pairs: ``removed: REASON`` when the cleaner dropped a line holding it,
        ``not extracted`` when our extraction never had it, ``rejected`` for a refused page.
    """
    ours, theirs = result.texts[OURS], result.texts[TRAFILATURA]
    if "body" in row:
        pieces = [piece for piece in row["body"].split("\n") if piece.strip()]
    else:
        pieces = list(row.get("with", []))
    lost = []
    for piece in pieces:
        if _share_in(scorer, piece, theirs) >= FOUND_SHARE > _share_in(scorer, piece, ours):
            lost.append((_where(scorer, piece, result), piece))
    return lost


def _share_in(scorer: ModuleType, piece: str, text: str) -> float:
    wanted = scorer.shingles(piece)
    total = sum(wanted.values())
    if not total:
        return 0.0
    return sum((wanted & scorer.shingles(text)).values()) / total


def _where(scorer: ModuleType, piece: str, result: PageResult) -> str:
    if result.rejected:
        return f"rejected ({result.rejected})"
    for reason, line in result.removed:
        if _share_in(scorer, piece, line) >= FOUND_SHARE:
            return f"removed: {reason}"
    if _share_in(scorer, piece, result.extracted) >= FOUND_SHARE:
        return "dropped after extraction, unaccounted"
    return "not extracted"


@dataclass
class DatasetReport:
    """Everything printed for one dataset."""

    name: str
    pages: int
    figures: dict[str, dict[str, float]]
    empty: dict[str, int]
    rejections: Counter[str]
    losing_pages: int
    seconds: dict[str, float]
    worst: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "pages": self.pages,
            "figures": self.figures,
            "empty_outputs": self.empty,
            "rejections": dict(self.rejections),
            "pages_losing_more_than_0.05_f1": self.losing_pages,
            "median_seconds_per_page": self.seconds,
            "worst": self.worst,
        }


def evaluate_dataset(
    scorer: ModuleType,
    folder: Path,
    *,
    limit: int | None,
    jobs: int,
    split: str | None = None,
) -> DatasetReport:
    """Run and score one dataset folder (``gold.jsonl`` + ``pages/``)."""
    with (folder / "gold.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    if split:
        rows = [row for row in rows if row.get("split") in (None, split)]
    if limit:
        rows = rows[:limit]
    jobs_list = [
        (str(folder / "pages" / f"{row['id']}.html.gz"), row["id"], page_url(row, folder.name))
        for row in rows
    ]
    work = [(path, page_id, url, FETCHED_AT_ISO) for path, page_id, url in jobs_list]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(run_page, work, chunksize=4))
    else:
        results = [run_page(job) for job in work]
    figures: dict[str, dict[str, float]] = {}
    empty: dict[str, int] = {}
    for system in SYSTEMS:
        tally = scorer.Tally()
        for row, result in zip(rows, results, strict=True):
            tally.add(row, result.texts[system])
        figures[system] = {key: round(value, 4) for key, value in tally.figures().items()}
        empty[system] = tally.empty
    gaps = []
    for row, result in zip(rows, results, strict=True):
        ours = page_f1(scorer, row, result.texts[OURS])
        theirs = page_f1(scorer, row, result.texts[TRAFILATURA])
        gaps.append((theirs - ours, ours, theirs, row, result))
    losing = sum(1 for gap, *_ in gaps if gap > LOSS_THRESHOLD)
    gaps.sort(key=lambda item: -item[0])
    worst = []
    for gap, ours, theirs, row, result in gaps[:WORST]:
        if gap <= 0:
            break
        worst.append(
            {
                "id": row["id"],
                "url": row.get("url") or "",
                "ours_f1": round(ours, 3),
                "trafilatura_f1": round(theirs, 3),
                "rejected": result.rejected,
                "lost": [
                    {"where": where, "text": text}
                    for where, text in lost_pieces(scorer, row, result)
                ],
            }
        )
    seconds = {
        system: statistics.median(result.seconds[system] for result in results) if results else 0.0
        for system in SYSTEMS
    }
    rejections = Counter(result.rejected.split(":")[0] for result in results if result.rejected)
    return DatasetReport(folder.name, len(rows), figures, empty, rejections, losing, seconds, worst)


def render(reports: Sequence[DatasetReport]) -> str:
    """The Markdown report."""
    out = ["# Real pages (../shared/realpages)", ""]
    for report in reports:
        out.append(f"## {report.name}: {report.pages} pages")
        out.append("")
        metrics = list(report.figures[OURS])
        out.append("| metric | " + " | ".join(SYSTEMS) + " |")
        out.append("| --- |" + " ---: |" * len(SYSTEMS))
        for metric in metrics:
            out.append(
                f"| {metric} | "
                + " | ".join(f"{report.figures[system][metric]:.3f}" for system in SYSTEMS)
                + " |"
            )
        out.append("| empty outputs | " + " | ".join(str(report.empty[s]) for s in SYSTEMS) + " |")
        out.append(
            "| median ms per page | "
            + " | ".join(f"{report.seconds[s] * 1000:.1f}" for s in SYSTEMS)
            + " |"
        )
        out.append("")
        share = report.losing_pages / report.pages if report.pages else 0.0
        out.append(
            f"Pages where ours loses more than {LOSS_THRESHOLD} F1 to trafilatura: "
            f"{report.losing_pages} ({share:.1%})."
        )
        rejected = ", ".join(
            f"{reason} {count}" for reason, count in report.rejections.most_common()
        )
        out.append(
            f"Rejected by ours (no body stored): {sum(report.rejections.values())}"
            + (f" ({rejected})" if rejected else "")
            + "."
        )
        out.append("")
        if report.worst:
            out.append("Worst pages (ours vs trafilatura F1; what trafilatura found and we lost):")
            out.append("")
        for page in report.worst:
            label = f"- `{page['id']}` {page['ours_f1']:.3f} vs {page['trafilatura_f1']:.3f}"
            if page["rejected"]:
                label += f", rejected: {page['rejected']}"
            out.append(label + (f" <{page['url']}>" if page["url"] else ""))
            for piece in page["lost"][:4]:
                out.append(f"  - [{piece['where']}] {_clip(piece['text'])}")
            if len(page["lost"]) > 4:
                out.append(f"  - … {len(page['lost']) - 4} more")
        out.append("")
    return "\n".join(out)


def _clip(text: str, width: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate on the real-pages corpus and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="realpages folder")
    parser.add_argument(
        "--dataset", action="append", help="only this dataset (repeatable); default: all"
    )
    parser.add_argument("--limit", type=int, help="only the first N pages of each dataset")
    parser.add_argument("--split", help="only rows with this 'split' value (dragnet: train/test)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number to PATH")
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    if not (corpus / "score.py").is_file():
        print(f"realpages: {corpus} not found; skipping the real-pages evaluation.")
        return 0
    scorer = load_scorer(corpus)
    folders = sorted(path.parent for path in corpus.glob("*/gold.jsonl"))
    if args.dataset:
        unknown = set(args.dataset) - {folder.name for folder in folders}
        if unknown:
            parser.error(f"unknown dataset(s): {', '.join(sorted(unknown))}")
        folders = [folder for folder in folders if folder.name in args.dataset]
    started = time.perf_counter()
    reports = [
        evaluate_dataset(scorer, folder, limit=args.limit, jobs=args.jobs, split=args.split)
        for folder in folders
    ]
    print(render(reports))
    print(f"({time.perf_counter() - started:.0f} s, {args.jobs} workers)")
    if args.json:
        args.json.write_text(
            json.dumps({r.name: r.as_json() for r in reports}, indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
