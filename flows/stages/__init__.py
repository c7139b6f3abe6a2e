"""The pipeline's stages as plain functions on a whole run's batch; no Prefect.

In run order: ``listing`` (what each source offers), ``gnews`` (aggregator links to
publisher URLs), ``articles`` (skip what is stored, fetch, extract, store),
``backfill_plan`` (a backfill's days) and ``summary`` (the run summary). The data
they pass on (window, listing, candidate, document, failure, batch, report) is
defined once in ``types``; ``settings`` derives each library's settings from the
config. Stages call ``flows.fetching``, ``extractors`` and ``storage``, never a
flow.
"""
