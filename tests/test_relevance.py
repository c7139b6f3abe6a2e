"""Tests for extractors.relevance: term matching, the watch's groups, excludes and topics."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.record import Record
from extractors.relevance import MIN_BODY_MENTIONS_FOR_TOPIC, Watch, classify, compile_terms
from extractors.text import text_to_record

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "documents"

AI_GOVERNANCE = Watch(
    name="ai-governance",
    match_all={
        "ai": ("AI", "KI", "artificial intelligence", "machine learning"),
        "governance": ("regulat*", "governance", "law", "treaty", "policy"),
    },
    exclude=("recipe", "pancake*"),
    topics={
        "AI": ("AI", "artificial intelligence"),
        "Export controls": ("export control*", "chip*"),
        "EU AI Act": ("AI Act",),
    },
)


def _record(title: str = "", excerpt: str = "", body: str = "") -> Record:
    return Record(title=title, excerpt=excerpt, body=body)


def _matches(terms: list[str], text: str) -> list[str]:
    return compile_terms(terms).findall(text)


# --- case rules --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["AI rules", "new AI.", "(AI)", "AI-generated images", "the AI’s limits", "AI's limits", "AI"],
)
def test_short_capital_term_matches_the_acronym(text: str) -> None:
    assert _matches(["AI"], text) == ["AI"]


@pytest.mark.parametrize(
    "text",
    ["he said so", "ai rules", "Ai rules", "OpenAI launches", "AIs", "A.I.", "MAIL", "Thai food"],
)
def test_short_capital_term_does_not_match_lowercase_or_inside_words(text: str) -> None:
    assert _matches(["AI"], text) == []


def test_german_ki_is_case_sensitive() -> None:
    assert _matches(["KI"], "Das KI-Gesetz der EU") == ["KI"]
    assert _matches(["KI"], "Kino und Kiosk, ki") == []


def test_longer_terms_match_case_insensitively() -> None:
    assert _matches(["artificial intelligence"], "Artificial Intelligence") == [
        "Artificial Intelligence"
    ]
    assert _matches(["governance"], "GOVERNANCE") == ["GOVERNANCE"]


def test_multiword_terms_allow_any_spaces_or_hyphens() -> None:
    assert len(_matches(["artificial intelligence"], "artificial  intelligence")) == 1
    assert len(_matches(["artificial intelligence"], "artificial-intelligence")) == 1
    assert len(_matches(["artificial intelligence"], "artificial\nintelligence")) == 1
    assert _matches(["artificial intelligence"], "artificialintelligence") == []


@pytest.mark.parametrize(
    "word", ["regulation", "regulators", "Regulatory", "regulate", "REGULATED"]
)
def test_prefix_term_matches_word_endings(word: str) -> None:
    assert _matches(["regulat*"], f"The {word} matters") == [word]


@pytest.mark.parametrize("word", ["deregulation", "overregulate", "regula"])
def test_prefix_term_matches_only_at_word_start(word: str) -> None:
    assert _matches(["regulat*"], f"The {word} matters") == []


def test_terms_are_whole_words() -> None:
    assert _matches(["law"], "lawmakers and outlaws") == []
    assert _matches(["law"], "the new law, passed") == ["law"]


def test_regex_metacharacters_in_terms_are_literal() -> None:
    assert _matches(["C++"], "written in C++ today") == ["C++"]
    assert _matches(["a.i"], "aXi") == []


def test_blank_terms_match_nothing() -> None:
    assert compile_terms([]).search("anything at all") is None
    assert compile_terms(["", "   "]).search("anything at all") is None


def test_bare_wildcard_term_matches_nothing() -> None:
    assert compile_terms(["*"]).search("anything at all") is None


# --- groups and exclude -----------------------------------------------------------


def test_every_group_needs_a_term() -> None:
    verdict = classify(_record("AI summit opens in Paris"), AI_GOVERNANCE)

    assert not verdict.on_topic
    assert "governance" in verdict.reason


def test_groups_may_match_in_title_excerpt_or_body() -> None:
    record = _record(
        title="Regulators meet in Brussels",
        body="They discussed artificial intelligence for hours. AI firms sent observers.",
    )

    verdict = classify(record, AI_GOVERNANCE)

    assert verdict.on_topic
    assert verdict.reason == "matches every group of the watch"


def test_one_passing_mention_in_the_body_does_not_make_the_story() -> None:
    body = (
        "Container volumes fell by four percent this year, the port authority said. "
        "From 2027, AI-steered straddle carriers are to run at the terminal. "
        "The new law on port fees takes effect in spring, and a second law follows."
    )
    passing = _record("Port loses container traffic", body=body)
    headline = _record("Port bets on AI as container traffic falls", body=body)

    assert not classify(passing, AI_GOVERNANCE).on_topic
    assert "group ai" in classify(passing, AI_GOVERNANCE).reason
    assert classify(headline, AI_GOVERNANCE).on_topic


def test_no_group_matched_names_every_missing_group() -> None:
    verdict = classify(_record("Football results"), AI_GOVERNANCE)

    assert not verdict.on_topic
    assert "ai" in verdict.reason and "governance" in verdict.reason


def test_exclude_term_rejects_even_when_groups_match() -> None:
    record = _record("AI law passes", body="Also: the best fluffy pancakes recipe.")

    verdict = classify(record, AI_GOVERNANCE)

    assert not verdict.on_topic
    assert "pancakes" in verdict.reason


def test_lowercase_ai_in_words_does_not_make_an_article_on_topic() -> None:
    record = _record("Thai chef said the main dish needs regulation of heat")

    assert not classify(record, AI_GOVERNANCE).on_topic


def test_german_article_matches_through_ki() -> None:
    record = _record(
        "Bundestag berät KI-Gesetz",
        body="Die Regulierung ist umstritten; policy debate, policy paper.",
    )

    assert classify(record, AI_GOVERNANCE).on_topic


@pytest.mark.parametrize(
    ("prefix", "on_topic"),
    [("001", True), ("002", False), ("003", True), ("004", True)],
)
def test_seed_documents(prefix: str, on_topic: bool) -> None:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    record = text_to_record(path.read_text(encoding="utf-8"))

    # 002 opens with a pancake-recipe blurb, which the exclude list catches
    assert classify(record, AI_GOVERNANCE).on_topic is on_topic


# --- topics ---------------------------------------------------------------------


def test_topic_from_a_single_head_mention() -> None:
    verdict = classify(_record("Chip export rules tighten", excerpt="AI governance"), AI_GOVERNANCE)

    assert "Export controls" in verdict.topics
    assert "AI" in verdict.topics


def test_topic_needs_two_body_mentions() -> None:
    assert MIN_BODY_MENTIONS_FOR_TOPIC == 2
    once = _record("AI law passes", body="One passing mention of a chip.")
    twice = _record("AI law passes", body="A chip here. More chips there.")

    assert "Export controls" not in classify(once, AI_GOVERNANCE).topics
    assert "Export controls" in classify(twice, AI_GOVERNANCE).topics


def test_topics_keep_watch_order() -> None:
    record = _record("AI Act and chip export controls", body="")

    assert classify(record, AI_GOVERNANCE).topics == ("AI", "Export controls", "EU AI Act")


def test_topics_are_reported_for_rejected_articles_too() -> None:
    verdict = classify(_record("AI summit"), AI_GOVERNANCE)

    assert not verdict.on_topic
    assert verdict.topics == ("AI",)


# --- empty watch ----------------------------------------------------------------


def test_empty_watch_accepts_everything() -> None:
    watch = Watch()

    assert watch.accepts_all
    verdict = classify(_record("Fluffy pancakes recipe"), watch)
    assert verdict.on_topic
    assert verdict.topics == ()


def test_watch_with_only_empty_groups_accepts_everything() -> None:
    watch = Watch(match_all={"ai": ()})

    assert watch.accepts_all
    assert classify(_record("Anything"), watch).on_topic


def test_topics_only_watch_accepts_everything_but_still_labels() -> None:
    watch = Watch(topics={"AI": ("AI",)})

    verdict = classify(_record("Weather", body="AI here and AI there."), watch)

    assert verdict.on_topic
    assert verdict.topics == ("AI",)


def test_exclude_only_watch_rejects_excluded_and_accepts_the_rest() -> None:
    watch = Watch(exclude=("recipe",))

    assert not watch.accepts_all
    assert not classify(_record("A recipe"), watch).on_topic
    assert classify(_record("A law"), watch).on_topic
