"""Quotas hold under concurrent requests through a real uvicorn server, on SQLite and on
PostgreSQL; usage is recorded once per billable event; rate limits answer 429."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from siex.platform import quotas
from siex.platform.db import session_scope
from siex.platform.models import Tenant, UsageCounter
from siex.platform.plans import PLANS
from tests.conftest import LiveApi
from tests.helpers import make_tenant


def _fire(url: str, requests: list[tuple[str, str, dict]], headers: dict) -> list[httpx.Response]:
    with (
        httpx.Client(base_url=url, headers=headers, timeout=60) as client,
        ThreadPoolExecutor(16) as pool,
    ):
        return list(pool.map(lambda r: client.request(r[0], r[1], json=r[2]), requests))


def _quota_race(settings, url: str) -> None:
    key = make_tenant(settings, "racer")
    headers = {"Authorization": f"Bearer {key}"}
    limit = PLANS["free"].quotas["sources"]
    posts = [
        ("POST", "/v1/sources", {"kind": "rss", "url": f"https://s{i}.example/feed"})
        for i in range(24)
    ]
    answers = _fire(url, posts, headers)
    codes = sorted(r.status_code for r in answers)
    assert codes.count(201) == limit and codes.count(402) == 24 - limit, codes
    refused = next(r for r in answers if r.status_code == 402).json()["error"]
    assert refused["code"] == "quota_exceeded"
    assert refused["details"] == {
        "resource": "sources",
        "limit": limit,
        "used": limit,
        "resets_at": None,
    }
    # Extractions: five left in the month, twenty asked for at once.
    extraction_limit = PLANS["free"].quotas["extractions"]
    with session_scope(settings.platform_db_url) as session:
        tenant = session.get(Tenant, "racer")
        quotas.consume(session, tenant, "extractions", extraction_limit - 5)
    text = {"text": "Drip irrigation saves water. Drip irrigation kits are cheap."}
    answers = _fire(url, [("POST", "/v1/extract", text)] * 20, headers)
    codes = sorted(r.status_code for r in answers)
    assert codes.count(200) == 5 and codes.count(402) == 15, codes
    late = next(r for r in answers if r.status_code == 402).json()["error"]["details"]
    assert late["used"] == late["limit"] == extraction_limit and late["resets_at"].endswith(
        "T00:00:00+00:00"
    )
    usage = httpx.get(f"{url}/v1/usage", headers=headers).json()
    assert usage["totals"] == {"extractions": 5}  # only the served extractions are billable
    by_resource = {q["resource"]: q for q in usage["quotas"]}
    assert by_resource["extractions"]["used"] == extraction_limit
    assert by_resource["sources"]["used"] == limit
    with session_scope(settings.platform_db_url) as session:
        counters = session.query(UsageCounter).filter_by(tenant_id="racer").all()
        assert {c.resource: c.used for c in counters} == {
            "sources": limit,
            "extractions": extraction_limit,
        }


def test_quotas_hold_under_concurrent_requests_on_sqlite(live_api, siex_home):
    _quota_race(siex_home, live_api.url)


@pytest.mark.postgres
def test_quotas_hold_under_concurrent_requests_on_postgres(siex_home, pg_database, monkeypatch):
    from siex.config import get_settings

    monkeypatch.setenv("SIEX_DATABASE_URL", pg_database)
    settings = get_settings()
    assert settings.uses_postgres
    with LiveApi(settings) as api:
        _quota_race(settings, api.url)


def test_usage_is_recorded_once_per_idempotency_key(siex_home):
    make_tenant(siex_home, "billing")
    with session_scope(siex_home.platform_db_url) as session:
        first = quotas.record_usage(session, "billing", "documents", "run-1:doc-a", 1)
        again = quotas.record_usage(session, "billing", "documents", "run-1:doc-a", 1)
        other = quotas.record_usage(session, "billing", "documents", "run-1:doc-b", 1)
    assert (first, again, other) == (True, False, True)


def test_a_quota_freed_by_a_failed_request_is_given_back(live_api, siex_home):
    """A source that is refused (duplicate) does not use up the quota."""
    headers = {"Authorization": f"Bearer {make_tenant(siex_home, 'refund')}"}
    feed = {"kind": "rss", "url": "https://one.example/feed"}
    with httpx.Client(base_url=live_api.url, headers=headers) as client:
        assert client.post("/v1/sources", json=feed).status_code == 201
        for _ in range(3):
            assert client.post("/v1/sources", json=feed).status_code == 409
        used = {q["resource"]: q["used"] for q in client.get("/v1/usage").json()["quotas"]}
    assert used["sources"] == 1


def test_rate_limit_answers_429_with_retry_after(live_api, siex_home):
    """A key's own per-minute limit applies across requests; the answer says when to retry."""
    from siex.platform.service import issue_api_key

    make_tenant(siex_home, "busy")
    with session_scope(siex_home.platform_db_url) as session:
        key, _ = issue_api_key(session, session.get(Tenant, "busy"), siex_home.resolved_secret_key(),
                               scopes=["read"], rate_limit_per_minute=5)  # fmt: skip
    with httpx.Client(base_url=live_api.url, headers={"Authorization": f"Bearer {key}"}) as client:
        answers = [client.get("/v1/sources") for _ in range(7)]
    assert [r.status_code for r in answers] == [200] * 5 + [429] * 2
    assert answers[0].headers["X-RateLimit-Limit"] == "5"
    blocked = answers[-1]
    assert 0 < int(blocked.headers["Retry-After"]) <= 60
    assert blocked.json()["error"]["code"] == "rate_limited"


def test_rate_limits_are_shared_across_workers_through_redis(siex_home, monkeypatch):
    """Two API apps (as two worker processes would be) on one Redis count together."""
    import secrets

    import redis

    from siex.config import get_settings

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.ConnectionError:
        pytest.fail("Redis is expected at 127.0.0.1:6379 on this machine and in CI")
    monkeypatch.setenv("SIEX_RATE_LIMIT_STORAGE", "redis://127.0.0.1:6379/0")
    settings = get_settings()
    from siex.platform.service import issue_api_key

    make_tenant(settings, f"shared{secrets.token_hex(3)}")
    with session_scope(settings.platform_db_url) as session:
        tenant = session.query(Tenant).filter(Tenant.id.like("shared%")).one()
        key, _ = issue_api_key(session, tenant, settings.resolved_secret_key(), scopes=["read"],
                               rate_limit_per_minute=4)  # fmt: skip
    headers = {"Authorization": f"Bearer {key}"}
    with LiveApi(settings) as one, LiveApi(settings) as two:
        codes = [
            httpx.get(f"{api.url}/v1/sources", headers=headers).status_code
            for api in (one, two, one, two, one, two)
        ]
    assert codes == [200, 200, 200, 200, 429, 429]
