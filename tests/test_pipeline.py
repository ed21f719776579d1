"""Sensors, schedules and real runs of the Dagster code location against loopback sites."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from pathlib import Path

import pytest
from dagster import (
    DagsterEventType,
    SensorResult,
    build_run_status_sensor_context,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)
from sqlalchemy import select

from resources import build_resources
from siex.platform.db import session_scope
from siex.platform.models import RunFailure
from siex.warehouse import Warehouse
from siex_assets.ingestion.sensors import rss_sensor, sitemap_sensor
from siex_assets.monitoring.sensors import record_run_failures
from siex_assets.partitions import tenant_partitions, today_utc
from siex_assets.reports.schedules import daily_reports_schedule
from tests.conftest import Route, article_html, rss_feed
from tests.helpers import make_tenant, run_ingest

PARAGRAPH = (
    "Composting turns kitchen scraps and garden waste into dark, crumbly humus. A compost heap "
    "needs a balance of green nitrogen-rich material and brown carbon-rich material, enough "
    "moisture and regular turning so that the microbes have oxygen. Hot composting kills weed "
    "seeds, while cold composting takes longer but needs less work. Finished compost improves "
    "soil structure, feeds soil life and helps sandy soil hold water."
)


@pytest.fixture
def instance():
    with instance_for_test() as inst:
        yield inst


def _sensor_result(sensor, instance, settings, cursor=None) -> SensorResult:
    context = build_sensor_context(
        instance=instance, cursor=cursor, resources=build_resources(settings)
    )
    return sensor(context)


def _feed_route(server, items, etag):
    """A feed route with ETag/Last-Modified that honours conditional GETs."""
    body = rss_feed(server.base, items)
    last_modified = formatdate(1_790_000_000, usegmt=True)

    def handler(request):
        if request.headers.get("If-None-Match") == etag:
            request.send_response(304)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("ETag", etag)
        request.send_header("Last-Modified", last_modified)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    return Route(handler=handler)


def test_rss_sensor_requests_runs_for_new_and_changed_urls_only(siex_home, instance, server):
    """First tick: every entry; unchanged feed: 304 and no run; a new entry: a run for it alone."""
    items = [(f"/a{i}.html", f"Article {i}", "Mon, 23 Nov 2026 10:00:00 GMT") for i in range(3)]
    server.routes["/feed.xml"] = _feed_route(server, items, '"v1"')
    make_tenant(siex_home, "acme", [("rss", server.url("/feed.xml"))])

    first = _sensor_result(rss_sensor, instance, siex_home)
    assert len(first.run_requests) == 1
    request = first.run_requests[0]
    urls = [u["url"] for u in request.run_config["ops"]["pages"]["config"]["urls"]]
    assert urls == [server.url(p) for p, _, _ in items]
    assert request.partition_key.keys_by_dimension == {"tenant": "acme", "date": today_utc()}
    assert request.tags["siex/tenant"] == "acme"
    assert first.dynamic_partitions_requests[0].partition_keys == ["acme"]

    instance.add_dynamic_partitions(tenant_partitions.name, ["acme"])
    second = _sensor_result(rss_sensor, instance, siex_home, cursor=first.cursor)
    assert not second.run_requests
    assert server.requests[-1][1].get("If-None-Match") == '"v1"'

    items.append(("/a3.html", "Article 3", "Tue, 24 Nov 2026 10:00:00 GMT"))
    items[0] = ("/a0.html", "Article 0 (updated)", "Wed, 25 Nov 2026 10:00:00 GMT")
    server.routes["/feed.xml"] = _feed_route(server, items, '"v2"')
    third = _sensor_result(rss_sensor, instance, siex_home, cursor=second.cursor)
    changed = [u["url"] for u in third.run_requests[0].run_config["ops"]["pages"]["config"]["urls"]]
    assert sorted(changed) == [server.url("/a0.html"), server.url("/a3.html")]
    assert not third.dynamic_partitions_requests


def test_unreadable_source_is_skipped_and_others_go_on(siex_home, instance, server):
    """A feed that is not XML does not stop the sensor from seeing a good feed."""
    server.routes["/bad.xml"] = Route(
        body=b"this is not a feed at all {]", headers={"Content-Type": "text/plain"}
    )
    server.routes["/good.xml"] = Route(
        body=rss_feed(server.base, [("/p.html", "P", "Mon, 23 Nov 2026 10:00:00 GMT")]),
        headers={"Content-Type": "application/rss+xml"},
    )
    make_tenant(
        siex_home, "acme", [("rss", server.url("/bad.xml")), ("rss", server.url("/good.xml"))]
    )
    result = _sensor_result(rss_sensor, instance, siex_home)
    assert len(result.run_requests) == 1
    assert result.run_requests[0].run_config["ops"]["pages"]["config"]["urls"][0][
        "url"
    ] == server.url("/p.html")


def test_sitemap_sensor_follows_lastmod(siex_home, instance, server):
    """A sitemap URL causes a run when it first appears and again when its lastmod changes."""

    def sitemap(lastmod_b: str) -> Route:
        body = (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{server.url('/a.html')}</loc><lastmod>2026-11-01</lastmod></url>"
            f"<url><loc>{server.url('/b.html')}</loc><lastmod>{lastmod_b}</lastmod></url></urlset>"
        )
        return Route(body=body.encode(), headers={"Content-Type": "application/xml"})

    server.routes["/sitemap.xml"] = sitemap("2026-11-02")
    make_tenant(siex_home, "acme", [("sitemap", server.url("/sitemap.xml"))])
    first = _sensor_result(sitemap_sensor, instance, siex_home)
    assert len(first.run_requests[0].run_config["ops"]["pages"]["config"]["urls"]) == 2
    same = _sensor_result(sitemap_sensor, instance, siex_home, cursor=first.cursor)
    assert not same.run_requests
    server.routes["/sitemap.xml"] = sitemap("2026-11-20")
    changed = _sensor_result(sitemap_sensor, instance, siex_home, cursor=same.cursor)
    urls = changed.run_requests[0].run_config["ops"]["pages"]["config"]["urls"]
    assert [u["url"] for u in urls] == [server.url("/b.html")]


def test_sensor_run_executes_end_to_end(siex_home, instance, demo_sites):
    """The run a sensor requests really executes: documents, keywords, stats and a report."""
    make_tenant(siex_home, "acme", [("rss", f"{demo_sites}/own/feed.xml")])
    tick = _sensor_result(rss_sensor, instance, siex_home)
    request = tick.run_requests[0]
    result = run_ingest(siex_home, instance, "acme", today_utc(), request.run_config)
    assert result.success

    warehouse = Warehouse(siex_home.warehouse_dir)
    docs = warehouse.read("documents", "acme", today_utc()).to_pylist()
    assert len(docs) == 6
    assert all(d["lang"] == "en" and d["word_count"] > 50 and d["title"] for d in docs)
    keywords = warehouse.read("keywords", "acme", today_utc()).to_pylist()
    assert {k["doc_id"] for k in keywords} == {d["doc_id"] for d in docs}
    checks = [
        e for e in result.all_events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    assert len(checks) == 3 and all(c.event_specific_data.passed for c in checks)

    con = warehouse.connect("acme")
    top = con.execute(
        "SELECT keyword FROM keyword_stats ORDER BY documents DESC LIMIT 5"
    ).fetchall()
    assert top
    report_path = warehouse.read("reports", "acme", today_utc()).column("markdown_path")[0].as_py()
    report = Path(report_path).read_text()
    assert "## Top keywords" in report and top[0][0] in report


def test_rerun_loses_nothing_and_reuses_keywords(siex_home, instance, server):
    """A second run where pages fail keeps the stored documents and extracts nothing twice."""
    for i in range(3):
        server.routes[f"/p{i}.html"] = Route(
            body=article_html(f"Compost {i}", [PARAGRAPH, PARAGRAPH]).encode()
        )
    config = {
        "ops": {
            "pages": {"config": {"urls": [{"url": server.url(f"/p{i}.html")} for i in range(3)]}}
        }
    }
    make_tenant(siex_home, "acme")
    day = today_utc()
    first = run_ingest(siex_home, instance, "acme", day, config)
    assert first.success

    server.routes["/p1.html"] = Route(status=500, body=b"oops")
    server.routes["/p2.html"] = Route(status=404, body=b"gone")
    server.routes["/new.html"] = Route(
        body=article_html("Mulch", [PARAGRAPH.replace("Compost", "Mulch")]).encode()
    )
    config["ops"]["pages"]["config"]["urls"].append({"url": server.url("/new.html")})
    second = run_ingest(siex_home, instance, "acme", day, config)
    assert second.success

    warehouse = Warehouse(siex_home.warehouse_dir)
    urls = {d["url"] for d in warehouse.read("documents", "acme", day).to_pylist()}
    assert urls == {server.url(p) for p in ("/p0.html", "/p1.html", "/p2.html", "/new.html")}
    failures = warehouse.read("failures", "acme", day).to_pylist()
    assert {(f["url"], f["reason"]) for f in failures} >= {
        (server.url("/p1.html"), "http_500"),
        (server.url("/p2.html"), "http_404"),
    }
    keyword_meta = second.asset_materializations_for_node("keywords")[0].metadata
    assert keyword_meta["reused"].value == 3 and keyword_meta["extracted"].value == 1
    # Billing: three document versions the first time, only the new page the second.
    first_meta = first.asset_materializations_for_node("keywords")[0].metadata
    assert first_meta["billed_documents"].value == 3
    assert keyword_meta["billed_documents"].value == 1
    page_meta = second.asset_materializations_for_node("pages")[0].metadata
    assert page_meta["failed"].value == 2
    assert "http_500" in page_meta["failures"].value


def test_daily_schedule_requests_yesterday_per_tenant(siex_home, instance):
    """After midnight the schedule asks for yesterday's report of each known tenant."""
    make_tenant(siex_home, "acme")
    make_tenant(siex_home, "beta")
    instance.add_dynamic_partitions(tenant_partitions.name, ["acme", "beta"])
    when = datetime(2026, 11, 27, 0, 15, tzinfo=UTC)
    with build_schedule_context(
        instance=instance, scheduled_execution_time=when, resources=build_resources(siex_home)
    ) as context:
        requests = daily_reports_schedule(context)
    keys = sorted(r.partition_key for r in requests)
    assert keys == ["2026-11-26|acme", "2026-11-26|beta"]
    assert len({r.run_key for r in requests}) == 2


def test_run_failure_sensor_records_failed_runs_once(siex_home, instance, tmp_path):
    """A failed run lands in run_failures with its tenant and error, once."""
    make_tenant(siex_home, "acme")
    (tmp_path / "not-a-dir").write_text("x")
    broken = siex_home.model_copy(update={"home": tmp_path / "not-a-dir" / "home"})
    result = run_ingest(broken, instance, "acme", today_utc())
    assert not result.success

    run = instance.get_run_by_id(result.run_id)
    failure_event = next(
        e for e in result.all_events if e.event_type == DagsterEventType.RUN_FAILURE
    )
    for _ in range(2):
        with build_run_status_sensor_context(
            sensor_name="record_run_failures",
            dagster_event=failure_event,
            dagster_instance=instance,
            dagster_run=run,
            resources=build_resources(siex_home),
        ) as context:
            record_run_failures(context.for_run_failure())
    with session_scope(siex_home.platform_db_url) as session:
        rows = session.scalars(select(RunFailure)).all()
    assert len(rows) == 1
    assert rows[0].tenant_id == "acme" and rows[0].job_name == "ingest_job"
    assert rows[0].partition_key == f"{today_utc()}|acme"


def test_report_lists_keywords_new_since_the_day_before(siex_home):
    """New keywords are those absent from the previous day's keyword table."""
    from siex.reports import build_daily_report

    warehouse = Warehouse(siex_home.warehouse_dir)
    day = datetime.now(UTC).date()
    before = (day - timedelta(days=1)).isoformat()
    row = {"documents": 1, "score_sum": 1.0, "best_rank": 1, "example_url": "http://x/"}
    warehouse.write("keyword_stats", "acme", before, [dict(row, keyword="compost")])
    warehouse.write(
        "keyword_stats",
        "acme",
        day.isoformat(),
        [dict(row, keyword="compost"), dict(row, keyword="mulch")],
    )
    summary = build_daily_report(warehouse, siex_home.reports_dir, "acme", day.isoformat())
    report = json.loads(Path(summary["json_path"]).read_text())
    assert [k["keyword"] for k in report["new_keywords"]] == ["mulch"]
    assert {k["keyword"] for k in report["top_keywords"]} == {"compost", "mulch"}
    assert summary["new_keywords"] == 1


def test_backfill_of_a_past_day_reprocesses_stored_pages_without_fetching(
    siex_home, instance, server, monkeypatch
):
    """A past partition with no URLs fetches nothing; a new engine version re-extracts its text."""
    from siex.engine import KeywordExtractor

    for i in range(2):
        server.routes[f"/p{i}.html"] = Route(
            body=article_html(f"Compost {i}", [PARAGRAPH, PARAGRAPH]).encode()
        )
    make_tenant(siex_home, "acme", [("rss", server.url("/feed.xml"))])
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    urls = {
        "ops": {
            "pages": {"config": {"urls": [{"url": server.url(f"/p{i}.html")} for i in range(2)]}}
        }
    }
    assert run_ingest(siex_home, instance, "acme", yesterday, urls).success
    requests_before = len(server.requests)

    monkeypatch.setattr(KeywordExtractor, "version", "next-engine")
    backfill = run_ingest(siex_home, instance, "acme", yesterday)
    assert backfill.success
    assert len(server.requests) == requests_before  # not even the feed was read
    assert backfill.asset_materializations_for_node("pages")[0].metadata["stored_pages"].value == 2
    keyword_meta = backfill.asset_materializations_for_node("keywords")[0].metadata
    assert keyword_meta["extracted"].value == 2 and keyword_meta["reused"].value == 0
    rows = Warehouse(siex_home.warehouse_dir).read("keywords", "acme", yesterday).to_pylist()
    assert rows and {r["engine"] for r in rows} == {"next-engine"}


def test_fetch_failures_show_as_a_warning_check(siex_home, instance, server):
    """A page that cannot be fetched turns the pages check into a warning with its reason."""
    server.routes["/ok.html"] = Route(body=article_html("Compost", [PARAGRAPH]).encode())
    config = {
        "ops": {
            "pages": {
                "config": {
                    "urls": [{"url": server.url("/ok.html")}, {"url": server.url("/gone.html")}]
                }
            }
        }
    }
    make_tenant(siex_home, "acme")
    result = run_ingest(siex_home, instance, "acme", today_utc(), config)
    assert result.success
    check = next(
        e.event_specific_data
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        and e.event_specific_data.check_name == "all_pages_fetched"
    )
    assert not check.passed and check.severity.value == "WARN"
    assert check.metadata["reasons"].value == {"http_404": 1}


def test_onpage_signals_are_stored_for_every_fetched_page(siex_home, instance, server):
    """The documents asset stores on-page signals beside the text, thin pages included
    (a page too short to be a document is exactly what an audit wants to see)."""
    server.routes["/article.html"] = Route(
        body=article_html("Compost guide", [PARAGRAPH, PARAGRAPH])
        .replace(
            "</head>",
            '<meta name="description" content="How to compost at home.">'
            '<link rel="canonical" href="/article.html"></head>',
        )
        .encode()
    )
    server.routes["/thin.html"] = Route(
        body=b'<html lang="en"><head><title>Thin</title></head><body><h1>Hi</h1>'
        b'<img src="a.png"><a href="https://elsewhere.example/">out</a></body></html>'
    )
    urls = [server.url("/article.html"), server.url("/thin.html")]
    make_tenant(siex_home, "audit")
    day = today_utc()
    config = {"ops": {"pages": {"config": {"urls": [{"url": u} for u in urls]}}}}
    result = run_ingest(siex_home, instance, "audit", day, config)
    assert result.success
    rows = {
        r["url"]: r
        for r in Warehouse(siex_home.warehouse_dir).read("onpage", "audit", day).to_pylist()
    }
    assert set(rows) == set(urls)
    article, thin = rows[urls[0]], rows[urls[1]]
    assert article["meta_description"] == "How to compost at home."
    assert article["meta_description_length"] == len("How to compost at home.")
    assert article["canonical"] == urls[0] and article["word_count"] > 100
    assert thin["title"] == "Thin" and thin["h1_count"] == 1 and thin["images_without_alt"] == 1
    assert thin["external_links"] == 1
    assert json.loads(thin["links"])[0]["url"] == "https://elsewhere.example/"
    documents = Warehouse(siex_home.warehouse_dir).read("documents", "audit", day).to_pylist()
    assert [d["url"] for d in documents] == [urls[0]]  # the thin page is no document
    assert result.asset_materializations_for_node("documents")[0].metadata["onpage_rows"].value == 2
