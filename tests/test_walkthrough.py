"""The whole path a customer takes, through HTTP against a real uvicorn server, by
running docs/api-walkthrough.sh (curl) as a person would: register → verify → login
→ scoped key → scoped call → hit a quota → Stripe Checkout → webhook upgrades the
plan → quota rises. Stripe is the local double, which signs its webhook events."""

from __future__ import annotations

import json
import os
import subprocess

from siex.config import REPO_ROOT, get_settings
from siex.platform.db import session_scope
from siex.platform.models import AuditLog, Tenant
from tests.conftest import LiveApi
from tests.stripe_server import StripeDouble

SECRET = "whsec_walkthrough_0123456789"


def test_the_walkthrough_script_runs_end_to_end(siex_home, monkeypatch):
    double = StripeDouble(prices=["price_creator"])
    monkeypatch.setenv("SIEX_STRIPE_API_KEY", "sk_test_walkthrough")
    monkeypatch.setenv("SIEX_STRIPE_API_BASE", double.base)
    monkeypatch.setenv("SIEX_STRIPE_WEBHOOK_SECRETS", json.dumps([SECRET]))
    monkeypatch.setenv("SIEX_STRIPE_PRICES", json.dumps({"creator": "price_creator"}))
    settings = get_settings()
    try:
        with LiveApi(settings) as api:
            double.webhook_url, double.webhook_secret = f"{api.url}/v1/billing/webhook", SECRET
            run = subprocess.run(
                ["bash", str(REPO_ROOT / "docs" / "api-walkthrough.sh")],
                env={**os.environ, "BASE": api.url, "SIEX_HOME": str(settings.home),
                     "STRIPE_DOUBLE": double.base, "EMAIL": "walker@example.com"},
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
    finally:
        double.close()
    assert run.returncode == 0, run.stderr[-4000:]
    assert "walkthrough complete" in run.stderr
    assert "source 6: HTTP 402" in run.stderr
    with session_scope(settings.platform_db_url) as session:
        tenant = session.query(Tenant).one()
        assert (tenant.plan, tenant.billing_status) == ("creator", "active")
        assert tenant.stripe_customer_id in double.customers
        changes = session.query(AuditLog).filter_by(action="plan.changed").all()
        assert [(c.details["before"], c.details["after"]) for c in changes] == [("free", "creator")]
