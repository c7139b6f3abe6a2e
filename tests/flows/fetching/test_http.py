"""Tests for flows.fetching.http against servers on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import itertools
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flows.fetching import http as fetch_mod
from flows.fetching import robots
from flows.fetching.http import FetchedPage, FetchFailure, FetchSettings, afetch_all, fetch_all
from tests.conftest import LocalServer
from tests.support.web import LocalWeb, Raw, endless_chunks, trickle
from tests.support.web import Request as RawRequest

# Local server is loopback, so the address policy is off unless a test is about it;
# robots.txt likewise (the raw-socket servers below answer every path the same way).
LOCAL = FetchSettings(
    allow_private_addresses=True,
    respect_robots=False,
    connect_timeout=2.0,
    read_timeout=2.0,
    total_timeout=5.0,
    retries=0,
    backoff_seconds=0.01,
)


def settings(**changes: object) -> FetchSettings:
    return dataclasses.replace(LOCAL, **changes)  # type: ignore[arg-type]


def fetch_one(
    url: str, config: FetchSettings = LOCAL, **kwargs: object
) -> FetchedPage | FetchFailure:
    [result] = fetch_all([url], config, **kwargs)  # type: ignore[arg-type]
    return result


def page(result: FetchedPage | FetchFailure) -> FetchedPage:
    assert isinstance(result, FetchedPage), result
    return result


def failure(result: FetchedPage | FetchFailure) -> FetchFailure:
    assert isinstance(result, FetchFailure), result
    return result


@pytest.fixture(scope="module")
def module_server() -> Iterator[HTTPServer]:
    # One threaded server for the module: stopping one takes up to 0.5 s.
    server = LocalServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def server(module_server: HTTPServer) -> Iterator[HTTPServer]:
    yield module_server
    module_server.clear()


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at test end so handlers that block on it do not outlive the test."""
    event = threading.Event()
    yield event
    event.set()


class Counter:
    """Thread-safe request counter; counts our requests rather than the shared server log."""

    def __init__(self) -> None:
        self.count = 0
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def hit(self, request: Request) -> int:
        with self._lock:
            self.count += 1
            self.headers.append({k.lower(): v for k, v in request.headers.items()})
            return self.count


def respond_in_turn(server: HTTPServer, path: str, *responses: Response) -> Counter:
    """Serve responses in order; the last one repeats."""
    counter = Counter()

    def handler(request: Request) -> Response:
        n = counter.hit(request)
        return responses[min(n, len(responses)) - 1]

    server.expect_request(path).respond_with_handler(handler)
    return counter


def ok_text(conn: socket.socket, stop: threading.Event, request: RawRequest) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


# --- success -------------------------------------------------------------------------


def test_200_with_body(server: HTTPServer) -> None:
    counter = respond_in_turn(
        server,
        "/hello",
        Response("héllo", content_type="text/html; charset=UTF-8", headers={"X-Thing": "1"}),
    )
    url = server.url_for("/hello")

    got = page(fetch_one(url, settings(user_agent="newswatch-test/1")))

    assert got.url == got.final_url == url
    assert got.status == 200
    assert got.content == "héllo".encode()
    assert got.content_type == "text/html"
    assert got.charset == "UTF-8"
    assert got.headers["x-thing"] == "1"
    assert got.attempts == 1
    assert got.elapsed > 0
    assert got.fetched_at.tzinfo is not None
    assert got.fetched_at.utcoffset() == timedelta(0)
    sent = counter.headers[0]
    assert sent["user-agent"] == "newswatch-test/1"
    assert "*/*" in sent["accept"]
    assert "gzip" in sent["accept-encoding"]


def test_content_type_missing_gives_empty_and_no_charset(server: HTTPServer) -> None:
    response = Response(b"raw")
    del response.headers["Content-Type"]
    respond_in_turn(server, "/bare", response)

    got = page(fetch_one(server.url_for("/bare")))

    assert got.content_type == ""
    assert got.charset is None


def test_gzip_body_is_decompressed(server: HTTPServer) -> None:
    body = b"<rss>" + b"item " * 1000 + b"</rss>"
    respond_in_turn(
        server, "/feed", Response(gzip.compress(body), headers={"Content-Encoding": "gzip"})
    )

    assert page(fetch_one(server.url_for("/feed"))).content == body


def test_empty_input_returns_empty_list() -> None:
    assert fetch_all([], LOCAL) == []


# --- statuses and retries ------------------------------------------------------------


def test_404_is_not_retried(server: HTTPServer) -> None:
    counter = respond_in_turn(server, "/missing", Response("nope", status=404))
    url = server.url_for("/missing")

    got = failure(fetch_one(url, settings(retries=2)))

    assert counter.count == 1
    assert (got.kind, got.status, got.attempts) == ("http_status", 404, 1)
    assert got.message == f"HTTP 404 Not Found for {url}"
    assert not got.transient


def test_503_twice_then_200_succeeds_on_third_attempt(server: HTTPServer) -> None:
    counter = respond_in_turn(
        server, "/flaky", Response("busy", status=503), Response("busy", status=503), Response("ok")
    )

    got = page(fetch_one(server.url_for("/flaky"), settings(retries=2)))

    assert (got.status, got.content, got.attempts) == (200, b"ok", 3)
    assert counter.count == 3


def test_retries_exhausted_returns_transient_failure(server: HTTPServer) -> None:
    counter = respond_in_turn(server, "/down", Response("down", status=502))

    got = failure(fetch_one(server.url_for("/down"), settings(retries=1)))

    assert (got.kind, got.status, got.attempts) == ("http_status", 502, 2)
    assert got.transient
    assert counter.count == 2


def test_429_with_retry_after_zero_is_retried_without_backoff(server: HTTPServer) -> None:
    counter = respond_in_turn(
        server,
        "/limited",
        Response("slow down", status=429, headers={"Retry-After": "0"}),
        Response("ok"),
    )
    # A large backoff proves the server's Retry-After is what decided the wait.
    config = settings(retries=1, backoff_seconds=30.0)

    started = time.monotonic()
    got = page(fetch_one(server.url_for("/limited"), config))

    assert time.monotonic() - started < 2
    assert got.attempts == 2
    assert counter.count == 2


def test_retry_after_is_capped(server: HTTPServer) -> None:
    respond_in_turn(
        server,
        "/later",
        Response("later", status=503, headers={"Retry-After": "3600"}),
        Response("ok"),
    )

    started = time.monotonic()
    got = page(fetch_one(server.url_for("/later"), settings(retries=1, max_retry_after=0.05)))

    assert time.monotonic() - started < 2
    assert got.attempts == 2


def test_parse_retry_after() -> None:
    parse = fetch_mod._parse_retry_after
    assert parse("7", 60) == 7
    assert parse("120", 60) == 60
    assert parse(None, 60) is None
    assert parse("soon", 60) is None
    past = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
    assert parse(past, 60) == 0
    future = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (parse(future, 60) or 0) <= 30


def test_connection_refused_is_transient_network_failure() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"

    got = failure(fetch_one(url, settings(retries=1)))

    assert got.kind == "network"
    assert got.transient
    assert got.attempts == 2
    assert url in got.message


def test_tls_error_is_not_retried(server: HTTPServer) -> None:
    # Speaking TLS to a plain-HTTP port fails the handshake, like a broken certificate would.
    url = server.url_for("/").replace("http://", "https://")

    got = failure(fetch_one(url, settings(retries=2)))

    assert got.kind == "tls"
    assert got.attempts == 1
    assert not got.transient
    assert url in got.message


# --- timeouts and size limits --------------------------------------------------------


def test_slow_response_times_out(server: HTTPServer, release: threading.Event) -> None:
    def slow(request: Request) -> Response:
        release.wait(3)
        return Response("late")

    server.expect_request("/slow").respond_with_handler(slow)
    url = server.url_for("/slow")

    started = time.monotonic()
    got = failure(fetch_one(url, settings(read_timeout=0.3)))

    # The server answers after 3 s; the bound leaves a loaded machine room below that.
    assert time.monotonic() - started < 2.5
    assert got.kind == "timeout"
    assert got.transient
    assert got.message == f"timed out after 0.3s reading {url}"


def test_trickling_server_hits_total_timeout() -> None:
    with LocalWeb(handler=trickle()) as raw:
        started = time.monotonic()
        got = failure(fetch_one(raw.url("/drip"), settings(read_timeout=5.0, total_timeout=0.5)))
        took = time.monotonic() - started

    assert got.kind == "timeout"
    assert "0.5s in total" in got.message
    assert took < 1.5


def test_too_large_by_content_length(server: HTTPServer) -> None:
    respond_in_turn(server, "/big", Response(b"x" * 5000))

    got = failure(fetch_one(server.url_for("/big"), settings(max_response_bytes=1000, retries=2)))

    assert got.kind == "too_large"
    assert "5000 bytes" in got.message
    assert got.attempts == 1
    assert not got.transient


def test_too_large_chunked_stream_is_cut_off() -> None:
    with LocalWeb(handler=endless_chunks(byte=b"y")) as raw:
        started = time.monotonic()
        got = failure(fetch_one(raw.url("/stream"), settings(max_response_bytes=200_000)))
        took = time.monotonic() - started

    assert got.kind == "too_large"
    assert took < 2


def test_gzip_bomb_is_stopped(server: HTTPServer) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    assert len(bomb) < 1_000_000  # the wire size alone would pass the limit
    respond_in_turn(server, "/bomb", Response(bomb, headers={"Content-Encoding": "gzip"}))

    started = time.monotonic()
    got = failure(fetch_one(server.url_for("/bomb"), settings(max_response_bytes=1_000_000)))

    assert got.kind == "too_large"
    assert time.monotonic() - started < 3


# --- redirects -----------------------------------------------------------------------


def redirect(location: str, status: int = 302) -> Response:
    return Response("", status=status, headers={"Location": location})


def test_redirect_chain_reports_final_url(server: HTTPServer) -> None:
    respond_in_turn(server, "/a", redirect("/b", 301))
    respond_in_turn(server, "/b", redirect(server.url_for("/c"), 307))
    respond_in_turn(server, "/c", Response("landed"))

    got = page(fetch_one(server.url_for("/a")))

    assert got.url == server.url_for("/a")
    assert got.final_url == server.url_for("/c")
    assert got.content == b"landed"


def test_redirect_loop_is_too_many_redirects(server: HTTPServer) -> None:
    counter = respond_in_turn(server, "/loop", redirect("/loop"))

    got = failure(fetch_one(server.url_for("/loop"), settings(max_redirects=3, retries=2)))

    assert got.kind == "too_many_redirects"
    assert "redirect loop" in got.message
    assert counter.count == 4  # the request plus three followed redirects
    assert got.attempts == 1


@pytest.mark.parametrize(("hops", "ok"), [(2, True), (3, False)])
def test_max_redirects_counts_every_hop(server: HTTPServer, hops: int, ok: bool) -> None:
    for i in range(hops):
        respond_in_turn(server, f"/hop{i}", redirect(f"/hop{i + 1}"))
    respond_in_turn(server, f"/hop{hops}", Response("end"))

    got = fetch_one(server.url_for("/hop0"), settings(max_redirects=2))

    if ok:
        assert page(got).final_url == server.url_for(f"/hop{hops}")
    else:
        assert failure(got).kind == "too_many_redirects"


def test_cross_origin_redirect_drops_credentials(server: HTTPServer) -> None:
    with LocalWeb(handler=Raw(ok_text)) as other:
        respond_in_turn(server, "/out", redirect(other.url("/elsewhere")))
        url = server.url_for("/out")
        headers = {url: {"Authorization": "Bearer s3cret", "If-None-Match": '"v1"'}}

        got = page(fetch_one(url, extra_headers=headers))

    assert got.final_url == other.url("/elsewhere")
    sent = other.requests[0].raw.lower()
    assert b"authorization" not in sent
    assert b'if-none-match: "v1"' in sent


# --- address policy ------------------------------------------------------------------

STRICT = FetchSettings(allow_private_addresses=False, retries=2, backoff_seconds=0.01)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8080/admin", "loopback"),
        ("http://localhost/", "loopback"),
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.1/router", "private"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("https://100.64.0.1/", "non-public"),
    ],
)
def test_private_addresses_are_refused(url: str, reason: str) -> None:
    got = failure(fetch_one(url, STRICT))

    assert got.kind == "refused_address"
    assert got.attempts == 1
    assert not got.transient
    assert f"refused: {url} resolves to {reason} address" in got.message
    assert "fetch.allow_private_addresses" in got.message


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/file.txt",
        "not a url",
        "http://",
        "",
        "http://[::1/",
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_bad_urls(url: str, allow_private: bool) -> None:
    config = dataclasses.replace(STRICT, allow_private_addresses=allow_private)

    got = failure(fetch_one(url, config))

    assert got.kind == "bad_url"
    assert got.attempts == 1
    assert "\n" not in got.message


# --- DNS pinning: the address checked is the address connected to -----------------------
#
# Nothing may leave loopback here, so 127.0.0.2 plays the public internet (the policy is
# patched to call it public) and 127.0.0.1 the private network; Linux routes all of
# 127/8 to loopback. Names are answered by a resolver the test controls.

PUBLIC_STAND_IN = "127.0.0.2"


def _fake_dns(
    monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Answer ``socket.getaddrinfo`` for the given names, one answer per call (the last repeats).

    Patched at the socket level, the resolver every path uses (ours, httpx's, anyio's);
    returns the log of which name got which answer.
    """
    real = socket.getaddrinfo
    calls: dict[str, list[str]] = {}

    def getaddrinfo(host: object, port: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in answers:
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        seen = calls.setdefault(name, [])
        address = answers[name][min(len(seen), len(answers[name]) - 1)]
        seen.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(str(port))))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    real_reason = fetch_mod._refusal_reason

    def reason(address: object) -> str | None:
        if str(address) == PUBLIC_STAND_IN:
            return None
        return real_reason(address)  # type: ignore[arg-type]

    monkeypatch.setattr(fetch_mod, "_refusal_reason", reason)
    return calls


@pytest.fixture
def public_server(server: HTTPServer) -> Iterator[HTTPServer]:
    """A server on 127.0.0.2 at the same port as ``server`` (127.0.0.1): one name, two hosts."""
    public = LocalServer(host=PUBLIC_STAND_IN, port=server.port, threaded=True)
    public.start()
    yield public
    public.clear()
    public.stop()


def test_a_name_rebinding_to_loopback_after_the_check_is_never_connected_to(
    server: HTTPServer, public_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = respond_in_turn(server, "/page", Response("private"))
    public = respond_in_turn(public_server, "/page", Response("public"))
    calls = _fake_dns(monkeypatch, {"rebind.test": [PUBLIC_STAND_IN, "127.0.0.1"]})

    got = page(
        fetch_one(f"http://rebind.test:{server.port}/page", settings(allow_private_addresses=False))
    )

    assert got.content == b"public"
    assert calls["rebind.test"] == [PUBLIC_STAND_IN], "resolved once, for check and connection"
    assert public.count == 1 and private.count == 0
    assert public.headers[0]["host"] == f"rebind.test:{server.port}"


def test_a_name_answering_public_and_private_addresses_is_refused(
    server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = respond_in_turn(server, "/page", Response("private"))
    real = socket.getaddrinfo

    def both(host: object, port: object, *args: object, **kwargs: object) -> object:
        if host != "mixed.test":
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(str(port))))
            for address in (PUBLIC_STAND_IN, "127.0.0.1")
        ]

    _fake_dns(monkeypatch, {})
    monkeypatch.setattr(socket, "getaddrinfo", both)

    got = failure(
        fetch_one(f"http://mixed.test:{server.port}/page", settings(allow_private_addresses=False))
    )

    assert got.kind == "refused_address"
    assert "loopback address 127.0.0.1" in got.message
    assert private.count == 0


def test_redirect_to_a_name_resolving_to_loopback_is_refused(
    server: HTTPServer, public_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = respond_in_turn(server, "/secret", Response("internal"))
    inside = f"http://intranet.test:{server.port}/secret"
    start = respond_in_turn(public_server, "/start", redirect(inside))
    _fake_dns(monkeypatch, {"public.test": [PUBLIC_STAND_IN], "intranet.test": ["127.0.0.1"]})

    got = failure(
        fetch_one(
            f"http://public.test:{server.port}/start", settings(allow_private_addresses=False)
        )
    )

    assert start.count == 1
    assert got.kind == "refused_address"
    assert f"refused: {inside} resolves to loopback address 127.0.0.1" in got.message
    assert secret.count == 0


def test_https_to_a_pinned_address_keeps_sni_host_and_certificate_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _self_signed(tmp_path, "secure.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)  # type: ignore[assignment,misc,return-value]
    requests: list[bytes] = []
    listener = socket.create_server((PUBLIC_STAND_IN, 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with context.wrap_socket(conn, server_side=True) as tls:
            request = b""
            while b"\r\n\r\n" not in request:
                request += tls.recv(4096)
            requests.append(request)
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecure")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    _fake_dns(monkeypatch, {"secure.test": [PUBLIC_STAND_IN]})
    try:
        got = page(
            fetch_one(f"https://secure.test:{port}/page", settings(allow_private_addresses=False))
        )
    finally:
        thread.join(timeout=5)
        listener.close()

    assert got.content == b"secure"
    assert server_names == ["secure.test"]
    assert f"host: secure.test:{port}".encode() in requests[0].lower()


def _self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate for ``name`` (its own CA), and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


# --- batches, concurrency, loops -----------------------------------------------------


def test_mixed_batch_keeps_input_order(server: HTTPServer) -> None:
    for i in range(20):
        respond_in_turn(server, f"/item/{i}", Response(f"item {i}"))
    respond_in_turn(server, "/gone", Response("", status=410))
    urls: list[str] = []
    for i in range(20):
        if i % 5 == 3:
            urls.append(server.url_for("/gone"))
        elif i % 5 == 4:
            urls.append(f"ftp://example.com/{i}")
        else:
            urls.append(server.url_for(f"/item/{i}"))

    results = fetch_all(urls, LOCAL)

    assert [r.url for r in results] == urls
    for i, result in enumerate(results):
        if i % 5 == 3:
            assert failure(result).status == 410
        elif i % 5 == 4:
            assert failure(result).kind == "bad_url"
        else:
            assert page(result).content == f"item {i}".encode()


def test_duplicate_urls_are_fetched_once(server: HTTPServer) -> None:
    counter = respond_in_turn(server, "/dup", Response("same"))
    url = server.url_for("/dup")

    results = fetch_all([url, url, url], LOCAL)

    assert counter.count == 1
    assert [page(r).content for r in results] == [b"same"] * 3


class InFlight:
    """A handler that tracks how many requests it serves at once."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.now = 0
        self.peak = 0
        self.starts: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
            self.starts.append(time.monotonic())
        time.sleep(self.hold)
        with self._lock:
            self.now -= 1
        return Response("ok")


def test_per_host_concurrency_is_never_exceeded(server: HTTPServer) -> None:
    handler = InFlight(hold=0.1)
    server.expect_request("/busy").respond_with_handler(handler)
    urls = [server.url_for(f"/busy?n={n}") for n in range(10)]

    results = fetch_all(urls, settings(per_host_concurrency=2, concurrency=8))

    assert all(isinstance(r, FetchedPage) for r in results)
    # Two requests in flight at once at the peak proves the host's limit was used and
    # never exceeded, without a wall-clock bound that a loaded machine can break.
    assert handler.peak == 2


def test_global_concurrency_is_never_exceeded(server: HTTPServer) -> None:
    handler = InFlight(hold=0.05)
    server.expect_request("/global").respond_with_handler(handler)
    urls = [server.url_for(f"/global?n={n}") for n in range(9)]

    fetch_all(urls, settings(per_host_concurrency=8, concurrency=3))

    assert handler.peak == 3


def test_per_host_delay_spaces_request_starts(server: HTTPServer) -> None:
    handler = InFlight(hold=0.0)
    server.expect_request("/polite").respond_with_handler(handler)
    urls = [server.url_for(f"/polite?n={n}") for n in range(4)]

    fetch_all(urls, settings(per_host_concurrency=4, per_host_delay=0.1))

    starts = sorted(handler.starts)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 4
    assert min(gaps) > 0.08


def test_fetch_all_works_inside_a_running_loop(server: HTTPServer) -> None:
    respond_in_turn(server, "/loop-ok", Response("ok"))
    url = server.url_for("/loop-ok")

    async def inside_prefect_like_task() -> list[FetchedPage | FetchFailure]:
        return fetch_all([url], LOCAL)

    [got] = asyncio.run(inside_prefect_like_task())

    assert page(got).content == b"ok"


def test_afetch_all(server: HTTPServer) -> None:
    respond_in_turn(server, "/async", Response("async ok"))

    [got] = asyncio.run(afetch_all([server.url_for("/async")], LOCAL))

    assert page(got).content == b"async ok"


def test_conditional_get_returns_304_page(server: HTTPServer) -> None:
    def conditional(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response("fresh", headers={"ETag": '"v1"'})

    server.expect_request("/cond").respond_with_handler(conditional)
    url = server.url_for("/cond")

    fresh, cached = fetch_all([url], LOCAL) + fetch_all(
        [url], LOCAL, extra_headers={url: {"If-None-Match": '"v1"'}}
    )

    assert (page(fresh).status, page(fresh).content) == (200, b"fresh")
    assert (page(cached).status, page(cached).content) == (304, b"")
    assert page(cached).headers["etag"] == '"v1"'


def test_request_headers_are_never_logged(
    server: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    respond_in_turn(server, "/private", Response("no", status=403))
    url = server.url_for("/private")
    caplog.set_level(logging.DEBUG, logger="flows.fetching.http")

    got = failure(fetch_one(url, extra_headers={url: {"Authorization": "Bearer s3cret"}}))

    assert got.status == 403
    assert url in caplog.text
    assert "s3cret" not in caplog.text
    assert "fetch failed" in caplog.text


def test_failure_after_redirect_names_both_urls(server: HTTPServer) -> None:
    respond_in_turn(server, "/moved", redirect("/vanished"))
    respond_in_turn(server, "/vanished", Response("", status=404))
    start = server.url_for("/moved")

    got = failure(fetch_one(start))

    assert got.message == (
        f"HTTP 404 Not Found for {server.url_for('/vanished')} (redirected from {start})"
    )


# --- robots.txt ----------------------------------------------------------------------

ROBOTS = settings(
    respect_robots=True,
    robots_timeout=0.5,
    user_agent="newswatch/0.1 (+https://example.org/contact)",
)


def test_robots_token_is_the_product_name() -> None:
    assert robots.token("newswatch/0.1 (+https://example.org/contact)") == "newswatch"
    assert robots.token("MyBot") == "MyBot"


def test_robots_disallow_is_honoured_and_fetched_once_per_host(server: HTTPServer) -> None:
    robots = respond_in_turn(
        server,
        "/robots.txt",
        Response(
            "User-agent: *\nDisallow: /\n\nUser-agent: newswatch\nDisallow: /private\n",
            content_type="text/plain",
        ),
    )
    server.expect_request("/public").respond_with_data("ok")
    server.expect_request("/private/page").respond_with_data("secret")
    public, private = fetch_all(
        [server.url_for("/public"), server.url_for("/private/page")], ROBOTS
    )
    assert page(public).content == b"ok"
    got = failure(private)
    assert got.kind == "robots" and not got.transient
    assert "robots.txt" in got.message and "newswatch" in got.message
    # a second batch in the same process uses the cached rules
    page(fetch_one(server.url_for("/public"), ROBOTS))
    assert robots.count == 1
    assert robots.headers[0]["user-agent"] == "newswatch/0.1 (+https://example.org/contact)"
    assert not any(request.path == "/private/page" for request, _ in server.log)


@pytest.mark.parametrize("status", [404, 410, 403])
def test_robots_4xx_allows_everything(server: HTTPServer, status: int) -> None:
    server.expect_request("/robots.txt").respond_with_data("no", status=status)
    server.expect_request("/a").respond_with_data("ok")
    assert page(fetch_one(server.url_for("/a"), ROBOTS)).content == b"ok"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_robots_5xx_means_disallow_all(server: HTTPServer, status: int) -> None:
    server.expect_request("/robots.txt").respond_with_data("down", status=status)
    server.expect_request("/a").respond_with_data("ok")
    got = failure(fetch_one(server.url_for("/a"), ROBOTS))
    assert got.kind == "robots_unreachable"
    assert f"HTTP {status}" in got.message and "disallow" in got.message
    assert not any(request.path == "/a" for request, _ in server.log)


def test_robots_that_times_out_fails_the_url_quickly_not_the_batch(
    server: HTTPServer, release: threading.Event
) -> None:
    def hang(request: Request) -> Response:
        release.wait(5)
        return Response("User-agent: *\nAllow: /\n")

    server.expect_request("/robots.txt").respond_with_handler(hang)
    server.expect_request("/a").respond_with_data("ok")
    started = time.monotonic()
    [got, other] = fetch_all([server.url_for("/a"), server.url_for("/b")], ROBOTS)
    assert time.monotonic() - started < 2.5
    assert failure(got).kind == "robots_unreachable"
    assert "timed out" in failure(got).message
    assert failure(other).kind == "robots_unreachable"


def test_robots_crawl_delay_spaces_requests(server: HTTPServer) -> None:
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nCrawl-delay: 0.3\n")
    starts: list[float] = []

    def handler(request: Request) -> Response:
        starts.append(time.monotonic())
        return Response("ok")

    server.expect_request("/p").respond_with_handler(handler)
    urls = [server.url_for(f"/p?n={n}") for n in range(3)]
    for result in fetch_all(urls, ROBOTS):
        page(result)
    starts.sort()
    assert all(b - a >= 0.25 for a, b in itertools.pairwise(starts))


def test_robots_is_checked_for_each_redirect_target(server: HTTPServer) -> None:
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /hidden\n")
    server.expect_request("/open").respond_with_data(
        "", status=302, headers={"Location": "/hidden/page"}
    )
    got = failure(fetch_one(server.url_for("/open"), ROBOTS))
    assert got.kind == "robots" and "/hidden/page" in got.message


def test_brotli_body_is_decompressed(server: HTTPServer) -> None:
    import brotli

    body = "Grüße aus Köln. ".encode() * 200
    server.expect_request("/br").respond_with_data(
        brotli.compress(body),
        headers={"Content-Encoding": "br"},
        content_type="text/plain; charset=utf-8",
    )
    got = page(fetch_one(server.url_for("/br")))
    assert got.content == body
    assert "br" in server.log[-1][0].headers["Accept-Encoding"]


def test_secrets_in_urls_never_reach_messages_or_logs(
    server: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="flows.fetching.http")
    server.expect_request("/feed").respond_with_data("no", status=403)
    port = server.port
    url = f"http://reader:hunter2@127.0.0.1:{port}/feed?api_key=s3cret&page=2&access_token=t0k"
    got = failure(fetch_one(url))
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("flows"))
    assert "fetch failed" in ours
    for secret in ("hunter2", "s3cret", "t0k"):
        assert secret not in got.message
        assert secret not in ours
    assert "reader:***@" in got.message and "api_key=***" in got.message
    assert "page=2" in got.message


def test_redact() -> None:
    assert fetch_mod.redact("see https://u:p@x.example/a?token=abc&q=1") == (
        "see https://u:***@x.example/a?token=***&q=1"
    )
    assert fetch_mod.redact("https://x.example/a?q=ai+act") == "https://x.example/a?q=ai+act"
