"""Is an article on the watched topic, and which taxonomy topics does it touch?

Terms are matched as whole words. A term written in capitals of up to four
letters (``AI``, ``KI``, ``IA``, ``EU``, ``UN``) matches case-sensitively so that
"ai" inside other words or the Spanish "IA"/German "KI" acronyms do not collide
with ordinary lower-case words; every other term matches case-insensitively.
A trailing ``*`` matches any word ending (``regulat*``).
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


@dataclass(frozen=True)
class Watch:
    """What counts as on-topic: at least one term of every ``match_all`` group, no ``exclude`` term."""

    name: str = ""
    match_all: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def accepts_all(self) -> bool:
        """An empty watch keeps every article on-topic."""
        return not any(self.match_all.values()) and not self.exclude

    @cached_property
    def _group_patterns(self) -> dict[str, re.Pattern[str]]:
        return {group: compile_terms(terms) for group, terms in self.match_all.items() if terms}

    @cached_property
    def _exclude_pattern(self) -> re.Pattern[str] | None:
        return compile_terms(self.exclude) if self.exclude else None

    @cached_property
    def _topic_patterns(self) -> dict[str, re.Pattern[str]]:
        return {label: compile_terms(terms) for label, terms in self.topics.items() if terms}


@dataclass(frozen=True)
class Classification:
    """The watch's verdict on one article."""

    on_topic: bool
    topics: tuple[str, ...]
    reason: str


def compile_terms(terms: tuple[str, ...] | list[str]) -> re.Pattern[str]:
    """One regular expression matching any of ``terms`` as whole words."""
    sensitive: list[str] = []
    insensitive: list[str] = []
    for term in terms:
        term = term.strip()
        if not term:
            continue
        prefix = term.endswith("*")
        core = term.rstrip("*").strip()
        if not any(character.isalnum() for character in core):
            continue
        pattern = r"[\s\-]+".join(re.escape(word) for word in core.split())
        pattern += r"\w*" if prefix else ""
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


def classify(record: Record, watch: Watch) -> Classification:
    """Decide relevance and topics of a record against the watch.

    The headline and excerpt count fully; the body counts when it mentions a
    group's terms at least ``MIN_BODY_MENTIONS_FOR_TOPIC`` times, for relevance
    groups and topics alike.
    """
    head = f"{record.title}\n{record.excerpt}"
    text = f"{head}\n{record.body}"
    topics = tuple(
        label
        for label, pattern in watch._topic_patterns.items()
        if pattern.search(head) or len(pattern.findall(record.body)) >= MIN_BODY_MENTIONS_FOR_TOPIC
    )
    if watch.accepts_all:
        return Classification(True, topics, "the watch accepts every article")
    if watch._exclude_pattern is not None:
        excluded = watch._exclude_pattern.search(text)
        if excluded:
            return Classification(False, topics, f"excluded term {excluded.group(0)!r}")
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
    return Classification(True, topics, "matches every group of the watch")
