"""Content fingerprints: the exact-copy hash and the near-copy MinHash signatures.

Near-copies (the same text reached through other URLs and sites, with another
wrapper, light edits, a rewritten lede, or cut to 60-70 % of its length) are
found in two steps:

1. **Candidates** from MinHash LSH with a deliberately low threshold. Each body
   becomes the set of its word 5-shingles (hashed to 64 bits); a signature of
   ``NUM_PERM`` minimums under multiply-shift hash functions estimates the
   Jaccard similarity of two sets; the signature is cut into ``BANDS`` bands of
   ``ROWS`` values, and two articles sharing one band key are candidates. With
   3 rows per band and 42 bands a pair with Jaccard 0.45 becomes a candidate
   with probability 0.98, one with Jaccard 0.1 with probability 0.04.
2. **An exact check** of every candidate on the shingle sets themselves: a
   near-copy has Jaccard >= ``JACCARD_THRESHOLD`` *or* has the smaller set
   contained to >= ``CONTAINMENT_THRESHOLD`` in the larger one (containment is
   what catches a copy cut to 60 %, whose Jaccard is at most 0.6) provided the
   smaller is at least ``MIN_SIZE_RATIO`` of the larger (so that one quoted
   paragraph does not make an article a "copy" of the piece quoting it).

Bodies too short to identify an article (under ``MIN_WORDS_FOR_HASH`` words,
metadata-only records) get no signature; they fall back to ``fallback_key``:
normalised title + provider + publication day, and a blank title never
matches, so empty bodies are never clustered together.

Everything here is pure and deterministic across processes (no ``hash()``,
whose seed changes per process): signatures computed today and stored match
signatures computed in a later run.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

# Bodies shorter than this are too generic to identify an article by
# ("Read the full story on our site."): they get no hash and never cluster.
MIN_WORDS_FOR_HASH = 25
SHINGLE_WORDS = 5
BANDS = 42
ROWS = 3
NUM_PERM = BANDS * ROWS
JACCARD_THRESHOLD = 0.35
CONTAINMENT_THRESHOLD = 0.55
MIN_SIZE_RATIO = 0.3
# A fallback title must say something: "Live updates" from one site on one day is not one article.
MIN_TITLE_WORDS_FOR_FALLBACK = 4

_WORD = re.compile(r"\w+", re.UNICODE)
_SEED = 0x6E657773_77617463  # "newswatc": fixed so signatures are stable across releases
_EMPTY = np.uint64(1 << 32)
_SLICE = 1 << 20
_ROTATION = 0x9E3779B1  # odd, large: borrowed values do not collide with the lender's own
_TOKEN_CACHE_LIMIT = 2_000_000
_token_cache: dict[str, int] = {}

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Resemblance:
    """How much two shingle sets overlap."""

    jaccard: float
    containment: float
    size_ratio: float

    @property
    def is_near_copy(self) -> bool:
        """Whether the overlap makes the two texts one article (see the module doc)."""
        return self.jaccard >= JACCARD_THRESHOLD or (
            self.containment >= CONTAINMENT_THRESHOLD and self.size_ratio >= MIN_SIZE_RATIO
        )


def content_tokens(text: str) -> list[str]:
    """Lower-cased words with accents and punctuation folded away."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(folded)


def content_hash(body: str) -> str | None:
    """Hash of the body's words, blind to case, spacing and punctuation.

    Returns None for bodies under ``MIN_WORDS_FOR_HASH`` words.
    """
    tokens = content_tokens(body)
    if len(tokens) < MIN_WORDS_FOR_HASH:
        return None
    return hashlib.sha256(" ".join(tokens).encode("utf-8")).hexdigest()[:32]


def shingles(body: str) -> U64:
    """The body's word ``SHINGLE_WORDS``-shingles as sorted unique 64-bit hashes.

    Empty for bodies under ``MIN_WORDS_FOR_HASH`` words: they are not
    fingerprinted at all.
    """
    tokens = content_tokens(body)
    if len(tokens) < MIN_WORDS_FOR_HASH:
        return np.empty(0, dtype=np.uint64)
    # dict.get through map() runs in C; only unseen tokens pay for blake2b.
    values = list(map(_token_cache.get, tokens))
    if None in values:
        values = [_token_hash(token) for token in tokens]
    hashes = np.array(values, dtype=np.uint64)
    count = len(tokens) - SHINGLE_WORDS + 1
    combined = hashes[:count].copy()
    prime = np.uint64(0x100000001B3)
    for offset in range(1, SHINGLE_WORDS):
        combined = combined * prime + hashes[offset : offset + count]
    return np.unique(_mix(combined))


def signatures(shingle_sets: Sequence[U64]) -> U32:
    """MinHash signatures, one row of ``NUM_PERM`` uint32 per non-empty shingle set.

    One-permutation hashing with rotation densification (Shrivastava & Li,
    2014): each shingle's hash picks one of ``NUM_PERM`` bins by its high bits
    and competes for that bin's minimum with its low bits; an empty bin
    borrows the next non-empty bin's value. Two sets agree on a bin with
    probability ~ their Jaccard similarity, as with ``NUM_PERM`` independent
    hash functions, but each shingle is hashed once instead of ``NUM_PERM``
    times, and the work is vectorised over many documents at once.

    Args:
        shingle_sets: outputs of :func:`shingles`; every one must be non-empty.

    Returns:
        A ``(len(shingle_sets), NUM_PERM)`` uint32 array.
    """
    count = len(shingle_sets)
    result = np.empty((count, NUM_PERM), dtype=np.uint32)
    start = 0
    while start < count:
        # Slices of ~1M shingles keep the temporaries near 50 MB whatever the batch size.
        stop, size = start, 0
        while stop < count and (stop == start or size + len(shingle_sets[stop]) <= _SLICE):
            size += len(shingle_sets[stop])
            stop += 1
        result[start:stop] = _one_permutation(shingle_sets[start:stop])
        start = stop
    return result


def _one_permutation(shingle_sets: Sequence[U64]) -> U32:
    count = len(shingle_sets)
    lengths = np.fromiter((len(item) for item in shingle_sets), dtype=np.int64, count=count)
    if count and (lengths == 0).any():
        raise ValueError("signatures() needs non-empty shingle sets")
    if not count:
        return np.empty((0, NUM_PERM), dtype=np.uint32)
    values = np.concatenate(shingle_sets)
    bins = ((values >> np.uint64(32)) * np.uint64(NUM_PERM)) >> np.uint64(32)
    slots = np.repeat(np.arange(count, dtype=np.uint64) * np.uint64(NUM_PERM), lengths) + bins
    flat = np.full(count * NUM_PERM, _EMPTY, dtype=np.uint64)
    np.minimum.at(flat, slots.astype(np.intp), values & np.uint64(0xFFFFFFFF))
    table = flat.reshape(count, NUM_PERM)
    empty = table == _EMPTY
    if empty.any():
        # Rotation: the next non-empty bin to the right (circularly), plus a per-step offset.
        positions = np.arange(2 * NUM_PERM, dtype=np.int64)
        doubled = np.where(np.concatenate((empty, empty), axis=1), 2 * NUM_PERM, positions)
        following = np.minimum.accumulate(doubled[:, ::-1], axis=1)[:, ::-1][:, :NUM_PERM]
        distance = (following - positions[:NUM_PERM]).astype(np.uint64)
        borrowed = np.take_along_axis(table, following % NUM_PERM, axis=1)
        table = np.where(empty, borrowed + distance * np.uint64(_ROTATION), table)
    return (table & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def band_keys(signature_rows: U32) -> I64:
    """LSH band keys: one signed 64-bit key per band, ``(n, BANDS)``.

    The band's index is mixed into its key, so one flat column of keys serves
    every band and equal keys mean equal values in the same band.
    """
    rows = signature_rows.astype(np.uint64).reshape(len(signature_rows), BANDS, ROWS)
    keys = np.broadcast_to(
        np.arange(BANDS, dtype=np.uint64)[None, :] + np.uint64(_SEED), rows.shape[:2]
    ).copy()
    prime = np.uint64(0x9E3779B97F4A7C15)
    for row in range(ROWS):
        keys = _mix(keys * prime + rows[:, :, row])
    return keys.view(np.int64)


def resemblance(first: U64, second: U64) -> Resemblance:
    """Jaccard, containment of the smaller in the larger, and the size ratio of two shingle sets."""
    if not len(first) or not len(second):
        return Resemblance(0.0, 0.0, 0.0)
    common = len(np.intersect1d(first, second, assume_unique=True))
    smaller, larger = sorted((len(first), len(second)))
    return Resemblance(
        jaccard=common / (len(first) + len(second) - common),
        containment=common / smaller,
        size_ratio=smaller / larger,
    )


def fallback_key(
    title: str, provider_domain: str, provider_name: str, published_at: datetime | None
) -> str | None:
    """Identity of a record without enough text: normalised title + provider + publication day.

    Returns None when the title is too short to be specific, or the provider
    or the day is unknown: such records are never fallback-matched.
    """
    words = content_tokens(title)
    provider = (provider_domain or provider_name).casefold().removeprefix("www.")
    if len(words) < MIN_TITLE_WORDS_FOR_FALLBACK or not provider or published_at is None:
        return None
    return f"{' '.join(words)}|{provider}|{published_at.date().isoformat()}"


def credits(body: str) -> frozenset[str]:
    """Publishers a body names as its source ("Original Source: x.org", "Source: Reuters", "(AP) —").

    Only the head (a dateline) and the tail (a credit line) are read: that is
    where credits stand, and "a source said" mid-article is no credit.
    Casefolded names and domains; used to prefer the original publisher as the
    kept copy of a cluster of syndicated copies.
    """
    found = set()
    for part in {body[:_CREDIT_HEAD], body[-_CREDIT_TAIL:]}:
        for match in _CREDIT.finditer(part):
            name = match.group("name") or match.group("wire") or ""
            found.add(name.strip().casefold().removeprefix("www.").rstrip("."))
    return frozenset(name for name in found if name)


_CREDIT_HEAD = 200
_CREDIT_TAIL = 400
_CREDIT = re.compile(
    r"(?:(?:original(?:ly)?\s+(?:source|published\s+(?:by|on|in|at))|source|via|courtesy\s+of|"
    r"republished\s+(?:from|with\s+permission\s+(?:of|from)))\s*[:\-–]?\s*"
    r"(?P<name>[\w.\- ]{2,60}?)\s*(?:[.\n]\s|[.\n]?$|\)))"
    r"|^\s*[\w ,]{0,40}\((?P<wire>AP|AFP|Reuters|dpa|Xinhua|Bloomberg)\)",
    re.IGNORECASE | re.MULTILINE,
)


def _token_hash(token: str) -> int:
    cached = _token_cache.get(token)
    if cached is None:
        if len(_token_cache) >= _TOKEN_CACHE_LIMIT:
            _token_cache.clear()  # bounded memory on long backfills; hashes are recomputable
        cached = int.from_bytes(
            hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little"
        )
        _token_cache[token] = cached
    return cached


def _mix(values: U64) -> U64:
    # murmur3's 64-bit finaliser: spreads every input bit over the whole word.
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> np.uint64(33))


@dataclass(frozen=True)
class CopyCandidate:
    """What choosing a cluster's kept copy looks at, for one member."""

    id: str
    provider_name: str
    provider_domain: str
    published_at: datetime | None
    words: int
    credits: frozenset[str]


def kept_copy(members: Sequence[CopyCandidate]) -> str:
    """The id of the copy to keep out of one cluster of near-copies.

    Deterministic and independent of arrival order, so that daily runs and
    backfills in any order keep the same copy. In order of precedence:

    1. the original publisher: a member whose provider another member credits
       as its source ("Original Source: asianews.network", "(Reuters) —");
    2. the most complete body: at least 90 % of the longest member's words
       (a few words of difference are edits, not completeness);
    3. the earliest publication: by day, then a known time of day before a
       day-only date (midnight), then the time; unknown dates last;
    4. the smallest id, as a last tie-break.

    Args:
        members: the cluster, at least one member.
    """
    if not members:
        raise ValueError("kept_copy() needs at least one member")
    longest = max(member.words for member in members)

    def rank(member: CopyCandidate) -> tuple[bool, bool, tuple[int, int, bool, datetime], str]:
        names = {
            member.provider_domain.casefold().removeprefix("www."),
            member.provider_name.casefold(),
        } - {""}
        credited_by_others = any(
            names & other.credits for other in members if other.id != member.id
        )
        when = member.published_at
        if when is None:
            date_key = (1, 0, True, datetime.max)
        else:
            naive = when.replace(tzinfo=None) if when.tzinfo is None else to_naive_utc(when)
            day_only = naive.hour == naive.minute == naive.second == 0
            date_key = (0, naive.toordinal(), day_only, naive)
        complete = member.words >= 0.9 * longest
        return (not credited_by_others, not complete, date_key, member.id)

    return min(members, key=rank).id


def to_naive_utc(moment: datetime) -> datetime:
    """An aware datetime as naive UTC (naive ones are taken as UTC already)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
