"""Credentials in a source URL are used for the fetch and appear nowhere else.

A feed URL with a basic-auth password and an API key goes through a real
``newswatch run`` (a subprocess against the session's Prefect API); then the
working database, the analytics copy, the logs, the Prefect artifact and
``newswatch sources`` are searched for the secrets.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from extractors.urls import canonical_url, redact, strip_credentials, url_key
from tests.conftest import NewsSite
from tests.support.paths import REPO

pytestmark = pytest.mark.usefixtures("prefect_harness")

PASSWORD = "S3cretPW"
# Longer than the "K3Y": a 3-byte string turns up by chance in a database file.
API_KEY = "K3Yq8Zx2"
ITEM_TOKEN = "T0K3Nz9w"
ITEM_SIG = "S1GNv4r7"
SECRETS = (PASSWORD, API_KEY, ITEM_TOKEN, ITEM_SIG)


def _feed(base: str) -> str:
    """Four items (max_items 3 keeps three): relative links, a tokenised link, a dead one."""
    items = [
        ("EU AI Act enforcement", "/news/2026/11/eu-ai-act-enforcement", "/img/act.jpg"),
        (
            "G7 AI code of conduct",
            f"{base}/world/2026/11/05/g7-hiroshima-ai-code-of-conduct?token={ITEM_TOKEN}",
            None,
        ),
        ("Gone", f"/news/missing-article?sig={ITEM_SIG}", None),
        ("Over the limit", "/de/politik/ki-verordnung-durchsetzung", None),
    ]
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        "<pubDate>Thu, 19 Nov 2026 08:00:00 +0000</pubDate>"
        "<description>AI governance and regulation news.</description>"
        + (f'<enclosure url="{image}" type="image/jpeg" length="1"/>' if image else "")
        + "</item>"
        for title, link, image in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Private feed</title><link>/</link><description>x</description>{entries}"
        "</channel></rss>"
    )


def _newswatch(*args: str) -> subprocess.CompletedProcess[str]:
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ)
    env.update(
        {
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            # Every log line the run can produce, ours and the libraries' (httpx logs URLs).
            "PREFECT_LOGGING_LEVEL": "DEBUG",
            "PREFECT_LOGGING_ROOT_LEVEL": "DEBUG",
        }
    )
    script = Path(sys.executable).with_name("newswatch")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "flows.app.cli"]
    return subprocess.run(
        [*command, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )


def _database_text(path: Path) -> str:
    """Every value of every table, as text (gzip blobs decompressed)."""
    found: list[str] = []
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal"
        ).fetchall()
        for (table,) in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"').fetchall():
                for value in row:
                    if isinstance(value, bytes):
                        with contextlib.suppress(OSError, EOFError):
                            value = gzip.decompress(value)
                        found.append(value.decode("utf-8", errors="replace"))
                    else:
                        found.append(str(value))
    return "\n".join(found)


def _run_artifacts_and_logs(run_id: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        LogFilter,
        LogFilterFlowRunId,
    )

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    assert artifacts, "the run left no artifact"
    return "\n".join([str(artifact.data) for artifact in artifacts] + [log.message for log in logs])


def test_a_feed_password_and_api_key_reach_no_database_log_or_artifact(
    news_site: NewsSite, tmp_path: Path
) -> None:
    server = news_site.server
    base = news_site.base
    basic = "Basic " + base64.b64encode(f"reader:{PASSWORD}".encode()).decode()
    # Only the right credentials get the feed: the run storing articles proves they were sent.
    server.expect_request(
        "/private/feed.xml", query_string={"api_key": API_KEY}, headers={"Authorization": basic}
    ).respond_with_data(_feed(base), content_type="application/rss+xml")
    server.expect_request("/private/gone.xml").respond_with_data("no", status=503)
    host = base.removeprefix("http://")
    feed_url = f"http://reader:{PASSWORD}@{host}/private/feed.xml?api_key={API_KEY}"
    gone_url = f"http://reader:{PASSWORD}@{host}/private/gone.xml?api_key={API_KEY}"
    config = news_site.write_config(
        tmp_path, [("private", feed_url), ("gone", gone_url)], folder=None
    )
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(f"    url: {feed_url!r}\n", f"    url: {feed_url!r}\n    max_items: 3\n"),
        encoding="utf-8",
    )
    assert "max_items: 3" in config.read_text(encoding="utf-8")

    run = _newswatch("run", "--config", str(config))
    output = run.stdout + run.stderr
    assert run.returncode == 0, output

    # The fetch used the real credentials ...
    feed_requests = [request for request, _ in server.log if request.path == "/private/feed.xml"]
    assert feed_requests, "the feed was never requested"
    assert all(request.headers.get("Authorization") == basic for request in feed_requests)
    assert all(request.args.get("api_key") == API_KEY for request in feed_requests)
    assert any(
        request.args.get("token") == ITEM_TOKEN
        for request, _ in server.log
        if request.path.startswith("/world/")
    )
    # ... and the run did what a run does: articles stored, the limit and the failures reported.
    assert "max_items" in output and "missing-article" in output and "HTTP 503" in output
    db = tmp_path / "news.duckdb"
    analytics = tmp_path / "news-analytics.duckdb"
    with duckdb.connect(str(db), read_only=True) as connection:
        stored = connection.execute("SELECT count(*) FROM articles").fetchall()[0][0]
        ((run_id,),) = connection.execute("SELECT run_id FROM runs").fetchall()
        (location,) = connection.execute(
            "SELECT location FROM sources WHERE name = 'private'"
        ).fetchall()[0]
    assert stored == 2
    assert location == f"http://reader:***@{host}/private/feed.xml?api_key=***"

    sources = _newswatch("sources", "--config", str(config))
    assert sources.returncode == 0, sources.stderr
    places = {
        "newswatch run output": output,
        "newswatch sources output": sources.stdout + sources.stderr,
        "working database (SQL)": _database_text(db),
        "analytics copy (SQL)": _database_text(analytics),
        "working database (bytes)": db.read_bytes().decode("latin-1"),
        "analytics copy (bytes)": analytics.read_bytes().decode("latin-1"),
        "Prefect artifact and logs": _run_artifacts_and_logs(run_id),
    }
    assert "reader:***@" in places["Prefect artifact and logs"]
    leaks = [
        f"{secret} in {place}"
        for place, text in places.items()
        for secret in SECRETS
        if secret in text
    ]
    lines = [
        line
        for text in places.values()
        for line in text.splitlines()
        if any(s in line for s in SECRETS)
    ]
    assert not leaks, (leaks, lines[:20])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "http://user:S3cretPW@host/feed.xml?api_key=K3Y",
            "http://user:***@host/feed.xml?api_key=***",
        ),
        ("https://TOKEN@github.com/x.atom", "https://***@github.com/x.atom"),
        ("http://u:p@ss@host/x", "http://u:***@host/x"),
        (
            "https://h/a?apikey=1&access_token=2&X-Amz-Signature=3&AWSAccessKeyId=4&sig=5",
            "https://h/a?apikey=***&access_token=***&X-Amz-Signature=***&AWSAccessKeyId=***&sig=***",
        ),
        (
            "https://h/a?Password=1&pwd=2&auth=3&session=4&PHPSESSID=5&client_secret=6&key=7",
            "https://h/a?Password=***&pwd=***&auth=***&session=***&PHPSESSID=***&client_secret=***&key=***",
        ),
        # Names that merely contain a credential word are content, not secrets.
        (
            "https://h/search?keyword=ai&author=bob&design=1&q=ai+act",
            "https://h/search?keyword=ai&author=bob&design=1&q=ai+act",
        ),
        # Inside JSON and prose the text around the URL is left intact.
        ('{"url": "http://h/a?token=abc", "n": 1}', '{"url": "http://h/a?token=***", "n": 1}'),
        (
            "HTTP 404 for http://h/x?sig=abc (redirected)",
            "HTTP 404 for http://h/x?sig=*** (redirected)",
        ),
        ("write to bob@example.org", "write to bob@example.org"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_credentials_leave_canonical_urls_keys_and_link_bases() -> None:
    url = "http://user:pw@News.example/a/1?api_key=k&id=7&token=t"
    assert canonical_url(url) == "http://news.example/a/1?id=7"
    # A bare ``key``/``sid`` may select the article: two such URLs stay two articles.
    assert canonical_url("https://h.example/story.php?key=1") != canonical_url(
        "https://h.example/story.php?key=2"
    )
    assert canonical_url("https://h.example/article.pl?sid=07/01/02") == (
        "https://h.example/article.pl?sid=07%2F01%2F02"
    )
    assert url_key(url) == url_key("http://news.example/a/1?id=7")
    assert strip_credentials(url) == "http://News.example/a/1?id=7"
    assert strip_credentials("https://h/feed?q=ai") == "https://h/feed?q=ai"
