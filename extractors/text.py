"""Plain text to record: paragraphs, a title line, an excerpt.

This module shapes text; deciding which lines are boilerplate is the cleaner's
job. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

import re
import unicodedata

from extractors.record import Record

MAX_TITLE_CHARS = 200
MAX_EXCERPT_CHARS = 300
# A line ending like a sentence; quotes and brackets may close after the stop, in any of
# the quoting styles of the languages we read: "…" ‘…’ «…» (French), „…“ and »…« (German),
# ‹…› (Swiss), „…” (Polish), 「…」 (Japanese); Chinese and Japanese stop with 。！？.
_CLOSERS = "\"'”’“»«›‹)\\]」』）"
# A footnote or reference mark may follow the stop: "… nutzen.”1", "… in 2019.[4]", "… ended.²".
_NOTE_MARK = rf"(?:\[\d{{1,3}}\]|[\u00b9\u00b2\u00b3\u2070-\u2079]+|(?<=[{_CLOSERS}])\d{{1,2}})?"
SENTENCE_END = re.compile(
    rf"[.!?…;。！？]\s*[{_CLOSERS}]*{_NOTE_MARK}\s*$|[.!?…。！？]\s*[{_CLOSERS}]+{_NOTE_MARK}\s*$"
)
# A list item's marker: a bullet or "1." / "2)" and the space after it.
_LIST_MARKER = r"^\s*(?:[•●▪◦‣∙·*\-–—]|\d{1,2}[.)])\s+"
LIST_MARKER = re.compile(_LIST_MARKER)
# A list item: its marker, then its text.
LIST_ITEM = re.compile(_LIST_MARKER + r"\S")
# What a title does not end with (it is not a sentence or a clause).
_SENTENCE_END = re.compile(rf"[.!?…:;,]\s*[{_CLOSERS}]?$")
_INNER_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-ZÀ-Ý]")
# Scripts written without spaces between words (Thai, kana, CJK ideographs).
_UNSPACED_SCRIPT = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
# Pictographs and what joins or tints them (ZWJ, variation selectors, skin tones).
_PICTOGRAPH_CATEGORIES = frozenset({"So", "Sk", "Cf", "Mn"})
# A paragraph this long that ends in an emoji instead of a stop is prose.
EMOJI_STOP_MIN_WORDS = 12
_WHITESPACE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def count_words(text: str) -> int:
    """Words of a text; in scripts written without spaces, two characters make one.

    A Japanese paragraph of 200 characters has no space in it: counted by spaces it would
    be a one-word line, which the cleaner's rules for short lines (buttons, labels) take.
    """
    return max(len(text.split()), len(_UNSPACED_SCRIPT.findall(text)) // 2)


def ends_sentence(text: str) -> bool:
    """Whether a paragraph ends like a sentence, emoji after it or in place of its stop included.

    Lifestyle and social writing closes sentences with pictographs ("… zu snacken. 🥜", "… mehr
    Struktur 💁🏻‍♀️"). Trailing ones are set aside; a paragraph that then ends without a stop
    still counts when it is long and holds a sentence break inside: prose, not a label.
    """
    if SENTENCE_END.search(text):
        return True
    bare = text.rstrip()
    while bare and unicodedata.category(bare[-1]) in _PICTOGRAPH_CATEGORIES:
        bare = bare[:-1].rstrip()
    if bare == text.rstrip() or not bare:
        return False
    return bool(SENTENCE_END.search(bare)) or (
        count_words(bare) >= EMOJI_STOP_MIN_WORDS and bool(_INNER_SENTENCE_BREAK.search(bare))
    )


def normalise_text(text: str) -> str:
    """Unify newlines, Unicode form and runs of spaces; keep line structure."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\ufeff", "").replace("\u00ad", "")
    return "\n".join(_WHITESPACE.sub(" ", line).strip() for line in text.split("\n"))


def split_paragraphs(text: str) -> list[str]:
    """Every non-empty line is a paragraph.

    Scrapers deliver paragraphs either one per line or separated by blank
    lines (the seeds show both), so a line break always ends a paragraph.
    """
    return [line for line in normalise_text(text).split("\n") if line]


def join_paragraphs(paragraphs: list[str]) -> str:
    """The seed format's body: paragraphs separated by one blank line."""
    return "\n\n".join(paragraphs)


def looks_like_title(line: str) -> bool:
    """A headline is short and does not end like a sentence (a single question or exclamation may)."""
    if not 0 < len(line) <= MAX_TITLE_CHARS:
        return False
    if not _SENTENCE_END.search(line):
        return True
    return line.rstrip(f" {_CLOSERS}").endswith(("?", "!")) and not _INNER_SENTENCE_BREAK.search(
        line
    )


def make_excerpt(paragraphs: list[str], title: str = "", limit: int = MAX_EXCERPT_CHARS) -> str:
    """The first real paragraph, cut at a word boundary to at most ``limit`` characters."""
    for paragraph in paragraphs:
        if paragraph == title or len(paragraph) < 40:
            continue
        return truncate(paragraph, limit)
    return ""


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` at a word boundary, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return f"{cut}…"


def text_to_record(text: str, url: str = "") -> Record:
    """Turn plain article text into a record.

    The title is left to the cleaner (``extractors.clean``): scrapers put menus,
    cookie notices and site names above the headline, so the first line is
    not reliably it.

    Args:
        text: the article text, paragraphs one per line or blank-line separated.
        url: where the text came from (``original_url`` and ``web_url``).

    Returns:
        A record with body, excerpt and URLs filled; other fields default.
    """
    paragraphs = split_paragraphs(text)
    return Record(
        body=join_paragraphs(paragraphs),
        excerpt=make_excerpt(paragraphs),
        original_url=url,
        web_url=url,
    )


def drop_leading_headline(body: str, title: str) -> str:
    """Remove copies of the headline from the top of the body (pages and scrapers repeat it)."""
    if not title or not body:
        return body
    wanted = _squash(title)
    paragraphs = body.split("\n\n")
    while paragraphs and _squash(paragraphs[0]) == wanted:
        paragraphs.pop(0)
    return "\n\n".join(paragraphs)


def _squash(text: str) -> str:
    return " ".join(text.casefold().split())
