"""Batch HTTP fetching that reports every per-URL problem as a value, never as an exception.

``fetch_all`` (sync) and ``afetch_all`` (async) take a list of URLs and return one
``FetchedPage`` or ``FetchFailure`` per URL, in input order. One dead site, a slow
trickle, a gzip bomb or a redirect into the internal network costs that URL, not the
batch. Politeness (global and per-host concurrency, per-host spacing, retries with
jittered backoff and ``Retry-After``) lives here so callers never reimplement it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import email.utils
import http
import importlib.util
import ipaddress
import logging
import random
import socket
import ssl
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeAlias

import httpcore
import httpx

# Re-exported: callers and tests know the fetcher's redact(); it lives with the URL helpers
# so storage can use it too.
from extractors.urls import redact as redact
from flows.fetching import robots as robots_txt
from flows.fetching.robots import clear_robots_cache as clear_robots_cache

logger = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_TRANSIENT_KINDS = frozenset({"timeout", "network"})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Cloud metadata endpoints hand out credentials; they are named in refusals so the
# log says why, even though the link-local check would catch the IPv4 one anyway.
_METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
# What a browser would drop when a redirect leaves the origin these were meant for.
_ORIGIN_BOUND_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
# httpx decodes br only with one of these installed; never advertise what we cannot decode.
_HAS_BROTLI = any(importlib.util.find_spec(name) for name in ("brotli", "brotlicffi"))
_ACCEPT_ENCODING = "gzip, deflate, br" if _HAS_BROTLI else "gzip, deflate"
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,*/*;q=0.8"
)

_IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


class _RedactingFilter(logging.Filter):
    """Redacts each record's message: httpx logs every request's full URL at INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


# A filter sits on the logger that creates the record, so it must be httpx's own; once,
# however often this module is reloaded.
if not any(isinstance(each, _RedactingFilter) for each in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(_RedactingFilter())


@dataclass(frozen=True)
class FetchSettings:
    """How to fetch: timeouts, size limit, politeness and address policy."""

    user_agent: str = "newswatch/0.1 (+https://github.com/newswatch/newswatch)"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_response_bytes: int = 10_000_000
    max_redirects: int = 5
    concurrency: int = 32
    per_host_concurrency: int = 2
    per_host_delay: float = 0.0
    retries: int = 2
    backoff_seconds: float = 1.0
    max_retry_after: float = 60.0
    allow_private_addresses: bool = False
    respect_robots: bool = True
    robots_timeout: float = 10.0
    max_crawl_delay: float = 10.0


@dataclass(frozen=True)
class FetchedPage:
    """A response we got: status 200..299, or 304 Not Modified (empty content)."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str] = field(hash=False)
    content: bytes
    fetched_at: datetime
    elapsed: float
    attempts: int

    @property
    def content_type(self) -> str:
        """Media type without parameters, lower-case; "" when the header is missing."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of Content-Type, if any."""
        return charset_of(self.headers.get("content-type", ""))


def charset_of(content_type: str) -> str | None:
    """The ``charset`` parameter of a Content-Type value, if any."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


@dataclass(frozen=True)
class FetchFailure:
    """Why a URL could not be fetched, in one line a user understands."""

    url: str
    kind: str
    message: str
    status: int | None
    attempts: int
    fetched_at: datetime

    @property
    def transient(self) -> bool:
        """Whether trying again later could plausibly succeed."""
        return _is_transient(self.kind, self.status)


FetchResult: TypeAlias = FetchedPage | FetchFailure


@dataclass(frozen=True)
class Request:
    """One request for ``send_all``: a GET, or a POST with a body (an API call).

    Unlike ``fetch_all``'s URLs, requests are never merged: two POSTs to one endpoint
    with different bodies are two calls.
    """

    url: str
    method: str = "GET"
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)


def _is_transient(kind: str, status: int | None) -> bool:
    if kind == "http_status":
        return status in TRANSIENT_STATUSES
    return kind in _TRANSIENT_KINDS


class _Failed(Exception):
    """One attempt's failure, carried up to the retry loop."""

    def __init__(
        self, kind: str, message: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return _is_transient(self.kind, self.status)


class _Response(NamedTuple):
    final_url: str
    status: int
    headers: dict[str, str]
    content: bytes


class _Limiter:
    """Global and per-host concurrency plus per-host spacing between request starts."""

    def __init__(self, settings: FetchSettings) -> None:
        self._global = asyncio.Semaphore(max(1, settings.concurrency))
        self._per_host_limit = max(1, settings.per_host_concurrency)
        self._delay = settings.per_host_delay
        self._per_host: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}
        self._host_delay: dict[str, float] = {}

    def slow_down(self, host: str, delay: float) -> None:
        """Space this host's request starts by at least ``delay`` seconds (robots Crawl-delay)."""
        self._host_delay[host] = max(delay, self._host_delay.get(host, 0.0))

    @contextlib.asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        if host not in self._per_host:
            self._per_host[host] = asyncio.Semaphore(self._per_host_limit)
        # Host before global: a task never holds a global slot while queueing for a busy host.
        async with self._per_host[host], self._global:
            delay = max(self._delay, self._host_delay.get(host, 0.0))
            if delay > 0:
                # Reserve a start time without awaiting in between, so two tasks for the
                # same host can never both read the same "next start".
                now = time.monotonic()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + delay
                if start > now:
                    await asyncio.sleep(start - now)
            yield


class _Robots:
    """robots.txt per origin, fetched once (concurrent askers wait for the first)."""

    def __init__(self, settings: FetchSettings, limiter: _Limiter) -> None:
        self._settings = settings
        self._limiter = limiter
        self._token = robots_txt.token(settings.user_agent)
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, client: httpx.AsyncClient, target: httpx.URL) -> None:
        """Raise _Failed unless robots.txt lets our user agent fetch ``target``."""
        if not self._settings.respect_robots or target.path == "/robots.txt":
            return
        origin = f"{target.scheme}://{_host_key(target)}"
        rules = await self._rules(client, origin)
        if rules.unreachable is not None:
            raise _Failed(
                "robots_unreachable",
                f"{origin}/robots.txt is unreachable ({rules.unreachable}); "
                f"RFC 9309 says treat that as disallow-all, so {target} was not fetched",
            )
        if rules.parser is None:
            return
        delay = rules.parser.crawl_delay(self._token)
        if delay:
            self._limiter.slow_down(
                _host_key(target), min(float(delay), self._settings.max_crawl_delay)
            )
        if not rules.parser.can_fetch(str(target), self._token):
            raise _Failed(
                "robots",
                f"disallowed by {origin}/robots.txt for user agent {self._token!r}: {target}",
            )

    async def _rules(self, client: httpx.AsyncClient, origin: str) -> robots_txt.RobotsRules:
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = robots_txt.CACHE.get(origin)
            if cached is not None and cached.expires > time.monotonic():
                return cached
            rules = await self._fetch(client, origin)
            robots_txt.CACHE[origin] = rules
            return rules

    async def _fetch(self, client: httpx.AsyncClient, origin: str) -> robots_txt.RobotsRules:
        settings = dataclasses.replace(
            self._settings,
            total_timeout=min(self._settings.total_timeout, self._settings.robots_timeout),
            read_timeout=min(self._settings.read_timeout, self._settings.robots_timeout),
            max_response_bytes=robots_txt.MAX_BYTES,
        )
        now = time.monotonic()
        try:
            got = await _attempt(client, f"{origin}/robots.txt", settings, self._limiter, {}, [0.0])
        except _Failed as failure:
            rules = robots_txt.after_failure(failure.kind, failure.status, failure.message, now)
            if rules.unreachable is not None:
                logger.warning("robots.txt unreachable: %s", redact(rules.unreachable))
            return rules
        return robots_txt.from_body(got.content, now)


def fetch_all(
    urls: Sequence[str],
    settings: FetchSettings,
    *,
    extra_headers: Mapping[str, Mapping[str, str]] | None = None,
) -> list[FetchResult]:
    """Fetch every URL concurrently, blocking until all are done.

    Works with or without a running event loop in the calling thread (Prefect tasks
    may have one); in the latter case the fetch runs on a fresh loop in a worker thread
    and the caller's loop is blocked meanwhile, so async code should await afetch_all.

    Args:
        urls: URLs to fetch; duplicates are fetched once and share a result.
        settings: Timeouts, limits, politeness and address policy.
        extra_headers: Per-URL request headers, e.g. If-None-Match for conditional GET.

    Returns:
        One FetchedPage or FetchFailure per input URL, in input order.
    """

    return _run_sync(lambda: afetch_all(urls, settings, extra_headers=extra_headers))


def send_all(requests: Sequence[Request], settings: FetchSettings) -> list[FetchResult]:
    """Send every request concurrently (GET or POST) with ``fetch_all``'s guarantees.

    Same timeouts, size limit, politeness, robots.txt, retries with backoff and
    ``Retry-After``, and address checks at every redirect hop. A POST answered with
    301/302/303 continues as a GET, as browsers do; 307/308 repeat the POST.

    Args:
        requests: what to send; each gets its own result.
        settings: Timeouts, limits, politeness and address policy.

    Returns:
        One FetchedPage or FetchFailure per request, in input order.
    """

    return _run_sync(lambda: _send_all(requests, settings))


def _run_sync(
    batch: Callable[[], Coroutine[Any, Any, list[FetchResult]]],
) -> list[FetchResult]:
    """Run an async batch to completion from synchronous code.

    Inside a running event loop (a Prefect async context, a notebook) ``asyncio.run``
    is not allowed, so the batch gets a loop of its own in a worker thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(batch())
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="newswatch-fetch") as pool:
        return pool.submit(lambda: asyncio.run(batch())).result()


async def afetch_all(
    urls: Sequence[str],
    settings: FetchSettings,
    *,
    extra_headers: Mapping[str, Mapping[str, str]] | None = None,
) -> list[FetchResult]:
    """Fetch every URL concurrently; never raises for a per-URL problem.

    Args:
        urls: URLs to fetch; duplicates are fetched once and share a result.
        settings: Timeouts, limits, politeness and address policy.
        extra_headers: Per-URL request headers, e.g. If-None-Match for conditional GET.

    Returns:
        One FetchedPage or FetchFailure per input URL, in input order.
    """
    unique = list(dict.fromkeys(urls))
    if not unique:
        return []
    extra = extra_headers or {}
    results = await _send_all(
        [Request(url, headers=extra.get(url, {})) for url in unique], settings
    )
    by_url = dict(zip(unique, results, strict=True))
    return [by_url[url] for url in urls]


async def _send_all(requests: Sequence[Request], settings: FetchSettings) -> list[FetchResult]:
    if not requests:
        return []
    limiter = _Limiter(settings)
    robots = _Robots(settings, limiter)
    client = httpx.AsyncClient(
        transport=_PinnedTransport(settings),
        http1=True,
        http2=False,
        follow_redirects=False,
        timeout=httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.connect_timeout,
        ),
        limits=httpx.Limits(max_connections=max(1, settings.concurrency)),
        headers={
            "User-Agent": settings.user_agent,
            "Accept": _ACCEPT,
            "Accept-Encoding": _ACCEPT_ENCODING,
        },
    )
    async with client:
        return list(
            await asyncio.gather(
                *(
                    _fetch_one(
                        client,
                        request.url,
                        settings,
                        limiter,
                        robots,
                        request.headers,
                        request.method,
                        request.body,
                    )
                    for request in requests
                )
            )
        )


async def _fetch_one(
    client: httpx.AsyncClient,
    url: str,
    settings: FetchSettings,
    limiter: _Limiter,
    robots: _Robots,
    headers: Mapping[str, str],
    method: str = "GET",
    body: bytes | None = None,
) -> FetchResult:
    spent = [0.0]  # seconds inside requests, across hops and attempts; excludes queueing
    attempt = 0
    while True:
        attempt += 1
        try:
            got = await _attempt(
                client, url, settings, limiter, headers, spent, robots, method, body
            )
        except _Failed as exc:
            failure = exc
        except Exception as exc:  # the contract is "never raises"; a bug costs one URL only
            logger.exception("unexpected error fetching %s", redact(url))
            failure = _Failed("network", f"unexpected error fetching {url}: {exc!r}")
        else:
            return FetchedPage(
                url=url,
                final_url=got.final_url,
                status=got.status,
                headers=got.headers,
                content=got.content,
                fetched_at=datetime.now(UTC),
                elapsed=spent[0],
                attempts=attempt,
            )
        if not failure.transient or attempt > settings.retries:
            message = redact(" ".join(failure.message.split()))
            logger.warning("fetch failed after %d attempt(s): %s", attempt, message)
            return FetchFailure(
                url=url,
                kind=failure.kind,
                message=message,
                status=failure.status,
                attempts=attempt,
                fetched_at=datetime.now(UTC),
            )
        if failure.retry_after is not None:
            delay = failure.retry_after
        else:
            delay = random.uniform(0, settings.backoff_seconds * 2 ** (attempt - 1))
        logger.debug("retrying %s in %.2fs: %s", redact(url), delay, redact(failure.message))
        await asyncio.sleep(delay)


async def _attempt(
    client: httpx.AsyncClient,
    url: str,
    settings: FetchSettings,
    limiter: _Limiter,
    headers: Mapping[str, str],
    spent: list[float],
    robots: _Robots | None = None,
    method: str = "GET",
    body: bytes | None = None,
) -> _Response:
    """One attempt: the request and every redirect hop, each hop checked and counted."""
    current = url
    hop_headers = dict(headers)
    seen: set[str] = set()
    for _ in range(settings.max_redirects + 1):
        try:
            target = await _check_url(current, settings)
            seen.add(str(target))
            if robots is not None:
                await robots.check(client, target)
            async with limiter.slot(_host_key(target)):
                started = time.monotonic()
                try:
                    response, content = await _request(
                        client, target, hop_headers, settings, method, body
                    )
                finally:
                    spent[0] += time.monotonic() - started
        except _Failed as exc:
            if current != url:
                exc.message += f" (redirected from {url})"
            raise
        status = response.status_code
        location = response.headers.get("location")
        if status in _REDIRECT_STATUSES and location:
            try:
                following = target.join(location.strip())
            except httpx.InvalidURL as exc:
                raise _Failed(
                    "bad_url", f"bad redirect from {current} to {location!r}: {exc}"
                ) from exc
            if (following.scheme, following.host, following.port) != (
                target.scheme,
                target.host,
                target.port,
            ):
                hop_headers = {
                    k: v for k, v in hop_headers.items() if k.lower() not in _ORIGIN_BOUND_HEADERS
                }
            if method != "GET" and status in (301, 302, 303):
                # What browsers do: the redirected request is a GET without the body.
                method, body = "GET", None
                hop_headers = {k: v for k, v in hop_headers.items() if k.lower() != "content-type"}
            current = str(following)
            continue
        if 200 <= status < 300 or status == http.HTTPStatus.NOT_MODIFIED:
            return _Response(
                str(target), status, {k.lower(): v for k, v in response.headers.items()}, content
            )
        # Standard phrases over the server's own: messages stay uniform (werkzeug says NOT FOUND).
        reason = _reason(status) or response.reason_phrase
        via = f" (redirected from {url})" if current != url else ""
        retry_after = None
        if status in _RETRY_AFTER_STATUSES:
            retry_after = _parse_retry_after(
                response.headers.get("retry-after"), settings.max_retry_after
            )
        raise _Failed(
            "http_status", f"HTTP {status} {reason} for {current}{via}", status, retry_after
        )
    what = f"redirect loop at {current}" if current in seen else f"last hop {current}"
    raise _Failed(
        "too_many_redirects", f"more than {settings.max_redirects} redirects for {url} ({what})"
    )


async def _request(
    client: httpx.AsyncClient,
    target: httpx.URL,
    headers: Mapping[str, str],
    settings: FetchSettings,
    method: str = "GET",
    body: bytes | None = None,
) -> tuple[httpx.Response, bytes]:
    """One request; the body is read only for success statuses, and only up to the limit."""
    limit = settings.max_response_bytes
    started = time.monotonic()
    chunks: list[bytes] = []
    try:
        # httpx's timeouts are per operation; only this bounds a server trickling bytes.
        async with (
            asyncio.timeout(settings.total_timeout),
            client.stream(method, target, headers=headers, content=body) as response,
        ):
            # Only success bodies are read; redirect and error bodies are never needed.
            wanted = 200 <= response.status_code < 300
            declared = response.headers.get("content-length", "").strip()
            if wanted and declared.isdigit() and int(declared) > limit:
                raise _Failed(
                    "too_large", f"{target} is {declared} bytes, over the {limit}-byte limit"
                )
            if wanted:
                size = 0
                # aiter_bytes yields decompressed data, so a gzip bomb trips the limit after
                # one network read's expansion: 64 KiB of deflate can become ~64 MB, no more.
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise _Failed("too_large", f"{target} exceeds the {limit}-byte limit")
                    chunks.append(chunk)
    except _Failed:
        raise
    except Exception as exc:
        raise _classify(exc, str(target), settings) from exc
    logger.debug(
        "%s %s -> %d in %.2fs",
        method,
        redact(str(target)),
        response.status_code,
        time.monotonic() - started,
    )
    return response, b"".join(chunks)


def _classify(exc: Exception, url: str, settings: FetchSettings) -> _Failed:
    if isinstance(exc, _RefusedAddress):
        return _refused(url, exc.reason, exc.address)
    if isinstance(exc, TimeoutError):
        return _Failed(
            "timeout", f"timed out after {settings.total_timeout:g}s in total fetching {url}"
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return _Failed(
            "timeout", f"timed out after {settings.connect_timeout:g}s connecting to {url}"
        )
    if isinstance(exc, httpx.ReadTimeout):
        return _Failed("timeout", f"timed out after {settings.read_timeout:g}s reading {url}")
    if isinstance(exc, httpx.TimeoutException):
        return _Failed("timeout", f"timed out fetching {url} ({type(exc).__name__})")
    tls = _find_ssl_error(exc)
    if tls is not None:
        detail = getattr(tls, "verify_message", None) or tls.reason or str(tls)
        return _Failed("tls", f"TLS error for {url}: {detail}")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return _Failed("bad_url", f"cannot fetch {url}: {exc}")
    if isinstance(exc, httpx.DecodingError):
        return _Failed("network", f"could not decode the body of {url}: {exc}")
    return _Failed("network", f"network error fetching {url}: {exc or type(exc).__name__}")


def _find_ssl_error(exc: BaseException) -> ssl.SSLError | None:
    # httpcore wraps ssl errors (they are OSErrors) in ConnectError; the cause chain keeps them.
    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            return None
        if isinstance(current, ssl.SSLError):
            return current
        current = current.__cause__ or current.__context__
    return None


async def _check_url(url: str, settings: FetchSettings) -> httpx.URL:
    """Parse a URL and enforce the scheme policy; raises _Failed.

    The address policy is enforced where the connection is made (``_PinnedBackend``),
    on the very addresses connected to. Only when an HTTP(S) proxy from the
    environment may carry the request (the proxy resolves the name, so nothing
    can be pinned) is the name also resolved and checked here, as a best effort.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise _Failed("bad_url", f"invalid URL {url!r}: {exc}") from exc
    if parsed.scheme not in _DEFAULT_PORTS:
        raise _Failed("bad_url", f"unsupported scheme {parsed.scheme or 'none'!r} in {url}")
    if not parsed.host:
        raise _Failed("bad_url", f"no host in URL {url!r}")
    if settings.allow_private_addresses or not urllib.request.getproxies():
        return parsed
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
    try:
        addresses = await _resolve(host, port, settings.connect_timeout)
    except httpcore.ConnectTimeout as exc:
        raise _Failed("timeout", f"{exc} for {url}") from exc
    except httpcore.ConnectError as exc:
        raise _Failed("network", f"{exc} for {url}") from exc
    for address in addresses:
        reason = _refusal_reason(address)
        if reason:
            raise _refused(url, reason, address)
    return parsed


def _refused(url: str, reason: str, address: _IPAddress) -> _Failed:
    return _Failed(
        "refused_address",
        f"refused: {url} resolves to {reason} address {address} "
        "(set fetch.allow_private_addresses to allow)",
    )


async def _lookup(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver, in its order of preference.

    The one place names are resolved, so tests can stand in a resolver of their own.
    """
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def _resolve(host: str, port: int, timeout: float | None) -> list[_IPAddress]:
    """A host's addresses (an IP literal is its own); httpcore's connect errors on failure."""
    with contextlib.suppress(ValueError):
        return [ipaddress.ip_address(host.strip("[]"))]
    try:
        async with asyncio.timeout(timeout):
            found = await _lookup(host, port)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"timed out after {timeout:g}s resolving {host}") from exc
    except OSError as exc:
        raise httpcore.ConnectError(f"could not resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(ipaddress.ip_address(address) for address in found))
    if not addresses:
        raise httpcore.ConnectError(f"could not resolve {host}: no addresses")
    return addresses


class _RefusedAddress(Exception):
    """A connection the address policy forbids; raised before any packet is sent."""

    def __init__(self, reason: str, address: _IPAddress) -> None:
        super().__init__(f"{reason} address {address}")
        self.reason = reason
        self.address = address


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Resolves a host once, checks every address, and connects to those checked addresses.

    Resolving for a check and letting the connection resolve again would let a name
    answer a public address to the check and 127.0.0.1 to the connection (DNS
    rebinding). Here the addresses checked are the addresses connected to, for every
    connection, so every redirect hop too. TLS is unaffected: httpcore starts it on the
    returned stream with the URL's host name for SNI and certificate checks, and httpx
    sends the Host header from the URL.
    """

    def __init__(self, allow_private_addresses: bool) -> None:
        self._allow_private = allow_private_addresses
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await _resolve(host, port, timeout)
        if not self._allow_private:
            # One private answer refuses the host: which address would be used is the
            # resolver's choice, and a name that mixes them is not a public site.
            for address in addresses:
                reason = _refusal_reason(address)
                if reason:
                    raise _RefusedAddress(reason, address)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by the fetcher")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request mapping, errors, streaming) over ``_PinnedBackend``."""

    def __init__(self, settings: FetchSettings) -> None:
        limits = httpx.Limits(max_connections=max(1, settings.concurrency))
        super().__init__(http1=True, http2=False, limits=limits)
        # httpx takes no network backend, so its pool is rebuilt with the same
        # settings and ours; a failing hasattr here means an httpx upgrade moved it.
        assert hasattr(self, "_pool"), "httpx.AsyncHTTPTransport no longer has _pool"
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=_PinnedBackend(settings.allow_private_addresses),
        )


def _refusal_reason(address: _IPAddress) -> str | None:
    """Why an address must not be fetched from, or None if it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 reaches 127.0.0.1
    if address in _METADATA_ADDRESSES:
        return "cloud metadata"
    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        # Shared (CGNAT), benchmarking and similar ranges: not private, still not the internet.
        ("non-public", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def _host_key(url: httpx.URL) -> str:
    return f"{url.host}:{url.port or _DEFAULT_PORTS[url.scheme]}"


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _parse_retry_after(value: str | None, cap: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), cap)
