"""Pipeline definitions through the API: validation, sealed credentials, roles, the
pipelines quota and the audit trail."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from siex.platform import pipelines
from siex.platform.db import session_scope
from siex.platform.models import AuditLog, Pipeline, Tenant
from siex_api.main import create_app
from tests.test_accounts import outbox, signup

SLACK_URL = "https://hooks.slack.example/services/T000/B000/very-secret-token"
DEFINITION = {
    "name": "Competitor posts to Slack",
    "trigger": {"type": "new_document", "role": "competitor"},
    "steps": [{"type": "extract_keywords"}, {"type": "top_keywords", "params": {"k": 5}}],
    "actions": [
        {"type": "slack", "webhook_url": SLACK_URL},
        {"type": "email", "to": ["seo@example.com"]},
    ],
}


@pytest.fixture
def client(siex_home):
    with TestClient(create_app(siex_home)) as test_client:
        yield test_client


def test_credentials_are_sealed_at_rest_and_masked_in_answers(client, siex_home):
    owner = signup(client, "pipes@example.com")
    created = client.post("/v1/pipelines", json=DEFINITION, headers=owner["headers"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["actions"][0]["webhook_url"] == pipelines.MASK
    assert body["actions"][1]["to"] == ["seo@example.com"]
    assert SLACK_URL not in client.get("/v1/pipelines", headers=owner["headers"]).text
    raw = b"".join(f.read_bytes() for f in siex_home.home.glob("platform.sqlite*"))
    assert b"very-secret-token" not in raw
    # Sending the mask back keeps the credential; the runner reads it in clear.
    edited = {**DEFINITION, "name": "Renamed", "actions": body["actions"]}
    replaced = client.put(f"/v1/pipelines/{body['id']}", json=edited, headers=owner["headers"])
    assert replaced.status_code == 200 and replaced.json()["name"] == "Renamed"
    with session_scope(siex_home.platform_db_url) as session:
        stored = session.get(Pipeline, body["id"])
        clear = pipelines.unsealed_actions(stored.actions, siex_home.resolved_secret_key())
        assert clear[0]["webhook_url"] == SLACK_URL
        with pytest.raises(ValueError, match="cannot unseal"):
            pipelines.unsealed_actions(stored.actions, "another secret key")


@pytest.mark.parametrize(
    "change",
    [
        {"trigger": {"type": "cron-ish", "cron": "* * * * *"}},
        {"trigger": {"type": "schedule", "cron": "every day"}},
        {"actions": []},
        {"actions": [{"type": "slack", "webhook_url": SLACK_URL, "extra": 1}]},
        {"actions": [{"type": "email", "to": ["not an email"]}]},
        {"actions": [{"type": "wordpress", "site_url": "ftp://x", "username": "u",
                      "application_password": "abcd efgh ijkl"}]},
        {"steps": [{"type": "run_shell"}]},
        {"name": ""},
    ],
)  # fmt: skip
def test_invalid_definitions_are_refused(client, change):
    owner = signup(client, "invalid@example.com")
    response = client.post("/v1/pipelines", json={**DEFINITION, **change}, headers=owner["headers"])
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"


def test_roles_quota_and_audit(client, siex_home):
    owner = signup(client, "lead@example.com")
    tenant_id = client.get("/v1/tenants/me", headers=owner["headers"]).json()["id"]
    with session_scope(siex_home.platform_db_url) as session:
        session.get(Tenant, tenant_id).plan = "professional"  # 3 seats, 50 pipelines
    members = {}
    for role in ("member", "viewer"):
        email = f"{role}@example.com"
        assert (
            client.post(
                "/v1/invitations", json={"email": email, "role": role}, headers=owner["headers"]
            ).status_code
            == 201
        )
        person = signup(client, email)
        token = outbox(siex_home, "invite", email)
        assert (
            client.post(
                "/v1/invitations/accept", json={"token": token}, headers=person["headers"]
            ).status_code
            == 200
        )
        members[role] = {**person["headers"], "X-Tenant": tenant_id}
    viewer_try = client.post("/v1/pipelines", json=DEFINITION, headers=members["viewer"])
    assert viewer_try.status_code == 403
    made = client.post("/v1/pipelines", json=DEFINITION, headers=members["member"])
    assert made.status_code == 201
    pipeline_id = made.json()["id"]
    assert client.get(f"/v1/pipelines/{pipeline_id}", headers=members["viewer"]).status_code == 200
    assert (
        client.delete(f"/v1/pipelines/{pipeline_id}", headers=members["member"]).status_code == 403
    )
    assert (
        client.delete(f"/v1/pipelines/{pipeline_id}", headers=owner["headers"]).status_code == 204
    )
    assert client.get(f"/v1/pipelines/{pipeline_id}", headers=owner["headers"]).status_code == 404
    # Back on the free plan: three pipelines, the fourth is refused; deleting frees one.
    with session_scope(siex_home.platform_db_url) as session:
        session.get(Tenant, tenant_id).plan = "free"
    ids = [
        client.post("/v1/pipelines", json=DEFINITION, headers=owner["headers"]).json()["id"]
        for _ in range(3)
    ]
    over = client.post("/v1/pipelines", json=DEFINITION, headers=owner["headers"])
    assert over.status_code == 402 and over.json()["error"]["details"]["resource"] == "pipelines"
    assert client.delete(f"/v1/pipelines/{ids[0]}", headers=owner["headers"]).status_code == 204
    assert (
        client.post("/v1/pipelines", json=DEFINITION, headers=owner["headers"]).status_code == 201
    )
    with session_scope(siex_home.platform_db_url) as session:
        actions = session.scalars(
            select(AuditLog.action).where(
                AuditLog.tenant_id == tenant_id, AuditLog.action.like("pipeline.%")
            )
        ).all()
    assert actions.count("pipeline.created") == 5 and actions.count("pipeline.deleted") == 2
