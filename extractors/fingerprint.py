"""Content fingerprints: the exact-copy hash; near-copy signatures build on the same tokens."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Bodies shorter than this are too generic to identify an article by
# ("Read the full story on our site."): they get no hash and never cluster.
MIN_WORDS_FOR_HASH = 25
_WORD = re.compile(r"\w+", re.UNICODE)


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
