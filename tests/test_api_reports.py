"""/v1/reports: the tenant's SEO reports as JSON, CSV/Parquet files and chart images."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from siex.intelligence.corpus import load_corpus
from siex.intelligence.publish import publish
from siex.intelligence.trends import build_trends
from siex.warehouse import Warehouse
from siex_api.main import create_app
from tests.corpus_data import store_document
from tests.helpers import make_tenant


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
