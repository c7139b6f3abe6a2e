"""What each line of trafilatura's text was in the page: paragraph, heading, list item, table row.

trafilatura's plain text flattens its XML body (``<p>``, ``<head>``, ``<list>/<item>``,
``<table>/<row>/<cell>``, ``<quote>``) into lines. The cleaner judges lines, and a short
line means different things by what it was: a list item or table row of the article (tour
dates, prices, standings) is content, a short paragraph above the story is a kicker. This
module reads the body tree that ``bare_extraction`` already built (no second extraction)
and tells, for each line of the text, the element it came from.

Pure: no network, no Prefect, no DuckDB.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from lxml.etree import _Element

from extractors.text import LIST_MARKER

PARAGRAPH = "paragraph"
HEADING = "heading"
ITEM = "list-item"
ROW = "table-row"
QUOTE = "quote"
# A line the body tree does not explain (reflowed, unfolded, or from another extractor).
UNKNOWN = ""
# A line of the fast pass that trafilatura's full pass left out as standing around the article
# (``extractors.html``): the cleaner removes it with a reason instead of it vanishing unseen.
OUTSIDE = "outside-article"

_KIND_OF_TAG = {
    "p": PARAGRAPH,
    "head": HEADING,
    "item": ITEM,
    "row": ROW,
    "quote": QUOTE,
}
# Elements whose text trafilatura writes on lines of their own.
_BLOCKS = frozenset({*_KIND_OF_TAG, "list", "table", "cell", "div", "code"})
_ALNUM = re.compile(r"\w+")
# A table row's cell border in trafilatura's text ("| a | b |"; "\\|" is a bar inside a cell).
CELL_BORDER = re.compile(r"(?<!\\)\|")


def line_key(text: str) -> str:
    """Lower-cased words of a line without a list marker: how lines and elements are matched."""
    return " ".join(_ALNUM.findall(LIST_MARKER.sub("", text, count=1).casefold()))


def line_kinds(body: _Element | None) -> dict[str, str]:
    """Map each text line's ``line_key`` to the kind of element it came from.

    Args:
        body: the ``body`` of trafilatura's ``bare_extraction`` result (its XML tree).

    Returns:
        ``line_key`` → kind (``paragraph``, ``heading``, ``list-item``, ``table-row``,
        ``quote``); the first element wins when two say the same words.
    """
    kinds: dict[str, str] = {}
    if body is None:
        return kinds
    for element in body.iter():
        kind = _KIND_OF_TAG.get(str(element.tag))
        if kind is None:
            continue
        if kind in {PARAGRAPH, HEADING}:
            # A paragraph inside a list item or a quote is part of it.
            kind = next(
                (
                    _KIND_OF_TAG[str(outer.tag)]
                    for outer in element.iterancestors()
                    if str(outer.tag) in {"item", "quote"}
                ),
                kind,
            )
        if kind == ROW:
            segments = [" ".join(" ".join(cell.itertext()).split()) for cell in element]
            # As trafilatura writes the row: a first cell "1. Name" is not a list marker there.
            pieces = ["| " + " | ".join(segments) + " |"]
        else:
            pieces = list(_segments(element))
            if kind == ITEM:
                # An item holding a heading and a paragraph is one line of the text.
                pieces.append(" ".join(" ".join(element.itertext()).split()))
        for piece in pieces:
            key = line_key(piece)
            if key:
                kinds.setdefault(key, kind)
    return kinds


def kinds_of_lines(lines: Sequence[str], kinds: dict[str, str]) -> tuple[str, ...]:
    """The kind of each line (``UNKNOWN`` where the body tree does not explain it)."""
    return tuple(kinds.get(line_key(line), UNKNOWN) for line in lines)


def _segments(element: _Element) -> Iterator[str]:
    """The element's own text, cut where a ``<lb/>`` or a nested block starts a new line."""
    pieces: list[str] = [element.text or ""]
    for child in element:
        tag = str(child.tag)
        if tag == "lb" or tag in _BLOCKS:
            yield " ".join("".join(pieces).split())
            pieces = []
        else:
            pieces.append("".join(child.itertext()))
        pieces.append(child.tail or "")
    yield " ".join("".join(pieces).split())
