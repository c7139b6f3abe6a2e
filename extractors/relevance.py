"""Is an article on the watched topic, and which taxonomy topics does it touch?

Terms are matched as whole words. A term written in capitals of up to four
letters (``AI``, ``KI``, ``IA``, ``EU``, ``UN``) matches case-sensitively so that
"ai" inside other words or the Spanish "IA"/German "KI" acronyms do not collide
with ordinary lower-case words; every other term matches case-insensitively.
A trailing ``*`` matches a short word ending of up to four letters
(``regulat*``: regulation, regulators, regulatory), so that a stem does not run
on into a different word (``standard*`` must not match German "standardmäßig");
a trailing ``**`` matches any ending, for compounds (``Gesetz**``: Gesetzentwurf),
and a leading ``**`` a beginning of at least ``MIN_COMPOUND_MODIFIER`` letters, the
first part of a compound whose head the term is (``**behörde``: Datenschutzbehörde).
A leading ``~`` marks a weak term, which counts half (see :func:`score_record`).

Two ways to decide relevance:

* a watch with a ``threshold`` scores the article (:func:`score_record`): the
  terms of every ``match_all`` group must meet in the same sentence (or, for
  less, in neighbouring sentences or one short paragraph), the headline and
  lede weigh more, and the share of the text where they meet counts;
  ``on_topic`` is ``score >= threshold``;
* a watch without one keeps the original rule: one term of every group in the
  headline or excerpt, or at least ``MIN_BODY_MENTIONS_FOR_TOPIC`` in the body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Any

from extractors.record import Record

# A topic needs this many mentions in the body (or one in title/excerpt):
# a single passing mention of "chips" does not make a story about export controls.
MIN_BODY_MENTIONS_FOR_TOPIC = 2

# How much a sentence counts, by where it stands, when evidence is ranked. The
# headline and lede are where a news article says what it is about; a meeting of
# the terms deep in the body is more often a passing remark.
TITLE_WEIGHT = 3.0
LEDE_WEIGHT = 2.0
BODY_WEIGHT = 1.0
# Sentences of the body that count as lede when the record has no excerpt.
LEDE_SENTENCES = 2
# Score = TITLE_BONUS × headline strength + LEDE_BONUS × lede strength
#       + BODY_BONUS × body support, capped at 1 (see score_record).
TITLE_BONUS = 0.5
LEDE_BONUS = 0.5
BODY_BONUS = 0.6
# Each further lede sentence counts this much less: the lede's first sentence says
# what the story is, a later one may already be background ("… while the EU has
# just agreed on rules for the sector").
LEDE_DECAY = 0.75
# Body sentences where the groups meet, in strength, for full support: one passing
# remark is not the story, three are.
BODY_SATURATION = 2.0
# Weak terms (``~government``) show the topic only half as clearly as strong ones.
WEAK_STRENGTH = 0.5
# Loose evidence: long articles often name the subject in one sentence and the rule
# in the next ("The council used an algorithm to rank claims. The regulator has now
# ordered it to stop."). Two neighbouring sentences of one paragraph that together
# hold every group count this much of one sentence; a short paragraph that holds them
# in sentences further apart counts less. A paragraph counts its loose evidence once,
# and only when it is stronger than the sentences that meet in it.
ADJACENT_STRENGTH = 0.5
PARAGRAPH_STRENGTH = 0.3
# Longer "paragraphs" are usually a page's whole text without breaks, where one
# mention of each group somewhere is what the sentence rule guards against.
MAX_PARAGRAPH_SENTENCES = 6
# A lede "sentence" of fewer words, with a comma and a number, is a dateline
# ("Brussels, 5 November."), not the story's first sentence: it does not push the
# real first sentence down.
DATELINE_MAX_WORDS = 5
# Evidence kept for an analyst: the strongest sentences, each cut to this length.
MAX_EVIDENCE = 3
MAX_EVIDENCE_CHARS = 160

# A sentence ends at ., !, ? or … followed by space, but not after an initial or
# a common abbreviation ("U.S. Department", "Mr. Altman"), and at every line break.
_SENTENCE_END = re.compile(
    r"(?<=[.!?…])(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bNo\.)(?<!\bvs\.)"
    r"[\"'”’»)]*\s+"
)
# No sentence of the watched languages starts with a small letter: a "sentence" that
# does followed an abbreviation ("Nvidia Corp. and its peers", "np. obowiązków",
# "Komisję ds. sztucznej inteligencji", "c.d. riders"), and one that starts with a
# number after a short word's period followed a date or count abbreviation ("On Oct. 30",
# "ok. 7 proc."). German writes a day as "13. Juli": "Am 13." is no sentence, but "The
# vote was 52 to 48." is one, so only a fragment of up to DAY_FRAGMENT_WORDS words that
# ends in a day number goes on.
_ABBREVIATION_END = re.compile(r"(?<!\w)[^\W\d_]{1,4}\.$")
_DAY_NUMBER_END = re.compile(r"(?<![\w.,])\d{1,2}\.$")
DAY_FRAGMENT_WORDS = 3
_PLACE_WEIGHT = {"title": TITLE_WEIGHT, "lede": LEDE_WEIGHT, "body": BODY_WEIGHT}
# Paragraphs of a body are separated by a blank line.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Watch:
    """What counts as on-topic.

    Attributes:
        name: The watch's name, for messages.
        match_all: Term groups; every group must be matched (in one sentence when
            scoring).
        exclude: Terms that reject an article outright.
        topics: Taxonomy labels and their terms.
        anchors: Terms that name the topic on their own ("AI Act"): a sentence
            holding one meets every group.
        threshold: Score at which an article is on-topic; ``None`` keeps the
            original any-term-of-every-group rule.
        frame: The ``match_all`` group that says what kind of story the watch wants
            (the angle: "governance"), or ``None``. A headline holding a strong term
            of it frames the story, so lede sentences where the groups meet count
            fully instead of ``LEDE_DECAY`` less each: under "US imposes export
            restrictions on Chinese tech firms" a second sentence naming AI is the
            story, under "Start-up raises 385 million" a second sentence naming EU
            rules is background.
    """

    name: str = ""
    match_all: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    anchors: tuple[str, ...] = ()
    threshold: float | None = None
    frame: str | None = None

    def __post_init__(self) -> None:
        if self.frame is not None and self.frame not in self.match_all:
            groups = ", ".join(self.match_all) or "none"
            raise ValueError(
                f"watch {self.name!r}: frame {self.frame!r} is not a match_all group ({groups})"
            )

    @property
    def accepts_all(self) -> bool:
        """An empty watch keeps every article on-topic."""
        return not any(self.match_all.values()) and not self.exclude and not self.anchors

    @cached_property
    def _group_patterns(self) -> dict[str, re.Pattern[str]]:
        return {group: compile_terms(terms) for group, terms in self.match_all.items() if terms}

    @cached_property
    def _group_strengths(self) -> dict[str, tuple[re.Pattern[str], re.Pattern[str]]]:
        # (strong, weak) pattern per group: weak terms are the ones written with "~".
        out = {}
        for group, terms in self.match_all.items():
            if not terms:
                continue
            strong = [term for term in terms if not term.lstrip().startswith("~")]
            weak = [term.lstrip()[1:] for term in terms if term.lstrip().startswith("~")]
            out[group] = (compile_term_test(strong), compile_term_test(weak))
        return out

    @cached_property
    def _any_term(self) -> re.Pattern[str]:
        # Every anchor and group term in one test: most sentences hold none of them, and
        # one search tells so where one per group and strength would each scan the sentence.
        terms = [*self.anchors, *(term for terms in self.match_all.values() for term in terms)]
        return compile_term_test(terms)

    @cached_property
    def _any_topic_term(self) -> re.Pattern[str]:
        return compile_term_test([term for terms in self.topics.values() for term in terms])

    @cached_property
    def _anchor_pattern(self) -> re.Pattern[str] | None:
        return compile_term_test(self.anchors) if self.anchors else None

    @cached_property
    def _exclude_pattern(self) -> re.Pattern[str] | None:
        return compile_terms(self.exclude) if self.exclude else None

    @cached_property
    def _topic_patterns(self) -> dict[str, tuple[re.Pattern[str], re.Pattern[str]]]:
        # (whether, how often) per label: the faster test first, the count only when it hits.
        return {
            label: (compile_term_test(terms), compile_terms(terms))
            for label, terms in self.topics.items()
            if terms
        }


@dataclass(frozen=True)
class Classification:
    """The watch's verdict on one article.

    Attributes:
        on_topic: Whether the article is kept as on-topic.
        topics: Taxonomy labels the article touches.
        reason: One line for an analyst: the rule's verdict, or the score, the
            threshold and the evidence sentences.
        score: Relevance in [0, 1] (1.0 or 0.0 under the original rule).
        evidence: The sentences that decided, strongest first.
    """

    on_topic: bool
    topics: tuple[str, ...]
    reason: str
    score: float = 0.0
    evidence: tuple[str, ...] = ()


def compile_terms(terms: tuple[str, ...] | list[str]) -> re.Pattern[str]:
    """One regular expression matching any of ``terms`` as whole words."""
    sensitive, insensitive = _term_patterns(terms)
    return _whole_words(sensitive, insensitive)


def compile_term_test(terms: tuple[str, ...] | list[str]) -> re.Pattern[str]:
    """A faster pattern for asking *whether* any of ``terms`` occurs (``search``, not ``findall``).

    It matches at the same places as :func:`compile_terms`, but its alternatives are merged
    by their common beginnings ("regulat…", "regulier…" share "regul"), so a match may end
    elsewhere. Python's ``re`` tries every alternative of a case-insensitive alternation at
    every word start; merged, it tries one per first letter, which made relevance scoring on
    real pages several times faster (``bench/bench_extract.py``).
    """
    sensitive, insensitive = _term_patterns(terms)
    return _whole_words(
        (_merge_prefixes(sensitive[0]), _merge_prefixes(sensitive[1])),
        (_merge_prefixes(insensitive[0]), _merge_prefixes(insensitive[1])),
    )


# Plain terms and compound heads (a leading "**") of one case kind.
_TermKind = tuple[list[str], list[str]]


def _whole_words(sensitive: _TermKind, insensitive: _TermKind) -> re.Pattern[str]:
    # The compound heads share one optional first part, which the regex engine then tries
    # once per word instead of once per head (a third of the cost of classifying, measured
    # by bench/bench_relevance.py).
    alternatives = []
    for (plain, heads), flags in ((sensitive, ""), (insensitive, "i")):
        if heads:
            plain = [*plain, _COMPOUND_MODIFIER + f"(?:{'|'.join(heads)})"]
        if plain:
            alternatives.append(f"(?{flags}:{'|'.join(plain)})" if flags else "|".join(plain))
    if not alternatives:
        return re.compile(r"(?!x)x")
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)")


def _term_patterns(terms: tuple[str, ...] | list[str]) -> tuple[_TermKind, _TermKind]:
    """Each term's pattern: case-sensitive and -insensitive, each as plain terms and heads."""
    sensitive: _TermKind = ([], [])
    insensitive: _TermKind = ([], [])
    for term in terms:
        term = term.strip().lstrip("~").strip()
        if not term:
            continue
        core = term.replace("*", "").strip()
        if not any(character.isalnum() for character in core):
            continue
        head = term.startswith("**")
        words = (term[2:] if head else term).split()
        # Each word may carry its own ending ("intelligenz* artificial*").
        pattern = _BETWEEN_WORDS.join(_word_pattern(word) for word in words)
        kind = sensitive if core.isupper() and len(core.replace(" ", "")) <= 4 else insensitive
        kind[head].append(pattern)
    return sensitive, insensitive


# One unit of a term's pattern, as ``_word_pattern`` writes them: a word ending (``\w*``,
# ``\w{0,4}``), or one literal character (an escaped one, the apostrophe class
# ``_literal`` writes, a plain one) that no quantifier follows.
_PATTERN_ATOM = re.compile(
    r"\\w(?:\*|\{0,4\})|(?:\\[^\w\s]|\[['’]\]|[^\\\[\]().*+?{}|^$])(?![*+?{])"
)


def _merge_prefixes(patterns: list[str]) -> list[str]:
    r"""The same alternatives written as a tree of their shared beginnings.

    ``ab|ac|\w*x|\w*y`` becomes ``a(?:b|c)|\w*(?:x|y)``: the alternation matches the same
    texts (a(B|C) matches what aB|aC does), only the order in which they are tried changes.
    """
    tree: dict[str, Any] = {}
    for pattern in dict.fromkeys(patterns):
        node = tree
        position = 0
        while (atom := _PATTERN_ATOM.match(pattern, position)) is not None:
            node = node.setdefault(atom.group(0), {})
            position = atom.end()
        node.setdefault("", set()).add(pattern[position:])
    return _render_tree(tree)


def _render_tree(node: dict[str, Any]) -> list[str]:
    out = sorted(node.get("", ()))
    for atom, child in node.items():
        if atom == "":
            continue
        below = _render_tree(child)
        out.append(atom + (below[0] if len(below) == 1 else f"(?:{'|'.join(below)})"))
    return out


# Between the words of a multi-word term: spaces, hyphens, and quotation marks
# around one of the words (French "caméras « augmentées »", "so-called 'AI' rules").
_BETWEEN_WORDS = r"[\s\-«»\"“”„‘’']*[\s\-][\s\-«»\"“”„‘’']*"


# Letters a compound's first part has at least, before a head written with a leading
# "**": Dutch "**wet" is stikstofwet and privacywet, not Polish "nawet" (even), which
# shares the watch's one term list.
MIN_COMPOUND_MODIFIER = 3
_COMPOUND_MODIFIER = rf"(?:\w{{{MIN_COMPOUND_MODIFIER},}})?"


def _word_pattern(word: str) -> str:
    # A leading "**" lets the word end a compound (German and Dutch put the head
    # last: "**behörde" is Datenschutzbehörde, "**algoritme*" overheidsalgoritmes).
    # compile_terms takes it off a term's first word and groups those heads.
    start = _COMPOUND_MODIFIER if word.startswith("**") else ""
    word = word[2:] if start else word
    if word.endswith("**"):
        return start + _literal(word.rstrip("*")) + r"\w*"
    if word.endswith("*"):
        # Inflections, not compounds: "regulat*" → regulation(s), regulatory.
        return start + _literal(word.rstrip("*")) + r"\w{0,4}"
    return start + _literal(word)


def _literal(text: str) -> str:
    # A straight apostrophe in a term also matches the typographic one ("l'IA", "l’IA").
    return re.escape(text).replace("'", "['’]")


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``: split after ., ! ?, … and at line breaks.

    A piece that cannot start a sentence (a small letter; a number after an
    abbreviation; a capitalised word after a day number's period) stays with the
    piece before it, within one line.
    """
    sentences: list[str] = []
    for line in text.splitlines():
        pieces = [part.strip() for part in _SENTENCE_END.split(line) if part.strip()]
        for index, piece in enumerate(pieces):
            if index and _continues(pieces[index - 1], piece):
                sentences[-1] = f"{sentences[-1]} {piece}"
            else:
                sentences.append(piece)
    return sentences


def _continues(previous: str, piece: str) -> bool:
    """Whether ``piece`` goes on the sentence ``previous`` (see _ABBREVIATION_END)."""
    first = piece[0]
    if first.islower():
        return True
    if first.isdigit():
        return bool(_ABBREVIATION_END.search(previous))
    return (
        first.isupper()
        and len(previous.split()) <= DAY_FRAGMENT_WORDS
        and bool(_DAY_NUMBER_END.search(previous))
    )


def classify(record: Record, watch: Watch) -> Classification:
    """Decide relevance and topics of a record against the watch.

    Topics: the headline and excerpt count fully; the body counts when it
    mentions a label's terms at least ``MIN_BODY_MENTIONS_FOR_TOPIC`` times.
    Relevance: by :func:`score_record` when the watch has a threshold, else by
    the original rule (every group named in the headline or excerpt, or at
    least ``MIN_BODY_MENTIONS_FOR_TOPIC`` times in the body).
    """
    head = f"{record.title}\n{record.excerpt}"
    text = f"{head}\n{record.body}"
    any_topic = watch._any_topic_term.search(text) is not None
    topics = tuple(
        label
        for label, (test, pattern) in (watch._topic_patterns.items() if any_topic else ())
        if test.search(head)
        or (
            test.search(record.body) is not None
            and len(pattern.findall(record.body)) >= MIN_BODY_MENTIONS_FOR_TOPIC
        )
    )
    if watch.accepts_all:
        return Classification(True, topics, "the watch accepts every article", 1.0)
    if watch._exclude_pattern is not None:
        excluded = watch._exclude_pattern.search(text)
        if excluded:
            return Classification(False, topics, f"excluded term {excluded.group(0)!r}")
    if watch.threshold is not None:
        return _scored(record, watch, watch.threshold, topics)
    # Like topics: a group counts when the headline or excerpt names it, or the body
    # comes back to it; one passing mention ("… KI-steered cranes from 2027") is not the story.
    missing = [
        group
        for group, pattern in watch._group_patterns.items()
        if not pattern.search(head)
        and len(pattern.findall(record.body)) < MIN_BODY_MENTIONS_FOR_TOPIC
    ]
    if missing:
        return Classification(False, topics, f"no term of group {', '.join(missing)}")
    return Classification(True, topics, "matches every group of the watch", 1.0)


@dataclass(frozen=True)
class _Sentence:
    text: str
    place: str  # "title", "lede" or "body"
    paragraph: int  # sentences of one paragraph share it; the headline shares the lede's
    # Per match_all group: 1 for a strong term, WEAK_STRENGTH for a weak one, 0 for none.
    groups: tuple[float, ...]

    @property
    def strength(self) -> float:
        """Every group met in this sentence: the product of the groups' strengths."""
        return _product(self.groups)


@dataclass(frozen=True)
class _Evidence:
    """A sentence, or neighbouring sentences, where every group meets."""

    sentences: tuple[_Sentence, ...]
    strength: float  # what it counts, proximity discount included
    terms: float  # the groups' strengths alone: 1.0 when every group has a strong term
    kind: str  # "" (one sentence), "adjacent" or "paragraph"

    @property
    def place(self) -> str:
        """Where it stands; loose evidence of the headline and the lede is the lede's."""
        places = [s.place for s in self.sentences]
        return next((place for place in places if place != "title"), places[0])

    def describe(self) -> str:
        where = f"{self.place} ({self.kind} sentences)" if self.kind else self.place
        return f"{where}: " + _shorten(" … ".join(s.text for s in self.sentences))


def score_record(record: Record, watch: Watch) -> tuple[float, tuple[str, ...]]:
    """How central the watch's topic is to the record, and the sentences that show it.

    A sentence *meets* when every ``match_all`` group has a term in it, or it
    holds an anchor; its strength is 1, halved for each group matched only by
    weak (``~``) terms. Two neighbouring sentences of a paragraph that together
    hold every group meet *loosely* at ``ADJACENT_STRENGTH`` of that; a short
    paragraph (up to ``MAX_PARAGRAPH_SENTENCES``) whose sentences hold them
    further apart at ``PARAGRAPH_STRENGTH``. Three signals add up (capped at 1):

    * the headline: ``TITLE_BONUS`` × its strength;
    * the lede: ``LEDE_BONUS`` × its evidence, each sentence after the first
      counting ``LEDE_DECAY`` times less (a dateline does not count as one; no
      decay under a headline that holds the watch's ``frame`` group), the
      sentences that meet adding up (see :func:`_lede_strength`);
    * the body: ``BODY_BONUS`` × the summed strength of its evidence, as a share
      of ``BODY_SATURATION`` (capped at 1): an article that keeps coming back to
      the topic counts, one passing remark counts little. Per paragraph, the
      sentences that meet add up, and loose evidence counts once, in their stead
      when it is stronger. (A share of all sentences was tried and dropped: it
      diluted long articles, which keep naming their subject without the rules in
      every sentence.)

    Without a single piece of evidence whose terms are all strong the sum is
    halved: weak terms support the topic, they do not make it.

    Returns:
        The score in [0, 1] and up to ``MAX_EVIDENCE`` evidence sentences, each
        prefixed with where it stands ("title: …", "body (adjacent sentences): …").
    """
    sentences = _placed_sentences(record, watch)
    evidence = _evidence(sentences)
    title = max((e.strength for e in evidence if e.place == "title"), default=0.0)
    decay = 1.0 if _framed(sentences, watch) else LEDE_DECAY
    lede = _lede_strength([e for e in evidence if e.place == "lede"], _lede_order(sentences), decay)
    paragraphs: dict[int, list[_Evidence]] = {}
    for e in evidence:
        if e.place == "body":
            paragraphs.setdefault(e.sentences[0].paragraph, []).append(e)
    body = 0.0
    for found in paragraphs.values():
        tight = sum(e.strength for e in found if not e.kind)
        loose = max((e.strength for e in found if e.kind), default=0.0)
        body += max(tight, loose)
    support = min(1.0, body / BODY_SATURATION)
    score = min(1.0, TITLE_BONUS * title + LEDE_BONUS * lede + BODY_BONUS * support)
    if not any(e.terms >= 1.0 for e in evidence):
        # Only weak evidence ("government" + "AI" in several sentences) describes a
        # government using AI, not governing it: it can add up, but not to the topic.
        score *= WEAK_STRENGTH
    ranked = sorted(
        evidence,
        key=lambda e: (-e.strength * _PLACE_WEIGHT[e.place], sentences.index(e.sentences[0])),
    )
    return round(score, 3), tuple(e.describe() for e in ranked[:MAX_EVIDENCE])


def _framed(sentences: list[_Sentence], watch: Watch) -> bool:
    """Whether the headline holds a strong term of the watch's frame group."""
    if watch.frame is None or watch.frame not in watch._group_strengths:
        return False  # no frame, or a frame group without terms
    index = list(watch._group_strengths).index(watch.frame)
    return any(s.place == "title" and s.groups[index] >= 1.0 for s in sentences)


def _lede_strength(
    evidence: list[_Evidence], order: dict[int, int], decay: float = LEDE_DECAY
) -> float:
    """The lede's evidence combined: each sentence that meets adds to the others.

    Every piece counts ``decay`` less per lede sentence before it. The pieces
    combine as independent signs (1 - the product of what each leaves unshown): a
    lede that keeps coming back to the topic ("The Commission named experts on its
    AI strategy. They delivered ethics guidelines for AI.") shows it more surely
    than one sentence, while one sentence alone counts what it did before. Loose
    evidence overlaps with itself (neighbours, the paragraph), so only its
    strongest piece joins.
    """
    decayed = [
        (e, e.strength * decay ** min(order.get(id(s), 99) for s in e.sentences)) for e in evidence
    ]
    pieces = [strength for e, strength in decayed if not e.kind]
    pieces.append(max((strength for e, strength in decayed if e.kind), default=0.0))
    unshown = 1.0
    for strength in pieces:
        unshown *= 1.0 - min(1.0, strength)
    return 1.0 - unshown


def _evidence(sentences: list[_Sentence]) -> list[_Evidence]:
    """Every sentence that meets, and the loose evidence of paragraphs and neighbours."""
    found = [_Evidence((s,), s.strength, s.strength, "") for s in sentences if s.strength > 0]
    by_paragraph: dict[int, list[_Sentence]] = {}
    for s in sentences:
        by_paragraph.setdefault(s.paragraph, []).append(s)
    for members in by_paragraph.values():
        if len(members) < 2:
            continue
        pairs = [
            pair
            for pair in (
                _loose((a, b), ADJACENT_STRENGTH, "adjacent") for a, b in pairwise(members)
            )
            if pair is not None
        ]
        found += pairs
        if 2 < len(members) <= MAX_PARAGRAPH_SENTENCES:
            whole = _loose(tuple(members), PARAGRAPH_STRENGTH, "paragraph")
            if whole is not None:
                found.append(whole)
    return found


def _loose(members: tuple[_Sentence, ...], discount: float, kind: str) -> _Evidence | None:
    """Sentences that meet only together; ``None`` when one of them meets alone or none do."""
    if any(s.strength > 0 for s in members):
        return None
    terms = _product(tuple(max(g) for g in zip(*(s.groups for s in members), strict=True)))
    if terms == 0:
        return None
    # Only the sentences that hold a term, for the analyst reading the evidence.
    holding = tuple(s for s in members if any(s.groups))
    return _Evidence(holding, discount * terms, terms, kind)


def _lede_order(sentences: list[_Sentence]) -> dict[int, int]:
    """Each lede sentence's place in the lede, datelines not counted."""
    # The headline, in loose evidence with the lede, stands before its first sentence.
    order: dict[int, int] = {id(s): 0 for s in sentences if s.place == "title"}
    index = 0
    for s in sentences:
        if s.place != "lede":
            continue
        order[id(s)] = index
        if not _is_dateline(s.text):
            index += 1
    return order


def _is_dateline(sentence: str) -> bool:
    return (
        len(sentence.split()) <= DATELINE_MAX_WORDS
        and "," in sentence
        and any(c.isdigit() for c in sentence)
    )


def _scored(
    record: Record, watch: Watch, threshold: float, topics: tuple[str, ...]
) -> Classification:
    score, evidence = score_record(record, watch)
    on_topic = score >= threshold
    verdict = f"score {score:.2f} {'>=' if on_topic else '<'} threshold {threshold:.2f}"
    if evidence:
        reason = f"{verdict}; evidence: " + " | ".join(evidence)
    else:
        reason = f"{verdict}; no sentence where every group ({', '.join(watch.match_all)}) meets"
    return Classification(on_topic, topics, reason, score, evidence)


def _placed_sentences(record: Record, watch: Watch) -> list[_Sentence]:
    placed: list[tuple[str, str, int]] = [
        (text, "title", -2) for text in split_sentences(record.title)
    ]
    body = [
        (sentence, number)
        for number, paragraph in enumerate(_PARAGRAPH_BREAK.split(record.body))
        for sentence in split_sentences(paragraph)
    ]
    if record.excerpt.strip():
        lede = [(sentence, -1) for sentence in split_sentences(record.excerpt)]
        # Scrapers often repeat the excerpt as the body's first paragraph; count it once.
        if body and lede and body[0][0] == lede[0][0]:
            body = body[len(lede) :]
    else:
        lede, body = body[:LEDE_SENTENCES], body[LEDE_SENTENCES:]
    if lede:
        # The headline and the lede say what the story is together: "AI executives
        # questioned by Senate panel" names the subject, the lede's "draft bill" the rule.
        placed = [(text, place, lede[0][1]) for text, place, _ in placed]
    placed += [(text, "lede", number) for text, number in lede]
    placed += [(text, "body", number) for text, number in body]
    return [_Sentence(text, place, number, _groups(text, watch)) for text, place, number in placed]


def _groups(sentence: str, watch: Watch) -> tuple[float, ...]:
    """Each match_all group's strength in the sentence (an anchor meets them all)."""
    if watch._any_term.search(sentence) is None:
        return tuple(0.0 for _ in watch._group_strengths)
    if watch._anchor_pattern is not None and watch._anchor_pattern.search(sentence):
        return tuple(1.0 for _ in watch._group_strengths) or (1.0,)
    return tuple(
        1.0 if strong.search(sentence) else WEAK_STRENGTH if weak.search(sentence) else 0.0
        for strong, weak in watch._group_strengths.values()
    )


def _product(values: tuple[float, ...]) -> float:
    if not values:
        return 0.0
    result = 1.0
    for value in values:
        result *= value
    return result


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_EVIDENCE_CHARS:
        return text
    return text[: MAX_EVIDENCE_CHARS - 1].rstrip() + "…"
