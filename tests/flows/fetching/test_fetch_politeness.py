"""Politeness seen from the server's side: many hosts, latency, limits never exceeded."""

from __future__ import annotations

import pytest

from flows.fetching.http import FetchedPage, FetchSettings, fetch_all
from tests.support.web import LocalWeb, Request, Response, page


def article(request: Request) -> Response:
    if request.path == "/robots.txt":
        return Response(b"", 404)
    return page(f"<p>{request.path}</p>")


@pytest.mark.parametrize(("per_host", "overall"), [(2, 8), (1, 3)])
def test_server_never_sees_more_than_the_per_host_limit(per_host: int, overall: int) -> None:
    with LocalWeb(hosts=4, latency=0.05, handler=article) as web:
        urls = [f"{web.base(n % 4)}/article/{n}" for n in range(80)]
        settings = FetchSettings(
            allow_private_addresses=True, per_host_concurrency=per_host, concurrency=overall
        )
        results = fetch_all(urls, settings)
    assert all(isinstance(result, FetchedPage) for result in results)
    assert web.total_requests == 80 + 4  # every page once, plus robots.txt per host
    # Never more than the limit at any host, and the limit is actually used (the test can fail
    # both ways: a broken limiter exceeds it, a serialising one never reaches it).
    assert web.max_in_flight_per_host == per_host
    assert web.max_global_in_flight <= overall
    # No wall-clock bound: it flaked on a loaded 2-core machine, and the peaks above already
    # prove the requests overlap; bench/bench_fetch.py measures the speed.
