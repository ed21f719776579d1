"""Accounts through the API: register, verify, sign in, rotate and revoke tokens,
reset passwords, scoped keys, roles and invitations, the audit trail."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient

from siex_api.main import create_app

PASSWORD = "correct horse battery staple"


@pytest.fixture
def client(siex_home):
    with TestClient(create_app(siex_home)) as test_client:
        yield test_client


def outbox(settings, kind: str, to: str) -> str:
    """The token of the last mail of ``kind`` sent to ``to`` (the outbox notifier)."""
    lines = (settings.home / "outbox.jsonl").read_text().splitlines()
    mails = [json.loads(line) for line in lines]
    mail = [m for m in mails if m["kind"] == kind and m["to"] == to][-1]
    return mail["body"].split("token: ")[1].split()[0]


def signup(client, email: str, verify: bool = True) -> dict:
    """Register (and verify) an account; returns its tokens and auth header."""
    assert (
        client.post("/v1/auth/register", json={"email": email, "password": PASSWORD}).status_code
        == 201
    )
    if verify:
        token = outbox(client.app.state.settings, "verify", email.lower())
        assert client.post("/v1/auth/verify", json={"token": token}).status_code == 200
    tokens = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    tokens["headers"] = {"Authorization": f"Bearer {tokens['access_token']}"}
    return tokens


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_register_verify_login_and_me(client, siex_home):
    """Email is normalized; the account owns a free tenant; the password is an Argon2id hash."""
    response = client.post(
        "/v1/auth/register", json={"email": " Ada@Example.COM ", "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["email"] == "ada@example.com" and not user["email_verified"]
    assert [t["role"] for t in user["tenants"]] == ["owner"]
    token = outbox(siex_home, "verify", "ada@example.com")
    assert client.post("/v1/auth/verify", json={"token": token}).json()["email_verified"]
    assert error_code(client.post("/v1/auth/verify", json={"token": token})) == "invalid_token"
    login = client.post("/v1/auth/login", json={"email": "ADA@example.com", "password": PASSWORD})
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    me = client.get("/v1/auth/me", headers=headers).json()
    assert me["email_verified"] and me["tenants"][0]["id"] == user["tenants"][0]["id"]
    tenant = client.get("/v1/tenants/me", headers=headers).json()
    assert tenant["plan"] == "free" and tenant["role"] == "owner"
    raw = b"".join(f.read_bytes() for f in siex_home.home.glob("platform.sqlite*"))
    assert PASSWORD.encode() not in raw and b"$argon2id$" in raw
    again = client.post(
        "/v1/auth/register", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("password", "code"),
    [("short", "weak_password"), ("1234567890", "weak_password"), ("aaaaaaaaaaaa", "weak_password"),
     ("grace-hopper-rocks", "weak_password")],
)  # fmt: skip
def test_password_policy(client, password, code):
    response = client.post(
        "/v1/auth/register", json={"email": "grace@example.com", "password": password}
    )
    assert response.status_code == 422 and error_code(response) == code


def test_bad_emails_are_refused(client):
    for email in ("not-an-email", "a@b", "x" * 300 + "@example.com", "ada@exa mple.com"):
        response = client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
        assert response.status_code == 422, email


def test_login_does_not_reveal_whether_an_email_exists(client):
    signup(client, "known@example.com", verify=False)
    wrong = client.post(
        "/v1/auth/login", json={"email": "known@example.com", "password": "wrong password!"}
    )
    unknown = client.post(
        "/v1/auth/login", json={"email": "nobody@example.com", "password": "wrong password!"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    reset_known = client.post("/v1/auth/password-reset", json={"email": "known@example.com"})
    reset_unknown = client.post("/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert reset_known.status_code == reset_unknown.status_code == 202
    assert reset_known.json() == reset_unknown.json()


def test_login_brute_force_is_slowed_per_account(client, siex_home):
    signup(client, "target@example.com", verify=False)
    for _ in range(siex_home.login_attempts_per_15min):
        bad = client.post(
            "/v1/auth/login", json={"email": "target@example.com", "password": "guess guess"}
        )
        assert bad.status_code == 401
    blocked = client.post(
        "/v1/auth/login", json={"email": "target@example.com", "password": PASSWORD}
    )
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    # The client address is limited too: another account from here waits as well.
    other = client.post("/v1/auth/login", json={"email": "other@example.com", "password": PASSWORD})
    assert other.status_code == 429
    # The failed attempts are in the target tenant's audit log, and only there.
    from sqlalchemy import select

    from siex.platform.db import session_scope
    from siex.platform.models import AuditLog

    with session_scope(siex_home.platform_db_url) as session:
        failed = session.scalars(
            select(AuditLog).where(AuditLog.action == "auth.login_failed")
        ).all()
    assert len(failed) == siex_home.login_attempts_per_15min
    assert {f.tenant_id for f in failed} == {signup_tenant(siex_home, "target@example.com")}


def signup_tenant(settings, email: str) -> str:
    from siex.platform import accounts
    from siex.platform.db import session_scope

    with session_scope(settings.platform_db_url) as session:
        user = accounts.find_user(session, email)
        return accounts.memberships_of(session, user.id)[0].tenant_id


def test_refresh_rotates_and_a_replayed_token_revokes_the_family(client):
    tokens = signup(client, "rot@example.com")
    first = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200
    second = client.post("/v1/auth/refresh", json={"refresh_token": first.json()["refresh_token"]})
    assert second.status_code == 200
    replay = client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replay.status_code == 401 and error_code(replay) == "token_reused"
    # The whole sign-in is gone: the newest refresh and access tokens no longer work.
    latest = client.post("/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]})
    assert latest.status_code == 401
    headers = {"Authorization": f"Bearer {second.json()['access_token']}"}
    assert client.get("/v1/auth/me", headers=headers).status_code == 401


def test_logout_and_password_change_end_sessions(client):
    a = signup(client, "out@example.com")
    b = client.post(
        "/v1/auth/login", json={"email": "out@example.com", "password": PASSWORD}
    ).json()
    assert client.post("/v1/auth/logout", headers=a["headers"]).status_code == 200
    assert client.get("/v1/auth/me", headers=a["headers"]).status_code == 401
    assert (
        client.post("/v1/auth/refresh", json={"refresh_token": a["refresh_token"]}).status_code
        == 401
    )
    b_headers = {"Authorization": f"Bearer {b['access_token']}"}
    assert client.get("/v1/auth/me", headers=b_headers).status_code == 200
    new = "a much better passphrase"
    changed = client.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": new},
        headers=b_headers,
    )
    assert changed.status_code == 200
    assert client.get("/v1/auth/me", headers=b_headers).status_code == 401
    assert (
        client.post(
            "/v1/auth/login", json={"email": "out@example.com", "password": PASSWORD}
        ).status_code
        == 401
    )
    assert (
        client.post(
            "/v1/auth/login", json={"email": "out@example.com", "password": new}
        ).status_code
        == 200
    )


def test_password_reset_by_token(client, siex_home):
    signup(client, "forgot@example.com")
    assert (
        client.post("/v1/auth/password-reset", json={"email": "forgot@example.com"}).status_code
        == 202
    )
    token = outbox(siex_home, "reset", "forgot@example.com")
    weak = client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": "short"}
    )
    assert weak.status_code == 422
    token = (
        client.post("/v1/auth/password-reset", json={"email": "forgot@example.com"}),
        outbox(siex_home, "reset", "forgot@example.com"),
    )[1]
    new = "another long passphrase"
    assert (
        client.post(
            "/v1/auth/password-reset/confirm", json={"token": token, "new_password": new}
        ).status_code
        == 200
    )
    again = client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": new + "!"}
    )
    assert again.status_code == 400
    assert (
        client.post(
            "/v1/auth/login", json={"email": "forgot@example.com", "password": new}
        ).status_code
        == 200
    )


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_and_expired_access_tokens_are_refused(client, siex_home):
    tokens = signup(client, "jwt@example.com")
    token = tokens["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    other = signup(client, "victim@example.com")
    victim = json.loads(base64.urlsafe_b64decode(other["access_token"].split(".")[1] + "=="))
    forged = [
        f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",  # alg none
        f"{header}.{_b64({**claims, 'sub': victim['sub']})}.{signature}",  # claims swapped
        jwt.encode(
            {**claims, "sub": victim["sub"], "sid": victim["sid"]},
            "guessed-secret",
            algorithm="HS256",
        ),
        jwt.encode(
            {**claims, "exp": int(time.time()) - 10},
            siex_home.resolved_jwt_secret(),
            algorithm="HS256",
        ),
        jwt.encode(
            {**claims, "typ": "refresh"}, siex_home.resolved_jwt_secret(), algorithm="HS256"
        ),
        token[:-3] + ("abc" if not token.endswith("abc") else "xyz"),
    ]
    for bad in forged:
        response = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
        assert (
            client.get("/v1/tenants/me", headers={"Authorization": f"Bearer {bad}"}).status_code
            == 401
        )


def test_scoped_keys_expiry_revocation_and_rotation(client):
    owner = signup(client, "keys@example.com")
    created = client.post(
        "/v1/api-keys",
        json={"name": "ci", "scopes": ["read"], "environment": "test"},
        headers=owner["headers"],
    )
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["api_key"].startswith("sk_test_") and key["scopes"] == ["read"]
    read_only = {"Authorization": f"Bearer {key['api_key']}"}
    assert client.get("/v1/sources", headers=read_only).status_code == 200
    denied = client.post("/v1/extract", json={"text": "Drip irrigation."}, headers=read_only)
    assert denied.status_code == 403 and error_code(denied) == "insufficient_scope"
    assert client.get("/v1/api-keys", headers=read_only).status_code == 403  # admin scope
    listed = client.get("/v1/api-keys", headers=owner["headers"]).json()
    assert [k["prefix"] for k in listed] == [key["prefix"]] and "api_key" not in listed[0]
    # Rotation: both keys work during the overlap; with no overlap the old one stops.
    rotated = client.post(
        f"/v1/api-keys/{key['id']}/rotate", json={"overlap_hours": 1}, headers=owner["headers"]
    )
    assert rotated.status_code == 201
    new_headers = {"Authorization": f"Bearer {rotated.json()['api_key']}"}
    assert client.get("/v1/sources", headers=new_headers).status_code == 200
    assert client.get("/v1/sources", headers=read_only).status_code == 200
    again = client.post(
        f"/v1/api-keys/{rotated.json()['id']}/rotate",
        json={"overlap_hours": 0},
        headers=owner["headers"],
    )
    assert client.get("/v1/sources", headers=new_headers).status_code == 401
    newest = {"Authorization": f"Bearer {again.json()['api_key']}"}
    assert (
        client.delete(f"/v1/api-keys/{again.json()['id']}", headers=owner["headers"]).status_code
        == 200
    )
    assert client.get("/v1/sources", headers=newest).status_code == 401
    # A key cannot be given a scope its creator lacks; an expired key stops working.
    viewer_cannot = client.post(
        "/v1/api-keys", json={"scopes": ["billing"]}, headers=owner["headers"]
    )
    assert viewer_cannot.status_code == 201  # the owner holds billing
    actions = [
        i["action"] for i in client.get("/v1/audit-logs", headers=owner["headers"]).json()["items"]
    ]
    assert {"api_key.created", "api_key.rotated", "api_key.revoked", "auth.login"} <= set(actions)


def test_expired_key_is_refused(client, siex_home):
    from siex.platform.db import session_scope
    from siex.platform.models import ApiKey, utcnow

    owner = signup(client, "exp@example.com")
    key = client.post(
        "/v1/api-keys", json={"scopes": ["read"], "expires_in_days": 1}, headers=owner["headers"]
    ).json()
    headers = {"Authorization": f"Bearer {key['api_key']}"}
    assert client.get("/v1/sources", headers=headers).status_code == 200
    with session_scope(siex_home.platform_db_url) as session:
        session.get(ApiKey, key["id"]).expires_at = utcnow() - timedelta(seconds=1)
    assert client.get("/v1/sources", headers=headers).status_code == 401


def test_roles_invitations_and_seat_limits(client, siex_home):
    from siex.platform.db import session_scope
    from siex.platform.models import Tenant

    owner = signup(client, "boss@example.com")
    tenant_id = client.get("/v1/tenants/me", headers=owner["headers"]).json()["id"]
    # The free plan has one seat: inviting needs a bigger plan.
    full = client.post(
        "/v1/invitations", json={"email": "mia@example.com"}, headers=owner["headers"]
    )
    assert full.status_code == 402 and error_code(full) == "member_limit"
    with session_scope(siex_home.platform_db_url) as session:
        session.get(Tenant, tenant_id).plan = "professional"  # 3 seats
    invited = client.post(
        "/v1/invitations",
        json={"email": "mia@example.com", "role": "viewer"},
        headers=owner["headers"],
    )
    assert invited.status_code == 201, invited.text
    mia = signup(client, "mia@example.com")
    token = outbox(siex_home, "invite", "mia@example.com")
    intruder = signup(client, "eve@example.com")
    wrong_user = client.post(
        "/v1/invitations/accept", json={"token": token}, headers=intruder["headers"]
    )
    assert wrong_user.status_code == 400
    # (the token is spent by the refused attempt only if it matched: it did not)
    joined = client.post("/v1/invitations/accept", json={"token": token}, headers=mia["headers"])
    assert joined.status_code == 200, joined.text
    as_team = {**mia["headers"], "X-Tenant": tenant_id}
    assert client.get("/v1/tenants/me", headers=as_team).json()["role"] == "viewer"
    assert client.get("/v1/sources", headers=as_team).status_code == 200
    denied = client.post(
        "/v1/sources", json={"kind": "rss", "url": "https://x.example/feed"}, headers=as_team
    )
    assert denied.status_code == 403
    # Eve is no member: the tenant does not exist for her.
    eve_view = client.get("/v1/sources", headers={**intruder["headers"], "X-Tenant": tenant_id})
    missing = client.get(
        "/v1/sources", headers={**intruder["headers"], "X-Tenant": "no-such-tenant"}
    )
    assert eve_view.status_code == missing.status_code == 404 and eve_view.json() == missing.json()
    promoted = client.patch(
        f"/v1/members/{joined.json()['user_id']}", json={"role": "admin"}, headers=owner["headers"]
    )
    assert promoted.json()["role"] == "admin"
    cannot_crown = client.patch(
        f"/v1/members/{joined.json()['user_id']}", json={"role": "owner"}, headers=as_team
    )
    assert cannot_crown.status_code == 403
    me_id = client.get("/v1/auth/me", headers=owner["headers"]).json()["id"]
    last_owner = client.patch(
        f"/v1/members/{me_id}", json={"role": "member"}, headers=owner["headers"]
    )
    assert last_owner.status_code == 409
    actions = [
        i["action"] for i in client.get("/v1/audit-logs", headers=owner["headers"]).json()["items"]
    ]
    assert {"member.invited", "member.joined", "member.role_changed"} <= set(actions)


def test_unverified_user_cannot_invite(client):
    owner = signup(client, "unverified@example.com", verify=False)
    response = client.post(
        "/v1/invitations", json={"email": "x@example.com"}, headers=owner["headers"]
    )
    assert response.status_code == 403 and error_code(response) == "email_not_verified"


def test_audit_log_is_read_only_and_admin_only(client):
    owner = signup(client, "audit@example.com")
    key = client.post("/v1/api-keys", json={"scopes": ["read"]}, headers=owner["headers"]).json()
    reader = {"Authorization": f"Bearer {key['api_key']}"}
    assert client.get("/v1/audit-logs", headers=reader).status_code == 403
    page = client.get("/v1/audit-logs?limit=1", headers=owner["headers"]).json()
    assert len(page["items"]) == 1 and page["next_before_id"]
    entry = page["items"][0]
    assert entry["action"] == "api_key.created" and entry["actor_user_id"] and entry["client_ip"]
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/v1/audit-logs", headers=owner["headers"])
        assert response.status_code == 405
