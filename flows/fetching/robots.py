"""robots.txt (RFC 9309): what a site's file says, and how long to believe it.

``flows.fetching.http`` asks for each origin's robots.txt once, through the same
polite, address-checked requests as every page, and keeps the answer here.
"""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

# RFC 9309: parse at least 500 KiB; a successful robots.txt may be cached up to 24 hours.
MAX_BYTES = 512_000
TTL = 24 * 3600.0
# Failures that say nothing about robots.txt, only that the host cannot be reached.
CONNECTION_KINDS = frozenset({"network", "tls", "refused_address", "bad_url"})
# An unreachable robots.txt means "disallow all" for now; ask again after this long.
UNREACHABLE_TTL = 600.0


@dataclass(frozen=True)
class RobotsRules:
    """What one origin's robots.txt says: parsed rules, allow-all, or unreachable (why)."""

    parser: Protego | None
    unreachable: str | None
    expires: float


# Process-wide, keyed by origin: the daily run's listing and article fetches, and
# back-to-back runs in one process, share what they learned.
CACHE: dict[str, RobotsRules] = {}


def clear_robots_cache() -> None:
    """Forget every cached robots.txt (tests; a long-running process after a config change)."""
    CACHE.clear()


def token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: ``newswatch`` of ``newswatch/0.1 (+url)``."""
    return user_agent.strip().split("/", 1)[0].split(" ", 1)[0] or "*"


def after_failure(kind: str, status: int | None, message: str, now: float) -> RobotsRules:
    """What a failed request for robots.txt means (``now``: ``time.monotonic()``).

    4xx (but 429) and a file over the size cap mean "no rules": allow all. 5xx, 429,
    timeouts and other failures mean the site cannot tell us, which RFC 9309 reads as
    disallow-all for a while. A host that cannot be reached at all is not cached: the
    page request fails with its own, clearer error (and is retried if transient).
    """
    code = status or 0
    if kind == "too_large" or (400 <= code < 500 and code != 429):
        return RobotsRules(None, None, now + TTL)
    if kind in CONNECTION_KINDS:
        return RobotsRules(None, None, now)
    return RobotsRules(None, " ".join(message.split()), now + UNREACHABLE_TTL)


def from_body(content: bytes, now: float) -> RobotsRules:
    """The rules of a robots.txt that was fetched (``now``: ``time.monotonic()``)."""
    return RobotsRules(Protego.parse(content.decode("utf-8", errors="replace")), None, now + TTL)
