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
