"""Story evaluation: pair precision and recall of ``story_id`` on a hand-written set.

``articles.yaml`` holds invented coverage of five events by three or four
outlets each, written in different words, and same-topic decoys about other
events published within a day or two (the same regulator, the same minister,
the same country's chip policy). Seeds 002 and 003 are added as two more
outlets of the Shanghai event, seeds 001 and 004 as two more China/AI events.

The articles are stored through ``storage.articles.save_batch`` (in shuffled
batches, so arrival order plays its part) and the ``story_id`` column is read
back. A pair is positive when both articles cover the same event. The script
also scores every pair with the story test alone, ignoring the time window,
to show how much the window is needed.

Run: ``make eval-dedup`` (or ``python eval/stories/evaluate.py``).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from extractors.article import Article, build_article, extract_document  # noqa: E402
from extractors.record import Provider, Record  # noqa: E402
from extractors.relevance import Watch  # noqa: E402
from extractors.stories import same_story, story_profile  # noqa: E402
from storage.articles import ArticleBatch, save_batch  # noqa: E402
from storage.database import Database  # noqa: E402

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
SEED_EVENTS = {
    "001": ("china-un-resolution", None),
    "002": ("shanghai-waic", datetime(2025, 7, 26, 18, 0, tzinfo=UTC)),
    "003": ("shanghai-waic", datetime(2025, 7, 26, 16, 45, tzinfo=UTC)),
    "004": ("paris-summit", None),
}


def load() -> list[tuple[str, Article]]:
    """The evaluation articles, each with its event label."""
    items: list[tuple[str, Article]] = []
    for entry in yaml.safe_load((HERE / "articles.yaml").read_text(encoding="utf-8")):
        url = f"https://{entry['domain']}/news/{entry['id']}"
        published = entry["published"]
        if isinstance(published, str):
            published = datetime.fromisoformat(published.replace("Z", "+00:00"))
        record = Record(
            title=entry["title"],
            body=entry["body"].strip(),
            web_url=url,
            original_url=url,
            published_at=published,
            provider=Provider(entry["provider"], entry["domain"]),
        )
        items.append((entry["event"], _article(record)))
    for path in sorted((REPO / "seeds" / "documents").iterdir()):
        prefix = path.name[:3]
        if prefix not in SEED_EVENTS:
            continue
        event, when = SEED_EVENTS[prefix]
        record, _ = extract_document(path.read_bytes(), url=path.resolve().as_uri(), fetched_at=NOW)
        if record.published_at is None and when is not None:
            record = record.with_changes(published_at=when)  # a feed would say when
        items.append((event, _article(record)))
    return items


def evaluate(seed: int = 1) -> dict[str, Any]:
    """Store in shuffled batches, read story ids back, score pairs."""
    items = load()
    rng = random.Random(seed)
    order = list(items)
    rng.shuffle(order)
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "stories.duckdb")
        for start in range(0, len(order), 5):
            save_batch(
                db,
                ArticleBatch(
                    run_id=f"r{start}",
                    seen_at=NOW,
                    articles=[a for _, a in order[start : start + 5]],
                ),
            )
        with db.connect(read_only=True) as connection:
            story = dict(connection.execute("SELECT id, story_id FROM articles").fetchall())
            heat = dict(connection.execute("SELECT id, heat FROM articles").fetchall())
    stored = _pairs(items, lambda a, b: story[a.id] == story[b.id])
    profiles = {
        a.id: story_profile(a.record.title, a.record.excerpt, a.record.body) for _, a in items
    }
    unwindowed = _pairs(items, lambda a, b: same_story(profiles[a.id], profiles[b.id]) is not None)
    events = {label for label, _ in items}
    return {
        "articles": len(items),
        "events": len(events),
        "stored": stored,
        "score_only_no_window": unwindowed,
        "heat": {
            label: max(heat[a.id] for lab, a in items if lab == label) for label in sorted(events)
        },
    }


def main() -> None:
    """Print the scores for three arrival orders."""
    for seed in (1, 2, 3):
        result = evaluate(seed)
        print(json.dumps({"seed": seed, **result}, ensure_ascii=False))
    print(
        f"stories: pair precision {result['stored']['precision']:.3f}, recall {result['stored']['recall']:.3f}"
    )


def _pairs(items: list[tuple[str, Article]], linked: Any) -> dict[str, Any]:
    tp = fp = fn = 0
    wrong: list[str] = []
    missed: list[str] = []
    for (label_a, a), (label_b, b) in combinations(items, 2):
        same = label_a == label_b
        predicted = bool(linked(a, b))
        if same and predicted:
            tp += 1
        elif same:
            fn += 1
            missed.append(f"{a.record.title[:40]} | {b.record.title[:40]}")
        elif predicted:
            fp += 1
            wrong.append(f"{a.record.title[:40]} | {b.record.title[:40]}")
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "true_positive": tp,
        "false_positive": fp,
        "false_negative": fn,
        "wrong": wrong,
        "missed": missed,
    }


def _article(record: Record) -> Article:
    return build_article(record, source="eval", fetched_at=NOW, watch=Watch(), input_kind="text")


if __name__ == "__main__":
    main()
