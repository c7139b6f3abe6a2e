"""Boilerplate removal at line level, with a reason for every line removed.

Scraped article text arrives with junk around and inside it: promos for other
stories, disclaimers, share and subscribe rows, reaction widgets, author bios,
"Most read" blocks, repeated headlines, datelines, counters. Phrase lists alone
do not generalise, so each line is judged on signals that do:

- **zone**: the article proper lies between its first and last *anchor* (a
  long, sentence-shaped line that shares vocabulary with the rest of the
  text). Lines before the first anchor (head) and after the last (tail) are
  where boilerplate lives; inside the span only strong evidence removes a line.
- **shape**: length, sentence punctuation, bullets, a lone number.
- **coherence**: the share of a line's content words found elsewhere in the
  article or its title. A pancake recipe on top of a policy story, or an
  author's bio under it, shares almost none.
- **cues**: multilingual patterns (``extractors.lexicon``) for the usual
  furniture, weighed with zone and shape so that an article about cookie
  rules keeps its sentences about cookies.
- **provider memory**: lines seen in several stored articles of the same
  provider (``learned``), computed by storage per provider domain and never
  across providers, so wire copy shared by outlets is never learned.

Removing a real paragraph is worse than keeping a junk line: every rule that
can fire inside the article span needs a cue *and* the right shape.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from extractors import lexicon
from extractors.dates import names_date_and_time, parse_dateline
from extractors.record import Provider
from extractors.structure import CELL_BORDER, HEADING, ITEM, OUTSIDE, PARAGRAPH, QUOTE, ROW
from extractors.text import (
    LIST_ITEM,
    count_words,
    ends_sentence,
    join_paragraphs,
    looks_like_title,
)

# A disclosure (whose opinion, which links pay, what is not advice) or an appeal for the
# reader's support is a paragraph, not a page.
STATEMENT_MAX_WORDS = 70
# A line needs this many words and sentence punctuation to anchor the article span.
ANCHOR_MIN_WORDS = 12
# A store badge or download button ("Get it on Google Play", "PDF herunterladen") is a few
# words without a full stop; a sentence naming the App Store is prose (eval/realpages).
STORE_BADGE_MAX_WORDS = 8
# A first sentence this long, without a prompt in it, makes a paragraph the article's even if
# a prompt follows ("… Here are our picks. Follow us on Instagram").
PROSE_OPENING_MIN_WORDS = 10
# Above the first anchor, a line without a full stop up to this long is a kicker, a section
# name or a caption (unless the page set it next to the story: ``_OPENING_KINDS``); longer
# ones are prose that lost its stop (seen on real pages).
HEAD_FRAGMENT_MAX_WORDS = 20
# Shared vocabulary only means something in a long text: in a 150-word story
# every paragraph brings new words (measured on eval/text: real paragraphs of
# short documents have a median coherence of 0.22, the same as junk lines).
COHERENCE_MIN_TEXT_WORDS = 300
# In a long text, a head or tail line sharing less than this is about something else.
OFFTOPIC_MAX_COHERENCE = 0.2
OFFTOPIC_MIN_CONTENT_WORDS = 6
# Promos and teasers are a line or two; a longer paragraph with its own vocabulary is the
# article's (an opening anecdote, a closing aside): on real pages, those were what it removed.
OFFTOPIC_MAX_WORDS = 40
# The headline shares the article's vocabulary.
HEADLINE_MIN_COHERENCE = 0.25
# The headline stands among the first lines of scraped text.
HEADLINE_SEARCH_LINES = 12
# Cue-matched lines longer than this are sentences of the article, not furniture.
CUE_MAX_WORDS = 30
# Lines repeated in at least this many stored articles of one provider are learned.
MIN_ARTICLES_FOR_LEARNED_LINE = 3
# Lines longer than this are never learned (real paragraphs recur only in updates).
MAX_LEARNED_LINE_CHARS = 400
# A block introduced by a header ("Most read") runs at most this many lines.
MAX_BLOCK_LINES = 12
# Readers' comments: this many signatures ("Posted by: Ellen at September 10, 2012 11:40 AM"),
# each at most ``COMMENT_MAX_GAP`` lines after the one before, make a thread. One or two are an
# author's sign-off or a quoted message; a comment of several paragraphs fits in the gap.
COMMENT_THREAD_MIN_SIGNATURES = 3
COMMENT_MAX_GAP = 15
# A signature names its writer and a moment; comment text may follow on the same line.
COMMENT_SIGNATURE_MAX_WORDS = 40
COMMENT_SIGNATURE_HEAD_CHARS = 120
# A comments header ("Comments", "12 Responses", "Have your say") is short.
COMMENTS_HEADER_MAX_WORDS = 12
# Without a comments header, a thread needs this many different signers (a live blog's
# entries are signed by its one or two reporters).
COMMENT_THREAD_MIN_SIGNERS = 3
# "Anna says: October 12, 2026 at 10:32 am": after the verb, only the stamp.
COMMENT_STAMP_MAX_WORDS = 8
# The comments header may stand this many lines above the first signature (a rules notice or
# the comment form between them), or one comment's length when that is longer.
COMMENT_HEADER_REACH = 6
# The signer of a line that is only a stamp ("3 hours ago"): one for all such lines.
_BARE_STAMP = "\x00stamp"

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_ALNUM = re.compile(r"\w+")
_COUNTER = re.compile(r"^[\W_]*\d{1,7}(?:[.,]\d+)?\s*[kKmM]?[\W_]*$")
_SITE_VOICE = re.compile(
    r"^\s*(subscribe|sign up|join|get|download|follow|abonnieren|melden|abonnez|inscrivez|"
    r"suscríbete|suscribete|iscriviti|assine)\b|\b(we|our|us|wir|uns|unsere[nmrs]?|nous|notre|nos|"
    r"nosotros|nuestros?|nuestras?|utilizamos|usamos|noi|nostro|nostra|nós|nosso|nossa|wij|onze)\b",
    re.IGNORECASE,
)
# The cues checked on most short lines, run on the lowered line (see ``for_lowered_text``).
_SITE_VOICE_LOWER = lexicon.for_lowered_text(_SITE_VOICE)
_SUBSCRIBE = lexicon.for_lowered_text(lexicon.SUBSCRIBE)
_STORE_BADGE = lexicon.for_lowered_text(lexicon.STORE_BADGE)
_COPYRIGHT = lexicon.for_lowered_text(lexicon.COPYRIGHT)
_DISCLAIMER = lexicon.for_lowered_text(lexicon.DISCLAIMER)
_DISCLOSURE = lexicon.for_lowered_text(lexicon.DISCLOSURE)
_OWN_AFFILIATE_LINKS = lexicon.for_lowered_text(lexicon.OWN_AFFILIATE_LINKS)
_OWN_NOT_ADVICE = lexicon.for_lowered_text(lexicon.OWN_NOT_ADVICE)
_SUPPORT_APPEAL = lexicon.for_lowered_text(lexicon.SUPPORT_APPEAL)
_COOKIE_NOTICE = lexicon.for_lowered_text(lexicon.COOKIE_NOTICE)
_COOKIE_ACTION = lexicon.for_lowered_text(lexicon.COOKIE_ACTION)
_TRAILING_CREDIT = lexicon.for_lowered_text(lexicon.TRAILING_CREDIT)
# The signer's name after "Posted by:", up to the stamp ("at", "on", "|", a comma, a digit).
_SIGNER_NAME = re.compile(
    r"[^\W\d_][^|,(\d]*?(?=\s+(?:at|on|am|um|le|el|il|op|à)\b|\s*[|,(–—]|\s+\d|$)"
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
# A teaser's text breaks off: "… are being made by a bride..."
_TEASER_END = re.compile(r"\w\s*(?:\.{3}|…)\s*$")
# A teaser cut short by the site ("… while a web designer […]"): a link to another story.
_TRUNCATED = re.compile(r"(?:\[…\]|\[\.\.\.\]|\(…\)|\(\.\.\.\))\s*$")
_BIO = re.compile(
    r"^[A-ZÀ-Ý][\w'’.-]+(?:\s+(?:(?:van|von|de|da|di|del|la|le|der|den|ten|du|dos|das)\s+)*"
    r"[A-ZÀ-Ý][\w'’.-]+){1,3},?\s+(is|was|writes|covers|reports|ist|schreibt|schrijft|"
    r"berichtet|est|écrit|couvre|es|escribe|cubre|è|scrive|é|escreve|cobre|is een)\b"
)
_DATE_WITH_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
# The rule trafilatura writes under a table's header row: "|---|---|".
_TABLE_RULE = re.compile(r"\|(?:\s*:?-+:?\s*\|)+")
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)/?$", re.IGNORECASE)
# Lines in which a site speaks of itself: the names they hold are the site's own.
_SITE_LINE_REASONS = frozenset({"disclaimer", "subscribe", "copyright", "support-appeal"})
# A host written in running text ("Example.com holds no liability"); the lower-case top-level
# label keeps "advice.We" (a missing space) and "U.S." out.
_NAMED_HOST = re.compile(
    r"(?<![\w@./-])((?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[a-z]{2,12})(?![\w-]|\.[A-Za-z0-9])"
)
# A name in the place where sites put their own: "Subscribe to X", "Follow X", "© 2024 X".
_NAMED_SITE = re.compile(
    r"(?:(?i:\bsubscribe to|\bfollow)|©\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?|"
    r"(?i:\bcopyright)\s*©?\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?)\s*"
    r"(?P<name>[A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*){0,3})"
)
# What the page made of a line it placed in the article's own container, next to the story:
# a standfirst, a sub-headline, a quote, a row of key facts. Short lines of these kinds right
# above the first sentence or right below the last were the article's on real pages more often
# than not (eval/realpages: trafilatura-eval snippets and dragnet's gold); the kinds come from
# ``extractors.structure``, so plain text (no kinds) is judged by shape alone as before.
_OPENING_KINDS = frozenset({PARAGRAPH, HEADING, QUOTE, ROW})
# Below the story a heading opens another block ("Weitere Informationen", "Pour lire la suite");
# list items there were already kept after the first line removed (``_ARTICLE_KINDS``).
_CLOSING_KINDS = frozenset({PARAGRAPH, QUOTE, ROW, ITEM})
# A line of one or two words is a kicker or a label ("Politics", "Anzeige"), not a standfirst.
STORY_EDGE_MIN_WORDS = 3
STORY_EDGE_MAX_TITLE_SHARE = 0.6
# Reasons that guess from where a line stands or what it lacks, not from what it says: after
# such a line, the lines that follow are not furniture by association (on real pages, a
# caption or a short line after the last paragraph was followed by more of the article).
_WEAK_REASONS = frozenset({"headline", "empty", "dateline", "tail-fragment", "offtopic", OUTSIDE})
# What the page made of a line in its article container (``extractors.structure``).
_ARTICLE_KINDS = frozenset({PARAGRAPH, QUOTE, ITEM, ROW})
# Second-level labels under a country code: "bbc" is the name in "bbc.co.uk", not "co".
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu"})


@dataclass(frozen=True)
class RemovedLine:
    """One line the cleaner removed: where it stood, what it said and why."""

    index: int
    text: str
    reason: str


@dataclass(frozen=True)
class CleanResult:
    """The article's paragraphs after cleaning, and what the removed lines told us."""

    paragraphs: tuple[str, ...]
    removed: tuple[RemovedLine, ...] = ()
    published_at: datetime | None = None
    provider: Provider | None = None
    title: str = ""

    @property
    def body(self) -> str:
        """The cleaned body in the seed format (paragraphs separated by a blank line)."""
        return join_paragraphs(list(self.paragraphs))


@dataclass
class _Line:
    index: int
    text: str
    words: int
    content: list[str]
    sentence: bool
    bullet: bool
    coherence: float | None = None
    # The share of its content words that the title also has: any makes it the story's own
    # line, never a stray promo; most makes it a headline variant.
    title_share: float = 0.0
    reason: str | None = None
    anchor: bool = False
    headerish: bool = False
    # A sentence this provider repeats across articles: removed at the edges, kept in the middle.
    learned: bool = False
    # What the line was in the page (``extractors.structure``); "" when unknown.
    kind: str = ""
    # A row of a data table (two or more filled cells, beside another such row): content.
    data_row: bool = False


def line_key(line: str) -> str:
    """A stable key for a line, blind to case, spacing and punctuation (for provider memory)."""
    words = _ALNUM.findall(line.casefold())
    return hashlib.sha1(" ".join(words).encode("utf-8")).hexdigest()[:16]


def learnable_line_keys(paragraphs: Collection[str]) -> tuple[str, ...]:
    """The keys of the lines of a raw body that may be learned as provider boilerplate."""
    keys = {
        line_key(line)
        for line in paragraphs
        if 0 < len(line) <= MAX_LEARNED_LINE_CHARS and _ALNUM.search(line)
    }
    return tuple(sorted(keys))


def clean_paragraphs(
    paragraphs: list[str],
    *,
    title: str = "",
    reference: datetime,
    learned: Collection[str] = frozenset(),
    kinds: Sequence[str] = (),
) -> CleanResult:
    """Remove boilerplate lines from an article's paragraphs.

    Args:
        paragraphs: the article text, one paragraph (or list item) per entry.
        title: the headline, if known; copies of it are removed and it counts
            as context when judging coherence.
        reference: the fetch time; a dateline after it is not a publication date.
        learned: ``line_key`` values of lines this provider repeats across articles.
        kinds: what each paragraph was in the page (``extractors.structure``), when the
            extractor knows; ignored unless there is one per paragraph.

    Returns:
        The kept paragraphs, each removed line with its reason code, and the
        publication time and provider that datelines or source lines revealed.
    """
    lines = [_describe(index, text) for index, text in enumerate(paragraphs)]
    if len(kinds) == len(lines):
        for line, kind in zip(lines, kinds, strict=True):
            line.kind = kind
        _mark_data_rows(lines)
    _measure_coherence(lines, title)
    long_text = sum(len(line.content) for line in lines) >= COHERENCE_MIN_TEXT_WORDS
    published_at: datetime | None = None
    provider: Provider | None = None
    wanted_title = squash(title)

    for line in lines:
        line.reason = OUTSIDE if line.kind == OUTSIDE else _cue_reason(line, wanted_title, learned)
        if line.reason == "dateline" and published_at is None:
            published_at = parse_dateline(line.text, reference=reference)
        elif line.reason == "dateline":
            pass
        elif line.reason is None:
            moment = parse_dateline(line.text, reference=reference) if line.words <= 12 else None
            if moment is not None:
                line.reason = "dateline"
                published_at = published_at or moment
        if line.reason == "source-credit" and provider is None:
            provider = _provider_from_source_line(line.text)

    learned_sentences = [line for line in lines if line.learned]
    if len(learned_sentences) * 2 > sum(1 for line in lines if line.sentence):
        # Mostly lines the provider already published: a new version of a stored
        # article, not boilerplate around a new one.
        for line in learned_sentences:
            line.learned = False
    _mark_neighbours(lines)
    _cut_comment_thread(lines, long_text)
    anchors = [line.index for line in lines if _is_anchor(line, long_text)]
    if not title:
        # A promo in the site's own voice above the headline does not end the head.
        story = [
            index for index in anchors if not _SITE_VOICE_LOWER.search(lines[index].text.lower())
        ]
        # A first "sentence" that shares no vocabulary with the rest (a horoscope or deals
        # promo) may stand above the headline: look for the headline up to the next one.
        if len(story) >= 2 and (lines[story[0]].coherence or 0.0) < OFFTOPIC_MAX_COHERENCE:
            story = story[1:]
        title = _find_headline(lines, story[0] if story else len(lines))
        anchors = [index for index in anchors if lines[index].reason is None]
    if not anchors:
        # A very short text: the sentence-shaped lines are the article.
        anchors = [
            line.index
            for line in lines
            if line.reason is None and line.sentence and line.words >= 6
        ]
    anchors = _main_span(anchors, lines)
    first_anchor = anchors[0] if anchors else len(lines)
    last_anchor = anchors[-1] if anchors else -1
    for index in anchors:
        lines[index].anchor = True

    _sweep_blocks(lines)
    if anchors:
        # Without one sentence of the article there is no telling head from tail.
        _judge_head(lines[:first_anchor], long_text)
        _judge_tail(lines[last_anchor + 1 :], long_text)

    if provider is None:
        provider = _provider_from_site_lines(
            [line for line in lines if line.reason in _SITE_LINE_REASONS]
        )
    kept = tuple(line.text for line in lines if line.reason is None)
    removed = tuple(
        RemovedLine(line.index, line.text, line.reason) for line in lines if line.reason is not None
    )
    return CleanResult(kept, removed, published_at, provider, title)


def squash(text: str) -> str:
    """Lower-cased words joined by single spaces: the form lines are compared in."""
    return " ".join(_ALNUM.findall(text.casefold()))


def _describe(index: int, text: str) -> _Line:
    content = [
        word[:6]
        for word in _WORD.findall(text.casefold())
        if len(word) >= 3 and word not in lexicon.STOPWORDS
    ]
    return _Line(
        index=index,
        text=text,
        words=count_words(text),
        content=content,
        sentence=ends_sentence(text),
        bullet=bool(LIST_ITEM.match(text)),
    )


def _measure_coherence(lines: list[_Line], title: str) -> None:
    """How much of each line's vocabulary the rest of the text (and the title) also uses."""
    title_words = [
        word[:6]
        for word in _WORD.findall(title.casefold())
        if len(word) >= 3 and word not in lexicon.STOPWORDS
    ]
    totals: Counter[str] = Counter(title_words)
    for line in lines:
        totals.update(line.content)
    title_set = set(title_words)
    for line in lines:
        if not line.content:
            continue
        line.title_share = sum(1 for word in line.content if word in title_set) / len(line.content)
        own = Counter(line.content)
        shared = sum(1 for word in line.content if totals[word] > own[word])
        line.coherence = shared / len(line.content)


def _cue_reason(line: _Line, wanted_title: str, learned: Collection[str]) -> str | None:
    """Reasons that hold wherever the line stands: the line is furniture by its form."""
    text = line.text
    lowered = text.lower()
    squashed = squash(text)
    if not squashed:
        return "empty" if not any(ch.isalnum() for ch in text) else None
    if wanted_title and squashed == wanted_title:
        return "headline"
    if line.words <= STATEMENT_MAX_WORDS:
        # The site's statements about the text and appeals for support run to a few sentences.
        if _is_disclosure(lowered):
            return "disclaimer"
        if _SUPPORT_APPEAL.search(lowered):
            return "support-appeal"
    if line.words > 45:
        # Furniture is short; a long line is only judged by where it stands.
        return None
    if _COUNTER.match(text):
        return "counter"
    short = line.words <= CUE_MAX_WORDS
    if lexicon.ADVERTISEMENT.match(text):
        return "advertisement"
    if short and lexicon.SPONSORED_PREFIX.match(text):
        return "advertisement"
    if lexicon.READING_TIME.match(text):
        return "reading-time"
    if line.words <= 12 and lexicon.READING_TIME_INLINE.search(text):
        return "reading-time"
    if line.words <= CUE_MAX_WORDS and lexicon.ORIGIN_NOTE.match(text):
        return "origin-note"
    if lexicon.FURNITURE.match(text) and line.words <= CUE_MAX_WORDS:
        return "page-furniture"
    if lexicon.BLOCK_HEADER.match(text):
        line.headerish = True
        return "related-block"
    if lexicon.REACTION_HEADER.match(text) and line.words <= 8:
        line.headerish = True
        return "reaction-widget"
    if short and _is_read_more(line):
        return "read-more"
    if _is_share_row(line):
        return "share-row"
    if short and _COPYRIGHT.search(lowered):
        return "copyright"
    if short and lexicon.TAG_LINE.match(text):
        return "tag-line"
    source = lexicon.SOURCE_LINE.match(text)
    if source and line.words <= 10 and not line.sentence:
        return "source-credit"
    if line.words <= 20 and lexicon.WIRE_CREDIT.search(text):
        return "source-credit"
    if line.words <= 15 and _is_photo_credit(line):
        return "photo-credit"
    if line.words <= CUE_MAX_WORDS and _TRAILING_CREDIT.search(lowered):
        return "caption"
    # A short row, or the site speaking of itself ("we use cookies", "our
    # newsletter"), is furniture; a longer sentence of the article may mention
    # cookies or newsletters because that is its subject.
    unrelated = (line.words <= 8 and not line.bullet) or bool(_SITE_VOICE_LOWER.search(lowered))
    if short and not line.bullet and line.words <= 15 and _SUBSCRIBE.search(lowered):
        return "subscribe"
    if line.words <= STORE_BADGE_MAX_WORDS and not line.sentence and _STORE_BADGE.search(lowered):
        return "subscribe"
    if short and unrelated and _DISCLAIMER.search(lowered):
        return "disclaimer"
    if line.words <= 45 and _DISCLAIMER.match(lowered):
        return "disclaimer"
    if short and unrelated and _SUBSCRIBE.search(lowered) and not _opens_with_prose(text):
        return "subscribe"
    if short and unrelated and _COOKIE_NOTICE.search(lowered) and _COOKIE_ACTION.search(lowered):
        return "cookie-notice"
    if line_key(text) in learned:
        if line.words < ANCHOR_MIN_WORDS or not line.sentence:
            return "provider-repeat"
        line.learned = True
    return None


def _is_disclosure(lowered: str) -> bool:
    """A statement about the text: whose opinion it is, which links pay, that it is not advice."""
    if not any(keyword in lowered for keyword in lexicon.DISCLOSURE_KEYWORDS):
        return False
    return bool(
        _DISCLOSURE.search(lowered)
        or ("affiliate" in lowered and _OWN_AFFILIATE_LINKS.search(lowered))
        or (("constitu" in lowered or "advice" in lowered) and _OWN_NOT_ADVICE.search(lowered))
    )


def _opens_with_prose(text: str) -> bool:
    """A paragraph whose first sentence is the article's, with the prompt only after it.

    "During each week of the season we will collect the best photos from our photographers.
    Here are our picks. Follow us on Instagram" is the post's introduction with a prompt at
    its end: the line stays, for what it says first is article text.
    """
    parts = _SENTENCE_BREAK.split(text, maxsplit=1)
    return (
        len(parts) == 2
        and len(parts[0].split()) >= PROSE_OPENING_MIN_WORDS
        and not _SUBSCRIBE.search(parts[0].lower())
        # "If you enjoyed this post …?" sets the prompt up; it is not the article's sentence.
        and not lexicon.READER_ADDRESS.search(parts[0])
    )


def _is_read_more(line: _Line) -> bool:
    match = lexicon.READ_MORE.match(line.text)
    if not match:
        return False
    rest = line.text[match.end() :].lstrip()
    # "Related efforts in Brazil have stalled." is a sentence; "Related: X" is a link row.
    return rest[:1] in {":", "|", "»", ">", "-", "–", "—", "›", "→", ""} or (
        line.words <= 14 and not line.sentence
    )


def _is_share_row(line: _Line) -> bool:
    if line.words > 10:
        return False
    words = [word for word in re.split(r"[\s|/·•,]+", line.text) if word.strip("()[]:")]
    if not words:
        return False
    hits = sum(1 for word in words if lexicon.SHARE_WORDS.fullmatch(word.strip("()[]:.!")))
    if line.text.rstrip().endswith(":") and hits:
        return True
    return hits >= max(1, (len(words) + 1) // 2) and not line.sentence


def _is_photo_credit(line: _Line) -> bool:
    match = lexicon.PHOTO_CREDIT.match(line.text)
    if not match:
        return False
    rest = line.text[match.end() :]
    marker = match.group(0).rstrip()[-1:]
    return marker in {":", "/", "©", "|"} or "©" in rest or line.words <= 4


def _is_anchor(line: _Line, long_text: bool) -> bool:
    if line.reason is not None or not line.sentence or line.words < ANCHOR_MIN_WORDS:
        return False
    if _is_author_bio(line) or line.learned or _TRUNCATED.search(line.text):
        # A bio, a provider's stock sentence or a cut-off teaser is a sentence too, but
        # not the article's.
        return False
    return not (long_text and _offtopic(line))


def _mark_neighbours(lines: list[_Line]) -> None:
    """Furniture that gives its neighbour away: a caption above its credit, a link under "Read more:"."""
    for position, line in enumerate(lines):
        if line.reason == "photo-credit" and position > 0:
            caption = lines[position - 1]
            if (
                caption.reason is None
                and caption.words <= 25
                and not caption.bullet
                and caption.kind != ITEM
                # A full sentence above a credit is prose as often as a caption ("Apple did
                # not immediately return a request for comment."): keep it.
                and not caption.sentence
            ):
                caption.reason = "caption"
        elif line.reason == "read-more" and position + 1 < len(lines) and _is_bare_label(line.text):
            target = lines[position + 1]
            if target.reason is None and target.words <= 20 and not target.sentence:
                target.reason = "read-more"


def _is_bare_label(text: str) -> bool:
    match = lexicon.READ_MORE.match(text)
    return match is not None and not text[match.end() :].strip(" :|»>-–—›→.")


def _find_headline(lines: list[_Line], first_anchor: int) -> str:
    """In text without a known title, the headline is the head line most like the article.

    Scrapers put menus, cookie notices, promos and site names above the
    headline, so the first line is not reliably it; the headline shares the
    article's vocabulary and does not come back inside the article (a line
    that does is a table-of-contents entry for a subheading). Lines above the
    headline are page chrome unless they read like the article's own sentences.
    """
    later = {squash(line.text) for line in lines[first_anchor:]}
    candidates = [
        line
        for line in lines[: min(first_anchor + 1, HEADLINE_SEARCH_LINES)]
        if line.reason is None
        and not line.bullet
        and 3 <= line.words <= 25
        and looks_like_title(line.text)
        and not lexicon.BYLINE.match(line.text)
        and not (line.words <= 6 and _DATE_WITH_YEAR.search(line.text))
        and squash(line.text) not in later
    ]
    # The first line that is clearly about the article (a standfirst below it is
    # often even more so); failing that, the most related one; failing that, a
    # first line shaped like a headline (short texts share few words).
    related = [line for line in candidates if (line.coherence or 0.0) >= 0.4]
    best = (
        related[0]
        if related
        else max(candidates, key=lambda line: line.coherence or 0.0, default=None)
    )
    if best is None or (best.coherence or 0.0) < HEADLINE_MIN_COHERENCE:
        opening = lines[0] if lines else None
        if (
            opening is None
            or opening.reason is not None
            or opening.bullet
            or not 0 < opening.words <= 25
            or not looks_like_title(opening.text)
            or first_anchor == 0
        ):
            return ""
        best = opening
    wanted = squash(best.text)
    for line in lines:
        if line.reason is None and squash(line.text) == wanted:
            line.reason = "headline"
    for line in lines[: best.index]:
        if (
            line.reason is None
            and not line.bullet
            and (
                line.words < ANCHOR_MIN_WORDS
                or not line.sentence
                or _SITE_VOICE.search(line.text)
                or (line.coherence or 0.0) < OFFTOPIC_MAX_COHERENCE
            )
        ):
            line.reason = "above-headline"
    return best.text


def _main_span(anchors: list[int], lines: list[_Line]) -> list[int]:
    """Drop a lone anchor cut off from the rest by furniture (an author bio under the share row)."""
    if len(anchors) < 3:
        return anchors

    def separated(left: int, right: int) -> bool:
        between = lines[left + 1 : right]
        furniture = sum(1 for line in between if line.reason not in {None, "headline"})
        return furniture >= 2 or any(line.headerish for line in between)

    while len(anchors) >= 3 and separated(anchors[-2], anchors[-1]):
        anchors = anchors[:-1]
    while len(anchors) >= 3 and separated(anchors[0], anchors[1]):
        anchors = anchors[1:]
    return anchors


def _cut_comment_thread(lines: list[_Line], long_text: bool) -> None:
    """Readers' comments (or trackbacks) under the story go, from their header to the end.

    A thread shows itself by its signatures: lines naming who posted and when, to the minute
    ("Posted by: Ellen at September 10, 2012 11:40 AM", "Tracked on Apr 6, 2007 3:09:50 PM",
    "Anna sagt: 3. März 2020 um 10:32"). ``COMMENT_THREAD_MIN_SIGNATURES`` of them after a
    sentence of the story, each within ``COMMENT_MAX_GAP`` lines of the one before, make a
    thread. Comments are long sentences, so the article span would run to their end: on real
    pages (eval/realpages) such threads held twenty times more words than the gold article.

    The thread starts at a comments header ("Comments", "Have your say") standing at most one
    comment's length above its first signature (the first comment may stand between), else at
    that signature, and runs to the end of the text: after comments come their form and the
    page's footer. When unsure, the text stays:

    - a page whose text above the first signature is no longer than one comment (with its
      signature) is a thread of posts (a forum), not a story with comments;
    - without a comments header, fewer than ``COMMENT_THREAD_MIN_SIGNERS`` different signers
      may be a live blog whose one or two reporters sign their timed entries.
    """
    story = next((line.index for line in lines if _is_anchor(line, long_text)), None)
    if story is None:
        return
    signed = [
        (line.index, signer) for line in lines[story + 1 :] if (signer := _signer(line)) is not None
    ]
    chain = _first_signature_run(signed)
    if len(chain) < COMMENT_THREAD_MIN_SIGNATURES:
        return
    first = chain[0][0]
    comment_span = max(later[0] - earlier[0] for earlier, later in pairwise(chain))
    if first - story <= comment_span:
        return
    reach = max(comment_span, COMMENT_HEADER_REACH)
    header = next(
        (
            line.index
            for line in reversed(lines[max(story + 1, first - reach) : first])
            if _is_comments_header(line)
        ),
        None,
    )
    # A nameless signature (a trackback's) stands for a signer of its own; bare stamps
    # ("3 hours ago") for one signer, for a live blog's entries are stamped alike.
    signers = {name or f"#{index}" for index, name in chain}
    if header is None and len(signers) < COMMENT_THREAD_MIN_SIGNERS:
        return
    for line in lines[header if header is not None else first :]:
        if line.reason is None:
            line.reason = "comment-thread"


def _first_signature_run(signed: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The first run of signatures each within ``COMMENT_MAX_GAP`` lines of the one before."""
    run: list[tuple[int, str]] = []
    for signature in signed:
        if run and signature[0] - run[-1][0] > COMMENT_MAX_GAP:
            if len(run) >= COMMENT_THREAD_MIN_SIGNATURES:
                return run
            run = []
        run.append(signature)
    return run


def _signer(line: _Line) -> str | None:
    """Who signed the line as a comment (lower-cased; "" for a trackback), or None.

    A signature is a cue ("Posted by:", "Tracked on", "NAME says:") with a day and a time of
    day near the start of the line; comment text may follow on the same line.
    """
    if line.words > COMMENT_SIGNATURE_MAX_WORDS:
        return None
    if line.words <= COMMENT_STAMP_MAX_WORDS and lexicon.RELATIVE_STAMP.match(line.text):
        return _BARE_STAMP
    head = line.text[:COMMENT_SIGNATURE_HEAD_CHARS]
    signed_by = lexicon.COMMENT_SIGNED_BY.match(head)
    if signed_by is not None:
        if not names_date_and_time(head):
            return None
        if signed_by.group("cue").lower() == "tracked on":
            return ""
        name = _SIGNER_NAME.match(head[signed_by.end() :])
        return " ".join(name.group(0).lower().split()) if name else ""
    says = lexicon.COMMENT_SAYS.match(head)
    if (
        says is not None
        and len(says.group("stamp").split()) <= COMMENT_STAMP_MAX_WORDS
        and names_date_and_time(says.group("stamp"))
    ):
        return " ".join(says.group("name").lower().split())
    return None


def _is_comments_header(line: _Line) -> bool:
    return (
        line.words <= COMMENTS_HEADER_MAX_WORDS
        and not (line.sentence and line.words >= 4)
        and lexicon.COMMENTS_HEADER.match(line.text) is not None
    )


def _sweep_blocks(lines: list[_Line]) -> None:
    """After a block header ("Most read", "What's your reaction?") its list goes too."""
    index = 0
    while index < len(lines):
        header = lines[index]
        index += 1
        if not header.headerish:
            continue
        reason = header.reason or "related-block"
        taken = 0
        while index < len(lines) and taken < MAX_BLOCK_LINES:
            item = lines[index]
            if item.anchor or item.headerish:
                break
            if item.reason is None:
                item.reason = reason
            index += 1
            taken += 1


def _judge_head(lines: list[_Line], long_text: bool) -> None:
    """Before the first anchor: keep ledes and bullet summaries, drop kickers, bylines and promos.

    The lines right above the first sentence that the page set in the article's container
    (a standfirst, a sub-headline, a quote, key facts; ``_OPENING_KINDS``) are the story's
    opening and stay. The opening runs up from the story to the first line that is not one:
    a removed line (the headline copy), a byline, a timestamp, the site's own voice or a line
    of unknown kind; short labels and bullets inside it do not end it.
    """
    opening: set[int] = set()
    for line in reversed(lines):
        if line.reason is None and _story_edge(line, long_text, _OPENING_KINDS):
            opening.add(line.index)
        elif not (
            line.reason == "empty"
            or (
                line.reason is None
                and (
                    line.sentence
                    or line.bullet
                    # A label inside the opening ("Zutaten", "Agenda") goes but does not end it.
                    or (line.kind in _OPENING_KINDS and line.words < STORY_EDGE_MIN_WORDS)
                )
            )
        ):
            break
    for position, line in enumerate(lines):
        if line.reason is not None or line.index in opening:
            continue
        if line.learned:
            line.reason = "provider-repeat"
        elif (
            long_text
            and _offtopic(line)
            and not (line.sentence and (line.title_share or not _addresses_reader(line)))
        ):
            line.reason = "offtopic"
        elif lexicon.BYLINE.match(line.text) and line.words <= 8 and not line.sentence:
            line.reason = "byline"
        elif (
            not line.sentence
            and not line.bullet
            and line.words <= HEAD_FRAGMENT_MAX_WORDS
            # "Here are a few of our favourites:" introduces what follows; it is a sentence.
            and not (line.text.rstrip().endswith(":") and line.words >= ANCHOR_MIN_WORDS // 2)
            and not _introduces_list(lines, position)
        ):
            # Kickers, section names and captions: not sentences of the story.
            line.reason = "head-fragment"


def _judge_tail(lines: list[_Line], long_text: bool) -> None:
    """After the last anchor: once furniture starts, what is not a sentence is furniture too.

    A block started by a line removed for what it says (a share row, a copyright line) takes
    the short lines after it. After a line removed only for where it stands or what it lacks
    (a short line, an off-topic one, a dateline) the guess is weaker: lines the page itself
    made paragraphs, list items, quotes or table rows of the article's container are kept.
    """
    in_block = False
    after_guess = False
    in_list = False
    for position, line in enumerate(lines):
        if line.reason is not None:
            if line.reason in _WEAK_REASONS:
                after_guess = after_guess or line.reason != "headline"
            else:
                in_block = True
            in_list = False
            continue
        if _introduces_list(lines, position):
            in_list = True
            continue
        if in_list and (line.bullet or line.words <= 12):
            continue
        in_list = False
        if line.learned:
            line.reason = "provider-repeat"
            in_block = True
        elif _TRUNCATED.search(line.text):
            line.reason = "read-more"
            in_block = True
        elif _is_author_bio(line) or (_BIO.match(line.text) and line.words <= 45):
            line.reason = "author-bio"
            in_block = True
        elif long_text and _offtopic(line) and not line.sentence:
            # Only headline-shaped lines: a closing sentence of its own vocabulary (an aside,
            # a last quote) was the article's as often as not on real pages (eval/realpages).
            line.reason = "offtopic"
            after_guess = True
        elif in_block or after_guess:
            if not (
                (line.sentence and line.words >= 6)
                or line.data_row
                or (not in_block and line.kind in _ARTICLE_KINDS)
            ):
                line.reason = "tail-block"
        elif lexicon.BYLINE.match(line.text) and line.words <= 8 and not line.sentence:
            line.reason = "byline"
            in_block = True
        elif (
            not line.sentence
            and not line.bullet
            and line.words <= 10
            and not line.data_row
            and not _story_edge(line, long_text, _CLOSING_KINDS)
        ):
            line.reason = "tail-fragment"
            after_guess = True


def _story_edge(line: _Line, long_text: bool, kinds: frozenset[str]) -> bool:
    """A short line the page placed in the article's container, without a sign of furniture."""
    return (
        line.kind in kinds
        and line.words >= STORY_EDGE_MIN_WORDS
        and not line.learned
        and not (long_text and _offtopic(line))
        and not lexicon.BYLINE.match(line.text)
        # A time of day ("12:55 PM ET") marks a timestamp or byline line: metadata, not story.
        and not _CLOCK_TIME.search(line.text)
        # The site speaking ("Our journalism depends on you", "Sign up …") is not the story.
        and not _SITE_VOICE_LOWER.search(line.text.lower())
        # A headline variant (the <h1> beside a longer og:title) is mostly the title's words.
        and line.title_share < STORY_EDGE_MAX_TITLE_SHARE
    )


def _mark_data_rows(lines: list[_Line]) -> None:
    """Rows of a data table (standings, results, prices): two or more filled cells, in a run.

    Layout tables come out as rows of one cell ("| COMMENTS |"); a table of data has rows
    of several short cells, one after another. The rule under a header row ("|---|---|")
    does not break the run: the header belongs to the table.
    """
    filled = [
        line.kind == ROW
        and len([cell for cell in CELL_BORDER.split(line.text) if cell.strip()]) >= 2
        for line in lines
    ]
    rule = [bool(_TABLE_RULE.fullmatch(line.text.strip())) for line in lines]
    for position, line in enumerate(lines):
        if not filled[position]:
            continue
        before = position - 1
        while before >= 0 and rule[before]:
            before -= 1
        after = position + 1
        while after < len(lines) and rule[after]:
            after += 1
        if (before >= 0 and filled[before]) or (after < len(lines) and filled[after]):
            line.data_row = True


def _is_author_bio(line: _Line) -> bool:
    """ "About the author: …", or "Name Surname is a reporter covering …" (a name and a role)."""
    if line.words > 60:
        return False
    if lexicon.BIO_LABEL.match(line.text):
        return True
    return bool(_BIO.match(line.text) and lexicon.BIO_ROLE.search(line.text))


def _introduces_list(lines: list[_Line], position: int) -> bool:
    """A line ending in a colon followed by list items belongs to the list ("Die Zahlen:")."""
    following = lines[position + 1 : position + 2]
    return (
        lines[position].text.rstrip().endswith(":")
        and bool(following)
        and following[0].reason is None
        and (following[0].bullet or following[0].words <= 12)
    )


def _offtopic(line: _Line) -> bool:
    # Each item of a list or row of a table has its own vocabulary (one celebrity, one
    # product, one result per line): on real pages, list items judged off-topic were the
    # article's own.
    return (
        line.kind not in {ITEM, ROW}
        and line.coherence is not None
        and len(line.content) >= OFFTOPIC_MIN_CONTENT_WORDS
        and line.words <= OFFTOPIC_MAX_WORDS
        and line.coherence < OFFTOPIC_MAX_COHERENCE
    )


def _addresses_reader(line: _Line) -> bool:
    """A promo speaks to the reader or for the site, or breaks off as a teaser.

    Above the story a sentence of its own vocabulary is more often the article's narrative
    lede ("He lined up the group and handed each person a sheet of paper …") than a stray
    promo; on real pages the promos said "you", "we" or "follow", or were cut-off teasers.
    """
    return bool(
        lexicon.READER_ADDRESS.search(line.text)
        or _SITE_VOICE_LOWER.search(line.text.lower())
        or _TEASER_END.search(line.text)
    )


def _provider_from_source_line(text: str) -> Provider | None:
    match = lexicon.SOURCE_LINE.match(text)
    if not match:
        return None
    value = match.group("value").strip().rstrip(".").strip()
    domain = _DOMAIN.match(value)
    if domain:
        host = domain.group(1).lower()
        return Provider(name=host, domain=host)
    return Provider(name=value, domain="")


def _provider_from_site_lines(lines: list[_Line]) -> Provider | None:
    """The provider a site's own boilerplate names, before those lines are removed.

    Disclaimers, copyright and subscribe lines speak for the site ("Example.com holds no
    liability …", "© 2024 Example", "Subscribe to Example"). A host named in a disclaimer or
    copyright line names the site when it is the only host they name; a name without a host
    must come back in two different lines (one "Subscribe to Our Newsletter" names nobody).
    The name keeps the spelling of the host's label when the site capitalised it there.
    """
    hosts: dict[str, str] = {}  # host -> the label as written
    host_reasons: set[str] = set()
    names: dict[str, str] = {}  # key -> first spelling
    seen_in: dict[str, set[str]] = {}
    for line in lines:
        text_key = squash(line.text)
        for match in _NAMED_HOST.finditer(line.text):
            written = match.group(1)
            labels = written.split(".")
            brand = labels[-2]
            if len(labels) >= 3 and brand.lower() in _SECOND_LEVEL:
                brand = labels[-3]
            if len(brand) < 3 or brand.isdigit():
                continue
            host = ".".join(label.lower() for label in labels)
            host = host.removeprefix("www.") if host.count(".") >= 2 else host
            hosts.setdefault(host, brand)
            if line.reason in {"disclaimer", "copyright"}:
                host_reasons.add(host)
            seen_in.setdefault(_name_key(brand), set()).add(text_key)
        for match in _NAMED_SITE.finditer(line.text):
            name = match.group("name").strip(" -'’")
            key = _name_key(name)
            if len(key) < 3:
                continue
            names.setdefault(key, name)
            seen_in.setdefault(key, set()).add(text_key)
    if len(hosts) == 1:
        ((host, brand),) = hosts.items()
        key = _name_key(brand)
        if host in host_reasons or len(seen_in.get(key, ())) >= 2:
            name = brand if brand[:1].isupper() else names.get(key, "")
            return Provider(name=name, domain=host)
    repeated = [key for key in names if len(seen_in[key]) >= 2]
    if len(repeated) == 1:
        return Provider(name=names[repeated[0]], domain="")
    return None


def _name_key(name: str) -> str:
    return "".join(_ALNUM.findall(name.casefold()))
