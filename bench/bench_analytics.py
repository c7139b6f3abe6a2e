"""Analytics benchmark (issue [5]): README example queries over 1M articles, publish time at 100k and 1M.

For each size a fresh synthetic database is generated (``bench/synthetic.py``,
with the near-copy index filled so the file is as big as a real one) and
published with ``storage.publish.publish`` (checkpoint, copy, stamp, atomic
rename), timed. At the largest size every example query of README.md is
timed on the analytics copy: a fresh read-only connection each time (what
``newswatch query`` and a new notebook session do), best and median of
``--repeat`` runs after one warm-up.

Usage::

    .venv/bin/python bench/bench_analytics.py [--sizes 100000 1000000] [--repeat 5] [--write]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from bench.benchmarks_md import update_section  # noqa: E402
from bench.synthetic import fill_synthetic  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.publish import publish  # noqa: E402
from tests.e2e.test_readme import readme_queries  # noqa: E402

HEADING = "## Analytics copy and README queries (issue [5])"
TARGET_SECONDS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()

    publish_rows = []
    query_rows: list[tuple[str, float, float, int]] = []
    with tempfile.TemporaryDirectory(prefix="newswatch-bench-analytics-") as folder:
        for size in args.sizes:
            db = Database(Path(folder) / f"news-{size}.duckdb")
            started = time.perf_counter()
            fill_synthetic(db, size, days=365, index=True)
            generated = time.perf_counter() - started
            times = []
            for _ in range(3):
                publication = publish(db, run_id=f"bench-{size}")
                times.append(publication.seconds)
            size_mb = publication.size_bytes / 1e6
            publish_rows.append((size, generated, size_mb, min(times), statistics.median(times)))
            print(
                f"{size:>9,} articles: generated in {generated:.1f} s, file {size_mb:,.0f} MB, "
                f"publish best {min(times):.2f} s, median {statistics.median(times):.2f} s",
                flush=True,
            )
            if size == max(args.sizes):
                query_rows = time_queries(publication.path, args.repeat)
            else:
                db.path.unlink()
                publication.path.unlink()
    report = render(args, publish_rows, query_rows)
    print(report)
    if args.write:
        update_section(HEADING, report)
    slow = [row for row in query_rows if row[2] > TARGET_SECONDS]
    if slow:
        print("PROBLEM: over 1 s: " + ", ".join(row[0] for row in slow))
        sys.exit(1)


def time_queries(path: Path, repeat: int) -> list[tuple[str, float, float, int]]:
    rows = []
    for comment, sql in readme_queries():
        samples = []
        count = 0
        for attempt in range(repeat + 1):
            started = time.perf_counter()
            with duckdb.connect(str(path), read_only=True) as connection:
                count = len(connection.execute(sql).fetchall())
            if attempt:  # the first run warms the OS page cache
                samples.append(time.perf_counter() - started)
        rows.append((comment, min(samples), statistics.median(samples), count))
        print(
            f"  {comment}: best {min(samples):.3f} s, median {statistics.median(samples):.3f} s, {count} rows",
            flush=True,
        )
    return rows


def render(
    args: argparse.Namespace,
    publish_rows: list[tuple[int, float, float, float, float]],
    query_rows: list[tuple[str, float, float, int]],
) -> str:
    largest = max(args.sizes)
    lines = [
        HEADING,
        "",
        f"Command: `.venv/bin/python bench/bench_analytics.py --sizes {' '.join(map(str, args.sizes))} "
        f"--repeat {args.repeat} --write` (also `make bench-analytics`). "
        f"Machine: {os.cpu_count()} cores shared with other jobs (load average at the end "
        f"{os.getloadavg()[0]:.1f}), Python {platform.python_version()}, duckdb {version('duckdb')}, "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}.",
        "",
        "Synthetic databases from `bench/synthetic.py`: articles over 365 days from ~200 providers "
        "(Zipf-like), 1–2 topics each, a third in stories of ~15 articles within four days, 5 % copies, "
        "10 % off-topic, ~1.3 KB bodies, one run per day, 15 sources (3 failing), and the near-copy "
        "index filled (42 LSH band keys and a 504-byte signature per article) so that the file is "
        "as big as a real one.",
        "",
        "**Publish** (`storage.publish.publish`: checkpoint, file copy, stamp, fsync, atomic rename; "
        "best and median of 3):",
        "",
        "| articles | generate | file | publish best | publish median |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {size:,} | {generated:.1f} s | {size_mb:,.0f} MB | {best:.2f} s | {median:.2f} s |"
        for size, generated, size_mb, best, median in publish_rows
    ]
    lines += [
        "",
        f"**README example queries** on the analytics copy of {largest:,} articles, each on a fresh "
        f"read-only connection (open + query + fetch all rows), best and median of {args.repeat} "
        f"after one warm-up; target ≤ {TARGET_SECONDS:.0f} s:",
        "",
        "| query | best | median | rows | ≤ 1 s |",
        "|---|---:|---:|---:|:---:|",
    ]
    lines += [
        f"| {comment} | {best:.3f} s | {median:.3f} s | {count:,} | {'yes' if median <= TARGET_SECONDS else 'NO'} |"
        for comment, best, median, count in query_rows
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
