"""storage/dedup.py and extractors/fingerprint.py: near-copies, kept copies, order independence."""

from __future__ import annotations

import importlib.util
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import numpy as np

from extractors.article import Article, build_article
from extractors.fingerprint import (
    BANDS,
    NUM_PERM,
    CopyCandidate,
    band_keys,
    credits,
    fallback_key,
    kept_copy,
    resemblance,
    shingles,
    signatures,
)
from extractors.record import Provider, Record
from extractors.relevance import Watch
from storage.articles import ArticleBatch, save_batch
from storage.database import Database
from storage.dedup import DedupSettings
from tests.support.paths import REPO

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def load_eval(name: str) -> ModuleType:
    path = REPO / "eval" / name / "evaluate.py"
    spec = importlib.util.spec_from_file_location(f"eval_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def text(seed: int, words: int = 200) -> str:
    rng = random.Random(seed)
    vocabulary = [f"w{seed}x{index}" for index in range(400)] + [
        "the",
        "a",
        "of",
        "to",
        "in",
        "and",
    ]
    paragraphs = [" ".join(rng.choice(vocabulary) for _ in range(40)) for _ in range(words // 40)]
    return "\n\n".join(paragraphs)


def article(
    url: str,
    body: str,
    *,
    when: datetime | None = DAY,
    title: str = "Ministers agree on a new AI oversight board",
    provider: str = "",
) -> Article:
    domain = provider or url.split("/")[2]
    record = Record(
        title=title,
        body=body,
        web_url=url,
        original_url=url,
        published_at=when,
        provider=Provider(domain.split(".")[0], domain),
    )
    return build_article(record, source="test", fetched_at=NOW, watch=Watch(), input_kind="text")


def kept(db: Database) -> dict[str, str]:
    with db.connect(read_only=True) as connection:
        return dict(
            connection.execute("SELECT id, coalesce(duplicate_of, id) FROM articles").fetchall()
        )


def test_signatures_estimate_jaccard_and_band_keys_are_stable() -> None:
    base = text(1, 400)
    words = base.split()
    cut = " ".join(words[: len(words) * 7 // 10])
    first, second = shingles(base), shingles(cut)
    matrix = signatures([first, second])
    assert matrix.shape == (2, NUM_PERM) and matrix.dtype == np.uint32
    overlap = resemblance(first, second)
    assert abs(float((matrix[0] == matrix[1]).mean()) - overlap.jaccard) < 0.15
    assert overlap.containment == 1.0 and overlap.is_near_copy
    keys = band_keys(matrix)
    assert keys.shape == (2, BANDS)
    assert (band_keys(signatures([shingles(base)])) == keys[:1]).all()  # same in every call
    assert shingles("too short to fingerprint").size == 0


def test_unrelated_texts_are_not_near_copies() -> None:
    assert not resemblance(shingles(text(1)), shingles(text(2))).is_near_copy


def test_fallback_key_needs_a_specific_title_a_provider_and_a_day() -> None:
    assert fallback_key(
        "The Premature Quest for International AI Cooperation", "foreignaffairs.com", "", DAY
    )
    assert fallback_key("Live updates", "example.org", "", DAY) is None
    assert fallback_key("", "example.org", "", DAY) is None
    assert fallback_key("A long enough title here", "", "", DAY) is None
    assert fallback_key("A long enough title here", "example.org", "", None) is None


def test_credits_name_the_original_publisher() -> None:
    assert "asianews.network" in credits("Text.\n\nOriginal Source: asianews.network")
    assert "reuters" in credits("BRUSSELS (Reuters) - The EU said on Monday")
    assert credits("Nothing credited here.") == frozenset()


def test_kept_copy_prefers_credited_then_complete_then_earliest() -> None:
    def member(
        id_: str, domain: str, words: int, when: datetime | None, cred: frozenset[str] = frozenset()
    ) -> CopyCandidate:
        return CopyCandidate(id_, domain, domain, when, words, cred)

    early = datetime(2026, 1, 1, 8)
    late = datetime(2026, 1, 2, 8)
    syndicator = member("a", "paper.example", 500, early, frozenset({"wire.example"}))
    wire = member("b", "wire.example", 300, late)
    assert kept_copy([syndicator, wire]) == "b"
    full, cut = member("c", "x.example", 500, late), member("d", "y.example", 300, early)
    assert kept_copy([full, cut]) == "c"
    assert kept_copy([member("e", "x", 500, late), member("f", "y", 480, early)]) == "f"
    # A day-only date (midnight) does not beat a known time on the same day.
    precise = member("g", "x", 500, datetime(2026, 1, 1, 14, 10))
    assert kept_copy([member("h", "y", 500, datetime(2026, 1, 1)), precise]) == "g"
    assert kept_copy([member("i", "x", 500, None), member("j", "y", 500, late)]) == "j"


def test_eval_set_meets_the_pinned_floors() -> None:
    result = load_eval("dedup").evaluate()
    assert result["precision"] >= 0.99, result
    assert result["recall"] >= 0.98, result


def test_near_copy_variants_cluster_and_the_best_copy_is_kept(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    body = text(7, 400)
    paragraphs = body.split("\n\n")
    original = article("https://wire.example/story", body, when=DAY)
    wrapped = article(
        "https://paper.example/world/story",
        "Advertisement\n\n" + body + "\n\nSubscribe to our newsletter",
        when=DAY + timedelta(hours=3),
    )
    cut = article(
        "https://blog.example/s", "\n\n".join(paragraphs[:6]), when=DAY + timedelta(hours=1)
    )
    other = article("https://wire.example/other", text(8, 400), when=DAY)
    result = save_batch(
        db, ArticleBatch(run_id="r1", seen_at=NOW, articles=[cut, wrapped, original, other])
    )
    assert sorted(result.duplicate_ids) == sorted([cut.id, wrapped.id])
    clusters = kept(db)
    assert clusters[cut.id] == clusters[wrapped.id] == original.id
    assert clusters[other.id] == other.id


def test_a_better_copy_arriving_later_becomes_the_kept_copy(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    body = text(9, 400)
    copy = article("https://paper.example/a", body, when=DAY + timedelta(hours=5))
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=[copy]))
    assert kept(db) == {copy.id: copy.id}
    original = article("https://wire.example/a", body, when=DAY)
    result = save_batch(db, ArticleBatch(run_id="r2", seen_at=NOW, articles=[original]))
    assert result.duplicate_ids == []
    assert kept(db) == {copy.id: original.id, original.id: original.id}


def test_order_of_runs_does_not_change_the_clusters(tmp_path: Path) -> None:
    evaluation = load_eval("dedup")
    corpus = evaluation.build_corpus(random.Random(5))[:90]
    articles = [item for _, item in corpus]
    outcomes = []
    for attempt, order in enumerate(("daily", "reverse", "shuffled")):
        listed = list(articles)
        if order == "reverse":
            listed.reverse()
        elif order == "shuffled":
            random.Random(attempt).shuffle(listed)
        db = Database(tmp_path / f"{order}.duckdb")
        # Daily runs: one batch per publication day; backfills: large batches in any order.
        if order == "daily":
            listed.sort(key=lambda a: a.record.published_at or NOW)
            days: dict[object, list[Article]] = {}
            for item in listed:
                days.setdefault((item.record.published_at or NOW).date(), []).append(item)
            for number, day in enumerate(days.values()):
                save_batch(db, ArticleBatch(run_id=f"d{number}", seen_at=NOW, articles=day))
        else:
            for start in range(0, len(listed), 25):
                save_batch(
                    db,
                    ArticleBatch(
                        run_id=f"b{start}", seen_at=NOW, articles=listed[start : start + 25]
                    ),
                )
        outcomes.append(kept(db))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert len(set(outcomes[0].values())) < len(outcomes[0])  # there were copies to find


def test_rerun_is_idempotent_and_index_persists_across_opens(tmp_path: Path) -> None:
    path = tmp_path / "news.duckdb"
    body = text(11, 300)
    first = article("https://wire.example/b", body)
    save_batch(Database(path), ArticleBatch(run_id="r1", seen_at=NOW, articles=[first]))
    snapshot_tables = ("article_signatures", "article_bands", "near_copies")
    with Database(path).connect(read_only=True) as connection:
        before = {
            t: connection.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in snapshot_tables
        }
    save_batch(Database(path), ArticleBatch(run_id="r2", seen_at=NOW, articles=[first]))
    with Database(path).connect(read_only=True) as connection:
        after = {
            t: connection.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in snapshot_tables
        }
    assert before == after
    # A new process (a new Database object) finds the copy through the stored index.
    copy = article(
        "https://paper.example/b", body + "\n\nShare this article", when=DAY + timedelta(days=2)
    )
    result = save_batch(Database(path), ArticleBatch(run_id="r3", seen_at=NOW, articles=[copy]))
    assert result.duplicate_ids == [copy.id]


def test_copies_outside_the_window_are_not_linked(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    body = text(12, 300)
    old = article("https://wire.example/c", body, when=DAY)
    late = article("https://paper.example/c", body, when=DAY + timedelta(days=45))
    save_batch(
        db,
        ArticleBatch(run_id="r1", seen_at=NOW, articles=[old, late]),
        dedup=DedupSettings(window_days=30),
    )
    assert kept(db) == {old.id: old.id, late.id: late.id}
    wide = Database(tmp_path / "wide.duckdb")
    save_batch(
        wide,
        ArticleBatch(run_id="r1", seen_at=NOW, articles=[old, late]),
        dedup=DedupSettings(window_days=60),
    )
    assert kept(wide)[late.id] == old.id


def test_short_and_metadata_only_records_fall_back_to_title_provider_day(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    title = "The Premature Quest for International AI Cooperation"
    stub = article(
        "https://foreignaffairs.com/amp/quest", "", title=title, provider="foreignaffairs.com"
    )
    full = article(
        "https://foreignaffairs.com/quest",
        text(13, 300),
        title=title,
        provider="foreignaffairs.com",
    )
    elsewhere = article("https://other.example/quest", "", title=title)
    empties = [article(f"https://blank.example/{n}", "", title="") for n in range(3)]
    save_batch(
        db, ArticleBatch(run_id="r1", seen_at=NOW, articles=[stub, full, elsewhere, *empties])
    )
    clusters = kept(db)
    assert clusters[stub.id] == full.id  # same title, provider and day: the full text is kept
    assert clusters[elsewhere.id] == elsewhere.id  # another provider
    assert {clusters[e.id] for e in empties} == {e.id for e in empties}  # never clustered


def test_same_text_twice_in_one_batch_is_one_cluster(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    body = text(14, 300)
    one = article("https://a.example/x", body)
    two = article("https://b.example/x", body.upper())
    result = save_batch(db, ArticleBatch(run_id="r", seen_at=NOW, articles=[one, two, one]))
    assert len(result.new_ids) == 2 and len(result.duplicate_ids) == 1


def test_changed_text_leaves_its_old_cluster(tmp_path: Path) -> None:
    db = Database(tmp_path / "news.duckdb")
    body = text(15, 300)
    one = article("https://a.example/y", body, when=DAY)
    two = article("https://b.example/y", body, when=DAY + timedelta(hours=1))
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=[one, two]))
    assert kept(db)[two.id] == one.id
    rewritten = article("https://b.example/y", text(16, 300), when=DAY + timedelta(hours=1))
    save_batch(db, ArticleBatch(run_id="r2", seen_at=NOW, articles=[rewritten]))
    assert kept(db) == {one.id: one.id, two.id: two.id}


def test_articles_stored_before_the_index_existed_are_indexed_on_the_next_save(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "news.duckdb")
    body = text(17, 300)
    old = article("https://wire.example/old", body)
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=[old]))
    with db.transaction() as connection:  # as after migrating a file written by an older newswatch
        for table in ("article_signatures", "article_bands", "near_copies"):
            connection.execute(f"DELETE FROM {table}")
    copy = article("https://paper.example/old", body, when=DAY + timedelta(hours=2))
    result = save_batch(db, ArticleBatch(run_id="r2", seen_at=NOW, articles=[copy]))
    assert result.duplicate_ids == [copy.id]
    with db.connect(read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM article_signatures").fetchone() == (2,)
