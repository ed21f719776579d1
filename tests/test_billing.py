"""Stripe billing against a local Stripe double: Checkout, portal, signed webhooks,
grace, usage sent as meter events, and the Dagster jobs. Databases are real SQLite."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import stripe
from dagster import DagsterInstance, SkipReason, build_schedule_context
from fastapi.testclient import TestClient
from sqlalchemy import select

from siex.config import Settings, get_settings
from siex.platform import accounts, billing, quotas
from siex.platform.db import session_scope
from siex.platform.models import AuditLog, Invoice, StripeEvent, Tenant, UsageEvent, utcnow
from siex.platform.service import issue_api_key
from siex_api.main import create_app
from siex_assets.billing.resources import StripeResource
from siex_assets.billing.schedules import report_usage_hourly
from siex_assets.definitions import build_definitions
from tests.conftest import LiveApi
from tests.stripe_server import StripeDouble

PRICES = {"creator": "price_creator_monthly", "professional": "price_professional_monthly"}
SECRET = "whsec_current_0123456789abcdef"
ROTATED_OUT = "whsec_previous_0123456789abcdef"  # still accepted while Stripe rotates
PUBLIC_URL = "https://app.siex.example"
PASSWORD = "a long enough passphrase 42"


@pytest.fixture(autouse=True)
def quick_sdk_retries(monkeypatch):
    # The SDK waits at least 0.5 s before retrying; the retries themselves stay real.
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(stripe._http_client.HTTPClient, "MAX_DELAY", 0.02)


@pytest.fixture
def stripe_api():
    double = StripeDouble(prices=PRICES.values())
    yield double
    double.close()


@pytest.fixture
def settings(siex_home, stripe_api, monkeypatch) -> Settings:
    monkeypatch.setenv("SIEX_STRIPE_API_KEY", "sk_test_siex")
    monkeypatch.setenv("SIEX_STRIPE_API_BASE", stripe_api.base)
    monkeypatch.setenv("SIEX_STRIPE_WEBHOOK_SECRETS", json.dumps([SECRET, ROTATED_OUT]))
    monkeypatch.setenv("SIEX_STRIPE_PRICES", json.dumps(PRICES))
    monkeypatch.setenv("SIEX_PUBLIC_URL", PUBLIC_URL)
    return get_settings()


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as test_client:
        yield test_client


# -- helpers -------------------------------------------------------------------------


def _owner(settings: Settings, email: str, verified: bool = True) -> tuple[str, dict]:
    """A signed-in owner of a new organization: (tenant id, auth headers)."""
    with session_scope(settings.platform_db_url) as session:
        user = accounts.register(session, email, PASSWORD)
        if verified:
            user.email_verified_at = utcnow()
        pair = accounts.start_session(
            session, user, settings.resolved_jwt_secret(), timedelta(minutes=15), timedelta(days=1)
        )
        tenant_id = accounts.memberships_of(session, user.id)[0].tenant_id
    return tenant_id, {"Authorization": f"Bearer {pair.access_token}"}


def _key(settings: Settings, tenant_id: str, scopes: tuple[str, ...]) -> dict:
    with session_scope(settings.platform_db_url) as session:
        tenant = session.get(Tenant, tenant_id)
        plaintext, _ = issue_api_key(session, tenant, settings.resolved_secret_key(), scopes=scopes)
    return {"Authorization": f"Bearer {plaintext}"}


def _tenant(settings: Settings, tenant_id: str) -> Tenant:
    with session_scope(settings.platform_db_url) as session:
        return session.get(Tenant, tenant_id)


def _with_customer(settings: Settings, tenant_id: str) -> str:
    """Create the tenant's Stripe customer (in the double), as a first checkout does."""
    with session_scope(settings.platform_db_url) as session:
        return _with_customer_in(session, settings, tenant_id)


def _with_customer_in(session, settings: Settings, tenant_id: str) -> str:
    tenant = session.get(Tenant, tenant_id)
    return billing.ensure_customer(session, tenant, billing.stripe_client(settings))


def _closed_port() -> str:
    """A loopback address nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def _sign(payload: bytes, secret: str, at: int | None = None) -> str:
    """Stripe's scheme, computed here independently of the SDK."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def _event(kind: str, obj: dict, created: int | None = None) -> dict:
    return {
        "id": f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()) if created is None else created,
        "type": kind,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": obj},
    }


def _subscription(customer: str, price: str, status: str = "active", sub_id: str = "sub_1"):
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": False,
        "metadata": {},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "object": "subscription_item",
                    "price": {"id": price, "object": "price", "recurring": {"interval": "month"}},
                    "quantity": 1,
                }
            ],
        },
    }


def _subscribed(
    customer: str, plan: str, created: int | None = None, kind="created", status="active"
) -> dict:
    """A ``customer.subscription.<kind>`` event for the price of ``plan``."""
    subscription = _subscription(customer, PRICES[plan], status)
    return _event(f"customer.subscription.{kind}", subscription, created)


def _invoice(customer: str, status: str, paid: bool, invoice_id: str = "in_1") -> dict:
    start = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer,
        "status": status,
        "currency": "eur",
        "amount_due": 1900,
        "amount_paid": 1900 if paid else 0,
        "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_test/{invoice_id}",
        "period_start": start,
        "period_end": start + 30 * 86400,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": "sub_1", "metadata": {}},
        },
    }


def _deliver(client, event: dict, secret: str = SECRET, at: int | None = None):
    payload = json.dumps(event).encode()
    return client.post(
        "/v1/billing/webhook",
        content=payload,
        headers={
            "Stripe-Signature": _sign(payload, secret, at),
            "Content-Type": "application/json",
        },
    )


def _apply(settings: Settings, event: dict, now: datetime | None = None) -> str:
    with session_scope(settings.platform_db_url) as session:
        return billing.handle_event(session, event, settings, now)


def _plan_changes(settings: Settings, tenant_id: str) -> list[dict]:
    with session_scope(settings.platform_db_url) as session:
        rows = session.scalars(
            select(AuditLog)
            .where(AuditLog.tenant_id == tenant_id, AuditLog.action == "plan.changed")
            .order_by(AuditLog.id)
        )
        return [row.details for row in rows]


# -- Checkout and portal -------------------------------------------------------------


def test_checkout_creates_one_customer_and_a_subscription_session(client, settings, stripe_api):
    tenant_id, headers = _owner(settings, "owner@example.com")

    first = client.post("/v1/billing/checkout", json={"plan": "creator"}, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["id"].startswith("cs_test_")
    assert first.json()["url"].startswith("https://checkout.stripe.com/")
    (customer_id,) = stripe_api.customers
    assert stripe_api.customers[customer_id]["metadata"] == {"tenant_id": tenant_id}
    assert _tenant(settings, tenant_id).stripe_customer_id == customer_id

    sent = stripe_api.requests_to("/v1/checkout/sessions")[-1]
    assert sent.params["mode"] == "subscription"
    assert sent.params["customer"] == customer_id
    assert sent.params["client_reference_id"] == tenant_id
    assert sent.params["line_items"] == [{"price": PRICES["creator"], "quantity": "1"}]
    assert sent.params["success_url"].startswith(f"{PUBLIC_URL}/billing?")
    assert "{CHECKOUT_SESSION_ID}" in sent.params["success_url"]
    assert sent.params["cancel_url"].startswith(f"{PUBLIC_URL}/billing?")
    assert sent.params["subscription_data"] == {"metadata": {"tenant_id": tenant_id}}
    assert sent.headers["authorization"] == "Bearer sk_test_siex"
    assert sent.headers["idempotency-key"] and sent.headers["stripe-version"]

    second = client.post("/v1/billing/checkout", json={"plan": "professional"}, headers=headers)
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]
    assert len(stripe_api.customers) == 1 and len(stripe_api.requests_to("/v1/customers")) == 1
    last = stripe_api.requests_to("/v1/checkout/sessions")[-1]
    assert last.params["customer"] == customer_id
    assert last.params["line_items"][0]["price"] == PRICES["professional"]


def test_a_metered_price_joins_every_subscription_without_a_quantity(siex_home, monkeypatch):
    """With SIEX_STRIPE_METERED_PRICE the reported usage is billed: Checkout adds the
    metered price as a second line item, without a quantity, as Stripe requires."""
    double = StripeDouble(prices=PRICES.values(), metered_prices=["price_extractions_metered"])
    try:
        monkeypatch.setenv("SIEX_STRIPE_API_KEY", "sk_test_siex")
        monkeypatch.setenv("SIEX_STRIPE_API_BASE", double.base)
        monkeypatch.setenv("SIEX_STRIPE_PRICES", json.dumps(PRICES))
        monkeypatch.setenv("SIEX_STRIPE_METERED_PRICE", "price_extractions_metered")
        settings = get_settings()
        _tenant_id, headers = _owner(settings, "metered@example.com")
        with TestClient(create_app(settings)) as client:
            response = client.post(
                "/v1/billing/checkout", json={"plan": "creator"}, headers=headers
            )
        assert response.status_code == 201, response.text
        sent = double.requests_to("/v1/checkout/sessions")[-1]
        assert sent.params["line_items"] == [
            {"price": PRICES["creator"], "quantity": "1"},
            {"price": "price_extractions_metered"},
        ]
    finally:
        double.close()


def test_a_customer_lost_by_a_rollback_is_found_again_not_duplicated(settings, stripe_api):
    tenant_id, _ = _owner(settings, "owner@example.com")
    with pytest.raises(RuntimeError), session_scope(settings.platform_db_url) as session:
        first = _with_customer_in(session, settings, tenant_id)
        raise RuntimeError("the request failed after Stripe created the customer")
    assert _tenant(settings, tenant_id).stripe_customer_id is None

    assert _with_customer(settings, tenant_id) == first
    assert list(stripe_api.customers) == [first]


def test_checkout_needs_a_verified_email_and_the_billing_scope(client, settings, stripe_api):
    tenant_id, unverified = _owner(settings, "new@example.com", verified=False)
    _assert_error(
        client.post("/v1/billing/checkout", json={"plan": "creator"}, headers=unverified),
        403,
        "email_not_verified",
    )
    no_billing = _key(settings, tenant_id, ("read", "write"))
    for path in ("/v1/billing/checkout", "/v1/billing/portal"):
        response = client.post(path, json={"plan": "creator"}, headers=no_billing)
        _assert_error(response, 403, "insufficient_scope")
    _assert_error(client.get("/v1/billing", headers=no_billing), 403, "insufficient_scope")
    _assert_error(
        client.post("/v1/billing/checkout", json={"plan": "creator"}), 401, "unauthorized"
    )
    assert stripe_api.requests == []

    # An API key has no email to verify: the billing scope is enough.
    with_billing = _key(settings, tenant_id, ("read", "billing"))
    response = client.post("/v1/billing/checkout", json={"plan": "creator"}, headers=with_billing)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("plan", "status", "code"),
    [
        ("gold", 422, "unknown_plan"),
        ("free", 400, "plan_not_available"),
        ("enterprise", 400, "plan_not_available"),  # no price configured
    ],
)
def test_checkout_refuses_plans_without_a_price(client, settings, stripe_api, plan, status, code):
    _tenant_id, headers = _owner(settings, f"{plan}@example.com")
    response = client.post("/v1/billing/checkout", json={"plan": plan}, headers=headers)
    _assert_error(response, status, code)
    assert stripe_api.requests == []


def test_checkout_refused_while_a_subscription_is_paid(client, settings):
    tenant_id, headers = _owner(settings, "paying@example.com")
    customer = _with_customer(settings, tenant_id)
    assert _apply(settings, _subscribed(customer, "creator")) == "processed"
    response = client.post("/v1/billing/checkout", json={"plan": "professional"}, headers=headers)
    _assert_error(response, 409, "subscription_exists")


def test_stripe_down_or_unreachable_is_a_502_never_a_500(client, settings, stripe_api, monkeypatch):
    tenant_id, headers = _owner(settings, "owner@example.com")
    stripe_api.down = True
    response = client.post("/v1/billing/checkout", json={"plan": "creator"}, headers=headers)
    _assert_error(response, 502, "billing_unavailable")
    attempts = stripe_api.requests_to("/v1/customers")
    assert len(attempts) == 1 + billing.NETWORK_RETRIES  # retried, with one key
    assert len({a.headers["idempotency-key"] for a in attempts}) == 1
    assert _tenant(settings, tenant_id).stripe_customer_id is None

    # Only Checkout fails: the customer created on the way is kept and reused.
    stripe_api.down = False
    stripe_api.fail = lambda request: request.path == "/v1/checkout/sessions"
    response = client.post("/v1/billing/checkout", json={"plan": "creator"}, headers=headers)
    _assert_error(response, 502, "billing_unavailable")
    (customer_id,) = stripe_api.customers
    assert _tenant(settings, tenant_id).stripe_customer_id == customer_id
    stripe_api.fail = None
    response = client.post("/v1/billing/checkout", json={"plan": "creator"}, headers=headers)
    assert response.status_code == 201, response.text
    assert len(stripe_api.customers) == 1

    monkeypatch.setenv("SIEX_STRIPE_API_BASE", _closed_port())
    with TestClient(create_app(get_settings())) as unreachable:
        response = unreachable.post("/v1/billing/portal", headers=headers)
    _assert_error(response, 502, "billing_unavailable")


def test_portal_needs_a_customer(client, settings, stripe_api):
    tenant_id, headers = _owner(settings, "owner@example.com")
    _assert_error(client.post("/v1/billing/portal", headers=headers), 409, "no_customer")
    customer_id = _with_customer(settings, tenant_id)

    response = client.post("/v1/billing/portal", headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["url"].startswith("https://billing.stripe.com/p/session/")
    sent = stripe_api.requests_to("/v1/billing_portal/sessions")[-1]
    assert sent.params == {"customer": customer_id, "return_url": f"{PUBLIC_URL}/billing"}


def test_billing_not_configured(client, settings, monkeypatch):
    _tenant_id, headers = _owner(settings, "owner@example.com")
    monkeypatch.delenv("SIEX_STRIPE_API_KEY")
    monkeypatch.setenv("SIEX_STRIPE_WEBHOOK_SECRETS", "[]")
    with TestClient(create_app(get_settings())) as bare:
        response = bare.post("/v1/billing/checkout", json={"plan": "creator"}, headers=headers)
        _assert_error(response, 503, "billing_not_configured")
        event = _event("invoice.paid", _invoice("cus_x", "paid", paid=True))
        _assert_error(_deliver(bare, event), 503, "billing_not_configured")


# -- webhooks ------------------------------------------------------------------------


def _stored_events(settings: Settings) -> list[str]:
    with session_scope(settings.platform_db_url) as session:
        return list(session.scalars(select(StripeEvent.id)))


def test_webhook_accepts_only_recent_payloads_signed_with_a_configured_secret(client, settings):
    tenant_id, _headers = _owner(settings, "owner@example.com")
    customer = _with_customer(settings, tenant_id)

    def event() -> dict:
        return _subscribed(customer, "creator", kind="updated")

    refused = [
        _deliver(client, event(), secret="whsec_someone_else"),
        _deliver(client, event(), at=int(time.time()) - 301),  # outside the 300 s tolerance
        client.post("/v1/billing/webhook", content=json.dumps(event()).encode()),  # no header
    ]
    tampered = json.dumps(event()).encode()
    refused.append(
        client.post(
            "/v1/billing/webhook",
            content=tampered.replace(b"active", b"trialing"),
            headers={"Stripe-Signature": _sign(tampered, SECRET)},
        )
    )
    for response in refused:
        _assert_error(response, 400, "invalid_signature")
    assert _stored_events(settings) == []
    assert _tenant(settings, tenant_id).plan == "free"

    accepted = _deliver(client, event())
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"received": True, "outcome": "processed"}
    assert _tenant(settings, tenant_id).plan == "creator"
    rotated = _deliver(client, event(), secret=ROTATED_OUT)
    assert rotated.status_code == 200 and rotated.json()["outcome"] == "processed"
    assert len(_stored_events(settings)) == 2


def test_webhook_refuses_signed_payloads_that_are_not_events(client):
    for payload in (b"not json", b'{"object": "v2.core.event", "id": "evt_1"}'):
        response = client.post(
            "/v1/billing/webhook",
            content=payload,
            headers={"Stripe-Signature": _sign(payload, SECRET)},
        )
        _assert_error(response, 400, "invalid_payload")


def test_a_redelivered_event_is_applied_once(client, settings):
    tenant_id, _headers = _owner(settings, "owner@example.com")
    customer = _with_customer(settings, tenant_id)
    event = _subscribed(customer, "creator")

    assert _deliver(client, event).json()["outcome"] == "processed"
    assert _deliver(client, event).json()["outcome"] == "duplicate"
    assert _plan_changes(settings, tenant_id) == [
        {
            "before": "free",
            "after": "creator",
            "source": "stripe",
            "event_id": event["id"],
            "status": "active",
        }
    ]


def test_an_upgrade_raises_quotas_at_once(client, settings):
    tenant_id, headers = _owner(settings, "owner@example.com")
    customer = _with_customer(settings, tenant_id)
    with session_scope(settings.platform_db_url) as session:
        tenant = session.get(Tenant, tenant_id)
        quotas.consume(session, tenant, "extractions", 1_000)  # the free plan's whole month
    with pytest.raises(quotas.QuotaExceeded), session_scope(settings.platform_db_url) as session:
        quotas.consume(session, session.get(Tenant, tenant_id), "extractions")

    event = _subscribed(customer, "creator", kind="updated")
    assert _deliver(client, event).json()["outcome"] == "processed"

    with session_scope(settings.platform_db_url) as session:
        state = quotas.consume(session, session.get(Tenant, tenant_id), "extractions")
    assert (state.used, state.limit) == (1_001, 10_000)
    shown = client.get("/v1/billing", headers=headers).json()
    assert shown["plan"] == "creator" and shown["billing_status"] == "active"
    assert shown["has_stripe_customer"] is True


def test_subscription_events_out_of_order_keep_the_newest_state(settings):
    tenant_id, _headers = _owner(settings, "owner@example.com")
    customer = _with_customer(settings, tenant_id)
    now = int(time.time())
    creator = _subscribed(customer, "creator", now - 20, kind="updated")
    professional = _subscribed(customer, "professional", now - 10, kind="updated")
    deleted = _subscribed(customer, "professional", now, kind="deleted", status="canceled")

    assert _apply(settings, professional) == "processed"
    assert _apply(settings, creator) == "stale"  # older than what was applied
    assert _tenant(settings, tenant_id).plan == "professional"
    assert _apply(settings, deleted) == "processed"
    tenant = _tenant(settings, tenant_id)
    assert (tenant.plan, tenant.billing_status) == ("free", "canceled")
    assert [(c["before"], c["after"]) for c in _plan_changes(settings, tenant_id)] == [
        ("free", "professional"),
        ("professional", "free"),
    ]


def test_the_end_of_a_replaced_subscription_does_not_downgrade(settings):
    tenant_id, _headers = _owner(settings, "owner@example.com")
    customer = _with_customer(settings, tenant_id)
    now = int(time.time())
    new = _subscription(customer, PRICES["professional"], sub_id="sub_new")
    old_ended = _subscription(customer, PRICES["creator"], status="canceled", sub_id="sub_old")
    assert _apply(settings, _event("customer.subscription.created", new, now - 5)) == "processed"
    assert _apply(settings, _event("customer.subscription.deleted", old_ended, now)) == "ignored"
    assert _tenant(settings, tenant_id).plan == "professional"


def test_checkout_completed_links_customer_and_subscription(settings):
    tenant_id, _headers = _owner(settings, "owner@example.com")
    completed = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": tenant_id,
        "customer": "cus_from_checkout",
        "subscription": "sub_from_checkout",
        "status": "complete",
        "payment_status": "paid",
    }
    assert _apply(settings, _event("checkout.session.completed", completed)) == "processed"
    tenant = _tenant(settings, tenant_id)
    assert tenant.stripe_customer_id == "cus_from_checkout"
    assert tenant.stripe_subscription_id == "sub_from_checkout"
    assert tenant.plan == "free"  # the plan comes with the subscription event

    subscription = _subscription("cus_from_checkout", PRICES["creator"], sub_id="sub_from_checkout")
    assert _apply(settings, _event("customer.subscription.created", subscription)) == "processed"
    assert _tenant(settings, tenant_id).plan == "creator"


def test_failed_payment_gives_a_grace_period_then_free(client, settings):
    tenant_id, headers = _owner(settings, "owner@example.com")
    customer = _with_customer(settings, tenant_id)
    start = datetime(2026, 11, 2, 12, tzinfo=UTC)
    _apply(settings, _subscribed(customer, "creator"))

    failed = _event("invoice.payment_failed", _invoice(customer, "open", paid=False))
    assert _apply(settings, failed, now=start) == "processed"
    tenant = _tenant(settings, tenant_id)
    grace_until = start + timedelta(days=settings.billing_grace_days)
    assert (tenant.plan, tenant.billing_status) == ("creator", "past_due")
    assert tenant.grace_until.replace(tzinfo=UTC) == grace_until
    shown = client.get("/v1/billing", headers=headers).json()
    assert shown["billing_status"] == "past_due"
    assert datetime.fromisoformat(shown["grace_until"]) == grace_until
    assert shown["invoices"][0]["status"] == "open" and shown["invoices"][0]["amount_paid"] == 0

    retry_failed = _event("invoice.payment_failed", _invoice(customer, "open", paid=False))
    _apply(settings, retry_failed, now=start + timedelta(days=3))  # Stripe's smart retries
    assert _tenant(settings, tenant_id).grace_until.replace(tzinfo=UTC) == grace_until

    with session_scope(settings.platform_db_url) as session:
        assert billing.enforce_grace(session, grace_until - timedelta(seconds=1)) == []
    with session_scope(settings.platform_db_url) as session:
        assert billing.enforce_grace(session, grace_until) == [tenant_id]
    tenant = _tenant(settings, tenant_id)
    assert (tenant.plan, tenant.billing_status, tenant.grace_until) == ("free", "canceled", None)
    assert _plan_changes(settings, tenant_id)[-1] == {
        "before": "creator",
        "after": "free",
        "source": "grace",
        "reason": "grace_ended",
    }


def test_paid_invoice_ends_the_grace_and_is_mirrored(client, settings):
    tenant_id, headers = _owner(settings, "owner@example.com")
    customer = _with_customer(settings, tenant_id)
    now = int(time.time())
    _apply(settings, _subscribed(customer, "creator", now - 60))
    failed = _event("invoice.payment_failed", _invoice(customer, "open", paid=False), now - 30)
    paid = _event("invoice.paid", _invoice(customer, "paid", paid=True), now)
    assert _deliver(client, failed).json()["outcome"] == "processed"
    assert _deliver(client, paid).json()["outcome"] == "processed"
    late_failure = _event(
        "invoice.payment_failed", _invoice(customer, "open", paid=False), now - 20
    )
    assert _deliver(client, late_failure).json()["outcome"] == "stale"

    tenant = _tenant(settings, tenant_id)
    assert (tenant.plan, tenant.billing_status, tenant.grace_until) == ("creator", "active", None)
    with session_scope(settings.platform_db_url) as session:
        (mirror,) = session.scalars(select(Invoice)).all()
        assert (mirror.id, mirror.tenant_id, mirror.status) == ("in_1", tenant_id, "paid")
    (shown,) = client.get("/v1/billing", headers=headers).json()["invoices"]
    assert shown["amount_paid"] == 1900 and shown["currency"] == "eur"
    assert shown["hosted_invoice_url"] == "https://invoice.stripe.com/i/acct_test/in_1"
    assert shown["period_start"].startswith("2026-11-01T00:00:00")


# -- usage as meter events -----------------------------------------------------------


def _usage(settings: Settings, tenant_id: str, quantity: int, resource="extractions", ago=None):
    occurred = utcnow() - (ago or timedelta(minutes=5))
    with session_scope(settings.platform_db_url) as session:
        key = f"test:{secrets.token_hex(8)}"
        quotas.record_usage(session, tenant_id, resource, key, quantity, occurred_at=occurred)
        return session.scalar(select(UsageEvent.id).where(UsageEvent.idempotency_key == key))


def _report(settings: Settings) -> billing.UsageReport:
    with session_scope(settings.platform_db_url) as session:
        return billing.report_usage(session, billing.stripe_client(settings), settings)


def _reported(settings: Settings) -> set[str]:
    with session_scope(settings.platform_db_url) as session:
        marked = select(UsageEvent.id).where(UsageEvent.reported_at.is_not(None))
        return set(session.scalars(marked))


def test_usage_is_sent_once_per_event_with_its_identifier(settings, stripe_api):
    paying, _ = _owner(settings, "paying@example.com")
    free, _ = _owner(settings, "free@example.com")
    customer = _with_customer(settings, paying)
    sent = {_usage(settings, paying, quantity): quantity for quantity in (1, 2, 5)}
    _usage(settings, paying, 3, resource="documents")  # not what the meter counts
    _usage(settings, free, 4)  # no Stripe customer

    report = _report(settings)
    assert (report.sent, report.failed) == (3, 0)
    assert set(stripe_api.meter_events) == set(sent)
    for identifier, quantity in sent.items():
        event = stripe_api.meter_events[identifier]
        assert event["event_name"] == settings.stripe_meter_event
        assert event["payload"] == {"stripe_customer_id": customer, "value": str(quantity)}
        assert abs(event["timestamp"] - (time.time() - 300)) < 30
    assert _reported(settings) == set(sent)

    requests_before = len(stripe_api.requests)
    assert _report(settings).sent == 0
    assert len(stripe_api.requests) == requests_before


def test_a_failed_event_does_not_stop_the_others_and_is_sent_on_retry(settings, stripe_api):
    tenant_id, _ = _owner(settings, "owner@example.com")
    _with_customer(settings, tenant_id)
    ids = [_usage(settings, tenant_id, 1, ago=timedelta(minutes=m)) for m in (30, 20, 10)]
    stripe_api.fail = lambda request: request.params.get("identifier") == ids[1]

    report = _report(settings)
    assert (report.sent, report.failed) == (2, 1)
    assert report.errors and report.errors[0].startswith(ids[1])
    assert _reported(settings) == {ids[0], ids[2]}
    tries = [r for r in stripe_api.requests if r.params.get("identifier") == ids[1]]
    assert len(tries) == 1 + billing.NETWORK_RETRIES
    assert len({r.headers["idempotency-key"] for r in tries}) == 1

    stripe_api.fail = None
    assert _report(settings).sent == 1
    assert set(stripe_api.meter_events) == set(ids) and _reported(settings) == set(ids)
    sent_tried_resent = 2 + (1 + billing.NETWORK_RETRIES) + 1
    assert len(stripe_api.requests_to("/v1/billing/meter_events")) == sent_tried_resent


def test_a_lost_answer_or_a_lost_mark_never_counts_usage_twice(settings, stripe_api):
    tenant_id, _ = _owner(settings, "owner@example.com")
    _with_customer(settings, tenant_id)
    usage_id = _usage(settings, tenant_id, 7)
    seen = []

    def lose_the_first_answer(request) -> bool:
        seen.append(request)
        return len(seen) == 1

    stripe_api.lose = lose_the_first_answer

    report = _report(settings)
    assert (report.sent, report.failed) == (1, 0)  # the SDK's retry replayed Stripe's answer
    assert [r.status for r in stripe_api.requests_to("/v1/billing/meter_events")] == [None, 200]
    assert len(stripe_api.meter_events) == 1

    with session_scope(settings.platform_db_url) as session:  # as if a crash lost the mark
        session.get(UsageEvent, usage_id).reported_at = None
    report = _report(settings)
    assert (report.sent, report.already_in_stripe, report.failed) == (0, 1, 0)
    assert len(stripe_api.meter_events) == 1 and _reported(settings) == {usage_id}


def test_usage_older_than_stripe_accepts_is_not_sent(settings, stripe_api):
    tenant_id, _ = _owner(settings, "owner@example.com")
    _with_customer(settings, tenant_id)
    _usage(settings, tenant_id, 1, ago=timedelta(days=40))
    report = _report(settings)
    assert (report.sent, report.failed, report.too_old) == (0, 0, 1)
    assert stripe_api.meter_events == {}


# -- Dagster -------------------------------------------------------------------------


def test_report_usage_job_runs_against_stripe(settings, stripe_api):
    tenant_id, _ = _owner(settings, "owner@example.com")
    _with_customer(settings, tenant_id)
    ids = {_usage(settings, tenant_id, n) for n in (1, 2)}
    job = build_definitions(settings).resolve_job_def("report_usage_to_stripe")

    with DagsterInstance.ephemeral() as instance:
        stripe_api.down = True
        failed = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not failed.success
        assert _reported(settings) == set()

        stripe_api.down = False
        result = job.execute_in_process(instance=instance)
        assert result.success
        assert result.output_for_node("send_usage_to_stripe") == 2
        logged = [
            e.message for e in instance.all_logs(result.run_id) if e.message and "sent" in e.message
        ]
        assert any("sent 2" in message for message in logged)
    assert set(stripe_api.meter_events) == ids == _reported(settings)


def test_grace_job_downgrades_in_process(settings):
    tenant_id, _ = _owner(settings, "owner@example.com")
    customer = _with_customer(settings, tenant_id)
    _apply(settings, _subscribed(customer, "creator"))
    long_ago = utcnow() - timedelta(days=settings.billing_grace_days + 1)
    _apply(settings, _event("invoice.payment_failed", _invoice(customer, "open", False)), long_ago)
    job = build_definitions(settings).resolve_job_def("enforce_billing_grace")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance)
    assert result.success and result.output_for_node("downgrade_after_grace") == 1
    assert _tenant(settings, tenant_id).plan == "free"


def test_usage_schedule_skips_without_stripe(settings, monkeypatch):
    scheduled = datetime(2026, 11, 27, 10, 5, tzinfo=UTC)
    context = build_schedule_context(
        resources={"stripe_billing": StripeResource()}, scheduled_execution_time=scheduled
    )
    assert report_usage_hourly(context).run_key == "report_usage:2026-11-27T10"
    monkeypatch.delenv("SIEX_STRIPE_API_KEY")
    assert isinstance(report_usage_hourly(context), SkipReason)


# -- through a real server -----------------------------------------------------------


def test_checkout_and_webhook_through_uvicorn(settings, stripe_api):
    tenant_id, headers = _owner(settings, "owner@example.com")
    with LiveApi(settings) as api, httpx.Client(base_url=api.url) as http:
        response = http.post("/v1/billing/checkout", json={"plan": "creator"}, headers=headers)
        assert response.status_code == 201, response.text
        customer = _tenant(settings, tenant_id).stripe_customer_id
        payload = json.dumps(_subscribed(customer, "creator"), indent=2).encode()  # as sent
        response = http.post(
            "/v1/billing/webhook",
            content=payload,
            headers={"Stripe-Signature": _sign(payload, SECRET)},
        )
        assert response.status_code == 200, response.text
        assert http.get("/v1/billing", headers=headers).json()["plan"] == "creator"
