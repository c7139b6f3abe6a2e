"""Datelines in article text: "Jul 26, 2025 - 16:45", "Stand: 12.03.2026 18:07 Uhr".

Scrapers leave the publication date as a line of its own near the top or the
bottom of the text. This module recognises such a line and reads the moment
it names; a sentence that merely mentions a date is not a dateline.

A line is read in three passes over one lowercased copy: find the date (ISO,
numeric, or with a month name in English, German, French, Spanish, Italian,
Portuguese or Dutch), then a time, then a time zone, blanking each match.
What is left must be punctuation and a closed list of label words
("published", "stand", "mis à jour le", weekdays, "at", "uhr"), at most framed
by a capitalised place before the date or a name after it: any other word
means the line says more than when. Hand-written regexes rather than
dateparser: this runs on the first and last lines of every document, and
dateparser is far too slow for that and too lenient to reject sentences.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from extractors.record import to_utc

# A date this far past the reference (the fetch time) is a parsing error or a
# scheduled placeholder, never a publication date.
FUTURE_TOLERANCE = timedelta(hours=2)
# Older than this is an archive reference or a misread number, not news.
EARLIEST_YEAR = 1990
# A dateline with a label, a weekday and a zone fits well within this; longer
# lines are prose and are rejected before any regex runs.
MAX_LINE_CHARS = 120
# Two labelled dates with weekdays ("Publié le mardi 3 mars 2026 à 10h30, mis à
# jour le mercredi …") stay within this; more is a sentence of label words.
MAX_LABEL_WORDS = 12

# English, German, French, Spanish, Italian, Portuguese, Dutch, one line per
# month; accents are often dropped on the web, so unaccented spellings are listed too.
_MONTH_SPELLINGS = (
    "january jan januar jän jänner janvier janv enero ene gennaio gen janeiro januari",
    "february feb februar feber février fevrier févr fevr fév fev febrero febbraio fevereiro februari",
    "march mar märz mär maerz marz mars marzo março marco maart mrt",
    "april apr avril avr abril abr aprile",
    "may mai mayo maggio mag maio mei",
    "june jun juni juin junio giugno giu junho",
    "july jul juli juillet juil julio luglio lug julho",
    "august aug août aout agosto ago augustus",
    "september sep sept septembre septiembre setiembre set settembre sett setembro",
    "october oct oktober okt octobre octubre ottobre ott outubro out",
    "november nov novembre noviembre novembro",
    "december dec dezember dez décembre decembre déc dic diciembre dicembre dezembro",
)
_MONTHS = {
    name: number
    for number, spellings in enumerate(_MONTH_SPELLINGS, start=1)
    for name in spellings.split()
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))

_WEEKDAYS = """
    monday tuesday wednesday thursday friday saturday sunday
    mon tue tues wed thu thur thurs fri sat sun
    montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag
    mo di mi do fr sa so
    lundi mardi mercredi jeudi vendredi samedi dimanche lun mar mer jeu ven sam dim
    lunes martes miércoles miercoles jueves viernes sábado sabado domingo mié
    lunedì martedì mercoledì giovedì venerdì sabato domenica
    lunedi martedi mercoledi giovedi venerdi
    segunda terça terca quarta quinta sexta feira seg ter qua qui sex sáb
    maandag dinsdag woensdag donderdag vrijdag zaterdag zondag ma wo vr za zo
"""
_LABELS = """
    published updated posted last first modified date dated released created
    edited originally on at of the
    stand veröffentlicht aktualisiert zuletzt erstellt geändert erschienen
    publiziert datum am um vom uhr
    publié publiée publie mis mise à jour modifié modifiée actualisé dernière
    le la du h
    publicado publicada actualizado actualizada modificado fecha última ultima
    actualización el a las de del hora
    pubblicato pubblicata aggiornato aggiornata aggiornamento ultimo modificato
    il alle ore data
    atualizado atualizada atualização actualização em às as do
    gepubliceerd bijgewerkt laatst geplaatst gewijzigd op om uur
    read reading time lesezeit lesedauer temps lecture lectura tiempo tempo lettura
    leestijd leitura ago vor il y hace fa há geleden
"""
_FILLER = frozenset(_WEEKDAYS.split()) | frozenset(_LABELS.split())

# Offsets in hours for fixed abbreviations; US zones named without standard or
# daylight ("ET") follow the date's own daylight-saving state.
_FIXED_ZONES: dict[str, float] = {
    "utc": 0,
    "gmt": 0,
    "ut": 0,
    "z": 0,
    "wet": 0,
    "west": 1,
    "bst": 1,
    "cet": 1,
    "mez": 1,
    "cest": 2,
    "mesz": 2,
    "eet": 2,
    "eest": 3,
    "msk": 3,
    "ist": 5.5,  # India; Irish and Israeli usage are rarer in news datelines
    "hkt": 8,
    "sgt": 8,
    "jst": 9,
    "kst": 9,
    "aest": 10,
    "aedt": 11,
    "est": -5,
    "edt": -4,
    "cst": -6,  # US Central; Chinese outlets write "Beijing time" instead
    "cdt": -5,
    "mst": -7,
    "mdt": -6,
    "pst": -8,
    "pdt": -7,
}
_REGIONAL_ZONES = {
    "et": "America/New_York",
    "ct": "America/Chicago",
    "mt": "America/Denver",
    "pt": "America/Los_Angeles",
}
# Zones whose sites write month-first numeric dates ("03/04/2026" is 4 March).
_US_ZONES = frozenset(
    ["est", "edt", "et", "cst", "cdt", "ct", "mst", "mdt", "mt", "pst", "pdt", "pt"]
)
_WORDLIKE_ZONES = frozenset(["et", "est", "ist", "ct", "mt", "pt", "ut", "z"])
_ZONE_NAMES = "|".join(sorted([*_FIXED_ZONES, *_REGIONAL_ZONES], key=len, reverse=True))

_DAY_SUFFIX = r"(?:st|nd|rd|th|er|º|°|ª|\.)?"
_DATE = re.compile(
    rf"""
    (?<![\w.+-])  # not inside a number or a word, nor an offset ("UTC+2 March")
    (?:
        # 2026-03-03, 2026/03/03, 2026.03.03
        (?P<iso_y>\d{{4}})(?P<iso_sep>[-/.])(?P<iso_m>\d{{1,2}})(?P=iso_sep)(?P<iso_d>\d{{1,2}})(?!\d)
      | # 12.03.2026, 08/07/2026, 3/14/26
        (?P<num_a>\d{{1,2}})(?P<num_sep>[-/.])(?P<num_b>\d{{1,2}})(?P=num_sep)(?P<num_y>\d{{4}}|\d{{2}})(?![\d:])
      | # 3 March 2026, 12. März 2026, 8 de julio de 2026, 1er juillet, 3-Mar-2026
        (?P<dmy_d>\d{{1,2}}){_DAY_SUFFIX}[\s/-]*(?:(?:de|of)\s+)?
        (?P<dmy_m>{_MONTH_NAMES})(?![^\W\d_])\.?
        (?:[\s,/-]*(?:(?:de|del)\s+)?(?P<dmy_y>\d{{4}})(?![\d:]))?
      | # March 3, 2026; Jul 26 2025; Mar. 3
        (?<![^\W\d_])(?P<mdy_m>{_MONTH_NAMES})(?![^\W\d_])\.?[\s-]*
        (?P<mdy_d>\d{{1,2}})(?!\d)(?![:.h]\d)(?:st|nd|rd|th)?
        # "mar. 3 mars 2026": "mar" was Tuesday, the date starts at the day
        (?![\s.,]*(?:de\s+)?(?:{_MONTH_NAMES})(?![^\W\d_]))
        (?:\s*,?\s*(?P<mdy_y>\d{{4}})(?![\d:]))?
    )
    """,
    re.VERBOSE,
)
# Reading times and relative updates ride along on datelines ("12 March 2026 ·
# 5 min read", "Published 3 February 2026 Updated 2 hours ago"); they say nothing
# about the date, so they are blanked like labels.
_ASIDE = re.compile(
    r"""
    (?<![\w.:])\d{1,3}\s?(?:min(?:ute)?s?|minuten|minuti|minutos|mn)(?![^\W\d_])\.?
  | (?<![\w.:])\d{1,3}\s
    (?:seconds?|minutes?|mins?|hours?|hrs?|days?|stunden|minuten|tagen|heures?|jours?
      |horas?|minutos?|días|dias|ore|minuti|giorni|uur|dagen)
    (?![^\W\d_])
    """,
    re.VERBOSE,
)
_TIME = re.compile(
    r"""
    (?<![\w.:+-])  # not inside a number or a word, nor an offset's hours ("+01:00")
    (?P<hour>\d{1,2})
    (?:
        \s?(?:[:.]|h)\s?(?P<minute>\d{2})(?:[:.](?P<second>\d{2})(?:[.,]\d{1,9})?)?
      | (?=\s*(?:[ap]\.?\s?m\b|h\b|uhr\b))  # a bare hour: "9 a.m.", "10h", "18 Uhr"
    )
    (?!\d)
    (?:\s*(?P<meridiem>[ap])\.?\s?m\b\.?)?
    (?:\s*(?:uhr|h)\b)?
    """,
    re.VERBOSE,
)
_ZONE = re.compile(
    rf"""
    (?<![^\W\d_])(?P<name>{_ZONE_NAMES})(?![^\W\d_])
    (?:\s*(?P<sign>[+-])\s*(?P<hours>\d{{1,2}})(?::?(?P<minutes>\d{{2}}))?(?!\d))?
  | (?<![\w+-])(?P<bare_sign>[+-])(?P<bare_hours>\d{{2}}):?(?P<bare_minutes>\d{{2}})(?!\d)
    """,
    re.VERBOSE,
)
# A place or a name: up to three or four words of letters, hyphens, apostrophes, dots.
_NAME_WORD = r"[^\W\d_](?:[^\W\d_]|['’.-])*"
_PLACE = re.compile(rf"\s*(?P<words>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})\s*,")
_TRAILING_NAME = re.compile(rf"\s*[·•|–—-]\s*(?P<words>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}})\s*$")
_NAME_PARTICLES = frozenset(
    ["von", "van", "der", "den", "de", "del", "della", "di", "da", "du", "le", "la", "y"]
)
_BYLINE_MARKERS = frozenset(["by", "von", "par", "por", "di", "da", "door"])
# A second time on one date's line is its update only after one of these.
_UPDATE_LABELS = """
    updated modified edited aktualisiert geändert mis jour modifié modifiée actualisé
    actualizado actualizada modificado aggiornato aggiornata modificato atualizado
    atualizada bijgewerkt gewijzigd
"""
_UPDATE_WORDS = frozenset(_UPDATE_LABELS.split())
_ZONE_GAP = re.compile(r"[\s(\[]*")
_NO_GAP = re.compile("")
_WORD = re.compile(r"[^\W_]+")
_DIGIT = re.compile(r"\d")
_ISO_T = re.compile(r"(?<=\d)t(?=\d)")
_SPACES = str.maketrans(
    {
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u2007": " ",
        "\u2212": "-",  # minus sign in offsets: "UTC−5"
    }
)


def parse_dateline(line: str, *, reference: datetime) -> datetime | None:
    """Read the moment a dateline names, when the whole line is one.

    A dateline is a date, optionally with a time, a time zone, a weekday, a
    short label ("Published", "Stand:", "Mis à jour le", "Actualizado:") and
    separators. A place before the date ("Sevilla, 20/02/2026 - 10:15") and a
    name after it ("17 février 2026 · Claire Fontanel") may frame it. A line
    holding two dates ("Published 3 March 2026 · Updated 4 March 2026") or an
    update time ("à 09h12, mis à jour à 11h40") gives the first, the publication.

    Numeric dates are read day first (12.03.2026 is 12 March) unless the
    fields only make sense month first (3/14/2026), or the line carries a US
    time zone and uses slashes. A missing time zone is read as UTC; a date
    without a year takes the reference's year, or the year before when that
    would put it in the future.

    Args:
        line: one line of text, as the scraper delivered it.
        reference: when the text was fetched; naive means UTC. Dates more than
            ``FUTURE_TOLERANCE`` after it are rejected as misreadings.

    Returns:
        The moment as an aware UTC datetime (midnight UTC for a date without a
        time), or None when the line is not a dateline, names an impossible
        date, is in the future, or lies before ``EARLIEST_YEAR``.
    """
    if len(line) > MAX_LINE_CHARS or not _DIGIT.search(line):
        return None
    cased = unicodedata.normalize("NFC", line).translate(_SPACES)
    text = _ISO_T.sub(" ", cased.lower())
    dates = list(_DATE.finditer(text))
    if not dates or len(dates) > 2:
        return None
    rest = _blank(text, dates)
    rest = _blank(rest, _ASIDE.finditer(rest))
    times = list(_TIME.finditer(rest))
    rest = _blank(rest, times)
    zones = [zone for zone in _ZONE.finditer(rest) if _is_zone(zone, times, text, cased)]
    rest = _blank(rest, zones)
    if len(cased) == len(text):  # spans of the cased copy fit the lowercased one
        last = max(match.end() for match in [*dates, *times, *zones])
        rest = _blank(rest, _place_and_name(cased, dates[0].start(), last))
    words = _WORD.findall(rest)
    if len(words) > MAX_LABEL_WORDS or not _FILLER.issuperset(words):
        return None

    # The first date owns the times before the second date, if there is one;
    # a second time of its own must be an update ("à 09h12, mis à jour à 11h40").
    end = dates[1].start() if len(dates) > 1 else len(text)
    own_times = [match for match in times if match.start() < end]
    if len(own_times) > 2 or len(times) - len(own_times) > 1:
        return None
    if len(own_times) == 2 and _UPDATE_WORDS.isdisjoint(
        _WORD.findall(text, own_times[0].end(), own_times[1].start())
    ):
        return None
    moment = _read(
        dates[0], own_times[0] if own_times else None, zones[0] if zones else None, reference
    )
    if moment is None or moment.year < EARLIEST_YEAR:
        return None
    if moment > to_utc(reference) + FUTURE_TOLERANCE:
        return None
    return moment


def names_date_and_time(text: str) -> bool:
    """Whether the text names a day and a time of day, as a post's or a comment's stamp does.

    "Posted by: Ellen at September 10, 2012 11:40 AM" and "on 9:45pm Tue 1 Jan 08" do; "in
    2012" or "at 11:40" alone do not. Unlike ``parse_dateline``, other words may surround them.
    """
    if not _DIGIT.search(text):
        return False
    lowered = _ISO_T.sub(" ", unicodedata.normalize("NFC", text).translate(_SPACES).lower())
    dates = list(_DATE.finditer(lowered))
    return bool(dates) and _TIME.search(_blank(lowered, dates)) is not None


def _blank(text: str, matches: Iterable[re.Match[str] | tuple[int, int]]) -> str:
    # Spaces of the same length keep later matches' positions comparable.
    for match in matches:
        start, end = match if isinstance(match, tuple) else match.span()
        text = f"{text[:start]}{' ' * (end - start)}{text[end:]}"
    return text


def _place_and_name(cased: str, first: int, last: int) -> list[tuple[int, int]]:
    """Spans of a place before the date and a name after everything, if any.

    "Sevilla, 20/02/2026 - 10:15" is an agency dateline and "17 février 2026 ·
    Claire Fontanel" a blog's date and author: capitalised words in those two
    places say where or who, not more than when. "By Jane Doe, 3 March" is a
    byline and stays one.
    """
    spans = []
    place = _PLACE.match(cased)
    if place is not None and place.end() <= first and _is_name(place.group("words")):
        first_word = place.group("words").split()[0].lower()
        if first_word not in _BYLINE_MARKERS:
            spans.append(place.span())
    name = _TRAILING_NAME.search(cased, last)
    if name is not None and _is_name(name.group("words")):
        spans.append(name.span())
    return spans


def _is_name(words: str) -> bool:
    first, *others = words.split()
    return first[0].isupper() and all(
        word[0].isupper() or word in _NAME_PARTICLES for word in others
    )


def _is_zone(zone: re.Match[str], times: list[re.Match[str]], text: str, cased: str) -> bool:
    name = zone.group("name")
    if name not in _WORDLIKE_ZONES:
        return True
    # "et", "est" and "ist" are also words ("Il est 10h30", "et mis à jour"), so
    # they name a zone only right after a time and, but for ISO's "Z", in capitals.
    gap = _NO_GAP if name == "z" else _ZONE_GAP
    if not any(
        time.end() <= zone.start() and gap.fullmatch(text, time.end(), zone.start())
        for time in times
    ):
        return False
    # Lowercasing rarely changes a string's length; when it did, trust the position.
    return name == "z" or len(cased) != len(text) or cased[zone.start() : zone.end()].isupper()


def _read(
    date: re.Match[str],
    time: re.Match[str] | None,
    zone: re.Match[str] | None,
    reference: datetime,
) -> datetime | None:
    clock = _clock(time) if time is not None else (0, 0, 0)
    if clock is None:
        return None
    year, month, day = _calendar(
        date, us_order=zone is not None and zone.group("name") in _US_ZONES
    )
    # A zone shifts a moment, not a bare date: "3 March 2026 GMT" stays 3 March.
    offset = _zone(zone) if zone is not None and time is not None else UTC
    if offset is None:
        return None
    if year is None:
        return _infer_year(month, day, clock, offset, reference)
    return _moment(year, month, day, clock, offset)


def _calendar(date: re.Match[str], *, us_order: bool) -> tuple[int | None, int, int]:
    groups = date.groupdict()
    if groups["iso_y"]:
        return int(groups["iso_y"]), int(groups["iso_m"]), int(groups["iso_d"])
    if groups["num_a"]:
        first, second = int(groups["num_a"]), int(groups["num_b"])
        year = int(groups["num_y"])
        if year < 100:
            year += 2000
        # Day first is the rule outside the US; month first only when the
        # numbers force it, or a US zone says so and slashes are used.
        month_first = second > 12 >= first or (
            us_order and groups["num_sep"] == "/" and first <= 12
        )
        return (year, first, second) if month_first else (year, second, first)
    if groups["dmy_m"]:
        year_text, month_name, day_text = groups["dmy_y"], groups["dmy_m"], groups["dmy_d"]
    else:
        year_text, month_name, day_text = groups["mdy_y"], groups["mdy_m"], groups["mdy_d"]
    return (int(year_text) if year_text else None), _MONTHS[month_name], int(day_text)


def _clock(time: re.Match[str]) -> tuple[int, int, int] | None:
    hour = int(time.group("hour"))
    minute = int(time.group("minute") or 0)
    second = int(time.group("second") or 0)
    meridiem = time.group("meridiem")
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def _infer_year(
    month: int, day: int, clock: tuple[int, int, int], offset: tzinfo, reference: datetime
) -> datetime | None:
    # "Mar 3 · 10:45" is this year's unless that is still ahead of the
    # reference, as a January fetch of a December article is.
    latest = to_utc(reference) + FUTURE_TOLERANCE
    for year in (latest.year, latest.year - 1):
        moment = _moment(year, month, day, clock, offset)
        if moment is not None and moment <= latest:
            return moment
    return None


def _moment(
    year: int, month: int, day: int, clock: tuple[int, int, int], offset: tzinfo
) -> datetime | None:
    try:
        local = datetime(year, month, day, *clock, tzinfo=offset)
    except ValueError:
        return None
    return local.astimezone(UTC)


def _zone(match: re.Match[str]) -> tzinfo | None:
    if match.group("bare_sign"):
        sign, hours, minutes = (
            match.group("bare_sign"),
            match.group("bare_hours"),
            match.group("bare_minutes"),
        )
    else:
        name = match.group("name")
        if name in _REGIONAL_ZONES and not match.group("sign"):
            return _regional_zone(_REGIONAL_ZONES[name])
        base = timedelta(hours=_FIXED_ZONES[name])
        if not match.group("sign"):
            return timezone(base)
        if name not in ("utc", "gmt", "ut"):
            return None  # "CET+1" is no offset anyone writes
        sign, hours, minutes = match.group("sign"), match.group("hours"), match.group("minutes")
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if offset > timedelta(hours=14):
        return None
    return timezone(-offset if sign == "-" else offset)


@cache
def _regional_zone(key: str) -> tzinfo:
    return ZoneInfo(key)


_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?=[/_.-]|$)"
)


def date_in_url(url: str, *, reference: datetime) -> date | None:
    """The day a URL's path spells (``/2026/05/14/…``, ``/20260514-…``), if plausible.

    A hint only: CMSs put the day a story was *first* filed, a section's
    archive day or a category date there, so it is never taken as the
    publication time.

    Args:
        url: the article URL.
        reference: the fetch time; a day after it is not plausible.

    Returns:
        The day, or None when the path has none or it lies after ``reference``.
    """
    path = url.split("?", 1)[0].split("#", 1)[0]
    for match in _URL_DATE.finditer(path):
        try:
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
        if day.year >= EARLIEST_YEAR and day <= to_utc_date(reference):
            return day
    return None


def to_utc_date(moment: datetime) -> date:
    """The UTC day of a time (naive times are UTC)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()
