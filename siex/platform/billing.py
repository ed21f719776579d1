"""Stripe billing: customers, Checkout and portal sessions, webhook events, grace, usage.

Nothing here knows about HTTP: the API and the Dagster jobs pass a SQLAlchemy session
and a ``stripe.StripeClient`` from ``stripe_client(settings)``. Refusals are
``BillingError`` with a stable ``code`` and the HTTP status the API answers with.

Webhook events are applied once (``stripe_events`` keeps their ids) and in order:
a subscription event older than the last one applied to the tenant is stale, because
Stripe does not promise delivery in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import stripe
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siex.config import Settings
from siex.platform import audit
from siex.platform.db import dialect_insert
from siex.platform.models import Invoice, StripeEvent, Tenant, UsageEvent, utcnow
from siex.platform.plans import PLANS

log = logging.getLogger("siex.billing")

NETWORK_RETRIES = 2  # the SDK retries connection errors, 409 and 5xx with the same Idempotency-Key
TIMEOUT_S = (5.0, 30.0)  # connect, read: an API request must not hang on Stripe for 80 s
METERED_RESOURCE = "extractions"  # the usage that SIEX_STRIPE_METER_EVENT counts
# Stripe refuses meter events older than 35 days; keep an hour of margin for slow runs.
METER_EVENT_MAX_AGE = timedelta(days=35) - timedelta(hours=1)

ACTIVE = ("active", "trialing")
LATE = ("past_due", "unpaid")
ENDED = ("canceled", "incomplete_expired", "paused")  # no service without payment


class BillingError(Exception):
    """A refused billing operation; ``code`` is stable and machine-readable."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# -- the Stripe client ---------------------------------------------------------------


def stripe_client(settings: Settings) -> stripe.StripeClient:
    """A client for ``settings.stripe_api_base`` (api.stripe.com when unset)."""
    if not settings.stripe_api_key:
        raise BillingError("billing_not_configured", "billing is not configured here", 503)
    return _client(settings.stripe_api_key, settings.stripe_api_base)


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str | None) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_S),
    )


@contextmanager
def _calling_stripe(what: str) -> Iterator[None]:
    """Stripe unreachable or refusing: a BillingError (502), logged without secrets."""
    try:
        yield
    except stripe.StripeError as exc:
        log.warning(
            "Stripe %s failed: %s (HTTP %s, request %s): %s",
            what,
            type(exc).__name__,
            exc.http_status,
            exc.request_id,
            exc.user_message,  # Stripe masks keys in its messages
        )
        raise BillingError(
            "billing_unavailable", "the payment provider is unavailable; try again later", 502
        ) from exc


# -- plans and prices ----------------------------------------------------------------


def price_of(settings: Settings, plan: str) -> str:
    """The Stripe price of a plan that can be bought, or BillingError."""
    if plan not in PLANS:
        raise BillingError("unknown_plan", f"unknown plan {plan!r}", 422)
    price = settings.stripe_prices.get(plan)
    if not price or plan == "free":
        raise BillingError("plan_not_available", f"the {plan} plan cannot be bought online", 400)
    return price


def plan_of_price(settings: Settings, price_id: str | None) -> str | None:
    plans = {price: plan for plan, price in settings.stripe_prices.items() if plan in PLANS}
    return plans.get(price_id) if price_id else None


def check_checkout(tenant: Tenant, plan: str, settings: Settings) -> str:
    """The price to check out ``plan`` with, or the BillingError refusing it."""
    price = price_of(settings, plan)
    if has_live_subscription(tenant):
        raise BillingError(
            "subscription_exists", "change the plan of the subscription in the billing portal", 409
        )
    return price


def has_live_subscription(tenant: Tenant) -> bool:
    """A paid subscription, or one paying late: a second one would bill twice."""
    return tenant.stripe_subscription_id is not None and (
        tenant.plan != "free" or tenant.billing_status == "past_due"
    )


# -- customers, Checkout, portal -----------------------------------------------------


def ensure_customer(session: Session, tenant: Tenant, client: stripe.StripeClient) -> str:
    """The tenant's Stripe customer, created on first use (metadata ``tenant_id``)."""
    if tenant.stripe_customer_id:
        return tenant.stripe_customer_id
    with _calling_stripe("customer creation"):
        customer = client.v1.customers.create(
            params={"name": tenant.name, "metadata": {"tenant_id": tenant.id}},
            # Two concurrent first checkouts get the same customer, not two.
            options={"idempotency_key": f"siex-customer-{tenant.id}"},
        )
    tenant.stripe_customer_id = customer.id
    session.flush()
    return customer.id


def checkout_session(
    session: Session,
    tenant: Tenant,
    plan: str,
    settings: Settings,
    client: stripe.StripeClient,
) -> tuple[str, str]:
    """A Stripe Checkout session subscribing the tenant to ``plan``: (id, url)."""
    price = check_checkout(tenant, plan, settings)
    customer = ensure_customer(session, tenant, client)
    base = settings.public_url.rstrip("/")
    with _calling_stripe("checkout session"):
        checkout = client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer,
                "client_reference_id": tenant.id,
                "line_items": [
                    {"price": price, "quantity": 1},
                    # The usage-based part: a metered price billed from the meter events.
                    *(
                        [{"price": settings.stripe_metered_price}]
                        if settings.stripe_metered_price
                        else []
                    ),
                ],
                "success_url": f"{base}/billing?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
                "cancel_url": f"{base}/billing?checkout=canceled",
                "metadata": {"tenant_id": tenant.id, "plan": plan},
                # Subscription events then name the tenant even before the customer is linked.
                "subscription_data": {"metadata": {"tenant_id": tenant.id}},
            }
        )
    return checkout.id, checkout.url


def portal_session(tenant: Tenant, settings: Settings, client: stripe.StripeClient) -> str:
    """The URL of a Stripe customer portal session (invoices, card, plan, cancel)."""
    if not tenant.stripe_customer_id:
        raise BillingError("no_customer", "this organization has no billing account yet", 409)
    with _calling_stripe("portal session"):
        portal = client.v1.billing_portal.sessions.create(
            params={
                "customer": tenant.stripe_customer_id,
                "return_url": f"{settings.public_url.rstrip('/')}/billing",
            }
        )
    return portal.url


# -- webhook events ------------------------------------------------------------------


def handle_event(
    session: Session, event: Mapping[str, Any], settings: Settings, now: datetime | None = None
) -> str:
    """Apply a verified webhook event once. Returns what happened: ``processed``,
    ``duplicate`` (seen before), ``stale`` (older than what was applied) or ``ignored``."""
    if not _first_delivery(session, event):
        return "duplicate"
    handler = _HANDLERS.get(event["type"])
    if handler is None:
        return "ignored"
    return handler(session, event, settings, now or utcnow())


def _first_delivery(session: Session, event: Mapping[str, Any]) -> bool:
    """Insert the event id; False when it is there already (this delivery is a retry)."""
    result = session.execute(
        dialect_insert(session, StripeEvent)
        .values(
            id=event["id"], type=event["type"], created=int(event["created"]), processed_at=utcnow()
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return result.rowcount == 1


def _tenant(
    session: Session, customer: str | None = None, tenant_id: str | None = None
) -> Tenant | None:
    """The tenant of a Stripe customer, else the one named by metadata; row-locked."""
    if customer:
        found = session.scalar(
            select(Tenant).where(Tenant.stripe_customer_id == customer).with_for_update()
        )
        if found is not None:
            return found
    if tenant_id:
        found = session.scalar(select(Tenant).where(Tenant.id == tenant_id).with_for_update())
        if found is not None and found.stripe_customer_id in (None, customer):
            return found
    return None


def _set_plan(session: Session, tenant: Tenant, plan: str, **details: Any) -> None:
    if tenant.plan != plan:
        audit.record(
            session,
            "plan.changed",
            tenant.id,
            target=tenant.id,
            before=tenant.plan,
            after=plan,
            **details,
        )
        tenant.plan = plan


def _start_grace(tenant: Tenant, settings: Settings, now: datetime) -> None:
    """Paying late: the plan is kept until the grace ends (not extended by retries)."""
    if tenant.plan == "free" or tenant.billing_status == "past_due":
        return
    tenant.billing_status = "past_due"
    tenant.grace_until = now + timedelta(days=settings.billing_grace_days)


def _on_checkout_completed(
    session: Session, event: Mapping[str, Any], settings: Settings, now: datetime
) -> str:
    checkout = event["data"]["object"]
    if checkout.get("mode") != "subscription":
        return "ignored"
    customer = checkout.get("customer")
    tenant = _tenant(session, customer, checkout.get("client_reference_id"))
    if tenant is None:
        log.warning("checkout %s: no tenant for customer %s", checkout.get("id"), customer)
        return "ignored"
    if customer and tenant.stripe_customer_id is None:
        tenant.stripe_customer_id = customer
    if checkout.get("subscription"):
        tenant.stripe_subscription_id = checkout["subscription"]
    return "processed"


def _on_subscription(
    session: Session, event: Mapping[str, Any], settings: Settings, now: datetime
) -> str:
    subscription = event["data"]["object"]
    customer = subscription.get("customer")
    tenant = _tenant(session, customer, (subscription.get("metadata") or {}).get("tenant_id"))
    if tenant is None:
        log.warning("subscription %s: no tenant for customer %s", subscription["id"], customer)
        return "ignored"
    created = int(event["created"])
    if tenant.subscription_event_at is not None and created < tenant.subscription_event_at:
        return "stale"
    deleted = event["type"] == "customer.subscription.deleted"
    status = "canceled" if deleted else subscription.get("status")
    current = tenant.stripe_subscription_id
    if status in ENDED and current not in (None, subscription["id"]):
        return "ignored"  # the end of a subscription the tenant has replaced
    details = {"source": "stripe", "event_id": event["id"], "status": status}
    if status in ACTIVE:
        plan = next(
            (
                plan
                for item in (subscription.get("items") or {}).get("data", [])
                if (plan := plan_of_price(settings, (item.get("price") or {}).get("id")))
            ),
            None,
        )
        if plan is None:
            log.warning("subscription %s has no price of SIEX_STRIPE_PRICES", subscription["id"])
            return "ignored"
        _set_plan(session, tenant, plan, **details)
        tenant.billing_status, tenant.grace_until = "active", None
    elif status in LATE:
        _start_grace(tenant, settings, now)
    elif status in ENDED:
        _set_plan(session, tenant, "free", **details)
        tenant.billing_status, tenant.grace_until = "canceled", None
    # else "incomplete": the first payment is pending, nothing is granted yet
    if customer and tenant.stripe_customer_id is None:
        tenant.stripe_customer_id = customer
    tenant.stripe_subscription_id = subscription["id"]
    tenant.subscription_event_at = created
    return "processed"


def _invoice_subscription(invoice: Mapping[str, Any]) -> str | None:
    """The invoice's subscription: ``parent.subscription_details`` since API 2025-03-31."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription = details.get("subscription") or invoice.get("subscription")
    return subscription if isinstance(subscription, str) else (subscription or {}).get("id")


def _timestamp(seconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def _on_invoice(
    session: Session, event: Mapping[str, Any], settings: Settings, now: datetime
) -> str:
    invoice = event["data"]["object"]
    tenant = _tenant(session, invoice.get("customer"))
    if tenant is None:
        log.warning("invoice %s: no tenant for customer %s", invoice["id"], invoice.get("customer"))
        return "ignored"
    at = datetime.fromtimestamp(int(event["created"]), UTC)
    mirror = session.get(Invoice, invoice["id"])
    if mirror is not None and mirror.updated_at > at:
        return "stale"
    if mirror is None:
        mirror = Invoice(id=invoice["id"], tenant_id=tenant.id)
        session.add(mirror)
    mirror.status = invoice.get("status") or ""
    mirror.currency = invoice.get("currency") or ""
    mirror.amount_due = invoice.get("amount_due") or 0
    mirror.amount_paid = invoice.get("amount_paid") or 0
    mirror.hosted_invoice_url = invoice.get("hosted_invoice_url")
    mirror.period_start = _timestamp(invoice.get("period_start"))
    mirror.period_end = _timestamp(invoice.get("period_end"))
    mirror.updated_at = at
    subscription = _invoice_subscription(invoice)
    if subscription and tenant.stripe_subscription_id not in (None, subscription):
        return "processed"  # an invoice of an older subscription: mirrored only
    if event["type"] == "invoice.paid" and tenant.billing_status == "past_due":
        tenant.billing_status, tenant.grace_until = "active", None
    elif event["type"] == "invoice.payment_failed":
        _start_grace(tenant, settings, now)
    return "processed"


_HANDLERS: dict[str, Callable[[Session, Mapping[str, Any], Settings, datetime], str]] = {
    "checkout.session.completed": _on_checkout_completed,
    "customer.subscription.created": _on_subscription,
    "customer.subscription.updated": _on_subscription,
    "customer.subscription.deleted": _on_subscription,
    "invoice.paid": _on_invoice,
    "invoice.payment_failed": _on_invoice,
}
HANDLED_EVENTS = tuple(_HANDLERS)


# -- grace ---------------------------------------------------------------------------


def enforce_grace(session: Session, now: datetime | None = None) -> list[str]:
    """Downgrade to free every tenant whose grace ended unpaid; returns their ids."""
    now = now or utcnow()
    tenants = session.scalars(
        select(Tenant)
        .where(
            Tenant.billing_status == "past_due",
            Tenant.grace_until.is_not(None),
            Tenant.grace_until <= now,
        )
        .with_for_update()
    ).all()
    for tenant in tenants:
        _set_plan(session, tenant, "free", source="grace", reason="grace_ended")
        tenant.billing_status, tenant.grace_until = "canceled", None
    return [tenant.id for tenant in tenants]


# -- usage ---------------------------------------------------------------------------


@dataclass
class UsageReport:
    sent: int = 0
    already_in_stripe: int = 0  # sent before, the answer lost: Stripe knew the identifier
    failed: int = 0
    too_old: int = 0  # older than Stripe accepts: never sent
    errors: list[str] = field(default_factory=list)


def report_usage(
    session: Session,
    client: stripe.StripeClient,
    settings: Settings,
    limit: int = 1000,
    now: datetime | None = None,
) -> UsageReport:
    """Send unreported extraction events of tenants with a Stripe customer as Billing
    Meter events, oldest first. ``identifier`` is the usage event id, so Stripe counts
    a retried event once. Commits after each event sent: a crash loses no mark."""
    now = now or utcnow()
    cutoff = now - METER_EVENT_MAX_AGE
    unreported = (
        select(UsageEvent, Tenant.stripe_customer_id)
        .join(Tenant, Tenant.id == UsageEvent.tenant_id)
        .where(
            UsageEvent.reported_at.is_(None),
            UsageEvent.resource == METERED_RESOURCE,
            Tenant.stripe_customer_id.is_not(None),
        )
    )
    report = UsageReport()
    report.too_old = session.scalar(
        select(func.count()).select_from(
            unreported.where(UsageEvent.occurred_at < cutoff).subquery()
        )
    )
    rows = session.execute(
        unreported.where(UsageEvent.occurred_at >= cutoff)
        .order_by(UsageEvent.occurred_at)
        .limit(limit)
    ).all()
    for usage, customer in rows:
        try:
            client.v1.billing.meter_events.create(
                params={
                    "event_name": settings.stripe_meter_event,
                    "payload": {"stripe_customer_id": customer, "value": str(usage.quantity)},
                    "identifier": usage.id,
                    "timestamp": int(usage.occurred_at.timestamp()),
                }
            )
            report.sent += 1
        except stripe.InvalidRequestError as exc:
            if not _known_identifier(exc):
                report.failed += 1
                report.errors.append(f"{usage.id}: {exc.user_message}")
                continue
            report.already_in_stripe += 1
        except stripe.StripeError as exc:
            report.failed += 1
            report.errors.append(f"{usage.id}: {type(exc).__name__} {exc.user_message or ''}")
            continue
        usage.reported_at = utcnow()
        session.commit()
    return report


def _known_identifier(exc: stripe.InvalidRequestError) -> bool:
    # Stripe refuses an identifier it has seen: "An event already exists with identifier …".
    return exc.http_status == 400 and "already exists with identifier" in (exc.user_message or "")
