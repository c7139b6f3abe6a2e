"""Orchestration: the Prefect flows and what they call, one room per concern.

Imports point one way, from the user down to the libraries::

    flows.app        the user-facing application: the ``newswatch`` CLI, the HTML report
       ↓
    flows.monitor    the Prefect flows and tasks (daily run, backfill, reprocess)
    flows.serve      deployments and the local Prefect server for ``newswatch serve``
       ↓
    flows.stages     the stages as plain functions on whole batches, and the types they
                     pass on (``flows.stages.types``)
       ↓
    flows.fetching   network I/O: the polite HTTP fetcher and robots.txt
    extractors       pure functions: bytes/text in, seed-format records out
    storage          DuckDB: every SQL statement

``flows.config`` (the validated ``sources.yaml``) is read by every layer and imports
none of them. Only ``flows.monitor`` and ``flows.serve`` import Prefect.
``tests/test_layout.py`` checks these directions.
"""
