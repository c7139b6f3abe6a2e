"""DuckDB: every SQL statement newswatch runs lives in this package.

``database`` opens connections (read-only ones locked down), ``schema`` holds the
tables, views and migrations; ``articles`` upserts a batch in one transaction with
its source's state (``sources``), near-copies (``dedup``), stories (``stories``),
raw pages (``raw``), provider memory and rejected pages (``boilerplate``), Google
News links (``gnews``) and backfill progress (``backfill``); ``runs`` and
``processes`` keep the run ledger; ``publish`` writes the analysts' copy;
``query`` and ``report`` read. Imports only ``extractors``.
"""
