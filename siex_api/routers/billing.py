"""Billing: subscribe through Stripe Checkout, manage in the customer portal, the
webhook Stripe calls, and the organization's plan, billing status and invoices.

Checkout and the portal need the ``billing`` scope (owners); subscribing also needs
a verified email. The webhook has no credentials: its ``Stripe-Signature`` is checked
against each configured secret (several while one is rotated out).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import stripe
from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import select

from siex.config import Settings
from siex.platform import billing
from siex.platform.billing import BillingError
from siex.platform.db import session_scope
from siex.platform.models import Invoice
from siex_api.deps import SessionDep, SettingsDep
from siex_api.errors import ApiError
from siex_api.schemas import ErrorOut
from siex_api.security import Billing

log = logging.getLogger("siex.api.billing")

router = APIRouter(
    prefix="/billing",
    tags=["billing"],
    responses={
        502: {"model": ErrorOut, "description": "Stripe unreachable or refusing"},
        503: {"model": ErrorOut, "description": "Billing not configured on this server"},
    },
)

SIGNATURE_TOLERANCE_S = 300  # Stripe's default: older signed timestamps may be replays
MAX_WEBHOOK_BYTES = 1024 * 1024
INVOICES_SHOWN = 24


class CheckoutIn(BaseModel):
    plan: str = Field(min_length=1, max_length=32, description="creator, professional, agency…")


class CheckoutOut(BaseModel):
    id: str = Field(description="The Stripe Checkout session id (cs_…).")
    url: str = Field(description="Send the browser here to pay.")


class PortalOut(BaseModel):
    url: str = Field(description="The Stripe customer portal: card, invoices, plan, cancel.")


class WebhookOut(BaseModel):
    received: bool
    outcome: str = Field(description="processed, duplicate, stale or ignored")


class InvoiceOut(BaseModel):
    id: str
    status: str
    currency: str
    amount_due: int = Field(description="In the currency's smallest unit (cents).")
    amount_paid: int
    hosted_invoice_url: str | None
    period_start: datetime | None
    period_end: datetime | None


class BillingOut(BaseModel):
    tenant_id: str
    plan: str
    billing_status: str = Field(description="active, past_due (in grace) or canceled")
    grace_until: datetime | None = Field(description="When past_due, the downgrade to free.")
    has_stripe_customer: bool
    invoices: list[InvoiceOut]


def _api_error(exc: BillingError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message)


@router.get("", response_model=BillingOut)
def billing_state(caller: Billing, session: SessionDep) -> BillingOut:
    tenant = caller.tenant
    invoices = session.scalars(
        select(Invoice)
        .where(Invoice.tenant_id == tenant.id)
        .order_by(Invoice.period_end.desc(), Invoice.updated_at.desc())
        .limit(INVOICES_SHOWN)
    )
    return BillingOut(
        tenant_id=tenant.id,
        plan=tenant.plan,
        billing_status=tenant.billing_status,
        grace_until=tenant.grace_until,
        has_stripe_customer=tenant.stripe_customer_id is not None,
        invoices=[
            InvoiceOut(
                id=i.id,
                status=i.status,
                currency=i.currency,
                amount_due=i.amount_due,
                amount_paid=i.amount_paid,
                hosted_invoice_url=i.hosted_invoice_url,
                period_start=i.period_start,
                period_end=i.period_end,
            )
            for i in invoices
        ],
    )


@router.post("/checkout", response_model=CheckoutOut, status_code=status.HTTP_201_CREATED)
def checkout(
    body: CheckoutIn, caller: Billing, session: SessionDep, settings: SettingsDep
) -> CheckoutOut:
    """A Stripe Checkout session for a paid plan; the plan applies once Stripe reports
    the subscription (webhook)."""
    if caller.user is not None and caller.user.email_verified_at is None:
        raise ApiError(403, "email_not_verified", "verify your email address before subscribing")
    try:
        billing.check_checkout(caller.tenant, body.plan, settings)
        client = billing.stripe_client(settings)
        billing.ensure_customer(session, caller.tenant, client)
        session.commit()  # keep the new customer even if the Checkout call fails
        checkout_id, url = billing.checkout_session(
            session, caller.tenant, body.plan, settings, client
        )
    except BillingError as exc:
        raise _api_error(exc) from exc
    return CheckoutOut(id=checkout_id, url=url)


@router.post("/portal", response_model=PortalOut, status_code=status.HTTP_201_CREATED)
def portal(caller: Billing, settings: SettingsDep) -> PortalOut:
    try:
        url = billing.portal_session(caller.tenant, settings, billing.stripe_client(settings))
    except BillingError as exc:
        raise _api_error(exc) from exc
    return PortalOut(url=url)


@router.post(
    "/webhook",
    response_model=WebhookOut,
    responses={413: {"model": ErrorOut, "description": "Payload over 1 MiB"}},
    openapi_extra={
        "parameters": [
            {
                "name": "Stripe-Signature",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "t=<timestamp>,v1=<HMAC-SHA256 of '<t>.<body>'>",
            }
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "A Stripe event, verified against its raw bytes.",
        },
    },
)
async def webhook(request: Request, settings: SettingsDep) -> WebhookOut:
    """Stripe's events: subscriptions, Checkout completions, invoices paid or failed."""
    if not settings.stripe_webhook_secrets:
        raise ApiError(503, "billing_not_configured", "no Stripe webhook secret is configured")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_WEBHOOK_BYTES:
        raise ApiError(413, "payload_too_large", "webhook payloads are at most 1 MiB")
    payload = await request.body()  # the raw bytes: the signature covers them exactly
    if len(payload) > MAX_WEBHOOK_BYTES:
        raise ApiError(413, "payload_too_large", "webhook payloads are at most 1 MiB")
    if not _signed(payload, request.headers.get("stripe-signature"), settings):
        raise ApiError(400, "invalid_signature", "the Stripe-Signature header is missing or wrong")
    event = _event(payload)
    outcome = await run_in_threadpool(_apply, settings, event)
    log.info("Stripe event %s (%s): %s", event["id"], event["type"], outcome)
    return WebhookOut(received=True, outcome=outcome)


def _signed(payload: bytes, header: str | None, settings: Settings) -> bool:
    """True when one of the secrets signed ``payload`` less than the tolerance ago."""
    for secret in settings.stripe_webhook_secrets:
        try:
            stripe.WebhookSignature.verify_header(payload, header, secret, SIGNATURE_TOLERANCE_S)
        except (stripe.SignatureVerificationError, UnicodeDecodeError):
            continue
        return True
    return False


def _event(payload: bytes) -> dict[str, Any]:
    """The Stripe event (a v1 snapshot event) the signed payload carries."""
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise ApiError(400, "invalid_payload", "the payload is not JSON") from exc
    valid = (
        isinstance(event, dict)
        and event.get("object") == "event"
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("created"), int)
        and isinstance((event.get("data") or {}).get("object"), dict)
    )
    if not valid:
        raise ApiError(400, "invalid_payload", "the payload is not a Stripe event")
    return event


def _apply(settings: Settings, event: dict[str, Any]) -> str:
    with session_scope(settings.platform_db_url) as session:
        return billing.handle_event(session, event, settings)
