"""A synthetic newswatch database of any size, generated inside DuckDB (1M articles in about a minute).

Used by the analytics benchmark and by the tests of the README's example
queries and of the HTML report. The rows have the shapes the pipeline writes:
articles from a Zipf-like spread of providers over ``days`` days, one or two
topics each, about a third grouped into stories with their heat, 5 % copies
of another article of their story, a daily run per day and a few failing
sources. Bodies are ~1.3 KB of hex words (they compress about as badly as
prose). With ``index=True`` the near-copy index (42 band keys and a 504-byte
signature per article) is filled too, so the file is as big as a real one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from storage.database import Database

TOPICS = ["AI regulation", "Export controls", "AI safety", "Elections", "Copyright", "Chips"]


def fill_synthetic(
    db: Database, articles: int, *, days: int = 365, end: date | None = None, index: bool = False
) -> None:
    """Add ``articles`` synthetic articles (and runs, sources) to an empty newswatch database."""
    end = end or datetime.now(UTC).date()
    parameters = {"n": articles, "days": days, "end": end, "topics": TOPICS}
    with db.transaction() as connection:
        connection.execute(
            """
            INSERT INTO articles BY NAME
            WITH raw AS (
                SELECT i,
                       (200 * ((hash(i, 'provider') % 1000000) / 1000000.0) ^ 2.5)::INTEGER AS p,
                       (hash(i, 't1') % 6)::INTEGER AS t1,
                       ((hash(i, 't1') % 6 + 1 + hash(i, 't2') % 5) % 6)::INTEGER AS t2,
                       CASE WHEN hash(i, 'story') % 3 = 0 THEN hash(i, 'storyno') % greatest($n // 15, 1) END AS story,
                       ($days::INTEGER * ((hash(i, 'day') % 1000000) / 1000000.0) ^ 1.3)::INTEGER AS age
                FROM range($n::BIGINT) AS t(i)
            ), base AS (
                -- a story's coverage falls within four days of its start
                SELECT *, ($end::DATE - to_days(CASE WHEN story IS NULL THEN age
                               ELSE greatest((hash(story, 'start') % $days::INTEGER)::INTEGER - (hash(i, 'lag') % 4)::INTEGER, 0) END))::TIMESTAMP
                           + to_seconds((hash(i, 'time') % 86400)::BIGINT) AS published_at
                FROM raw
            )
            SELECT printf('%016x', hash(i, 'id')) AS id,
                   'news' || p::VARCHAR || '.example/a/' || i::VARCHAR AS url_key,
                   'https://news' || p::VARCHAR || '.example/a/' || i::VARCHAR AS web_url,
                   'https://news' || p::VARCHAR || '.example/a/' || i::VARCHAR || '?utm_source=rss' AS original_url,
                   CASE WHEN story IS NOT NULL THEN 'Story ' || story::VARCHAR || ': ' ELSE '' END
                       || 'Headline ' || md5(i::VARCHAR)[:12] AS title,
                   'Lede of article ' || i::VARCHAR || ' ' || md5(i::VARCHAR || 'x') AS excerpt,
                   concat_ws(' ', md5(i::VARCHAR || 'a'), md5(i::VARCHAR || 'b'), md5(i::VARCHAR || 'c'),
                             md5(i::VARCHAR || 'd'), md5(i::VARCHAR || 'e'), md5(i::VARCHAR || 'f'),
                             md5(i::VARCHAR || 'g'), md5(i::VARCHAR || 'h'), md5(i::VARCHAR || 'i'),
                             md5(i::VARCHAR || 'j'), md5(i::VARCHAR || 'k'), md5(i::VARCHAR || 'l'),
                             md5(i::VARCHAR || 'm'), md5(i::VARCHAR || 'n'), md5(i::VARCHAR || 'o'),
                             md5(i::VARCHAR || 'p'), md5(i::VARCHAR || 'q'), md5(i::VARCHAR || 'r'),
                             md5(i::VARCHAR || 's'), md5(i::VARCHAR || 't'), md5(i::VARCHAR || 'u'),
                             md5(i::VARCHAR || 'v'), md5(i::VARCHAR || 'w'), md5(i::VARCHAR || 'x'),
                             md5(i::VARCHAR || 'y'), md5(i::VARCHAR || 'z'), md5(i::VARCHAR || 'A'),
                             md5(i::VARCHAR || 'B'), md5(i::VARCHAR || 'C'), md5(i::VARCHAR || 'D'),
                             md5(i::VARCHAR || 'E'), md5(i::VARCHAR || 'F'), md5(i::VARCHAR || 'G'),
                             md5(i::VARCHAR || 'H'), md5(i::VARCHAR || 'I'), md5(i::VARCHAR || 'J'),
                             md5(i::VARCHAR || 'K'), md5(i::VARCHAR || 'L'), md5(i::VARCHAR || 'M'),
                             md5(i::VARCHAR || 'N')) AS body,
                   'news' AS category, 'article' AS type,
                   published_at,
                   published_at + INTERVAL 2 HOUR AS first_seen_at,
                   published_at + INTERVAL 2 HOUR AS last_seen_at,
                   'Provider ' || p::VARCHAR AS provider_name,
                   'news' || p::VARCHAR || '.example' AS provider_domain,
                   'en' AS language,
                   CASE WHEN hash(i, 'two') % 4 = 0
                        THEN [$topics[1 + t1], $topics[1 + t2]]
                        ELSE [$topics[1 + t1]] END AS topics,
                   [] AS images, '[]' AS related, (40 + hash(i, 'q') % 60)::SMALLINT AS quality,
                   -1 AS heat, false AS published, NULL AS secured, '{}' AS extra,
                   hash(i, 'topic') % 10 <> 0 AS on_topic, 'synthetic' AS relevance_reason,
                   md5(i::VARCHAR) AS content_hash, NULL AS duplicate_of,
                   CASE WHEN story IS NOT NULL THEN 'story-' || story::VARCHAR END AS story_id,
                   'source-' || (p % 15)::VARCHAR AS source_name, 'html' AS input_kind,
                   'run-' || strftime(published_at, '%Y-%m-%d') AS first_run_id,
                   'run-' || strftime(published_at, '%Y-%m-%d') AS last_run_id,
                   1 AS seen_count, '[]' AS removed_lines, '[]' AS related_input
            FROM base
            """,
            parameters,
        )
        # Copies: 5 % of story members point at their story's earliest article.
        connection.execute(
            """
            UPDATE articles SET duplicate_of = kept.id
            FROM (SELECT story_id, arg_min(id, published_at) AS id FROM articles
                  WHERE story_id IS NOT NULL GROUP BY story_id) AS kept
            WHERE articles.story_id = kept.story_id AND articles.id <> kept.id
              AND hash(articles.id, 'copy') % 7 = 0
            """
        )
        connection.execute(
            """
            UPDATE articles SET heat = s.heat
            FROM (SELECT story_id, count(DISTINCT provider_domain)::INTEGER AS heat
                  FROM articles WHERE story_id IS NOT NULL GROUP BY story_id) AS s
            WHERE articles.story_id = s.story_id
            """
        )
        connection.execute(
            """
            INSERT INTO runs BY NAME
            SELECT run_id, 'daily-monitor' AS flow,
                   CASE WHEN hash(run_id) % 9 = 0 THEN 'partial' ELSE 'completed' END AS status,
                   day + INTERVAL 6 HOUR AS started_at, day + INTERVAL 6 HOUR + INTERVAL 3 MINUTE AS finished_at,
                   'seeds/sources.yaml' AS config_path, 15 AS sources_total,
                   CASE WHEN hash(run_id) % 9 = 0 THEN 1 ELSE 0 END AS sources_failed,
                   n + n // 10 AS items_seen, n AS items_new, copies AS items_duplicate,
                   off_topic AS items_off_topic, 0 AS items_failed, '{}' AS summary
            FROM (SELECT first_run_id AS run_id, min(published_at)::DATE::TIMESTAMP AS day,
                         count(*)::INTEGER AS n, count(duplicate_of)::INTEGER AS copies,
                         count(*) FILTER (WHERE NOT on_topic)::INTEGER AS off_topic
                  FROM articles GROUP BY 1)
            """
        )
        connection.execute(
            """
            INSERT INTO sources BY NAME
            SELECT 'source-' || s::VARCHAR AS name, 'feed' AS kind,
                   'https://feeds' || s::VARCHAR || '.example/rss' AS location,
                   $end::TIMESTAMP + INTERVAL 6 HOUR AS last_attempt_at,
                   CASE WHEN s % 5 = 4 THEN $end::TIMESTAMP - to_days(s::INTEGER) ELSE $end::TIMESTAMP + INTERVAL 6 HOUR END AS last_success_at,
                   CASE WHEN s % 5 = 4 THEN 'HTTP 503 Service Unavailable for https://feeds' || s::VARCHAR || '.example/rss' END AS last_error,
                   CASE WHEN s % 5 = 4 THEN s ELSE 0 END AS consecutive_failures,
                   CASE WHEN s % 5 = 4 THEN 0 ELSE 40 END AS items_last_run,
                   CASE WHEN s % 5 = 4 THEN 0 ELSE 12 END AS new_last_run
            FROM range(15) AS t(s)
            """,
            {"end": end},
        )
        if index:
            connection.execute(
                """
                INSERT INTO article_signatures BY NAME
                SELECT id AS article_id, (hash(id) >> 1)::BIGINT AS article_key, published_at AS effective_at,
                       1200 AS words, repeat(unhex(md5(id)), 31) || unhex(md5(id))[:8] AS minhash,
                       NULL AS fallback_key, [] AS credits
                FROM articles
                """
            )
            connection.execute(
                """
                INSERT INTO article_bands
                SELECT (hash(s.article_key, b) >> 1)::BIGINT AS band_key, s.article_key
                FROM article_signatures AS s, range(42) AS t(b)
                """
            )
