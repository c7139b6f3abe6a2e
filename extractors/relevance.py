"""Is an article on the watched topic, and which taxonomy topics does it touch?

Terms are matched as whole words. A term written in capitals of up to four
letters (``AI``, ``KI``, ``IA``, ``EU``, ``UN``) matches case-sensitively so that
"ai" inside other words or the Spanish "IA"/German "KI" acronyms do not collide
with ordinary lower-case words; every other term matches case-insensitively.
A trailing ``*`` matches a short word ending of up to four letters
(``regulat*``: regulation, regulators, regulatory), so that a stem does not run
on into a different word (``standard*`` must not match German "standardmäßig");
a trailing ``**`` matches any ending, for compounds (``Gesetz**``: Gesetzentwurf),
and a leading ``**`` any beginning (``**behörde``: Datenschutzbehörde).
A leading ``~`` marks a weak term, which counts half (see :func:`score_record`).

Two ways to decide relevance:

* a watch with a ``threshold`` scores the article (:func:`score_record`): the
  terms of every ``match_all`` group must meet in the same sentence, the
  headline and lede weigh more, and the share of the text where they meet
  counts; ``on_topic`` is ``score >= threshold``;
* a watch without one keeps the original rule: one term of every group in the
  headline or excerpt, or at least ``MIN_BODY_MENTIONS_FOR_TOPIC`` in the body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

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
# Evidence kept for an analyst: the strongest sentences, each cut to this length.
MAX_EVIDENCE = 3
MAX_EVIDENCE_CHARS = 160

# A sentence ends at ., !, ? or … followed by space, but not after an initial or
# a common abbreviation ("U.S. Department", "Mr. Altman"), and at every line break.
_SENTENCE_END = re.compile(
    r"(?<=[.!?…])(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bNo\.)(?<!\bvs\.)"
    r"[\"'”’»)]*\s+|\n+"
)


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
    """

    name: str = ""
    match_all: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    anchors: tuple[str, ...] = ()
    threshold: float | None = None

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
            out[group] = (compile_terms(strong), compile_terms(weak))
        return out

    @cached_property
    def _anchor_pattern(self) -> re.Pattern[str] | None:
        return compile_terms(self.anchors) if self.anchors else None

    @cached_property
    def _exclude_pattern(self) -> re.Pattern[str] | None:
        return compile_terms(self.exclude) if self.exclude else None

    @cached_property
    def _topic_patterns(self) -> dict[str, re.Pattern[str]]:
        return {label: compile_terms(terms) for label, terms in self.topics.items() if terms}


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
    sensitive: list[str] = []
    insensitive: list[str] = []
    for term in terms:
        term = term.strip().lstrip("~").strip()
        if not term:
            continue
        core = term.replace("*", "").strip()
        if not any(character.isalnum() for character in core):
            continue
        # Each word may carry its own ending ("intelligenz* artificial*").
        pattern = r"[\s\-]+".join(_word_pattern(word) for word in term.split())
        if core.isupper() and len(core.replace(" ", "")) <= 4:
            sensitive.append(pattern)
        else:
            insensitive.append(pattern)
    alternatives = [f"(?:{'|'.join(sensitive)})"] if sensitive else []
    if insensitive:
        alternatives.append(f"(?i:{'|'.join(insensitive)})")
    if not alternatives:
        return re.compile(r"(?!x)x")
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)")


def _word_pattern(word: str) -> str:
    # A leading "**" lets the word end a compound (German and Dutch put the head
    # last: "**behörde" is Datenschutzbehörde, "**algoritme*" overheidsalgoritmes).
    start = r"\w*" if word.startswith("**") else ""
    word = word[2:] if start else word
    if word.endswith("**"):
        return start + re.escape(word.rstrip("*")) + r"\w*"
    if word.endswith("*"):
        # Inflections, not compounds: "regulat*" → regulation(s), regulatory.
        return start + re.escape(word.rstrip("*")) + r"\w{0,4}"
    return start + re.escape(word)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``: split after ., ! ?, … and at line breaks."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


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
    topics = tuple(
        label
        for label, pattern in watch._topic_patterns.items()
        if pattern.search(head) or len(pattern.findall(record.body)) >= MIN_BODY_MENTIONS_FOR_TOPIC
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
    weight: float
    strength: float


def score_record(record: Record, watch: Watch) -> tuple[float, tuple[str, ...]]:
    """How central the watch's topic is to the record, and the sentences that show it.

    A sentence *meets* when every ``match_all`` group has a term in it, or it
    holds an anchor; its strength is 1, halved for each group matched only by
    weak (``~``) terms. Three signals add up (capped at 1):

    * the headline: ``TITLE_BONUS`` × its strength;
    * the lede: ``LEDE_BONUS`` × the strongest lede sentence, each sentence after
      the first counting ``LEDE_DECAY`` times less;
    * the body: ``BODY_BONUS`` × the summed strength of its meeting sentences,
      as a share of ``BODY_SATURATION`` (capped at 1): an article that keeps
      coming back to the topic counts, one passing remark counts little. (A share
      of all sentences was tried and dropped: it diluted long articles, which
      keep naming their subject without the rules in every sentence.)

    Without a single full-strength sentence the sum is halved: weak terms
    support the topic, they do not make it.

    Returns:
        The score in [0, 1] and up to ``MAX_EVIDENCE`` evidence sentences, each
        prefixed with where it stands ("title: …").
    """
    sentences = _weighed_sentences(record, watch)
    title = max((s.strength for s in sentences if s.place == "title"), default=0.0)
    lede = max(
        (
            s.strength * LEDE_DECAY**i
            for i, s in enumerate(x for x in sentences if x.place == "lede")
        ),
        default=0.0,
    )
    support = min(1.0, sum(s.strength for s in sentences if s.place == "body") / BODY_SATURATION)
    score = min(1.0, TITLE_BONUS * title + LEDE_BONUS * lede + BODY_BONUS * support)
    if not any(s.strength >= 1.0 for s in sentences):
        # Only weak evidence ("government" + "AI" in several sentences) describes a
        # government using AI, not governing it: it can add up, but not to the topic.
        score *= WEAK_STRENGTH
    ranked = sorted(
        (s for s in sentences if s.strength > 0),
        key=lambda s: (-s.strength * s.weight, sentences.index(s)),
    )
    evidence = tuple(f"{s.place}: {_shorten(s.text)}" for s in ranked[:MAX_EVIDENCE])
    return round(score, 3), evidence


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


def _weighed_sentences(record: Record, watch: Watch) -> list[_Sentence]:
    placed: list[tuple[str, str, float]] = []
    placed += [(text, "title", TITLE_WEIGHT) for text in split_sentences(record.title)]
    body = split_sentences(record.body)
    if record.excerpt.strip():
        lede = split_sentences(record.excerpt)
        # Scrapers often repeat the excerpt as the body's first paragraph; count it once.
        if body and lede and body[0] == lede[0]:
            body = body[len(lede) :]
    else:
        lede, body = body[:LEDE_SENTENCES], body[LEDE_SENTENCES:]
    placed += [(text, "lede", LEDE_WEIGHT) for text in lede]
    placed += [(text, "body", BODY_WEIGHT) for text in body]
    return [
        _Sentence(text, place, weight, _strength(text, watch)) for text, place, weight in placed
    ]


def _strength(sentence: str, watch: Watch) -> float:
    if watch._anchor_pattern is not None and watch._anchor_pattern.search(sentence):
        return 1.0
    strength = 1.0 if watch._group_strengths else 0.0
    for strong, weak in watch._group_strengths.values():
        if strong.search(sentence):
            continue
        if not weak.search(sentence):
            return 0.0
        strength *= WEAK_STRENGTH
    return strength


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_EVIDENCE_CHARS:
        return text
    return text[: MAX_EVIDENCE_CHARS - 1].rstrip() + "…"
