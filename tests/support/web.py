"""The local web that tests and benchmarks share: threaded HTTP servers on 127.0.0.1.

``LocalWeb(hosts=N)`` opens N listening ports on 127.0.0.1; each port is one "host" (the
fetcher's per-host limits and robots.txt cache are per host:port). One thread accepts for
every port and each connection is served by a thread of its own, with HTTP/1.1 keep-alive,
so a slow answer never stalls the others. What a host answers is set per path::

    with LocalWeb() as web:
        web.route("/feed.xml", page(rss, "application/rss+xml"))
        web.route("/old", redirect("/new"))
        web.route("/slow", Response(b"late", delay=2.0))
        web.route("/drip", Raw(trickle))  # the handler writes bytes to the socket itself
        web.route("/api", lambda request: page(request.body.upper()))
        fetch(web.url("/feed.xml"))

A route is a fixed ``Response``, a function of the ``Request`` that returns one, or ``Raw``
for answers no well-behaved server sends (lies about sizes, hangs; ``trickle()`` and
``endless_chunks()`` are ready-made). A
path without a route takes the ``handler`` route when one is given, else answers 404, which the
fetcher reads as "no robots.txt rules". Every request is recorded in ``requests`` and
counted per host in ``stats`` (in flight at once, time spent answering), so politeness is
checked from the server's side. ``latency`` delays every answer, as remote hosts do.

Where it is used: the fetcher's tests (``tests/flows/fetching``), the generated news web of
``tests/support/newsweb.py`` (``tests/flows/stages/test_news_web.py``, ``bench/bench_pipeline.py``)
and ``bench/bench_fetch.py``. Tests that want declarative request expectations use
pytest-httpserver (the ``httpserver`` and ``news_site`` fixtures of ``tests/conftest.py``).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "HostStats",
    "LocalWeb",
    "Raw",
    "Request",
    "Response",
    "endless_chunks",
    "page",
    "redirect",
    "trickle",
]


@dataclass(frozen=True)
class Request:
    """One request as a host received it."""

    host: int  # index of the host (port) that received it
    method: str
    target: str  # as sent: path and query
    headers: dict[str, str]  # names lower-cased
    body: bytes
    raw: bytes  # request line and header block, as received

    @property
    def path(self) -> str:
        """The target without its query."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        """The query string's parameters."""
        return parse_qs(urlsplit(self.target).query)


@dataclass(frozen=True)
class Response:
    """What a host answers: status, headers, body, after ``delay`` seconds."""

    body: bytes = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


Handler = Callable[[Request], Response]
RawServe = Callable[[socket.socket, threading.Event, Request], None]


@dataclass(frozen=True)
class Raw:
    """A route that writes its own bytes to the socket: ``serve(conn, stop, request)``.

    ``stop`` is set when the web shuts down; the socket times out after one second of a
    client not reading, so a handler that keeps writing ends when the client hangs up.
    """

    serve: RawServe


Route = Response | Raw | Handler


def page(
    body: str | bytes,
    content_type: str = "text/html; charset=utf-8",
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A response with a body of ``content_type`` (text is sent as UTF-8)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Response(data, status, {"Content-Type": content_type, **(headers or {})})


def redirect(location: str, status: int = 302) -> Response:
    """A redirect to ``location`` (absolute or relative to the host)."""
    return Response(b"", status, {"Location": location})


def trickle(
    content_type: str = "text/plain", length: int = 100_000, every: float = 0.1, byte: bytes = b"x"
) -> Raw:
    """A 200 announcing ``length`` bytes, then one byte every ``every`` seconds until stopped."""

    def serve(conn: socket.socket, stop: threading.Event, request: Request) -> None:
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n"
        )
        conn.sendall(head.encode("latin-1"))
        while not stop.wait(every):
            conn.sendall(byte)

    return Raw(serve)


def endless_chunks(content_type: str = "text/plain", byte: bytes = b"x") -> Raw:
    """A chunked 200 whose 64 KB chunks never end (until the client hangs up or the web stops)."""

    def serve(conn: socket.socket, stop: threading.Event, request: Request) -> None:
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        conn.sendall(head.encode("latin-1"))
        chunk = byte * 65536
        while not stop.is_set():
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    return Raw(serve)


NOT_FOUND = Response(b"not found", 404, {"Content-Type": "text/plain"})


@dataclass
class HostStats:
    """What one host saw (the counts a politeness check reads from the server's side)."""

    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    busy_seconds: float = 0.0  # sum of answer times: request read -> response written
    paths: list[str] = field(default_factory=list)


class _HostServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default listen backlog of 5 is below the fetcher's concurrency.
    request_queue_size = 1024

    def __init__(self, web: LocalWeb, host: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.web = web
        self.host = host


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real web servers answer
    server: _HostServer

    def log_message(self, format: str, *args: object) -> None:
        """Silent: a benchmark's thousands of requests would drown its tables."""

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            host=self.server.host,
            method=self.command,
            target=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            raw="".join(
                [f"{self.requestline}\r\n"]
                + [f"{name}: {value}\r\n" for name, value in self.headers.items()]
                + ["\r\n"]
            ).encode("latin-1", "replace"),
        )
        self.server.web._answer(request, self)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = _dispatch

    def write_response(self, response: Response) -> None:
        self.send_response(response.status)
        names = {name.lower() for name in response.headers}
        for name, value in response.headers.items():
            self.send_header(name, value)
        if "content-length" not in names and "transfer-encoding" not in names:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


class LocalWeb:
    """``hosts`` HTTP servers on 127.0.0.1, one port each, answering from their routes.

    Args:
        hosts: number of hosts (ports).
        latency: seconds every host waits before answering (on top of a response's delay).
        handler: the route of every path without one, on every host (default: a 404).
    """

    def __init__(self, hosts: int = 1, latency: float = 0.0, handler: Route | None = None):
        self.latency = latency
        self.handler = handler
        self.routes: list[dict[str, Route]] = [{} for _ in range(hosts)]
        self.stats: list[HostStats] = [HostStats() for _ in range(hosts)]
        self.requests: list[Request] = []
        self.errors: list[str] = []  # handlers that raised (each answered 500)
        self.max_global_in_flight = 0
        self.stop = threading.Event()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._servers = [_HostServer(self, host) for host in range(hosts)]
        self.ports: list[int] = [server.server_address[1] for server in self._servers]
        self._wake_read, self._wake_write = socket.socketpair()
        self._acceptor = threading.Thread(target=self._accept, name="local-web", daemon=True)

    # ------------------------------------------------------------------ addresses and routes

    def base(self, host: int = 0) -> str:
        """The origin of host number ``host``: ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.ports[host]}"

    def url(self, path: str = "/", host: int = 0) -> str:
        """The absolute URL of ``path`` on host number ``host``."""
        return self.base(host) + path

    def route(self, path: str, route: Route, host: int = 0) -> None:
        """Answer ``path`` (with its query, or without to match any query) with ``route``."""
        self.routes[host][path] = route

    # ------------------------------------------------------------------ counts

    def reset(self) -> None:
        """Forget the counts and the request log (between phases of a benchmark)."""
        with self._lock:
            self.stats = [HostStats() for _ in self.stats]
            self.requests = []
            self.max_global_in_flight = 0

    @property
    def total_requests(self) -> int:
        """Requests received by every host."""
        return sum(stats.requests for stats in self.stats)

    @property
    def busy_seconds(self) -> float:
        """Sum over every request of the time from reading it to writing its answer."""
        return sum(stats.busy_seconds for stats in self.stats)

    @property
    def max_in_flight_per_host(self) -> int:
        """The most requests any one host had in flight at once."""
        return max((stats.max_in_flight for stats in self.stats), default=0)

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalWeb:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting, tell raw handlers to stop, close every port."""
        self.stop.set()
        self._wake_write.send(b"x")
        if self._acceptor.is_alive():
            self._acceptor.join(timeout=5)
        for server in self._servers:
            server.server_close()
        self._wake_read.close()
        self._wake_write.close()

    def _accept(self) -> None:
        # One thread waits on every port (and on a wake-up socket, so closing is immediate);
        # each accepted connection gets a thread of its own from ThreadingHTTPServer.
        with selectors.DefaultSelector() as selector:
            selector.register(self._wake_read, selectors.EVENT_READ)
            for server in self._servers:
                selector.register(server, selectors.EVENT_READ, server)
            while not self.stop.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._wake_read:
                        return
                    # A ready socket: handle_request() accepts it without waiting.
                    ready = key.data
                    ready.timeout = 0
                    ready.handle_request()

    # ------------------------------------------------------------------ answering

    def _find(self, request: Request) -> Route | None:
        routes = self.routes[request.host]
        found = routes.get(request.target) or routes.get(request.path)
        if found is None and self.handler is not None:
            return self.handler
        return found

    def _answer(self, request: Request, out: _Handler) -> None:
        started = time.monotonic()
        with self._lock:
            self.requests.append(request)
            stats = self.stats[request.host]
            stats.requests += 1
            stats.paths.append(request.target)
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            self._in_flight += 1
            self.max_global_in_flight = max(self.max_global_in_flight, self._in_flight)
        left = False

        def leave() -> None:
            nonlocal left
            with self._lock:
                if left:
                    return
                left = True
                stats.in_flight -= 1
                self._in_flight -= 1
                stats.busy_seconds += time.monotonic() - started

        try:
            if self.latency:
                time.sleep(self.latency)
            route = self._find(request)
            if isinstance(route, Raw):
                out.close_connection = True
                out.connection.settimeout(1.0)
                # The client hanging up is what most raw answers provoke.
                with contextlib.suppress(OSError):
                    route.serve(out.connection, self.stop, request)
                return
            try:
                response = NOT_FOUND if route is None else _resolve(route, request)
            except Exception as error:  # a broken test handler answers 500 and is recorded
                self.errors.append(f"{request.method} {request.target}: {error!r}")
                response = Response(repr(error).encode(), 500, {"Content-Type": "text/plain"})
            if response.delay:
                time.sleep(response.delay)
            # The request stops counting as in flight before its last byte leaves: once the
            # client has the answer it may start its next request at once, and counting this
            # one until after the write would see both (a race in the counter, not the client).
            leave()
            try:
                out.write_response(response)
            except OSError:
                out.close_connection = True  # the client gave up waiting (timeout tests)
        finally:
            leave()


def _resolve(route: Response | Handler, request: Request) -> Response:
    return route if isinstance(route, Response) else route(request)
