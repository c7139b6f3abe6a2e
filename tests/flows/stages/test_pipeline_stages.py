"""flows.pipeline stages without Prefect: folder listing, windows, failures stay per item."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from extractors.relevance import Watch
from flows.config import parse_config
from flows.stages.articles import extract_articles, fetch_documents
from flows.stages.listing import list_sources
from flows.stages.types import Document, ItemFailure, Window

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def test_folder_with_spaces_and_unsupported_files(tmp_path: Path) -> None:
    folder = tmp_path / "my inbox"
    (folder / "sub dir").mkdir(parents=True)
    (folder / "sub dir" / "a story.txt").write_text(
        "A headline\n\nA paragraph long enough to be an excerpt of a story.\n"
    )
    (folder / "picture.png").write_bytes(b"\x89PNG")
    (folder / ".hidden.txt").write_text("ignored")
    config = parse_config(
        f"sources:\n  - name: inbox\n    kind: folder\n    path: '{folder}'\n", "test.yaml"
    )
    listings = list_sources(config, Window())
    assert [candidate.url for candidate in listings[0].candidates] == [
        (folder / "sub dir" / "a story.txt").as_uri()
    ]
    documents = fetch_documents(config, listings)
    (document,) = documents.values()
    assert isinstance(document, Document) and document.content.startswith(b"A headline")
    (batch,) = extract_articles(listings, documents, Watch(), Window(), NOW)
    assert [article.record.title for article in batch.articles] == ["A headline"]


def test_unreadable_file_is_an_item_failure(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    target = folder / "gone.txt"
    target.write_text("x")
    config = parse_config(
        f"sources:\n  - name: inbox\n    kind: folder\n    path: '{folder}'\n", "test.yaml"
    )
    listings = list_sources(config, Window())
    target.unlink()
    documents = fetch_documents(config, listings)
    (failure,) = documents.values()
    assert isinstance(failure, ItemFailure) and "cannot read file" in failure.message
    (batch,) = extract_articles(listings, documents, Watch(), Window(), NOW)
    assert batch.articles == [] and len(batch.failures) == 1


def test_window_contains_is_half_open_and_excludes_unknown_dates_in_backfills() -> None:
    window = Window(
        since=datetime(2026, 11, 1, tzinfo=UTC), until=datetime(2026, 11, 2, tzinfo=UTC)
    )
    assert window.contains(datetime(2026, 11, 1, tzinfo=UTC))
    assert not window.contains(datetime(2026, 11, 2, tzinfo=UTC))
    assert not window.contains(None)
    assert Window().contains(None)
