"""The persistent near-copy index and cluster upkeep, inside the batch's own transaction.

Every stored article has a row in ``article_signatures`` (its MinHash
signature, fallback identity and credited sources) and ``BANDS`` rows in
``article_bands``. When a batch is stored, :func:`index_articles`:

1. fingerprints the batch's new and changed articles (``extractors.fingerprint``);
2. finds candidates with one join of their band keys against every stored band
   key, keeping stored articles published within ``window_days`` of the new one;
   records without enough text are matched on their fallback key instead;
3. checks each candidate exactly (shingle-set Jaccard or containment, on the
   bodies) and stores the pairs that are copies in ``near_copies``;
4. recomputes each touched cluster (connected component of ``near_copies``),
   chooses its kept copy with ``extractors.fingerprint.kept_copy`` and points the
   whole cluster's ``duplicate_of`` at it.

Nothing is held in memory between runs: a later run (or another process)
checks against what the tables hold. Because both the pair test and the kept
copy depend only on the articles themselves, never on which arrived first,
daily runs and backfills in any order end with the same clusters. Stories
(:mod:`storage.stories`) are updated right after, in the same transaction, or, in a
run, marked and linked once at its end (``link_stories=False``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa

from extractors.article import Article
from extractors.fingerprint import (
    BANDS,
    U64,
    CopyCandidate,
    band_keys,
    credits,
    fallback_key,
    kept_copy,
    resemblance,
    shingles,
    signatures,
    to_naive_utc,
)
from storage.stories import mark_unlinked, update_stories


@dataclass(frozen=True)
class DedupSettings:
    """How far apart in time articles may be and still be linked.

    Attributes:
        window_days: near-copies are looked for among articles published
            within this many days of each other.
        story_window_hours: coverage of one story is looked for within this
            many hours.
        heat_window_hours: ``heat`` counts the providers covering a story
            within this many hours of its first article.
    """

    window_days: int = 30
    story_window_hours: int = 72
    heat_window_hours: int = 48


@dataclass(frozen=True)
class _Fingerprint:
    article_id: str
    article_key: int
    effective_at: datetime
    words: int
    shingles: U64
    fallback_key: str | None
    credits: frozenset[str]


def article_key(article_id: str) -> int:
    """The 16-hex-digit article id as a signed 64-bit integer (a bijection, no collisions)."""
    value = int(article_id, 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def index_articles(
    connection: duckdb.DuckDBPyConnection,
    articles: Sequence[Article],
    seen: datetime,
    settings: DedupSettings,
    *,
    link_stories: bool = True,
) -> set[str]:
    """Index new or changed articles and update their near-copy clusters.

    Runs inside the caller's transaction, right after the articles' rows were
    written. Stored articles that have no signature yet (stored before this
    index existed) are indexed along with them.

    Args:
        connection: the open transaction.
        articles: articles just inserted or whose text changed.
        seen: the run's clock (naive UTC); the effective time of undated articles.
        settings: the time windows.
        link_stories: link their stories now; False leaves them (and every article whose
            cluster changed) to ``storage.stories.link_unlinked`` at the run's end.

    Returns:
        The ids of every article whose cluster was recomputed.
    """
    fingerprints = [_fingerprint(article, seen) for article in articles]
    fingerprints.extend(_unindexed(connection, {fp.article_id for fp in fingerprints}))
    if not fingerprints:
        return set()
    ids = [fp.article_id for fp in fingerprints]
    previous = _neighbours(connection, ids)
    _forget(connection, ids)
    _insert_fingerprints(connection, fingerprints)
    pairs = _candidate_pairs(connection, fingerprints, settings)
    edges = _exact_check(connection, fingerprints, pairs)
    _insert_edges(connection, edges)
    touched = set(ids) | previous | {node for edge in edges for node in edge[:2]}
    recluster(connection, touched)
    if not link_stories:
        mark_unlinked(connection, ids, touched)
        return touched
    update_stories(
        connection,
        ids,
        touched,
        story_window_hours=settings.story_window_hours,
        heat_window_hours=settings.heat_window_hours,
    )
    return touched


def recluster(connection: duckdb.DuckDBPyConnection, ids: Iterable[str]) -> None:
    """Recompute the clusters containing ``ids`` and repoint their ``duplicate_of``."""
    members = _components(connection, set(ids))
    if not members:
        return
    info = _copy_candidates(connection, sorted(members))
    updates: dict[str, str | None] = {}
    seen_ids: set[str] = set()
    for article_id in sorted(members):
        if article_id in seen_ids:
            continue
        component = members[article_id]
        seen_ids.update(component)
        kept = kept_copy([info[member] for member in sorted(component) if member in info])
        for member in component:
            updates[member] = None if member == kept else kept
    cluster_updates = pa.table(
        {"id": list(updates), "duplicate_of": list(updates.values())},
        schema=pa.schema([("id", pa.string()), ("duplicate_of", pa.string())]),
    )
    connection.register("cluster_updates", cluster_updates)
    connection.execute(
        """
        UPDATE articles SET duplicate_of = u.duplicate_of
        FROM cluster_updates AS u WHERE articles.id = u.id
          AND articles.duplicate_of IS DISTINCT FROM u.duplicate_of
        """
    )


def _fingerprint(article: Article, seen: datetime) -> _Fingerprint:
    record = article.record
    published = to_naive_utc(record.published_at) if record.published_at else None
    return _Fingerprint(
        article_id=article.id,
        article_key=article_key(article.id),
        effective_at=published or seen,
        words=len(record.body.split()),
        shingles=shingles(record.body),
        fallback_key=fallback_key(
            record.title, record.provider.domain, record.provider.name, record.published_at
        ),
        credits=credits(record.body),
    )


def _unindexed(connection: duckdb.DuckDBPyConnection, skip: set[str]) -> list[_Fingerprint]:
    rows = connection.execute(
        """
        SELECT a.id, a.title, a.body, a.provider_domain, a.provider_name, a.published_at, a.first_seen_at
        FROM articles AS a ANTI JOIN article_signatures AS s ON s.article_id = a.id
        """
    ).fetchall()
    found = []
    for article_id, title, body, domain, name, published, first_seen in rows:
        if article_id in skip:
            continue
        found.append(
            _Fingerprint(
                article_id=article_id,
                article_key=article_key(article_id),
                effective_at=published or first_seen,
                words=len(body.split()),
                shingles=shingles(body),
                fallback_key=fallback_key(title, domain, name, published),
                credits=credits(body),
            )
        )
    return found


def _neighbours(connection: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    rows = connection.execute(
        """
        SELECT other_id FROM near_copies WHERE article_id IN (SELECT unnest(?))
        UNION SELECT article_id FROM near_copies WHERE other_id IN (SELECT unnest(?))
        """,
        [ids, ids],
    ).fetchall()
    return {row[0] for row in rows}


def _forget(connection: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    # A changed text gets a new fingerprint: its old one and its old pairs go first.
    keys = [article_key(article_id) for article_id in ids]
    connection.execute(
        "DELETE FROM article_bands WHERE article_key IN (SELECT unnest(?::BIGINT[]))", [keys]
    )
    connection.execute(
        "DELETE FROM article_signatures WHERE article_id IN (SELECT unnest(?))", [ids]
    )
    connection.execute(
        "DELETE FROM near_copies WHERE article_id IN (SELECT unnest(?)) OR other_id IN (SELECT unnest(?))",
        [ids, ids],
    )


# Columns of article_signatures, in table order (also used by bench/bench_dedup.py).
SIGNATURE_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("article_key", pa.int64()),
        ("effective_at", pa.timestamp("us")),
        ("words", pa.int32()),
        ("minhash", pa.binary()),
        ("fallback_key", pa.string()),
        ("credits", pa.list_(pa.string())),
    ]
)


def _insert_fingerprints(
    connection: duckdb.DuckDBPyConnection, fingerprints: list[_Fingerprint]
) -> None:
    with_text = [fp for fp in fingerprints if len(fp.shingles)]
    matrix = signatures([fp.shingles for fp in with_text])
    blobs: dict[str, bytes] = {
        fp.article_id: row.astype("<u4").tobytes()
        for fp, row in zip(with_text, matrix, strict=True)
    }
    new_signatures = pa.table(
        {
            "article_id": [fp.article_id for fp in fingerprints],
            "article_key": [fp.article_key for fp in fingerprints],
            "effective_at": [fp.effective_at for fp in fingerprints],
            "words": [fp.words for fp in fingerprints],
            "minhash": [blobs.get(fp.article_id) for fp in fingerprints],
            "fallback_key": [fp.fallback_key for fp in fingerprints],
            "credits": [sorted(fp.credits) for fp in fingerprints],
        },
        schema=SIGNATURE_SCHEMA,
    )
    connection.register("new_signatures", new_signatures)
    connection.execute("INSERT INTO article_signatures SELECT * FROM new_signatures")
    if not with_text:
        return
    keys = band_keys(matrix)
    owners = np.repeat(np.array([fp.article_key for fp in with_text], dtype=np.int64), BANDS)
    new_bands = pa.table({"band_key": keys.reshape(-1), "article_key": owners})
    connection.register("new_bands", new_bands)
    connection.execute("INSERT INTO article_bands SELECT band_key, article_key FROM new_bands")


def _candidate_pairs(
    connection: duckdb.DuckDBPyConnection,
    fingerprints: list[_Fingerprint],
    settings: DedupSettings,
) -> set[tuple[str, str]]:
    window = timedelta(days=settings.window_days)
    keys = [fp.article_key for fp in fingerprints if len(fp.shingles)]
    pairs: set[tuple[str, str]] = set()
    if keys:
        # One hash join of the batch's band keys against every stored band key;
        # the window is applied on the (few) matches, not on the whole index.
        # The window is an abs() of the time difference on purpose: as a BETWEEN on two
        # columns, DuckDB plans an inequality join of every signature with every
        # other (quadratic) before the cheap hash join on the band matches.
        rows = connection.execute(
            """
            WITH probe AS (
                SELECT b.band_key, b.article_key FROM article_bands AS b
                WHERE b.article_key IN (SELECT unnest(?::BIGINT[]))
            ),
            hits AS MATERIALIZED (
                SELECT DISTINCT probe.article_key AS new_key, b.article_key AS other_key
                FROM probe JOIN article_bands AS b ON b.band_key = probe.band_key
                WHERE b.article_key <> probe.article_key
            ),
            named AS MATERIALIZED (
                SELECT n.article_id AS new_id, n.effective_at AS new_at, hits.other_key
                FROM hits JOIN article_signatures AS n ON n.article_key = hits.new_key
            )
            SELECT named.new_id, o.article_id
            FROM named JOIN article_signatures AS o ON o.article_key = named.other_key
            WHERE abs(epoch(o.effective_at) - epoch(named.new_at)) <= ?
            """,
            [keys, window.total_seconds()],
        ).fetchall()
        pairs.update(_ordered(first, second) for first, second in rows)
    fallbacks = [fp.fallback_key for fp in fingerprints if fp.fallback_key]
    if fallbacks:
        # Records without enough text: same normalised title, provider and day.
        rows = connection.execute(
            """
            SELECT n.article_id, o.article_id
            FROM article_signatures AS n JOIN article_signatures AS o
              ON o.fallback_key = n.fallback_key AND o.article_id <> n.article_id
            WHERE n.fallback_key IN (SELECT unnest(?))
              AND (n.minhash IS NULL OR o.minhash IS NULL)
            """,
            [sorted(set(fallbacks))],
        ).fetchall()
        pairs.update(_ordered(first, second) for first, second in rows)
    return pairs


def _exact_check(
    connection: duckdb.DuckDBPyConnection,
    fingerprints: list[_Fingerprint],
    pairs: set[tuple[str, str]],
) -> list[tuple[str, str, float | None, float | None, str]]:
    if not pairs:
        return []
    known = {fp.article_id: fp.shingles for fp in fingerprints}
    missing = sorted({article_id for pair in pairs for article_id in pair} - set(known))
    if missing:
        rows = connection.execute(
            "SELECT id, body FROM articles WHERE id IN (SELECT unnest(?))", [missing]
        ).fetchall()
        known.update({article_id: shingles(body) for article_id, body in rows})
    edges: list[tuple[str, str, float | None, float | None, str]] = []
    for first, second in sorted(pairs):
        left, right = known.get(first), known.get(second)
        if left is None or right is None:
            continue
        if not len(left) or not len(right):
            # Only reachable through the fallback key, which already matched exactly.
            edges.append((first, second, None, None, "fallback"))
            continue
        overlap = resemblance(left, right)
        if overlap.is_near_copy:
            edges.append((first, second, overlap.jaccard, overlap.containment, "text"))
    return edges


def _insert_edges(
    connection: duckdb.DuckDBPyConnection,
    edges: list[tuple[str, str, float | None, float | None, str]],
) -> None:
    if not edges:
        return
    new_edges = pa.table(
        {
            "article_id": [edge[0] for edge in edges],
            "other_id": [edge[1] for edge in edges],
            "jaccard": [edge[2] for edge in edges],
            "containment": [edge[3] for edge in edges],
            "method": [edge[4] for edge in edges],
        },
        schema=pa.schema(
            [
                ("article_id", pa.string()),
                ("other_id", pa.string()),
                ("jaccard", pa.float64()),
                ("containment", pa.float64()),
                ("method", pa.string()),
            ]
        ),
    )
    connection.register("new_edges", new_edges)
    # MERGE, not ON CONFLICT DO NOTHING: a lake has no key (edges are unique in the batch).
    connection.execute(
        """
        MERGE INTO near_copies AS stored USING new_edges AS edge
        ON stored.article_id = edge.article_id AND stored.other_id = edge.other_id
        WHEN NOT MATCHED THEN INSERT BY NAME
        """
    )


def _components(connection: duckdb.DuckDBPyConnection, ids: set[str]) -> dict[str, set[str]]:
    """Each id's connected component in ``near_copies`` (every member maps to the same set)."""
    adjacency: dict[str, set[str]] = {article_id: set() for article_id in ids}
    frontier = set(ids)
    while frontier:
        rows = connection.execute(
            """
            SELECT article_id, other_id FROM near_copies
            WHERE article_id IN (SELECT unnest(?)) OR other_id IN (SELECT unnest(?))
            """,
            [sorted(frontier), sorted(frontier)],
        ).fetchall()
        expanded = set(frontier)
        frontier = set()
        for first, second in rows:
            for node in (first, second):
                if node not in adjacency:
                    adjacency[node] = set()
                    frontier.add(node)
            adjacency[first].add(second)
            adjacency[second].add(first)
        frontier -= expanded
    components: dict[str, set[str]] = {}
    for start in sorted(adjacency):
        if start in components:
            continue
        component = {start}
        stack = [start]
        while stack:
            for neighbour in adjacency[stack.pop()]:
                if neighbour not in component:
                    component.add(neighbour)
                    stack.append(neighbour)
        for member in component:
            components[member] = component
    return components


def _copy_candidates(
    connection: duckdb.DuckDBPyConnection, ids: list[str]
) -> dict[str, CopyCandidate]:
    rows = connection.execute(
        """
        SELECT a.id, a.provider_name, a.provider_domain, a.published_at,
               coalesce(s.words, 0), coalesce(s.credits, [])
        FROM articles AS a LEFT JOIN article_signatures AS s ON s.article_id = a.id
        WHERE a.id IN (SELECT unnest(?))
        """,
        [ids],
    ).fetchall()
    return {
        row[0]: CopyCandidate(
            id=row[0],
            provider_name=row[1],
            provider_domain=row[2],
            published_at=row[3],
            words=row[4],
            credits=frozenset(row[5]),
        )
        for row in rows
    }


def _ordered(first: str, second: str) -> tuple[str, str]:
    return (first, second) if first < second else (second, first)
