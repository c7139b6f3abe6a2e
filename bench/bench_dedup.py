"""Scale benchmark of the near-copy index (issue 3): batch dedup at 10k/30k/100k, incremental at 1M.

What it measures, each configuration in a fresh child process (its peak RSS is its own):

* ``scale N``: N synthetic articles of ~600 words (Zipf-distributed vocabulary of
  50k words; 20 % of them near-copies of another: re-wrapped, 3 % word edits, or
  cut to 60-70 %), published over 60 days, stored through ``save_batch`` in
  batches of 10k (a backfill) into a fresh DuckDB file. Reports the dedup share
  (``storage.dedup.index_articles``: fingerprints, index insert, candidate
  join, exact checks, cluster update), the whole ``save_batch`` time, the pair
  precision/recall against the generator's truth, and peak RSS.
* ``peer N``: datasketch's in-memory ``MinHashLSH`` (threshold 0.5, 128
  permutations, ``MinHash.update_batch``) over the same N articles, with the same
  shingles and exact check: the usual way to do this in Python, kept in memory.
* ``incremental``: 1,000 new articles (half of them near-copies of stored ones)
  checked against 1,000,000 stored signatures (42M band keys) in the window:
  the stored signatures are built from random shingle sets, except for the 500
  planted originals whose bodies are stored. Reports the ``save_batch`` time of
  the 1,000 and how many copies were found.

Usage::

    .venv/bin/python bench/bench_dedup.py [--sizes 10000 30000 100000] [--repeat 3] [--stored 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from itertools import combinations
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

import storage.dedup as dedup  # noqa: E402
from extractors.article import Article, build_article  # noqa: E402
from extractors.fingerprint import (  # noqa: E402
    BANDS,
    NUM_PERM,
    band_keys,
    resemblance,
    shingles,
    signatures,
)
from extractors.record import Provider, Record  # noqa: E402
from extractors.relevance import Watch  # noqa: E402
from storage.articles import ARTICLE_COLUMNS, ArticleBatch, save_batch  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.dedup import SIGNATURE_SCHEMA  # noqa: E402

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
START = datetime(2026, 9, 1, tzinfo=UTC)
VOCABULARY = 50_000
WORDS = 600
COPY_SHARE = 0.2
BATCH = 10_000


# ------------------------------------------------------------------------- workload


def corpus(count: int, seed: int = 7) -> tuple[list[str], list[int], list[datetime]]:
    """Bodies, the truth label (index of the base article) and publication times."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, VOCABULARY + 1, dtype=np.float64)
    probabilities = ranks**-1.05
    cumulative = np.cumsum(probabilities / probabilities.sum())
    vocabulary = np.array([f"w{index:x}" for index in range(VOCABULARY)], dtype=object)
    bodies: list[str] = []
    labels: list[int] = []
    times: list[datetime] = []
    for index in range(count):
        if index > 10 and rng.random() < COPY_SHARE:
            base = int(rng.integers(0, index))
            while labels[base] != base:
                base = labels[base]
            words = bodies[base].split()
            kind = rng.integers(0, 3)
            if kind == 1:  # light edits
                positions = rng.choice(len(words), size=len(words) * 3 // 100, replace=False)
                for position in positions:
                    words[position] = str(vocabulary[rng.integers(0, VOCABULARY)])
            elif kind == 2:  # cut to 60-70 %
                words = words[: int(len(words) * rng.uniform(0.6, 0.7))]
            wrapper = ["Advertisement", "Share", "this", "article"] if kind == 0 else []
            bodies.append(" ".join([*wrapper, *words, "Subscribe", "to", "our", "newsletter"]))
            labels.append(base)
            times.append(times[base] + timedelta(hours=float(rng.uniform(-6, 48))))
        else:
            length = int(rng.integers(WORDS - 100, WORDS + 100))
            words_idx = np.minimum(np.searchsorted(cumulative, rng.random(length)), VOCABULARY - 1)
            paragraphs = [" ".join(vocabulary[words_idx[i : i + 60]]) for i in range(0, length, 60)]
            bodies.append("\n\n".join(paragraphs))
            labels.append(index)
            times.append(START + timedelta(days=float(rng.uniform(0, 60))))
    return bodies, labels, times


def articles(
    bodies: list[str], times: list[datetime], offset: int = 0, prefix: str = "a"
) -> Iterator[Article]:
    """The bodies as stored articles on 97 sites; ``offset`` numbers them on from a previous batch."""
    for index, (body, when) in enumerate(zip(bodies, times, strict=True), start=offset):
        site = f"site{index % 97}.example"
        url = f"https://{site}/{prefix}/{index}"
        record = Record(
            title=f"Article {prefix}{index}",
            body=body,
            web_url=url,
            original_url=url,
            published_at=when,
            provider=Provider(site, site),
        )
        yield build_article(
            record, source="bench", fetched_at=NOW, watch=Watch(), input_kind="text"
        )


def pair_scores(labels: list[int], clusters: list[str]) -> tuple[float, float]:
    """Pair precision and recall of predicted clusters against the labels."""
    by_label: dict[int, list[int]] = {}
    by_cluster: dict[str, list[int]] = {}
    for index, (label, cluster) in enumerate(zip(labels, clusters, strict=True)):
        by_label.setdefault(label, []).append(index)
        by_cluster.setdefault(cluster, []).append(index)
    truth = {pair for group in by_label.values() for pair in combinations(group, 2)}
    predicted = {pair for group in by_cluster.values() for pair in combinations(group, 2)}
    hits = len(truth & predicted)
    return (hits / len(predicted) if predicted else 1.0, hits / len(truth) if truth else 1.0)


# -------------------------------------------------------------------------- children


def child_scale(count: int) -> dict[str, Any]:
    """Store ``count`` articles in batches of 10k; time the dedup part."""
    bodies, labels, times = corpus(count)
    spent = {"index": 0.0}
    original = dedup.index_articles

    def timed(*args: Any, **kwargs: Any) -> set[str]:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent["index"] += time.perf_counter() - started

    dedup.index_articles = timed  # type: ignore[assignment]
    import storage.articles

    storage.articles.index_articles = timed  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.duckdb")
        build = total = 0.0
        ordered_ids: list[str] = []
        for start in range(0, count, BATCH):
            started = time.perf_counter()
            batch = list(
                articles(bodies[start : start + BATCH], times[start : start + BATCH], start)
            )
            ordered_ids.extend(article.id for article in batch)
            build += time.perf_counter() - started
            started = time.perf_counter()
            save_batch(db, ArticleBatch(run_id=f"r{start}", seen_at=NOW, articles=batch))
            total += time.perf_counter() - started
        with db.connect(read_only=True) as connection:
            rows = dict(
                connection.execute("SELECT id, coalesce(duplicate_of, id) FROM articles").fetchall()
            )
            size = os.path.getsize(db.path)
    missing = [article_id for article_id in ordered_ids if article_id not in rows]
    assert not missing, f"{len(missing)} articles not stored, e.g. {missing[:3]}"
    precision, recall = pair_scores(labels, [rows[i] for i in ordered_ids])
    return {
        "count": count,
        "dedup_s": spent["index"],
        "save_batch_s": total,
        "build_articles_s": build,
        "precision": precision,
        "recall": recall,
        "db_mb": size / 1e6,
        "peak_rss_mb": _peak_rss_mb(),
    }


def child_peer(count: int) -> dict[str, Any]:
    """datasketch MinHashLSH in memory over the same articles, with the same exact check."""
    from datasketch import MinHash, MinHashLSH

    bodies, labels, _ = corpus(count)
    started = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    sets = []
    parent = list(range(count))

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for index, body in enumerate(bodies):
        shingle_set = shingles(body)
        sets.append(shingle_set)
        minhash = MinHash(num_perm=128)
        minhash.update_batch([value.tobytes() for value in shingle_set])
        for other in lsh.query(minhash):
            if resemblance(shingle_set, sets[other]).is_near_copy:
                parent[find(index)] = find(other)
        lsh.insert(index, minhash)
    elapsed = time.perf_counter() - started
    precision, recall = pair_scores(labels, [str(find(i)) for i in range(count)])
    return {
        "count": count,
        "peer_s": elapsed,
        "precision": precision,
        "recall": recall,
        "peak_rss_mb": _peak_rss_mb(),
    }


def child_incremental(stored: int, new: int = 1000) -> dict[str, Any]:
    """Check ``new`` articles against ``stored`` signatures already in the index.

    The first half of the batch are copies (cut to 70 %, re-wrapped) of planted
    stored originals; ``copies_found`` counts how many of those were recognised.
    """
    rng = np.random.default_rng(11)
    planted = new // 2
    bodies, _, _ = corpus(planted, seed=3)
    base_times = [NOW - timedelta(days=float(rng.uniform(1, 25))) for _ in range(planted)]
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.duckdb")
        started = time.perf_counter()
        # The planted originals go through the real path, with their bodies.
        save_batch(
            db,
            ArticleBatch(
                run_id="planted",
                seen_at=NOW,
                articles=list(articles(bodies, base_times, prefix="p")),
            ),
        )
        with db.transaction() as connection:
            _fill(connection, stored - planted, rng)
        setup = time.perf_counter() - started
        with db.connect(read_only=True) as connection:
            counts = connection.execute(
                "SELECT (SELECT count(*) FROM article_signatures), (SELECT count(*) FROM article_bands)"
            ).fetchone()
        fresh_bodies, _, _ = corpus(new, seed=5)
        copies = [
            " ".join(["Advertisement", *body.split()[: int(len(body.split()) * 0.7)]])
            for body in bodies
        ]
        batch_bodies = copies + fresh_bodies[: new - planted]
        batch_times = [when + timedelta(hours=5) for when in base_times] + [
            NOW - timedelta(days=1)
        ] * (new - planted)
        batch = list(articles(batch_bodies, batch_times, prefix="n"))
        timings = []
        result = None
        for attempt in range(3):
            # Each attempt in its own copy of the database, so it meets the same state.
            copy_path = Path(folder) / f"attempt{attempt}.duckdb"
            subprocess.run(["cp", str(db.path), str(copy_path)], check=True)
            started = time.perf_counter()
            result = save_batch(
                Database(copy_path),
                ArticleBatch(run_id=f"new{attempt}", seen_at=NOW, articles=batch),
            )
            timings.append(time.perf_counter() - started)
            copy_path.unlink()
        assert result is not None
        size = os.path.getsize(db.path)
    return {
        "stored_signatures": counts[0] if counts else 0,
        "stored_bands": counts[1] if counts else 0,
        "new": new,
        "check_s": timings,
        "copies_found": len(set(result.duplicate_ids) & {a.id for a in batch[:planted]}),
        "copies_planted": planted,
        "setup_s": setup,
        "db_mb": size / 1e6,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _fill(connection: Any, count: int, rng: np.random.Generator) -> None:
    """Stored articles (metadata rows) with signatures of random shingle sets, in chunks."""
    chunk = 50_000
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        ids = [f"{value:016x}" for value in rng.integers(0, 2**63, size=size, dtype=np.int64)]
        sets = [
            np.unique(rng.integers(0, 2**63, size=600, dtype=np.int64).astype(np.uint64))
            for _ in range(size)
        ]
        matrix = signatures(sets)
        keys = [dedup.article_key(article_id) for article_id in ids]
        when = [
            (NOW - timedelta(days=float(day))).replace(tzinfo=None)
            for day in rng.uniform(0, 29, size=size)
        ]
        rows = pa.table(
            {
                "article_id": ids,
                "article_key": keys,
                "effective_at": when,
                "words": [600] * size,
                "minhash": [row.astype("<u4").tobytes() for row in matrix],
                "fallback_key": [None] * size,
                "credits": [[] for _ in range(size)],
            },
            schema=SIGNATURE_SCHEMA,
        )
        connection.register("rows", rows)
        connection.execute("INSERT INTO article_signatures SELECT * FROM rows")
        bands = pa.table(
            {
                "band_key": band_keys(matrix).reshape(-1),
                "article_key": np.repeat(np.array(keys, dtype=np.int64), BANDS),
            }
        )
        connection.register("bands", bands)
        connection.execute("INSERT INTO article_bands SELECT * FROM bands")
        # Their articles rows: metadata only (no body is read unless one becomes a candidate).
        connection.execute(
            f"""
            INSERT INTO articles ({", ".join(ARTICLE_COLUMNS)})
            SELECT r.article_id, r.article_id, 'https://stored.example/' || r.article_id,
                   'https://stored.example/' || r.article_id, 'Stored article', '', '', 'news',
                   'article', r.effective_at, TIMESTAMP '2026-11-01', TIMESTAMP '2026-11-01', NULL,
                   'stored', 'stored.example', NULL, [], [], '[]', 50, -1, false, NULL, '{{}}',
                   true, 'bench', NULL, NULL, NULL, 'bench', 'text', 'fill', 'fill', 1, '[]'
            FROM rows AS r
            """
        )


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------- parent


def run_child(*arguments: str) -> dict[str, Any]:
    """One configuration in a fresh process; its last stdout line is JSON."""
    completed = subprocess.run(
        [sys.executable, __file__, "--child", *arguments],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run every configuration and print a Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--peer-sizes", type=int, nargs="+", default=[10_000, 30_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--child", nargs="+")
    options = parser.parse_args()
    if options.child:
        kind, *rest = options.child
        if kind == "scale":
            result = child_scale(int(rest[0]))
        elif kind == "peer":
            result = child_peer(int(rest[0]))
        else:
            result = child_incremental(int(rest[0]))
        print(json.dumps(result))
        return
    print(
        f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, duckdb {version('duckdb')}, numpy {np.__version__}, "
        f"NUM_PERM {NUM_PERM}, bands {BANDS}",
        flush=True,
    )
    scale: dict[int, list[dict[str, Any]]] = {}
    peer: dict[int, list[dict[str, Any]]] = {}
    for count in options.sizes:
        for _ in range(options.repeat):
            scale.setdefault(count, []).append(run_child("scale", str(count)))
            print(json.dumps(scale[count][-1]), flush=True)
        if count in options.peer_sizes:
            for _ in range(options.repeat):
                peer.setdefault(count, []).append(run_child("peer", str(count)))
                print(json.dumps(peer[count][-1]), flush=True)
    incremental = run_child("incremental", str(options.stored))
    print(json.dumps(incremental), flush=True)
    print()
    print(
        "| articles | dedup s (median) | per 1k | save_batch s | ratio to 10k | precision | recall | peak RSS MB | peer s | peer/ours |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    first = None
    for count, runs in scale.items():
        ours = statistics.median(run["dedup_s"] for run in runs)
        total = statistics.median(run["save_batch_s"] for run in runs)
        first = first or (count, ours)
        peer_s = statistics.median(run["peer_s"] for run in peer[count]) if count in peer else None
        print(
            f"| {count:,} | {ours:.1f} | {ours / count * 1000:.2f} | {total:.1f} | "
            f"{ours / first[1]:.2f} (×{count / first[0]:.0f} articles) | {runs[0]['precision']:.4f} | "
            f"{runs[0]['recall']:.4f} | {max(run['peak_rss_mb'] for run in runs):.0f} | "
            + (f"{peer_s:.1f} | {peer_s / ours:.1f}× |" if peer_s else "– | – |")
        )
    print()
    print(
        f"incremental: {incremental['new']} new vs {incremental['stored_signatures']:,} stored signatures "
        f"({incremental['stored_bands']:,} band keys): save_batch median {statistics.median(incremental['check_s']):.1f} s "
        f"(runs {', '.join(f'{t:.1f}' for t in incremental['check_s'])}), copies found "
        f"{incremental['copies_found']}/{incremental['copies_planted']}, peak RSS {incremental['peak_rss_mb']:.0f} MB, "
        f"DB {incremental['db_mb']:.0f} MB, set-up {incremental['setup_s']:.0f} s"
    )


if __name__ == "__main__":
    main()
