"""Articles in, articles out: idempotent batch upserts keyed on the article id.

A batch is written in one transaction together with its source's state, so a
crash leaves either the whole batch and the new cursor, or neither.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pyarrow as pa

from extractors.article import Article
from extractors.record import Image, Provider, Record
from extractors.urls import url_key
from storage.backfill import mark_day_done
from storage.boilerplate import RejectedPage, remember_lines, remember_rejected
from storage.database import Store
from storage.dedup import DedupSettings, article_key, index_articles, recluster
from storage.gnews import GoogleLink, save_links
from storage.raw import RawPage, save_raw_pages
from storage.sources import SourceUpdate, update_source
from storage.stories import link_unlinked, mark_unlinked, update_stories

# Columns whose change means the publisher changed the article.
_CONTENT_COLUMNS = (
    "title",
    "excerpt",
    "body",
    "category",
    "type",
    "published_at",
    "provider_name",
    "provider_domain",
    "language",
    "topics",
    "images",
    "quality",
    "on_topic",
    "relevance_reason",
    "content_hash",
    "removed_lines",
)
_IMAGE_TYPE = pa.struct(
    [
        ("url", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("is_cached", pa.bool_()),
    ]
)
_ARROW_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("url_key", pa.string()),
        ("web_url", pa.string()),
        ("original_url", pa.string()),
        ("title", pa.string()),
        ("excerpt", pa.string()),
        ("body", pa.string()),
        ("category", pa.string()),
        ("type", pa.string()),
        ("published_at", pa.timestamp("us")),
        ("first_seen_at", pa.timestamp("us")),
        ("last_seen_at", pa.timestamp("us")),
        ("content_updated_at", pa.timestamp("us")),
        ("provider_name", pa.string()),
        ("provider_domain", pa.string()),
        ("language", pa.string()),
        ("topics", pa.list_(pa.string())),
        ("images", pa.list_(_IMAGE_TYPE)),
        ("related", pa.string()),
        ("quality", pa.int16()),
        ("heat", pa.int32()),
        ("published", pa.bool_()),
        ("secured", pa.string()),
        ("extra", pa.string()),
        ("on_topic", pa.bool_()),
        ("relevance_reason", pa.string()),
        ("content_hash", pa.string()),
        ("duplicate_of", pa.string()),
        ("story_id", pa.string()),
        ("source_name", pa.string()),
        ("input_kind", pa.string()),
        ("first_run_id", pa.string()),
        ("last_run_id", pa.string()),
        ("seen_count", pa.int32()),
        ("removed_lines", pa.string()),
    ]
)
ARTICLE_COLUMNS = tuple(_ARROW_SCHEMA.names)
# A JSON column (related, extra) longer than this is refused for its article alone: input
# that asks for more (e.g. seed front matter built to expand) must not reach a batch.
MAX_JSON_COLUMN_CHARS = 20_000_000


@dataclass(frozen=True)
class StoreResult:
    """What one batch did to the database."""

    new_ids: list[str] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    off_topic_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)
    unchanged_ids: list[str] = field(default_factory=list)


def known_articles(db: Store, urls: Iterable[str]) -> dict[str, str]:
    """Map each URL already leading to a stored article to that article's id.

    Args:
        db: the database.
        urls: URLs in any form (feed links, AMP, tracking parameters).

    Returns:
        ``{url: article_id}`` for the URLs whose canonical form is known.
    """
    keys = {url: url_key(url) for url in urls}
    if not keys or not db.exists():
        return {}
    with db.connect() as connection:
        rows = connection.execute(
            "SELECT url_key, article_id FROM article_urls WHERE url_key IN (SELECT unnest(?))",
            [sorted(set(keys.values()))],
        ).fetchall()
    found = dict(rows)
    return {url: found[key] for url, key in keys.items() if key in found}


def published_times(db: Store, ids: Iterable[str]) -> dict[str, datetime | None]:
    """Each stored article's publication time (aware UTC; None when undated), by id."""
    wanted = sorted(set(ids))
    if not wanted or not db.exists():
        return {}
    with db.connect() as connection:
        rows = connection.execute(
            "SELECT id, published_at FROM articles WHERE id IN (SELECT unnest(?))", [wanted]
        ).fetchall()
    return {row[0]: row[1].replace(tzinfo=UTC) if row[1] else None for row in rows}


def article_rows(articles: Sequence[Article], run_id: str, seen: datetime) -> pa.Table:
    """Articles as new ``articles`` rows (first seen now by ``run_id``), as an Arrow table.

    The one place a row is made from an article: the file and the lake store the same
    columns with the same values.
    """
    rows = [_row(article, run_id, _naive_utc(seen), None) for article in articles]
    return pa.Table.from_pylist(rows, schema=_ARROW_SCHEMA)


# Columns a publisher's change rewrites in a stored article (the rest is bookkeeping).
CONTENT_COLUMNS = _CONTENT_COLUMNS


def row_problem(article: Article) -> str | None:
    """Why one article cannot be written as a row, or None when it can.

    The pipeline asks this per item before a batch is written, so a record that
    cannot be serialised (or whose JSON columns are absurdly large) fails alone
    instead of failing its whole batch.
    """
    try:
        row = _row(article, "", datetime(1970, 1, 1), None)
    except Exception as error:  # MemoryError included
        return str(error) or type(error).__name__
    for column in ("related", "extra"):
        if len(row[column]) > MAX_JSON_COLUMN_CHARS:
            return f"{column} is over {MAX_JSON_COLUMN_CHARS} characters as JSON"
    return None


@dataclass(frozen=True)
class ArticleBatch:
    """What one source's batch writes, in one transaction.

    Attributes:
        run_id: the run doing the writing.
        seen_at: the run's clock (UTC).
        articles: extracted articles; a repeated id keeps its first occurrence.
        seen_ids: ids of stored articles the source listed again (bookkeeping only).
        source: the source's new state, written in the same transaction.
        rejected: pages that are not articles, remembered so they are not fetched again.
        raw_pages: the fetched responses behind the batch, kept for re-extraction.
        backfill_day: the day a backfill stored; marked done with the batch (needs ``source``).
        reextracted: the batch comes from re-extracting stored raw pages (``reprocess``):
            every stored article is rewritten, not only those whose body changed, since an
            extractor change may touch any field; content_updated_at moves only with the body.
        links: Google News links and what they decoded to (``storage.gnews``).
        replaced: feed-only records the batch supersedes, ``{feed-only id: article id}``:
            each is deleted (with its near-copy and story entries) and its URLs now lead to
            the article, so the item is one article, never two.
    """

    run_id: str
    seen_at: datetime
    articles: Sequence[Article] = ()
    seen_ids: Iterable[str] = ()
    source: SourceUpdate | None = None
    rejected: Sequence[RejectedPage] = ()
    raw_pages: Sequence[RawPage] = ()
    backfill_day: date | None = None
    reextracted: bool = False
    links: Sequence[GoogleLink] = ()
    replaced: Mapping[str, str] = field(default_factory=dict)


def save_batch(
    db: Store,
    batch: ArticleBatch,
    dedup: DedupSettings | None = None,
    *,
    link_stories: bool = True,
) -> StoreResult:
    """Upsert a batch of articles and its source's state in one transaction.

    New ids are inserted; a stored article whose text changed is updated; an
    unchanged one only gets its last-seen bookkeeping. New and changed articles
    are then checked for near-copies (``storage.dedup``): every member of a
    cluster of copies but the best one gets ``duplicate_of``. Running the same
    batch twice stores nothing new.

    Args:
        db: the database.
        batch: what to write (see :class:`ArticleBatch`).
        dedup: the near-copy and story time windows (defaults when None).
        link_stories: link the batch's stories in its transaction; False leaves them to
            :func:`link_stories` at the run's end (what a run does, whatever its order).

    Returns:
        The ids the batch inserted, found to be copies, updated or left unchanged.
    """
    run_id, seen_at, source = batch.run_id, batch.seen_at, batch.source
    reextracted, links, seen_ids = batch.reextracted, batch.links, batch.seen_ids
    articles = list({article.id: article for article in reversed(batch.articles)}.values())[::-1]
    seen = _naive_utc(seen_at)
    replaced = {old: new for old, new in batch.replaced.items() if old != new}

    def store(connection: duckdb.DuckDBPyConnection) -> StoreResult:
        # Everything is recomputed on each call: a lake may run this again after a conflict.
        result = StoreResult()
        neighbours = _forget_articles(connection, sorted(replaced))
        stored = _stored_hashes(connection, [article.id for article in articles])
        fresh = [article for article in articles if article.id not in stored]
        rows = []
        for article in fresh:
            rows.append(_row(article, run_id, seen, None))
            result.new_ids.append(article.id)
            if not article.on_topic:
                result.off_topic_ids.append(article.id)
        _insert_rows(connection, rows)
        changed = [
            a
            for a in articles
            if a.id in stored and (reextracted or stored[a.id] != a.content_hash)
        ]
        _update_content(connection, changed, seen)
        # Near-copies (and stories, unless the run links them at its end) are found in the
        # same transaction, so a batch is never visible without its clusters.
        settings = dedup or DedupSettings()
        index_articles(connection, [*fresh, *changed], seen, settings, link_stories=link_stories)
        neighbours -= set(replaced)
        if neighbours:
            # The replaced records' former copies and story mates are regrouped without them.
            recluster(connection, neighbours)
            if not link_stories:
                mark_unlinked(connection, (), neighbours)
            else:
                update_stories(
                    connection,
                    [],
                    neighbours,
                    story_window_hours=settings.story_window_hours,
                    heat_window_hours=settings.heat_window_hours,
                )
        result.duplicate_ids.extend(_copies_among(connection, result.new_ids))
        result.updated_ids.extend(article.id for article in changed)
        result.unchanged_ids.extend(
            a.id
            for a in articles
            if a.id in stored and not reextracted and stored[a.id] == a.content_hash
        )
        touched = {*result.unchanged_ids, *result.updated_ids, *seen_ids}
        _touch(connection, sorted(touched), run_id, seen)
        _remember_urls(connection, articles, seen)
        _repoint_urls(connection, replaced)
        save_links(connection, links, seen)
        # A link leading to an article stored earlier (from the publisher's own feed) is
        # one more of its URL forms.
        _insert_url_forms(
            connection,
            {url_key(link.link): (link.article_id, link.link) for link in links if link.article_id},
            seen,
        )
        remember_lines(connection, [*fresh, *changed])
        if batch.rejected and source is not None:
            remember_rejected(
                connection, batch.rejected, source_name=source.name, run_id=run_id, seen=seen
            )
        if source is not None:
            update_source(
                connection, replace(source, new=len(result.new_ids)), run_id=run_id, at=seen_at
            )
        save_raw_pages(connection, batch.raw_pages, run_id=run_id)
        if batch.backfill_day is not None and source is not None:
            mark_day_done(
                connection,
                source_name=source.name,
                day=batch.backfill_day,
                run_id=run_id,
                at=seen_at,
                items_seen=source.items_seen,
                items_new=len(result.new_ids),
            )
        return result

    return db.write(store)


def link_stories(db: Store, dedup: DedupSettings | None = None) -> int:
    """Link the stories of every article a run stored without them, in one transaction.

    Called once when a run's batches (or all its shards) are stored: every new article is
    compared with the same stored articles whatever order the batches came in.

    Returns:
        How many articles were linked.
    """
    settings = dedup or DedupSettings()
    return db.write(
        lambda connection: link_unlinked(
            connection,
            story_window_hours=settings.story_window_hours,
            heat_window_hours=settings.heat_window_hours,
        )
    )


def read_records(
    db: Store, where: str = "TRUE", parameters: Sequence[Any] = ()
) -> list[tuple[str, Record]]:
    """Read stored articles back as seed-format records, ``(id, record)`` in id order.

    ``where`` is an SQL condition over the ``articles`` table, written by
    newswatch's own code (never user input).
    """
    columns = ", ".join(ARTICLE_COLUMNS)
    with db.connect(read_only=True) as connection:
        cursor = connection.execute(
            f"SELECT {columns} FROM articles WHERE {where} ORDER BY id", list(parameters)
        )
        names = [description[0] for description in cursor.description or []]
        return [(row[0], _record(dict(zip(names, row, strict=True)))) for row in cursor.fetchall()]


def _stored_hashes(connection: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, str | None]:
    if not ids:
        return {}
    rows = connection.execute(
        "SELECT id, content_hash FROM articles WHERE id IN (SELECT unnest(?))", [ids]
    ).fetchall()
    return {row[0]: row[1] for row in rows}


def _copies_among(connection: duckdb.DuckDBPyConnection, ids: list[str]) -> list[str]:
    if not ids:
        return []
    rows = connection.execute(
        "SELECT id FROM articles WHERE duplicate_of IS NOT NULL AND id IN (SELECT unnest(?))",
        [ids],
    ).fetchall()
    found = {row[0] for row in rows}
    return [article_id for article_id in ids if article_id in found]


def _insert_rows(connection: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    new_rows = pa.Table.from_pylist(rows, schema=_ARROW_SCHEMA)
    connection.register("new_rows", new_rows)
    columns = ", ".join(ARTICLE_COLUMNS)
    connection.execute(f"INSERT INTO articles ({columns}) SELECT {columns} FROM new_rows")


def _update_content(
    connection: duckdb.DuckDBPyConnection, articles: list[Article], seen: datetime
) -> None:
    if not articles:
        return
    changed = pa.Table.from_pylist(
        [_row(article, "", seen, None) for article in articles], schema=_ARROW_SCHEMA
    )
    connection.register("changed", changed)
    assignments = ", ".join(f"{column} = changed.{column}" for column in _CONTENT_COLUMNS)
    connection.execute(
        f"""
        UPDATE articles SET {assignments},
            content_updated_at = CASE
                WHEN articles.content_hash IS DISTINCT FROM changed.content_hash THEN ?
                ELSE articles.content_updated_at END
        FROM changed WHERE articles.id = changed.id
        """,
        [seen],
    )


def _touch(
    connection: duckdb.DuckDBPyConnection, ids: list[str], run_id: str, seen: datetime
) -> None:
    if not ids:
        return
    connection.execute(
        """
        UPDATE articles
        SET last_seen_at = ?, last_run_id = ?, seen_count = seen_count + 1
        WHERE id IN (SELECT unnest(?)) AND last_run_id <> ?
        """,
        [seen, run_id, ids, run_id],
    )


def _forget_articles(connection: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    """Delete articles and every index entry of theirs; return their near-copy and story mates."""
    if not ids:
        return set()
    rows = connection.execute(
        """
        SELECT other_id FROM near_copies WHERE article_id IN (SELECT unnest($ids))
        UNION SELECT article_id FROM near_copies WHERE other_id IN (SELECT unnest($ids))
        UNION SELECT other_id FROM story_links WHERE article_id IN (SELECT unnest($ids))
        UNION SELECT article_id FROM story_links WHERE other_id IN (SELECT unnest($ids))
        UNION SELECT id FROM articles WHERE duplicate_of IN (SELECT unnest($ids))
            OR story_id IN (SELECT unnest($ids))
        """,
        {"ids": ids},
    ).fetchall()
    keys = [article_key(article_id) for article_id in ids]
    connection.execute(
        "DELETE FROM article_bands WHERE article_key IN (SELECT unnest(?::BIGINT[]))", [keys]
    )
    for statement in (
        "DELETE FROM article_signatures WHERE article_id IN (SELECT unnest($ids))",
        "DELETE FROM near_copies WHERE article_id IN (SELECT unnest($ids)) OR other_id IN (SELECT unnest($ids))",
        "DELETE FROM story_terms WHERE article_id IN (SELECT unnest($ids))",
        "DELETE FROM story_links WHERE article_id IN (SELECT unnest($ids)) OR other_id IN (SELECT unnest($ids))",
        "DELETE FROM provider_lines WHERE article_id IN (SELECT unnest($ids))",
        "DELETE FROM articles WHERE id IN (SELECT unnest($ids))",
    ):
        connection.execute(statement, {"ids": ids})
    return {row[0] for row in rows}


def _repoint_urls(connection: duckdb.DuckDBPyConnection, replaced: Mapping[str, str]) -> None:
    """URL forms of replaced records lead to the article that replaced them."""
    if not replaced:
        return
    old = sorted(replaced)
    connection.execute(
        """
        UPDATE article_urls SET article_id = m.new_id
        FROM (SELECT unnest(?) AS old_id, unnest(?) AS new_id) AS m
        WHERE article_urls.article_id = m.old_id
        """,
        [old, [replaced[key] for key in old]],
    )


def _remember_urls(
    connection: duckdb.DuckDBPyConnection, batch: Sequence[Article], seen: datetime
) -> None:
    forms: dict[str, tuple[str, str]] = {}
    for article in batch:
        for url in (
            article.record.web_url,
            article.record.original_url,
            article.record.extra.get("ampWebUrl"),
            *article.aliases,
        ):
            if isinstance(url, str) and url:
                forms.setdefault(url_key(url), (article.id, url))
    _insert_url_forms(connection, forms, seen)


def _insert_url_forms(
    connection: duckdb.DuckDBPyConnection, forms: Mapping[str, tuple[str, str]], seen: datetime
) -> None:
    """Insert ``{url_key: (article_id, url)}``; a key already known keeps its article."""
    if not forms:
        return
    keys = sorted(forms)
    # MERGE, not ON CONFLICT DO NOTHING: a lake has no primary key.
    connection.execute(
        """
        MERGE INTO article_urls AS stored
        USING (SELECT unnest(?) AS url_key, unnest(?) AS article_id, unnest(?) AS url,
                      ?::TIMESTAMP AS first_seen_at) AS seen
        ON stored.url_key = seen.url_key
        WHEN NOT MATCHED THEN INSERT BY NAME
        """,
        [keys, [forms[key][0] for key in keys], [forms[key][1] for key in keys], seen],
    )


def _row(article: Article, run_id: str, seen: datetime, duplicate_of: str | None) -> dict[str, Any]:
    record = article.record
    return {
        "id": article.id,
        "url_key": article.url_key,
        "web_url": record.web_url,
        "original_url": record.original_url,
        "title": record.title,
        "excerpt": record.excerpt,
        "body": record.body,
        "category": record.category,
        "type": record.type,
        "published_at": _naive_utc(record.published_at) if record.published_at else None,
        "first_seen_at": seen,
        "last_seen_at": seen,
        "content_updated_at": None,
        "provider_name": record.provider.name,
        "provider_domain": record.provider.domain,
        "language": record.language,
        "topics": list(record.topics),
        "images": [
            {
                "url": image.url,
                "width": image.width,
                "height": image.height,
                "is_cached": image.is_cached,
            }
            for image in record.images
        ],
        "related": json.dumps(list(record.related), default=_json_default, ensure_ascii=False),
        "quality": record.quality,
        "heat": record.heat,
        "published": record.published,
        "secured": record.secured,
        "extra": json.dumps(record.extra, default=_json_default, ensure_ascii=False),
        "on_topic": article.on_topic,
        "relevance_reason": article.relevance_reason,
        "content_hash": article.content_hash,
        "duplicate_of": duplicate_of,
        "story_id": None,
        "source_name": article.source,
        "input_kind": article.input_kind,
        "first_run_id": run_id,
        "last_run_id": run_id,
        "seen_count": 1,
        "removed_lines": json.dumps(
            [
                {"index": line.index, "reason": line.reason, "text": line.text}
                for line in article.removed
            ],
            ensure_ascii=False,
        ),
    }


def _record(row: dict[str, Any]) -> Record:
    return Record(
        title=row["title"],
        body=row["body"],
        excerpt=row["excerpt"],
        category=row["category"],
        published_at=row["published_at"].replace(tzinfo=UTC) if row["published_at"] else None,
        original_url=row["original_url"],
        web_url=row["web_url"],
        type=row["type"],
        quality=row["quality"],
        heat=row["heat"],
        published=row["published"],
        provider=Provider(row["provider_name"], row["provider_domain"]),
        topics=tuple(row["topics"]),
        images=tuple(
            Image(
                url=image["url"],
                width=image["width"],
                height=image["height"],
                is_cached=bool(image["is_cached"]),
            )
            for image in row["images"]
        ),
        related=tuple(_related_from_json(item) for item in json.loads(row["related"])),
        secured=row["secured"],
        language=row["language"],
        extra=json.loads(row["extra"]),
    )


def _related_from_json(item: dict[str, Any]) -> dict[str, Any]:
    # JSON has no timestamps; give back the datetime the seed format's YAML would load.
    value = item.get("publishedDateTime")
    if isinstance(value, str) and value:
        with contextlib.suppress(ValueError):
            item["publishedDateTime"] = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return item


def _naive_utc(moment: datetime) -> datetime:
    # Columns are TIMESTAMP in UTC: DuckDB would shift aware values by the session zone.
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return (
            value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if value.tzinfo
            else value.isoformat() + "Z"
        )
    return str(value)
