"""Tests for extractors.seedformat: reading and writing seed-format documents."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from extractors.article import extract_document
from extractors.html import ExtractionError
from extractors.record import Image, Provider, Record
from extractors.seedformat import (
    SeedFormatError,
    dump_seed_document,
    has_front_matter,
    parse_seed_document,
    record_from_mapping,
    split_front_matter,
)
from tests.support.paths import SEEDS

SEED_000 = SEEDS / "000_1866282a761c14d8.txt"
FETCHED = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)


def _seed_000() -> str:
    return SEED_000.read_text(encoding="utf-8")


def _front_matter_of(text: str) -> str:
    """The YAML between the first two '---' lines, found independently of the module."""
    lines = text.splitlines()
    assert lines[0] == "---"
    end = lines.index("---", 1)
    return "\n".join(lines[1:end])


# --- seed 000 round trip ------------------------------------------------------


def test_seed_000_fields_are_read_with_their_types() -> None:
    record = parse_seed_document(_seed_000(), name=SEED_000.name)

    assert record.category == "news"
    assert record.title == "The Premature Quest for International AI Cooperation"
    assert record.excerpt.startswith("From city halls to international organizations")
    assert record.published_at == datetime(2023, 12, 21, 5, 48, tzinfo=UTC)
    assert record.original_url == (
        "https://www.foreignaffairs.com/premature-quest-international-ai-cooperation"
    )
    assert record.web_url == record.original_url
    assert record.type == "article"
    assert record.quality == 37
    assert record.heat == -1
    assert record.published is False
    assert record.provider == Provider(name="Foreign Affairs", domain="foreignaffairs.com")
    assert record.topics == ("AI",)
    assert record.images == (
        Image(
            url="https://cdn-live.foreignaffairs.com/sites/default/files/styles/social_share/public/images/2023/12/18/RTSPUK66.JPG?itok=9QxIgqOj",
            width=1200,
            height=630,
            is_cached=True,
        ),
    )
    assert record.secured is not None
    assert record.secured.startswith("+G1p9t6hIeKFkAgDMNeIqlG1zDuh")
    assert record.secured.endswith(";ojb1DpOJB7tB+QgYW0GNYg==")
    assert record.body == ""
    assert record.extra == {}


def test_seed_000_related_entry_keeps_amp_and_cdn_urls_and_nested_fields() -> None:
    record = parse_seed_document(_seed_000())

    assert len(record.related) == 1
    related = record.related[0]
    assert related["webUrl"].endswith("-13543032.html")
    assert related["ampWebUrl"] == related["webUrl"] + "/amp"
    assert related["cdnAmpWebUrl"].startswith("https://www-firstpost-com.cdn.ampproject.org/c/s/")
    assert related["provider"] == {"name": "Firstpost", "domain": "firstpost.com"}
    assert related["quality"] == 59
    assert related["publishedDateTime"] == datetime(2023, 12, 25, 8, 42, tzinfo=UTC)
    assert related["images"][0]["width"] == 640
    assert related["images"][0]["isCached"] is True


def test_seed_000_read_dump_read_gives_an_equal_record() -> None:
    first = parse_seed_document(_seed_000(), name="000")
    second = parse_seed_document(dump_seed_document(first), name="000 (dumped)")

    assert second == first


def test_seed_000_dumped_front_matter_loads_to_the_same_yaml_data() -> None:
    original = _seed_000()
    dumped = dump_seed_document(parse_seed_document(original))

    original_data = yaml.safe_load(_front_matter_of(original))
    dumped_data = yaml.safe_load(_front_matter_of(dumped))

    assert dumped_data == original_data
    # spot-check the parts most likely to be mangled
    assert dumped_data["related"][0]["ampWebUrl"] == original_data["related"][0]["ampWebUrl"]
    assert dumped_data["related"][0]["cdnAmpWebUrl"] == original_data["related"][0]["cdnAmpWebUrl"]
    assert dumped_data["secured"] == original_data["secured"]
    assert dumped_data["provider"] == original_data["provider"]


def test_seed_000_dump_keeps_seed_field_order_and_layout() -> None:
    dumped = dump_seed_document(parse_seed_document(_seed_000()))
    keys = [
        line.split(":", 1)[0]
        for line in _front_matter_of(dumped).splitlines()
        if line and not line.startswith((" ", "-"))
    ]

    assert keys == [
        "category",
        "title",
        "excerpt",
        "publishedDateTime",
        "originalUrl",
        "webUrl",
        "type",
        "quality",
        "heat",
        "published",
        "provider",
        "topics",
        "images",
        "related",
        "secured",
    ]
    assert "publishedDateTime: 2023-12-21T05:48:00Z\n" in dumped
    assert "\n\nprovider:\n" in dumped  # blank line between groups, as in seed 000
    assert dumped.startswith("---\n")


def test_seed_000_dump_is_stable_on_second_round_trip() -> None:
    once = dump_seed_document(parse_seed_document(_seed_000()))
    twice = dump_seed_document(parse_seed_document(once))

    assert twice == once


# --- unknown keys, bodies, odd values -----------------------------------------


def test_unknown_keys_are_kept_in_extra_and_written_back() -> None:
    text = _seed_000().replace(
        "category: news\n",
        "category: news\nauthor: Jane Doe\ntags: [policy, un]\nsourceMeta:\n  feed: rss\n  rank: 3\n",
        1,
    )

    record = parse_seed_document(text)
    assert record.extra == {
        "author": "Jane Doe",
        "tags": ["policy", "un"],
        "sourceMeta": {"feed": "rss", "rank": 3},
    }

    dumped = dump_seed_document(record)
    data = yaml.safe_load(_front_matter_of(dumped))
    assert data["author"] == "Jane Doe"
    assert data["tags"] == ["policy", "un"]
    assert data["sourceMeta"] == {"feed": "rss", "rank": 3}
    assert parse_seed_document(dumped) == record


def test_body_is_read_after_front_matter_and_round_trips() -> None:
    text = textwrap.dedent(
        """\
        ---
        title: "Body test"
        language: de
        ---

        First paragraph.

        Second paragraph with a --- inside.

        ---

        After a horizontal rule.
        """
    )

    record = parse_seed_document(text)
    assert record.title == "Body test"
    assert record.language == "de"
    assert record.body == (
        "First paragraph.\n\nSecond paragraph with a --- inside.\n\n---\n\nAfter a horizontal rule."
    )
    assert parse_seed_document(dump_seed_document(record)) == record


def test_crlf_document_and_byte_order_mark_are_accepted() -> None:
    text = "\ufeff---\r\ntitle: CRLF\r\nquality: 5\r\n---\r\n\r\nLine one.\r\n\r\nLine two.\r\n"

    assert has_front_matter(text)
    record = parse_seed_document(text)
    assert record.title == "CRLF"
    assert record.quality == 5
    assert record.body == "Line one.\n\nLine two."


def test_front_matter_may_be_closed_by_yaml_document_end_marker() -> None:
    record = parse_seed_document("---\ntitle: Dots\n...\nBody text\n")

    assert record.title == "Dots"
    assert record.body == "Body text"


def test_empty_front_matter_gives_defaults() -> None:
    record = parse_seed_document("---\n---\nJust a body\n")

    assert record == Record(body="Just a body")


@pytest.mark.parametrize(
    "value", ["yes", "no", "on", "null", "~", "true", "123", "1.5", "", " padded ", "a: b", "#tag"]
)
def test_strings_that_look_like_other_yaml_types_survive_a_round_trip(value: str) -> None:
    record = Record(title=value, topics=(value, "AI"), extra={"note": value})

    again = parse_seed_document(dump_seed_document(record))

    assert again.title == value
    assert again.topics == (value, "AI")
    assert again.extra == {"note": value}


def test_unicode_multiline_and_microsecond_values_round_trip() -> None:
    record = Record(
        title="China’s “AI” plan — résumé 中文",
        excerpt="Line one\nLine two",
        published_at=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        provider=Provider(name="Le Monde", domain="lemonde.fr"),
        images=(Image(url="https://x.example/i.jpg"),),
        related=({"title": "Other", "webUrl": "https://x.example/o"},),
        secured="opaque==",
        body="Para 1\n\nPara 2",
    )

    assert parse_seed_document(dump_seed_document(record)) == record


def test_naive_and_offset_timestamps_are_read_as_utc() -> None:
    offset = parse_seed_document("---\npublishedDateTime: 2024-03-12T14:30:00+02:00\n---\n")
    naive = parse_seed_document("---\npublishedDateTime: 2024-03-12T14:30:00\n---\n")
    quoted = parse_seed_document('---\npublishedDateTime: "2024-03-12T14:30:00Z"\n---\n')
    day = parse_seed_document("---\npublishedDateTime: 2024-03-12\n---\n")

    assert offset.published_at == datetime(2024, 3, 12, 12, 30, tzinfo=UTC)
    assert naive.published_at == datetime(2024, 3, 12, 14, 30, tzinfo=UTC)
    assert quoted.published_at == datetime(2024, 3, 12, 14, 30, tzinfo=UTC)
    assert day.published_at == datetime(2024, 3, 12, tzinfo=UTC)


def test_numeric_title_is_read_as_text() -> None:
    assert parse_seed_document("---\ntitle: 1984\n---\n").title == "1984"


def test_record_from_mapping_accepts_plain_image_urls() -> None:
    record = record_from_mapping({"images": ["https://x.example/a.jpg"]})

    assert record.images == (Image(url="https://x.example/a.jpg"),)


# --- unsafe and broken input --------------------------------------------------


def test_python_object_tag_is_refused_and_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"---\n!!python/object/apply:os.system ['touch {marker}']\n---\nbody\n"

    with pytest.raises(SeedFormatError) as error:
        parse_seed_document(text, name="evil.md")

    assert not marker.exists()
    assert "evil.md" in str(error.value)
    assert "tag" in str(error.value)


def test_python_object_tag_inside_a_field_is_refused_and_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned-field"
    text = f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\n---\n"

    with pytest.raises(SeedFormatError, match="unsupported YAML tag"):
        parse_seed_document(text, name="evil-field.md")

    assert not marker.exists()


def test_python_object_tag_through_extract_document_raises_extraction_error(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "pwned-doc"
    content = f"---\n!!python/object/apply:os.system ['touch {marker}']\n---\n".encode()

    with pytest.raises(ExtractionError, match="evil"):
        extract_document(content, url="file:///seeds/evil.md", fetched_at=FETCHED)

    assert not marker.exists()


def test_broken_yaml_error_names_the_input_and_a_line() -> None:
    text = "---\ncategory: news\ntitle: a: b\n---\nbody\n"

    with pytest.raises(SeedFormatError) as error:
        parse_seed_document(text, name="broken.md")

    message = str(error.value)
    assert message.startswith("broken.md:")
    assert "line " in message
    assert "mapping values are not allowed" in message


def test_broken_yaml_error_reports_the_line_number_in_the_file() -> None:
    # line 1 '---', line 2 'category: news', line 3 is the broken one
    text = "---\ncategory: news\ntitle: a: b\n---\nbody\n"

    with pytest.raises(SeedFormatError) as error:
        parse_seed_document(text, name="broken.md")

    assert "line 3:" in str(error.value)


def test_unclosed_front_matter_is_an_error_naming_the_input() -> None:
    with pytest.raises(SeedFormatError, match=r"^open\.md: .*not closed"):
        parse_seed_document("---\ntitle: x\nquality: 3\n\nbody without a closing line\n", "open.md")


def test_document_without_front_matter_is_not_a_seed_document() -> None:
    with pytest.raises(SeedFormatError, match=r"^plain\.txt: no front matter"):
        split_front_matter("Just text\n---\n", "plain.txt")


def test_front_matter_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(SeedFormatError, match="mapping"):
        parse_seed_document("---\n- a\n- b\n---\n", "list.md")


@pytest.mark.parametrize(
    ("field_yaml", "field_name"),
    [
        ('quality: "high"', "quality"),
        ("quality: 37.5", "quality"),
        ("heat: true", "heat"),
        ('published: "false"', "published"),
        ("publishedDateTime: yesterday", "publishedDateTime"),
        ("topics: AI", "topics"),
        ("provider: Foreign Affairs", "provider"),
        ("title: [a, b]", "title"),
        ("images: [{width: 3}]", "images"),
        ('images: [{url: "https://x.example/i.jpg", width: "1200"}]', "images"),
        ("related: [just a string]", "related"),
        ("provider: {name: [x]}", "provider.name"),
    ],
)
def test_wrong_field_type_is_an_error_naming_the_input_and_field(
    field_yaml: str, field_name: str
) -> None:
    with pytest.raises(SeedFormatError) as error:
        parse_seed_document(f"---\n{field_yaml}\n---\n", name="typed.md")

    assert str(error.value).startswith(f"typed.md: {field_name}")


# --- what is (not) a seed document --------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\ntitle: x\n---\n", True),
        ("---   \ntitle: x\n---\n", True),
        ("\ufeff---\ntitle: x\n---\n", True),
        ("Title line\n---\nnot front matter\n", False),
        ("\n---\ntitle: x\n---\n", False),
        ("----\n", False),
        ("", False),
    ],
)
def test_has_front_matter(text: str, expected: bool) -> None:
    assert has_front_matter(text) is expected


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("00[1-4]_*.txt")))
def test_seeds_001_to_004_have_no_front_matter_and_are_read_as_text(name: str) -> None:
    content = (SEEDS / name).read_bytes()

    assert not has_front_matter(content.decode("utf-8"))
    record, kind = extract_document(content, url=f"file:///seeds/{name}", fetched_at=FETCHED)
    assert kind == "text"
    assert record.body
    assert record.original_url == f"file:///seeds/{name}"


def test_seed_000_is_read_as_seed_by_extract_document() -> None:
    record, kind = extract_document(
        SEED_000.read_bytes(), url=SEED_000.as_uri(), fetched_at=FETCHED
    )

    assert kind == "seed"
    assert record == parse_seed_document(_seed_000())
