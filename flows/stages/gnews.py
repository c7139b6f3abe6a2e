"""Aggregator links to publisher URLs: Google News links decoded, Bing links unwrapped.

Runs between listing and skipping what is stored, so that an item a news-search
feed lists is looked up, fetched and stored under the publisher's URL, and a
story reached through Google News and through the publisher's own feed is one
article.

Google News links are decoded once: what a link decodes to is stored
(``storage.gnews``) with the batch, and later runs read it instead of asking
Google. Decoding is two requests through newswatch's own fetcher (timeouts, size
caps, robots.txt, retries with backoff and ``Retry-After``, address checks), spaced
``google_news.request_interval`` apart: the article page of each link for its
signature, then one POST per ``google_news.batch_size`` links. A link Google does
not decode (consent page, refusal, rate limit, changed answer) becomes a feed-only
candidate: the item is stored from its feed entry and tried again on the next
daily runs, up to ``google_news.max_attempts`` times.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from extractors import gnews
from extractors.feeds import FeedEntry, ParsedFeed
from extractors.urls import unwrap_aggregator_link
from flows.config import Config, FeedSource, GoogleNewsConfig
from flows.fetching.http import FetchedPage, FetchFailure, FetchSettings, Request, send_all
from flows.stages.listing import entry_from_hint
from flows.stages.settings import fetch_settings
from flows.stages.types import Candidate, Listing, Window
from storage.database import Store
from storage.gnews import DECODED, FAILED, PENDING, GoogleLink, links_to_retry, stored_links

logger = logging.getLogger(__name__)

_FORM_TYPE = "application/x-www-form-urlencoded;charset=UTF-8"


def resolve_links(
    db: Store,
    config: Config,
    listings: Sequence[Listing],
    window: Window,
    now: datetime,
    refresh: bool = False,
) -> list[Listing]:
    """Point every aggregator candidate at its publisher's URL (``Candidate.via`` keeps the link).

    Bing (and other redirect-wrapper) links are unwrapped; Google News links are looked up
    in the database and decoded when new. A daily run also retries the links of these
    sources that are still feed-only records, even when the feed no longer lists them.

    Args:
        db: the database (decoded links are read from it; nothing is written here).
        config: the loaded config (``google_news`` section, fetch limits).
        listings: the sources' listings; changed in place and returned.
        window: the run's window (retries of stored links happen in daily runs only).
        now: the run's clock.
        refresh: decode again the links that gave up (``failed``).
    """
    settings = config.google_news
    found: list[tuple[Listing, int, str]] = []
    for listing in listings:
        if listing.error or listing.skipped:
            continue
        for index, candidate in enumerate(listing.candidates):
            gnews_id = gnews.article_id(candidate.url, settings.base_url)
            if gnews_id is not None:
                found.append((listing, index, gnews_id))
                continue
            target = unwrap_aggregator_link(candidate.url)
            if target is not None:
                listing.candidates[index] = dataclasses.replace(
                    candidate, url=target, via=candidate.url
                )
    if not window.is_backfill:
        _add_retries(db, listings, found)
    if not found:
        return list(listings)
    stored = stored_links(db, {gnews_id for _, _, gnews_id in found})
    states: dict[str, GoogleLink] = {}
    locale: dict[str, str] = {}
    for listing, index, gnews_id in found:
        candidate = listing.candidates[index]
        if gnews_id not in states:
            states[gnews_id] = stored.get(gnews_id) or GoogleLink(
                gnews_id=gnews_id,
                link=candidate.url,
                source_name=listing.source.name,
                entry=_entry_data(candidate.entry),
                first_seen_at=now,
            )
            locale[gnews_id] = getattr(listing.source, "url", "")
    wanted = [
        gnews_id
        for gnews_id, state in states.items()
        if state.status == PENDING or (state.status == FAILED and refresh)
    ]
    if wanted and settings.decode:
        states.update(_decode(wanted, states, locale, config, now))
    tried = set(wanted) if settings.decode else set()
    for listing, index, gnews_id in found:
        candidate = listing.candidates[index]
        state = states[gnews_id]
        listing.google_links[candidate.url] = state
        if gnews_id in tried:
            tried.discard(gnews_id)  # counted once, for the first source listing it
            if state.status == DECODED:
                listing.links_decoded += 1
            else:
                listing.links_undecoded += 1
        if state.status == DECODED and state.publisher_url:
            listing.candidates[index] = dataclasses.replace(
                candidate, url=state.publisher_url, via=candidate.url
            )
        else:
            listing.candidates[index] = dataclasses.replace(
                candidate,
                via=candidate.url,
                unresolved=state.last_error
                or (
                    "Google News link not decoded"
                    if settings.decode
                    else "Google News link not decoded (google_news.decode is false)"
                ),
            )
            if gnews_id in wanted and settings.decode and state.last_error:
                listing.decode_problem = listing.decode_problem or state.last_error
    return list(listings)


def _add_retries(
    db: Store,
    listings: Sequence[Listing],
    found: list[tuple[Listing, int, str]],
) -> None:
    """Add the stored links still waiting for their article to their sources' listings."""
    by_name = {
        listing.source.name: listing
        for listing in listings
        if isinstance(listing.source, FeedSource) and not listing.error and not listing.skipped
    }
    listed = {gnews_id for _, _, gnews_id in found}
    for link in links_to_retry(db, sorted(by_name)):
        if link.gnews_id in listed or link.entry is None:
            continue
        listing = by_name[link.source_name]
        if listing.feed is None:
            # An unchanged feed was not parsed; the retried entries need a feed to belong to.
            listing.feed = ParsedFeed(title="", link=getattr(listing.source, "url", ""), version="")
        listing.candidates.append(Candidate(link.link, entry_from_hint(link.entry)))
        found.append((listing, len(listing.candidates) - 1, link.gnews_id))
        listed.add(link.gnews_id)


def _decode(
    wanted: list[str],
    states: dict[str, GoogleLink],
    locale: dict[str, str],
    config: Config,
    now: datetime,
) -> dict[str, GoogleLink]:
    """Decode links in batches; after a batch that decodes nothing, the rest wait for the next run.

    Returns:
        The new state of every link in ``wanted``.
    """
    settings = config.google_news
    fetching = _google_fetch_settings(fetch_settings(config), settings)
    results: dict[str, GoogleLink] = {}
    pacer = _Pacer(settings.request_interval)
    stopped: str | None = None
    for start in range(0, len(wanted), settings.batch_size):
        batch = wanted[start : start + settings.batch_size]
        if stopped is not None:
            for gnews_id in batch:
                results[gnews_id] = dataclasses.replace(
                    states[gnews_id], last_error=f"not tried in this run: {stopped}"
                )
            continue
        decoded, errors = _decode_batch(batch, locale, settings, fetching, pacer)
        for gnews_id in batch:
            state = states[gnews_id]
            attempts = state.attempts + 1
            if gnews_id in decoded:
                results[gnews_id] = dataclasses.replace(
                    state,
                    status=DECODED,
                    publisher_url=decoded[gnews_id],
                    attempts=attempts,
                    last_error=None,
                    last_attempt_at=now,
                    decoded_at=now,
                )
            else:
                results[gnews_id] = dataclasses.replace(
                    state,
                    status=FAILED if attempts >= settings.max_attempts else PENDING,
                    attempts=attempts,
                    last_error=errors.get(gnews_id, "Google News did not decode the link"),
                    last_attempt_at=now,
                )
        if not decoded:
            stopped = next(iter(errors.values()), "Google News decoded nothing")
            logger.warning("Google News decoding failed for a whole batch: %s", stopped)
    return results


def _decode_batch(
    batch: list[str],
    locale: dict[str, str],
    settings: GoogleNewsConfig,
    fetching: FetchSettings,
    pacer: _Pacer,
) -> tuple[dict[str, str], dict[str, str]]:
    """One batch: every link's article page, then one batchexecute POST.

    Returns:
        ``({id: publisher URL}, {id: why not})``.
    """
    errors: dict[str, str] = {}
    pages = [
        gnews.article_page_url(gnews_id, settings.base_url, locale[gnews_id]) for gnews_id in batch
    ]
    pacer.wait()
    responses = send_all([Request(url) for url in pages], fetching)
    pacer.done()
    google_host = urlsplit(settings.base_url).hostname
    signed: list[tuple[str, gnews.Signature]] = []
    for gnews_id, response in zip(batch, responses, strict=True):
        if isinstance(response, FetchFailure):
            errors[gnews_id] = f"Google News article page: {response.message}"
            continue
        final_host = urlsplit(response.final_url).hostname
        if final_host != google_host:
            # consent.google.com (Europe) or a "sorry" page: never the signature.
            errors[gnews_id] = (
                f"Google News sent the article page to {final_host} "
                f"({_short(response.final_url)}), a consent or refusal page"
            )
            continue
        signature = gnews.parse_signature(_text(response))
        if signature is None:
            errors[gnews_id] = (
                "Google News article page has no signature (data-n-a-sg/data-n-a-ts): "
                "the page changed shape"
            )
            continue
        signed.append((gnews_id, signature))
    if not signed:
        return {}, errors
    pacer.wait()
    (answer,) = send_all(
        [
            Request(
                gnews.batchexecute_url(settings.base_url),
                method="POST",
                body=gnews.batchexecute_body(signed),
                headers={"Content-Type": _FORM_TYPE},
            )
        ],
        fetching,
    )
    pacer.done()
    ids = [gnews_id for gnews_id, _ in signed]
    if isinstance(answer, FetchFailure):
        errors.update({gnews_id: f"Google News batchexecute: {answer.message}" for gnews_id in ids})
        return {}, errors
    try:
        decoded = gnews.parse_batchexecute(_text(answer), ids)
    except gnews.DecodeError as error:
        errors.update({gnews_id: f"Google News batchexecute: {error}" for gnews_id in ids})
        return {}, errors
    for gnews_id in ids:
        if gnews_id not in decoded:
            errors[gnews_id] = "Google News batchexecute answered without this link's URL"
    return decoded, errors


class _Pacer:
    """Keeps ``interval`` seconds between the end of one call to Google and the next start.

    Inside one call the fetcher spaces request starts (``per_host_delay``); this covers
    the gap between the page fetches and the POST, and between batches.
    """

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._last: float | None = None

    def wait(self) -> None:
        if self._last is not None:
            remaining = self._last + self._interval - time.monotonic()
            if remaining > 0:
                time.sleep(remaining)

    def done(self) -> None:
        self._last = time.monotonic()


def _google_fetch_settings(base: FetchSettings, settings: GoogleNewsConfig) -> FetchSettings:
    """The fetcher's settings for Google: one request at a time, ``request_interval`` apart."""
    return dataclasses.replace(
        base,
        per_host_concurrency=1,
        per_host_delay=max(base.per_host_delay, settings.request_interval),
    )


def _text(response: FetchedPage) -> str:
    return response.content.decode(response.charset or "utf-8", errors="replace")


def _short(url: str, limit: int = 80) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"


def _entry_data(entry: FeedEntry | None) -> dict[str, object] | None:
    if entry is None:
        return None
    data = dataclasses.asdict(entry)
    if entry.published_at is not None:
        data["published_at"] = entry.published_at.isoformat()
    return data
