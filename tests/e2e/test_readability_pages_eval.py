"""``eval/readability_pages.py``: which test cases it reads, how it scores, what it prints.

The script reads a clone of mozilla/readability's ``test/test-pages``; here a folder of our own
stands in for it: one page of ours large enough to count as a saved web page, and one small
hand-made unit case that must be left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.paths import REPO, load_script

SCRIPT = REPO / "eval" / "readability_pages.py"
PARAGRAPHS = [
    f"The harbour board met on day {day} to decide how the ferry pier repairs would be paid "
    f"for, and the harbour master read out the {day} figures for the decking, the piles and "
    "the lighting before the members voted on the budget line by line."
    for day in range(1, 61)
]


readability_pages = load_script("newswatch_eval_readability_pages", SCRIPT)


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    article = "".join(f"<p>{paragraph}</p>" for paragraph in PARAGRAPHS)
    page = tmp_path / "harbour-news"
    page.mkdir()
    (page / "source.html").write_text(
        "<html><head><title>Harbour board pays for the pier</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>Harbour board pays for the pier</h1>{article}</article>"
        "<footer>© Harbour Daily</footer></body></html>",
        encoding="utf-8",
    )
    (page / "expected.html").write_text(f"<div>{article}</div>", encoding="utf-8")
    unit_case = tmp_path / "replace-brs"
    unit_case.mkdir()
    (unit_case / "source.html").write_text("<p>a<br>b</p>", encoding="utf-8")
    (unit_case / "expected.html").write_text("<p>a</p><p>b</p>", encoding="utf-8")
    return tmp_path


def test_only_saved_pages_are_read_and_their_reference_keeps_paragraphs_apart(
    pages: Path,
) -> None:
    cases = readability_pages.read_cases(pages)
    assert [name for name, _content, _reference in cases] == ["harbour-news"]
    reference = cases[0][2]
    assert [line for line in reference.split("\n") if line.strip()] == PARAGRAPHS


def test_shingle_scores_match_the_realpages_definition() -> None:
    text = "one two three four five six"
    assert readability_pages.precision_recall(text, text) == (1.0, 1.0)
    assert readability_pages.precision_recall("", text) == (0.0, 0.0)
    # Three of the output's shingles, three of the reference's: one in common.
    precision, recall = readability_pages.precision_recall(
        "one two three four x y", "z one two three four w"
    )
    assert (round(precision, 3), round(recall, 3)) == (0.333, 0.333)


def test_the_report_scores_ours_beside_trafilatura(
    pages: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert readability_pages.main(["--pages", str(pages)]) == 0
    report = capsys.readouterr().out
    assert "1 real pages" in report
    f1_row = next(line for line in report.splitlines() if line.startswith("| F1 |"))
    ours = float(f1_row.split("|")[2])
    assert ours > 0.9, report


def test_an_absent_folder_is_skipped_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert readability_pages.main(["--pages", str(tmp_path / "missing")]) == 0
    assert "skipping" in capsys.readouterr().out
