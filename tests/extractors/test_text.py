"""Tests for extractors.text: plain article text to a record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from extractors.article import build_article
from extractors.record import Record
from extractors.relevance import Watch
from extractors.text import (
    MAX_EXCERPT_CHARS,
    SENTENCE_END,
    join_paragraphs,
    looks_like_title,
    make_excerpt,
    normalise_text,
    split_paragraphs,
    text_to_record,
    truncate,
)
from tests.support.paths import SEEDS

CLEANED_AT = datetime(2026, 11, 1, tzinfo=UTC)


def _seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def _paragraphs(body: str) -> list[str]:
    return body.split("\n\n") if body else []


# --- the seeds ---------------------------------------------------------------


def _cleaned(text: str, url: str = "file:///seeds/x.txt") -> Record:
    """The text after the cleaner, which finds the headline of plain text."""
    record = text_to_record(text, url=url)
    return build_article(
        record, source="t", fetched_at=CLEANED_AT, watch=Watch(), input_kind="text"
    ).record


def test_seed_001_title_is_its_first_line() -> None:
    record = _cleaned(_seed("001"), url="file:///seeds/001.txt")

    assert record.title == (
        "Charting a Course for AI Harmony: China’s Bold Initiative Takes Center Stage at UN"
    )
    assert record.title not in record.body
    assert record.original_url == record.web_url == "file:///seeds/001.txt"


def test_seed_001_keeps_bullets_and_closing_paragraphs() -> None:
    paragraphs = _paragraphs(text_to_record(_seed("001")).body)

    assert "• Global AI cooperation crucial for ethical development." in paragraphs
    assert "• UN resolution signifies milestone in international AI governance." in paragraphs
    assert any(
        p.startswith("By advocating for enhanced international collaboration") for p in paragraphs
    )


def test_seed_001_nbsp_is_folded_and_stripped() -> None:
    record = text_to_record(_seed("001"))

    assert "\u00a0" not in record.body
    assert (
        "China has announced its intention to present a draft resolution to the United Nations "
        "aimed at fostering international cooperation in the field of artificial intelligence (AI)."
    ) in _paragraphs(record.body)


def test_seed_003_title_is_first_line_and_repeats_are_not_in_body() -> None:
    raw = text_to_record(_seed("003"))
    record = _cleaned(_seed("003"))
    title = "China proposes new international body for global AI cooperation"

    assert record.title == title
    assert title not in _paragraphs(record.body)
    assert record.body.count(title) == 0
    # text_to_record drops no line (boilerplate is the cleaner's job); NBSPs become spaces
    assert "Jul 26, 2025 - 16:45" in _paragraphs(raw.body)
    assert "Jul 26, 2025 - 16:45" not in _paragraphs(record.body)


def test_seed_003_excerpt_is_the_lede() -> None:
    record = _cleaned(_seed("003"))

    assert record.excerpt.startswith("China announced on Saturday its intention")
    assert len(record.excerpt) <= MAX_EXCERPT_CHARS


@pytest.mark.parametrize("prefix", ["002", "004"])
def test_seed_whose_first_line_is_a_sentence_gets_no_title(prefix: str) -> None:
    text = _seed(prefix)
    record = text_to_record(text)

    assert record.title == ""
    assert _paragraphs(record.body)[0] == text.splitlines()[0].strip()


@pytest.mark.parametrize("prefix", ["001", "002", "003", "004"])
def test_seed_paragraphs_are_separated_by_one_blank_line(prefix: str) -> None:
    text = _seed(prefix)
    record = text_to_record(text)
    paragraphs = _paragraphs(record.body)

    assert paragraphs
    assert all(p and p == p.strip() and "\n" not in p for p in paragraphs)
    assert "\n\n\n" not in record.body
    # no real line is lost: every non-blank source line (except title copies) is a paragraph
    source_lines = [
        " ".join(line.replace("\u00a0", " ").split()) for line in text.splitlines() if line.strip()
    ]
    assert [line for line in source_lines if line != record.title] == paragraphs


@pytest.mark.parametrize("prefix", ["001", "002", "003", "004"])
def test_seed_excerpt_is_at_most_300_characters(prefix: str) -> None:
    record = text_to_record(_seed(prefix))

    assert 0 < len(record.excerpt) <= 300


def test_seed_004_long_lede_is_truncated_at_a_word_with_ellipsis() -> None:
    record = text_to_record(_seed("004"))
    lede = _seed("004").splitlines()[0]

    assert len(lede) > 300
    assert record.excerpt.endswith("…")
    assert lede.startswith(record.excerpt[:-1])
    assert lede[len(record.excerpt) - 1] == " "


# --- line endings and whitespace ---------------------------------------------


def test_crlf_and_cr_line_endings_split_like_lf() -> None:
    lf = "Headline here\n\nFirst paragraph of the story.\nSecond paragraph of the story."
    crlf = lf.replace("\n", "\r\n")
    cr = lf.replace("\n", "\r")

    assert text_to_record(crlf) == text_to_record(lf)
    assert text_to_record(cr) == text_to_record(lf)
    assert "\r" not in text_to_record(crlf).body


def test_nbsp_and_odd_spaces_become_single_spaces() -> None:
    text = "Title\u00a0with\u2009thin space\n\n\u00a0\u00a0Body\u00a0 \t text\u202fhere.\u00a0"

    record = _cleaned(text)

    assert record.title == "Title with thin space"
    assert record.body == "Body text here."


def test_bom_and_soft_hyphen_are_removed() -> None:
    assert normalise_text("\ufeffregu\u00adlation") == "regulation"


def test_decomposed_unicode_is_composed() -> None:
    assert normalise_text("re\u0301sume\u0301") == "résumé"


def test_whitespace_only_lines_are_not_paragraphs() -> None:
    assert split_paragraphs("one\n \n\u00a0\n\t\ntwo\n\n\n") == ["one", "two"]


def test_every_line_is_a_paragraph_whether_or_not_blank_lines_separate_them() -> None:
    assert split_paragraphs("a\nb\n\nc") == ["a", "b", "c"]
    assert join_paragraphs(["a", "b", "c"]) == "a\n\nb\n\nc"


# --- title, excerpt, truncate -------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("China proposes new international body for global AI cooperation", True),
        ("Charting a Course for AI Harmony: China’s Bold Initiative", True),
        ("This is a sentence.", False),
        ("A list begins:", False),
        ("He said “it is done.”", False),
        ("", False),
        ("x" * 201, False),
        ("x" * 200, True),
    ],
)
def test_looks_like_title(line: str, expected: bool) -> None:
    assert looks_like_title(line) is expected


def test_question_headline_on_first_line_becomes_the_title() -> None:
    text = "Will the EU AI Act slow down innovation?\n\nThe law's first obligations apply from February, and companies are still unsure."

    assert _cleaned(text).title == "Will the EU AI Act slow down innovation?"


def test_text_without_title_line_keeps_all_lines() -> None:
    record = text_to_record("This opens with a sentence.\nAnother sentence follows here.")

    assert record.title == ""
    assert record.body == "This opens with a sentence.\n\nAnother sentence follows here."


def test_title_only_text_has_empty_body_and_excerpt() -> None:
    record = _cleaned("Only a headline\n\n")

    assert record.title == "Only a headline"
    assert record.body == ""
    assert record.excerpt == ""


def test_empty_text_gives_an_empty_record() -> None:
    record = text_to_record("  \n\n ")

    assert (record.title, record.body, record.excerpt) == ("", "", "")


def test_make_excerpt_skips_short_lines_and_the_title() -> None:
    long_para = "A paragraph that is comfortably longer than forty characters in total."

    assert (
        make_excerpt(
            ["Short line", "Title that is repeated here and long enough ok", long_para],
            "Title that is repeated here and long enough ok",
        )
        == long_para
    )
    assert make_excerpt(["tiny", "also tiny"]) == ""


@pytest.mark.parametrize("limit", [10, 50, 299, 300])
def test_truncate_respects_the_limit_and_cuts_at_a_word(limit: int) -> None:
    text = " ".join(f"word{i}" for i in range(200))

    cut = truncate(text, limit)

    assert len(cut) <= limit
    assert cut.endswith("…")
    assert text.startswith(cut[:-1])
    assert text[len(cut) - 1] == " "


def test_truncate_leaves_short_text_alone_and_handles_unbroken_text() -> None:
    assert truncate("short", 300) == "short"
    unbroken = "x" * 400
    assert len(truncate(unbroken, 300)) <= 300


def test_truncate_does_not_leave_trailing_punctuation_before_ellipsis() -> None:
    assert truncate("alpha beta, gamma delta epsilon", 13) == "alpha beta…"


@pytest.mark.parametrize(
    "line",
    [
        "Der Bürgermeister sagte: „Die Fähre fährt ab Montag wieder.“",
        "Der Bürgermeister sagte: »Die Fähre fährt ab Montag wieder.«",
        "Le maire a dit : « Le bac reprend lundi. »",
        "Der Hafenmeister sagte: ‹Die Fähre fährt wieder.›",
    ],
)
def test_a_stop_inside_closing_quotes_of_any_language_ends_a_sentence(line: str) -> None:
    # German and French quotes close with “ « » ›: such paragraphs were taken for fragments.
    assert SENTENCE_END.search(line)
    assert not looks_like_title(line)
