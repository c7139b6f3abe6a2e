"""Stories: which articles report the same event, in different words.

Near-copies share their text; coverage of one story by different outlets
shares its *facts*: the names of the people, places and bodies involved and
the numbers. The method, deliberately conservative (two articles that merely
share a topic must never be linked):

1. **Key terms.** From title, lede (the excerpt, else the first paragraph) and
   body, :func:`story_profile` collects names (runs of capitalised words and
   acronyms, with connectors such as "of" inside; a sentence's first word, or
   a word in a Title Case headline or heading, only if it is capitalised
   inside running text too) and their single words, and numbers
   (not years). A term's weight adds 3 per mention in the title, 2 in the
   lede, 1 in the body, damped as ``1 + log(weight)``; multi-word names weigh
   1.5x, numbers 1.2x; names every article of the watch mentions (``AI``,
   ``China``, ``EU``, ``United Nations`` ... :data:`GENERIC_TERMS`) weigh 0.1x.
2. **Candidates** (the cheap index): articles published within the story
   window (72 h by default) of each other sharing at least
   ``MIN_SHARED_KEY_TERMS`` of their ``KEY_TERMS`` heaviest specific terms.
3. **Score**: cosine similarity of the two term profiles. Same story when the
   score is at least ``STORY_THRESHOLD`` and at least ``MIN_SHARED_TERMS``
   distinct specific (non-generic) names or numbers are shared, a word
   counting with the longer shared name it belongs to ("AI Act" and "Act"
   are one; a regulator's name plus its law's name is not yet a story).
4. **Stories** are the connected components of these links and of the
   near-copy links (a copy is always coverage of its original's story), with a
   guard against chaining: an article whose links reach two or more groups
   not linked among themselves (a round-up quoting several stories) keeps
   only its links to the group it scores highest with
   (``storage.stories._cut_hubs``).

Only running text counts: short lines without closing punctuation ("Share
this article", "Most Read") are boilerplate a site's pages share, and the
article's own publisher name (a copyright line) is no fact of the story.

The score depends only on the two articles (no corpus statistics), so stories
come out the same whatever order articles arrive in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

KEY_TERMS = 15
MIN_SHARED_KEY_TERMS = 2
MIN_SHARED_TERMS = 3
STORY_THRESHOLD = 0.2

GENERIC_TERMS = frozenset(
    """
    ai a.i artificial intelligence artificial intelligence ki ia genai generative
    us u.s usa united states america american americans washington white house
    china chinese beijing prc eu european union europe european brussels
    european commission commission un united nations uk u.k britain british london
    government governments president minister prime minister ministry parliament
    congress senate state states country countries world global international
    national news reuters ap afp monday tuesday wednesday thursday friday saturday
    sunday january february march april may june july august september october
    november december today yesterday week
    """.split()  # noqa: SIM905 - a word list reads better as text
) | frozenset(
    [
        "artificial intelligence",
        "united states",
        "european union",
        "united nations",
        "european commission",
        "white house",
        "prime minister",
        "united kingdom",
    ]
)
_STOP_CAPITALS = frozenset(
    """
    the a an in on at of for to and but or if as by with from this that these those
    it its he she they we i you his her their our my your there here when where
    what who why how while after before also however meanwhile according
    der die das ein eine und im le la les un une des du et el los las y en del
    mr mrs ms dr monday tuesday wednesday thursday friday saturday sunday january february
    march april june july august september october november december
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# "and"/"on" would glue two names ("Helion and Vantor") or a name and a day into one.
_CONNECTORS = frozenset({"of", "for", "the", "de", "du", "des", "von", "der", "la"})
_UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
_CAPITALISED = rf"[{_UPPER}](?:[\w'’.\-]*\w)?"
_MENTION = re.compile(
    rf"\b(?P<number>\d[\d,.]*\d|\d)\b"
    rf"|\b{_CAPITALISED}(?:[ \t]+(?:(?:of|for|the|de|du|des|von|der|la)[ \t]+)*{_CAPITALISED})*"
)
_CLOSING = (".", "!", "?", '"', "”")
_STUB_WORDS = 8
_YEAR = re.compile(r"^(19|20)\d\d$")
_NUMBER = re.compile(r"^\d[\d,.]*$")


def story_profile(
    title: str, excerpt: str, body: str, provider: Sequence[str] = ()
) -> dict[str, float]:
    """The weighted key terms of an article (see the module doc).

    Args:
        title: the headline.
        excerpt: the lede, if known (else the first paragraph stands for it).
        body: the article text.
        provider: the publisher's name and domain: its own name in a credit or
            copyright line is no fact of the story.
    """
    own = {_norm(name) for name in provider if name}
    own |= {name.split(".")[0] for name in own if "." in name}
    own |= {name.removeprefix("the ") for name in own}
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    lede = excerpt or (paragraphs[0] if paragraphs else "")
    fields = [
        (_mentions(text), weight) for text, weight in ((title, 3.0), (lede, 2.0), (body, 1.0))
    ]
    # Words capitalised inside running text: at a sentence's start or in a Title Case
    # headline or heading ("Future Perspectives and Challenges") only these count as names.
    mid_sentence = {
        word
        for mentions, _ in fields
        for words, initial, heading in mentions
        if not heading
        for word in (words[1:] if initial else words)
    }
    raw: dict[str, float] = {}
    for mentions, weight in fields:
        for words, initial, heading in mentions:
            for term in _names(words, initial, heading, mid_sentence):
                raw[term] = raw.get(term, 0.0) + weight
    profile = {}
    for term, weight in raw.items():
        if term in own or term.removeprefix("the ") in own:
            continue
        value = 1.0 + math.log(weight)
        if " " in term:
            value *= 1.5
        elif _NUMBER.match(term):
            value *= 1.2
        if term in GENERIC_TERMS:
            value *= 0.1
        profile[term] = round(value, 6)
    return profile


def key_terms(profile: Mapping[str, float]) -> list[str]:
    """The heaviest specific terms: what the candidate index is keyed on."""
    specific = [(weight, term) for term, weight in profile.items() if term not in GENERIC_TERMS]
    return [term for _, term in sorted(specific, key=lambda item: (-item[0], item[1]))[:KEY_TERMS]]


def story_similarity(first: Mapping[str, float], second: Mapping[str, float]) -> float:
    """Cosine similarity of two term profiles, 0-1."""
    if not first or not second:
        return 0.0
    if len(first) > len(second):
        first, second = second, first
    dot = sum(weight * second.get(term, 0.0) for term, weight in first.items())
    norms = math.sqrt(sum(w * w for w in first.values())) * math.sqrt(
        sum(w * w for w in second.values())
    )
    return dot / norms if norms else 0.0


def shared_names(first: Mapping[str, float], second: Mapping[str, float]) -> int:
    """How many distinct specific names and numbers two profiles share.

    A shared term that is part of a longer shared name counts with it, once:
    "AI Act" and "Act" are one name, "EU AI Office", "AI Office" and "Office"
    one more, "Eleanor Pryce", "Eleanor" and "Pryce" one.
    """
    shared = {term for term in first if term in second and term not in GENERIC_TERMS}
    padded = [f" {term} " for term in shared]
    return sum(
        1
        for term in shared
        if not any(f" {term} " in other and other != f" {term} " for other in padded)
    )


def same_story(first: Mapping[str, float], second: Mapping[str, float]) -> float | None:
    """The score when two profiles are coverage of one story, else None."""
    if shared_names(first, second) < MIN_SHARED_TERMS:
        return None
    score = story_similarity(first, second)
    return score if score >= STORY_THRESHOLD else None


def amp_cache_url(amp_url: str) -> str:
    """The Google AMP cache address of an AMP page (the seed format's ``cdnAmpWebUrl``)."""
    parts = urlsplit(amp_url)
    host = (parts.hostname or "").replace("-", "--").replace(".", "-")
    secure = "s/" if parts.scheme == "https" else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"https://{host}.cdn.ampproject.org/c/{secure}{parts.netloc}{parts.path}{query}"


def _mentions(text: str, running_text_only: bool = True) -> list[tuple[list[str], bool, bool]]:
    """Runs of capitalised words and numbers: (normalised words, sentence-initial, in a heading).

    One regular expression finds them (the text's other words are never looked
    at in Python); punctuation between two words ends a run ("Shanghai, Premier Li").
    With ``running_text_only``, short lines without closing punctuation are
    skipped: "Share this article", "Most Read", "Like Love Haha Wow" are
    boilerplate that copies of a site's wrapper share, not facts of a story.
    """
    found: list[tuple[list[str], bool, bool]] = []
    headings, stubs = _line_spans(text)
    for match in _MENTION.finditer(text):
        if running_text_only and any(low <= match.start() < high for low, high in stubs):
            continue
        number = match.group("number")
        if number is not None:
            value = number.rstrip(".,").replace(",", "")
            if len(value) >= 2 and not _YEAR.match(value):
                found.append(([value], False, False))
            continue
        before = text[max(0, match.start() - 3) : match.start()].rstrip(" \t\"'“‘„«(\u00a0")
        initial = not before or before[-1] in ".!?:;\n"
        heading = any(low <= match.start() < high for low, high in headings)
        found.append(([_norm(word) for word in match.group().split()], initial, heading))
    return found


def _names(words: list[str], initial: bool, heading: bool, mid_sentence: set[str]) -> list[str]:
    """The terms of one run: the name itself if it has several words, and its words."""
    if len(words) == 1 and _NUMBER.match(words[0]):
        return words
    if heading:
        words = [word if word in mid_sentence or word in _CONNECTORS else "" for word in words]
    elif initial and words[0] not in mid_sentence:
        words = ["", *words[1:]]  # "Speaking at ..." starts a sentence: no name
    terms: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if word in _CONNECTORS and run:
            run.append(word)
            continue
        if word and word not in _STOP_CAPITALS and word not in _CONNECTORS:
            run.append(word)
            continue
        while run and run[-1] in _CONNECTORS:
            run.pop()
        if len(run) > 1:
            terms.append(" ".join(run))
        terms.extend(part for part in run if part not in _CONNECTORS)
        run = []
    return terms


def _line_spans(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    # Headings: lines without closing punctuation whose longer words are mostly
    # capitalised. Stubs: lines of fewer than 8 words without closing punctuation.
    headings = []
    stubs = []
    position = 0
    for line in text.split("\n"):
        stripped = line.rstrip()
        if stripped and len(stripped) < 200 and not stripped.endswith(_CLOSING):
            span = (position, position + len(line))
            if len(stripped.split()) < _STUB_WORDS:
                stubs.append(span)
            words = [w for w in stripped.split() if len(w) > 3 and w[0].isalpha()]
            if len(words) >= 3 and sum(1 for w in words if w[0].isupper()) >= 0.6 * len(words):
                headings.append(span)
        position += len(line) + 1
    return headings, stubs


def _norm(token: str) -> str:
    return token.casefold().removesuffix("'s").removesuffix("’s").strip(".'’-")
