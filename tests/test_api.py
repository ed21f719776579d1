"""The REST API: tenants and keys, sources, documents from the warehouse, one error shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dagster import build_sensor_context, instance_for_test
from fastapi.testclient import TestClient

from resources import build_resources
from siex.warehouse import Warehouse
from siex_api.main import create_app
from siex_assets.ingestion.sensors import rss_sensor
from tests.conftest import Route, rss_feed
from tests.helpers import make_tenant


@pytest.fixture
def client(siex_home):
    with TestClient(create_app(siex_home)) as test_client:
        yield test_client


def _tenant(client, tenant_id: str) -> dict:
    """A tenant made with the CLI's service call: its key holds every scope."""
    key = make_tenant(client.app.state.settings, tenant_id)
    return {"Authorization": f"Bearer {key}"}


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def _store_document(
    warehouse: Warehouse,
    tenant: str,
    day: str,
    url: str,
    keywords: list[str],
    folded: list[str] = (),
) -> str:
    """A document and its keywords (then ``folded``, pieces filling a short list)."""
    doc_id = f"{tenant}-{abs(hash(url)) % 10**8}"
    now = datetime.now(UTC)
    warehouse.write(
        "documents",
        tenant,
        day,
        [
            {
                "doc_id": doc_id,
                "url": url,
                "source_id": "s",
                "title": f"Title of {url}",
                "description": "",
                "lang": "en",
                "published_at": now,
                "fetched_at": now,
                "content_hash": "h1",
                "word_count": 100,
                "text": f"text of {url}",
            }
        ],
    )
    warehouse.write(
        "keywords",
        tenant,
        day,
        [
            {
                "doc_id": doc_id,
                "url": url,
                "content_hash": "h1",
                "rank": i + 1,
                "keyword": k,
                "score": 1.0 - i / 10,
                "lang": "en",
                "folded": i >= len(keywords),
            }
            for i, k in enumerate([*keywords, *folded])
        ],
    )
    return doc_id


def test_health_and_openapi(client):
    """Health answers with the database state; the schema documents the /v1 paths."""
    assert client.get("/v1/health").json()["status"] == "ok"
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/v1/health",
        "/v1/tenants",
        "/v1/sources",
        "/v1/documents",
        "/v1/documents/{doc_id}",
    } <= set(paths)


def test_cli_key_authenticates_and_is_stored_only_as_a_hash(client, siex_home):
    """A key is sk_live_…, identifies its tenant, and its secret is nowhere on disk."""
    headers = _tenant(client, "acme")
    key = headers["Authorization"].removeprefix("Bearer ")
    assert key.startswith("sk_live_") and len(key) > 50
    me = client.get("/v1/tenants/me", headers=headers)
    assert me.json()["id"] == "acme" and me.json()["plan"] == "free"
    raw = b"".join(f.read_bytes() for f in siex_home.home.glob("platform.sqlite*"))
    assert key.split("_", 3)[3].encode() not in raw


def test_errors_share_one_shape(client):
    """Missing key, bad key, validation error, conflict, unknown path: all {"error": {...}}."""
    _assert_error(client.get("/v1/sources"), 401, "unauthorized")
    _assert_error(
        client.get("/v1/sources", headers={"Authorization": "Bearer sk_live_nope"}),
        401,
        "invalid_api_key",
    )
    forged = "sk_live_0123456789abcdef_" + "x" * 40
    _assert_error(
        client.get("/v1/sources", headers={"Authorization": f"Bearer {forged}"}),
        401,
        "invalid_api_key",
    )
    headers = _tenant(client, "acme")
    error = _assert_error(
        client.post("/v1/sources", json={"kind": "atom-ish", "url": "not a url"}, headers=headers),
        422,
        "validation_error",
    )
    assert {tuple(d["loc"]) for d in error["details"]} == {("body", "kind"), ("body", "url")}
    feed = {"kind": "rss", "url": "https://a.example/feed"}
    assert client.post("/v1/sources", json=feed, headers=headers).status_code == 201
    _assert_error(client.post("/v1/sources", json=feed, headers=headers), 409, "conflict")
    _assert_error(client.get("/v1/nothing-here"), 404, "not_found")


def test_sources_are_per_tenant(client):
    """A tenant sees and conflicts only with its own sources."""
    acme, beta = _tenant(client, "acme"), _tenant(client, "beta")
    body = {"kind": "rss", "url": "https://example.com/feed.xml"}
    assert client.post("/v1/sources", json=body, headers=acme).status_code == 201
    _assert_error(client.post("/v1/sources", json=body, headers=acme), 409, "conflict")
    assert client.post("/v1/sources", json=body, headers=beta).status_code == 201
    assert [s["url"] for s in client.get("/v1/sources", headers=acme).json()] == [body["url"]]
    assert len(client.get("/v1/sources", headers=beta).json()) == 1


def test_documents_are_isolated_between_tenants(client, siex_home):
    """Listing and fetching documents never reach another tenant's warehouse folders."""
    acme, beta = _tenant(client, "acme"), _tenant(client, "beta")
    warehouse = Warehouse(siex_home.warehouse_dir)
    acme_doc = _store_document(
        warehouse, "acme", "2026-11-26", "https://acme.test/a", ["compost heap", "mulch"],
        folded=["heap"],
    )  # fmt: skip
    beta_doc = _store_document(
        warehouse, "beta", "2026-11-26", "https://beta.test/b", ["hydroponics"]
    )

    page = client.get("/v1/documents", headers=acme).json()
    assert page["total"] == 1
    assert page["items"][0]["doc_id"] == acme_doc
    keywords = [(k["text"], k["folded"]) for k in page["items"][0]["keywords"]]
    assert keywords == [("compost heap", False), ("mulch", False), ("heap", True)]
    assert (
        client.get(f"/v1/documents/{acme_doc}", headers=acme).json()["text"]
        == "text of https://acme.test/a"
    )
    _assert_error(client.get(f"/v1/documents/{beta_doc}", headers=acme), 404, "not_found")
    assert client.get("/v1/documents", headers=beta).json()["items"][0]["doc_id"] == beta_doc
    assert client.get("/v1/documents?date=2026-11-25", headers=acme).json()["total"] == 0
    _assert_error(client.get("/v1/documents?limit=0", headers=acme), 422, "validation_error")


def test_documents_show_the_latest_version_of_a_page(client, siex_home):
    """A page fetched on two days is listed once, with the newer keywords."""
    acme = _tenant(client, "acme")
    warehouse = Warehouse(siex_home.warehouse_dir)
    _store_document(warehouse, "acme", "2026-11-25", "https://acme.test/a", ["old keyword"])
    _store_document(warehouse, "acme", "2026-11-26", "https://acme.test/a", ["new keyword"])
    items = client.get("/v1/documents", headers=acme).json()["items"]
    assert len(items) == 1 and items[0]["date"] == "2026-11-26"
    assert [k["text"] for k in items[0]["keywords"]] == ["new keyword"]


def test_source_registered_through_api_is_seen_by_the_sensor(client, siex_home, server):
    """The RSS sensor picks up a source registered a moment ago, without a restart."""
    server.routes["/feed.xml"] = Route(
        body=rss_feed(server.base, [("/post.html", "Post", "Mon, 23 Nov 2026 10:00:00 GMT")]),
        headers={"Content-Type": "application/rss+xml"},
    )
    headers = _tenant(client, "acme")
    with instance_for_test() as instance:
        context = build_sensor_context(instance=instance, resources=build_resources(siex_home))
        assert not rss_sensor(context).run_requests
        response = client.post(
            "/v1/sources", json={"kind": "rss", "url": server.url("/feed.xml")}, headers=headers
        )
        assert response.status_code == 201
        context = build_sensor_context(instance=instance, resources=build_resources(siex_home))
        requests = rss_sensor(context).run_requests
    assert len(requests) == 1
    assert requests[0].tags["siex/tenant"] == "acme"


def test_extract_endpoint_uses_the_engine(client):
    """POST /v1/extract answers like `siex extract`, needs a key, and validates its input."""
    headers = _tenant(client, "acme")
    text = "Drip irrigation saves water. Drip irrigation kits are cheap and drip lines last."
    response = client.post("/v1/extract", json={"text": text, "top_k": 3}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lang"] == "en" and 1 <= len(body["keywords"]) <= 3
    assert body["keywords"][0]["text"] == "drip irrigation" and body["keywords"][0]["score"] == 1.0
    # a title fills its list with the pieces of its phrases, flagged as such
    title = {"text": "Latent semantic indexing of sparse matrices", "top_k": 10}
    keywords = client.post("/v1/extract", json=title, headers=headers).json()["keywords"]
    flags = {k["text"]: k["folded"] for k in keywords}
    assert flags["latent semantic indexing"] is False and flags["indexing"] is True, flags
    _assert_error(client.post("/v1/extract", json={"text": text}), 401, "unauthorized")
    _assert_error(
        client.post("/v1/extract", json={"text": ""}, headers=headers), 422, "validation_error"
    )
    _assert_error(
        client.post("/v1/extract", json={"text": text, "top_k": 0}, headers=headers),
        422,
        "validation_error",
    )
    french = client.post(
        "/v1/extract",
        json={"text": "Le compostage domestique réduit les déchets."},
        headers=headers,
    )
    assert french.json()["lang"] == "fr"


def test_reading_requests_take_no_write_lock(client, siex_home):
    """While another process holds SQLite's write lock, reads are answered (they would
    wait out the 30 s busy timeout and fail if they needed the lock); the key's
    last use is recorded once the lock is free."""
    import sqlite3

    headers = _tenant(client, "reader")
    writer = sqlite3.connect(siex_home.home / "platform.sqlite", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        assert client.get("/v1/sources", headers=headers).status_code == 200
        assert client.get("/v1/tenants/me", headers=headers).json()["id"] == "reader"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    client.get("/v1/sources", headers=headers)
    keys = client.get("/v1/api-keys", headers=headers).json()
    assert keys[0]["last_used_at"] is not None


def test_keyword_export_as_csv_and_parquet_is_audited(client, siex_home):
    import io

    import pyarrow.parquet as pq

    headers = _tenant(client, "exporter")
    warehouse = Warehouse(siex_home.warehouse_dir)
    _store_document(
        warehouse, "exporter", "2026-11-02", "https://e.example/a", ["drip irrigation", "mulch"],
        folded=["irrigation"],
    )  # fmt: skip
    _store_document(warehouse, "exporter", "2026-11-05", "https://e.example/b", ["compost"])
    query = "/v1/exports/keywords?date_from=2026-11-01&date_to=2026-11-03"
    csv = client.get(query, headers=headers)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "date,doc_id,url,title,lang,rank,keyword,score,folded"
    assert [line.split(",")[6] for line in lines[1:]] == ["drip irrigation", "mulch", "irrigation"]
    assert [line.split(",")[8] for line in lines[1:]] == ["false", "false", "true"]
    parquet = client.get(query + "&format=parquet", headers=headers)
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column("keyword").to_pylist() == ["drip irrigation", "mulch", "irrigation"]
    assert table.column("folded").to_pylist() == [False, False, True]
    backwards = client.get(
        "/v1/exports/keywords?date_from=2026-11-03&date_to=2026-11-01", headers=headers
    )
    _assert_error(backwards, 400, "bad_request")
    log = client.get("/v1/audit-logs?action=data.exported", headers=headers).json()["items"]
    assert [(e["details"]["format"], e["details"]["rows"]) for e in log] == [
        ("parquet", 3),
        ("csv", 3),
    ]
