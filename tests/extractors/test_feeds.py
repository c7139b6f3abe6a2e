"""Tests for extractors.feeds: RSS 0.9x/1.0/2.0 and Atom bytes to entries and records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from extractors.feeds import FeedError, entry_to_record, html_fragment_to_text, parse_feed
from extractors.record import Image, Provider

RSS2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Example News</title>
  <link>https://news.example.com/</link>
  <description>World news</description>
  <item>
    <title>EU agrees  AI Act</title>
    <link>/2024/03/eu-ai-act?utm_source=rss</link>
    <guid isPermaLink="false">abc-1</guid>
    <description>&lt;p&gt;Short &lt;b&gt;summary&lt;/b&gt; of the story that is long enough.&lt;/p&gt;</description>
    <content:encoded><![CDATA[<p>First paragraph of the article body.</p><p>Second paragraph<br>with a break.</p><script>alert("x")</script>]]></content:encoded>
    <pubDate>Tue, 12 Mar 2024 14:30:00 +0200</pubDate>
    <category>Policy</category>
    <category>AI</category>
    <dc:creator>Jane Doe</dc:creator>
    <media:content url="https://cdn.example.com/img/a.jpg" medium="image" width="1200" height="630"/>
  </item>
  <item>
    <title>No link here</title>
    <description>Nothing to see</description>
  </item>
  <item>
    <title>Guid permalink</title>
    <guid isPermaLink="true">https://news.example.com/2024/03/guid-story</guid>
    <pubDate>Wed, 13 Mar 2024 08:00:00 GMT</pubDate>
    <enclosure url="/img/enc.png" type="image/png" length="10"/>
    <enclosure url="https://news.example.com/audio.mp3" type="audio/mpeg" length="10"/>
  </item>
</channel>
</rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom Site</title>
  <link href="https://atom.example.org/" rel="alternate"/>
  <link href="https://atom.example.org/feed.atom" rel="self"/>
  <id>urn:uuid:feed</id>
  <updated>2024-05-01T10:00:00Z</updated>
  <entry>
    <title>AI and the law</title>
    <link rel="alternate" type="text/html" href="posts/ai-law"/>
    <id>urn:uuid:entry-1</id>
    <published>2024-05-01T09:15:00-04:00</published>
    <updated>2024-05-02T09:15:00Z</updated>
    <summary>Summary text here that is long enough for an excerpt.</summary>
    <content type="html">&lt;h2&gt;Heading&lt;/h2&gt;&lt;p&gt;Para one.&lt;/p&gt;&lt;ul&gt;&lt;li&gt;Item A&lt;/li&gt;&lt;li&gt;Item B&lt;/li&gt;&lt;/ul&gt;</content>
  </entry>
  <entry>
    <title>Only updated</title>
    <link href="https://atom.example.org/posts/only-updated"/>
    <id>urn:uuid:entry-2</id>
    <updated>2024-05-03T00:00:00+00:00</updated>
  </entry>
</feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example.net/">
    <title>RDF Site</title>
    <link>https://rdf.example.net/</link>
    <description>d</description>
    <items><rdf:Seq><rdf:li resource="https://rdf.example.net/a"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://rdf.example.net/a">
    <title>RDF item</title>
    <link>https://rdf.example.net/a</link>
    <description>RDF description</description>
    <dc:date>2024-02-03T04:05:06+01:00</dc:date>
  </item>
</rdf:RDF>"""

RSS091 = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91">
<channel>
  <title>Old Site</title>
  <link>http://old.example.com/</link>
  <description>d</description>
  <language>en-us</language>
  <item>
    <title>Old item</title>
    <link>http://old.example.com/story.html</link>
    <description>Old description</description>
  </item>
</channel>
</rss>"""

TRUNCATED_RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Broken</title><link>https://b.example.com/</link>
<item><title>One</title><link>https://b.example.com/one</link></item>
<item><title>Two</title><link>https://b.example.com/two</link></item>
<item><title>Three</title><link>https://b.example.com/thr"""

BAD_ENTITY_RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Broken</title><link>https://b.example.com/</link>
<item><title>One</title><link>https://b.example.com/one</link></item>
<item><title>Two & more</title><link>https://b.example.com/two</link></item>
</channel></rss>"""

HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>Example News - Home</title></head>
<body><nav><a href="/world">World</a></nav><p>Welcome to our site.</p></body></html>"""


# --- RSS 2.0 -----------------------------------------------------------------


def test_rss2_feed_metadata_and_entries() -> None:
    feed = parse_feed(RSS2, "https://news.example.com/feed.xml")

    assert feed.title == "Example News"
    assert feed.link == "https://news.example.com/"
    assert feed.version == "rss20"
    assert feed.problem is None
    assert [entry.link for entry in feed.entries] == [
        "https://news.example.com/2024/03/eu-ai-act?utm_source=rss",
        "https://news.example.com/2024/03/guid-story",
    ]


def test_rss2_entry_fields() -> None:
    entry = parse_feed(RSS2, "https://news.example.com/feed.xml").entries[0]

    assert entry.title == "EU agrees  AI Act"
    assert entry.guid == "abc-1"
    assert entry.author == "Jane Doe"
    assert entry.categories == ("Policy", "AI")
    assert "<p>First paragraph of the article body.</p>" in entry.content
    assert "summary" in entry.summary


def test_rss2_pubdate_with_offset_becomes_aware_utc() -> None:
    entry = parse_feed(RSS2, "https://news.example.com/feed.xml").entries[0]

    assert entry.published_at == datetime(2024, 3, 12, 12, 30, tzinfo=UTC)
    assert entry.published_at.utcoffset() == timedelta(0)


def test_rss2_media_content_image_with_size() -> None:
    entry = parse_feed(RSS2, "https://news.example.com/feed.xml").entries[0]

    assert entry.images == (Image(url="https://cdn.example.com/img/a.jpg", width=1200, height=630),)


def test_rss2_image_enclosure_kept_and_resolved_audio_enclosure_ignored() -> None:
    entry = parse_feed(RSS2, "https://news.example.com/feed.xml").entries[1]

    assert entry.images == (Image(url="https://news.example.com/img/enc.png"),)


def test_rss2_relative_link_is_resolved_against_the_site() -> None:
    entry = parse_feed(RSS2, "https://news.example.com/feed.xml").entries[0]

    assert entry.link.startswith("https://news.example.com/2024/03/eu-ai-act")


def test_relative_link_resolved_against_feed_url_when_channel_link_is_relative() -> None:
    content = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>/</link>
    <item><title>A</title><link>stories/a.html</link></item></channel></rss>"""

    feed = parse_feed(content, "https://t.example.com/feeds/rss.xml")

    assert [entry.link for entry in feed.entries] == ["https://t.example.com/feeds/stories/a.html"]


def test_rss2_entry_without_link_is_skipped_and_reported() -> None:
    feed = parse_feed(RSS2, "https://news.example.com/feed.xml")

    assert "No link here" not in [entry.title for entry in feed.entries]
    assert len(feed.skipped) == 1
    assert "entry 2" in feed.skipped[0]
    assert "No link here" in feed.skipped[0]


def test_non_http_links_are_skipped() -> None:
    content = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <link>https://t.example.com/</link>
    <item><title>JS</title><link>javascript:alert(1)</link></item>
    <item><title>Mail</title><link>mailto:x@example.com</link></item>
    <item><title>Good</title><link>https://t.example.com/good</link></item>
    </channel></rss>"""

    feed = parse_feed(content, "https://t.example.com/rss")

    assert [entry.title for entry in feed.entries] == ["Good"]
    assert len(feed.skipped) == 2


def test_rss2_guid_permalink_is_used_as_link() -> None:
    entry = parse_feed(RSS2, "https://news.example.com/feed.xml").entries[1]

    assert entry.link == "https://news.example.com/2024/03/guid-story"
    assert entry.published_at == datetime(2024, 3, 13, 8, 0, tzinfo=UTC)


def test_entry_to_record_prefers_content_encoded_and_uses_summary_as_excerpt() -> None:
    feed = parse_feed(RSS2, "https://news.example.com/feed.xml")

    record = entry_to_record(feed.entries[0], feed)

    assert record.title == "EU agrees AI Act"
    assert record.body == (
        "First paragraph of the article body.\n\nSecond paragraph\n\nwith a break."
    )
    assert "alert" not in record.body
    assert record.excerpt == "Short summary of the story that is long enough."
    assert record.original_url == "https://news.example.com/2024/03/eu-ai-act?utm_source=rss"
    assert record.web_url == "https://news.example.com/2024/03/eu-ai-act"
    assert record.published_at == datetime(2024, 3, 12, 12, 30, tzinfo=UTC)
    assert record.provider == Provider(name="Example News", domain="news.example.com")
    assert record.images == (
        Image(url="https://cdn.example.com/img/a.jpg", width=1200, height=630),
    )


def test_entry_to_record_uses_configured_provider() -> None:
    feed = parse_feed(RSS2, "https://news.example.com/feed.xml")
    provider = Provider(name="Configured", domain="configured.example")

    assert entry_to_record(feed.entries[0], feed, provider).provider == provider


def test_entry_to_record_without_content_or_summary_has_empty_body() -> None:
    feed = parse_feed(RSS2, "https://news.example.com/feed.xml")

    record = entry_to_record(feed.entries[1], feed)

    assert record.body == ""
    assert record.excerpt == ""
    assert record.title == "Guid permalink"


# --- Atom -----------------------------------------------------------------------


def test_atom_feed_with_html_content() -> None:
    feed = parse_feed(ATOM, "https://atom.example.org/feed.atom")

    assert feed.version == "atom10"
    assert feed.title == "Atom Site"
    entry = feed.entries[0]
    assert entry.link == "https://atom.example.org/posts/ai-law"
    assert entry.content == (
        "<h2>Heading</h2><p>Para one.</p><ul><li>Item A</li><li>Item B</li></ul>"
    )

    record = entry_to_record(entry, feed)
    assert record.body == "Heading\n\nPara one.\n\nItem A\n\nItem B"
    assert record.excerpt == "Summary text here that is long enough for an excerpt."


def test_atom_published_wins_over_updated_and_is_utc() -> None:
    entries = parse_feed(ATOM, "https://atom.example.org/feed.atom").entries

    assert entries[0].published_at == datetime(2024, 5, 1, 13, 15, tzinfo=UTC)
    assert entries[1].published_at == datetime(2024, 5, 3, 0, 0, tzinfo=UTC)


# --- RSS 1.0 and 0.91 -----------------------------------------------------------


def test_rss10_rdf_with_dc_date() -> None:
    feed = parse_feed(RDF, "https://rdf.example.net/rss")

    assert feed.version == "rss10"
    assert feed.title == "RDF Site"
    (entry,) = feed.entries
    assert entry.link == "https://rdf.example.net/a"
    assert entry.title == "RDF item"
    assert entry.summary == "RDF description"
    assert entry.published_at == datetime(2024, 2, 3, 3, 5, 6, tzinfo=UTC)


def test_rss091_feed() -> None:
    feed = parse_feed(RSS091, "http://old.example.com/rss.xml")

    assert feed.version.startswith("rss091")
    (entry,) = feed.entries
    assert entry.link == "http://old.example.com/story.html"
    assert entry.published_at is None
    record = entry_to_record(entry, feed)
    assert record.body == "Old description"
    assert record.provider == Provider(name="Old Site", domain="old.example.com")


def test_feed_without_items_is_valid_and_empty() -> None:
    content = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>
    <link>https://q.example.com/</link><description>d</description></channel></rss>"""

    feed = parse_feed(content, "https://q.example.com/rss")

    assert feed.entries == []
    assert feed.problem is None
    assert feed.title == "Quiet"


# --- not feeds and broken feeds -------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", ""])
def test_html_page_is_a_feed_error_mentioning_html(content_type: str) -> None:
    with pytest.raises(FeedError, match="HTML") as error:
        parse_feed(HTML_PAGE, "https://news.example.com/feed", content_type)

    assert "https://news.example.com/feed" in str(error.value)


@pytest.mark.parametrize("content", [b"", b"   \n\t"])
def test_empty_body_is_a_feed_error(content: bytes) -> None:
    with pytest.raises(FeedError, match="empty"):
        parse_feed(content, "https://news.example.com/feed")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "image/png"),
        (b'{"items": []}', "application/json"),
        (b"just some words", ""),
    ],
)
def test_non_feed_content_is_a_feed_error(content: bytes, content_type: str) -> None:
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_feed(content, "https://news.example.com/feed", content_type)


def test_truncated_rss_keeps_the_good_entries_and_sets_problem() -> None:
    feed = parse_feed(TRUNCATED_RSS, "https://b.example.com/feed")

    assert [entry.link for entry in feed.entries] == [
        "https://b.example.com/one",
        "https://b.example.com/two",
    ]
    assert feed.problem is not None
    assert "kept 2 entries" in feed.problem
    assert "line" in feed.problem


def test_rss_with_bad_entity_keeps_entries_and_sets_problem() -> None:
    feed = parse_feed(BAD_ENTITY_RSS, "https://b.example.com/feed")

    assert [entry.title for entry in feed.entries] == ["One", "Two & more"]
    assert feed.problem is not None
    assert "malformed" in feed.problem


# --- html_fragment_to_text ------------------------------------------------------


def test_html_fragment_to_text_one_line_per_block_and_no_scripts() -> None:
    text = html_fragment_to_text(
        "<div><p>One <b>bold</b></p><p>Two</p><ul><li>A</li><li>B</li></ul>"
        "<script>var x = 1;</script><style>p {}</style>Tail<br/>After break</div>"
    )

    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines == ["One bold", "Two", "A", "B", "Tail", "After break"]


def test_html_fragment_to_text_decodes_entities_in_markup() -> None:
    assert html_fragment_to_text("<p>AT&amp;T &lt;3 caf&eacute;</p>").strip() == "AT&T <3 café"


def test_html_fragment_to_text_plain_text_is_unchanged() -> None:
    assert html_fragment_to_text("No markup at all") == "No markup at all"


def test_html_fragment_to_text_decodes_entities_without_tags() -> None:
    assert html_fragment_to_text("AT&amp;T calls the rules &quot;unworkable&quot;") == (
        'AT&T calls the rules "unworkable"'
    )


def test_entry_to_record_title_of_html_typed_atom_title_is_plain_text() -> None:
    content = b"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
    <link href="https://a.example.org/"/><id>urn:x</id><updated>2024-01-01T00:00:00Z</updated>
    <entry><title type="html">AT&amp;amp;T &amp;lt;b&amp;gt;wins&amp;lt;/b&amp;gt; AI case</title>
    <link href="https://a.example.org/att"/><id>urn:y</id><updated>2024-01-01T00:00:00Z</updated>
    </entry></feed>"""
    feed = parse_feed(content, "https://a.example.org/feed")

    assert entry_to_record(feed.entries[0], feed).title == "AT&T wins AI case"
