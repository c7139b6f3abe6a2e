"""Fetching benchmark (issue [4]): concurrency under politeness, and an unchanged daily run.

1. **Pages**: 1,000 article pages (listed host by host) spread over 20 local hosts (ports of 127.0.0.1), every
   response delayed 300 ms by the server. ``flows.fetching.http.fetch_all`` with the default
   settings (32 in flight overall, 2 per host) is timed against the sum of the server's
   response times; the server (in its own process) records the most requests it ever had in
   flight per host. Peer, same run: a bare ``httpx.AsyncClient`` with the same global limit
   and no per-host limit, no robots.txt, no address checks (what politeness costs).
2. **Unchanged feeds**: 50 feeds of 200 entries on 50 hosts, 300 ms per response. The
   listing stage (``flows.stages.listing.list_sources``) of a first run (everything parsed), then
   of a daily run with the stored state where the server answers 304, then where the server
   ignores the validators and sends the same bytes (the body hash decides). robots.txt is
   forgotten before each run, as in a fresh process.

Usage::

    .venv/bin/python bench/bench_fetch.py [--pages 1000] [--hosts 20] [--feeds 50] [--latency 0.3]

It prints tables of what it measured; BENCHMARKS.md says what they mean.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import sys
import time
from dataclasses import asdict
from importlib.metadata import version
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from flows.config import parse_config
from flows.fetching.http import FetchedPage, FetchSettings, clear_robots_cache, fetch_all
from flows.stages.listing import list_sources
from flows.stages.types import Window
from tests.support.web import LocalWeb, Request, Response, page

FEED_ENTRIES = 200


# ----------------------------------------------------------------------------- the server


def _page(request: Request) -> Response:
    if request.path == "/robots.txt":
        return page("User-agent: *\nDisallow: /private/\n", "text/plain")
    return page(f"<html><head><title>{request.path}</title></head><body>" + "<p>words</p>" * 400)


def _feed_body(host: int) -> bytes:
    items = "".join(
        f"<item><title>Story {host}-{n}</title><link>https://news{host}.example/{n}</link>"
        f"<guid>{host}-{n}</guid><pubDate>Sat, 21 Nov 2026 10:{n % 60:02d}:00 GMT</pubDate>"
        f"<description>A summary of story {n} with a few words in it.</description></item>"
        for n in range(FEED_ENTRIES)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {host}</title>'
        f"<link>https://news{host}.example/</link>{items}</channel></rss>"
    ).encode()


class _FeedHandler:
    def __init__(self) -> None:
        self.honour_validators = True
        self.bodies: dict[int, bytes] = {}

    def __call__(self, request: Request) -> Response:
        if request.path == "/robots.txt":
            return Response(b"", 404)
        host = int(request.path.rsplit("/", 1)[1].split(".")[0])
        body = self.bodies.setdefault(host, _feed_body(host))
        etag = f'"feed-{host}-v1"'
        if self.honour_validators and request.headers.get("if-none-match") == etag:
            return Response(b"", 304, {"ETag": etag})
        return page(body, "application/rss+xml", headers={"ETag": etag})


def _serve(kind: str, hosts: int, latency: float, pipe: Connection) -> None:
    """Child process: run the local web, answer commands from the parent."""
    handler: Any = _page if kind == "pages" else _FeedHandler()
    with LocalWeb(hosts, latency, handler) as web:
        pipe.send(web.ports)
        while True:
            command = pipe.recv()
            if command == "stats":
                pipe.send(
                    {
                        "requests": web.total_requests,
                        "busy_seconds": web.busy_seconds,
                        "max_in_flight_per_host": web.max_in_flight_per_host,
                        "max_global_in_flight": web.max_global_in_flight,
                    }
                )
                web.reset()
            elif command == "ignore-validators":
                handler.honour_validators = False
                pipe.send(True)
            else:
                break


class Server:
    """The local web in a child process, so it does not share the client's interpreter."""

    def __init__(self, kind: str, hosts: int, latency: float) -> None:
        self._pipe, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(
            target=_serve, args=(kind, hosts, latency, child), daemon=True
        )
        self._process.start()
        self.ports: list[int] = self._pipe.recv()

    def base(self, host: int) -> str:
        return f"http://127.0.0.1:{self.ports[host]}"

    def stats(self) -> dict[str, Any]:
        self._pipe.send("stats")
        result: dict[str, Any] = self._pipe.recv()
        return result

    def ignore_validators(self) -> None:
        self._pipe.send("ignore-validators")
        self._pipe.recv()

    def close(self) -> None:
        self._pipe.send("stop")
        self._process.join(timeout=10)


# ----------------------------------------------------------------------------- phase 1


async def _bare_httpx(urls: list[str], limit: int) -> int:
    semaphore = asyncio.Semaphore(limit)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=limit)) as client:

        async def one(url: str) -> int:
            async with semaphore:
                response = await client.get(url)
                return response.status_code

        statuses = await asyncio.gather(*(one(url) for url in urls))
    return sum(status == 200 for status in statuses)


def bench_pages(pages: int, hosts: int, latency: float) -> dict[str, Any]:
    server = Server("pages", hosts, latency)
    try:
        # Grouped by host, as a feed's links are: a client without a per-host limit would
        # send one host everything it can.
        urls = [f"{server.base(n * hosts // pages)}/news/{n}" for n in range(pages)]
        settings = FetchSettings(allow_private_addresses=True)
        clear_robots_cache()
        started = time.monotonic()
        results = fetch_all(urls, settings)
        ours_wall = time.monotonic() - started
        ours = server.stats()
        ok = sum(isinstance(result, FetchedPage) for result in results)

        started = time.monotonic()
        peer_ok = asyncio.run(_bare_httpx(urls, settings.concurrency))
        peer_wall = time.monotonic() - started
        peer = server.stats()
    finally:
        server.close()
    ideal = latency * (
        -(-pages // min(settings.concurrency, hosts * settings.per_host_concurrency))
    )
    return {
        "pages": pages,
        "hosts": hosts,
        "latency": latency,
        "concurrency": settings.concurrency,
        "per_host": settings.per_host_concurrency,
        "ours": {"wall": ours_wall, "ok": ok, **ours},
        "peer": {"wall": peer_wall, "ok": peer_ok, **peer},
        "ideal": ideal,
    }


# ----------------------------------------------------------------------------- phase 2


def bench_feeds(feeds: int, latency: float) -> dict[str, Any]:
    server = Server("feeds", feeds, latency)
    try:
        lines = ["sources:"]
        for n in range(feeds):
            lines += [f"  - name: feed-{n}", "    kind: feed", f"    url: {server.base(n)}/{n}.xml"]
        lines += ["fetch:", "  allow_private_addresses: true"]
        config = parse_config("\n".join(lines) + "\n", "bench.yaml")

        def run(states: dict[str, dict[str, Any]]) -> tuple[float, list[Any]]:
            clear_robots_cache()
            started = time.monotonic()
            listings = list_sources(config, Window(), (), states)
            return time.monotonic() - started, listings

        cold_wall, listings = run({})
        cold = server.stats()
        states = {
            listing.source.name: {
                "etag": listing.etag,
                "last_modified": listing.last_modified,
                "body_hash": listing.body_hash,
                "failed_items_last_run": 0,
            }
            for listing in listings
        }
        entries = sum(listing.seen for listing in listings)
        not_modified_wall, same = run(states)
        not_modified = server.stats()
        server.ignore_validators()
        hash_wall, hashed = run(states)
        hash_stats = server.stats()
    finally:
        server.close()
    return {
        "feeds": feeds,
        "entries": entries,
        "latency": latency,
        "cold": {"wall": cold_wall, **cold},
        "not_modified": {
            "wall": not_modified_wall,
            "unchanged": sum(listing.unchanged for listing in same),
            **not_modified,
        },
        "same_hash": {
            "wall": hash_wall,
            "unchanged": sum(listing.unchanged for listing in hashed),
            **hash_stats,
        },
    }


# ----------------------------------------------------------------------------- report


def _machine() -> dict[str, str]:
    load = os.getloadavg()
    return {
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "httpx": version("httpx"),
        "load": f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
    }


def report(
    pages: dict[str, Any], feeds: dict[str, Any], machine: dict[str, str], command: str
) -> str:
    """What was measured, as Markdown tables (what it means is written in BENCHMARKS.md)."""
    ours, peer = pages["ours"], pages["peer"]
    in_flight = min(pages["concurrency"], pages["hosts"] * pages["per_host"])
    lines = [
        f"Command: `{command}`; {machine['nproc']} cores, load average (1/5/15 min) at the "
        f"start {machine['load']}; Python {machine['python']}, httpx {machine['httpx']}. The "
        "local web (tests/support/web.py) runs in a child process and delays every response by "
        f"{pages['latency'] * 1000:.0f} ms.",
        "",
        f"### {pages['pages']} pages over {pages['hosts']} hosts",
        "",
        f"Settings: {pages['concurrency']} requests in flight overall, {pages['per_host']} per "
        "host (newswatch); the same overall limit and no per-host limit (peer).",
        "",
        "| client | wall time | server's sum of response times | sum / wall | pages ok | most in flight at one host (server-side) | most in flight overall |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, run in (
        ("newswatch `fetch_all` (robots.txt, address checks, per-host limit)", ours),
        ("peer: bare `httpx.AsyncClient`, global limit only", peer),
    ):
        lines.append(
            f"| {name} | {run['wall']:.2f} s | {run['busy_seconds']:.1f} s | "
            f"{run['busy_seconds'] / run['wall']:.1f}× | {run['ok']} / {pages['pages']} | "
            f"{run['max_in_flight_per_host']} | {run['max_global_in_flight']} |"
        )
    lines += [
        "",
        "| derived | value |",
        "|---|---:|",
        f"| lower bound: {pages['pages']} responses × {pages['latency']:.2f} s / {in_flight} "
        f"in flight | {pages['ideal']:.2f} s |",
        f"| ours / lower bound | {ours['wall'] / pages['ideal']:.2f}× |",
        f"| ours / peer (wall time) | {ours['wall'] / peer['wall']:.2f}× |",
        "",
        f"### Daily run over {feeds['feeds']} unchanged feeds "
        f"({feeds['entries'] // feeds['feeds']} entries each, one host each)",
        "",
        "Listing stage (`flows.stages.listing.list_sources`: robots.txt, feed requests, parsing); "
        "robots.txt forgotten before each run.",
        "",
        "| run | wall time | requests | feeds unchanged |",
        "|---|---:|---:|---:|",
        f"| first run, no stored state (all parsed) | {feeds['cold']['wall']:.2f} s | {feeds['cold']['requests']} | 0 |",
        f"| daily run, server answers 304 | {feeds['not_modified']['wall']:.2f} s | {feeds['not_modified']['requests']} | {feeds['not_modified']['unchanged']} |",
        f"| daily run, server ignores validators (same body hash) | {feeds['same_hash']['wall']:.2f} s | {feeds['same_hash']['requests']} | {feeds['same_hash']['unchanged']} |",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()
    machine = _machine()
    pages = bench_pages(args.pages, args.hosts, args.latency)
    feeds = bench_feeds(args.feeds, args.latency)
    command = " ".join([".venv/bin/python bench/bench_fetch.py", *sys.argv[1:]])
    print(report(pages, feeds, machine, command))
    print({"pages": asdict_safe(pages), "feeds": asdict_safe(feeds)}, file=sys.stderr)


def asdict_safe(value: Any) -> Any:
    return asdict(value) if hasattr(value, "__dataclass_fields__") else value


if __name__ == "__main__":
    main()
