"""Documents pushed through the API: 202 at once, a spool part in the warehouse, the
pushed_documents_sensor launching ingest_job (pushed, no fetch), and the document in
GET /v1/documents after a real run — with quotas, validation and change detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dagster import build_sensor_context, instance_for_test
from fastapi.testclient import TestClient

from resources import build_resources
from siex.platform import quotas
from siex.platform.db import session_scope
from siex.platform.models import Tenant
from siex.platform.plans import PLANS
from siex.push import TABLE, new_push_id, pending_pushes, push_time
from siex.warehouse import Warehouse
from siex_api.main import create_app
from siex_assets.ingestion.sensors import pushed_documents_sensor
from siex_assets.partitions import today_utc
from tests.conftest import article_html
from tests.helpers import make_tenant, run_ingest
from tests.test_pipeline import PARAGRAPH

TEXT = (
    "Kompostering förvandlar köksavfall och trädgårdsavfall till mörk, smulig mull. "
    "En kompost behöver en balans mellan grönt kväverikt material och brunt kolrikt "
    "material, tillräckligt med fukt och regelbunden vändning så att mikroberna får syre."
)


@pytest.fixture
def instance():
    with instance_for_test() as inst:
        yield inst


@pytest.fixture
def client(siex_home):
    with TestClient(create_app(siex_home)) as test_client:
        yield test_client


def tick(instance, settings, cursor=None):
    context = build_sensor_context(
        instance=instance, cursor=cursor, resources=build_resources(settings)
    )
    return pushed_documents_sensor(context)


def meta(result, node: str) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node(node)[0].metadata.items()}


def spool_parts(settings, tenant: str) -> list[str]:
    folder = Warehouse(settings.warehouse_dir).partition_dir(TABLE, tenant, today_utc())
    return sorted(p.stem for p in folder.glob("*.parquet")) if folder.exists() else []


def test_pushed_documents_flow_through_the_assets_into_the_api(client, siex_home, instance):
    key = make_tenant(siex_home, "acme")
    headers = {"Authorization": f"Bearer {key}"}
    text_doc = {
        "url": "https://acme.example/notes/kompost?utm_source=newsletter",
        "title": "Kompost hemma",
        "text": TEXT,
        "lang": "sv",
        "published_at": "2026-11-20T09:00:00",
    }
    html_doc = {
        "url": "https://acme.example/guide",
        "html": article_html("Composting guide", [PARAGRAPH, PARAGRAPH]),
    }
    answers = [client.post("/v1/documents", json=body, headers=headers) for body in (text_doc, html_doc)]  # fmt: skip
    assert [a.status_code for a in answers] == [202, 202], answers[0].text
    first = answers[0].json()
    assert first["status"] == "queued" and first["date"] == today_utc()
    assert first["url"] == "https://acme.example/notes/kompost"  # tracking parameters gone
    assert first["push_id"] in spool_parts(siex_home, "acme")
    assert first["doc_id"] in first["processing"]
    # Nothing is processed by the API itself: the document is not listed yet.
    assert client.get("/v1/documents", headers=headers).json()["total"] == 0

    result = tick(instance, siex_home)
    [request] = result.run_requests
    assert request.partition_key.keys_by_dimension == {"tenant": "acme", "date": today_utc()}
    assert request.run_config["ops"]["pages"]["config"]["pushed"] == spool_parts(siex_home, "acme")
    assert request.tags["siex/trigger"] == "push"
    assert result.dynamic_partitions_requests[0].partition_keys == ["acme"]
    assert not tick(instance, siex_home, result.cursor).run_requests  # requested once

    before = len(instance.get_runs())
    run = run_ingest(siex_home, instance, "acme", today_utc(), request.run_config)
    assert run.success
    assert meta(run, "pages")["pushed"] == 2 and meta(run, "pages")["fetched"] == 2
    assert len(instance.get_runs()) == before + 1

    listed = client.get("/v1/documents", headers=headers).json()
    assert listed["total"] == 2
    by_url = {d["url"]: d for d in listed["items"]}
    pushed_text = client.get(f"/v1/documents/{first['doc_id']}", headers=headers).json()
    assert pushed_text["text"] == TEXT and pushed_text["title"] == "Kompost hemma"
    assert pushed_text["lang"] == "sv"
    assert pushed_text["published_at"].startswith("2026-11-20T09:00:00")
    assert pushed_text["keywords"]  # the keyword asset ran on it
    guide = by_url["https://acme.example/guide"]
    assert guide["title"] == "Composting guide" and guide["lang"] == "en" and guide["keywords"]
    onpage = Warehouse(siex_home.warehouse_dir).read("onpage", "acme", today_utc()).to_pylist()
    assert [o["url"] for o in onpage] == ["https://acme.example/guide"]  # HTML only

    # The same text again: unchanged, nothing extracted. Changed text: a new version.
    client.post("/v1/documents", json=text_doc, headers=headers)
    changed = client.post(
        "/v1/documents", json={**text_doc, "text": TEXT + " Mullen göder jorden."}, headers=headers
    )
    assert changed.status_code == 202
    second = tick(instance, siex_home, result.cursor)
    [request] = second.run_requests
    assert len(request.run_config["ops"]["pages"]["config"]["pushed"]) == 2
    run = run_ingest(siex_home, instance, "acme", today_utc(), request.run_config)
    assert meta(run, "pages")["unchanged"] == 1 and meta(run, "pages")["fetched"] == 1
    assert meta(run, "documents")["extracted_pages"] == 1
    history = (
        Warehouse(siex_home.warehouse_dir)
        .connect("acme")
        .execute(
            "SELECT change, detected_by FROM page_history WHERE url = ? ORDER BY fetched_at",
            [first["url"]],
        )
        .fetchall()
    )
    assert history == [("new", "push"), ("unchanged", "push"), ("changed", "push")]
    latest = client.get(f"/v1/documents/{first['doc_id']}", headers=headers).json()
    assert latest["text"].endswith("Mullen göder jorden.")


def test_pushes_wait_while_dagster_is_down_and_late_parts_are_not_lost(siex_home, instance):
    """Pushes made before any tick are all requested by the first tick; a part that
    lands after a newer one was requested (within the look-back) is requested next."""
    from siex.push import spool_document

    make_tenant(siex_home, "acme")
    make_tenant(siex_home, "beta")
    warehouse = Warehouse(siex_home.warehouse_dir)
    now = datetime.now(UTC)
    for i in range(3):
        spool_document(warehouse, "acme", f"https://acme.example/{i}", text=TEXT, now=now)
    spool_document(warehouse, "beta", "https://beta.example/x", text=TEXT, now=now)
    first = tick(instance, siex_home)
    by_tenant = {
        r.tags["siex/tenant"]: r.run_config["ops"]["pages"]["config"]["pushed"]
        for r in first.run_requests
    }
    assert {t: len(names) for t, names in by_tenant.items()} == {"acme": 3, "beta": 1}

    late = spool_document(
        warehouse, "acme", "https://acme.example/late", text=TEXT, now=now - timedelta(seconds=20)
    )
    second = tick(instance, siex_home, first.cursor)
    [request] = second.run_requests
    assert request.run_config["ops"]["pages"]["config"]["pushed"] == [late["push_id"]]
    assert not tick(instance, siex_home, second.cursor).run_requests


def test_pending_pushes_cursor_stays_small(siex_home):
    """The cursor keeps per tenant the newest id and the ids of the look-back window."""
    warehouse = Warehouse(siex_home.warehouse_dir)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for minutes in range(0, 20, 2):
        moment = start + timedelta(minutes=minutes)
        warehouse.write(TABLE, "acme", moment.date().isoformat(), [], part=new_push_id(moment))
    pending, cursor = pending_pushes(warehouse, {})
    assert len(pending[("acme", "2026-11-01")]) == 10
    assert len(cursor["acme"]["recent"]) == 1  # older ids are behind the window
    assert push_time(cursor["acme"]["last"]) == start + timedelta(minutes=18)
    assert pending_pushes(warehouse, cursor) == ({}, cursor)


def test_push_validation_scope_and_quota(client, siex_home):
    key = make_tenant(siex_home, "acme")
    headers = {"Authorization": f"Bearer {key}"}
    good = {"url": "https://acme.example/a", "text": TEXT}
    for bad in (
        {"url": "https://acme.example/a"},
        {**good, "html": "<p>x</p>"},
        {**good, "text": "Too short to be a document."},
        {**good, "url": "not a url"},
        {**good, "lang": "english please"},
        {**good, "text": "word " * 250_001},
    ):
        response = client.post("/v1/documents", json=bad, headers=headers)
        assert response.status_code == 422, (bad.keys(), response.text)
        assert response.json()["error"]["code"] == "validation_error"
    from siex.platform.service import issue_api_key

    with session_scope(siex_home.platform_db_url) as session:
        reader, _ = issue_api_key(
            session, session.get(Tenant, "acme"), siex_home.resolved_secret_key(), scopes=["read"]
        )
    refused = client.post("/v1/documents", json=good, headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403
    assert spool_parts(siex_home, "acme") == []

    with session_scope(siex_home.platform_db_url) as session:
        tenant = session.get(Tenant, "acme")
        quotas.consume(session, tenant, "documents", PLANS["free"].quotas["documents"] - 1)
    assert client.post("/v1/documents", json=good, headers=headers).status_code == 202
    over = client.post("/v1/documents", json=good, headers=headers)
    assert over.status_code == 402
    assert over.json()["error"]["details"]["resource"] == "documents"
    assert len(spool_parts(siex_home, "acme")) == 1  # the refused push left nothing behind
    usage = client.get("/v1/usage", headers=headers).json()
    documents = next(q for q in usage["quotas"] if q["resource"] == "documents")
    assert documents["used"] == documents["limit"] == PLANS["free"].quotas["documents"]
