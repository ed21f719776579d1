"""Tenant isolation on every endpoint: a user or key of one tenant can neither read nor
change nor learn of another tenant's data, whatever the path, query, header or body
says. The test walks the live OpenAPI schema, so a new endpoint without a case here
fails it. Also: hostile input (SQL-ish strings, oversized bodies) gets a clean answer."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from siex.platform.db import session_scope
from siex.platform.models import Tenant
from siex.warehouse import Warehouse
from siex_api.main import create_app
from tests.test_accounts import outbox, signup
from tests.test_api import _store_document
from tests.test_api_reports import publish_report

PIPELINE = {
    "name": "Alpha pipeline",
    "trigger": {"type": "new_document", "role": "competitor"},
    "actions": [{"type": "slack", "webhook_url": "https://hooks.slack.example/T0/B0/alpha-secret"}],
}

# Every route and how the isolation test exercises it.
COVERED = {
    ("get", "/v1/health"): "public, no tenant data",
    ("post", "/v1/auth/register"): "creates the caller's own tenant",
    ("post", "/v1/auth/verify"): "token-bound to its user",
    ("get", "/v1/auth/verify"): "token-bound to its user",
    ("post", "/v1/auth/verify/resend"): "the caller's own account",
    ("post", "/v1/auth/login"): "the caller's own account",
    ("post", "/v1/auth/refresh"): "token-bound to its session",
    ("post", "/v1/auth/logout"): "the caller's own session",
    ("get", "/v1/auth/me"): "lists only the caller's tenants",
    ("post", "/v1/auth/password"): "the caller's own account",
    ("post", "/v1/auth/password-reset"): "mail goes to the account's own address",
    ("post", "/v1/auth/password-reset/confirm"): "token-bound to its user",
    ("get", "/v1/tenants"): "lists only the caller's tenants",
    ("post", "/v1/tenants"): "an id taken by another tenant is a conflict, nothing more",
    ("get", "/v1/tenants/me"): "X-Tenant of another tenant: 404",
    ("get", "/v1/members"): "only the caller's members",
    ("post", "/v1/invitations"): "invites into the caller's tenant only",
    ("post", "/v1/invitations/accept"): "another email's token: refused",
    ("patch", "/v1/members/{user_id}"): "another tenant's member: 404",
    ("delete", "/v1/members/{user_id}"): "another tenant's member: 404",
    ("get", "/v1/pipelines"): "only the caller's pipelines",
    ("post", "/v1/pipelines"): "created in the caller's tenant",
    ("get", "/v1/pipelines/{pipeline_id}"): "another tenant's pipeline: 404",
    ("put", "/v1/pipelines/{pipeline_id}"): "another tenant's pipeline: 404",
    ("delete", "/v1/pipelines/{pipeline_id}"): "another tenant's pipeline: 404",
    ("get", "/v1/api-keys"): "only the caller's keys",
    ("post", "/v1/api-keys"): "the key belongs to the caller's tenant",
    ("delete", "/v1/api-keys/{key_id}"): "another tenant's key: 404, still valid",
    ("post", "/v1/api-keys/{key_id}/rotate"): "another tenant's key: 404",
    ("get", "/v1/sources"): "only the caller's sources",
    ("post", "/v1/sources"): "the same URL in two tenants is no conflict",
    ("get", "/v1/documents"): "only the caller's documents",
    (
        "post",
        "/v1/documents",
    ): "spooled in the caller's tenant: the same URL elsewhere is another document",
    ("get", "/v1/documents/{doc_id}"): "another tenant's document: 404",
    ("post", "/v1/extract"): "stateless; counts against the caller's quota only",
    ("get", "/v1/exports/keywords"): "reads only the caller's warehouse folders",
    ("get", "/v1/reports"): "lists only the caller's reports",
    ("get", "/v1/reports/{kind}"): "reads only the caller's report tables: 404 for another's",
    ("get", "/v1/reports/{kind}/export"): "reads only the caller's report tables",
    ("get", "/v1/reports/{kind}/charts/{name}"): "only charts listed in the caller's own index",
    ("get", "/v1/usage"): "only the caller's counters",
    ("get", "/v1/audit-logs"): "only the caller's entries",
    ("get", "/v1/billing"): "only the caller's plan and invoices",
    ("post", "/v1/billing/checkout"): "for the caller's tenant only",
    ("post", "/v1/billing/portal"): "for the caller's tenant only",
    ("post", "/v1/billing/webhook"): "authenticated by Stripe's signature, see test_billing",
}


@pytest.fixture
def client(siex_home):
    with TestClient(create_app(siex_home)) as test_client:
        yield test_client


def test_every_endpoint_has_an_isolation_case(client):
    paths = client.get("/openapi.json").json()["paths"]
    routes = {(method, path) for path, item in paths.items() for method in item}
    assert routes == set(COVERED), routes ^ set(COVERED)


def test_nothing_of_one_tenant_reaches_another(client, siex_home):
    alice = signup(client, "alice@example.com")
    a_headers = alice["headers"]
    a_tenant = client.get("/v1/tenants/me", headers=a_headers).json()["id"]
    with session_scope(siex_home.platform_db_url) as session:
        session.get(Tenant, a_tenant).plan = "professional"
    # Alice's data: a source, a document, a key, a second member, audit entries.
    a_source = client.post(
        "/v1/sources", json={"kind": "rss", "url": "https://a.example/feed"}, headers=a_headers
    )
    assert a_source.status_code == 201
    doc_id = _store_document(
        Warehouse(siex_home.warehouse_dir),
        a_tenant,
        "2026-11-01",
        "https://a.example/p",
        ["alpha secret"],
    )
    publish_report(
        Warehouse(siex_home.warehouse_dir), siex_home.reports_dir, a_tenant, "2026-11-01",
        ["alpha secret"],
    )  # fmt: skip
    a_push = client.post(
        "/v1/documents",
        json={"url": "https://a.example/pushed", "text": PUSHED_TEXT, "title": "Alpha pushed"},
        headers=a_headers,
    )
    assert a_push.status_code == 202, a_push.text
    a_key = client.post(
        "/v1/api-keys",
        json={"name": "a", "scopes": ["read", "write", "extract", "admin"]},
        headers=a_headers,
    ).json()
    a_pipeline = client.post("/v1/pipelines", json=PIPELINE, headers=a_headers)
    assert a_pipeline.status_code == 201, a_pipeline.text
    a_pipeline_id = a_pipeline.json()["id"]
    invite = client.post("/v1/invitations", json={"email": "carol@example.com"}, headers=a_headers)
    assert invite.status_code == 201
    carol = signup(client, "carol@example.com")
    carol_id = client.get("/v1/auth/me", headers=carol["headers"]).json()["id"]
    invite_token = outbox(siex_home, "invite", "carol@example.com")

    bob = signup(client, "bob@example.com")
    b_headers = bob["headers"]
    b_tenant = client.get("/v1/tenants/me", headers=b_headers).json()["id"]
    b_key = client.post(
        "/v1/api-keys",
        json={"scopes": ["read", "write", "extract", "pipelines", "admin", "billing"]},
        headers=b_headers,
    ).json()
    b_key_headers = {"Authorization": f"Bearer {b_key['api_key']}"}
    # Bob cannot use the invitation mailed to Carol; his refused try does not spend it.
    stolen = client.post("/v1/invitations/accept", json={"token": invite_token}, headers=b_headers)
    assert stolen.status_code == 400
    joined = client.post(
        "/v1/invitations/accept", json={"token": invite_token}, headers=carol["headers"]
    )
    assert joined.status_code == 200
    secrets_of_a = [
        a_tenant,
        doc_id,
        a_key["id"],
        a_key["prefix"],
        carol_id,
        "alpha secret",
        a_source.json()["id"],
        a_pipeline_id,
        "Alpha pipeline",
        "alice@example.com",
        a_push.json()["push_id"],
        a_push.json()["doc_id"],
    ]

    def leaks(response) -> list[str]:
        return [s for s in secrets_of_a if s in response.text]

    for headers in (b_headers, b_key_headers):
        # Reading: lists hold only Bob's things.
        for path in ("/v1/pipelines", "/v1/tenants/me", "/v1/members", "/v1/api-keys", "/v1/sources", "/v1/documents",
                     "/v1/usage", "/v1/audit-logs", "/v1/billing", "/v1/auth/me", "/v1/tenants"):  # fmt: skip
            response = client.get(path, headers=headers)
            assert response.status_code in (200, 401), (path, response.text)  # /auth/me: users only
            assert not leaks(response), (path, leaks(response))
        exported = client.get(
            "/v1/exports/keywords?date_from=2026-11-01&date_to=2026-11-01", headers=headers
        )
        assert exported.status_code == 200 and not leaks(exported)
        # Alice's report: Bob has none, of that day or any other, and cannot fetch its chart.
        listed = client.get("/v1/reports", headers=headers)
        assert listed.status_code == 200 and listed.json() == []
        for path in ("/v1/reports/keyword_trends?date=2026-11-01", "/v1/reports/keyword_trends",
                     "/v1/reports/keyword_trends/export?date=2026-11-01",
                     "/v1/reports/keyword_trends/charts/keyword_trends-change.png?date=2026-11-01"):  # fmt: skip
            response = client.get(path, headers=headers)
            assert response.status_code == 404 and not leaks(response), (path, response.text)
        # Naming Alice's things by id: not found, exactly like things that do not exist.
        for method, path, body in (
            ("get", f"/v1/documents/{doc_id}", None),
            ("delete", f"/v1/api-keys/{a_key['id']}", None),
            ("post", f"/v1/api-keys/{a_key['id']}/rotate", {"overlap_hours": 0}),
            ("patch", f"/v1/members/{carol_id}", {"role": "viewer"}),
            ("delete", f"/v1/members/{carol_id}", None),
            ("get", f"/v1/pipelines/{a_pipeline_id}", None),
            ("put", f"/v1/pipelines/{a_pipeline_id}", PIPELINE),
            ("delete", f"/v1/pipelines/{a_pipeline_id}", None),
        ):
            response = client.request(method, path, json=body, headers=headers)
            missing = client.request(
                method,
                path.replace(doc_id, "nope")
                .replace(a_key["id"], "nope")
                .replace(carol_id, "nope")
                .replace(a_pipeline_id, "nope"),
                json=body,
                headers=headers,
            )
            assert response.status_code == 404 and response.json() == missing.json(), (method, path)
        # Naming Alice's tenant in the header: a user gets 404; a key keeps its own tenant.
        pointed = client.get("/v1/sources", headers={**headers, "X-Tenant": a_tenant})
        if headers is b_headers:
            assert pointed.status_code == 404
        else:
            assert pointed.status_code == 200 and not leaks(pointed)
        # Pushing Alice's URLs: Bob's own documents, spooled in Bob's tenant only.
        for url in ("https://a.example/p", "https://a.example/pushed"):
            pushed = client.post(
                "/v1/documents", json={"url": url, "text": PUSHED_TEXT}, headers=headers
            )
            assert pushed.status_code == 202 and not leaks(pushed), pushed.text
            assert pushed.json()["doc_id"] not in (doc_id, a_push.json()["doc_id"])
        # Writing in Bob's tenant does not touch Alice's: the same feed URL is no conflict.
        same_feed = client.post(
            "/v1/sources", json={"kind": "rss", "url": "https://a.example/feed"}, headers=headers
        )
        assert same_feed.status_code in (201, 409)
        taken = client.post("/v1/tenants", json={"name": "x", "id": a_tenant}, headers=headers)
        assert taken.status_code in (409, 401) and not leaks(taken)
        checkout = client.post("/v1/billing/checkout", json={"plan": "creator"}, headers=headers)
        assert not leaks(checkout)
        portal = client.post("/v1/billing/portal", headers=headers)
        assert not leaks(portal)
    # Everything of Alice's is intact: her key works, Carol is still a member, one source.
    a_key_headers = {"Authorization": f"Bearer {a_key['api_key']}"}
    assert (
        client.get("/v1/sources", headers=a_key_headers).json()[0]["url"]
        == "https://a.example/feed"
    )
    assert {m["email"] for m in client.get("/v1/members", headers=a_headers).json()} == {
        "alice@example.com",
        "carol@example.com",
    }
    assert client.get(f"/v1/documents/{doc_id}", headers=a_headers).json()["text"] == (
        "text of https://a.example/p"
    )
    spool = Warehouse(siex_home.warehouse_dir).root / "pushed_documents"
    assert len(list((spool / f"tenant={a_tenant}").rglob("*.parquet"))) == 1  # Alice's own push
    assert len(list((spool / f"tenant={b_tenant}").rglob("*.parquet"))) == 4
    assert b_tenant != a_tenant


@pytest.mark.parametrize(
    "hostile",
    ["' OR 1=1 --", "x'); DROP TABLE tenants; --", "%' UNION SELECT secret_hash FROM api_keys --",
     "../../etc/passwd", "\x00\x01\x02", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ☃ " * 10],
)  # fmt: skip
def test_sql_ish_input_is_just_data(client, hostile):
    owner = signup(client, "sqli@example.com")
    headers = owner["headers"]
    for method, path, body in (
        ("get", f"/v1/documents/{quote(hostile, safe='')}", None),
        ("get", f"/v1/audit-logs?action={quote(hostile, safe='')}", None),
        ("post", "/v1/auth/login", {"email": hostile, "password": hostile}),
        ("post", "/v1/api-keys", {"name": hostile, "scopes": ["read"]}),
        ("post", "/v1/sources", {"kind": "rss", "url": f"https://x.example/{hostile}"}),
        ("post", "/v1/extract", {"text": hostile}),
        ("delete", f"/v1/api-keys/{quote(hostile, safe='')}", None),
        ("get", "/v1/sources", None),
        ("get", f"/v1/reports/{quote(hostile, safe='')}", None),
        ("get", f"/v1/reports/keyword_trends/charts/{quote(hostile, safe='')}", None),
    ):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code < 500, (method, path, response.text)
        answer = response.json()
        assert response.status_code < 300 or set(answer) == {"error"}, answer
    assert client.get("/v1/tenants/me", headers=headers).status_code == 200  # tables intact


def test_oversized_input_is_refused_cleanly(client):
    owner = signup(client, "big@example.com")
    headers = owner["headers"]
    huge = "word " * 300_000  # 1.5 MB, over the 1,000,000-character limit
    response = client.post("/v1/extract", json={"text": huge}, headers=headers)
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"
    for path, body in (
        ("/v1/auth/register", {"email": "a" * 10_000 + "@example.com", "password": PASSWORD_LIKE}),
        ("/v1/auth/login", {"email": "x@example.com", "password": "p" * 100_000}),
        ("/v1/api-keys", {"name": "n" * 10_000, "scopes": ["read"]}),
    ):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 422, (path, response.status_code)
    assert client.get("/v1/auth/verify", params={"token": "t" * 5000}).status_code == 422


PASSWORD_LIKE = "correct horse battery staple"
PUSHED_TEXT = (
    "Alpha pushed this note about raised garden beds, their soil mix of compost, loam and "
    "grit, and how often the beds need water in a dry summer week."
)
