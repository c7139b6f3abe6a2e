"""Google News article links: recognise them and speak the decoding protocol (no I/O here).

A Google News RSS item links to ``https://news.google.com/rss/articles/<id>?oc=5``, not to
the article. Current ids (``CBMi…AU_yqL…``) are no longer a base64 copy of the article URL;
the publisher's URL is obtained in two requests, whose pure halves live here:

1. GET the link's article page (``article_page_url``); it carries a signature and a
   timestamp in the ``data-n-a-sg`` / ``data-n-a-ts`` attributes of ``c-wiz > div[jscontroller]``
   (``parse_signature``).
2. POST many ``(id, timestamp, signature)`` at once to ``/_/DotsSplashUi/data/batchexecute``
   (``batchexecute_body``); the answer is framed as ``)]}'`` plus (length-prefixed) JSON and
   holds one ``["garturlres", "<url>", …]`` per id (``parse_batchexecute``).

The protocol follows the ``googlenewsdecoder`` package (PyPI, 0.2.x); the I/O is
``flows/stages/gnews.py``, through newswatch's own fetcher.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import lxml.html
from lxml.etree import ParserError

DEFAULT_BASE_URL = "https://news.google.com"
BATCHEXECUTE_PATH = "/_/DotsSplashUi/data/batchexecute"
# The context block Google's own web client sends with every garturlreq (copied verbatim).
_GARTURLREQ_CONTEXT: list[Any] = [
    ["X", "X", ["X", "X"], None, None, 1, 1, "US:en", None, 1, None, None, None, None, None, 0, 1],
    "X",
    "X",
    1,
    [1, 1, 1],
    1,
    1,
    None,
    0,
    0,
    None,
    0,
]
# /rss/articles/<id>, /articles/<id> and /read/<id> all name one article.
_ARTICLE_PATH = re.compile(r"^(?:/rss)?/(?:articles|read)/(?P<id>[A-Za-z0-9_-]{8,})/?$")
_SIGNATURE = re.compile(r'data-n-a-sg="([^"]+)"')
_TIMESTAMP = re.compile(r'data-n-a-ts="([^"]+)"')
_XSSI_PREFIX = ")]}'"


class DecodeError(ValueError):
    """A Google News answer that does not have the expected shape."""


@dataclass(frozen=True)
class Signature:
    """What the article page gives for one id: the signature and its timestamp."""

    signature: str
    timestamp: str


def article_id(url: str, base_url: str = DEFAULT_BASE_URL) -> str | None:
    """The Google News article id of a link on ``base_url``'s host, or None for any other URL.

    Args:
        url: any URL (a feed item's link).
        base_url: where Google News is (``https://news.google.com``; a local server in tests).
    """
    try:
        parts = urlsplit(url.strip())
        base = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        if (parts.hostname.lower(), parts.port) != ((base.hostname or "").lower(), base.port):
            return None
    except ValueError:
        return None
    match = _ARTICLE_PATH.match(parts.path)
    return match.group("id") if match else None


def article_page_url(gnews_id: str, base_url: str = DEFAULT_BASE_URL, locale_from: str = "") -> str:
    """The page that carries the id's signature.

    ``/rss/articles/<id>`` with ``hl``/``gl``/``ceid`` answers non-browser clients;
    ``/articles/<id>`` sends them to a "sorry" page. The locale is copied from
    ``locale_from`` (the feed URL) when it has one.
    """
    query = parse_qs(urlsplit(locale_from).query) if locale_from else {}
    params = {
        "hl": query.get("hl", ["en-US"])[0],
        "gl": query.get("gl", ["US"])[0],
        "ceid": query.get("ceid", ["US:en"])[0],
    }
    return f"{base_url.rstrip('/')}/rss/articles/{gnews_id}?{urlencode(params, quote_via=quote)}"


def batchexecute_url(base_url: str = DEFAULT_BASE_URL) -> str:
    """The endpoint the signatures are posted to."""
    return base_url.rstrip("/") + BATCHEXECUTE_PATH


def parse_signature(page: str) -> Signature | None:
    """The signature and timestamp of an article page, or None when the page has none.

    The attributes sit on ``c-wiz > div[jscontroller]``; a regex over the whole page is the
    fallback for markup that moved (the attributes are what matters, not their element).
    """
    try:
        root = lxml.html.document_fromstring(page)
    except (ParserError, ValueError):
        root = None
    if root is not None:
        for node in root.xpath("//c-wiz/div[@jscontroller]"):
            signature, timestamp = node.get("data-n-a-sg"), node.get("data-n-a-ts")
            if signature and timestamp:
                return Signature(signature, timestamp)
    signature_match, timestamp_match = _SIGNATURE.search(page), _TIMESTAMP.search(page)
    if signature_match and timestamp_match:
        return Signature(signature_match.group(1), timestamp_match.group(1))
    return None


def batchexecute_body(items: Sequence[tuple[str, Signature]]) -> bytes:
    """The form body (``f.req=…``) of one POST decoding every ``(id, signature)`` of ``items``.

    Each envelope carries its position as request id, so answers can be matched even when
    Google leaves one out or reorders them.
    """
    envelopes = []
    for position, (gnews_id, signed) in enumerate(items):
        timestamp: int | str = (
            int(signed.timestamp) if signed.timestamp.isdigit() else signed.timestamp
        )
        inner = ["garturlreq", _GARTURLREQ_CONTEXT, gnews_id, timestamp, signed.signature]
        envelopes.append(["Fbv4je", json.dumps(inner, separators=(",", ":")), None, str(position)])
    payload = json.dumps([envelopes], separators=(",", ":"))
    return f"f.req={quote(payload, safe='')}".encode("ascii")


def parse_batchexecute(text: str, ids: Sequence[str]) -> dict[str, str]:
    """The decoded URL of each id the answer to ``batchexecute_body(ids…)`` contains.

    The answer starts with ``)]}'``; then either one JSON array or, in the chunked form,
    a sequence of ``<length>\\n<JSON array>`` chunks. Rows ``["wrb.fr", "Fbv4je", "<json>",
    …, "<request id>"]`` hold ``["garturlres", "<url>", …]``.

    Args:
        text: the response body.
        ids: the ids in the order they were posted (request ids are their positions).

    Returns:
        ``{id: url}`` for every id that was decoded to an http(s) URL (possibly none).

    Raises:
        DecodeError: the body is not in the batchexecute framing at all.
    """
    rows = _framed_rows(text)
    decoded: dict[str, str] = {}
    unnamed: list[str] = []
    for row in rows:
        if not isinstance(row, list) or len(row) < 3 or row[0] != "wrb.fr":
            continue
        payload = row[2]
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except json.JSONDecodeError:
                continue
        if not (isinstance(payload, list) and len(payload) >= 2 and payload[0] == "garturlres"):
            continue
        url = payload[1]
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            continue
        request_id = next((str(cell) for cell in reversed(row[3:]) if cell is not None), None)
        if request_id is not None and request_id.isdigit() and int(request_id) < len(ids):
            decoded[ids[int(request_id)]] = url
        else:
            unnamed.append(url)
    if unnamed and not decoded and len(unnamed) == len(ids):
        # No request ids at all: Google answered in order.
        decoded = dict(zip(ids, unnamed, strict=True))
    return decoded


def _framed_rows(text: str) -> list[Any]:
    body = text.lstrip()
    if not body.startswith(_XSSI_PREFIX):
        raise DecodeError("not a batchexecute answer (no )]}' prefix)")
    body = body[len(_XSSI_PREFIX) :]
    decoder = json.JSONDecoder()
    rows: list[Any] = []
    position = 0
    while True:
        while position < len(body) and body[position].isspace():
            position += 1
        if position >= len(body):
            break
        try:
            value, position = decoder.raw_decode(body, position)
        except json.JSONDecodeError as error:
            raise DecodeError(f"malformed batchexecute answer: {error}") from None
        if isinstance(value, list):
            # A chunk: a list of rows. A bare number before it is the chunk's length.
            rows.extend(value)
    if not rows:
        raise DecodeError("empty batchexecute answer")
    return rows


def strip_source_suffix(title: str, source: str) -> str:
    """``title`` without a trailing `` - Source`` when it names the item's source.

    Google News (and some Bing News) titles end in the publisher's name; the seed
    format's title has no site suffix. A dash that is part of the headline stays.
    """
    source = " ".join(source.split())
    if not source:
        return title
    for dash in (" - ", " – ", " — ", " | "):
        suffix = f"{dash}{source}"
        if title.casefold().rstrip().endswith(suffix.casefold()) and len(title) > len(suffix):
            return title.rstrip()[: -len(suffix)].rstrip()
    return title
