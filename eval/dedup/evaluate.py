"""Near-copy evaluation: pair precision and recall of the stored clusters.

Base texts are the gold bodies of the extraction evaluation set
(``eval/html/*.gold.txt``, ``eval/text/*.gold.txt``; invented articles in
English, German, French and Spanish, all about AI governance) and the seed
documents 001-004. From each base this script generates, deterministically
(fixed seed), the kinds of copies syndication produces:

- ``wrapper``: the same text inside another site's boilerplate (head and tail
  lines from that site's pool), paragraphs re-flowed;
- ``edits``: a few % of the words substituted, dropped or inserted;
- ``lede``: the first paragraph rewritten in other words;
- ``cut``: cut to 60-70 % of its length (at a paragraph end when possible);
- ``combo``: cut to ~65 %, 2 % word edits and another wrapper.

Decoys: "round-up" articles quoting the first and last paragraph of three
different articles each are articles of their own, copies of none.

Every variant is a separate article (own URL, site, provider, publication
time within two days of the base; some copies are published before the
original). All articles of all bases are stored through the real
``storage.articles.save_batch`` in several batches in shuffled order, and the
clusters are read back from ``duplicate_of``. A pair of articles is positive
when both come from the same base; every other pair is negative (they share a
topic, often a site wrapper, and seeds 002/003 even share a story).

Run: ``make eval-dedup`` (or ``python eval/dedup/evaluate.py``).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from extractors.article import Article, build_article, extract_document  # noqa: E402
from extractors.record import Provider, Record  # noqa: E402
from extractors.relevance import Watch  # noqa: E402
from storage.articles import ArticleBatch, save_batch  # noqa: E402
from storage.database import Database  # noqa: E402

SEED = 20261122
MIN_BASE_WORDS = 60
VARIANTS = ("wrapper", "edits", "lede", "cut", "combo")
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)

SITES = {
    "dailyledger.example": (
        ["Advertisement", "Share this article", "5 min read"],
        ["Sign up for our morning newsletter", "© 2026 The Daily Ledger. All rights reserved."],
    ),
    "regionalcourier.example": (
        ["Home > World > Technology", "Listen to this article"],
        ["Most read", "Loading Most Read articles...", "Subscribe to the Courier for $1"],
    ),
    "techpolicywire.example": (
        ["Updated 2 hours ago", "Read more: Our coverage of AI rules"],
        ["Tags: AI, policy, regulation", "What's Your Reaction?", "Like Love Haha Wow Sad Angry"],
    ),
    "newsaggregator.example": (
        ["This story was syndicated from a partner site", "Jump to comments"],
        ["Related News", "Comments are closed.", "Follow us on X and LinkedIn"],
    ),
    "eurodigest.example": (
        ["Anzeige", "Lesezeit: 4 Minuten"],
        ["Mehr zum Thema", "Newsletter abonnieren", "Partager cet article"],
    ),
    "globalbrief.example": (
        ["Cookies help us deliver our services", "Print this page"],
        ["About the author: staff writer covering technology", "Copyright Global Brief"],
    ),
}
FILLER = [
    "officials",
    "observers",
    "analysts",
    "said",
    "noted",
    "week",
    "plan",
    "new",
    "rules",
    "companies",
    "governments",
    "experts",
    "meeting",
    "framework",
    "agreement",
    "talks",
    "digital",
    "technology",
    "sector",
    "report",
    "statement",
]


@dataclass(frozen=True)
class Base:
    """One base article: its name, title, paragraphs and publication time."""

    name: str
    title: str
    paragraphs: list[str]
    published: datetime


def load_bases() -> list[Base]:
    """The base articles: eval gold bodies and seed documents with enough words."""
    bases: list[Base] = []
    for gold in sorted([*REPO.glob("eval/html/*.gold.txt"), *REPO.glob("eval/text/*.gold.txt")]):
        text = gold.read_text(encoding="utf-8")
        if len(text.split()) < MIN_BASE_WORDS:
            continue
        meta_path = gold.with_name(gold.name.replace(".gold.txt", ".meta.json"))
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        published = meta.get("published")
        when = (
            datetime.fromisoformat(published.replace("Z", "+00:00"))
            if isinstance(published, str)
            else datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=len(bases) * 3)
        )
        paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
        bases.append(
            Base(
                gold.stem.removesuffix(".gold"),
                meta.get("title") or paragraphs[0][:80],
                paragraphs,
                when,
            )
        )
    for path in sorted((REPO / "seeds" / "documents").iterdir()):
        record, _ = extract_document(path.read_bytes(), url=path.resolve().as_uri(), fetched_at=NOW)
        if len(record.body.split()) < MIN_BASE_WORDS:
            continue
        paragraphs = [p.strip() for p in record.body.split("\n\n") if p.strip()]
        when = record.published_at or datetime(2025, 7, 26, 12, tzinfo=UTC)
        bases.append(Base(path.stem, record.title or paragraphs[0][:80], paragraphs, when))
    return bases


def make_variant(base: Base, kind: str, rng: random.Random) -> list[str]:
    """The paragraphs of one variant of ``base``."""
    paragraphs = list(base.paragraphs)
    if kind in ("edits", "combo"):
        paragraphs = _edit_words(paragraphs, 0.03 if kind == "edits" else 0.02, rng)
    if kind == "lede":
        paragraphs[0] = _rewrite(paragraphs[0], rng)
    if kind in ("cut", "combo"):
        paragraphs = _cut(paragraphs, rng.uniform(0.6, 0.7) if kind == "cut" else 0.65)
    return paragraphs


def build_corpus(rng: random.Random) -> list[tuple[str, Article]]:
    """Every base and its variants as articles, labelled with the base's name."""
    corpus: list[tuple[str, Article]] = []
    sites = sorted(SITES)
    for index, base in enumerate(load_bases()):
        home = sites[index % len(sites)]
        corpus.append(
            (base.name, _article(base, base.paragraphs, home, "original", base.published, rng))
        )
        for kind in VARIANTS:
            site = rng.choice([site for site in sites if site != home])
            when = base.published + timedelta(hours=rng.uniform(-6, 48))
            paragraphs = make_variant(base, kind, rng)
            corpus.append((base.name, _article(base, paragraphs, site, kind, when, rng)))
    # Decoys: round-ups quoting one paragraph from each of three articles are articles of their own.
    bases = load_bases()
    for index in range(0, len(bases) - 2, 3):
        group = bases[index : index + 3]
        roundup = Base(
            f"roundup-{index}",
            "This week in AI policy",
            [b.paragraphs[0] for b in group] + [b.paragraphs[-1] for b in group],
            group[0].published,
        )
        corpus.append(
            (
                roundup.name,
                _article(
                    roundup,
                    roundup.paragraphs,
                    rng.choice(sites),
                    "roundup",
                    roundup.published,
                    rng,
                ),
            )
        )
    return corpus


def store(
    corpus: list[tuple[str, Article]], db: Database, rng: random.Random, batches: int = 5
) -> None:
    """Store the corpus in ``batches`` batches, in shuffled order."""
    order = list(corpus)
    rng.shuffle(order)
    size = -(-len(order) // batches)
    for number in range(batches):
        chunk = [article for _, article in order[number * size : (number + 1) * size]]
        save_batch(db, ArticleBatch(run_id=f"eval-{number}", seen_at=NOW, articles=chunk))


def clusters(db: Database) -> dict[str, str]:
    """Each article's cluster: the id of its kept copy."""
    with db.connect(read_only=True) as connection:
        rows = connection.execute("SELECT id, coalesce(duplicate_of, id) FROM articles").fetchall()
    return dict(rows)


def score(corpus: list[tuple[str, Article]], cluster_of: dict[str, str]) -> dict[str, object]:
    """Pair precision and recall, with recall per variant kind."""
    labels = {article.id: label for label, article in corpus}
    kinds = {article.id: article.record.extra["variant"] for _, article in corpus}
    true_positive = false_positive = false_negative = 0
    missed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for first, second in combinations(sorted(labels), 2):
        same = labels[first] == labels[second]
        predicted = cluster_of[first] == cluster_of[second]
        if same:
            kind = "/".join(sorted((kinds[first], kinds[second])))
            total[kind] += 1
            if predicted:
                true_positive += 1
            else:
                false_negative += 1
                missed[kind] += 1
        elif predicted:
            false_positive += 1
    precision = (
        true_positive / (true_positive + false_positive) if true_positive + false_positive else 1.0
    )
    recall = (
        true_positive / (true_positive + false_negative) if true_positive + false_negative else 1.0
    )
    return {
        "articles": len(labels),
        "bases": len(set(labels.values())),
        "positive_pairs": true_positive + false_negative,
        "negative_pairs": len(labels) * (len(labels) - 1) // 2 - true_positive - false_negative,
        "true_positive": true_positive,
        "false_positive": false_positive,
        "false_negative": false_negative,
        "precision": precision,
        "recall": recall,
        "missed_by_kind": {
            kind: f"{missed[kind]}/{total[kind]}" for kind in sorted(total) if missed[kind]
        },
    }


def evaluate(seed: int = SEED) -> dict[str, object]:
    """Generate, store and score; a fresh temporary database."""
    rng = random.Random(seed)
    corpus = build_corpus(rng)
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "eval.duckdb")
        store(corpus, db, rng)
        result = score(corpus, clusters(db))
    result["direct_pairs_by_estimated_jaccard"] = _estimated_jaccard_recall(corpus)
    return result


def _estimated_jaccard_recall(corpus: list[tuple[str, Article]]) -> dict[str, float]:
    """Share of positive pairs whose MinHash-estimated Jaccard reaches 0.8 / 0.5.

    What a classic "MinHash LSH at 0.8, no exact check, no clustering" set-up
    would link directly, for comparison with the stored clusters above.
    """
    from extractors.fingerprint import shingles, signatures

    sets = [(label, shingles(article.record.body)) for label, article in corpus]
    matrix = signatures([values for _, values in sets])
    above = {0.8: 0, 0.5: 0}
    total = 0
    for (i, (label_a, _)), (j, (label_b, _)) in combinations(enumerate(sets), 2):
        if label_a != label_b:
            continue
        total += 1
        estimate = float((matrix[i] == matrix[j]).mean())
        for threshold in above:
            above[threshold] += estimate >= threshold
    return {f">= {threshold}": round(count / total, 4) for threshold, count in above.items()}


def main() -> None:
    """Print the scores (JSON) for a few seeds and their worst case."""
    results = [evaluate(SEED + offset) for offset in range(3)]
    for offset, result in enumerate(results):
        print(json.dumps({"seed": SEED + offset, **result}, ensure_ascii=False))
    worst_precision = min(float(str(r["precision"])) for r in results)
    worst_recall = min(float(str(r["recall"])) for r in results)
    print(f"pair precision (worst of 3 seeds): {worst_precision:.4f}")
    print(f"pair recall    (worst of 3 seeds): {worst_recall:.4f}")
    print(
        "for comparison, positive pairs with MinHash-estimated Jaccard >= 0.8 / >= 0.5 "
        f"(linked directly by a 0.8 / 0.5 LSH without exact check or clustering): "
        f"{results[0]['direct_pairs_by_estimated_jaccard']}"
    )


def _article(
    base: Base, paragraphs: list[str], site: str, kind: str, when: datetime, rng: random.Random
) -> Article:
    head, tail = SITES[site]
    lines = [
        *rng.sample(head, k=min(len(head), 2)),
        *paragraphs,
        *rng.sample(tail, k=min(len(tail), 2)),
    ]
    # The wrappers stay in the body on purpose: copies as an uncleaned scraper delivers them.
    slug = f"{base.name}-{kind}-{rng.randrange(10**6)}"
    url = f"https://{site}/news/{slug}"
    record = Record(
        title=base.title,
        body="\n\n".join(lines),
        web_url=url,
        original_url=url,
        published_at=when,
        provider=Provider(site.split(".")[0], site),
        extra={"variant": kind},
    )
    return build_article(record, source=site, fetched_at=NOW, watch=Watch(), input_kind="text")


def _edit_words(paragraphs: list[str], rate: float, rng: random.Random) -> list[str]:
    edited = []
    for paragraph in paragraphs:
        words = paragraph.split()
        out: list[str] = []
        for word in words:
            roll = rng.random()
            if roll < rate / 3:
                continue  # dropped
            if roll < 2 * rate / 3:
                out.append(rng.choice(FILLER))  # substituted
                continue
            out.append(word)
            if roll < rate:
                out.append(rng.choice(FILLER))  # inserted
        edited.append(" ".join(out))
    return edited


def _rewrite(paragraph: str, rng: random.Random) -> str:
    words = paragraph.split()
    kept = rng.sample(words, k=max(1, len(words) // 4))
    filler = [rng.choice(FILLER) for _ in range(len(words) - len(kept))]
    mixed = kept + filler
    rng.shuffle(mixed)
    return " ".join(mixed).capitalize() + "."


def _cut(paragraphs: list[str], share: float) -> list[str]:
    total = sum(len(p.split()) for p in paragraphs)
    target = int(total * share)
    kept: list[str] = []
    count = 0
    for paragraph in paragraphs:
        words = paragraph.split()
        if count + len(words) <= target:
            kept.append(paragraph)
            count += len(words)
            continue
        if target - count > 5:
            kept.append(" ".join(words[: target - count]))
        break
    return kept


if __name__ == "__main__":
    main()
