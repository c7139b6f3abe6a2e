"""Relevance verdicts of stored articles: their text in, new verdicts out (``newswatch reclassify``).

A changed watch applies to what is stored without fetching or extracting again:
the text the verdict was made from (headline, excerpt, cleaned body) is in
``articles``, so re-judging it needs only these two statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from storage.database import Store


@dataclass(frozen=True)
class StoredText:
    """What a stored article's relevance was judged from, and the verdict it got."""

    id: str
    title: str
    excerpt: str
    body: str
    input_kind: str
    on_topic: bool
    relevance_reason: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """A new verdict for one stored article."""

    id: str
    on_topic: bool
    relevance_reason: str
    topics: tuple[str, ...]


def stored_texts(db: Store, after: str = "", limit: int = 1000) -> list[StoredText]:
    """Up to ``limit`` stored articles in id order, starting after the id ``after``.

    Paging by id keeps memory flat on a large database and lets the caller write
    each page's verdicts before it reads the next.
    """
    if not db.exists():
        return []
    with db.connect(read_only=True) as connection:
        rows = connection.execute(
            """
            SELECT id, coalesce(title, ''), coalesce(excerpt, ''), coalesce(body, ''),
                   input_kind, on_topic, coalesce(relevance_reason, ''), coalesce(topics, [])
            FROM articles
            WHERE id > ?
            ORDER BY id
            LIMIT ?
            """,
            [after, limit],
        ).fetchall()
    return [
        StoredText(id_, title, excerpt, body, kind, on_topic, reason, tuple(topics))
        for id_, title, excerpt, body, kind, on_topic, reason, topics in rows
    ]


def save_verdicts(db: Store, verdicts: Sequence[Verdict]) -> int:
    """Write new verdicts (``on_topic``, ``relevance_reason``, ``topics``) in one transaction.

    Returns:
        How many articles were updated.
    """
    if not verdicts:
        return 0
    table = pa.table(
        {
            "id": [v.id for v in verdicts],
            "on_topic": [v.on_topic for v in verdicts],
            "relevance_reason": [v.relevance_reason for v in verdicts],
            "topics": [list(v.topics) for v in verdicts],
        },
        schema=pa.schema(
            [
                ("id", pa.string()),
                ("on_topic", pa.bool_()),
                ("relevance_reason", pa.string()),
                ("topics", pa.list_(pa.string())),
            ]
        ),
    )

    def update(connection: duckdb.DuckDBPyConnection) -> int:
        connection.register("verdicts", table)
        try:
            updated = connection.execute(
                """
                UPDATE articles
                SET on_topic = verdicts.on_topic,
                    relevance_reason = verdicts.relevance_reason,
                    topics = verdicts.topics
                FROM verdicts
                WHERE articles.id = verdicts.id
                """
            ).fetchone()
        finally:
            connection.unregister("verdicts")
        return int(updated[0]) if updated else 0

    return db.write(update)
