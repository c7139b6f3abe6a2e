"""``quality``: 0–100, how complete a record is.

Formula (points add up to 100):

=====================  ======  =========================================
part                   points  earned when
=====================  ======  =========================================
title                  15      a title is present
body                   40      1 point per 10 words of body, up to 400 words
publishedDateTime      15      a publication date is known
provider               10      provider name (5) and domain (5)
excerpt                5       an excerpt is present
image                  10      at least one image
canonical URL          5       ``webUrl`` is an http(s) URL
=====================  ======  =========================================
"""

from __future__ import annotations

from extractors.record import Record
from extractors.urls import is_http_url

BODY_WORDS_FOR_FULL_SCORE = 400


def quality_score(record: Record) -> int:
    """Score a record's completeness from 0 to 100 (see the module's table)."""
    words = len(record.body.split())
    score = 15 if record.title.strip() else 0
    score += min(40, words * 40 // BODY_WORDS_FOR_FULL_SCORE)
    score += 15 if record.published_at is not None else 0
    score += 5 if record.provider.name else 0
    score += 5 if record.provider.domain else 0
    score += 5 if record.excerpt else 0
    score += 10 if record.images else 0
    score += 5 if is_http_url(record.web_url) else 0
    return min(100, score)
