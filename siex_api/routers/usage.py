"""This month's use: quotas with what is left and when they reset, billable events by
resource and by day."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from fastapi import APIRouter
from sqlalchemy import select

from siex.platform.models import UsageEvent, utcnow
from siex.platform.quotas import quota_states
from siex_api.deps import SessionDep
from siex_api.schemas import QuotaOut, UsageDay, UsageOut
from siex_api.security import Reader

router = APIRouter(tags=["usage"])


@router.get("/usage", response_model=UsageOut)
def usage(caller: Reader, session: SessionDep) -> UsageOut:
    now = utcnow()
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    rows = session.execute(
        select(UsageEvent.occurred_at, UsageEvent.resource, UsageEvent.quantity).where(
            UsageEvent.tenant_id == caller.tenant.id, UsageEvent.occurred_at >= start
        )
    ).all()
    days: dict[tuple, int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    for at, resource, quantity in rows:
        days[(at.date(), resource)] += quantity
        totals[resource] += quantity
    return UsageOut(
        tenant_id=caller.tenant.id,
        plan=caller.tenant.plan,
        period=now.strftime("%Y-%m"),
        quotas=[QuotaOut(**vars(q)) for q in quota_states(session, caller.tenant, now)],
        totals=dict(totals),
        days=[UsageDay(date=d, resource=r, quantity=q) for (d, r), q in sorted(days.items())],
    )
