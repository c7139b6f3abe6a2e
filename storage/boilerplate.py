"""Provider memory: which lines each provider repeats, and pages that were not articles.

A line found in the raw bodies of several articles of one provider is that
provider's boilerplate (a footer, a promo, a disclaimer). Lines are counted per
provider domain only: wire copy that many outlets share must never be learned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from extractors.article import Article
from extractors.clean import MIN_ARTICLES_FOR_LEARNED_LINE
from extractors.urls import redact
from extractors.urls import url_key as canonical_url_key
from storage.database import Store


def remember_lines(connection: duckdb.DuckDBPyConnection, articles: Sequence[Article]) -> None:
    """Record the raw line keys of articles, inside the caller's transaction (idempotent)."""
    domains: list[str] = []
    keys: list[str] = []
    ids: list[str] = []
    for article in articles:
        domain = article.record.provider.domain
        if not domain:
            continue
        for key in article.line_keys:
            domains.append(domain)
            keys.append(key)
            ids.append(article.id)
    if not keys:
        return
    # MERGE, not ON CONFLICT DO NOTHING: a lake has no key; DISTINCT, since an article may
    # repeat a line and MERGE would insert both.
    connection.execute(
        """
        MERGE INTO provider_lines AS stored
        USING (
            SELECT DISTINCT * FROM (
                SELECT unnest(?) AS provider_domain, unnest(?) AS line_key, unnest(?) AS article_id)
        ) AS seen
        ON stored.provider_domain = seen.provider_domain AND stored.line_key = seen.line_key
           AND stored.article_id = seen.article_id
        WHEN NOT MATCHED THEN INSERT BY NAME
        """,
        [domains, keys, ids],
    )


def learned_boilerplate(
    db: Store, domains: Iterable[str] | None = None, before_run: str | None = None
) -> dict[str, frozenset[str]]:
    """Line keys each provider repeats in at least ``MIN_ARTICLES_FOR_LEARNED_LINE`` articles.

    Args:
        db: the database (opened read-only).
        domains: only these provider domains; all when None.
        before_run: learn only from articles earlier runs stored, not this run's: a shard of
            a fanned-out run then extracts with the same memory whether or not another
            shard (with feeds of the same provider) has stored its batch already.
    """
    wanted = sorted(set(domains)) if domains is not None else None
    if wanted == []:
        return {}
    with db.connect(read_only=True) as connection:
        rows = connection.execute(
            """
            SELECT provider_domain, list(line_key)
            FROM (
                SELECT provider_domain, line_key FROM provider_lines
                WHERE (? OR provider_domain IN (SELECT unnest(?)))
                    AND article_id NOT IN (SELECT id FROM articles WHERE first_run_id = ?)
                GROUP BY provider_domain, line_key
                HAVING count(*) >= ?
            )
            GROUP BY provider_domain
            """,
            [wanted is None, wanted or [], before_run or "", MIN_ARTICLES_FOR_LEARNED_LINE],
        ).fetchall()
    return {domain: frozenset(keys) for domain, keys in rows}


@dataclass(frozen=True)
class RejectedPage:
    """A fetched page that is not an article, and why."""

    url: str
    reason: str
    detail: str


def remember_rejected(
    connection: duckdb.DuckDBPyConnection,
    rejected: Sequence[RejectedPage],
    *,
    source_name: str,
    run_id: str,
    seen: datetime,
) -> None:
    """Upsert pages that are not articles in the caller's transaction.

    A page is remembered under its canonical URL key; its address and the detail are
    stored without credentials (the fetch used the real URL).
    """
    pages = {canonical_url_key(page.url): page for page in rejected}
    if not pages:
        return
    keys = list(pages)
    connection.execute(
        """
        MERGE INTO rejected_pages AS r
        USING (
            SELECT unnest($keys) AS url_key, unnest($urls) AS url, $source AS source_name,
                   unnest($reasons) AS reason, unnest($details) AS detail,
                   $seen::TIMESTAMP AS first_seen_at, $seen::TIMESTAMP AS last_seen_at,
                   $run AS last_run_id, 1 AS seen_count
        ) AS excluded
        ON r.url_key = excluded.url_key
        WHEN MATCHED THEN UPDATE SET
            url = excluded.url, reason = excluded.reason, detail = excluded.detail,
            last_seen_at = excluded.last_seen_at,
            seen_count = r.seen_count + CASE WHEN r.last_run_id = $run THEN 0 ELSE 1 END,
            last_run_id = excluded.last_run_id
        WHEN NOT MATCHED THEN INSERT BY NAME
        """,
        {
            "keys": keys,
            "urls": [redact(pages[key].url) for key in keys],
            "source": source_name,
            "reasons": [pages[key].reason for key in keys],
            "details": [redact(pages[key].detail) for key in keys],
            "seen": seen,
            "run": run_id,
        },
    )


def known_rejections(db: Store, urls: Iterable[str]) -> dict[str, str]:
    """Map each URL already recorded as not an article to the reason it was rejected.

    Args:
        db: the database.
        urls: URLs in any form (feed links, AMP, tracking parameters).

    Returns:
        ``{url: reason}`` for the URLs whose canonical form is in ``rejected_pages``.
    """
    keys = {url: canonical_url_key(url) for url in urls}
    if not keys or not db.exists():
        return {}
    with db.connect() as connection:
        rows = connection.execute(
            "SELECT url_key, reason FROM rejected_pages WHERE url_key IN (SELECT unnest(?))",
            [sorted(set(keys.values()))],
        ).fetchall()
    found = dict(rows)
    return {url: found[key] for url, key in keys.items() if key in found}
