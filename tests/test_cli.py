"""The `siex` command: the extract contract, the headless demo, the code location."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from siex.config import REPO_ROOT

SIEX = str(Path(sys.executable).parent / "siex")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIEX_", "DAGSTER_"))}
    env.update(
        {"SIEX_HOME": str(home), "SIEX_SECRET_KEY": "cli-test", "SIEX_HOST_MIN_INTERVAL_S": "0"},
        **extra,
    )
    return env


def test_extract_contract_keeps_order_and_reports_bad_lines(tmp_path):
    """One output line per input line, same order; bad lines get an error object."""
    lines = [
        json.dumps(
            {
                "id": "a",
                "lang": "en",
                "text": "Drip irrigation saves water. Drip irrigation kits are cheap.",
            }
        ),
        "{not json",
        json.dumps(
            {
                "id": "b",
                "text": "Le compostage domestique réduit les déchets. Le compostage enrichit le sol.",
            }
        ),
        json.dumps({"id": "c", "text": 42}),
        json.dumps(["not", "an", "object"]),
    ]
    stdin = ("\n".join(lines) + "\n").encode() + b"\xff\xfe broken utf-8\n"
    out = subprocess.run(
        [SIEX, "extract", "--top-k", "3"],
        input=stdin,
        capture_output=True,
        env=_env(tmp_path),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr.decode()
    results = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert len(results) == 6
    assert results[0]["id"] == "a" and results[0]["lang"] == "en"
    assert results[0]["keywords"][0]["text"] == "drip irrigation"
    assert len(results[0]["keywords"]) <= 3
    scores = [k["score"] for k in results[0]["keywords"]]
    assert scores == sorted(scores, reverse=True)
    assert "error" in results[1] and results[1]["id"] is None
    assert results[2]["id"] == "b" and results[2]["lang"] == "fr"
    assert results[2]["keywords"][0]["text"].startswith("compostage")
    assert results[3] == {"id": "c", "error": "field 'text' must be a string"}
    assert "error" in results[4]
    assert "UTF-8" in results[5]["error"]


def test_demo_prints_its_summary_and_records_the_run(tmp_path):
    """`siex demo` on an empty SIEX_HOME ends with the JSON line; its run is in the instance."""
    home = tmp_path / "home"
    out = subprocess.run(
        [SIEX, "demo"],
        capture_output=True,
        env=_env(home, SIEX_DEMO_PORT=str(_free_port())),
        timeout=600,
        cwd=REPO_ROOT,
    )
    assert out.returncode == 0, out.stderr.decode()[-3000:]
    summary = json.loads(out.stdout.decode().strip().splitlines()[-1])
    assert summary["documents"] >= 10 and summary["keywords"] >= 50
    assert Path(summary["report"]).read_text().startswith("# SEO report — demo")
    assert Path(summary["warehouse"]).exists()
    # Every SEO report of the day was materialized, each with its Markdown file.
    assert {"keyword_trends", "topic_clusters", "content_gap", "cannibalization",
            "onpage_audit", "onpage_scores", "link_suggestions"} <= set(summary["seo_reports"])  # fmt: skip
    assert all(Path(p).read_text().startswith("# ") for p in summary["seo_reports"].values())

    import duckdb

    con = duckdb.connect(summary["warehouse"], read_only=True)
    assert (
        con.execute("SELECT count(DISTINCT doc_id) FROM documents").fetchone()[0]
        == summary["documents"]
    )
    con.close()

    instance = DagsterInstance.from_config(str(home / "dagster"))
    runs = instance.get_runs(RunsFilter(job_name="ingest_job"))
    assert len(runs) == 1 and runs[0].status == DagsterRunStatus.SUCCESS
    instance.dispose()


def test_definitions_validate():
    """`dagster definitions validate` accepts workspace.yaml."""
    out = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        capture_output=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert out.returncode == 0, (out.stdout + out.stderr).decode()[-3000:]


def test_engine_and_core_import_neither_dagster_nor_fastapi():
    """The library the CLI, assets and API share stays free of the frameworks."""
    code = (
        "import sys, siex.engine, siex.ingest, siex.warehouse, siex.reports, siex.extract_cli, "
        "siex.platform.service, siex.domains.seo, siex.domains.bacowr, siex.domains.legal, "
        "siex.domains.medical; "
        "bad = [m for m in ('dagster', 'fastapi') if m in sys.modules]; "
        "assert not bad, bad"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()


def test_keys_create_issues_a_working_key_stored_only_hashed(tmp_path):
    """`siex keys create` prints a key that authenticates; SIEX_HOME holds no plaintext key."""
    from siex.config import Settings
    from siex.platform.db import session_scope
    from siex.platform.service import authenticate

    home = tmp_path / "home"
    env = _env(home)
    init = subprocess.run([SIEX, "init"], capture_output=True, env=env, timeout=120, cwd=REPO_ROOT)
    assert init.returncode == 0, init.stderr.decode()
    assert json.loads(init.stdout)["demo_api_key_created"] is True
    out = subprocess.run(
        [SIEX, "keys", "create", "--tenant", "demo"], capture_output=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr.decode()
    key = out.stdout.decode().strip()
    settings = Settings(home=home, secret_key="cli-test")
    with session_scope(settings.platform_db_url) as session:
        assert authenticate(session, key, "cli-test").id == "demo"
        assert authenticate(session, key, "another-secret") is None
    secret = key.split("_", 3)[3].encode()
    assert not any(secret in p.read_bytes() for p in home.rglob("*") if p.is_file())
    missing = subprocess.run(
        [SIEX, "keys", "create", "--tenant", "nobody"], capture_output=True, env=env, timeout=120
    )
    assert missing.returncode == 1 and b"no tenant" in missing.stderr


def test_ingest_one_sitemap_once_prints_its_summary(tmp_path, server):
    """`siex ingest --tenant T URL` through the assets: good pages become documents, bad
    ones are counted by reason, tracking duplicates collapse, and a second run finds
    every page unchanged (same content hash) and fetches no new content, extracts
    nothing, and keeps the day's documents."""
    from siex.config import Settings
    from tests.conftest import Route, article_html
    from tests.helpers import make_tenant
    from tests.test_pipeline import PARAGRAPH

    for i in range(3):
        server.routes[f"/a{i}.html"] = Route(
            body=article_html(
                f"Compost topic {i}", [PARAGRAPH.replace("Compost", f"Compost {i}"), PARAGRAPH]
            ).encode()
        )
    server.routes["/gone.html"] = Route(status=404, body=b"gone")
    server.routes["/thin.html"] = Route(body=b"<html><body><p>Too short.</p></body></html>")
    locs = [*(f"/a{i}.html" for i in range(3)), "/a0.html?utm_source=x", "/gone.html", "/thin.html"]
    sitemap = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>{server.url(p).replace('&', '&amp;')}</loc></url>" for p in locs)
        + "</urlset>"
    ).encode()
    server.routes["/sitemap.xml"] = Route(body=sitemap, headers={"Content-Type": "application/xml"})
    home = tmp_path / "home"
    make_tenant(Settings(home=home, secret_key="cli-test"), "acme")

    def ingest() -> dict:
        out = subprocess.run(
            [SIEX, "ingest", "--tenant", "acme", server.url("/sitemap.xml")],
            capture_output=True, env=_env(home), timeout=300, cwd=REPO_ROOT,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr.decode()[-3000:]
        return json.loads(out.stdout.decode().strip().splitlines()[-1])

    first = ingest()
    assert first == {
        "fetched": 4, "documents": 3, "unchanged": 0, "failed": 2,
        "errors": {"http_404": 1, "no_text": 1},
    }  # fmt: skip
    second = ingest()
    assert second == {
        "fetched": 0, "documents": 3, "unchanged": 4, "failed": 1, "errors": {"http_404": 1},
    }  # fmt: skip


def _ingest(home: Path, *args: str) -> tuple[int, dict, str]:
    """`siex ingest ...`: exit status, the JSON of its last stdout line, its stderr."""
    out = subprocess.run(
        [SIEX, "ingest", "--tenant", *args],
        capture_output=True, env=_env(home), timeout=300, cwd=REPO_ROOT,
    )  # fmt: skip
    lines = out.stdout.decode().strip().splitlines()
    assert lines, out.stderr.decode()[-3000:]
    return out.returncode, json.loads(lines[-1]), out.stderr.decode()


def _articles(server, paths: list[str]) -> None:
    from tests.conftest import Route, article_html
    from tests.test_pipeline import PARAGRAPH

    for i, path in enumerate(paths):
        text = PARAGRAPH.replace("Compost", f"Compost {i}")
        server.routes[path] = Route(
            body=article_html(f"Compost topic {i}", [text, PARAGRAPH]).encode()
        )


def _sitemap(server, paths: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>{server.url(p)}</loc></url>" for p in paths)
        + "</urlset>"
    ).encode()


@pytest.mark.parametrize("kind", ["rss", "urllist", "site"])
def test_ingest_of_each_kind_of_source_prints_the_contract(tmp_path, server, kind):
    """A feed, a URL list and a site (its sitemaps from robots.txt) through `siex ingest`:
    the last line has the contract's keys; `failed` counts pages, while problems of the
    source itself (a line that is no URL, a sitemap robots.txt declares that is gone)
    are only in `errors`."""
    from siex.config import Settings
    from tests.conftest import Route, rss_feed
    from tests.helpers import make_tenant

    _articles(server, ["/a0.html", "/a1.html"])
    server.routes["/thin.html"] = Route(body=b"<html><body><p>Too short.</p></body></html>")
    xml = {"Content-Type": "application/xml"}
    if kind == "rss":
        items = [
            (p, f"Entry {p}", "Mon, 02 Nov 2026 10:00:00 GMT")
            for p in ("/a0.html", "/a1.html", "/gone.html")
        ]
        server.routes["/feed.xml"] = Route(body=rss_feed(server.base, items), headers=xml)
        args, expected_failed, expected_errors = (
            ["--kind", "rss", server.url("/feed.xml")], 1, {"http_404": 1},
        )  # fmt: skip
    elif kind == "urllist":
        lines = [
            server.url("/a0.html"),
            "# a comment",
            "not a url",
            server.url("/a1.html"),
            server.url("/gone.html"),
        ]
        server.routes["/urls.txt"] = Route(
            body="\n".join(lines).encode(), headers={"Content-Type": "text/plain"}
        )
        args, expected_failed, expected_errors = (
            ["--kind", "urllist", server.url("/urls.txt")], 1,
            {"http_404": 1, "urllist_invalid_lines": 1},
        )  # fmt: skip
    else:
        robots = f"User-agent: *\nAllow: /\nSitemap: {server.url('/maps/pages.xml')}\nSitemap: {server.url('/maps/old.xml')}\n"
        server.routes["/robots.txt"] = Route(
            body=robots.encode(), headers={"Content-Type": "text/plain"}
        )
        server.routes["/maps/pages.xml"] = Route(
            body=_sitemap(server, ["/a0.html", "/a1.html", "/thin.html"]), headers=xml
        )
        # A bare site root, no --kind: detected as a site. /maps/old.xml is gone (404).
        args, expected_failed, expected_errors = (
            [server.base + "/"], 1, {"no_text": 1, "http_404": 1},
        )  # fmt: skip
    home = tmp_path / "home"
    make_tenant(Settings(home=home, secret_key="cli-test"), "acme")

    status, result, stderr = _ingest(home, "acme", *args)
    assert status == 0, stderr[-3000:]
    assert result == {
        "fetched": 3 if kind == "site" else 2,
        "documents": 2,
        "unchanged": 0,
        "failed": expected_failed,
        "errors": expected_errors,
    }
    requested = {path for path, _headers in server.requests}
    assert {"/a0.html", "/a1.html"} <= requested
    if kind == "site":
        assert {"/robots.txt", "/maps/pages.xml", "/maps/old.xml"} <= requested


def test_ingest_of_an_unreadable_source_or_unknown_tenant_still_prints_the_contract(
    tmp_path, server
):
    """No page to ingest: the same last line, the reason in `errors`, exit status 1."""
    from siex.config import Settings
    from tests.conftest import Route, article_html
    from tests.helpers import make_tenant

    server.routes["/article.html"] = Route(body=article_html("A page", ["Just a page."]).encode())
    home = tmp_path / "home"
    make_tenant(Settings(home=home, secret_key="cli-test"), "acme")
    empty = {"fetched": 0, "documents": 0, "unchanged": 0, "failed": 0}

    status, result, stderr = _ingest(home, "acme", "--kind", "rss", server.url("/feed.xml"))
    assert status == 1 and result == {**empty, "errors": {"http_404": 1}}
    assert "cannot read" in stderr
    # Kind not given: the page was tried as a feed, a sitemap and a URL list, and each
    # says why it is none of them.
    status, result, _stderr = _ingest(home, "acme", server.url("/article.html"))
    assert status == 1 and result["failed"] == 0 and result["fetched"] == 0
    assert set(result["errors"]) == {"feed_not_parseable", "sitemap_not_xml", "urllist_empty"}
    # An index none of whose sitemaps answers: read, but nothing to ingest.
    index = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<sitemap><loc>{server.url(p)}</loc></sitemap>" for p in ("/s1.xml", "/s2.xml"))
        + "</sitemapindex>"
    )
    server.routes["/index.xml"] = Route(
        body=index.encode(), headers={"Content-Type": "application/xml"}
    )
    status, result, _stderr = _ingest(home, "acme", "--kind", "sitemap", server.url("/index.xml"))
    assert status == 1 and result == {**empty, "errors": {"http_404": 2}}
    status, result, stderr = _ingest(home, "nobody", server.url("/article.html"))
    assert status == 1 and result == {**empty, "errors": {"unknown_tenant": 1}}
    assert "no tenant" in stderr


def test_extract_can_use_its_input_as_the_corpus(tmp_path):
    """With --corpus-from-input, a phrase every document shares (a site's footer) stops
    leading each list; without it, it leads them all. Output order and count hold."""
    topics = ["drip irrigation", "raised beds", "compost bins", "seed starting"] * 3
    lines = [
        json.dumps({"id": str(i), "lang": "en", "text": (
            f"Greenleaf Garden Club newsletter. Greenleaf Garden Club members write about "
            f"{t}. Our guide to {t} covers {t} for small plots. Greenleaf Garden Club.")})
        for i, t in enumerate(topics)
    ]  # fmt: skip
    stdin = ("\n".join(lines) + "\n").encode()

    def first_keywords(*flags: str) -> list[str]:
        out = subprocess.run([SIEX, "extract", "--fast", "--top-k", "3", *flags], input=stdin,
                             capture_output=True, env=_env(tmp_path), timeout=120)  # fmt: skip
        assert out.returncode == 0, out.stderr.decode()
        results = [json.loads(line) for line in out.stdout.decode().splitlines()]
        assert [r["id"] for r in results] == [str(i) for i in range(len(topics))]
        return [r["keywords"][0]["text"].lower() for r in results]

    assert set(first_keywords()) == {"greenleaf garden club"}
    assert first_keywords("--corpus-from-input") == topics
