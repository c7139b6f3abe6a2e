"""Tests for extractors.dates: datelines in article text."""

from __future__ import annotations

import random
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from extractors.dates import (
    EARLIEST_YEAR,
    FUTURE_TOLERANCE,
    MAX_LINE_CHARS,
    date_in_url,
    names_date_and_time,
    parse_dateline,
)
from extractors.html import html_to_record

REFERENCE = datetime(2026, 7, 27, 12, 0, tzinfo=UTC)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _parse(line: str, reference: datetime = REFERENCE) -> datetime | None:
    return parse_dateline(line, reference=reference)


# --- datelines as scrapers deliver them ---------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # English
        ("Jul 26, 2025 - 16:45", "2025-07-26 16:45"),
        ("Jul 26, 2025 · 16:45", "2025-07-26 16:45"),
        ("Jul. 26, 2025 | 16:45", "2025-07-26 16:45"),
        ("Published 3 March 2026", "2026-03-03 00:00"),
        ("Published: 3rd March 2026", "2026-03-03 00:00"),
        ("Published on the 3rd of March 2026", "2026-03-03 00:00"),
        ("Updated March 3, 2026", "2026-03-03 00:00"),
        ("March 3, 2026 at 9:15 a.m. ET", "2026-03-03 14:15"),  # EST before the DST switch
        ("July 3, 2026 at 9:15 a.m. ET", "2026-07-03 13:15"),  # EDT after it
        ("March 3, 2026 at 9:15 p.m. PT", "2026-03-04 05:15"),
        ("Tuesday 3 March 2026 09.15 GMT", "2026-03-03 09:15"),
        ("Last modified on Tue 3 Mar 2026 10.00 GMT", "2026-03-03 10:00"),
        ("Fri 13 Mar 2026 12.00 EDT", "2026-03-13 16:00"),
        ("26 July 2025 | 4:45pm BST", "2025-07-26 15:45"),
        ("10:30, 3 March 2026", "2026-03-03 10:30"),
        ("(3 March 2026)", "2026-03-03 00:00"),
        ("3-Mar-2026", "2026-03-03 00:00"),
        ("Mar 3 2026, 12 pm", "2026-03-03 12:00"),
        ("Mar 3 2026, 12 am", "2026-03-03 00:00"),
        ("3 March 2026 10:30 IST", "2026-03-03 05:00"),
        ("3 March 2026 10:30 JST", "2026-03-03 01:30"),
        ("3 March 2026 10:30 UTC+2", "2026-03-03 08:30"),
        ("3 March 2026 10:30 GMT-05:00", "2026-03-03 15:30"),
        ("3 March 2026 10:30 (CET)", "2026-03-03 09:30"),
        # ISO 8601
        ("2026-03-03T09:15:00Z", "2026-03-03 09:15"),
        ("2026-03-03T09:15:00+01:00", "2026-03-03 08:15"),
        ("2026-03-03 09:15:00.123-0500", "2026-03-03 14:15"),
        ("2026-03-03", "2026-03-03 00:00"),
        ("2026/03/03 09:15", "2026-03-03 09:15"),
        # German
        ("12.03.2026, 18:07 Uhr", "2026-03-12 18:07"),
        ("Stand: 12.03.2026 18:07 Uhr", "2026-03-12 18:07"),
        ("12.03.26, 18:07", "2026-03-12 18:07"),
        ("Zuletzt aktualisiert am Dienstag, 3. März 2026 um 10:30 Uhr", "2026-03-03 10:30"),
        ("Aktualisiert: Di., 03.03.2026, 10:45 Uhr", "2026-03-03 10:45"),
        ("3. März 2026, 12 Uhr", "2026-03-03 12:00"),
        ("Veröffentlicht am 3. Maerz 2026 um 18:07 Uhr MEZ", "2026-03-03 17:07"),
        ("12.07.2026 18:07 Uhr MESZ", "2026-07-12 16:07"),
        # French
        ("Publié le 8 juillet 2026 à 10h30", "2026-07-08 10:30"),
        ("Mis à jour le 08/07/2026 à 10:30", "2026-07-08 10:30"),
        ("Publié le mercredi 1er juillet 2026 à 10h", "2026-07-01 10:00"),
        ("8 juil. 2026 à 10h30", "2026-07-08 10:30"),
        ("mar. 3 mars 2026 à 10:30", "2026-03-03 10:30"),  # "mar." is Tuesday here
        # Spanish
        ("8 de julio de 2026, 10:30", "2026-07-08 10:30"),
        ("Actualizado: 08/07/2026 10:30 CEST", "2026-07-08 08:30"),
        ("Publicado el miércoles 8 de julio de 2026 a las 10:30 h", "2026-07-08 10:30"),
        ("mar, 3 de marzo de 2026 10:30", "2026-03-03 10:30"),
        # Italian
        ("Aggiornato il 3 marzo 2026 alle 09:15", "2026-03-03 09:15"),
        ("Pubblicato: martedì 3 marzo 2026, ore 09:15", "2026-03-03 09:15"),
        # Portuguese
        ("Publicado em 3 de março de 2026, às 10h30", "2026-03-03 10:30"),
        ("Atualizado em 03/03/2026 09h15", "2026-03-03 09:15"),
        # Dutch
        ("Gepubliceerd op 3 maart 2026 om 10:30", "2026-03-03 10:30"),
        ("Laatst bijgewerkt: 3 mrt 2026, 10:30 uur", "2026-03-03 10:30"),
        # numeric
        ("03/03/2026 09h15", "2026-03-03 09:15"),
        # a place before the date, a name or section after it
        ("Sevilla, 20/02/2026 - 10:15", "2026-02-20 10:15"),
        ("BERLIN, 3. März 2026", "2026-03-03 00:00"),
        ("Den Haag, 3 maart 2026", "2026-03-03 00:00"),
        ("Berlin, Dienstag, 3. März 2026", "2026-03-03 00:00"),
        ("New York, March 3, 2026 at 9:15 a.m. ET", "2026-03-03 14:15"),
        ("17 février 2026 · Claire Fontanel", "2026-02-17 00:00"),
        ("3 March 2026 | Ursula von der Leyen", "2026-03-03 00:00"),
        ("Mar 3, 2026 - Technology", "2026-03-03 00:00"),
        ("Updated Mar 3, 2026 - 14:05 EST", "2026-03-03 19:05"),
        # reading times and relative updates alongside
        ("12 March 2026 · 5 min read", "2026-03-12 00:00"),
        ("12.03.2026, 18:07 Uhr · Lesezeit: 4 Minuten", "2026-03-12 18:07"),
        ("Publié le 3 mars 2026 · Temps de lecture : 3 min", "2026-03-03 00:00"),
        ("Published 3 February 2026 Updated 2 hours ago", "2026-02-03 00:00"),
        ("Veröffentlicht am 3. März 2026, aktualisiert vor 5 Stunden", "2026-03-03 00:00"),
        # a publication time and an update time
        ("Publié le 3 mars 2026 à 09h12, mis à jour à 11h40", "2026-03-03 09:12"),
        ("Aktualisiert am 19.02.2026 – 16:05 Uhr", "2026-02-19 16:05"),
    ],
)
def test_datelines_are_read(line: str, expected: str) -> None:
    assert _parse(line) == _utc(expected)


def test_result_is_aware_utc() -> None:
    moment = _parse("Actualizado: 08/07/2026 10:30 CEST")

    assert moment is not None
    assert moment.utcoffset() == timedelta(0)
    assert moment.tzinfo is UTC


def test_two_dates_give_the_first() -> None:
    line = "Published 3 March 2026 · Updated 4 March 2026 10:30"

    assert _parse(line) == _utc("2026-03-03 00:00")
    assert _parse("Publié le 3 mars 2026 à 09h00, mis à jour le 4 mars 2026 à 11h00") == _utc(
        "2026-03-03 09:00"
    )


def test_decomposed_accents_are_read() -> None:
    line = unicodedata.normalize("NFD", "Publié le 3 mars 2026 à 10h30 · Aktualisiert 3. März")

    assert _parse(unicodedata.normalize("NFD", "Veröffentlicht am 3. März 2026")) == _utc(
        "2026-03-03 00:00"
    )
    assert _parse(line) == _utc("2026-03-03 10:30")


def test_no_break_spaces_and_minus_signs_are_read() -> None:
    assert _parse("3\u00a0March\u00a02026 10:30\u202fUTC\u22125") == _utc("2026-03-03 15:30")


# --- numeric day and month order -----------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("03/04/2026", "2026-04-03"),  # day first by default
        ("03.04.2026", "2026-04-03"),
        ("03-04-2026", "2026-04-03"),
        ("14/3/2026", "2026-03-14"),
        ("3/14/2026", "2026-03-14"),  # 14 cannot be a month: US order
        ("3.14.2026", "2026-03-14"),
        ("12/11/2025", "2025-11-12"),
        ("03/04/2026 9:15 AM EST", "2026-03-04"),  # a US zone reads slashes month first
        ("03.04.2026 9:15 EST", "2026-04-03"),  # ... but not dots
        ("14/03/2026 9:15 AM EST", "2026-03-14"),  # and never against the numbers
    ],
)
def test_numeric_field_order(line: str, expected: str) -> None:
    moment = _parse(line)

    assert moment is not None
    assert moment.date().isoformat() == expected


# --- dates without a year ------------------------------------------------------


def test_yearless_date_takes_the_reference_year() -> None:
    assert _parse("Mar 3 · 10:45") == _utc("2026-03-03 10:45")
    assert _parse("3 mars, 10h45") == _utc("2026-03-03 10:45")


def test_yearless_date_after_the_reference_is_last_year() -> None:
    january = datetime(2026, 1, 2, 8, 0, tzinfo=UTC)

    assert _parse("Dec 31, 10:00", reference=january) == _utc("2025-12-31 10:00")
    assert _parse("Jan 2, 09:00", reference=january) == _utc("2026-01-02 09:00")


def test_yearless_date_looks_back_one_year_at_most() -> None:
    # Feb 29 exists in neither 2026 nor 2025; older years are not guessed.
    assert _parse("Feb 29", reference=datetime(2026, 3, 1, tzinfo=UTC)) is None
    assert _parse("Feb 29", reference=datetime(2025, 3, 1, tzinfo=UTC)) == _utc("2024-02-29")
    assert _parse("Feb 29", reference=datetime(2024, 3, 1, tzinfo=UTC)) == _utc("2024-02-29")


# --- the reference -------------------------------------------------------------


def test_naive_reference_is_utc() -> None:
    naive = datetime(2026, 3, 3, 10, 0)

    assert _parse("2026-03-03 11:59", reference=naive) == _utc("2026-03-03 11:59")
    assert _parse("2026-03-03 12:01", reference=naive) is None


def test_future_tolerance_is_two_hours() -> None:
    edge = REFERENCE + FUTURE_TOLERANCE

    assert timedelta(hours=2) == FUTURE_TOLERANCE
    assert _parse(edge.strftime("%Y-%m-%d %H:%M")) == edge
    assert _parse((edge + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")) is None


def test_reference_in_another_zone_is_compared_in_utc() -> None:
    from datetime import timezone

    berlin_noon = datetime(2026, 3, 3, 12, 0, tzinfo=timezone(timedelta(hours=1)))

    assert _parse("2026-03-03 12:59 UTC", reference=berlin_noon) == _utc("2026-03-03 12:59")
    assert _parse("2026-03-03 13:01 UTC", reference=berlin_noon) is None


# --- what is not a dateline ----------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        # sentences that mention a date
        "The law takes effect on 3 March 2026 across the bloc.",
        "On 3 March 2026, the law takes effect.",
        "Sales rose 3.5% in March 2026",
        "Il est 10h30 le 3 mars 2026",
        "Das Gesetz tritt am 3. März 2026 in Kraft.",
        "La ley entra en vigor el 8 de julio de 2026.",
        # bylines and credits with a date
        "By Jane Doe, March 3, 2026",
        "Posted by admin on March 3, 2026",
        "Foto: dpa, 12.03.2026",
        # numbers and times alone
        "0",
        "2026",
        "12",
        "16:45",
        "18:07 Uhr",
        "Updated at 10:30",
        "Heute, 10:30 Uhr",
        "Page 3 of 12",
        "1.2.2026.3",
        "+49 30 1234 5678",
        # a month without a day
        "March 2026",
        "März 2026",
        # impossible dates and times
        "31/02/2026",
        "13/14/2026",
        "2026-13-01",
        "3 March 2026 25:00",
        "3 March 2026 13:15 pm",
        "3 March 2026 10:30 UTC+15",
        # too many times or dates for one dateline
        "3 March 2026 10:30 11:00",
        "1 March 2026, 2 March 2026, 3 March 2026",
        # more than a place or a name around the date
        "By Jane Doe, 3 March 2026",
        "Von Anna Schmidt, 3. März 2026",
        "3 March 2026 · by admin",
        "3 March 2026 - The law takes effect",
        "Germany, France and Italy signed on 3 March 2026",
        # reading times and relative times alone
        "5 min read",
        "Lesezeit: 4 Minuten",
        "Updated 2 hours ago",
        "vor 5 Stunden",
        "3 March 2026 · 5 min read · 1200 words",
        # two times without an update between them
        "10:30 - 11:00, 3 March 2026",
        "Publié le 3 mars 2026 à 09h12 et 11h40",
        # numbers glued to something else
        "Stand: UTC+2 March",
        "10h30 mars",
        "Tuesday UTC-3 mars",
        # ranges
        "3-5 March 2026",
        "March 3-5, 2026",
        # zone words that are ordinary words in lower case or away from a time
        "Mis à jour le 8 juillet 2026 à 10h30 et",
        "3 March 2026 et 10:30",
        # empty and blank
        "",
        "   ",
    ],
)
def test_not_a_dateline(line: str) -> None:
    assert _parse(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "2026-07-27 14:01",  # just past the tolerance
        "28 July 2026",
        "Sept. 3, 2026",
        "2027-01-01",
        "12.03.2030, 18:07 Uhr",
    ],
)
def test_future_dates_are_rejected(line: str) -> None:
    assert _parse(line) is None


@pytest.mark.parametrize("line", ["1989-12-31", "31 December 1989", "12.03.1975", "3/14/89"])
def test_dates_before_the_earliest_year_are_rejected(line: str) -> None:
    assert _parse(line) is None


def test_earliest_year_itself_is_accepted() -> None:
    assert _parse(f"{EARLIEST_YEAR}-01-01") == _utc(f"{EARLIEST_YEAR}-01-01")


def test_long_lines_are_not_datelines() -> None:
    line = "Published 3 March 2026" + " " * MAX_LINE_CHARS

    assert _parse(line.strip()) is not None
    assert _parse(line) is None


def test_zone_without_a_time_keeps_the_calendar_date() -> None:
    assert _parse("3 March 2026 CET") == _utc("2026-03-03 00:00")


def test_a_sentence_with_a_date_is_not_a_dateline() -> None:
    assert _parse("Stand: 12.03.2026 18:07 Uhr") is not None
    assert _parse("The law takes effect on 3 March 2026.") is None


def _best_of_three(work: Callable[[], object]) -> float:
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


def test_is_fast_enough_for_every_document() -> None:
    # Measured against a reference in the same test, not a wall-clock bound: a busy CI
    # machine slows both alike. Parsing a dateline costs about 4 strptime calls here;
    # a regex that backtracks catastrophically would cost thousands.
    lines = [
        "Stand: 12.03.2026 18:07 Uhr",
        "March 3, 2026 at 9:15 a.m. ET",
        "The law takes effect on 3 March 2026 across the bloc.",
        "Minister resigns over expenses scandal",
    ] * 250

    def parse_all() -> None:
        for line in lines:
            parse_dateline(line, reference=REFERENCE)

    def strptime_all() -> None:
        for _ in lines:
            datetime.strptime("12.03.2026 18:07", "%d.%m.%Y %H:%M")

    assert _best_of_three(parse_all) < 40 * _best_of_three(strptime_all)


def test_random_token_soup_never_raises_and_respects_the_bounds() -> None:
    rng = random.Random(20260727)
    tokens = [
        "3", "12", "31", "2026", "1989", "26", "03.03.2026", "3/14/2026", "2026-03-03T09:15:00Z",
        "March", "mars", "mar.", "de", "le", "à", "10h30", "9:15", "a.m.", "pm", "18:07", "Uhr",
        "ET", "et", "CEST", "UTC+2", "+01:00", "-", "·", "|", ",", "(", ")", "Published", "Stand:",
        "Tuesday", "the", "law", "Z", "24:00", "99", "0",
    ]  # fmt: skip
    for _ in range(3000):
        line = " ".join(rng.choices(tokens, k=rng.randint(1, 8)))
        moment = _parse(line)
        if moment is not None:
            assert moment.tzinfo is UTC
            assert moment.year >= EARLIEST_YEAR
            assert moment <= REFERENCE + FUTURE_TOLERANCE


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example.com/2026/05/14/eu-ai-act", date(2026, 5, 14)),
        ("https://news.example.com/world/20260514-eu-ai-act.html", date(2026, 5, 14)),
        ("https://news.example.com/2026-05-14/story", date(2026, 5, 14)),
        ("https://news.example.com/story-12345678", None),
        ("https://news.example.com/2026/13/40/story", None),
        ("https://news.example.com/2027/01/01/scheduled", None),
        ("https://news.example.com/story?date=2026/05/14", None),
    ],
)
def test_date_in_url_is_a_plausible_day_of_the_path(url: str, expected: date | None) -> None:
    assert date_in_url(url, reference=datetime(2026, 11, 22, tzinfo=UTC)) == expected


def test_the_url_day_is_a_hint_beside_the_page_date_not_the_answer() -> None:
    html = (
        "<html><head><meta property='article:published_time' content='2026-05-16T08:00:00Z'>"
        "</head><body><article>"
        + "".join(
            f"<p>Point {n}: the ministers agreed on new rules for general-purpose AI models.</p>"
            for n in range(8)
        )
        + "</article></body></html>"
    )
    record = html_to_record(
        html.encode(),
        "https://news.example.com/2026/05/14/story",
        datetime(2026, 11, 22, tzinfo=UTC),
    )

    assert record.published_at == datetime(2026, 5, 16, 8, 0, tzinfo=UTC)
    assert record.extra["urlDate"] == "2026-05-14"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Posted by: Ellen at September 10, 2012 11:40 AM", True),
        ("Tracked on Apr 6, 2007 3:09:50 PM", True),
        ("Posted by: irf, Accrington on 9:45pm Tue 1 Jan 08 lol", True),
        ("Anna sagt: 3. März 2020 um 10:32", True),
        ("Posted by Kathy on April 6, 2007 | Permalink", False),
        ("The meeting starts at 11:40 in the town hall", False),
        ("Figures for 2012 and 2013", False),
    ],
)
def test_a_day_and_a_time_of_day_are_both_needed_for_a_stamp(text: str, expected: bool) -> None:
    assert names_date_and_time(text) is expected
