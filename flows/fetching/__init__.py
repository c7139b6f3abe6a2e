"""Network I/O: every request newswatch makes goes through ``flows.fetching.http``.

``http`` fetches batches of URLs (and sends prepared requests) with timeouts, size
caps, per-host politeness, retries with back-off, robots.txt and address checks
pinned to the connection, and reports each URL's problem as a value; ``robots``
reads and caches robots.txt. No Prefect, no DuckDB, no knowledge of sources.
"""
