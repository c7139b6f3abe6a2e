"""The database schema as forward migrations, each table and column described in the database.

Migration N runs once, in its own transaction, on any file whose recorded
version is below N. Never edit a released migration: add the next one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """One step of the schema: the statements that take version - 1 to version."""

    version: int
    description: str
    statements: tuple[str, ...]


IMAGE_STRUCT = "STRUCT(url VARCHAR, width INTEGER, height INTEGER, is_cached BOOLEAN)"

_TABLE_COMMENTS = {
    "articles": "One row per article (per canonical URL). Duplicates stay stored with duplicate_of set; views for analysis exclude them.",
    "article_urls": "Every URL form that led to an article (feed links, redirects, canonical, AMP), so a known article is recognised however it is reached.",
    "runs": "One row per pipeline run (daily or backfill) with its counts and outcome.",
    "sources": "Per-source incremental state (ETag, Last-Modified, body hash, cursor) and health.",
    "schema_info": "Bookkeeping of the database itself (schema version).",
}

_COLUMN_COMMENTS = {
    "articles": {
        "id": "Stable article id: first 16 hex digits of SHA-256 of the canonical URL without scheme and www.",
        "url_key": "Canonical URL without scheme and leading www.; what id is derived from.",
        "web_url": "Canonical URL of the article (seed field webUrl).",
        "original_url": "URL as first discovered: feed link, redirect or file:// URI (seed field originalUrl).",
        "title": "Headline without site suffix (seed field title).",
        "excerpt": "One-paragraph summary or lede, at most about 300 characters (seed field excerpt).",
        "body": "Article text, paragraphs separated by a blank line; empty for metadata-only records.",
        "category": "news, opinion, analysis, press-release ... (seed field category).",
        "type": "article, video, podcast ... (seed field type).",
        "published_at": "Publication time in UTC (seed field publishedDateTime); NULL when unknown.",
        "first_seen_at": "UTC time of the run that first stored the article.",
        "last_seen_at": "UTC time of the latest run that saw the article (bookkeeping only).",
        "content_updated_at": "UTC time the stored text last changed because the publisher changed it; NULL if never.",
        "provider_name": "Publisher name (seed field provider.name).",
        "provider_domain": "Publisher domain without www. (seed field provider.domain).",
        "language": "ISO 639-1 language code when known.",
        "topics": "Topic labels from the watch's taxonomy (seed field topics).",
        "images": "Images as a list of {url, width, height, is_cached} (seed field images).",
        "related": "Other coverage of the same story in the seed format's shape, as JSON (seed field related).",
        "quality": "0-100 completeness score; formula in extractors/quality.py (seed field quality).",
        "heat": "Number of distinct providers covering the story; -1 when unknown (seed field heat).",
        "published": "Downstream publication flag set by users; false by default (seed field published).",
        "secured": "Opaque string passed through from input records, never generated (seed field secured).",
        "extra": "Seed-format keys newswatch does not define, kept as JSON so nothing read is lost.",
        "on_topic": "True when the article matches the watch in sources.yaml; off-topic rows are kept but excluded from views.",
        "relevance_reason": "Why on_topic has its value (which watch group matched or was missing).",
        "content_hash": "Hash of the body's words (case, spacing, punctuation ignored); NULL for bodies under 25 words.",
        "duplicate_of": "id of the kept copy when this article is a copy of another; NULL for kept copies.",
        "story_id": "Identifier shared by articles covering the same story; NULL until stories are computed.",
        "source_name": "Configured source that first delivered the article.",
        "input_kind": "How the article was read: html, text, seed (seed-format file) or feed (feed content only).",
        "first_run_id": "runs.run_id of the run that first stored the article.",
        "last_run_id": "runs.run_id of the latest run that saw the article.",
        "seen_count": "How many runs have seen the article.",
    },
    "article_urls": {
        "url_key": "A URL form (canonical, without scheme and www.) that leads to the article.",
        "article_id": "articles.id the URL leads to.",
        "url": "The URL as seen.",
        "first_seen_at": "UTC time this URL form was first seen.",
    },
    "runs": {
        "run_id": "Run identifier (the Prefect flow run id when run by Prefect).",
        "flow": "daily-monitor or backfill.",
        "status": "running, completed (every source ok), partial (some sources failed) or failed (all failed, or crashed).",
        "started_at": "UTC start time.",
        "finished_at": "UTC end time; NULL while running or after a crash.",
        "window_since": "Backfill range start (UTC, inclusive); NULL for daily runs.",
        "window_until": "Backfill range end (UTC, exclusive); NULL for daily runs.",
        "config_path": "Config file the run used.",
        "sources_total": "Number of sources the run processed.",
        "sources_failed": "Number of sources that failed entirely.",
        "items_seen": "Items listed by all sources.",
        "items_new": "Articles stored for the first time.",
        "items_duplicate": "New articles recognised as copies of another article.",
        "items_off_topic": "New articles outside the watch (stored, excluded from views).",
        "items_failed": "Items that could not be fetched or extracted.",
        "summary": "Per-source counts and errors as JSON.",
    },
    "sources": {
        "name": "Source name from sources.yaml.",
        "kind": "feed or folder.",
        "location": "Feed URL or folder path.",
        "etag": "ETag of the last feed response, for conditional GET.",
        "last_modified": "Last-Modified of the last feed response, for conditional GET.",
        "body_hash": "SHA-256 of the last feed body: the ground truth of whether it changed.",
        "cursor": "Latest publication time (UTC) stored from this source.",
        "last_run_id": "runs.run_id of the last run that processed the source.",
        "last_attempt_at": "UTC time of the last attempt.",
        "last_success_at": "UTC time of the last successful fetch.",
        "last_error": "Last error message; NULL after a success.",
        "last_error_at": "UTC time of the last error.",
        "consecutive_failures": "Failed runs in a row (0 after a success).",
        "items_last_run": "Items the source listed in its last run.",
        "new_last_run": "Articles the source added in its last run.",
    },
    "schema_info": {
        "key": "Setting name (schema_version).",
        "value": "Setting value.",
    },
}

_V1_TABLES = (
    """
    CREATE TABLE schema_info (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
    )
    """,
    f"""
    CREATE TABLE articles (
        id VARCHAR PRIMARY KEY,
        url_key VARCHAR NOT NULL,
        web_url VARCHAR NOT NULL,
        original_url VARCHAR NOT NULL,
        title VARCHAR NOT NULL,
        excerpt VARCHAR NOT NULL,
        body VARCHAR NOT NULL,
        category VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        published_at TIMESTAMP,
        first_seen_at TIMESTAMP NOT NULL,
        last_seen_at TIMESTAMP NOT NULL,
        content_updated_at TIMESTAMP,
        provider_name VARCHAR NOT NULL,
        provider_domain VARCHAR NOT NULL,
        language VARCHAR,
        topics VARCHAR[] NOT NULL,
        images {IMAGE_STRUCT}[] NOT NULL,
        related JSON NOT NULL,
        quality SMALLINT NOT NULL,
        heat INTEGER NOT NULL,
        published BOOLEAN NOT NULL,
        secured VARCHAR,
        extra JSON NOT NULL,
        on_topic BOOLEAN NOT NULL,
        relevance_reason VARCHAR NOT NULL,
        content_hash VARCHAR,
        duplicate_of VARCHAR,
        story_id VARCHAR,
        source_name VARCHAR NOT NULL,
        input_kind VARCHAR NOT NULL,
        first_run_id VARCHAR NOT NULL,
        last_run_id VARCHAR NOT NULL,
        seen_count INTEGER NOT NULL
    )
    """,
    "CREATE INDEX articles_content_hash ON articles (content_hash)",
    "CREATE INDEX articles_published_at ON articles (published_at)",
    """
    CREATE TABLE article_urls (
        url_key VARCHAR PRIMARY KEY,
        article_id VARCHAR NOT NULL,
        url VARCHAR NOT NULL,
        first_seen_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,
        flow VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        window_since TIMESTAMP,
        window_until TIMESTAMP,
        config_path VARCHAR NOT NULL,
        sources_total INTEGER NOT NULL DEFAULT 0,
        sources_failed INTEGER NOT NULL DEFAULT 0,
        items_seen INTEGER NOT NULL DEFAULT 0,
        items_new INTEGER NOT NULL DEFAULT 0,
        items_duplicate INTEGER NOT NULL DEFAULT 0,
        items_off_topic INTEGER NOT NULL DEFAULT 0,
        items_failed INTEGER NOT NULL DEFAULT 0,
        summary JSON
    )
    """,
    """
    CREATE TABLE sources (
        name VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,
        location VARCHAR NOT NULL,
        etag VARCHAR,
        last_modified VARCHAR,
        body_hash VARCHAR,
        cursor TIMESTAMP,
        last_run_id VARCHAR,
        last_attempt_at TIMESTAMP,
        last_success_at TIMESTAMP,
        last_error VARCHAR,
        last_error_at TIMESTAMP,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        items_last_run INTEGER NOT NULL DEFAULT 0,
        new_last_run INTEGER NOT NULL DEFAULT 0
    )
    """,
    """
    CREATE VIEW unique_articles AS
    SELECT * FROM articles WHERE duplicate_of IS NULL AND on_topic
    """,
)


def _comment_statements() -> tuple[str, ...]:
    statements: list[str] = []
    for table, comment in _TABLE_COMMENTS.items():
        statements.append(f"COMMENT ON TABLE {table} IS {_sql_string(comment)}")
        for column, column_comment in _COLUMN_COMMENTS[table].items():
            statements.append(
                f"COMMENT ON COLUMN {table}.{column} IS {_sql_string(column_comment)}"
            )
    statements.append(
        "COMMENT ON VIEW unique_articles IS "
        + _sql_string(
            "On-topic articles without duplicates: the view to count and chart coverage from."
        )
    )
    return tuple(statements)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_V2_STATEMENTS = (
    "ALTER TABLE articles ADD COLUMN removed_lines JSON DEFAULT '[]'",
    """
    CREATE TABLE provider_lines (
        provider_domain VARCHAR NOT NULL,
        line_key VARCHAR NOT NULL,
        article_id VARCHAR NOT NULL,
        PRIMARY KEY (provider_domain, line_key, article_id)
    )
    """,
    """
    CREATE TABLE rejected_pages (
        url_key VARCHAR PRIMARY KEY,
        url VARCHAR NOT NULL,
        source_name VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        detail VARCHAR NOT NULL,
        first_seen_at TIMESTAMP NOT NULL,
        last_seen_at TIMESTAMP NOT NULL,
        last_run_id VARCHAR NOT NULL,
        seen_count INTEGER NOT NULL
    )
    """,
    "COMMENT ON COLUMN articles.removed_lines IS "
    + _sql_string(
        "Lines the cleaner removed from the body, as JSON [{index, reason, text}], so a removal can be audited."
    ),
    "COMMENT ON TABLE provider_lines IS "
    + _sql_string(
        "Which raw body lines (by key) each provider's articles contained: a line in several articles "
        "of one provider is learned as that provider's boilerplate. Never compared across providers."
    ),
    "COMMENT ON COLUMN provider_lines.provider_domain IS "
    + _sql_string("Publisher domain the article belongs to (articles.provider_domain)."),
    "COMMENT ON COLUMN provider_lines.line_key IS "
    + _sql_string("Hash of the line's lower-cased words (extractors.clean.line_key)."),
    "COMMENT ON COLUMN provider_lines.article_id IS "
    + _sql_string("articles.id whose raw body contained the line."),
    "COMMENT ON TABLE rejected_pages IS "
    + _sql_string(
        "Fetched pages that are not articles (404 served as 200, section fronts, paywall or cookie "
        "walls, JavaScript shells), with the reason; kept out of articles."
    ),
    "COMMENT ON COLUMN rejected_pages.url_key IS "
    + _sql_string("Canonical URL without scheme and www. of the rejected page."),
    "COMMENT ON COLUMN rejected_pages.url IS " + _sql_string("The URL as fetched."),
    "COMMENT ON COLUMN rejected_pages.source_name IS "
    + _sql_string("Configured source that listed the page."),
    "COMMENT ON COLUMN rejected_pages.reason IS "
    + _sql_string(
        "Reason code: not-found, section-front, paywall, cookie-wall, javascript-shell, no-text."
    ),
    "COMMENT ON COLUMN rejected_pages.detail IS " + _sql_string("What gave it away, in words."),
    "COMMENT ON COLUMN rejected_pages.first_seen_at IS "
    + _sql_string("UTC time the page was first rejected."),
    "COMMENT ON COLUMN rejected_pages.last_seen_at IS "
    + _sql_string("UTC time the page was last fetched and rejected."),
    "COMMENT ON COLUMN rejected_pages.last_run_id IS "
    + _sql_string("runs.run_id of the last run that rejected the page."),
    "COMMENT ON COLUMN rejected_pages.seen_count IS "
    + _sql_string("How many runs have rejected the page."),
)

# ------------------------------------------------------------------ near-copies and stories
# Self-contained on purpose: new tables, views and one new column, with their own
# comments, so the migration can be renumbered when branches merge.

_DEDUP_TABLE_COMMENTS = {
    "article_signatures": "Near-copy fingerprint of each article: MinHash signature, fallback identity, credited sources. Maintained by storage/dedup.py.",
    "article_bands": "MinHash LSH band keys: articles sharing a key are near-copy candidates (checked exactly before linking).",
    "near_copies": "Pairs of articles recognised as the same text (one row per pair, article_id < other_id); duplicate_of is derived from these clusters.",
    "story_terms": "Key terms (names, numbers) of each article, the cheap index for finding coverage of the same story.",
    "story_links": "Pairs of articles recognised as coverage of the same story (one row per pair, article_id < other_id).",
}
_DEDUP_COLUMN_COMMENTS = {
    "article_signatures": {
        "article_id": "articles.id.",
        "article_key": "articles.id read as a signed 64-bit integer: the compact key article_bands uses.",
        "effective_at": "Publication time, or the first-seen time when unknown (UTC): what the dedup and story windows compare.",
        "words": "Number of words in the body.",
        "minhash": "MinHash signature: 126 little-endian uint32 values; NULL for bodies under 25 words.",
        "fallback_key": "Identity of a record without enough text: normalised title | provider | publication day; NULL when too vague.",
        "credits": "Publishers the body names as its source (Original Source: ..., (Reuters) ...), casefolded.",
    },
    "article_bands": {
        "band_key": "Hash of one LSH band (band number and its 3 MinHash values).",
        "article_key": "article_signatures.article_key of the article having this band.",
    },
    "near_copies": {
        "article_id": "articles.id of one copy (the smaller id).",
        "other_id": "articles.id of the other copy.",
        "jaccard": "Jaccard similarity of the two bodies' word 5-shingle sets; NULL for a fallback match.",
        "containment": "Share of the smaller shingle set found in the larger one; NULL for a fallback match.",
        "method": "text (shingle overlap) or fallback (same normalised title, provider and day; bodies too short).",
    },
    "story_terms": {
        "term": "A key term: a name or a number, normalised.",
        "article_id": "articles.id.",
        "weight": "Weight of the term in the article (title and lede count more).",
        "key": "True for the article's heaviest specific terms: the ones candidate stories are looked up by.",
    },
    "story_links": {
        "article_id": "articles.id of one article (the smaller id).",
        "other_id": "articles.id of the other article.",
        "score": "Story similarity of the two articles (weighted cosine of key terms), 0-1.",
    },
    "articles": {
        "related_input": "related as the input record carried it; related is rebuilt from it plus the story's other coverage.",
    },
}

_V3_STATEMENTS = (
    """
    CREATE TABLE article_signatures (
        article_id VARCHAR PRIMARY KEY,
        article_key BIGINT NOT NULL,
        effective_at TIMESTAMP NOT NULL,
        words INTEGER NOT NULL,
        minhash BLOB,
        fallback_key VARCHAR,
        credits VARCHAR[] NOT NULL
    )
    """,
    "CREATE INDEX article_signatures_fallback ON article_signatures (fallback_key)",
    "CREATE TABLE article_bands (band_key BIGINT NOT NULL, article_key BIGINT NOT NULL)",
    """
    CREATE TABLE near_copies (
        article_id VARCHAR NOT NULL,
        other_id VARCHAR NOT NULL,
        jaccard DOUBLE,
        containment DOUBLE,
        method VARCHAR NOT NULL,
        PRIMARY KEY (article_id, other_id)
    )
    """,
    """
    CREATE TABLE story_terms (
        term VARCHAR NOT NULL,
        article_id VARCHAR NOT NULL,
        weight DOUBLE NOT NULL,
        key BOOLEAN NOT NULL
    )
    """,
    """
    CREATE TABLE story_links (
        article_id VARCHAR NOT NULL,
        other_id VARCHAR NOT NULL,
        score DOUBLE NOT NULL,
        PRIMARY KEY (article_id, other_id)
    )
    """,
    "ALTER TABLE articles ADD COLUMN related_input JSON",
    """
    CREATE VIEW syndication AS
    SELECT kept.id AS article_id,
           kept.title,
           kept.provider_name,
           kept.published_at,
           count(copy.id) AS copies,
           coalesce(list(copy.provider_domain ORDER BY copy.provider_domain) FILTER (WHERE copy.id IS NOT NULL), []) AS copy_domains,
           coalesce(list(copy.web_url ORDER BY copy.web_url) FILTER (WHERE copy.id IS NOT NULL), []) AS copy_urls
    FROM articles AS kept
    LEFT JOIN articles AS copy ON copy.duplicate_of = kept.id
    WHERE kept.duplicate_of IS NULL
    GROUP BY kept.id, kept.title, kept.provider_name, kept.published_at
    """,
    """
    CREATE VIEW stories AS
    SELECT story_id,
           arg_min(title, coalesce(published_at, first_seen_at)) FILTER (WHERE duplicate_of IS NULL) AS title,
           count(*) FILTER (WHERE duplicate_of IS NULL) AS articles,
           count(*) AS coverage,
           count(DISTINCT coalesce(nullif(provider_domain, ''), nullif(provider_name, ''))) AS providers,
           coalesce(
               list(DISTINCT coalesce(nullif(provider_domain, ''), nullif(provider_name, '')))
                   FILTER (WHERE coalesce(nullif(provider_domain, ''), nullif(provider_name, '')) IS NOT NULL),
               []) AS provider_list,
           max(heat) AS heat,
           min(coalesce(published_at, first_seen_at)) AS first_seen,
           max(coalesce(published_at, first_seen_at)) AS last_seen,
           bool_or(on_topic) AS on_topic
    FROM articles
    WHERE story_id IS NOT NULL
    GROUP BY story_id
    """,
)


def _dedup_comment_statements() -> tuple[str, ...]:
    statements: list[str] = []
    for table, comment in _DEDUP_TABLE_COMMENTS.items():
        statements.append(f"COMMENT ON TABLE {table} IS {_sql_string(comment)}")
    for table, columns in _DEDUP_COLUMN_COMMENTS.items():
        for column, column_comment in columns.items():
            statements.append(
                f"COMMENT ON COLUMN {table}.{column} IS {_sql_string(column_comment)}"
            )
    views = {
        "syndication": "Each kept article (not a copy) with how many stored copies it has and where they appeared (domains, URLs).",
        "stories": "One row per story: title (of its earliest kept article), articles (kept copies), coverage (all copies), distinct providers and their list, heat, first and last publication.",
    }
    for view, comment in views.items():
        statements.append(f"COMMENT ON VIEW {view} IS {_sql_string(comment)}")
    return tuple(statements)


# ------------------------------------------------------------------ fetching (issue 4)
# Self-contained like migration 3: new columns, two new tables, and their comments.

_V4_COMMENTS = {
    (
        "sources",
        "last_outcome",
    ): "Outcome of the last run: ok, unchanged (304 or same body hash: nothing parsed), failed, or skipped (backing off).",
    (
        "sources",
        "failed_items_last_run",
    ): "Items (pages) of the source that failed in its last run; a feed with failed items is re-read even when unchanged.",
    (
        "sources",
        "backoff_until",
    ): "UTC time before which daily runs skip the source because it failed many runs in a row; NULL when not backing off.",
    (
        "raw_pages",
        None,
    ): "Raw HTTP responses of fetched article pages, gzip-compressed, so articles can be re-extracted (newswatch reprocess) without fetching. Pruned after storage.raw_retention_days.",
    (
        "raw_pages",
        "url",
    ): "URL as requested (the feed link or discovered URL); one row per URL, the latest fetch wins.",
    ("raw_pages", "final_url"): "URL after redirects.",
    ("raw_pages", "status"): "HTTP status of the final response.",
    (
        "raw_pages",
        "headers",
    ): "Response headers as JSON (lower-case names); Set-Cookie is never stored.",
    ("raw_pages", "fetched_at"): "UTC time of the fetch.",
    ("raw_pages", "source_name"): "Configured source that listed the URL.",
    ("raw_pages", "run_id"): "runs.run_id of the run that fetched it.",
    ("raw_pages", "size"): "Size of the decoded body in bytes.",
    ("raw_pages", "body_gzip"): "The decoded body (after Content-Encoding), gzip-compressed.",
    (
        "raw_pages",
        "hint",
    ): "What the listing (feed entry, sitemap, GDELT) said about the item, as JSON; used again when reprocessing.",
    (
        "backfill_progress",
        None,
    ): "Which (source, day) of a backfill is done, written in the transaction that stored that day's articles: a re-run or a resumed backfill skips them.",
    ("backfill_progress", "source_name"): "Configured source name.",
    ("backfill_progress", "day"): "Publication day (UTC) that was backfilled.",
    ("backfill_progress", "finished_at"): "UTC time the day was stored.",
    ("backfill_progress", "run_id"): "runs.run_id of the backfill run that stored it.",
    ("backfill_progress", "items_seen"): "Items the source listed for that day.",
    ("backfill_progress", "items_new"): "Articles stored for the first time for that day.",
}

_V4_STATEMENTS = (
    "ALTER TABLE sources ADD COLUMN last_outcome VARCHAR",
    "ALTER TABLE sources ADD COLUMN failed_items_last_run INTEGER DEFAULT 0",
    "ALTER TABLE sources ADD COLUMN backoff_until TIMESTAMP",
    """
    CREATE TABLE raw_pages (
        url VARCHAR PRIMARY KEY,
        final_url VARCHAR NOT NULL,
        status INTEGER NOT NULL,
        headers JSON NOT NULL,
        fetched_at TIMESTAMP NOT NULL,
        source_name VARCHAR NOT NULL,
        run_id VARCHAR NOT NULL,
        size INTEGER NOT NULL,
        body_gzip BLOB NOT NULL,
        hint JSON
    )
    """,
    "CREATE INDEX raw_pages_fetched_at ON raw_pages (fetched_at)",
    """
    CREATE TABLE backfill_progress (
        source_name VARCHAR NOT NULL,
        day DATE NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        run_id VARCHAR NOT NULL,
        items_seen INTEGER NOT NULL,
        items_new INTEGER NOT NULL,
        PRIMARY KEY (source_name, day)
    )
    """,
    *(
        f"COMMENT ON TABLE {table} IS {_sql_string(text)}"
        if column is None
        else f"COMMENT ON COLUMN {table}.{column} IS {_sql_string(text)}"
        for (table, column), text in _V4_COMMENTS.items()
    ),
)


# ------------------------------------------------------------------ analytics (issue [5])
# Self-contained: one view redefined with the same columns and meaning, and its comment.
# Migration 3's syndication view grouped every kept article with a LEFT JOIN on all of
# articles (1.7 s at 1M articles on a loaded 2-core machine); grouping the copies first
# and joining the few groups to the kept articles gives the same rows in well under 1 s.

_V5_STATEMENTS = (
    """
    CREATE OR REPLACE VIEW syndication AS
    WITH copies AS (
        SELECT duplicate_of AS article_id,
               count(*) AS copies,
               list(provider_domain ORDER BY provider_domain) AS copy_domains,
               list(web_url ORDER BY web_url) AS copy_urls
        FROM articles
        WHERE duplicate_of IS NOT NULL
        GROUP BY duplicate_of
    )
    SELECT kept.id AS article_id,
           kept.title,
           kept.provider_name,
           kept.published_at,
           coalesce(copies.copies, 0) AS copies,
           coalesce(copies.copy_domains, []) AS copy_domains,
           coalesce(copies.copy_urls, []) AS copy_urls
    FROM articles AS kept
    LEFT JOIN copies ON copies.article_id = kept.id
    WHERE kept.duplicate_of IS NULL
    """,
    "COMMENT ON VIEW syndication IS "
    + _sql_string(
        "Each kept article (not a copy) with how many stored copies it has and where they appeared (domains, URLs)."
    ),
)


# ---------------------------------------------------------- view columns (issue [6] #13)
# Views had a comment but their columns had none. A view lists the columns it had when it
# was created, so unique_articles (SELECT * FROM articles, created in migration 1) is created
# again to list the columns added since (removed_lines, related_input); CREATE OR REPLACE
# drops a view's comments, so the view's own comment is set again too. A later migration
# that replaces a view must comment its columns again (view_column_comments).

_VIEW_COLUMN_COMMENTS: dict[str, dict[str, str]] = {
    "syndication": {
        "article_id": "id of the kept article (articles.id).",
        "title": "Headline of the kept article.",
        "provider_name": "Publisher of the kept article.",
        "published_at": "Publication time of the kept article in UTC; NULL when unknown.",
        "copies": "Number of stored copies of it (articles whose duplicate_of is this article); 0 when none.",
        "copy_domains": "Publisher domains of the copies, sorted; one entry per copy.",
        "copy_urls": "Canonical URLs of the copies, sorted.",
    },
    "stories": {
        "story_id": "Story id: the id of the story's earliest article (articles.story_id).",
        "title": "Headline of the story's earliest kept article.",
        "articles": "Kept articles (not copies) covering the story.",
        "coverage": "All stored articles covering the story, copies included.",
        "providers": "Distinct publishers (by domain, else name) covering the story.",
        "provider_list": "Those publishers (domain, else name).",
        "heat": "Distinct providers within dedup.heat_window_hours of the story's first article; -1 when unknown.",
        "first_seen": "Earliest publication time in UTC (first-seen time for undated articles).",
        "last_seen": "Latest publication time in UTC (first-seen time for undated articles).",
        "on_topic": "True when at least one of its articles is on topic.",
    },
}

_ARTICLE_COLUMN_COMMENT = re.compile(r"COMMENT ON COLUMN articles\.(\w+) IS '((?:[^']|'')*)'", re.S)


def _article_column_comments(migrations: tuple[Migration, ...]) -> dict[str, str]:
    """Each articles column's comment as the earlier migrations set it (the last one wins)."""
    comments: dict[str, str] = {}
    for migration in migrations:
        for statement in migration.statements:
            for column, text in _ARTICLE_COLUMN_COMMENT.findall(statement):
                comments[column] = text.replace("''", "'")
    return comments


def view_column_comments(view: str, comments: dict[str, str]) -> tuple[str, ...]:
    """``COMMENT ON COLUMN`` statements for the columns of one view."""
    return tuple(
        f"COMMENT ON COLUMN {view}.{column} IS {_sql_string(text)}"
        for column, text in comments.items()
    )


def _v6_statements(earlier: tuple[Migration, ...]) -> tuple[str, ...]:
    article_comments = _article_column_comments(earlier)
    return (
        """
        CREATE OR REPLACE VIEW unique_articles AS
        SELECT * FROM articles WHERE duplicate_of IS NULL AND on_topic
        """,
        "COMMENT ON VIEW unique_articles IS "
        + _sql_string(
            "On-topic articles without duplicates: the view to count and chart coverage from."
        ),
        *view_column_comments("unique_articles", article_comments),
        *(
            statement
            for view, comments in _VIEW_COLUMN_COMMENTS.items()
            for statement in view_column_comments(view, comments)
        ),
    )


# ------------------------------------------------------------------ hardening (issue 11)
# A run records which process runs it, so that a later run can tell a run that died
# (SIGKILL, power loss) from one still going in another process, and close it as crashed.

_V7_RUN_COLUMNS = {
    "pid": (
        "INTEGER",
        "Process id of the newswatch process that ran it; with host and process_start, how a "
        "later run tells a run whose process died from one still going.",
    ),
    "host": ("VARCHAR", "Host name of the machine the run's process ran on."),
    "process_start": (
        "VARCHAR",
        "When the run's process started, as the kernel counts it (boot id and start tick): a "
        "later process that reuses the pid is not mistaken for it. Empty where unknown.",
    ),
    "crash_noticed_at": (
        "TIMESTAMP",
        "UTC time a later run found this run's process gone while the run was still "
        "running, and marked it crashed; NULL otherwise.",
    ),
}

_V7_STATEMENTS = (
    *(f"ALTER TABLE runs ADD COLUMN {name} {kind}" for name, (kind, _) in _V7_RUN_COLUMNS.items()),
    *(
        f"COMMENT ON COLUMN runs.{name} IS {_sql_string(text)}"
        for name, (_, text) in _V7_RUN_COLUMNS.items()
    ),
    "COMMENT ON COLUMN runs.status IS "
    + _sql_string(
        "running, completed (every source ok), partial (some sources failed), failed (all "
        "sources failed, an error stopped it, or its analytics copy could not be published; "
        "summary.error says why) or crashed (its process died while running; see "
        "crash_noticed_at)."
    ),
)


# ------------------------------------------------------------------ Google News links (issue 14)
# Self-contained: one new table and its comments, plus the meaning of a new input_kind value,
# so the migration can be renumbered when branches merge.

_V8_COMMENTS = {
    (
        "google_news_links",
        None,
    ): "Google News article links (news.google.com/rss/articles/<id>) and the publisher URL each decodes to: decoded once, never again; undecoded ones are retried on later runs.",
    (
        "google_news_links",
        "gnews_id",
    ): "The article id in the Google News link (the path segment after articles/); one row per id whatever the link's query.",
    ("google_news_links", "link"): "The link as the feed first gave it.",
    ("google_news_links", "source_name"): "Configured source that first listed the link.",
    (
        "google_news_links",
        "status",
    ): "pending (not decoded yet, retried next run), decoded, or failed (gave up after google_news.max_attempts runs; the feed-only record stays).",
    (
        "google_news_links",
        "publisher_url",
    ): "The publisher's URL the link decodes to; NULL until decoded.",
    (
        "google_news_links",
        "article_id",
    ): "articles.id the link leads to: the publisher's article once stored, the feed-only record until then.",
    (
        "google_news_links",
        "feed_only_id",
    ): "articles.id of the feed-only record (input_kind feed-only) standing in for the article; NULL once the real article replaced it.",
    ("google_news_links", "attempts"): "Runs that tried to decode the link.",
    ("google_news_links", "first_seen_at"): "UTC time the link was first listed.",
    ("google_news_links", "last_attempt_at"): "UTC time of the last decoding attempt.",
    ("google_news_links", "decoded_at"): "UTC time the link was decoded.",
    (
        "google_news_links",
        "last_error",
    ): "Why the last attempt failed (consent page, HTTP 429, changed answer …); NULL once decoded.",
    (
        "google_news_links",
        "entry",
    ): "The feed item as JSON (title, description, date, source), so a pending link is retried even when the feed no longer lists it.",
}

_FEED_ONLY_INPUT_KIND = (
    "How the article was read: html, text, seed (seed-format file), feed (feed content only) "
    "or feed-only (an aggregator item whose link could not be resolved to the publisher's page "
    "yet: title, publisher, date and description from the feed; replaced by the real article "
    "once decoded)."
)

_V8_STATEMENTS = (
    """
    CREATE TABLE google_news_links (
        gnews_id VARCHAR PRIMARY KEY,
        link VARCHAR NOT NULL,
        source_name VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        publisher_url VARCHAR,
        article_id VARCHAR,
        feed_only_id VARCHAR,
        attempts INTEGER NOT NULL DEFAULT 0,
        first_seen_at TIMESTAMP NOT NULL,
        last_attempt_at TIMESTAMP,
        decoded_at TIMESTAMP,
        last_error VARCHAR,
        entry JSON
    )
    """,
    "CREATE INDEX google_news_links_source ON google_news_links (source_name, status)",
    *(
        f"COMMENT ON TABLE {table} IS {_sql_string(text)}"
        if column is None
        else f"COMMENT ON COLUMN {table}.{column} IS {_sql_string(text)}"
        for (table, column), text in _V8_COMMENTS.items()
    ),
    "COMMENT ON COLUMN articles.input_kind IS " + _sql_string(_FEED_ONLY_INPUT_KIND),
    # unique_articles repeats the articles columns' comments (migration 6): keep it in step.
    "COMMENT ON COLUMN unique_articles.input_kind IS " + _sql_string(_FEED_ONLY_INPUT_KIND),
)


_SECURED = (
    "Opaque string passed through from input records (seed field secured). newswatch writes "
    "'true' itself only for a paywalled page stored with its visible part: the rest of the "
    "article is behind the paywall."
)
_RELEVANCE_REASON = (
    "Why on_topic has its value. With a scoring watch (watch.threshold): 'score S >= threshold "
    "T; evidence: ...' naming the headline, lede or body sentences where the watch's groups "
    "met; without a threshold: which watch group matched or was missing."
)
# Comments only: what newswatch writes in two columns changed ([7] paywalls, [8] the score).
_V9_STATEMENTS = tuple(
    f"COMMENT ON COLUMN {relation}.{column} IS {_sql_string(text)}"
    for relation in ("articles", "unique_articles")
    for column, text in (("secured", _SECURED), ("relevance_reason", _RELEVANCE_REASON))
)


_MIGRATIONS_1_TO_5: tuple[Migration, ...] = (
    Migration(1, "articles, article_urls, runs, sources", _V1_TABLES + _comment_statements()),
    Migration(2, "removed lines, provider boilerplate memory, rejected pages", _V2_STATEMENTS),
    Migration(
        3,
        "near-copy index (signatures, LSH bands, clusters), stories, analyst views",
        _V3_STATEMENTS + _dedup_comment_statements(),
    ),
    Migration(
        4,
        "fetching: source outcome and back-off, raw pages, backfill progress",
        _V4_STATEMENTS,
    ),
    Migration(5, "syndication view: copies grouped before the join", _V5_STATEMENTS),
)
MIGRATIONS: tuple[Migration, ...] = (
    *_MIGRATIONS_1_TO_5,
    Migration(
        6,
        "view columns described; unique_articles lists every articles column",
        _v6_statements(_MIGRATIONS_1_TO_5),
    ),
    Migration(7, "run ledger: the process of each run, crashed runs", _V7_STATEMENTS),
    Migration(8, "Google News links: decoded publisher URLs, pending retries", _V8_STATEMENTS),
    Migration(9, "secured and relevance_reason say what newswatch writes", _V9_STATEMENTS),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
