"""The user-facing application: the ``newswatch`` command line and the HTML report.

``cli`` parses commands and options, turns every expected problem into one line,
and hands work to the Prefect flows (``flows.monitor``, ``flows.serve``) or to
``storage`` for the reading commands; ``report`` renders the self-contained page
of ``newswatch report``. Nothing below this package imports it.
"""
