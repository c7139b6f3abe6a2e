"""Tests for extractors.html: article pages to records."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import lxml.html
import pytest

from extractors.html import (
    ExtractionError,
    NotAnArticle,
    decode_html,
    html_to_record,
    read_page_metadata,
    strip_site_suffix,
)
from extractors.record import Image
from tests.support.paths import REPO

URL = "https://www.example-times.com/world/2024/03/13/eu-ai-act?utm_source=twitter"
CLEAN_URL = "https://www.example-times.com/world/2024/03/13/eu-ai-act"
FETCHED = datetime(2024, 3, 14, 12, 0, tzinfo=UTC)

HEADLINE = "EU lawmakers approve landmark AI Act"
PARAGRAPHS = [
    "The European Parliament on Wednesday approved the Artificial Intelligence Act, the first "
    "comprehensive law regulating AI systems anywhere in the world, after years of negotiation "
    "between member states.",
    "The regulation sorts AI applications by risk. Systems used in hiring, credit scoring, "
    "policing and critical infrastructure face strict obligations on data quality, human "
    "oversight and transparency before they can be sold in the bloc.",
    "“This is a historic day,” said the lawmaker who steered the bill through committee. “We "
    "have shown that innovation and fundamental rights can go together.”",
    "Companies that break the rules face fines of up to seven percent of their global turnover. "
    "The first prohibitions, including on social scoring, take effect six months after the law "
    "enters into force.",
    "Industry groups warned that the compliance burden could push start-ups to other markets, "
    "while civil-society organisations said the exemptions for national security went too far.",
]
DEFAULT_META = """
<meta property="og:site_name" content="Example Times">
<meta property="og:image" content="/images/ai-act.jpg">
<meta property="og:image:width" content="1200">
<meta property="og:image:height" content="675">
<meta name="description" content="Parliament backs the first comprehensive AI law.">
"""


def page(
    *,
    title: str = f"{HEADLINE} | Example Times",
    meta: str = DEFAULT_META,
    head_extra: str = "",
    body_extra: str = "",
) -> str:
    """A news page with the usual furniture around the article."""
    paragraphs = "\n".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{title}</title>
{meta}
{head_extra}
</head>
<body>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a>
<a href="/tech">Tech</a> <a href="/login">Sign in</a></nav></header>
<div class="ad-slot">ADVERTISEMENT Buy cheap flights now with FlyCheap</div>
<main>
<article>
<h1>{HEADLINE}</h1>
<p class="byline">By A. Reporter</p>
{paragraphs}
</article>
<section id="comments" class="comments">
<h3>Comments</h3>
<div class="comment"><p>COMMENTMARKER one: this is a reader comment that goes on about nothing much at all.</p></div>
<div class="comment"><p>COMMENTMARKER two: another reader comment, also long enough to look like prose.</p></div>
</section>
</main>
<aside class="most-read"><h3>Most read</h3><ul><li><a href="/x">Celebrity chef opens new restaurant</a></li></ul></aside>
<footer><p>© 2024 Example Times. All rights reserved.</p></footer>
{body_extra}
</body>
</html>"""


# --- the whole page ------------------------------------------------------------


def test_realistic_page_body_is_the_article_without_furniture() -> None:
    record = html_to_record(page().encode("utf-8"), URL, FETCHED)

    for paragraph in PARAGRAPHS:
        assert paragraph in record.body.split("\n\n")
    for junk in (
        "COMMENTMARKER",
        "cheap flights",
        "Sign in",
        "All rights reserved",
        "cookies",
        "Celebrity chef",
    ):
        assert junk not in record.body


def test_comments_are_not_in_the_body() -> None:
    record = html_to_record(page().encode("utf-8"), URL, FETCHED)

    assert "COMMENTMARKER" not in record.body
    assert "reader comment" not in record.body


def test_realistic_page_metadata() -> None:
    record = html_to_record(page().encode("utf-8"), URL, FETCHED)

    assert record.title == HEADLINE
    assert record.excerpt == "Parliament backs the first comprehensive AI law."
    assert record.original_url == URL
    assert record.web_url == CLEAN_URL
    assert record.provider.name == "Example Times"
    assert record.provider.domain == "example-times.com"
    assert record.language == "en"
    assert record.category == "news"


def test_headline_is_not_repeated_as_first_body_paragraph() -> None:
    # The extractor keeps every extracted line; the cleaner removes the copy, with a reason.
    from extractors.article import build_article
    from extractors.relevance import Watch

    record = html_to_record(page().encode("utf-8"), URL, FETCHED)
    article = build_article(
        record, source="t", fetched_at=FETCHED, watch=Watch(), input_kind="html"
    )

    assert article.record.body.split("\n\n")[0] != record.title
    assert any(line.reason == "headline" and line.text == HEADLINE for line in article.removed)


def test_body_paragraphs_are_separated_by_blank_lines() -> None:
    record = html_to_record(page().encode("utf-8"), URL, FETCHED)

    assert "\n\n\n" not in record.body
    assert all(part.strip() == part and part for part in record.body.split("\n\n"))


def test_str_input_is_accepted() -> None:
    record = html_to_record(page(), URL, FETCHED)

    assert record.title == HEADLINE
    assert PARAGRAPHS[0] in record.body


# --- title suffix ----------------------------------------------------------------


@pytest.mark.parametrize(
    "og_title",
    [
        f"{HEADLINE} | Example Times",
        f"{HEADLINE} - Example Times",
        f"{HEADLINE} – example-times.com",
        f"{HEADLINE} — EXAMPLE TIMES",
    ],
)
def test_site_suffix_is_stripped_from_og_title(og_title: str) -> None:
    meta = DEFAULT_META + f'<meta property="og:title" content="{og_title}">'

    record = html_to_record(page(meta=meta).encode("utf-8"), URL, FETCHED)

    assert record.title == HEADLINE


def test_site_suffix_is_stripped_from_title_tag_without_og_title() -> None:
    html = (
        "<html><head><title>Paywalled: EU passes AI Act - Example Times</title>"
        '<meta property="og:site_name" content="Example Times"></head>'
        "<body><p>" + "</p><p>".join(PARAGRAPHS) + "</p></body></html>"
    )

    record = html_to_record(html, "https://www.example-times.com/world/eu-ai-act", FETCHED)

    assert record.title == "Paywalled: EU passes AI Act"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (f"{HEADLINE} | Example Times", HEADLINE),
        (f"{HEADLINE} - Example Times", HEADLINE),
        (f"{HEADLINE} :: Example Times", HEADLINE),
        (f"{HEADLINE} · example-times", HEADLINE),
        ("Q&A - the AI Act explained - Example Times", "Q&A - the AI Act explained"),
        ("AI Act - what it means for start-ups", "AI Act - what it means for start-ups"),
        # Old pages put the site first ("ABC News: …", "icScotland - …": eval/realpages).
        ("Example Times - EU lawmakers approve", "EU lawmakers approve"),
        ("Example Times: EU lawmakers approve", "EU lawmakers approve"),
        ("Example Times reporters: what we saw", "Example Times reporters: what we saw"),
        ("AI: what the act means", "AI: what the act means"),
        ("  Spaced   out | Example Times ", "Spaced out"),
        ("No separator here", "No separator here"),
    ],
)
def test_strip_site_suffix(title: str, expected: str) -> None:
    assert strip_site_suffix(title, "Example Times", CLEAN_URL) == expected


def test_strip_site_suffix_uses_the_domain_when_site_name_is_unknown() -> None:
    assert strip_site_suffix("Story | Reuters", "", "https://www.reuters.com/x") == "Story"
    assert strip_site_suffix("Story | Other", "", "https://www.reuters.com/x") == "Story | Other"
    assert strip_site_suffix("Reuters: Story", "", "https://www.reuters.com/x") == "Story"


# --- images --------------------------------------------------------------------


def test_og_image_with_width_and_height_is_resolved() -> None:
    record = html_to_record(page(), URL, FETCHED)

    assert record.images[0] == Image(
        url="https://www.example-times.com/images/ai-act.jpg", width=1200, height=675
    )
    assert len({image.url for image in record.images}) == len(record.images)


def test_og_image_with_bad_sizes_has_no_sizes() -> None:
    meta = (
        '<meta property="og:image" content="https://cdn.example-times.com/a.jpg">'
        '<meta property="og:image:width" content="wide">'
        '<meta property="og:image:height" content="0">'
    )

    record = html_to_record(page(meta=meta), URL, FETCHED)

    assert record.images[0] == Image(url="https://cdn.example-times.com/a.jpg")


# --- canonical URL ---------------------------------------------------------------


def test_relative_canonical_on_same_site_is_the_web_url() -> None:
    canonical = '<link rel="canonical" href="/world/2024/03/13/eu-ai-act-final">'

    record = html_to_record(page(head_extra=canonical), URL, FETCHED)

    assert record.web_url == "https://www.example-times.com/world/2024/03/13/eu-ai-act-final"
    assert record.original_url == URL


def test_canonical_on_same_registered_domain_without_www_is_used() -> None:
    canonical = (
        '<link rel="canonical" href="https://example-times.com/world/eu-ai-act?utm_medium=x">'
    )

    record = html_to_record(page(head_extra=canonical), URL, FETCHED)

    assert record.web_url == "https://example-times.com/world/eu-ai-act"


def test_og_url_is_used_when_there_is_no_canonical_link() -> None:
    og_url = '<meta property="og:url" content="https://www.example-times.com/world/eu-ai-act-og">'

    record = html_to_record(page(head_extra=og_url), URL, FETCHED)

    assert record.web_url == "https://www.example-times.com/world/eu-ai-act-og"


@pytest.mark.parametrize(
    "canonical",
    [
        "https://other-site.com/world/2024/03/13/eu-ai-act",
        "https://www.example-times.com/",
        "https://www.example-times.com",
        "/",
        "javascript:void(0)",
    ],
)
def test_cross_site_or_home_page_canonical_is_ignored(canonical: str) -> None:
    link = f'<link rel="canonical" href="{canonical}">'

    record = html_to_record(page(head_extra=link), URL, FETCHED)

    assert record.web_url == CLEAN_URL
    assert record.provider.domain == "example-times.com"


def test_amphtml_link_is_recorded_in_extra() -> None:
    amp = '<link rel="amphtml" href="/amp/world/2024/03/13/eu-ai-act">'

    record = html_to_record(page(head_extra=amp), URL, FETCHED)

    assert (
        record.extra["ampWebUrl"] == "https://www.example-times.com/amp/world/2024/03/13/eu-ai-act"
    )


def test_page_without_amphtml_has_no_amp_extra() -> None:
    assert "ampWebUrl" not in html_to_record(page(), URL, FETCHED).extra


# --- dates -----------------------------------------------------------------------


def test_article_published_time_with_offset_is_utc() -> None:
    meta = '<meta property="article:published_time" content="2024-03-13T09:30:00+01:00">'

    record = html_to_record(page(head_extra=meta), URL, FETCHED)

    assert record.published_at == datetime(2024, 3, 13, 8, 30, tzinfo=UTC)


def test_published_time_with_time_of_day_beats_day_only_json_ld() -> None:
    head = (
        '<meta property="article:published_time" content="2024-03-13T07:45:00Z">'
        '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2024-03-12"}</script>'
    )

    record = html_to_record(page(head_extra=head), URL, FETCHED)

    assert record.published_at == datetime(2024, 3, 13, 7, 45, tzinfo=UTC)


def test_json_ld_time_of_day_beats_day_only_published_time() -> None:
    head = (
        '<meta property="article:published_time" content="2024-03-13">'
        '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2024-03-13T07:45:00Z"}</script>'
    )

    record = html_to_record(page(head_extra=head), URL, FETCHED)

    assert record.published_at == datetime(2024, 3, 13, 7, 45, tzinfo=UTC)


def test_day_only_date_is_midnight_utc() -> None:
    meta = '<meta property="article:published_time" content="2024-03-13">'

    record = html_to_record(page(head_extra=meta), URL, FETCHED)

    assert record.published_at == datetime(2024, 3, 13, tzinfo=UTC)


def test_time_element_is_used_when_no_meta_date() -> None:
    record = html_to_record(
        page(body_extra='<time datetime="2024-03-13T06:00:00Z">13 March</time>'),
        "https://www.example-times.com/world/eu-ai-act",
        FETCHED,
    )

    assert record.published_at == datetime(2024, 3, 13, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("2030-01-01T00:00:00Z", None),
        ("2024-03-14T14:01:00Z", None),  # just past the 2 h tolerance
        ("2024-03-14T13:59:00Z", datetime(2024, 3, 14, 13, 59, tzinfo=UTC)),
        ("2024-03-14T11:00:00Z", datetime(2024, 3, 14, 11, 0, tzinfo=UTC)),
    ],
)
def test_date_in_the_future_of_fetched_at_is_dropped(
    declared: str, expected: datetime | None
) -> None:
    meta = f'<meta property="article:published_time" content="{declared}">'

    record = html_to_record(
        page(head_extra=meta), "https://www.example-times.com/world/eu-ai-act", FETCHED
    )

    assert record.published_at == expected


def test_naive_fetched_at_is_read_as_utc() -> None:
    meta = '<meta property="article:published_time" content="2024-03-14T13:00:00Z">'

    record = html_to_record(page(head_extra=meta), URL, datetime(2024, 3, 14, 12, 0))

    assert record.published_at == datetime(2024, 3, 14, 13, 0, tzinfo=UTC)


# --- JSON-LD ---------------------------------------------------------------------

JSON_LD_GRAPH = """<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebPage", "name": "Page name"},
  {"@type": "NewsArticle",
   "headline": "JSON-LD headline wins",
   "datePublished": "2024-03-13T05:06:07+00:00",
   "publisher": {"@type": "Organization", "name": "LD Publisher"},
   "description": "LD description",
   "image": [{"@type": "ImageObject", "url": "https://cdn.example-times.com/ld.jpg",
              "width": "800", "height": "450"}]}
]}
</script>"""


def test_json_ld_news_article_supplies_headline_date_publisher() -> None:
    record = html_to_record(page(meta="", head_extra=JSON_LD_GRAPH), URL, FETCHED)

    assert record.title == "JSON-LD headline wins"
    assert record.published_at == datetime(2024, 3, 13, 5, 6, 7, tzinfo=UTC)
    assert record.provider.name == "LD Publisher"
    assert record.excerpt == "LD description"
    assert Image(url="https://cdn.example-times.com/ld.jpg", width=800, height=450) in record.images


def test_json_ld_headline_wins_over_og_title_and_open_graph_over_json_ld_site_name() -> None:
    # og:title is often a social-media variant; JSON-LD's headline is the one displayed.
    meta = DEFAULT_META + '<meta property="og:title" content="OG title">'

    record = html_to_record(page(meta=meta, head_extra=JSON_LD_GRAPH), URL, FETCHED)

    assert record.title == "JSON-LD headline wins"
    assert record.provider.name == "Example Times"


@pytest.mark.parametrize(
    ("ld_type", "category"),
    [
        ('"OpinionNewsArticle"', "opinion"),
        ('["AnalysisNewsArticle", "WebPage"]', "analysis"),
        ('"NewsArticle"', "news"),
        ('"Recipe"', "news"),
    ],
)
def test_json_ld_type_sets_category(ld_type: str, category: str) -> None:
    script = f'<script type="application/ld+json">{{"@type": {ld_type}}}</script>'

    assert html_to_record(page(head_extra=script), URL, FETCHED).category == category


_CATEGORY_PROBE = """
from datetime import UTC, datetime
from extractors.html import html_to_record
page = (
    '<html><head><script type="application/ld+json">'
    '{"@type": ["AnalysisNewsArticle", "NewsArticle"]}</script></head>'
    '<body><p>' + 'Regulators across the bloc debated the new rules for artificial intelligence. ' * 6 + '</p></body></html>'
)
print(html_to_record(page, "https://x.example.com/a", datetime(2024, 1, 1, tzinfo=UTC)).category)
"""


def test_category_of_multi_typed_json_ld_does_not_depend_on_hash_seed() -> None:
    root = REPO
    categories = {
        subprocess.run(
            [sys.executable, "-c", _CATEGORY_PROBE],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("0", "3")
    }

    assert categories == {"analysis"}


def test_json_ld_of_other_types_is_ignored() -> None:
    script = (
        '<script type="application/ld+json">'
        '{"@type": "Recipe", "headline": "Fluffy pancakes", "datePublished": "2024-03-01T10:00:00Z"}'
        "</script>"
    )

    record = html_to_record(page(head_extra=script), URL, FETCHED)

    assert record.title == HEADLINE
    assert record.published_at != datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def test_broken_json_ld_is_ignored() -> None:
    script = '<script type="application/ld+json">{"@type": "NewsArticle", broken</script>'

    record = html_to_record(page(head_extra=script), URL, FETCHED)

    assert record.title == HEADLINE


def test_read_page_metadata_directly() -> None:
    tree = lxml.html.document_fromstring(
        page(
            head_extra='<link rel="canonical" href="/c"><meta property="og:locale" content="fr_FR">'
        )
    )

    meta = read_page_metadata(tree, URL)

    assert meta.site_name == "Example Times"
    assert meta.canonical == "https://www.example-times.com/c"
    assert meta.language == "en"  # <html lang> wins over og:locale
    assert meta.images[0].width == 1200


# --- bytes and encodings ----------------------------------------------------------


def test_windows_1252_bytes_without_charset_decode_accents_and_curly_quotes() -> None:
    html = (
        "<html><head><title>The café’s AI worries</title></head><body>"
        "<p>The café’s owner said “AI won’t replace us” – not yet.</p>"
        "<p>Regulators in Paris, where the café sits, disagree.</p>"
        + "".join(f"<p>{paragraph}</p>" for paragraph in PARAGRAPHS)
        + "</body></html>"
    )
    content = html.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    assert decode_html(content) == html
    record = html_to_record(content, "https://cafe.example.com/news/ai", FETCHED)
    assert "café’s" in record.title + record.body


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><p>La Commission européenne a présenté mercredi son règlement sur "
        "l’intelligence artificielle, très attendu.</p></body></html>",
        "<p>café ’</p>",
    ],
)
def test_windows_1252_western_text_without_charset_decodes_exactly(html: str) -> None:
    assert decode_html(html.encode("cp1252")) == html


@pytest.mark.parametrize(
    "declaration",
    [
        '<meta charset="windows-1252">',
        '<meta charset="iso-8859-1">',
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
    ],
)
def test_declared_western_charsets_decode_as_windows_1252(declaration: str) -> None:
    html = f"<html><head>{declaration}</head><body><p>règlement – l’IA</p></body></html>"

    assert decode_html(html.encode("cp1252")) == html


def test_http_charset_wins_and_unknown_charset_falls_back() -> None:
    utf8 = "<p>café</p>".encode()

    assert decode_html(utf8, "utf-8") == "<p>café</p>"
    assert decode_html(utf8, "no-such-charset") == "<p>café</p>"
    assert decode_html("<p>café</p>".encode("cp1252"), "windows-1252") == "<p>café</p>"


def test_utf16_with_bom_is_not_mistaken_for_binary() -> None:
    assert decode_html("<p>café</p>".encode("utf-16")) == "<p>café</p>"


@pytest.mark.parametrize("content", [b"", b"   \n\t  "])
def test_empty_bytes_raise_extraction_error(content: bytes) -> None:
    with pytest.raises(ExtractionError, match="empty"):
        html_to_record(content, URL, FETCHED)


def test_empty_string_raises_extraction_error() -> None:
    with pytest.raises(ExtractionError):
        html_to_record("  ", URL, FETCHED)


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00<<>>",
        bytes(range(256)),
    ],
)
def test_binary_bytes_raise_extraction_error(content: bytes) -> None:
    with pytest.raises(ExtractionError, match="binary"):
        html_to_record(content, URL, FETCHED)


# --- broken HTML ------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><div><p>Unclosed paragraph about AI regulation <b>bold <i>italic",
        "<p>only a fragment</p>",
        "</div></div><<<>>>",
        "<html><head><title>T</title></head><body></body></html>",
        "<html><body><table><tr><td>cell<p>para</table></span></body>",
    ],
)
def test_broken_html_does_not_crash(html: str) -> None:
    # Broken markup either yields a record or is recognised as no article, never a crash.
    try:
        record = html_to_record(html.encode(), "https://x.example.com/a/b", FETCHED)
    except NotAnArticle as error:
        assert error.reason in {"javascript-shell", "no-text"}
        return

    assert record.web_url == "https://x.example.com/a/b"


def test_unclosed_tags_keep_their_text() -> None:
    html = "<html><body><article><p>" + PARAGRAPHS[0] + "<p>" + PARAGRAPHS[1] + "<div><b>unclosed"

    record = html_to_record(html.encode(), "https://x.example.com/a/b", FETCHED)

    assert PARAGRAPHS[0] in record.body
    assert PARAGRAPHS[1] in record.body


def test_comment_only_document_raises_extraction_error() -> None:
    with pytest.raises(ExtractionError):
        html_to_record(b"<!-- nothing here -->", URL, FETCHED)


def test_xhtml_page_with_xml_declaration_is_extracted() -> None:
    xhtml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>XHTML story</title></head>'
        "<body><article>"
        + "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
        + "</article></body></html>"
    )

    record = html_to_record(xhtml.encode("utf-8"), "https://x.example.com/news/xhtml", FETCHED)

    assert PARAGRAPHS[0] in record.body


# --- pages that are not articles ------------------------------------------------------

CONSENT_DIALOG = (
    "Wenn Sie zustimmen, verarbeiten wir und unsere 212 Partner personenbezogene Daten wie "
    "Ihre IP-Adresse, um personalisierte Werbung und Inhalte anzuzeigen und deren Wirkung zu "
    "messen. Einige Partner stützen sich auf ein berechtigtes Interesses, dem Sie in den "
    "Einstellungen widersprechen können. Sie können Ihre Auswahl jederzeit ändern."
)
TEASERS = [
    ("Council approves the new tram line", "Ana Ruiz", "12"),
    ("Heatwave: highs of 40 degrees expected", "Staff", "3"),
    ("Local club signs a striker on loan", "Pablo Gil", "27"),
    ("Harbour festival adds two free concerts", "Marta Ros", "8"),
    ("Farmers ask for drought relief", "Staff", "19"),
    ("Fire crews contain a blaze in the hills", "Luis Soto", "5"),
]


def bare_page(body: str, *, head: str = "") -> bytes:
    return f"<html><head><title>Page</title>{head}</head><body>{body}</body></html>".encode()


def test_thin_page_that_is_only_a_consent_dialog_is_a_cookie_wall() -> None:
    head = '<meta property="og:type" content="article">'
    body = f"<h1>Kreistag stoppt Pilotprojekt</h1><div class='cmp'><p>{CONSENT_DIALOG}</p></div>"

    with pytest.raises(NotAnArticle) as raised:
        html_to_record(bare_page(body, head=head), "https://zeitung.example/a/1", FETCHED)

    assert raised.value.reason == "cookie-wall"


def test_article_with_a_consent_dialog_beside_it_is_kept() -> None:
    body = f"<div class='cmp'><p>{CONSENT_DIALOG}</p></div><article>" + "".join(
        f"<p>{text}</p>" for text in PARAGRAPHS
    )
    record = html_to_record(bare_page(body + "</article>"), "https://x.example.com/a/b", FETCHED)

    assert PARAGRAPHS[0] in record.body


def test_home_page_of_teasers_is_a_section_front() -> None:
    teasers = "".join(
        f"<div class='teaser'><h2><a href='/n/{index}'>{headline}</a></h2>"
        f"<p>{headline} and what it means for residents.</p><span>{author}</span>"
        f"<span class='comments'>{comments}</span></div>"
        for index, (headline, author, comments) in enumerate(TEASERS)
    )

    with pytest.raises(NotAnArticle) as raised:
        html_to_record(bare_page(f"<main>{teasers}</main>"), "https://diario.example/", FETCHED)

    assert raised.value.reason == "section-front"


def test_search_results_of_snippets_are_a_section_front() -> None:
    results = "".join(
        f"<li><a href='/n/{index}'>{headline}</a><cite>diario.example › region › 2026</cite>"
        f"<time>12/05/2026</time><p>… the council said on Tuesday that {headline.lower()} "
        f"after a long debate in which several members of the opposition asked …</p></li>"
        for index, (headline, _, _) in enumerate(TEASERS)
    )
    body = f"<h1>Search results: tram</h1><ol>{results}</ol>"

    with pytest.raises(NotAnArticle) as raised:
        html_to_record(bare_page(body), "https://diario.example/results?q=tram", FETCHED)

    assert raised.value.reason == "section-front"


def test_article_of_short_paragraphs_with_one_prose_paragraph_is_kept() -> None:
    lines = [headline + "." for headline, _, _ in TEASERS] + [PARAGRAPHS[0]]
    body = "<article>" + "".join(f"<p>{line}</p>" for line in lines) + "</article>"

    record = html_to_record(bare_page(body), "https://x.example.com/news/briefs", FETCHED)

    assert PARAGRAPHS[0] in record.body


# --- the headline, not the page title ---------------------------------------------------


def headline_page(title: str, body_top: str, footer: str = "") -> bytes:
    paragraphs = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    return (
        f"<html><head><title>{title}</title></head><body>{body_top}"
        f"<article>{paragraphs}</article><footer>{footer}</footer></body></html>"
    ).encode()


def test_site_name_from_the_copyright_line_is_dropped_from_the_title() -> None:
    page = headline_page(
        "Council backs a 20mph limit in the town centre | Kestlebury Gazette",
        "",
        "© 2026 Kestlebury Gazette - All rights reserved",
    )

    record = html_to_record(page, "https://news.example.org/a/1", FETCHED)

    assert record.title == "Council backs a 20mph limit in the town centre"


def test_the_h1_inside_a_decorated_title_is_the_headline() -> None:
    page = headline_page(
        "Press release: Auditor certifies first high-risk AI system | Newsroom",
        "<h1>Auditor certifies first high-risk AI system</h1>",
    )

    record = html_to_record(page, "https://news.example.org/a/1", FETCHED)

    assert record.title == "Auditor certifies first high-risk AI system"


def test_a_blog_name_in_the_h1_is_not_taken_for_the_headline() -> None:
    page = headline_page(
        "Health and data: The algorithm that orders surgical waiting lists is unaudited",
        "<h1>Health and data</h1><h3>The algorithm that orders surgical waiting lists is unaudited</h3>",
    )

    record = html_to_record(page, "https://blog.example.org/2026/05/x.html", FETCHED)

    assert record.title == "The algorithm that orders surgical waiting lists is unaudited"


def test_a_title_with_a_dash_inside_the_headline_is_kept_whole() -> None:
    page = headline_page(
        "EU - US trade council agrees on AI testing rules",
        "<h1>Latest news</h1>",
    )

    record = html_to_record(page, "https://news.example.org/a/1", FETCHED)

    assert record.title == "EU - US trade council agrees on AI testing rules"


def test_microdata_date_published_on_any_element_gives_date_and_time() -> None:
    page = headline_page(
        "Story",
        "<abbr class='published' itemprop='datePublished' title='2024-03-13T19:42:00+02:00'>"
        "13 March</abbr>",
    )

    record = html_to_record(page, "https://news.example.org/a/1", FETCHED)

    assert record.published_at == datetime(2024, 3, 13, 17, 42, tzinfo=UTC)


def test_teasers_rendered_as_a_list_are_a_section_front() -> None:
    items = "".join(
        f"<li class='card'><span>News</span><h3><a href='/n/{index}'>{headline}</a></h3>"
        f"<p>What the decision means for residents and businesses in the old town, as the council explained on Monday.</p>"
        f"<time>Nov {index + 10}, 2026</time></li>"
        for index, (headline, _, _) in enumerate(TEASERS)
    )
    body = f"<h1>Topic: city hall</h1><p>Everything about city hall.</p><ul>{items}</ul>"

    with pytest.raises(NotAnArticle) as raised:
        html_to_record(bare_page(body), "https://diario.example/hub/city-hall", FETCHED)

    assert raised.value.reason == "section-front"


def test_an_article_with_a_long_bullet_list_and_article_markup_is_kept() -> None:
    items = "".join(f"<li>{text}</li>" for text in PARAGRAPHS)
    head = '<meta property="og:type" content="article">'
    body = f"<article><p>{PARAGRAPHS[0]}</p><ul>{items}</ul></article>"

    record = html_to_record(bare_page(body, head=head), "https://x.example.com/news/a", FETCHED)

    assert PARAGRAPHS[1] in record.body


def test_a_kicker_h1_does_not_split_the_title() -> None:
    page = headline_page("Brexit: talks collapse over fishing rights", "<h1>Brexit</h1>")

    record = html_to_record(page, "https://news.example.org/a/1", FETCHED)

    assert record.title == "Brexit: talks collapse over fishing rights"


def test_a_site_name_with_extra_words_in_the_title_is_dropped() -> None:
    page = headline_page(
        "Council halts the camera trial at the ferry port - Wettenbach Courier online",
        "",
        "© 2026 Wettenbach Courier Verlag · Imprint · Privacy",
    )

    record = html_to_record(page, "https://news.example.org/a/1", FETCHED)

    assert record.title == "Council halts the camera trial at the ferry port"


def test_a_one_word_title_tail_must_be_the_whole_site_name() -> None:
    page = headline_page(
        "Ministers agree on new AI rules - EU",
        "",
        "© 2026 EU Observer - All rights reserved",
    )

    record = html_to_record(page, "https://news.example.org/a/1", FETCHED)

    assert record.title == "Ministers agree on new AI rules - EU"


def test_trafilatura_leaves_the_tree_it_is_given_as_it_was() -> None:
    """Every pass of ``_main_text`` and the metadata readers share one parse of the page."""
    import trafilatura

    page = (
        "<html><head><title>T</title></head><body><nav><a href='/'>Home</a></nav>"
        "<article><h1>Headline</h1>"
        + "".join(f"<p>Paragraph {n} of the article says something new.</p>" for n in range(30))
        + "<div class='comments'><p>A reader comment.</p></div></article>"
        "<footer>Copyright</footer></body></html>"
    )
    tree = trafilatura.load_html(page)
    before = lxml.html.tostring(tree)
    for fast in (True, False):
        for tables in (True, False):
            trafilatura.bare_extraction(
                tree, fast=fast, include_tables=tables, include_comments=False
            )
    assert lxml.html.tostring(tree) == before
