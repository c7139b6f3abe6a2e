"""URL canonicalisation: one article reached through many URLs gets one identity.

``canonical_url`` is what we store as ``web_url`` (a real, fetchable address);
``url_key`` is what identifies the article: it also ignores the scheme and a
leading ``www.``, which publishers serve interchangeably. ``redact`` hides the
credentials a URL may carry (a password, an API key in the query) wherever a
URL or a message built from one is stored, logged or shown.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

# Query parameters that only track the reader; they never select content.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "twclid",
        "ocid",
        "cmpid",
        "cmp",
        "icid",
        "ito",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "sr_share",
        "smid",
        "taid",
        "ref",
        "ref_src",
        "referrer",
        "outputtype",
        "amp",
        "_ga",
        "_gl",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        # parameters the AMP cache and viewer add to the article's address
        "amp_js_v",
        "amp_gsa",
        "amp_r",
        "usqp",
        "aoh",
        "csi",
        "ampshare",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_", "vero_", "__hs", "_hs")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# https://www-example-com.cdn.ampproject.org/c/s/www.example.com/path  (c=content, v=viewer)
_AMP_CACHE_PATH = re.compile(r"^/[cv]/(?P<secure>s/)?(?P<rest>.+)$")
_AMP_PATH_SUFFIX = re.compile(r"(?:/amp/?|\.amp(?:\.html?)?)$", re.IGNORECASE)
_AMP_PATH_PREFIX = re.compile(r"^/amp(?=/)", re.IGNORECASE)
# Aggregators that wrap the article URL in a query parameter of their own.
_WRAPPER_PARAMS = {
    "www.bing.com": "url",
    "bing.com": "url",
    "news.url.google.com": "url",
    "www.google.com": "url",
    "l.facebook.com": "u",
    "out.reddit.com": "url",
}
# A Google News article link: its id names the article, whatever the query (?oc=5, hl, gl).
_GOOGLE_NEWS_ARTICLE = re.compile(r"^(?:/rss)?/(?:articles|read)/(?P<id>[A-Za-z0-9_-]{8,})/?$")


# Query parameter names that carry a credential. A name is split into words at
# punctuation and camelCase (``api_key``, ``X-Amz-Signature``, ``AWSAccessKeyId``);
# one of these words, or a run-together name ending in one of the suffixes
# (``apikey``, ``accesstoken``), marks it. Whole words, so ``keyword``, ``author``
# and ``design`` stay readable.
_SECRET_WORDS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "pass",
        "pwd",
        "sig",
        "signature",
        "auth",
        "session",
        "sessionid",
        "sessid",
        "sid",
        "credential",
        "credentials",
        "jwt",
    }
)
_SECRET_SUFFIXES = (
    "apikey",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "signature",
    "sessionid",
    "sessid",
    "credential",
    "credentials",
    "oauth",
)
# Names that are credentials on some sites and select content on others (``?key=123``,
# Slashdot's ``?sid=``): redacted wherever a URL is shown, but kept in the canonical URL,
# since dropping them could merge two different articles into one.
_AMBIGUOUS_SECRET_NAMES = frozenset({"key", "sid", "sig", "session", "auth", "pass"})
_NAME_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
REDACTED = "***"
# user:password@ (or a lone token@) right after the scheme; greedy up to the authority's
# last "@", so a password containing "@" is hidden whole.
_USERINFO = re.compile(r"(?<=://)(?P<info>[^/?#\s\"'<>]*)@")
# name=value in a query (or anything query-like in free text). The value stops at
# characters that end a URL in text, JSON or HTML, so the text around stays intact.
_PARAMETER = re.compile(r"(?P<lead>[?&;])(?P<name>[^=&#\s\"'<>?;]+)=(?P<value>[^&#\s\"'<>;]*)")


def is_secret_parameter(name: str) -> bool:
    """Tell whether a query parameter named ``name`` carries a credential (API key, token, password …)."""
    words = [word.lower() for word in _NAME_WORD.findall(name)]
    if any(word in _SECRET_WORDS for word in words):
        return True
    compact = "".join(words)
    return compact in _SECRET_WORDS or compact.endswith(_SECRET_SUFFIXES)


def _selects_no_content(name: str) -> bool:
    """A credential parameter that can be dropped from an article's identity."""
    compact = "".join(word.lower() for word in _NAME_WORD.findall(name))
    return is_secret_parameter(name) and compact not in _AMBIGUOUS_SECRET_NAMES


def redact(text: str) -> str:
    """``text`` with URL credentials replaced by ``***``.

    Hides the password of ``user:password@`` (and a userinfo that is a lone token,
    as in ``https://TOKEN@host``), and the values of query parameters whose name
    says they carry a credential (``api_key``, ``access_token``, ``sig``,
    ``password`` …, see ``is_secret_parameter``). Works on a bare URL and on any
    text that contains URLs (error messages, log lines).

    Args:
        text: a URL or a message.

    Returns:
        The same text with every credential replaced by ``***``.
    """
    if "@" not in text and "=" not in text:
        return text
    return _PARAMETER.sub(_redact_parameter, _USERINFO.sub(_redact_userinfo, text))


def redact_data(value: Any) -> Any:
    """``redact`` applied to every string inside nested dicts, lists and tuples (e.g. a JSON summary)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: redact_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(item) for item in value]
    return value


def strip_credentials(url: str) -> str:
    """``url`` without userinfo and without credential query parameters.

    The base against which a fetched page's or feed's relative links are
    resolved: links built from it inherit no password or key, so nothing that
    is stored from them (article and image URLs) can carry one.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc and not any(
        is_secret_parameter(name) for name, _ in parse_qsl(parts.query, keep_blank_values=True)
    ):
        return url
    netloc = parts.netloc.rpartition("@")[2]
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if not is_secret_parameter(unquote(pair.partition("=")[0]))
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _redact_userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match.group("info").partition(":")
    # A lone userinfo is usually a token (https://TOKEN@github.com/…), not a user name.
    return f"{user}:{REDACTED}@" if colon else f"{REDACTED}@"


def _redact_parameter(match: re.Match[str]) -> str:
    name = match.group("name")
    if not match.group("value") or not is_secret_parameter(unquote(name)):
        return match.group(0)
    return f"{match.group('lead')}{name}={REDACTED}"


def canonical_url(url: str) -> str:
    """Return the canonical form of an article URL.

    Lower-cases scheme and host, drops userinfo, default ports, fragments,
    tracking parameters and unambiguous credential parameters (``api_key``,
    ``access_token``, ``X-Amz-Signature`` …: they authorise, they do not select
    content, and the canonical URL is stored; a bare ``key`` or ``sid`` may be an
    article's id, so it stays), sorts the remaining query, unwraps
    aggregator redirect links and maps AMP addresses (``/amp`` suffixes,
    ``amp.`` hosts, ``cdn.ampproject.org`` caches) to the article's own URL.
    URLs that are not http(s) are returned stripped but otherwise unchanged.
    """
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return url
    host = (parts.hostname or "").lower().rstrip(".")
    unwrapped = _unwrap_aggregator(host, parts.query)
    if unwrapped and unwrapped != url:
        return canonical_url(unwrapped)
    try:
        port = parts.port
    except ValueError:
        # A malformed port: not a URL we can canonicalise, but one bad link must not crash a batch.
        return url
    path = parts.path or "/"
    if host == "news.google.com":
        google = _GOOGLE_NEWS_ARTICLE.match(path)
        if google:
            return f"https://news.google.com/rss/articles/{google.group('id')}"
    if host.endswith(".cdn.ampproject.org"):
        cached = _AMP_CACHE_PATH.match(path)
        if cached:
            inner_scheme = "https" if cached.group("secure") else "http"
            inner = f"{inner_scheme}://{cached.group('rest')}"
            if parts.query:
                inner += f"?{parts.query}"
            return canonical_url(inner)
    if host.startswith("amp.") and host.count(".") >= 2:
        host = host[4:]
    path = _AMP_PATH_PREFIX.sub("", path)
    path = _AMP_PATH_SUFFIX.sub("", path) or "/"
    path = re.sub(r"/{2,}", "/", path)
    netloc = f"[{host}]" if ":" in host else host
    if port and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    query_pairs = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking_param(key) and not _selects_no_content(key)
    ]
    query = urlencode(sorted(query_pairs), doseq=True)
    return urlunsplit((scheme, netloc, path, query, ""))


def url_key(url: str) -> str:
    """The identity of an article URL: canonical, without scheme, ``www.`` and trailing slash."""
    canonical = canonical_url(url)
    parts = urlsplit(canonical)
    if parts.scheme not in _DEFAULT_PORTS:
        return canonical
    netloc = parts.netloc.removeprefix("www.")
    # "/story" and "/story/" are one article; the stored web_url keeps the publisher's form.
    key = netloc + parts.path.rstrip("/")
    return f"{key}?{parts.query}" if parts.query else key


def article_id(url: str) -> str:
    """A stable 16-hex-digit id for the article at ``url`` (any of its forms)."""
    return hashlib.sha256(url_key(url).encode("utf-8")).hexdigest()[:16]


def registered_domain(url_or_host: str) -> str:
    """The host of a URL without ``www.``/``amp.``/``m.`` prefixes (``foreignaffairs.com``)."""
    host = urlsplit(url_or_host).hostname if "//" in url_or_host else url_or_host
    host = (host or "").lower().rstrip(".")
    for prefix in ("www.", "amp.", "m.", "mobile."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    return host


def is_http_url(url: str) -> bool:
    """Tell whether ``url`` is an absolute http(s) URL with a host."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in _DEFAULT_PORTS and bool(parts.hostname)


def unwrap_aggregator_link(url: str) -> str | None:
    """The article URL an aggregator's redirect link (Bing News ``apiclick.aspx?…&url=``,
    ``www.google.com/url?url=``, Facebook, Reddit) wraps, or None for any other URL."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        return None
    return _unwrap_aggregator((parts.hostname or "").lower().rstrip("."), parts.query)


def _is_tracking_param(key: str) -> bool:
    lowered = key.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def _unwrap_aggregator(host: str, query: str) -> str | None:
    param = _WRAPPER_PARAMS.get(host)
    if not param:
        return None
    for key, value in parse_qsl(query):
        if key != param:
            continue
        # Some wrappers encode the target twice.
        target = unquote(value) if value.lower().startswith(("http%3a", "https%3a")) else value
        if target.startswith(("http://", "https://")):
            return target
    return None
