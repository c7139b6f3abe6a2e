"""Tests for extractors.article (extract_document, build_article) and extractors.quality."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from extractors.article import ExtractionError, build_article, extract_document
from extractors.fingerprint import content_hash
from extractors.quality import quality_score
from extractors.record import Image, Provider, Record
from extractors.relevance import Watch
from extractors.seedformat import parse_seed_document
from extractors.urls import article_id
from tests.support.paths import SEEDS

SEED_000 = SEEDS / "000_1866282a761c14d8.txt"
FETCHED = datetime(2024, 3, 14, 12, 0, tzinfo=UTC)
WATCH = Watch(
    name="ai-governance",
    match_all={"ai": ("AI", "artificial intelligence")},
    topics={"AI": ("AI",), "Chips": ("chip*",)},
)

HTML = (
    b"<!DOCTYPE html><html><head><title>AI rules - Example</title></head><body><article>"
    + b"".join(
        b"<p>Paragraph %d says lawmakers agreed new AI rules for the whole bloc today.</p>" % i
        for i in range(5)
    )
    + b"</article></body></html>"
)
TEXT = b"Plain headline\n\nA first paragraph that is long enough to become the excerpt here."
# Read as HTML, a page needs some text to count as an article at all.
LONG_TEXT = TEXT + b" The ministers agreed to meet again in spring to review the rules." * 6


def _seed_bytes() -> bytes:
    return SEED_000.read_bytes()


def _seed_record() -> Record:
    return parse_seed_document(SEED_000.read_text(encoding="utf-8"))


def _words(count: int, word: str = "word") -> str:
    return " ".join([word] * count)


# --- extract_document: choosing the extractor ------------------------------------


@pytest.mark.parametrize(
    ("content", "url", "media_type", "kind"),
    [
        (HTML, "https://x.example.com/a", "text/html", "html"),
        (HTML, "https://x.example.com/a", "application/xhtml+xml", "html"),
        (HTML, "https://x.example.com/a", "", "html"),  # sniffed
        (HTML, "file:///docs/page.html", "", "html"),
        (HTML, "file:///docs/page.HTM", "", "html"),
        (HTML, "https://x.example.com/a.txt", "text/html", "html"),  # media type wins
        (LONG_TEXT, "file:///docs/page.html", "", "html"),  # suffix says html
        (TEXT, "file:///docs/note.txt", "", "text"),
        (TEXT, "file:///docs/note.md", "", "text"),
        (TEXT, "https://x.example.com/a", "text/plain", "text"),
        (TEXT, "https://x.example.com/a", "text/markdown", "text"),
        (TEXT, "https://x.example.com/article", "", "text"),
        (b"---\ntitle: Seed\n---\nBody", "file:///docs/rec.md", "", "seed"),
        # The seed format is for local files: fetched text is plain text whatever it starts with.
        (b"---\ntitle: Seed\n---\nBody", "https://x.example.com/a", "text/plain", "text"),
    ],
)
def test_extract_document_picks_extractor_by_media_type_suffix_and_content(
    content: bytes, url: str, media_type: str, kind: str
) -> None:
    record, got_kind = extract_document(content, url=url, fetched_at=FETCHED, media_type=media_type)

    assert got_kind == kind
    assert isinstance(record, Record)


def test_extract_document_reads_seed_000_as_seed() -> None:
    record, kind = extract_document(_seed_bytes(), url=SEED_000.as_uri(), fetched_at=FETCHED)

    assert kind == "seed"
    assert record == _seed_record()


def test_extract_document_html_gives_page_record() -> None:
    record, _ = extract_document(
        HTML, url="https://x.example.com/news/ai-rules", fetched_at=FETCHED, media_type="text/html"
    )

    assert record.title == "AI rules"
    assert "Paragraph 3 says lawmakers" in record.body


def test_extract_document_text_gives_text_record_with_url() -> None:
    record, kind = extract_document(TEXT, url="file:///docs/note.txt", fetched_at=FETCHED)
    article = build_article(record, source="s", fetched_at=FETCHED, watch=Watch(), input_kind=kind)

    # The headline of plain text is found by the cleaner, not by the text reader.
    assert record.title == ""
    assert article.record.title == "Plain headline"
    assert record.original_url == record.web_url == "file:///docs/note.txt"


def test_extract_document_uses_charset_for_text() -> None:
    content = "Café headline\n\nThe café’s owner is worried about the new AI law.".encode("cp1252")

    record, kind = extract_document(
        content, url="file:///docs/x.txt", fetched_at=FETCHED, charset="windows-1252"
    )
    article = build_article(record, source="s", fetched_at=FETCHED, watch=Watch(), input_kind=kind)

    assert article.record.title == "Café headline"


@pytest.mark.parametrize(
    ("url", "media_type"),
    [
        ("https://x.example.com/report.pdf", "application/pdf"),
        ("https://x.example.com/a", "image/png"),
        ("https://x.example.com/a", "application/json"),
        ("https://x.example.com/a", "application/octet-stream"),
        ("file:///docs/report.pdf", ""),
        ("file:///docs/data.json", ""),
        ("file:///docs/photo.jpg", ""),
    ],
)
def test_unsupported_types_raise_extraction_error(url: str, media_type: str) -> None:
    with pytest.raises(ExtractionError, match="unsupported"):
        extract_document(b"some bytes", url=url, fetched_at=FETCHED, media_type=media_type)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"---\ntitle: [unclosed\n---\nbody", "front matter"),
        (b"---\ntitle: x\n", "not closed"),
        (b"---\nquality: high\n---\n", "quality"),
    ],
)
def test_bad_text_or_seed_input_raises_extraction_error_naming_the_problem(
    content: bytes, message: str
) -> None:
    with pytest.raises(ExtractionError, match=message):
        extract_document(content, url="file:///docs/bad.md", fetched_at=FETCHED)


def test_broken_seed_error_names_the_file() -> None:
    with pytest.raises(ExtractionError, match=r"file:///docs/bad\.md"):
        extract_document(
            b"---\nquality: high\n---\n", url="file:///docs/bad.md", fetched_at=FETCHED
        )


# --- build_article ---------------------------------------------------------------


def _page(**changes: object) -> Record:
    base = Record(
        title="",
        body="Tiny teaser.",
        web_url="https://www.example.com/a/b?utm_source=x",
        published_at=datetime(2024, 3, 13, tzinfo=UTC),
    )
    return base.with_changes(**changes)


def _hint(**changes: object) -> Record:
    base = Record(
        title="AI Act passes",
        body=_words(60, "AI"),
        excerpt="Feed excerpt",
        published_at=datetime(2024, 3, 13, 9, 30, tzinfo=UTC),
        provider=Provider("Feed Name", "example.com"),
        images=(Image("https://www.example.com/i.jpg"),),
    )
    return base.with_changes(**changes)


def test_hint_fills_title_excerpt_images_and_provider() -> None:
    article = build_article(
        _page(), source="src", fetched_at=FETCHED, watch=WATCH, input_kind="html", hint=_hint()
    )

    assert article.record.title == "AI Act passes"
    assert article.record.excerpt == "Feed excerpt"
    assert article.record.images == (Image("https://www.example.com/i.jpg"),)
    assert article.record.provider == Provider("Feed Name", "example.com")


def test_hint_supplies_time_of_day_for_midnight_page_date_of_same_day() -> None:
    article = build_article(
        _page(), source="src", fetched_at=FETCHED, watch=WATCH, input_kind="html", hint=_hint()
    )

    assert article.record.published_at == datetime(2024, 3, 13, 9, 30, tzinfo=UTC)


def test_page_midnight_date_of_another_day_is_kept() -> None:
    page = _page(published_at=datetime(2024, 3, 12, tzinfo=UTC))

    article = build_article(
        page, source="src", fetched_at=FETCHED, watch=WATCH, input_kind="html", hint=_hint()
    )

    assert article.record.published_at == datetime(2024, 3, 12, tzinfo=UTC)


def test_page_date_with_time_of_day_wins_over_hint() -> None:
    page = _page(published_at=datetime(2024, 3, 13, 8, 0, tzinfo=UTC))

    article = build_article(
        page, source="src", fetched_at=FETCHED, watch=WATCH, input_kind="html", hint=_hint()
    )

    assert article.record.published_at == datetime(2024, 3, 13, 8, 0, tzinfo=UTC)


def test_missing_page_date_is_taken_from_hint() -> None:
    article = build_article(
        _page(published_at=None),
        source="src",
        fetched_at=FETCHED,
        watch=WATCH,
        input_kind="html",
        hint=_hint(),
    )

    assert article.record.published_at == datetime(2024, 3, 13, 9, 30, tzinfo=UTC)


def test_tiny_page_body_is_replaced_by_feed_body() -> None:
    article = build_article(
        _page(), source="src", fetched_at=FETCHED, watch=WATCH, input_kind="html", hint=_hint()
    )

    assert article.record.body == _hint().body


def test_real_page_body_and_title_win_over_hint() -> None:
    page = _page(title="Page title", body=_words(40, "page"))

    article = build_article(
        page, source="src", fetched_at=FETCHED, watch=WATCH, input_kind="html", hint=_hint()
    )

    assert article.record.title == "Page title"
    assert article.record.body == _words(40, "page")


def test_build_article_canonicalises_web_url_and_sets_ids() -> None:
    article = build_article(
        _page(),
        source="src",
        fetched_at=FETCHED,
        watch=WATCH,
        input_kind="html",
        original_url="https://feeds.example.com/item?id=1",
    )

    assert article.record.web_url == "https://www.example.com/a/b"
    assert article.record.original_url == "https://feeds.example.com/item?id=1"
    assert article.url_key == "example.com/a/b"
    assert article.id == article_id("https://example.com/a/b")
    assert article.record.provider.domain == "example.com"
    assert article.source == "src"
    assert article.fetched_at == FETCHED
    assert article.input_kind == "html"


def test_configured_provider_overrides_page_provider() -> None:
    page = _page(provider=Provider("Page Name", "page.example"))

    article = build_article(
        page,
        source="src",
        fetched_at=FETCHED,
        watch=WATCH,
        input_kind="html",
        provider=Provider("Configured", "configured.example"),
    )

    assert article.record.provider == Provider("Configured", "configured.example")


def test_seed_file_keeps_its_own_topics_and_quality() -> None:
    article = build_article(
        _seed_record(),
        source="seed-documents",
        fetched_at=FETCHED,
        watch=Watch(topics={"Chips": ("chip*",), "Cooperation": ("cooperation",)}),
        input_kind="seed",
        original_url=SEED_000.as_uri(),
    )

    assert article.record.topics == ("AI",)
    assert article.record.quality == 37
    assert article.record.original_url == SEED_000.as_uri()
    assert article.record.web_url == (
        "https://www.foreignaffairs.com/premature-quest-international-ai-cooperation"
    )
    assert article.id == article_id(article.record.web_url)
    assert article.content_hash is None  # metadata-only seed: no body


def test_seed_without_topics_or_quality_gets_computed_ones() -> None:
    record = _seed_record().with_changes(topics=(), quality=0)

    article = build_article(
        record, source="seeds", fetched_at=FETCHED, watch=WATCH, input_kind="seed"
    )

    assert article.record.topics == ("AI",)
    assert article.record.quality == quality_score(article.record)


def test_non_seed_input_gets_computed_topics_and_quality() -> None:
    article = build_article(
        _seed_record(), source="x", fetched_at=FETCHED, watch=Watch(), input_kind="html"
    )

    assert article.record.topics == ()
    assert article.record.quality == quality_score(article.record)


def test_relevance_verdict_is_recorded() -> None:
    on = build_article(
        _page(title="AI Act passes"), source="s", fetched_at=FETCHED, watch=WATCH, input_kind="html"
    )
    off = build_article(
        _page(title="Football results"),
        source="s",
        fetched_at=FETCHED,
        watch=WATCH,
        input_kind="html",
    )

    assert on.on_topic and not off.on_topic
    assert off.relevance_reason.startswith("no term of group")


def test_file_url_record_keeps_file_url_and_empty_provider() -> None:
    article = build_article(
        Record(title="x", original_url="file:///docs/x.txt"),
        source="folder",
        fetched_at=FETCHED,
        watch=Watch(),
        input_kind="text",
    )

    assert article.record.web_url == "file:///docs/x.txt"
    assert article.url_key == "file:///docs/x.txt"
    assert article.record.provider == Provider()


def test_content_hash_present_for_long_bodies_and_blind_to_case_and_punctuation() -> None:
    body = " ".join(f"Word{i}," for i in range(30))
    first = build_article(
        _page(body=body), source="s", fetched_at=FETCHED, watch=WATCH, input_kind="html"
    )
    second = build_article(
        _page(body=body.upper().replace(",", " ;")),
        source="s",
        fetched_at=FETCHED,
        watch=WATCH,
        input_kind="html",
    )

    assert first.content_hash is not None
    assert first.content_hash == second.content_hash
    assert content_hash("too short") is None


# --- quality ---------------------------------------------------------------------


def _complete_record(words: int = 450) -> Record:
    return Record(
        title="A complete article",
        body=_words(words),
        excerpt="An excerpt.",
        published_at=datetime(2024, 3, 13, 9, 30, tzinfo=UTC),
        web_url="https://www.example.com/a",
        provider=Provider("Example", "example.com"),
        images=(Image("https://www.example.com/i.jpg", 1200, 630),),
    )


def test_quality_of_empty_record_is_zero() -> None:
    assert quality_score(Record()) == 0


def test_quality_of_complete_record_is_100() -> None:
    assert quality_score(_complete_record()) == 100


def test_quality_of_seed_000_metadata_only_record_is_mid_range() -> None:
    score = quality_score(_seed_record())

    # everything but a body (and so no cleanliness either): 10 + 12 + 8 + 4 + 6 + 5
    assert score == 45


def test_quality_of_seed_text_record_is_low_without_metadata() -> None:
    record, _ = extract_document(
        (SEEDS / "003_1f29b1ebc0e135c8.txt").read_bytes(),
        url="file:///seeds/003.txt",
        fetched_at=FETCHED,
    )

    assert 40 <= quality_score(record) < 70


@pytest.mark.parametrize("words", [0, 1, 9, 10, 100, 399, 400, 401, 10_000])
def test_quality_is_bounded_and_monotonic_in_body_length(words: int) -> None:
    score = quality_score(_complete_record(words))
    more = quality_score(_complete_record(words + 50))

    assert 0 <= score <= 100
    assert more >= score


def test_each_missing_part_lowers_quality() -> None:
    full = quality_score(_complete_record())
    for change in (
        {"title": "  "},
        {"body": ""},
        {"published_at": None},
        {"provider": Provider("", "example.com")},
        {"provider": Provider("Example", "")},
        {"excerpt": ""},
        {"images": ()},
        {"web_url": "file:///x.txt"},
    ):
        assert quality_score(_complete_record().with_changes(**change)) < full, change


def _sentences(count: int) -> list[str]:
    return [
        f"Sentence {index} reports what the ministers agreed about the rules today."
        for index in range(count)
    ]


def test_quality_drops_with_menu_fragments_left_in_the_body() -> None:
    clean = _complete_record().with_changes(body="\n\n".join(_sentences(40)))
    littered = clean.with_changes(
        body="\n\n".join(
            ["Home", "World", "Business", "Sign in", *_sentences(40), "Share", "Tweet"]
        )
    )

    assert quality_score(clean) == 100
    assert quality_score(littered) < quality_score(clean)


def test_quality_drops_with_bare_links_and_with_heavy_removal() -> None:
    clean = _complete_record().with_changes(body="\n\n".join(_sentences(40)))
    linked = clean.with_changes(
        body="\n\n".join(
            [*_sentences(38), "More at https://example.com/x", "Mail tips@example.com"]
        )
    )

    assert quality_score(linked) < quality_score(clean)
    assert quality_score(clean, removed_lines=40) < quality_score(clean, removed_lines=2)


def test_quality_of_an_article_with_subheadings_and_lists_stays_high() -> None:
    body = (
        ["Background"]
        + _sentences(15)
        + ["What changes"]
        + [f"• Point {index} of the new rules" for index in range(5)]
        + _sentences(15)
    )
    record = _complete_record().with_changes(body="\n\n".join(body))

    assert quality_score(record) >= 95


GERMAN_TEXT = (
    "Bundestag berät KI-Gesetz\n\n"
    "Der Bundestag hat am Donnerstag in erster Lesung über das Gesetz zur Umsetzung der "
    "europäischen KI-Verordnung beraten. Die Aufsicht soll bei der Bundesnetzagentur liegen, "
    "die dafür zusätzliche Stellen erhält. Kritiker bemängeln, dass die Länder kaum beteiligt "
    "werden und die Fristen für Unternehmen zu knapp bemessen sind."
).encode()


@pytest.mark.parametrize(
    ("data", "url", "language"),
    [
        (GERMAN_TEXT, "file:///in/bundestag.txt", "de"),
        (LONG_TEXT, "file:///in/plain.txt", "en"),
    ],
)
def test_text_record_without_a_declared_language_is_named_from_its_text(
    data: bytes, url: str, language: str
) -> None:
    record, kind = extract_document(data, url=url, fetched_at=FETCHED)
    assert record.language is None  # plain text declares nothing

    article = build_article(
        record, source="folder", fetched_at=FETCHED, watch=WATCH, input_kind=kind
    )

    assert article.record.language == language


def test_declared_language_is_kept() -> None:
    record, kind = extract_document(LONG_TEXT, url="file:///in/plain.txt", fetched_at=FETCHED)

    article = build_article(
        record.with_changes(language="fr"),
        source="folder",
        fetched_at=FETCHED,
        watch=WATCH,
        input_kind=kind,
    )

    assert article.record.language == "fr"
