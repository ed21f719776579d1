"""/v1/reports: the tenant's SEO reports as JSON, CSV/Parquet files and chart images; and
every report of a real ingest (crawled demo sites, a pushed document) over real HTTP."""

from __future__ import annotations

import csv
import io
import json
import math

import httpx
import lxml.html
import pyarrow.parquet as pq
import pytest
from dagster import build_sensor_context, instance_for_test
from fastapi.testclient import TestClient

from resources import build_resources
from siex import demo_site
from siex.intelligence.corpus import load_corpus
from siex.intelligence.publish import publish
from siex.intelligence.trends import build_trends
from siex.platform.db import session_scope
from siex.platform.service import add_source
from siex.warehouse import Warehouse
from siex_api.main import create_app
from siex_assets.definitions import build_definitions
from siex_assets.ingestion.sensors import pushed_documents_sensor
from siex_assets.partitions import tenant_day_key, today_utc
from tests.conftest import LiveApi
from tests.corpus_data import store_document
from tests.helpers import make_tenant, run_ingest


def publish_report(store: Warehouse, reports_dir, tenant: str, day: str, words: list[str]):
    """A real keyword trends report of ``tenant`` on ``day`` over documents carrying ``words``."""
    for i in range(3):
        store_document(store, tenant, day, f"https://{tenant}.example/p{i}", [*words, f"topic {i}"])
    return publish(store, reports_dir, tenant, day, build_trends(load_corpus(store, tenant, day)))


@pytest.fixture
def client(siex_home):
    with TestClient(create_app(siex_home)) as test_client:
        yield test_client


def test_reports_list_read_page_export_and_chart(client, siex_home):
    key = make_tenant(siex_home, "acme")
    headers = {"Authorization": f"Bearer {key}"}
    store = Warehouse(siex_home.warehouse_dir)
    publish_report(store, siex_home.reports_dir, "acme", "2026-11-01", ["compost"])
    publish_report(store, siex_home.reports_dir, "acme", "2026-11-02", ["compost", "mulch"])

    listed = client.get("/v1/reports", headers=headers).json()
    assert [(r["kind"], r["date"]) for r in listed] == [
        ("keyword_trends", "2026-11-02"),
        ("keyword_trends", "2026-11-01"),
    ]
    assert listed[0]["summary"]["new"] >= 1 and "keyword_trends-lines.png" in listed[0]["charts"]
    only_first = client.get("/v1/reports?date_to=2026-11-01", headers=headers).json()
    assert [r["date"] for r in only_first] == ["2026-11-01"]

    latest = client.get("/v1/reports/keyword_trends", headers=headers).json()
    assert latest["date"] == "2026-11-02" and latest["total"] == latest["rows"] == 5
    assert {r["keyword"] for r in latest["items"]} >= {"compost", "mulch"}
    stored_order = [
        r["keyword"] for r in store.read("report_keyword_trends", "acme", "2026-11-02").to_pylist()
    ]
    assert [r["keyword"] for r in latest["items"]] == stored_order  # the report's own order
    page = client.get(
        "/v1/reports/keyword_trends?date=2026-11-02&limit=2&offset=1", headers=headers
    ).json()
    assert [r["keyword"] for r in page["items"]] == stored_order[1:3]
    first = client.get("/v1/reports/keyword_trends?date=2026-11-01", headers=headers).json()
    assert "mulch" not in {r["keyword"] for r in first["items"]}

    csv = client.get("/v1/reports/keyword_trends/export?date=2026-11-02", headers=headers)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("keyword,key,status,")
    assert len(csv.text.strip().splitlines()) == 6
    parquet = client.get("/v1/reports/keyword_trends/export?format=parquet", headers=headers)
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 5 and "status" in table.column_names

    chart = client.get(
        "/v1/reports/keyword_trends/charts/keyword_trends-change.png", headers=headers
    )
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    assert chart.headers["content-type"] == "image/png"


def test_unknown_kinds_days_and_charts_are_404(client, siex_home):
    key = make_tenant(siex_home, "acme")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/reports/keyword_trends", headers=headers).status_code == 404
    publish_report(
        Warehouse(siex_home.warehouse_dir), siex_home.reports_dir, "acme", "2026-11-01", ["x"]
    )
    missing_kind = client.get("/v1/reports/no_such_report", headers=headers)
    assert missing_kind.status_code == 404
    assert "keyword_trends" in missing_kind.json()["error"]["details"]["kinds"]
    assert (
        client.get("/v1/reports/keyword_trends?date=2026-10-31", headers=headers).status_code == 404
    )
    for name in ("nope.png", "..%2F..%2Fplatform.sqlite", "keyword_trends.md"):
        response = client.get(f"/v1/reports/keyword_trends/charts/{name}", headers=headers)
        assert response.status_code in (404, 422), name
    assert (
        client.get("/v1/reports", headers={"Authorization": "Bearer sk_live_nope"}).status_code
        == 401
    )


def test_site_reports_are_served_with_exports_and_charts(client, siex_home):
    """The on-page audit, its scores and the link suggestions through /v1/reports."""
    from siex.intelligence.audit import build_onpage_audit, load_site
    from siex.intelligence.links import build_link_suggestions
    from siex.web.onpage import onpage_row, read_onpage

    key = make_tenant(siex_home, "acme")
    headers = {"Authorization": f"Bearer {key}"}
    store = Warehouse(siex_home.warehouse_dir)
    day = "2026-11-03"
    pages = {
        "/drip": (
            "Drip irrigation basics for vegetable beds",
            "Drip irrigation delivers water "
            "to the roots through emitters. A drip irrigation kit saves water.",
        ),
        "/plan": (
            "",
            "Plan the beds first. Lay a drip irrigation line under the mulch so the "
            "water reaches the roots of every plant.",
        ),
    }  # no title on /plan: an error in the audit
    for path, (title, text) in pages.items():
        url = f"https://acme.example{path}"
        html = (
            f"<html lang='en'><head><title>{title}</title></head>"
            f"<body><h1>{title or 'Plan'}</h1><p>{text}</p></body></html>"
        )
        store_document(
            store,
            "acme",
            day,
            url,
            ["drip irrigation", "emitters", "mulch"],
            text=text,
            title=title or "Planning the beds",
            onpage=onpage_row(read_onpage(html, url)),
        )
    issues, scores = build_onpage_audit(load_site(store, "acme", day))
    links = build_link_suggestions(load_corpus(store, "acme", day, with_text=True), {})
    for report in (issues, scores, links):
        publish(store, siex_home.reports_dir, "acme", day, report)
    assert links.rows and issues.rows

    listed = client.get("/v1/reports", headers=headers).json()
    assert {r["kind"] for r in listed} == {"onpage_audit", "onpage_scores", "link_suggestions"}
    audit = client.get("/v1/reports/onpage_audit", headers=headers).json()
    assert audit["total"] == len(issues.rows) and audit["summary"]["pages"] == 2
    assert ("https://acme.example/plan", "title_missing", "error") in {
        (r["url"], r["code"], r["severity"]) for r in audit["items"]
    }
    assert audit["summary"]["sites"][0]["host"] == "acme.example"
    page_scores = client.get("/v1/reports/onpage_scores", headers=headers).json()
    assert {r["url"]: r["score"] for r in page_scores["items"]} == {
        r["url"]: r["score"] for r in scores.rows
    }
    suggested = client.get("/v1/reports/link_suggestions", headers=headers).json()
    first = suggested["items"][0]
    assert (first["source_url"], first["target_url"]) == (
        links.rows[0]["source_url"],
        links.rows[0]["target_url"],
    )
    assert first["anchor"] == links.rows[0]["anchor"] and first["semantic_similarity"] is None

    for kind, header in (
        ("onpage_audit", "url,host,code,severity,"),
        ("onpage_scores", "url,host,role,score,"),
        ("link_suggestions", "source_url,source_title,target_url,"),
    ):
        csv = client.get(f"/v1/reports/{kind}/export", headers=headers)
        assert csv.status_code == 200 and csv.text.splitlines()[0].startswith(header), kind
        parquet = client.get(f"/v1/reports/{kind}/export?format=parquet", headers=headers)
        rows = {"onpage_audit": issues, "onpage_scores": scores, "link_suggestions": links}[kind]
        assert pq.read_table(io.BytesIO(parquet.content)).num_rows == len(rows.rows), kind
    for kind, chart in (
        ("onpage_audit", "onpage_audit-issues.png"),
        ("onpage_scores", "onpage_scores-distribution.png"),
        ("link_suggestions", "link_suggestions-targets.png"),
    ):
        response = client.get(f"/v1/reports/{kind}/charts/{chart}", headers=headers)
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG"), chart


# -- over real HTTP, on a real ingest ----------------------------------------------------

FROST = (
    "The first autumn frost arrives earlier in inland valleys than on the coast, so gardeners "
    "there sow their winter crops two weeks sooner and cover tender seedlings with fleece."
)


def all_rows(http: httpx.Client, kind: str, day: str) -> dict:
    """One report with every row, read page by page as a client would."""
    first = http.get(f"/v1/reports/{kind}", params={"date": day, "limit": 1000})
    assert first.status_code == 200, (kind, first.text)
    body = first.json()
    while len(body["items"]) < body["total"]:
        params = {"date": day, "limit": 1000, "offset": len(body["items"])}
        more = http.get(f"/v1/reports/{kind}", params=params)
        body["items"] += more.json()["items"]
    return body


def same_cell(value, cell: str) -> bool:
    """A JSON value and the CSV text of the same cell, compared by the JSON value's type."""
    if value is None:
        return cell == ""
    if isinstance(value, bool):
        return cell == str(value).lower()
    if isinstance(value, float):
        return math.isclose(float(cell), value, rel_tol=1e-6, abs_tol=1e-9)
    return cell == str(value)


def missing_alt(img) -> bool:
    """alt absent, or blank but not empty (alt="" marks a decorative image)."""
    alt = img.get("alt")
    return alt is None or (alt != "" and not alt.strip())


def test_every_report_of_an_ingested_tenant_over_real_http(siex_home, demo_sites):
    """The demo sites crawled and a document pushed over HTTP (the pushed_documents_sensor
    hands it to ingest_job), then seo_reports_job for that tenant and day; a real uvicorn
    server then serves every report kind: the list, the rows page by page, CSV and
    Parquet exports that parse back to the JSON rows, and each chart. The rows speak of
    the served pages, and the audit finds what the served HTML really lacks."""
    from siex_api.routers.reports import KINDS

    key = make_tenant(siex_home, "demo")
    with session_scope(siex_home.platform_db_url) as session:
        for kind, url, role in demo_site.demo_source_urls(demo_sites):
            add_source(session, "demo", kind, url, role=role)
    day = today_utc()
    own_pages, rival_pages = (
        {
            f"{demo_sites}/{site}/articles/{p.name}"
            for p in (demo_site.SITE_ROOT / site / "articles").glob("*.html")
        }
        for site in ("own", "competitor")
    )
    pushed_url = f"{demo_sites}/own/notes/frost-dates"

    with (
        instance_for_test() as instance,
        LiveApi(siex_home) as api,
        httpx.Client(
            base_url=api.url, headers={"Authorization": f"Bearer {key}"}, timeout=120
        ) as http,
    ):
        push = {"url": f"{pushed_url}?utm_source=mail", "title": "Frost dates", "text": FROST}
        pushed = http.post("/v1/documents", json=push)
        assert pushed.status_code == 202, pushed.text
        assert pushed.json()["url"] == pushed_url
        assert http.get("/v1/documents").json()["total"] == 0  # the API runs no pipeline

        assert run_ingest(siex_home, instance, "demo", day).success  # every source, now
        resources = build_resources(siex_home)
        with build_sensor_context(instance=instance, resources=resources) as context:
            [request] = pushed_documents_sensor(context).run_requests
        assert run_ingest(siex_home, instance, "demo", day, request.run_config).success
        reports_job = build_definitions(siex_home).resolve_job_def("seo_reports_job")
        result = reports_job.execute_in_process(
            instance=instance,
            partition_key=tenant_day_key("demo", day),
            run_config={"ops": {"internal_link_status": {"config": {"max_urls": 50}}}},
        )
        assert result.success

        # Documents: every article of both sites and the pushed one.
        listed = http.get("/v1/documents", params={"limit": 100}).json()
        doc_ids = {d["url"]: d["doc_id"] for d in listed["items"]}
        assert set(doc_ids) == own_pages | rival_pages | {pushed_url}
        document = http.get(f"/v1/documents/{pushed.json()['doc_id']}").json()
        assert document["text"] == FROST and document["title"] == "Frost dates"
        assert document["keywords"]
        own = own_pages | {pushed_url}  # a pushed document is the tenant's own

        # Every kind was materialized for the day, each served with its rows and files.
        entries = http.get("/v1/reports", params={"date_from": day, "date_to": day}).json()
        assert sorted(e["kind"] for e in entries) == sorted(KINDS)
        reports = {}
        for entry in entries:
            kind = entry["kind"]
            body = all_rows(http, kind, day)
            rows = body["items"]
            assert body["total"] == entry["rows"] == len(rows) > 0, kind
            page = http.get(f"/v1/reports/{kind}", params={"date": day, "limit": 2, "offset": 1})
            assert page.json()["items"] == rows[1:3], kind

            parquet = http.get(
                f"/v1/reports/{kind}/export", params={"date": day, "format": "parquet"}
            )
            assert parquet.status_code == 200, (kind, parquet.text)
            table = pq.read_table(io.BytesIO(parquet.content)).drop(["date"])
            assert table.to_pylist() == rows, kind
            exported = http.get(f"/v1/reports/{kind}/export", params={"date": day})
            assert exported.headers["content-type"].startswith("text/csv"), kind
            csv_rows = list(csv.DictReader(io.StringIO(exported.text)))
            assert len(csv_rows) == len(rows), kind
            for json_row, csv_row in zip(rows, csv_rows, strict=True):
                assert all(same_cell(v, csv_row[c]) for c, v in json_row.items()), (kind, csv_row)
            for chart in entry["charts"]:
                image = http.get(f"/v1/reports/{kind}/charts/{chart}", params={"date": day})
                assert image.status_code == 200 and image.content.startswith(b"\x89PNG"), chart
            reports[kind] = (entry["summary"], rows)

        # What the rows say, against what the sites serve.
        everything = own | rival_pages
        _summary, trends = reports["keyword_trends"]
        assert {r["example_url"] for r in trends} - {""} <= everything
        _summary, assignments = reports["topic_assignments"]
        assert {r["url"]: r["role"] for r in assignments} == {
            **dict.fromkeys(own, "own"),
            **dict.fromkeys(rival_pages, "competitor"),
        }
        _summary, topics = reports["topic_clusters"]
        assert sum(t["documents"] for t in topics) == len(everything)
        for topic in topics:
            assert set(json.loads(topic["own_urls"])) <= own
            assert set(json.loads(topic["competitor_urls"])) <= rival_pages
        _summary, gaps = reports["content_gap"]
        for gap in gaps:
            assert set(json.loads(gap["evidence_urls"])) <= rival_pages, gap["gap"]
            assert gap["closest_own_url"] in own | {""}
        _summary, conflicts = reports["cannibalization"]
        for conflict in conflicts:
            urls = json.loads(conflict["urls"])
            assert set(urls) <= own and conflict["primary_url"] == urls[0]
        _summary, suggestions = reports["link_suggestions"]
        for s in suggestions:
            assert {s["source_url"], s["target_url"]} <= own and s["source_url"] != s["target_url"]
            text = http.get(f"/v1/documents/{doc_ids[s['source_url']]}").json()["text"]
            assert text[s["anchor_offset"] : s["anchor_offset"] + len(s["anchor"])] == s["anchor"]

        # The audit: what each own page's HTML, fetched here, lacks is what it reports.
        summary, issues = reports["onpage_audit"]
        codes: dict[str, set[str]] = {}
        for issue in issues:
            codes.setdefault(issue["url"], set()).add(issue["code"])
        assert set(codes) <= own_pages
        for url in own_pages:
            html = lxml.html.fromstring(httpx.get(url).content)
            descriptions = html.xpath("//meta[@name='description']/@content")
            described = any(d.strip() for d in descriptions)
            assert ("meta_description_missing" in codes.get(url, set())) == (not described), url
            unlabelled = any(missing_alt(img) for img in html.iter("img"))
            assert ("images_missing_alt" in codes.get(url, set())) == unlabelled, url
        assert summary["documents_without_onpage"] == 1  # the pushed text
        _summary, scores = reports["onpage_scores"]
        assert {r["url"] for r in scores} == everything - {pushed_url}  # text: no HTML to audit
        page_scores = {i["url"]: i["page_score"] for i in issues}
        for row in scores:
            if row["url"] in page_scores:
                assert row["score"] == page_scores[row["url"]], row["url"]
