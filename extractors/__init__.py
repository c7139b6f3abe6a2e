"""Pure functions: bytes or text in, seed-format records out; no network, no Prefect, no DuckDB.

``article`` turns a document (HTML page, plain text, seed-format file, feed entry)
into an :class:`~extractors.article.Article`; ``html``, ``text``, ``feeds``,
``discovery`` (sitemaps, GDELT) and ``gnews`` read their inputs; ``clean`` removes
boilerplate with a reason per removed line, using the cues in ``lexicon``;
``dates``, ``urls``, ``language``, ``relevance``, ``quality``, ``fingerprint`` and
``stories`` derive fields; ``record`` and ``seedformat`` define and write the seed
format; ``yamlguard`` bounds YAML alias expansion for every YAML newswatch reads.
"""
