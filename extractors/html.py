"""Article pages to records: trafilatura for the body, the page's own metadata for the rest.

trafilatura finds the main text well but gives dates to the day and one image
without sizes, so metadata is read from the page's declarations first
(JSON-LD, Open Graph, ``article:published_time``, ``<link rel=canonical>``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from difflib import SequenceMatcher
from itertools import pairwise
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import trafilatura
from charset_normalizer import from_bytes
from htmldate import find_date
from lxml.etree import ParserError
from trafilatura.xpaths import BODY_XPATH

from extractors import lexicon
from extractors.dates import date_in_url
from extractors.language import detect_language
from extractors.record import Image, Provider, Record, to_utc
from extractors.structure import (
    CELL_BORDER,
    OUTSIDE,
    PARAGRAPH,
    QUOTE,
    UNKNOWN,
    kinds_of_lines,
    line_key,
    line_kinds,
)
from extractors.text import (
    LIST_ITEM,
    LIST_MARKER,
    MAX_EXCERPT_CHARS,
    SENTENCE_END,
    count_words,
    join_paragraphs,
    split_paragraphs,
    truncate,
)
from extractors.urls import canonical_url, is_http_url, registered_domain

# ``secured`` of a page stored with the visible part of a paywalled article.
PAYWALL_SECURED = "true"
# Below this many words a page with no article markup is not an article.
MIN_ARTICLE_WORDS = 40
# A first extraction shorter than this gets a second opinion.
SECOND_OPINION_WORDS = 120
# ... and so does a longer one with less prose than this.
SECOND_OPINION_PROSE_WORDS = 50
# Error pages, walls and shells carry little text.
NOT_FOUND_MAX_WORDS = 150
SHELL_MAX_WORDS = 25
WALL_MAX_WORDS = 200
COOKIE_WALL_MAX_WORDS = 80
LISTING_MAX_WORDS = 250
LINK_LIST_SHARE = 0.6
# A text is hard-wrapped when this many lines (and this share of them) stop mid-sentence.
WRAPPED_MIN_LINES = 4
WRAPPED_MIN_WORDS = 6
# Wrapped lines are filled to within this share of the text's width (its longest lines) ...
WRAPPED_FILL = 0.8
WRAPPED_MIN_WIDTH = 40
# ... and the next line goes on in lower case at this share of the breaks at least.
WRAPPED_LOWER_SHARE = 0.3
# A paywalled page showing this many words of article prose is an article (stored, secured).
PAYWALL_MIN_ARTICLE_WORDS = 100
# A thin page behind a consent banner whose extracted prose reaches this is an article.
COOKIE_WALL_MAX_PROSE_WORDS = 40
# A paragraph of prose has this many words (shorter lines are headlines, offers, buttons).
PROSE_PARAGRAPH_MIN_WORDS = 12
# trafilatura's full pass replaces the fast one where it kept the same text (this share of its
# word 4-grams) in at most this share of the words: junk around the article cut away.
TRIM_MAX_SHARE = 0.95
TRIM_MIN_CONTAINED = 0.9
_WORD_TOKEN = re.compile(r"\w+")
# trafilatura's main extractor wants this much text in its container (MIN_EXTRACTED_SIZE).
CONTAINER_MIN_CHARS = 250
# A text up to this much longer than the container's still came from it (a title added).
CONTAINER_SLACK = 1.1
# On a layout-table page, the pass without tables is refused when it is more than this many
# times longer than the table's cells read as paragraphs (eval/realpages: 14 such pages).
LAYOUT_MAX_GROWTH = 2
# A page at a story's own address may be a short post (a photo with a caption).
SHORT_POST_MIN_WORDS = 15
ARTICLE_SLUG_MIN_WORDS = 3
# The page's title names one story when a part of it this long opens the main text.
PAGE_HEADLINE_MIN_WORDS = 4
PAGE_HEADLINE_SEARCH_LINES = 3
# "/2012/10/some-post", "/2012/10/29/some-post", "/2020-02/19/c_11.htm": a dated story path.
_URL_DATED_SLUG = re.compile(
    r"/(?:19|20)\d{2}[/-](?:0?[1-9]|1[0-2])/(?:\d{1,2}/)?[^/]*[^\W\d_][^/]*"
)
# A story id: five digits or more (a year alone is four).
_STORY_ID = re.compile(r"\d{5,}")
_LETTERS = re.compile(r"[^\W\d_]{2,}")

CONSENT_DIALOG_MIN_KINDS = 2
# A paragraph of this many words or more that is not a search snippet ("… text …") is prose.
PROSE_MIN_WORDS = 15
TEASER_LIST_MIN_LINES = 5
# A page (without article markup) whose list items hold this share of the words is a list.
LIST_PAGE_ITEM_SHARE = 0.6
_SNIPPET = re.compile(r"^\s*(…|\.\.\.)|(…|\.\.\.)\s*$")
# A date this far past the fetch time is a parsing error or a scheduled
# placeholder, never a publication date.
FUTURE_TOLERANCE = timedelta(hours=2)
# Declared dates before this year are placeholders (year 1, the Unix epoch), not publication.
EARLIEST_PUBLICATION_YEAR = 1995
# Single- and multi-byte encodings of non-Latin scripts, trusted when detected.
_NON_LATIN_ENCODINGS = frozenset(
    [
        "cp1251",
        "koi8_r",
        "koi8_u",
        "iso8859_5",
        "cp866",
        "mac_cyrillic",
        "cp1253",
        "iso8859_7",
        "cp1255",
        "iso8859_8",
        "cp1256",
        "iso8859_6",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
        "big5hkscs",
        "shift_jis",
        "cp932",
        "euc_jp",
        "iso2022_jp",
        "euc_kr",
        "cp949",
        "cp874",
        "tis_620",
        "utf_16",
        "utf_16_le",
        "utf_16_be",
        "utf_32",
    ]
)
# Abbreviations and initials that stand before a name or number, never at a sentence's end.
_ABBREVIATION_END = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sen|Rep|Gov|Gen|Capt|Lt|Sgt|Rev|Hon|Messrs|No|Nr|Jan|Feb|Mar|"
    r"Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Hr|Fr|Frau|Herr|Mme|Mlle|Sr|Sra|[A-Z])\.\s*$"
)
_HTML_START = re.compile(r"<html\b[^>]*>", re.I)
_TITLE_OPEN = re.compile(r"<title\b[^>]*>", re.I)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
HEADLINE_MIN_WORDS = 3
COPYRIGHT_SEARCH_CHARS = 4000
_NAME_WORD = re.compile(r"[^\W_]+")
# Where a copyright holder's name ends: "Kreisbote Verlag · Impressum", "Gazette - All rights".
_NAME_END = re.compile(r"\s+[-–—·•|]\s+|\s*[·•|]\s*")
_BRANDING_XPATH = (
    "//*[contains(@class, 'logo') or contains(@id, 'logo') or contains(@class, 'brand') or "
    "contains(@class, 'masthead') or contains(@class, 'site-name') or "
    "contains(@class, 'site-title')][not(self::body) and not(self::main) and not(self::article)]"
)
_COPYRIGHT_HOLDER = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*([^.|,\n]{3,60})", re.I
)
# A site's name in front of a title is at least this many letters (squashed).
SITE_PREFIX_MIN_CHARS = 4
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " « ", " » ")
# In order of preference: the most specific type wins when a page lists several.
_ARTICLE_TYPES = (
    "OpinionNewsArticle",
    "AnalysisNewsArticle",
    "ReportageNewsArticle",
    "LiveBlogPosting",
    "NewsArticle",
    "BlogPosting",
    "Report",
    "ScholarlyArticle",
    "TechArticle",
    "Article",
)


class ExtractionError(ValueError):
    """A page that cannot become a record (empty, binary, unparsable)."""


class NotAnArticle(ExtractionError):
    """A page that parsed fine but is not an article (404, section front, wall, empty shell).

    Attributes:
        reason: a short reason code (``not-found``, ``section-front``, ``paywall`` …).
        detail: a human-readable explanation naming what gave it away.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"not an article ({reason}): {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class PageMetadata:
    """What a page declares about itself, before trafilatura touches the tree."""

    title: str = ""
    # The headline the page displays, as its JSON-LD states it (``og:title`` is often a
    # social-media variant of it).
    headline: str = ""
    # The ``<title>`` element's text (trafilatura prunes the tree later).
    page_title: str = ""
    site_name: str = ""
    description: str = ""
    canonical: str = ""
    amp_url: str = ""
    published: datetime | None = None
    published_has_time: bool = False
    language: str | None = None
    article_type: str = ""
    og_type: str = ""
    free: bool | None = None
    images: list[Image] = field(default_factory=list)
    # Dates after this (the fetch time plus a tolerance) are placeholders, not publication.
    not_after: datetime | None = None
    # A declared date was skipped for lying after ``not_after``.
    future_skipped: bool = False
    # The article's text as its JSON-LD declares it (``articleBody``): the publisher's own
    # copy, often all there is on a paywalled or script-rendered page.
    article_body: str = ""


def decode_html(content: bytes, declared_charset: str | None = None) -> str:
    """Decode page bytes: the HTTP charset, then ``<meta charset>``, then detection.

    Raises:
        ExtractionError: if the content is empty or binary.
    """
    if not content.strip():
        raise ExtractionError("empty page")
    if b"\x00" in content[:4096] and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError("binary content, not a text or HTML document")
    if not content.isascii():
        # Valid UTF-8 with multi-byte sequences is almost never an accident of a
        # legacy encoding, while pages declaring latin-1 but serving UTF-8 are common.
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        # UTF-8 with a few damaged bytes (a truncated character, a stray byte): decoding all
        # of it as a legacy charset would turn every accented letter into mojibake ("Ã¤");
        # the damaged bytes become U+FFFD instead, which the pipeline reports.
        repaired = _mostly_utf8(content)
        if repaired is not None:
            return repaired
    candidates: list[str] = []
    if declared_charset:
        candidates.append(declared_charset)
    sniffed = _META_CHARSET.search(content[:4096])
    if sniffed:
        candidates.append(sniffed.group(1).decode("ascii", "replace"))
    for charset in candidates:
        try:
            return content.decode(_python_codec(charset))
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(content[:200_000]).best()
    if best is not None and best.encoding in _NON_LATIN_ENCODINGS:
        return content.decode(best.encoding, errors="replace")
    # Undeclared legacy pages are overwhelmingly windows-1252 (the WHATWG default
    # for Western locales); detectors confuse it with cp1250/cp1125 on short French text.
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        return content.decode(best.encoding if best else "cp1252", errors="replace")


def _mostly_utf8(content: bytes) -> str | None:
    """The text as UTF-8 with invalid bytes replaced, if valid multi-byte UTF-8 dominates.

    Legacy 8-bit text (latin-1, cp1252 …) almost never forms valid multi-byte
    sequences by accident, so its accented letters all count as invalid here.
    """
    text = content.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd") - content.count(b"\xef\xbf\xbd")
    valid = len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")
    return text if valid > 2 * replaced else None


def read_page_metadata(
    tree: lxml.html.HtmlElement, url: str, *, fetched_at: datetime | None = None
) -> PageMetadata:
    """Collect the page's declared metadata: Open Graph, meta tags, links, JSON-LD.

    Args:
        tree: the parsed page.
        url: its URL (relative links are resolved against it).
        fetched_at: when it was fetched; a declared date after it is skipped in favour
            of the next source, like placeholder dates (year 1, the Unix epoch).
    """
    meta = PageMetadata()
    if fetched_at is not None:
        meta.not_after = to_utc(fetched_at) + FUTURE_TOLERANCE
    properties: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        key = (
            (element.get("property") or element.get("name") or element.get("itemprop") or "")
            .strip()
            .lower()
        )
        content = (element.get("content") or "").strip()
        if key and content:
            properties.setdefault(key, []).append(content)

    def first(*keys: str) -> str:
        for key in keys:
            if properties.get(key):
                return properties[key][0]
        return ""

    meta.title = first("og:title", "twitter:title")
    title_element = tree.find(".//title")
    if title_element is not None:
        meta.page_title = " ".join(title_element.text_content().split())
    meta.og_type = first("og:type").lower()
    meta.site_name = first("og:site_name", "application-name", "publisher")
    meta.description = first("og:description", "description", "twitter:description")
    meta.language = (tree.get("lang") or first("og:locale", "language") or "").split("-")[0].split(
        "_"
    )[0].lower() or None
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if not href:
            continue
        if "canonical" in rel and not meta.canonical:
            meta.canonical = urljoin(url, href)
        elif "amphtml" in rel and not meta.amp_url:
            meta.amp_url = urljoin(url, href)
    if not meta.canonical:
        meta.canonical = urljoin(url, first("og:url")) if first("og:url") else ""

    declared_time = first(
        "article:published_time",
        "og:published_time",
        "datepublished",
        "date",
        "dc.date.issued",
        "pubdate",
    )
    _set_date(meta, declared_time)

    og_image = first("og:image:secure_url", "og:image", "twitter:image")
    if og_image:
        meta.images.append(
            Image(
                url=urljoin(url, og_image),
                width=_int_or_none(first("og:image:width")),
                height=_int_or_none(first("og:image:height")),
            )
        )
    for item in _json_ld_items(tree):
        _merge_json_ld(meta, item, url)
    if meta.published is None:
        # Microdata on any element (Blogger's <abbr itemprop=datePublished title=…>), then <time>.
        for element in tree.xpath("//*[@itemprop='datePublished']"):
            value = element.get("content") or element.get("datetime") or element.get("title")
            if _set_date(meta, value or element.text_content()):
                break
    if meta.published is None:
        for time_element in tree.iter("time"):
            if _set_date(meta, time_element.get("datetime") or ""):
                break
    return meta


def html_to_record(
    content: bytes | str,
    url: str,
    fetched_at: datetime,
    *,
    charset: str | None = None,
) -> Record:
    """Extract an article page into a record.

    Args:
        content: the page as fetched (bytes are decoded with ``charset`` or detection).
        url: the URL the page was fetched from (after redirects).
        fetched_at: when it was fetched; no publication date may lie after it.
        charset: the charset from the HTTP Content-Type header, if any.

    Returns:
        The record; ``body`` is empty when no article text was found.

    Raises:
        ExtractionError: empty, binary or unparsable pages.
    """
    html = content if isinstance(content, str) else decode_html(content, charset)
    if not html.strip():
        raise ExtractionError("empty page")
    # lxml refuses str input that still carries an XML encoding declaration (XHTML pages).
    html = _close_unclosed_title(_XML_DECLARATION.sub("", html, count=1))
    html, tree = _parse_repairing_start_tag(html)
    meta = read_page_metadata(tree, url, fetched_at=fetched_at)
    published = meta.published
    if published is None and not meta.future_skipped:
        # htmldate reads the same declarations (to the day): after a future one, it
        # would only bring that date back. It reads scripts too, so it goes first.
        published = _fallback_date(tree, fetched_at)
    _drop_code(tree)
    main = _main_text(tree, url)
    paragraphs, kinds = join_broken_sentences(
        reflow_wrapped_lines(split_paragraphs(main.text)), main.kinds
    )
    declared = _declared_body(meta, paragraphs)
    if declared:
        paragraphs, kinds = declared, {}
    secured = check_is_article(tree, meta, paragraphs, url)

    web_url = _choose_web_url(url, meta.canonical)
    site_name = meta.site_name
    title = strip_site_suffix(
        _displayed_headline(meta) or meta.title or _page_title(tree), site_name, web_url
    )
    title = _prefer_headline(tree, title, site_name)
    if published is not None and published > to_utc(fetched_at) + FUTURE_TOLERANCE:
        published = None
    images = list(meta.images)
    description = meta.description
    excerpt = truncate(" ".join(description.split()), MAX_EXCERPT_CHARS) if description else ""
    extra: dict[str, Any] = {}
    if meta.amp_url:
        extra["ampWebUrl"] = meta.amp_url
    # The URL's day is kept beside the answer, not used as it: see ``date_in_url``.
    url_day = date_in_url(web_url, reference=fetched_at) or date_in_url(url, reference=fetched_at)
    if url_day is not None:
        extra["urlDate"] = url_day.isoformat()
    return Record(
        title=title,
        # Headline copies at the top stay for the cleaner, which removes them with a reason.
        body=join_paragraphs(paragraphs),
        excerpt=excerpt,
        category=_category(meta.article_type),
        published_at=published,
        original_url=url,
        web_url=web_url,
        provider=Provider(name=site_name, domain=registered_domain(web_url)),
        images=tuple(_unique_images(images)),
        secured=PAYWALL_SECURED if secured else None,
        # A declared language is trusted; detection (about 14% of a page's time) only fills gaps.
        language=meta.language or detect_language(" ".join(paragraphs[:8])),
        extra=extra,
        line_kinds=kinds_of_lines(paragraphs, kinds),
    )


_CODE_XPATH = lxml.etree.XPath(
    "//script[not(contains(translate(@type, 'JSON', 'json'), 'json'))]|//style"
)


def _drop_code(tree: lxml.html.HtmlElement) -> None:
    """Remove scripts and style sheets (JSON data blocks stay for the date readers).

    trafilatura drops them in its own cleaning, but its fallback extractors did not on
    every page: a script's source came out as paragraphs of an old sports page's text
    (eval/realpages). The metadata and htmldate's fallback date (which reads scripts)
    are read before; nothing later needs them.
    """
    for element in _CODE_XPATH(tree):
        element.drop_tree()


def _main_text(tree: lxml.html.HtmlElement, url: str) -> MainText:
    """trafilatura's main text, with second opinions where the first may be wrong.

    The fast pass (no fallback extractors) is right on most pages. Its output is
    re-examined when it is short or made of table rows (``_first_opinion``). Where its text
    did not come from the article container trafilatura looks for (``_within_container``),
    trafilatura's full pass, which weighs readability and jusText against its own
    extraction, is taken if it kept the same text with less around it (``_trims``):
    where the fast pass found no article container and fell back to a dump of the page
    (menus, teasers, login boxes around the story), the full pass had a tighter answer
    (eval/realpages: about 50 of 2,989 pages; pages losing to plain trafilatura on l3s-gn1
    went from 27 to 11). Where the full pass differs otherwise (readability taking a longer
    block with comments or other posts), the fast pass stays.
    The chosen pass's body tree tells what each line was (``MainText.kinds``).
    """
    passes: dict[tuple[bool, bool], MainText] = {}

    def run(fast: bool, tables: bool) -> MainText:
        if (fast, tables) not in passes:
            passes[fast, tables] = _trafilatura(tree, url, fast=fast, tables=tables)
        return passes[fast, tables]

    chosen = _first_opinion(run)
    if _within_container(tree, chosen.text):
        # The full pass would only have weighed other extractors against the same text; a
        # shorter answer of theirs there was a sidebar (an author box), not a tighter story.
        return chosen
    full = run(False, True)
    if full is chosen:
        return chosen
    # A layout table comes out of the full pass as rows of every cell, like the fast one's;
    # one still made of rows after unfolding is not a text the cleaner can read line by line.
    full = MainText(unfold_layout_rows(full.text), full.kinds)
    if _mostly_rows(full.text) or not _trims(full.text, chosen.text):
        return chosen
    return _with_left_out_lines(full, chosen)


def _with_left_out_lines(full: MainText, chosen: MainText) -> MainText:
    """The full pass's text with the lines of the chosen one it left out put back in place.

    Those lines are marked ``OUTSIDE``, so that the cleaner removes them with a reason
    (``outside-article``) instead of their vanishing unseen; a line whose words the full
    pass holds in another form (a word broken differently) is not put back twice.
    """
    full_lines = full.text.split("\n")
    chosen_lines = chosen.text.split("\n")
    full_words = _WORD_TOKEN.findall(full.text)
    matcher = SequenceMatcher(
        None,
        [line_key(line) for line in chosen_lines],
        [line_key(line) for line in full_lines],
        autojunk=False,
    )
    merged: list[str] = []
    outside: dict[str, str] = {}
    for tag, chosen_start, chosen_end, full_start, full_end in matcher.get_opcodes():
        # Left-out lines before the first line the full pass holds in another form go before
        # its lines, the others after them.
        before: list[str] = []
        after: list[str] = []
        held_yet = False
        for line in chosen_lines[chosen_start:chosen_end] if tag != "equal" else ():
            words = _WORD_TOKEN.findall(line)
            if not words:
                continue
            if _holds(full_words, words):
                held_yet = True
                continue
            (after if held_yet else before).append(line)
            outside[line_key(line)] = OUTSIDE
        merged.extend([*before, *full_lines[full_start:full_end], *after])
    return MainText("\n".join(merged), {**full.kinds, **outside})


def _holds(words: list[str], line: list[str]) -> bool:
    """Whether a text (its words) holds a line: half its word 4-grams, or all of a short one.

    Half, because two passes may break a word differently ("des erved" after a soft hyphen).
    """
    if len(line) < 4:
        joined = f" {' '.join(words)} "
        return f" {' '.join(line)} " in joined
    return _grams_found(words, line) >= 0.5


def _mostly_rows(text: str) -> bool:
    """Whether table rows ("| a | b |") make up more than half of the text."""
    return (
        sum(len(line) for line in text.split("\n") if line.lstrip().startswith("|")) > len(text) / 2
    )


def _within_container(tree: lxml.html.HtmlElement, text: str) -> bool:
    """Whether the text fits in the article container trafilatura's main extractor reads.

    trafilatura reads the first element its ``BODY_XPATH`` finds (``<article>``, a div
    of class "post-content" …). Without one holding ``CONTAINER_MIN_CHARS``, or with a text
    longer than the container's, its fast pass recovered text from the whole page, and its
    full pass (readability, jusText) may know better. On the real-pages corpus this flagged
    about a quarter of the pages, among them 45 of the 48 where the full pass (run on every
    page) trimmed the fast one; skipping it elsewhere saves most of its cost.
    """
    for expression in BODY_XPATH:
        container = next(iter(expression(tree)), None)
        if container is not None:
            held = len(" ".join(container.text_content().split()))
            return held >= CONTAINER_MIN_CHARS and len(" ".join(text.split())) <= (
                CONTAINER_SLACK * held
            )
    return False


def _first_opinion(run: Callable[[bool, bool], MainText]) -> MainText:
    """The fast pass, or a second pass where it came out short or as a layout table."""
    first = run(True, True)
    chosen = first
    if _mostly_rows(first.text):
        second = run(False, False)
        unfolded = MainText(unfold_layout_rows(first.text), first.kinds)
        # Without tables the article may be gone with its layout table (a menu is left):
        # then the layout table's cells, read as paragraphs, hold the article's prose.
        if (
            _sentence_words(second.text)
            < SECOND_OPINION_PROSE_WORDS
            < _sentence_words(unfolded.text)
        ):
            chosen = unfolded
        elif len(second.text.split()) > LAYOUT_MAX_GROWTH * len(unfolded.text.split()):
            # Without tables trafilatura took a larger block of the page (other stories,
            # comments around the layout table): the table's cells hold the article.
            chosen = unfolded
        else:
            chosen = second if len(second.text.split()) >= MIN_ARTICLE_WORDS else first
    elif len(first.text.split()) < SECOND_OPINION_WORDS:
        second = run(False, True)
        return second if len(second.text.split()) > len(first.text.split()) else first
    prose = _sentence_words(chosen.text)
    if prose < SECOND_OPINION_PROSE_WORDS:
        # Long but without a paragraph of prose: the fast pass may have taken a block of
        # links or listings for the article (seen on old portal pages).
        full = run(False, True)
        if _sentence_words(full.text) > prose:
            return full
    return chosen


def _trims(shorter: str, longer: str) -> bool:
    """Whether ``shorter`` is ``longer`` with a part of it cut away.

    At most ``TRIM_MAX_SHARE`` of its words, and at least ``TRIM_MIN_CONTAINED`` of its
    word 4-grams found in ``longer``: the same text, not another block of the page.
    """
    # Words alone: a table's cell borders or a line's punctuation do not make another text.
    short_words = _WORD_TOKEN.findall(shorter)
    long_words = _WORD_TOKEN.findall(longer)
    if len(short_words) < 4 or len(short_words) > TRIM_MAX_SHARE * len(long_words):
        return False
    return _grams_found(long_words, short_words) >= TRIM_MIN_CONTAINED


def _grams_found(words: list[str], part: list[str]) -> float:
    """The share of the word 4-grams of ``part`` (at least four words) found in ``words``."""
    have = {tuple(words[i : i + 4]) for i in range(len(words) - 3)}
    grams = [tuple(part[i : i + 4]) for i in range(len(part) - 3)]
    return sum(gram in have for gram in grams) / len(grams)


def _declared_body(meta: PageMetadata, paragraphs: list[str]) -> list[str] | None:
    """The JSON-LD ``articleBody`` as paragraphs, when the page's own text lacks the article.

    A paywalled or script-rendered page often shows a caption or a teaser while its
    JSON-LD carries the whole text the publisher wrote. It is used only when the main text
    has almost no prose (fewer than ``SECOND_OPINION_PROSE_WORDS`` words in sentences) and
    the declared body holds at least ``PAYWALL_MIN_ARTICLE_WORDS`` words, more than
    twice what the page showed, in at least ``DECLARED_BODY_MIN_SENTENCES`` sentences;
    markup inside it is dropped. Lines the page showed that the declared text does not
    hold (a caption, a teaser) come first, for the cleaner to judge: nothing is dropped
    without a reason.
    """
    if not meta.article_body:
        return None
    shown = _sentence_words("\n".join(paragraphs))
    if shown >= SECOND_OPINION_PROSE_WORDS:
        return None
    text = meta.article_body
    if "<" in text:
        try:
            text = lxml.html.fromstring(f"<div>{text}</div>").text_content()
        except (ParserError, ValueError):
            return None
    declared = split_paragraphs(text)
    # Declared bodies often lose their paragraph breaks (one line of the whole text), so
    # prose is told by its sentences, not by lines that end like one.
    joined = " ".join(declared)
    words = len(joined.split())
    sentences = len(_SENTENCE_BREAK.findall(joined))
    if (
        words < PAYWALL_MIN_ARTICLE_WORDS
        or sentences < DECLARED_BODY_MIN_SENTENCES
        or words <= 2 * len(" ".join(paragraphs).split())
    ):
        return None
    held = _squash(joined)
    return [line for line in paragraphs if _squash(line) not in held] + declared


def unfold_layout_rows(text: str) -> str:
    """Read the rows of a layout table as paragraphs: one per non-empty cell.

    Old CMSs lay the whole page out in a table, and trafilatura renders it as rows of
    every cell (``| menu | the article's paragraph | ads |``). A row with a cell of
    prose is layout, not data; rows of short cells (a real table's) are left as rows.
    """
    lines: list[str] = []
    for line in text.split("\n"):
        # trafilatura escapes a "|" that stands inside a cell with a backslash.
        cells = [
            cell.strip().replace("\\|", "|") for cell in CELL_BORDER.split(line.strip().strip("|"))
        ]
        if line.lstrip().startswith("|") and any(
            len(cell.split()) >= PROSE_PARAGRAPH_MIN_WORDS and SENTENCE_END.search(cell)
            for cell in cells
        ):
            lines.extend(cell for cell in cells if cell)
        else:
            lines.append(line)
    return "\n".join(lines)


def _sentence_words(text: str) -> int:
    """Words in lines of prose that end like a sentence (not link rows or listings)."""
    return sum(
        len(line.split())
        for line in split_paragraphs(text)
        if len(line.split()) >= PROSE_PARAGRAPH_MIN_WORDS and SENTENCE_END.search(line)
    )


@dataclass(frozen=True)
class MainText:
    """trafilatura's text and, by ``structure.line_key``, what each line was in its body tree."""

    text: str
    kinds: dict[str, str] = field(default_factory=dict)


def _trafilatura(tree: lxml.html.HtmlElement, url: str, *, fast: bool, tables: bool) -> MainText:
    """The one place trafilatura extracts the main text: its text and its body tree's structure.

    ``bare_extraction`` works on a copy of a tree it is given (trafilatura 2.3), so one parse
    serves every pass and the metadata readers after it (tests/extractors/test_html.py holds
    trafilatura to that).

    ``bare_extraction`` builds the XML body (``<p>``, ``<head>``, ``<list>``, ``<table>``)
    and its ``text`` from it; reading the body costs a walk of that tree, no second pass.
    """
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=False,
        include_tables=tables,
        fast=fast,
    )
    text = str(getattr(document, "text", None) or "")
    return MainText(text, line_kinds(getattr(document, "body", None)) if text else {})


def _parse(html: str) -> lxml.html.HtmlElement:
    """The page's tree as trafilatura's own ``load_html`` builds it.

    trafilatura loses text on a tree parsed by plain ``lxml.html`` (comments and
    processing instructions kept, no repair of a cut ``<!DOCTYPE>``): on real pages
    ``bare_extraction`` returned 40 % fewer words from such a tree than from its own.
    Plain lxml stays the fallback for what ``load_html`` refuses (fragments).

    Raises:
        ExtractionError: HTML that neither parser can read.
    """
    tree = trafilatura.load_html(html)
    if tree is not None and tree.tag == "html":
        return tree
    try:
        return lxml.html.document_fromstring(html)
    except (ParserError, ValueError) as error:
        raise ExtractionError(f"unparsable HTML: {error}") from None


def _parse_repairing_start_tag(html: str) -> tuple[str, lxml.html.HtmlElement]:
    """Parse the page; if a damaged ``<html>`` start tag hid all of it, parse it repaired.

    Bytes lost inside the start tag (``<html xmogo.jpg" alt="…" />``) leave a tag whose
    attributes run into the page, and both parsers then return a document without a
    word of text though the article is in the bytes. The start tag is then rewritten
    as a plain ``<html>``, and the repaired page is used when it shows more text.
    """
    tree = _parse(html)
    if len(tree.text_content().split()) >= SHELL_MAX_WORDS:
        return html, tree
    start = _HTML_START.search(html)
    if start is None or start.group(0).lower() == "<html>":
        return html, tree
    repaired = f"{html[: start.start()]}<html>{html[start.end() :]}"
    repaired_tree = _parse(repaired)
    if len(repaired_tree.text_content().split()) > len(tree.text_content().split()):
        return repaired, repaired_tree
    return html, tree


def _close_unclosed_title(html: str) -> str:
    """Close a ``<title>`` that never is: parsers read the whole page as its text.

    Pages damaged near the top (bytes lost from the head) leave the title open, and
    the parsed document then has no body at all though the article is in the bytes.
    The title is closed at the next tag.
    """
    opening = _TITLE_OPEN.search(html)
    if opening is None or _TITLE_CLOSE.search(html, opening.end()):
        return html
    end = html.find("<", opening.end())
    return html if end < 0 else f"{html[:end]}</title>{html[end:]}"


def _page_title(tree: lxml.html.HtmlElement) -> str:
    for element in tree.iter("title", "h1"):
        text = " ".join(element.text_content().split())
        if text:
            return text
    return ""


def _fallback_date(tree: lxml.html.HtmlElement, fetched_at: datetime) -> datetime | None:
    """htmldate's reading of the page, for pages that declare no publication time."""
    found = find_date(
        tree,
        extensive_search=False,
        original_date=True,
        max_date=fetched_at.strftime("%Y-%m-%d"),
    )
    return _parse_date(found) if found else None


def check_is_article(
    tree: lxml.html.HtmlElement, meta: PageMetadata, paragraphs: list[str], url: str
) -> bool:
    """Raise ``NotAnArticle`` for error pages, section fronts, walls and empty shells.

    A paywalled page whose visible part is a real article (100 words of prose or
    more besides the offer) is an article: it is kept and reported as secured.

    Args:
        tree: the parsed page.
        meta: what the page declares about itself.
        paragraphs: the main text found on it.
        url: its URL (paths like ``/tag/…`` are listing pages).

    Returns:
        Whether the page is behind a paywall (a subscription offer or
        ``isAccessibleForFree: false``) with its visible text kept.

    Raises:
        NotAnArticle: with a reason code and what gave it away.
    """
    words = sum(len(paragraph.split()) for paragraph in paragraphs)
    heading = " ".join(
        " ".join(element.text_content().split()) for element in tree.iter("title", "h1")
    )
    if words < NOT_FOUND_MAX_WORDS and lexicon.NOT_FOUND.search(heading):
        raise NotAnArticle("not-found", f"error page: {heading[:80]!r}")
    declared_article = bool(meta.article_type) or meta.og_type == "article"
    page_text = " ".join((tree.body.text_content() if tree.body is not None else "").split())
    # A damaged page (a cut <html> or an unclosed <title>) can leave the parsed <body>
    # nearly empty while the article was still extracted: only a page without either is a shell.
    if words < MIN_ARTICLE_WORDS and (
        len(page_text.split()) < SHELL_MAX_WORDS or lexicon.NEEDS_JAVASCRIPT.search(page_text)
    ):
        detail = "page has almost no text"
        if lexicon.NEEDS_JAVASCRIPT.search(page_text) or tree.find(".//noscript") is not None:
            detail = "page needs JavaScript to show its content"
        raise NotAnArticle("javascript-shell", detail)
    secured = meta.free is False
    if words < WALL_MAX_WORDS:
        lowered = page_text.casefold()
        if meta.free is False or _paywall_offer(lowered, paragraphs):
            visible = _article_prose_words(paragraphs)
            if visible < PAYWALL_MIN_ARTICLE_WORDS:
                raise NotAnArticle(
                    "paywall", f"only {visible} words of article text and a subscription offer"
                )
            # The visible part is a real article: store it, marked as behind a paywall.
            secured = True
        # Most real articles carry a cookie banner: only a thin page behind one is a wall,
        # and only when what was extracted is not a piece of article prose.
        elif (
            words < COOKIE_WALL_MAX_WORDS
            and lexicon.COOKIE_WALL.search(lowered)
            and _article_prose_words(paragraphs) < COOKIE_WALL_MAX_PROSE_WORDS
        ):
            raise NotAnArticle("cookie-wall", f"only {words} words of text behind a consent wall")
        if _is_consent_dialog(paragraphs, words):
            raise NotAnArticle("cookie-wall", "the only text is a consent dialog's")
    # An address shaped like one story's (a dated path, a headline slug, a story id) is
    # evidence of an article as strong as a declaration: section fronts live at short paths.
    headings = [heading for heading in _headings(tree) if heading]
    article_page = (
        declared_article
        or looks_like_article_url(url)
        or bool(meta.canonical and looks_like_article_url(meta.canonical))
        or _opens_with_page_headline(meta.page_title, paragraphs, headings)
        # A video's own page ("og:type" video.movie, video.other …) shows one item.
        or meta.og_type.startswith("video.")
        or _titled_post(tree, meta.page_title)
        # The page's only heading, named by its title, is the story's headline even when the
        # extraction left it out. Listings title their heading too, but carry one heading
        # per teaser or result, and a listing's address outweighs it.
        or (
            len(headings) == 1
            and _titled_heading(meta.page_title, headings)
            and not is_listing_url(url)
        )
    )
    # Only a page without article evidence is read for its links.
    headline_links = set() if article_page else _headline_links(tree)
    if not article_page and _is_teaser_list(paragraphs, headline_links, _link_texts(tree)):
        raise NotAnArticle(
            "section-front", "short teasers or search snippets, no paragraph of prose"
        )
    if not article_page and (is_listing_url(url) or _is_link_list(tree, paragraphs, words)):
        raise NotAnArticle("section-front", "a page of links to articles, not an article")
    if (
        not article_page
        and words < MIN_ARTICLE_WORDS
        and any(_squash(paragraph) in headline_links for paragraph in paragraphs)
    ):
        raise NotAnArticle(
            "section-front", "a teaser under a link to another page's story, no text of its own"
        )
    # A few words that none of the rules above explains (a photo post's caption, a short
    # notice) are kept: a wrongly stored page can be deleted, a wrongly refused one is lost.
    if not words:
        raise NotAnArticle("no-text", "no text was found on the page")
    return secured


def _paywall_offer(page_text: str, paragraphs: list[str]) -> bool:
    """The page carries a paywall cue outside the article's own sentences.

    A post telling its readers that "for subscribers, …" uses the words of an offer in
    its prose; an offer stands apart from it (a box, a button, a short line).
    """
    offered = len(lexicon.PAYWALL.findall(page_text))
    if not offered:
        return False
    in_prose = sum(
        len(lexicon.PAYWALL.findall(paragraph.casefold()))
        for paragraph in paragraphs
        if len(paragraph.split()) >= PROSE_PARAGRAPH_MIN_WORDS and SENTENCE_END.search(paragraph)
    )
    return offered > in_prose


def reflow_wrapped_lines(lines: list[str]) -> list[str]:
    """Join lines that a hard-wrapped page broke inside its sentences.

    Some pages (old CMSs, wire copy pasted with its line breaks) break every
    paragraph at a fixed width; each line then reads as a fragment and the
    cleaner drops them as such. A text is hard-wrapped when several lines stop
    mid-sentence at about the same width and the line after them often goes on
    in lower case; list items and headings stop without a full stop too, but at
    every length and followed by a capital. Then each line filled to the width
    is joined with the next; lists and table rows are left alone.
    """
    widths = sorted(len(line) for line in lines if _ends_mid_sentence(line))
    if len(widths) < WRAPPED_MIN_LINES:
        return lines
    width = widths[int(0.9 * (len(widths) - 1))]

    def filled(line: str) -> bool:
        return _ends_mid_sentence(line) and len(line) >= WRAPPED_FILL * width

    breaks = [(line, after) for line, after in pairwise(lines) if filled(line)]
    going_on = sum(1 for _, after in breaks if after[:1].islower())
    if (
        width < WRAPPED_MIN_WIDTH
        or len(breaks) < WRAPPED_MIN_LINES
        or going_on < WRAPPED_LOWER_SHARE * len(breaks)
    ):
        return lines
    joined: list[str] = []
    for line in lines:
        last = joined[-1].rsplit("\n", 1)[-1] if joined else ""
        # A paragraph's short first line (indented in the source) goes on in lower case.
        goes_on = _ends_mid_sentence(last) and line[:1].islower()
        if joined and (filled(last) or goes_on) and not _is_row(line):
            joined[-1] = f"{joined[-1]}\n{line}"
        else:
            joined.append(line)
    return [" ".join(line.split("\n")) for line in joined]


# A JSON-LD articleBody replaces a page's prose-less text only when it has this many sentences.
DECLARED_BODY_MIN_SENTENCES = 5
_SENTENCE_BREAK = re.compile(r"[.!?…][\"'”’)\]]*\s+(?=[\"'“‘(\[]*[^\W\d_])")
# What a body-tree element may be for its text to run on into the next line's.
_PROSE_KINDS = frozenset({PARAGRAPH, QUOTE, UNKNOWN})
# Separators of breadcrumbs and link rows: a line holding them is navigation, not prose.
_TRAIL_SEPARATORS = re.compile(r"\s[›»>|/]\s")


def join_broken_sentences(
    lines: list[str], kinds: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """Join a line to the one before when it goes on that line's sentence.

    A ``<br>`` or a link on its own line inside a paragraph breaks it into lines that
    each read as a fragment ("… agreed on. The board" / "chose six crossings … (see
    days 1," / "2," / "and 4),"), and the cleaner would drop them as fragments. A line goes
    on the one before when that one stops without ending its sentence and the line
    starts in lower case (not a brand like "iPhone"), or with a closing bracket or
    comma, or when the one before stops on a comma. Lists and table rows are left as
    they are; only whitespace changes, so nothing is lost.

    Args:
        lines: the main text's lines.
        kinds: ``line_key`` → kind from trafilatura's body tree.

    Returns:
        The lines, joined where a sentence went on, and the kinds with each joined line
        given the kind of its first piece.
    """
    joined: list[str] = []
    first_pieces: list[str] = []
    for line in lines:
        # Only prose goes on: a heading, list item or table row of the page's body tree
        # starts or ends its own line ("Background" / "according to officials, …").
        if (
            joined
            and kinds.get(line_key(line), UNKNOWN) in _PROSE_KINDS
            and kinds.get(line_key(joined[-1]), UNKNOWN) in _PROSE_KINDS
            and _goes_on(joined[-1], line)
        ):
            joined[-1] = f"{joined[-1]} {line.strip()}"
        else:
            joined.append(line)
            first_pieces.append(line)
    if len(joined) == len(lines):
        return lines, dict(kinds)
    merged = dict(kinds)
    for line, first in zip(joined, first_pieces, strict=True):
        if line is not first and line_key(first) in kinds:
            merged.setdefault(line_key(line), kinds[line_key(first)])
    return joined, merged


def _goes_on(before: str, line: str) -> bool:
    """Whether ``line`` continues the sentence ``before`` stopped in."""
    before, line = before.rstrip(), line.strip()
    if not before or not line or _is_row(before) or _is_row(line):
        return False
    if SENTENCE_END.search(before) and not _ABBREVIATION_END.search(before):
        return False
    if before.endswith((":", "|")) or _TRAIL_SEPARATORS.search(before):
        return False
    if before.endswith(","):
        return True
    if line[0] in ",;)]":
        return True
    first_word = line.split()[0].rstrip(",;:)")
    # "iPhone", "eBay", "iOS" start in lower case and may well start a paragraph; a host
    # ("example.com › news") starts a breadcrumb or a search result's address line.
    return (
        line[0].islower()
        and first_word.isalpha()
        and not any(character.isupper() for character in first_word[1:])
        and not _TRAIL_SEPARATORS.search(line)
    )


def _ends_mid_sentence(line: str) -> bool:
    return (
        len(line.split()) >= WRAPPED_MIN_WORDS
        # "… said Mr." or "… J." is cut before the name, not at a sentence's end.
        and (not SENTENCE_END.search(line) or bool(_ABBREVIATION_END.search(line)))
        and not line.rstrip().endswith(":")
        and not _is_row(line)
    )


def _is_row(line: str) -> bool:
    return bool(LIST_ITEM.match(line)) or line.lstrip().startswith("|")


def _opens_with_page_headline(
    page_title: str, paragraphs: list[str], headings: Sequence[str] = ()
) -> bool:
    """The main text opens with the headline the page's ``<title>`` names: one story's page.

    A section front's title names the site or the section ("News", "Tag: AI"); a
    story's names the story, and the extracted text starts under that headline. The
    headline is a part of the title between separators, or a heading of the page that
    the title contains whole (titles wrap it in the site's name with any punctuation:
    "» A Post Title :blog", "Blog - Blog - A Post Title - Its Subtitle").
    """
    title = page_title
    wanted = {
        _squash(part)
        for separator in _TITLE_SEPARATORS
        for part in title.split(separator)
        if len(part.split()) >= PAGE_HEADLINE_MIN_WORDS
    }
    if len(title.split()) >= PAGE_HEADLINE_MIN_WORDS:
        wanted.add(_squash(title))
    squashed_title = _squash(title)
    wanted.update(
        _squash(heading)
        for heading in headings
        if len(heading.split()) >= PAGE_HEADLINE_MIN_WORDS and _squash(heading) in squashed_title
    )
    wanted.discard("")
    return any(_squash(line) in wanted for line in paragraphs[:PAGE_HEADLINE_SEARCH_LINES])


def _titled_heading(page_title: str, headings: Sequence[str]) -> bool:
    """A heading of the page is a part of its title besides the site's name: a headline.

    "Silence and slowness lead to reflection — The Endeavour" over an ``<h1>`` "Silence and
    slowness lead to reflection". A whole title repeated as the heading says nothing (a
    section front may do the same), nor does a short one ("News", "Our blog").
    """
    parts = {
        _squash(part)
        for separator in _TITLE_SEPARATORS
        for part in page_title.split(separator)
        if len(part.split()) >= PAGE_HEADLINE_MIN_WORDS
    }
    parts.discard(_squash(page_title))
    parts.discard("")
    return any(
        len(heading.split()) >= PAGE_HEADLINE_MIN_WORDS and _squash(heading) in parts
        for heading in headings
    )


def _titled_post(tree: lxml.html.HtmlElement, page_title: str) -> bool:
    """The title joins the site's ``<h1>`` to a post's heading: one post's page.

    Blogs put their own name in the ``<h1>`` and each post's title in an ``<h2>`` or
    ``<h3>``; a post's page is titled "Blog name: Post title" or "Post title - Blog name".
    A section front's title names the site and the section, not a heading of ours.
    """
    title = " ".join(page_title.split())
    folded = title.casefold()
    subheadings = {
        _squash(text)
        for text in (" ".join(e.text_content().split()) for e in tree.iter("h2", "h3"))
        if len(text.split()) >= PAGE_HEADLINE_MIN_WORDS
    }
    if not subheadings:
        return False
    for heading in tree.iter("h1"):
        name = " ".join(heading.text_content().split()).casefold()
        if not name:
            continue
        for separator in (*_TITLE_SEPARATORS, ": "):
            if folded.startswith(f"{name}{separator}"):
                rest = title[len(name) + len(separator) :]
            elif folded.endswith(f"{separator}{name}"):
                rest = title[: len(title) - len(name) - len(separator)]
            else:
                continue
            if _squash(rest) in subheadings:
                return True
    return False


def _headings(tree: lxml.html.HtmlElement) -> list[str]:
    """The texts of the page's ``<h1>`` and ``<h2>`` headings."""
    return [" ".join(element.text_content().split()) for element in tree.iter("h1", "h2")]


def is_listing_url(url: str) -> bool:
    """The URL is a tag, topic, author, search or archive page (``/tag/ai``, ``/themen/``).

    Sites also file stories under such a folder (``/themen/land/a-story``): a listing's
    address ends at the listing's own name (``/tag/ai``, ``/category/news/tech``) or at
    page numbers and dates; a story's goes on past it to the story's own slug or id.
    """
    path = urlsplit(url).path
    for match in lexicon.LISTING_PATH.finditer(path):
        after = [segment for segment in path[match.end(1) :].split("/") if segment]
        last = after[-1].rsplit(".", 1)[0] if after else ""
        words = [word for word in re.split(r"[-_+]", last) if _LETTERS.search(word)]
        story = len(after) >= 2 and (len(words) >= 2 or bool(_STORY_ID.search(last)))
        if not story:
            return True
    return False


def looks_like_article_url(url: str) -> bool:
    """The URL names one story: a year/month path with a slug, a headline slug or a story id.

    Home pages, section fronts, tag and search pages live at short paths
    (``/``, ``/news/``, ``/tag/ai``, ``/search?q=…``); CMSs give each story its
    own long address. Only the path's last segment and the query are read.
    """
    parts = urlsplit(url)
    path = parts.path
    if _URL_DATED_SLUG.search(path):
        return True
    segments = [segment for segment in path.split("/") if segment]
    last = segments[-1].rsplit(".", 1)[0] if segments else ""
    slug_words = [word for word in re.split(r"[-+]", last) if _LETTERS.search(word)]
    if len(slug_words) >= ARTICLE_SLUG_MIN_WORDS:
        return True
    return bool(_STORY_ID.search(last) or _STORY_ID.search(parts.query))


def _article_prose_words(paragraphs: list[str]) -> int:
    """Words in paragraphs of prose that are not a subscription offer, a consent text or filler.

    A paywall stub shows a headline, a standfirst and an offer; a consent wall its
    dialog; some paywalls pad the hidden part with "Lorem ipsum".
    """
    total = 0
    for paragraph in paragraphs:
        count = len(paragraph.split())
        lowered = paragraph.casefold()
        if (
            count < PROSE_PARAGRAPH_MIN_WORDS
            or lexicon.PAYWALL.search(lowered)
            or lexicon.SUBSCRIBE.search(lowered)
            or lexicon.COOKIE_WALL.search(lowered)
            or any(pattern.search(paragraph) for pattern in lexicon.CONSENT_DIALOG)
            or lowered.startswith("lorem ipsum")
        ):
            continue
        total += count
    return total


def _is_consent_dialog(paragraphs: list[str], words: int) -> bool:
    """Most of a thin page's text is a consent dialog: the article sits behind it."""
    kinds = 0
    consent_words = 0
    for paragraph in paragraphs:
        found = sum(1 for pattern in lexicon.CONSENT_DIALOG if pattern.search(paragraph))
        if found:
            kinds += found
            consent_words += len(paragraph.split())
    return kinds >= CONSENT_DIALOG_MIN_KINDS and consent_words * 2 >= words


def _is_teaser_list(
    paragraphs: list[str], headline_links: Collection[str] = (), link_texts: Collection[str] = ()
) -> bool:
    """Many lines, no paragraph of prose, few sentences: a home page, section front or search page.

    Or most of its text in list items: teasers and search results rendered as a list.

    An article has a sentence-length paragraph or, if it is a string of short
    briefs, is made of sentences; teaser lists and search results are
    headlines, bylines, dates and "… snippets …".
    """
    if len(paragraphs) < TEASER_LIST_MIN_LINES:
        return False
    # Teasers as list items ("- Section Headline Summary…") carrying most of the text.
    items = [paragraph for paragraph in paragraphs if LIST_ITEM.match(paragraph)]
    words = sum(len(paragraph.split()) for paragraph in paragraphs)
    item_words = sum(len(paragraph.split()) for paragraph in items)
    prose = [paragraph for paragraph in paragraphs if not _SNIPPET.search(paragraph)]
    if (
        len(items) >= TEASER_LIST_MIN_LINES
        and item_words >= LIST_PAGE_ITEM_SHARE * words
        # An article's own list (steps, findings, a changelog) comes with its prose, and
        # its items are its own text; a list of teasers may have an introduction, but its
        # items are links that lead to other stories.
        and (
            (
                not any(
                    count_words(paragraph) >= PROSE_MIN_WORDS and SENTENCE_END.search(paragraph)
                    for paragraph in prose
                    if not LIST_ITEM.match(paragraph)
                )
                and (not link_texts or _mostly_links(items, link_texts))
            )
            or _mostly_headline_links(items, headline_links)
        )
    ):
        return True
    if any(count_words(paragraph) >= PROSE_MIN_WORDS for paragraph in prose):
        return False
    # Short news briefs are sentences throughout; teasers alternate with headlines,
    # bylines, dates and comment counts.
    sentences = sum(1 for paragraph in prose if SENTENCE_END.search(paragraph))
    return sentences * 2 <= len(paragraphs)


def _link_texts(tree: lxml.html.HtmlElement) -> set[str]:
    """The squashed texts of the page's links."""
    return {_squash(link.text_content()) for link in tree.iter("a")} - {""}


def _mostly_links(items: list[str], link_texts: Collection[str]) -> bool:
    """Most list items are the text of a link on the page (teasers, not an article's list)."""
    linked = sum(_squash(LIST_MARKER.sub("", item, count=1)) in link_texts for item in items)
    return linked * 2 > len(items)


def _headline_links(tree: lxml.html.HtmlElement) -> set[str]:
    """The squashed texts of the page's links long enough to be a story's headline."""
    return {
        _squash(text)
        for text in (link.text_content() for link in tree.iter("a"))
        if len(text.split()) >= PAGE_HEADLINE_MIN_WORDS
    }


def _mostly_headline_links(items: list[str], headline_links: Collection[str]) -> bool:
    """Most list items carry a link to another story under its headline (teaser cards)."""
    if not headline_links:
        return False
    linked = 0
    for item in items:
        squashed = _squash(item)
        linked += any(link in squashed for link in headline_links)
    return linked * 2 > len(items)


def _is_link_list(tree: lxml.html.HtmlElement, paragraphs: list[str], words: int) -> bool:
    """Most of the page's text sits in links and so does the thin main text: a section front.

    A short blog post on a page full of sidebar links is not one: its main text is the
    post's own sentences, not the links' words.
    """
    body = tree.body
    if body is None:
        return True
    total = len(body.text_content().split())
    link_texts = [_squash(link.text_content()) for link in body.iter("a")]
    linked = sum(len(text.split()) for text in link_texts)
    if not (total > 0 and linked / total > LINK_LIST_SHARE and words < LISTING_MAX_WORDS):
        return False
    anchors = {text for text in link_texts if text}
    in_links = sum(
        len(paragraph.split())
        for paragraph in paragraphs
        if _squash(LIST_MARKER.sub("", paragraph, count=1)) in anchors
    )
    return in_links * 2 >= words or _article_prose_words(paragraphs) < PROSE_MIN_WORDS


def _site_names(tree: lxml.html.HtmlElement, declared: str) -> list[frozenset[str]]:
    """What the page calls itself (declared name, logo text and alt, copyright holder), as word sets."""
    names = [declared]
    for element in tree.xpath(_BRANDING_XPATH):
        names.append(element.get("alt") or element.get("title") or element.text_content())
    # The copyright line sits at the foot of the page.
    body_text = tree.body.text_content()[-COPYRIGHT_SEARCH_CHARS:] if tree.body is not None else ""
    for holder in _COPYRIGHT_HOLDER.finditer(body_text):
        names.append(_NAME_END.split(holder.group(1))[0])
    return [
        frozenset(_NAME_WORD.findall(name.casefold()))
        for name in names
        if name and len(name) <= 80 and _NAME_WORD.search(name)
    ]


def _names_the_site(segment: str, site_names: list[frozenset[str]]) -> bool:
    """A title segment is the site's name: its words (bar "online", "news" …) are the name's.

    One-word segments must equal a one-word name: "EU" is not "EU Observer".
    """
    words = frozenset(_NAME_WORD.findall(segment.casefold()))
    if not words:
        return False
    if len(words) == 1:
        return words in site_names
    significant = words - lexicon.GENERIC_SITE_NAME_WORDS
    return any(significant and significant <= name for name in site_names)


def _prefer_headline(tree: lxml.html.HtmlElement, title: str, site_name: str) -> str:
    """The story's own headline: drop a site name at either end, or take the ``<h1>`` inside it.

    A ``<title>`` (and often ``og:title``) decorates the headline with the site's
    name or a section label ("Newsroom: …", "LIVE. …"); the page's ``<h1>`` is
    the headline itself when the title contains it.
    """
    if any(separator in title for separator in _TITLE_SEPARATORS):
        # Only a decorated title is worth reading the page's branding for.
        site_names = _site_names(tree, site_name)
        for separator in _TITLE_SEPARATORS:
            head, found, tail = title.partition(separator)
            if found and _names_the_site(head, site_names):
                title = tail.strip()
            head, found, tail = title.rpartition(separator)
            if found and _names_the_site(tail, site_names):
                title = head.strip()
    folded = title.casefold()
    for heading in tree.iter("h1"):
        text = " ".join(heading.text_content().split())
        # A blog's <h1> is its name, and its titles read "Blog name: Post title"; the
        # post's own heading confirms it (a kicker h1 like "Brexit" does not split a title).
        for separator in (*_TITLE_SEPARATORS, ": "):
            prefix = f"{text}{separator}".casefold()
            if text and folded.startswith(prefix) and len(title) > 2 * len(prefix):
                rest = title[len(prefix) :].strip()
                if rest.casefold() in _subheadings(tree):
                    return rest
        # A blog's <h1> is often the blog's name, which the title also contains.
        if (
            len(text.split()) >= HEADLINE_MIN_WORDS
            and len(text) * 2 >= len(title)
            and text.casefold() in folded
        ):
            return text
    return title


def _subheadings(tree: lxml.html.HtmlElement) -> set[str]:
    return {
        " ".join(element.text_content().split()).casefold() for element in tree.iter("h2", "h3")
    }


def strip_site_suffix(title: str, site_name: str, url: str) -> str:
    """Drop a trailing " | Site" or " - Site", or a leading "Site: " or "Site | ", that
    names the site, not the story (old pages put the site first: "ABC News: …")."""
    title = " ".join(title.split())
    domain = registered_domain(url).split(".")[0] if url else ""
    names = {_squash(site_name), _squash(domain)} - {""}

    for separator in _TITLE_SEPARATORS:
        if separator not in title:
            continue
        head, _, tail = title.rpartition(separator)
        squashed = _squash(tail)
        if squashed and any(name in squashed or squashed in name for name in names):
            return head.strip()
    for separator in (*_TITLE_SEPARATORS, ": "):
        head, found, tail = title.partition(separator)
        # Only the site's name itself in front: not "Example Times reporters: …", and not a
        # piece of it ("Time: …" on example-times.com) or a segment too short to name a site.
        squashed = _squash(head)
        if found and len(squashed) >= SITE_PREFIX_MIN_CHARS and squashed in names:
            return tail.strip()
    return title


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def _choose_web_url(url: str, declared: str) -> str:
    """The page's canonical URL when it is a plausible article address on the same site."""
    fallback = canonical_url(url)
    if not declared or not is_http_url(declared):
        return fallback
    candidate = canonical_url(declared)
    same_site = registered_domain(candidate) == registered_domain(fallback)
    # A canonical pointing at the home page is a CMS default, not this article.
    points_home = candidate.rstrip("/").count("/") <= 2
    return candidate if same_site and not points_home else fallback


def _json_ld_items(tree: lxml.html.HtmlElement) -> Iterator[Mapping[str, Any]]:
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text_content() or "null")
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.append(item["@graph"])
                yield item


def _merge_json_ld(meta: PageMetadata, item: Mapping[str, Any], url: str) -> None:
    types = item.get("@type")
    type_names = {types} if isinstance(types, str) else set(types or [])
    matching = [name for name in _ARTICLE_TYPES if name in type_names]
    if not matching:
        return
    meta.article_type = meta.article_type or matching[0]
    free = item.get("isAccessibleForFree")
    if free is not None and meta.free is None:
        meta.free = str(free).strip().lower() not in {"false", "0", "no"}
    headline = item.get("headline")
    if isinstance(headline, str) and headline.strip() and not meta.headline:
        meta.headline = " ".join(headline.split())
    if meta.headline and not meta.title:
        meta.title = meta.headline
    if not meta.published_has_time:
        _set_date(meta, str(item.get("datePublished") or ""), override=True)
    publisher = item.get("publisher")
    if (
        isinstance(publisher, dict)
        and isinstance(publisher.get("name"), str)
        and not meta.site_name
    ):
        meta.site_name = publisher["name"]
    if isinstance(item.get("description"), str) and not meta.description:
        meta.description = item["description"]
    body = item.get("articleBody")
    if isinstance(body, str) and len(body) > len(meta.article_body):
        meta.article_body = body
    for image in _json_ld_images(item.get("image"), url):
        if not any(known.url == image.url for known in meta.images):
            meta.images.append(image)


def _json_ld_images(value: Any, url: str) -> Iterator[Image]:
    values = value if isinstance(value, list) else [value]
    for entry in values:
        if isinstance(entry, str) and entry:
            yield Image(url=urljoin(url, entry))
        elif isinstance(entry, dict) and isinstance(entry.get("url"), str):
            yield Image(
                url=urljoin(url, entry["url"]),
                width=_int_or_none(entry.get("width")),
                height=_int_or_none(entry.get("height")),
            )


def _displayed_headline(meta: PageMetadata) -> str:
    """JSON-LD's headline, unless it is a shortened form of the page's title."""
    headline = meta.headline
    stem = headline.rstrip(".…").strip()
    if stem != headline and meta.title.startswith(stem):
        # Cut to a length limit ("… and…"): the full title says more.
        return ""
    return headline


def _set_date(meta: PageMetadata, text: str, override: bool = False) -> bool:
    if meta.published is not None and not override:
        return False
    moment = _parse_date(text)
    if moment is None:
        return False
    if meta.not_after is not None and moment > meta.not_after:
        meta.future_skipped = True
        return False
    has_time = "T" in text or ":" in text
    if meta.published is None or (has_time and not meta.published_has_time):
        meta.published, meta.published_has_time = moment, has_time
    return True


def _parse_date(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # "0001-01-01T00:00:00+02:00" lies before year 1 in UTC
        return None
    # "0001-01-01", the Unix epoch and other CMS defaults: no news page is that old.
    return moment if moment.year >= EARLIEST_PUBLICATION_YEAR else None


def _category(article_type: str) -> str:
    if article_type == "OpinionNewsArticle":
        return "opinion"
    if article_type == "AnalysisNewsArticle":
        return "analysis"
    return "news"


def _int_or_none(value: Any) -> int | None:
    try:
        number = int(str(value).strip().removesuffix("px"))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _unique_images(images: list[Image]) -> Iterator[Image]:
    seen: set[str] = set()
    for image in images:
        if image.url in seen or not is_http_url(image.url):
            continue
        seen.add(image.url)
        yield image


def _python_codec(charset: str) -> str:
    # Browsers read pages labelled latin-1 / ascii as windows-1252 (WHATWG Encoding).
    lowered = charset.strip().lower()
    return (
        "cp1252" if lowered in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"} else lowered
    )
