"""A local "web" of many hosts with a fixed latency per response, that counts requests in flight.

Each host is one port of 127.0.0.1 (the fetcher's per-host limit is per host:port), served by
a small asyncio HTTP/1.1 server (keep-alive, GET only) on a background thread's event loop.
The server records, per host, how many requests were in flight at once at most: the
politeness check is made from the server's side, not trusted from the client's.

Used by bench/bench_fetch.py and tests/flows/fetching/test_fetch_politeness.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# (path, request headers) -> (status, headers, body)
Handler = Callable[[str, dict[str, str]], tuple[int, dict[str, str], bytes]]


def not_found(path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """Every path is missing (robots.txt included: allow all)."""
    return 404, {"Content-Type": "text/plain"}, b"not found"


@dataclass
class HostStats:
    """What one host saw."""

    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    busy_seconds: float = 0.0  # sum of response times (request read -> response written)
    paths: list[str] = field(default_factory=list)


class LocalWeb:
    """``hosts`` HTTP servers on 127.0.0.1, each answering after ``latency`` seconds.

    Args:
        hosts: number of servers (ports).
        latency: seconds between reading a request and sending its response.
        handler: builds each response from the path and request headers.
    """

    def __init__(self, hosts: int, latency: float, handler: Handler = not_found) -> None:
        self.latency = latency
        self.handler = handler
        self.stats: list[HostStats] = [HostStats() for _ in range(hosts)]
        self.ports: list[int] = []
        self._global_in_flight = 0
        self.max_global_in_flight = 0
        self._loop = asyncio.new_event_loop()
        self._servers: list[asyncio.Server] = []
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def base(self, host: int) -> str:
        """The origin of host number ``host``."""
        return f"http://127.0.0.1:{self.ports[host]}"

    def __enter__(self) -> LocalWeb:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def reset(self) -> None:
        """Forget the counts (between benchmark phases)."""
        self.stats = [HostStats() for _ in self.stats]
        self.max_global_in_flight = 0

    @property
    def total_requests(self) -> int:
        return sum(stats.requests for stats in self.stats)

    @property
    def busy_seconds(self) -> float:
        return sum(stats.busy_seconds for stats in self.stats)

    @property
    def max_in_flight_per_host(self) -> int:
        return max((stats.max_in_flight for stats in self.stats), default=0)

    async def _start(self) -> None:
        for index in range(len(self.stats)):
            server = await asyncio.start_server(
                lambda r, w, i=index: self._serve(i, r, w), "127.0.0.1", 0, backlog=1024
            )
            self._servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])

    async def _stop(self) -> None:
        for server in self._servers:
            server.close()
            await server.wait_closed()

    async def _serve(
        self, host: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                started = time.monotonic()
                lines = head.decode("latin-1").split("\r\n")
                _method, path, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                stats = self.stats[host]
                stats.requests += 1
                stats.paths.append(path)
                stats.in_flight += 1
                stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
                self._global_in_flight += 1
                self.max_global_in_flight = max(self.max_global_in_flight, self._global_in_flight)
                try:
                    await asyncio.sleep(self.latency)
                    status, extra, body = self.handler(path, headers)
                    out = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
                    out += [f"{name}: {value}" for name, value in extra.items()]
                    writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
                    await writer.drain()
                finally:
                    stats.in_flight -= 1
                    self._global_in_flight -= 1
                    stats.busy_seconds += time.monotonic() - started
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()
