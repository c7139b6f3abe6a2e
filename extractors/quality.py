"""``quality``: 0–100, how complete a record is and how clean its body looks.

Formula (points add up to 100):

======================  ======  ==================================================
part                    points  earned when
======================  ======  ==================================================
**completeness**        **75**
title                   10      a title is present
body                    30      in proportion to the body's length, full at 400 words
publishedDateTime       12      a publication date is known
provider                8       provider name (4) and domain (4)
excerpt                 4       an excerpt is present
image                   6       at least one image
canonical URL           5       ``webUrl`` is an http(s) URL
**cleanliness**         **25**  (none without a body)
no fragments            15      ``15 × (1 − min(1, 3 × f))``, f = share of body words in
                                kept lines of fewer than 5 words that are neither a
                                sentence nor a list item (menu, link or label residue;
                                a few subheadings cost little)
no links                5       ``5 × (1 − min(1, 5 × u))``, u = share of kept lines
                                holding a bare URL or e-mail address
little to remove        5       ``5 × (1 − r)``, r = share of the input's lines the
                                cleaner removed (the more junk a page had, the likelier
                                some survived)
======================  ======  ==================================================

Seed-format files keep the ``quality`` they state; everything else is scored here.
"""

from __future__ import annotations

import re

from extractors.record import Record
from extractors.text import LIST_ITEM, SENTENCE_END
from extractors.urls import is_http_url

BODY_WORDS_FOR_FULL_SCORE = 400
FRAGMENT_MAX_WORDS = 4
# A table row ("| a | b |") is article content, not a fragment.
_TABLE_ROW = re.compile(r"^\s*\|")
_LINK = re.compile(r"https?://|\bwww\.[a-z0-9-]+\.|\b[\w.+-]+@[\w-]+\.[a-z]{2,}\b", re.IGNORECASE)


def quality_score(record: Record, removed_lines: int = 0) -> int:
    """Score a record from 0 to 100 for completeness and cleanliness (see the module's table).

    Args:
        record: the record as it will be stored (body already cleaned).
        removed_lines: how many lines the cleaner removed from the body.

    Returns:
        The score, rounded to an integer.
    """
    return round(_completeness(record) + _cleanliness(record.body, removed_lines))


def _completeness(record: Record) -> float:
    words = len(record.body.split())
    score = 10.0 if record.title.strip() else 0.0
    score += 30.0 * min(1.0, words / BODY_WORDS_FOR_FULL_SCORE)
    score += 12 if record.published_at is not None else 0
    score += 4 if record.provider.name else 0
    score += 4 if record.provider.domain else 0
    score += 4 if record.excerpt else 0
    score += 6 if record.images else 0
    score += 5 if is_http_url(record.web_url) else 0
    return score


def _cleanliness(body: str, removed_lines: int) -> float:
    lines = [line for line in body.split("\n") if line.strip()]
    if not lines:
        return 0.0
    total_words = sum(len(line.split()) for line in lines)
    fragment_words = sum(len(line.split()) for line in lines if _is_fragment(line))
    link_lines = sum(1 for line in lines if _has_link(line))
    removed_share = removed_lines / (removed_lines + len(lines))
    score = 15 * (1 - min(1.0, 3 * fragment_words / total_words))
    score += 5 * (1 - min(1.0, 5 * link_lines / len(lines)))
    score += 5 * (1 - removed_share)
    return score


def _has_link(line: str) -> bool:
    # The substring test spares the regex on the lines (nearly all) that cannot match.
    return ("@" in line or "http" in line or "www." in line) and bool(_LINK.search(line))


def _is_fragment(line: str) -> bool:
    return (
        len(line.split()) <= FRAGMENT_MAX_WORDS
        and not SENTENCE_END.search(line)
        and not line.rstrip().endswith(":")
        and not LIST_ITEM.match(line)
        and not _TABLE_ROW.match(line)
    )
