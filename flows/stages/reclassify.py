"""Re-judge every stored article against the watch, from its stored text (``newswatch reclassify``).

``newswatch reprocess`` re-extracts raw pages, which are kept for a while
(``storage.raw_retention_days``) and exist only for fetched pages. A changed
watch needs less: the headline, excerpt and cleaned body the verdict is made
from are stored with every article, folder and feed-only records included.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractors.article import kept_topics
from extractors.record import Record
from extractors.relevance import Watch, classify
from storage.database import Store
from storage.relevance import StoredText, Verdict, save_verdicts, stored_texts

# Articles read, judged and written per transaction: memory stays flat on a large
# database, and an interrupted run keeps the pages it finished.
PAGE_SIZE = 1000


@dataclass(frozen=True)
class Reclassified:
    """What a re-classification changed.

    Attributes:
        examined: Stored articles judged again.
        changed: Articles whose verdict, reason or topics changed.
        now_on_topic: Of those, articles that were off-topic and are now on-topic.
        now_off_topic: Articles that were on-topic and are now off-topic.
    """

    examined: int = 0
    changed: int = 0
    now_on_topic: int = 0
    now_off_topic: int = 0


def reclassify(db: Store, watch: Watch, page_size: int = PAGE_SIZE) -> Reclassified:
    """Judge every stored article against ``watch`` and store the verdicts that changed.

    Only rows whose ``on_topic``, ``relevance_reason`` or ``topics`` differ are
    written, so running it again with the same watch writes nothing.
    """
    examined = changed = now_on = now_off = 0
    after = ""
    while page := stored_texts(db, after, page_size):
        verdicts = [v for v in (_verdict(stored, watch) for stored in page) if v is not None]
        before = {stored.id: stored.on_topic for stored in page}
        save_verdicts(db, verdicts)
        examined += len(page)
        changed += len(verdicts)
        now_on += sum(v.on_topic and not before[v.id] for v in verdicts)
        now_off += sum(before[v.id] and not v.on_topic for v in verdicts)
        after = page[-1].id
    return Reclassified(examined, changed, now_on, now_off)


def _verdict(stored: StoredText, watch: Watch) -> Verdict | None:
    """The new verdict, or ``None`` when it is what is stored."""
    record = Record(title=stored.title, excerpt=stored.excerpt, body=stored.body)
    judged = classify(record, watch)
    topics = kept_topics(stored.input_kind, stored.topics, judged.topics)
    if (judged.on_topic, judged.reason, topics) == (
        stored.on_topic,
        stored.relevance_reason,
        stored.topics,
    ):
        return None
    return Verdict(stored.id, judged.on_topic, judged.reason, topics)
