"""Code the tests share, and the benchmarks borrow.

- ``paths``: where the repository's test data lives.
- ``web``: the one local web (``LocalWeb``): threaded HTTP servers on 127.0.0.1, one port per
  host, answering from routes; used by the fetcher tests and by ``bench/bench_fetch.py``.
- ``newsweb``: a generated news web (five publishers, feeds, news sitemaps, article pages,
  syndicated copies) served by ``LocalWeb``; used by ``tests/flows/stages/test_news_web.py``
  and ``bench/bench_pipeline.py``.
- ``services``: throw-away PostgreSQL and S3 endpoints for the lake tests (a pytest plugin).

A test of these helpers goes beside them (``tests/support/test_web.py``); a test of a package
goes in the folder that mirrors it (README, "Where a new test goes").
"""
