"""A hostile file in a folder source during a real ``newswatch run`` (a child process).

The child runs with its address space capped (RLIMIT_AS), so a regression that lets a
YAML alias bomb expand shows up as this test failing, not as the machine running out
of memory. It reports to the session's Prefect API (its own PREFECT_HOME), as the
processes of tests/e2e/test_secrets.py and test_lake_run.py do: a run that starts its
own temporary Prefect server, from a new PREFECT_HOME, is tests/flows/app/test_cli.py's
(that server's start-up and migrations took ~10 of this test's ~18 s).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import NewsSite

# The child's address-space cap: the bomb below expanded past 2.8 GB before the fix.
MEMORY_CAP_BYTES = 2 * 1024**3


def alias_bomb() -> str:
    """Seed-format front matter with 8 levels of nested aliases: ~43 million values expanded."""
    lines = ["---", "title: Harmless", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 9):
        alias = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([alias] * 9)}]")
    return "\n".join([*lines, "---", "", "Body."]) + "\n"


def newswatch_command() -> list[str]:
    script = Path(sys.executable).parent / "newswatch"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from flows.app.cli import main; main()"]


def cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS caps memory as intended on Linux")
@pytest.mark.usefixtures("prefect_harness")
def test_alias_bomb_in_a_folder_fails_alone_in_a_real_run_with_memory_capped(
    news_site: NewsSite, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    assert len(alias_bomb().encode()) < 600
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "bomb.md").write_text(alias_bomb(), encoding="utf-8")
    (folder / "good.txt").write_text(
        "EU agrees AI Act guidance\n\n"
        "The EU published guidance on the AI Act for general-purpose AI models today.\n",
        encoding="utf-8",
    )
    (folder / "seed.md").write_text(
        "---\ntitle: UN adopts AI governance resolution\nquality: 80\n---\n\n"
        "The UN General Assembly adopted a resolution on AI governance and cooperation.\n",
        encoding="utf-8",
    )
    # A page served as text/plain that looks like a seed document: it must be read as
    # plain text, not allowed to set its own quality, publication flag or provider.
    base = news_site.base
    news_site.server.expect_request("/news/front-matter.txt").respond_with_data(
        "---\nquality: 100\npublished: true\nprovider: {name: Spoofed, domain: spoofed.example}\n"
        "---\n\nRegulators agree AI governance rules\n\n"
        "Regulators from the EU and the UK agreed common AI governance rules on Tuesday, "
        "covering audits of general-purpose models and reporting of serious incidents.\n",
        content_type="text/plain; charset=utf-8",
    )
    news_site.server.expect_request("/feeds/text.xml").respond_with_data(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Text</title>'
        f"<link>{base}/</link><item><title>Regulators agree AI governance rules</title>"
        f"<link>{base}/news/front-matter.txt</link>"
        "<pubDate>Wed, 18 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>",
        content_type="application/rss+xml",
    )
    config = news_site.write_config(
        tmp_path,
        [("atom", news_site.feed_url("atom.xml")), ("text", news_site.url("/feeds/text.xml"))],
        folder=folder,
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PREFECT_API") and key != "NEWSWATCH_DB"
    }
    env.update(
        PREFECT_API_URL=str(PREFECT_API_URL.value()),
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_LOGGING_LEVEL="WARNING",
        # Fewer malloc arenas: address space reserved per thread is not memory used, and
        # the cap should measure the latter on machines with many cores.
        MALLOC_ARENA_MAX="2",
    )

    completed = subprocess.run(
        [*newswatch_command(), "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
        preexec_fn=cap_memory,
    )

    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "Traceback" not in output
    assert "MemoryError" not in output
    bomb_line = next(line for line in output.splitlines() if "bomb.md" in line)
    assert "item failed" in bomb_line
    assert "document too large" in bomb_line and "after expanding aliases" in bomb_line
    db = tmp_path / "news.duckdb"
    titles = {row[0] for row in rows(db, "SELECT title FROM articles")}
    assert {"EU agrees AI Act guidance", "UN adopts AI governance resolution"} <= titles
    assert rows(db, "SELECT count(*) FROM articles WHERE source_name = 'atom'") == [(5,)]
    assert not any("Harmless" in title for title in titles)
    (health,) = rows(
        db, "SELECT failed_items_last_run, last_outcome FROM sources WHERE name = 'seed-documents'"
    )
    assert health == (1, "ok")
    (text_page,) = rows(
        db,
        "SELECT input_kind, published, quality < 100, provider_domain FROM articles "
        "WHERE source_name = 'text'",
    )
    assert text_page[0] == "text" and text_page[1] is False and text_page[2] is True
    assert text_page[3] != "spoofed.example"
    (run,) = rows(db, "SELECT status, items_failed FROM runs")
    assert run == ("completed", 1)
