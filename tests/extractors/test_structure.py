"""The structure the extractor hands the cleaner, and what the cleaner does with it.

The pages are our own minimal pages reproducing structures of real pages
(``../shared/realpages``) on which the cleaner lost article text: a gossip round-up whose
items each name other people (judged off-topic one by one), and a match report whose
scoreboard table followed the last paragraph (removed as a tail block).
"""

from __future__ import annotations

from datetime import UTC, datetime

from extractors.article import build_article
from extractors.clean import clean_paragraphs
from extractors.html import html_to_record
from extractors.relevance import Watch
from extractors.structure import HEADING, ITEM, PARAGRAPH, ROW, UNKNOWN, kinds_of_lines, line_kinds

FETCHED = datetime(2026, 11, 1, tzinfo=UTC)

# A story long enough (over 300 content words) for the cleaner's coherence rules to apply.
STORY = [
    "The county cricket board announced on Monday that the final of the regional one-day "
    "cup will be played at the riverside ground, after weeks of talks with the city council.",
    "The riverside ground has not hosted a final since its pavilion was damaged by a fire "
    "three summers ago, and the board had long doubted whether repairs would be ready.",
    "Council engineers inspected the new stand last week and declared it safe for a crowd "
    "of eight thousand, which the board says is enough for a regional final in September.",
    "Ticket prices will stay at last year's level, the board's treasurer said, and members "
    "of the county clubs will be able to buy seats a week before the general public.",
    "Both semi-finals are due to be played next weekend, one at the riverside ground itself "
    "and the other at the hill club, whose captain has already complained about the pitch.",
    "The hill club's captain said the board had chosen the riverside ground without asking "
    "the clubs, and that a final in September risks being cut short by the early evenings.",
    "The board replied that floodlights had been installed at the riverside ground during "
    "the repairs, so that a late finish would no longer decide the result of the final.",
    "Local hotels expect a busy weekend, and the tourist office plans a fan zone on the "
    "embankment with a big screen for those who cannot find a seat inside the ground.",
    "The board will publish the full schedule, including the dates of the semi-finals and "
    "the opening hours of the ticket office, on its website before the end of the month.",
    "Supporters of both semi-finalists have been queuing outside the ticket office since "
    "early morning, hoping to secure seats before the board's allocation runs out.",
    "The riverside ground's groundsman said the outfield had recovered well from the wet "
    "spring and that the pitch would be prepared for a high-scoring final in September.",
    "Broadcasters from two regional channels have asked the board for permission to show "
    "the final live, which would be the first televised match at the ground in a decade.",
    "The board expects the final to raise enough money to pay for the last of the repairs "
    "to the pavilion, including the new changing rooms promised to the visiting teams.",
    "Volunteers from the county clubs will staff the gates, the scoreboard and the car "
    "parks, as they did before the fire, and the board has asked for fifty more helpers.",
    "Police and the council's transport office will meet next week to agree road closures "
    "around the riverside ground and extra buses from the railway station on the day.",
    "Schools in the county have been offered free tickets for pupils who play for a junior "
    "team, an offer the board hopes will fill the new stand's upper tier on the day.",
    "Stewards will open the gates two hours before the first ball, and spectators are asked "
    "to arrive early because bags will be searched at every entrance to the ground.",
]
# One-line items, each about other people and naming its source in brackets (so not ending
# like a sentence): no vocabulary shared with the story or each other.
ROUNDUP = [
    "A famous tenor cancelled his autumn tour of northern opera houses. [Stage Weekly]",
    "Two television chefs opened a bakery together in a seaside village. [Food Daily]",
    "A retired goalkeeper published a memoir about lower league years. [Book Notes]",
    "The novelist behind a detective series sold her farmhouse to a director. [Gossip]",
    "A pop duo announced their reunion concert in a converted railway station. [Tune In]",
]
SCOREBOARD = [
    ("Harbour XI", "212 for 6", "50 overs"),
    ("Hill Club", "198 all out", "47.3 overs"),
    ("Riverside", "240 for 8", "50 overs"),
]


def _page(article_html: str) -> bytes:
    return (
        "<html><head><title>Final goes to the riverside ground</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/sport'>Sport</a></nav>"
        f"<article><h1>Final goes to the riverside ground</h1>{article_html}</article>"
        "<footer>Contact us</footer></body></html>"
    ).encode()


def _paragraphs(lines: list[str]) -> str:
    return "".join(f"<p>{line}</p>" for line in lines)


def _stored_body(page: bytes) -> str:
    record = html_to_record(page, "https://sport.example/2026/10/final-riverside", FETCHED)
    article = build_article(
        record, source="t", fetched_at=FETCHED, watch=Watch(), input_kind="html"
    )
    return article.record.body


def test_each_line_of_the_text_says_what_it_was_in_the_page() -> None:
    table = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in SCOREBOARD)
    page = _page(
        _paragraphs(STORY[:4])
        + "<h2>The other semi-final</h2>"
        + _paragraphs(STORY[4:8])
        + "<ul>"
        + "".join(f"<li>{item}</li>" for item in ROUNDUP[:2])
        + f"</ul><table>{table}</table>"
    )

    record = html_to_record(page, "https://sport.example/2026/10/final-riverside", FETCHED)

    paragraphs = record.body.split("\n\n")
    kinds = dict(zip(paragraphs, record.line_kinds, strict=True))
    assert kinds[STORY[0]] == PARAGRAPH
    assert kinds["The other semi-final"] == HEADING
    assert kinds[f"- {ROUNDUP[0]}"] == ITEM
    assert kinds["| Harbour XI | 212 for 6 | 50 overs |"] == ROW


def test_a_line_break_inside_a_paragraph_makes_lines_of_the_same_kind() -> None:
    from lxml import etree

    body = etree.fromstring(
        "<body><p>First line of <hi>the</hi> address<lb/>Second line</p>"
        "<list><item><p>Item in a paragraph</p></item></list></body>"
    )

    kinds = line_kinds(body)

    assert kinds_of_lines(
        ["First line of the address", "Second line", "- Item in a paragraph", "Elsewhere"], kinds
    ) == (PARAGRAPH, PARAGRAPH, ITEM, UNKNOWN)


def test_a_list_item_holding_a_heading_and_a_paragraph_is_one_item_line() -> None:
    """A product page's feature list (readability's test pages): each item a name and a
    description, which trafilatura writes on one line; unmatched, the items were of no
    known kind and went as a tail block after the page's last heading."""
    from lxml import etree

    body = etree.fromstring(
        "<body><list><item><head>Page Inspector</head><p>Examine the HTML and CSS of any "
        "page.</p></item></list></body>"
    )

    kinds = line_kinds(body)

    assert kinds_of_lines(["- Page Inspector Examine the HTML and CSS of any page."], kinds) == (
        ITEM,
    )


def test_list_items_about_other_people_are_kept_in_a_roundup() -> None:
    # Seen on a celebrity-news blog: the post's last part is a list of one-line items, each
    # about someone else; judged line by line, each shared no words with the story.
    items = "".join(f"<li>{item}</li>" for item in ROUNDUP)
    body = _stored_body(_page(_paragraphs(STORY) + f"<ul>{items}</ul>"))

    for item in ROUNDUP:
        assert item in body


def test_scoreboard_rows_after_the_report_are_kept() -> None:
    # Seen on a match report: the scoreboard table under the last paragraph, after a
    # one-cell heading row, was removed as a tail block row by row.
    rows = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in SCOREBOARD)
    body = _stored_body(
        _page(_paragraphs(STORY) + f"<table><tr><td>SCOREBOARD</td></tr>{rows}</table>")
    )

    for team, score, overs in SCOREBOARD:
        assert f"| {team} | {score} | {overs} |" in body


def test_a_numbered_lineup_under_a_header_row_named_in_the_title_is_kept() -> None:
    """Seen on a baseball game thread (eval/realpages): rows whose first cell starts "1."
    were not matched to their table rows (the number read as a list marker), and the header
    row, whose team names the title repeats, went as a tail fragment; the rows followed it."""
    lineup = [
        ("1. Ada Moss (L) CF", "1. Ben Ray (R) SS"),
        ("2. Cy Lund (R) 1B", "2. Dee Hart (S) C"),
    ]
    header = "<tr><th>Riverside</th><th>Hill Club</th></tr>"
    rows = "".join(f"<tr><td>{home}</td><td>{away}</td></tr>" for home, away in lineup)
    body = _stored_body(_page(_paragraphs(STORY[:4]) + f"<table>{header}{rows}</table>"))

    assert "| Riverside | Hill Club |" in body
    for home, away in lineup:
        assert f"| {home} | {away} |" in body


def test_a_header_row_above_the_rule_of_a_data_table_belongs_to_the_table() -> None:
    rows = [
        "| Riverside | Hill Club |",
        "|---|---|",
        "| 212 for 6 | 198 all out |",
        "| 50 overs | 47.3 overs |",
    ]
    result = clean_paragraphs(
        [*STORY, *rows],
        title="Riverside against Hill Club",
        reference=FETCHED,
        kinds=[*[PARAGRAPH] * len(STORY), ROW, UNKNOWN, ROW, ROW],
    )
    assert [line for line in result.paragraphs if line.startswith("|")] == [rows[0], *rows[2:]]


def test_photo_captions_after_a_short_one_are_kept() -> None:
    # Seen on a news photo blog: under the introduction, one paragraph per photo, each a
    # caption with its credit in brackets (no full stop at the end). The first, short,
    # was taken for a stray fragment, and every caption after it went as a tail block.
    captions = [
        "Drummers on the harbour front (Photo: J. Reyes)",
        "Children in paper lantern costumes wait for the procession to start near the "
        "old customs house (Photo: J. Reyes)",
        "A float shaped like a fishing boat turns into the market square while the "
        "crowd cheers from the balconies (Photo: M. Okafor)",
        "Dancers from the sailing club close the parade in front of the town hall at "
        "dusk (Photo: M. Okafor)",
    ]
    body = _stored_body(_page(_paragraphs(STORY[:3]) + _paragraphs(captions)))

    for caption in captions[1:]:
        assert caption in body


def test_lines_after_a_share_row_still_go_with_it() -> None:
    # A block that a line's own words mark as furniture takes the short lines under it,
    # whatever element they were.
    links = ["Ferry timetable changes", "Harbour dues for next year", "Lighthouse open day"]
    body = _stored_body(
        _page(
            _paragraphs(STORY[:3])
            + "<p>Share this: Facebook | Twitter | Email</p>"
            + _paragraphs(links)
        )
    )

    for link in links:
        assert link not in body
