"""Change detection and page history through real Dagster runs: a page fetched on an
earlier day is asked for with its validators; a 304 or the same content is unchanged
(no page row, no extraction), a changed page is re-extracted and its history kept.
Also: site and URL-list sources through the sensors, per-source politeness in a run,
and the sources API that sets it."""

from __future__ import annotations

import itertools
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import build_sensor_context, instance_for_test
from fastapi.testclient import TestClient

from resources import build_resources
from siex.history import previous_fetches
from siex.platform.db import session_scope
from siex.platform.service import add_source
from siex.warehouse import Warehouse
from siex_api.main import create_app
from siex_assets.ingestion.sensors import sitemap_sensor
from siex_assets.partitions import today_utc
from tests.conftest import Route, article_html
from tests.helpers import make_tenant, run_ingest
from tests.test_pipeline import PARAGRAPH

REPO = Path(__file__).resolve().parent.parent
XML = {"Content-Type": "application/xml"}


@pytest.fixture
def instance():
    with instance_for_test() as inst:
        yield inst


def page(title: str) -> bytes:
    return article_html(title, [PARAGRAPH.replace("Composting", title), PARAGRAPH]).encode()


def with_validators(body: bytes, etag: str | None = None, last_modified: str | None = None):
    """A route that sends ETag and/or Last-Modified and answers 304 when they match."""

    def handle(h) -> None:
        fresh = (etag and h.headers.get("If-None-Match") == etag) or (
            last_modified and h.headers.get("If-Modified-Since") == last_modified
        )
        h.send_response(304 if fresh else 200)
        if etag:
            h.send_header("ETag", etag)
        if last_modified:
            h.send_header("Last-Modified", last_modified)
        if fresh:
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return Route(handler=handle)


def urls_config(urls: list[str]) -> dict:
    return {"ops": {"pages": {"config": {"urls": [{"url": u} for u in urls]}}}}


def meta(result, node: str) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node(node)[0].metadata.items()}


def sent(server, path: str) -> list[dict]:
    return [{k.lower(): v for k, v in h.items()} for p, h in server.requests if p == path]


def test_unchanged_pages_cost_nothing_and_changed_pages_keep_their_history(
    siex_home, instance, server
):
    paths = {"etag": "/etag.html", "date": "/dated.html", "same": "/same.html",
             "edit": "/edited.html", "gone": "/gone.html"}  # fmt: skip
    last_modified = "Wed, 25 Nov 2026 08:00:00 GMT"
    server.routes[paths["etag"]] = with_validators(page("Mulching"), etag='"v1"')
    server.routes[paths["date"]] = with_validators(page("Pruning"), last_modified=last_modified)
    server.routes[paths["same"]] = Route(body=page("Seedlings"))  # no validators at all
    server.routes[paths["edit"]] = Route(body=page("Watering"))
    server.routes[paths["gone"]] = Route(body=page("Hedges"))
    urls = [server.url(p) for p in paths.values()]
    make_tenant(siex_home, "acme")
    warehouse = Warehouse(siex_home.warehouse_dir)
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    today = today_utc()

    first = run_ingest(siex_home, instance, "acme", yesterday, urls_config(urls))
    assert first.success
    assert meta(first, "pages")["fetched"] == 5 and meta(first, "pages")["unchanged"] == 0

    server.routes[paths["edit"]] = Route(body=page("Irrigation"))  # the text changed
    server.routes[paths["gone"]] = Route(status=404, body=b"gone")
    second = run_ingest(siex_home, instance, "acme", today, urls_config(urls))
    assert second.success

    # Conditional GETs carried what the earlier day stored.
    assert sent(server, paths["etag"])[-1]["if-none-match"] == '"v1"'
    assert sent(server, paths["date"])[-1]["if-modified-since"] == last_modified
    assert "if-none-match" not in sent(server, paths["same"])[-1]
    pages_meta = meta(second, "pages")
    assert (pages_meta["fetched"], pages_meta["unchanged"], pages_meta["failed"]) == (1, 3, 1)
    assert pages_meta["changes"] == {"unchanged": 3, "changed": 1, "gone": 1}
    # Only the changed page was stored, extracted and given keywords again.
    assert [p["url"] for p in warehouse.read("pages", "acme", today).to_pylist()] == [urls[3]]
    assert meta(second, "documents")["extracted_pages"] == 1
    assert meta(second, "keywords")["extracted"] == 1
    docs = warehouse.read("documents", "acme", today).to_pylist()
    assert [(d["url"], d["title"]) for d in docs] == [(urls[3], "Irrigation")]

    con = warehouse.connect("acme")
    cursor = con.execute("SELECT * FROM page_history")
    names = [c[0] for c in cursor.description]
    history = {
        (r["url"], r["date"].isoformat()): r for r in (dict(zip(names, row, strict=True)) for row in cursor.fetchall())
    }  # fmt: skip
    assert {history[(u, yesterday)]["change"] for u in urls} == {"new"}
    expected = {
        urls[0]: ("unchanged", "http_304"),
        urls[1]: ("unchanged", "http_304"),
        urls[2]: ("unchanged", "content_hash"),
        urls[3]: ("changed", "content_hash"),
        urls[4]: ("gone", "http_404"),
    }
    assert {
        u: (history[(u, today)]["change"], history[(u, today)]["detected_by"]) for u in urls
    } == (expected)
    edited = history[(urls[3], today)]
    assert edited["previous_hash"] == history[(urls[3], yesterday)]["content_hash"]
    assert edited["content_hash"] != edited["previous_hash"]
    assert (
        history[(urls[0], today)]["content_hash"] == history[(urls[0], yesterday)]["content_hash"]
    )
    assert history[(urls[0], today)]["etag"] == '"v1"'

    # A third run the same day: nothing changed since, nothing is extracted, nothing lost.
    third = run_ingest(siex_home, instance, "acme", today, urls_config(urls[:4]))
    assert meta(third, "pages")["unchanged"] == 4 and meta(third, "pages")["fetched"] == 0
    assert meta(third, "documents")["extracted_pages"] == 0
    assert meta(third, "documents")["documents"] == 1
    assert [d["url"] for d in warehouse.read("documents", "acme", today).to_pylist()] == [urls[3]]

    # A backfill of the earlier day fetches nothing and rebuilds its documents from its pages.
    before = len(server.requests)
    backfill = run_ingest(siex_home, instance, "acme", yesterday)
    assert backfill.success and len(server.requests) == before
    assert meta(backfill, "documents")["extracted_pages"] == 5
    assert meta(backfill, "documents")["documents"] == 5

    # The SQL example of docs/warehouse.md answers on this warehouse.
    sql = re.search(
        r"<!-- tested: page history -->\s*```sql\n(.*?)```",
        (REPO / "docs" / "warehouse.md").read_text(),
        re.S,
    ).group(1)
    rows = warehouse.connect("acme").execute(sql.replace("'demo'", "'acme'")).fetchall()
    assert [(r[0], r[1]) for r in rows] == [(urls[3], "changed"), (urls[4], "gone")]


def test_stored_validators_are_read_without_the_html(siex_home):
    """The look-up reads a few columns of pages and page_history, never ``html``."""
    warehouse = Warehouse(siex_home.warehouse_dir)
    now = datetime.now(UTC)
    warehouse.write(
        "pages", "acme", "2026-11-01",
        [{"url": "https://a.test/p", "html": "<p>" + "x" * 100_000, "content_hash": "h1",
          "etag": '"e1"', "fetched_at": now - timedelta(days=1)}],
    )  # fmt: skip
    warehouse.write(
        "page_history", "acme", "2026-11-02",
        [{"url": "https://a.test/p", "change": "unchanged", "content_hash": "h1", "etag": '"e2"',
          "fetched_at": now}],
    )  # fmt: skip
    found = previous_fetches(warehouse, "acme", ["https://a.test/p", "https://a.test/new"])
    assert list(found) == ["https://a.test/p"]
    assert (found["https://a.test/p"].content_hash, found["https://a.test/p"].etag) == (
        "h1",
        '"e2"',
    )
    from siex.history import _PREVIOUS

    con = warehouse.connect("acme")
    plan = json.loads(con.execute("EXPLAIN (FORMAT json) " + _PREVIOUS, [["x"]]).fetchall()[0][1])

    def scans(node: dict) -> list[list[str]]:
        found = [node["extra_info"]["Projections"]] if node.get("name") == "READ_PARQUET" else []
        return found + [s for child in node.get("children", []) for s in scans(child)]

    projected = [columns for root in plan for columns in scans(root)]
    assert projected == [["url", "fetched_at", "content_hash", "etag", "last_modified"]] * 2
    assert previous_fetches(Warehouse(siex_home.home / "empty"), "acme", ["u"]) == {}


def _robots_route(server) -> Route:
    body = (
        f"User-agent: *\nAllow: /\nSitemap: {server.url('/sm.xml')}\n"
        f"Sitemap: {server.url('/missing.xml')}\n"
    ).encode()
    return Route(body=body, headers={"Content-Type": "text/plain"})


def test_site_source_through_the_sensor_and_a_run(siex_home, instance, server):
    """A site source: the sensor reads the sitemaps robots.txt declares, asks for a run
    with their URLs and the unreadable one as a problem; the run records it as a
    failure. The next tick gets 304 for the sitemap and requests nothing."""
    sitemap = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>{server.url(f'/p{i}.html')}</loc></url>" for i in range(2))
        + "</urlset>"
    ).encode()
    server.routes["/robots.txt"] = _robots_route(server)
    server.routes["/sm.xml"] = with_validators(sitemap, etag='"sm1"')
    for i in range(2):
        server.routes[f"/p{i}.html"] = Route(body=page(f"Topic {i}"))
    make_tenant(siex_home, "acme", [("site", server.url("/"))])

    context = build_sensor_context(instance=instance, resources=build_resources(siex_home))
    first = sitemap_sensor(context)
    [request] = first.run_requests
    config = request.run_config["ops"]["pages"]["config"]
    assert [u["url"] for u in config["urls"]] == [server.url(f"/p{i}.html") for i in range(2)]
    assert [(p["url"], p["reason"]) for p in config["source_problems"]] == [
        (server.url("/missing.xml"), "http_404")
    ]
    result = run_ingest(siex_home, instance, "acme", today_utc(), request.run_config)
    assert result.success
    failures = Warehouse(siex_home.warehouse_dir).read("failures", "acme", today_utc()).to_pylist()
    assert [(f["url"], f["stage"], f["reason"]) for f in failures] == [
        (server.url("/missing.xml"), "source", "http_404")
    ]
    assert len(Warehouse(siex_home.warehouse_dir).read("documents", "acme", today_utc())) == 2

    again = sitemap_sensor(
        build_sensor_context(
            instance=instance, cursor=first.cursor, resources=build_resources(siex_home)
        )
    )
    assert not again.run_requests
    assert sent(server, "/sm.xml")[-1]["if-none-match"] == '"sm1"'


def test_a_sources_politeness_holds_in_a_run(siex_home, instance, server):
    """A URL-list source asking for 0.3 s between requests: the run's page requests on
    that host start at least 0.3 s apart (the test default is no interval at all)."""
    starts: list[float] = []

    def timed(h) -> None:
        starts.append(time.monotonic())
        body = page("Timed")
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    for i in range(4):
        server.routes[f"/t{i}.html"] = Route(handler=timed)
    server.routes["/list.txt"] = Route(
        body="\n".join(server.url(f"/t{i}.html") for i in range(4)).encode(),
        headers={"Content-Type": "text/plain"},
    )
    make_tenant(siex_home, "acme")
    with session_scope(siex_home.platform_db_url) as session:
        add_source(
            session, "acme", "urllist", server.url("/list.txt"), "own",
            host_concurrency=2, host_min_interval_s=0.3,
        )  # fmt: skip
    result = run_ingest(siex_home, instance, "acme", today_utc())
    assert result.success and meta(result, "pages")["fetched"] == 4
    assert len(starts) == 4
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.3 - 0.02


def test_sources_api_takes_new_kinds_and_politeness(siex_home):
    key = make_tenant(siex_home, "acme")
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(siex_home)) as client:
        site = client.post(
            "/v1/sources",
            json={"kind": "site", "url": "https://own.example/", "host_min_interval_s": 0.25,
                  "host_concurrency": 4},
            headers=headers,
        )  # fmt: skip
        assert site.status_code == 201, site.text
        listed = client.post(
            "/v1/sources",
            json={"kind": "urllist", "url": "https://rival.example/urls.txt", "role": "competitor"},
            headers=headers,
        )
        assert listed.status_code == 201
        got = {s["kind"]: s for s in client.get("/v1/sources", headers=headers).json()}
        assert (got["site"]["host_concurrency"], got["site"]["host_min_interval_s"]) == (4, 0.25)
        assert (got["urllist"]["host_concurrency"], got["urllist"]["host_min_interval_s"]) == (
            None, None,
        )  # fmt: skip
        for bad in ({"host_concurrency": 0}, {"host_concurrency": 17},
                    {"host_min_interval_s": -1}, {"kind": "gopher"}):  # fmt: skip
            body = {"kind": "rss", "url": "https://x.example/feed", **bad}
            response = client.post("/v1/sources", json=body, headers=headers)
            assert response.status_code == 422, (bad, response.text)
