"""tests/support/web.py: the shared local web answers as its routes say, and counts what it saw."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.web import LocalWeb, Raw, Request, Response, page, redirect


def test_routes_answer_with_their_status_headers_and_body() -> None:
    with LocalWeb() as web:
        web.route("/feed.xml", page("<rss/>", "application/rss+xml", headers={"ETag": '"v1"'}))
        web.route("/gone", Response(b"gone", 410))
        got = httpx.get(web.url("/feed.xml"))
        gone = httpx.get(web.url("/gone"))
        missing = httpx.get(web.url("/robots.txt"))

    assert (got.status_code, got.content) == (200, b"<rss/>")
    assert got.headers["content-type"] == "application/rss+xml"
    assert got.headers["etag"] == '"v1"'
    assert got.headers["content-length"] == "6"
    assert (gone.status_code, gone.content) == (410, b"gone")
    # A path without a route is missing: for robots.txt that means "no rules".
    assert missing.status_code == 404


def test_a_route_with_a_query_wins_over_the_bare_path() -> None:
    with LocalWeb() as web:
        web.route("/search", page("any"))
        web.route("/search?q=ai", page("ai"))
        assert httpx.get(web.url("/search?q=ai")).text == "ai"
        assert httpx.get(web.url("/search?q=eu")).text == "any"


def test_a_function_route_sees_method_headers_query_and_body() -> None:
    seen: list[Request] = []

    def echo(request: Request) -> Response:
        seen.append(request)
        return page(request.body.upper(), "text/plain")

    with LocalWeb() as web:
        web.route("/api", echo)
        got = httpx.post(web.url("/api?x=1"), content=b"hello", headers={"X-Token": "t"})

    assert got.content == b"HELLO"
    [request] = seen
    assert (request.method, request.path, request.query) == ("POST", "/api", {"x": ["1"]})
    assert request.headers["x-token"] == "t"
    assert request.raw.startswith(b"POST /api?x=1 HTTP/1.1\r\n")
    assert b"\r\nX-Token: t\r\n" in request.raw


def test_redirects_are_followed_to_the_target() -> None:
    with LocalWeb() as web:
        web.route("/old", redirect("/new", 301))
        web.route("/new", page("moved here"))
        got = httpx.get(web.url("/old"), follow_redirects=True)

    assert got.text == "moved here"
    assert [r.status_code for r in got.history] == [301]


def test_a_delayed_answer_does_not_stall_the_others() -> None:
    with LocalWeb() as web:
        web.route("/slow", Response(b"late", delay=1.0))
        web.route("/fast", page("now"))
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(web.url("/slow"), timeout=httpx.Timeout(5.0, read=0.2))
        # Served while the slow answer is still being held back on its own thread.
        assert httpx.get(web.url("/fast")).text == "now"


def test_every_host_is_its_own_port_and_counts_its_requests() -> None:
    with LocalWeb(hosts=3, handler=lambda request: page(f"host {request.host}")) as web:
        for host in (0, 1, 1, 2, 2, 2):
            assert httpx.get(web.url("/x", host)).text == f"host {host}"

    assert len(set(web.ports)) == 3
    assert [stats.requests for stats in web.stats] == [1, 2, 3]
    assert web.total_requests == 6
    assert web.stats[2].paths == ["/x", "/x", "/x"]


def test_latency_holds_requests_in_flight_and_the_peak_is_counted() -> None:
    with LocalWeb(hosts=2, latency=0.3, handler=page("ok")) as web:
        urls = [web.url(f"/n{n}", 0) for n in range(3)] + [web.url("/n", 1)]
        with ThreadPoolExecutor(4) as pool, httpx.Client() as client:
            statuses = list(pool.map(lambda url: client.get(url).status_code, urls))

    assert statuses == [200] * 4
    # All four were answered concurrently, not one after the other.
    assert web.stats[0].max_in_flight == 3
    assert web.max_in_flight_per_host == 3
    assert web.max_global_in_flight == 4
    assert web.busy_seconds >= 4 * 0.3
    web.reset()
    assert (web.total_requests, web.max_global_in_flight, web.requests) == (0, 0, [])


def test_a_raw_route_sends_its_own_bytes_until_told_to_stop() -> None:
    stopped = threading.Event()

    def lie_about_the_size(conn: socket.socket, stop: threading.Event, request: Request) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
        stop.wait(10)
        stopped.set()

    with LocalWeb() as web:
        web.route("/lie", Raw(lie_about_the_size))
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(web.url("/lie"), timeout=httpx.Timeout(5.0, read=0.3))
    # Closing the web sets ``stop``: the raw handler returns instead of holding its thread.
    assert stopped.wait(2)


def test_a_handler_that_raises_answers_500_and_is_recorded() -> None:
    def broken(request: Request) -> Response:
        raise KeyError("no such story")

    with LocalWeb(handler=broken) as web:
        got = httpx.get(web.url("/story"))

    assert got.status_code == 500
    assert web.errors == ["GET /story: KeyError('no such story')"]


def test_a_closed_web_refuses_connections() -> None:
    with LocalWeb() as web:
        url = web.url("/")
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)
