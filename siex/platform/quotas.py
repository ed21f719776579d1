"""Quotas enforced atomically, and billable usage recorded once.

``consume`` raises the counter of a quota only if the result stays within the plan's
limit, in one conditional UPDATE: PostgreSQL re-checks the condition on the locked
row and SQLite serializes writers, so concurrent requests cannot overshoot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from siex.platform.db import dialect_insert
from siex.platform.models import Tenant, UsageCounter, UsageEvent, new_id, utcnow
from siex.platform.plans import MONTHLY, QUOTA_RESOURCES, plan_of


class QuotaExceeded(Exception):
    def __init__(self, resource: str, limit: int, used: int, resets_at: datetime | None):
        super().__init__(f"{resource} quota of {limit} reached")
        self.resource, self.limit, self.used, self.resets_at = resource, limit, used, resets_at


@dataclass(frozen=True)
class QuotaState:
    resource: str
    limit: int | None
    used: int
    resets_at: datetime | None  # None for standing quotas (sources, pipelines)


def period_of(resource: str, now: datetime | None = None) -> str:
    now = now or utcnow()
    return now.strftime("%Y-%m") if resource in MONTHLY else "all"


def resets_at(resource: str, now: datetime | None = None) -> datetime | None:
    if resource not in MONTHLY:
        return None
    now = now or utcnow()
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def _ensure_counter(session: Session, tenant_id: str, resource: str, period: str) -> None:
    session.execute(
        dialect_insert(session, UsageCounter)
        .values(tenant_id=tenant_id, resource=resource, period=period, used=0)
        .on_conflict_do_nothing()
    )


def consume(
    session: Session, tenant: Tenant, resource: str, amount: int = 1, now: datetime | None = None
) -> QuotaState:
    """Count ``amount`` against the tenant's quota, or raise QuotaExceeded (counting
    nothing). Commit soon after: the counter row stays locked until then."""
    if resource not in QUOTA_RESOURCES:
        raise ValueError(f"unknown quota {resource!r}")
    limit = plan_of(tenant.plan).quotas.get(resource)
    period = period_of(resource, now)
    _ensure_counter(session, tenant.id, resource, period)
    key = (
        (UsageCounter.tenant_id == tenant.id)
        & (UsageCounter.resource == resource)
        & (UsageCounter.period == period)
    )
    statement = update(UsageCounter).where(key).values(used=UsageCounter.used + amount)
    if limit is not None:
        statement = statement.where(UsageCounter.used + amount <= limit)
    updated = session.execute(statement.returning(UsageCounter.used)).scalar_one_or_none()
    if updated is None:
        used = session.scalar(select(UsageCounter.used).where(key)) or 0
        raise QuotaExceeded(resource, limit or 0, used, resets_at(resource, now))
    return QuotaState(resource, limit, updated, resets_at(resource, now))


def release(session: Session, tenant: Tenant, resource: str, amount: int = 1) -> None:
    """Give back what ``consume`` took (a failed operation, a deleted source)."""
    session.execute(
        update(UsageCounter)
        .where(
            (UsageCounter.tenant_id == tenant.id)
            & (UsageCounter.resource == resource)
            & (UsageCounter.period == period_of(resource))
        )
        .values(used=case((UsageCounter.used > amount, UsageCounter.used - amount), else_=0))
    )


def quota_states(session: Session, tenant: Tenant, now: datetime | None = None) -> list[QuotaState]:
    plan = plan_of(tenant.plan)
    states = []
    for resource in QUOTA_RESOURCES:
        period = period_of(resource, now)
        used = session.scalar(
            select(UsageCounter.used).where(
                UsageCounter.tenant_id == tenant.id,
                UsageCounter.resource == resource,
                UsageCounter.period == period,
            )
        )
        states.append(
            QuotaState(resource, plan.quotas.get(resource), used or 0, resets_at(resource, now))
        )
    return states


def record_usage(
    session: Session,
    tenant_id: str,
    resource: str,
    idempotency_key: str,
    quantity: int = 1,
    occurred_at: datetime | None = None,
) -> bool:
    """Record a billable event once; False when ``idempotency_key`` was seen before."""
    result = session.execute(
        dialect_insert(session, UsageEvent)
        .values(
            id=new_id(),
            tenant_id=tenant_id,
            resource=resource,
            quantity=quantity,
            idempotency_key=idempotency_key,
            occurred_at=occurred_at or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    return result.rowcount == 1


USAGE_BATCH = 500  # keys per statement: far below SQLite's and PostgreSQL's parameter limits


def record_usage_many(
    session: Session,
    tenant_id: str,
    resource: str,
    idempotency_keys: Iterable[str],
    occurred_at: datetime | None = None,
) -> int:
    """``record_usage`` for many keys (quantity 1 each) in a few statements; returns how
    many were recorded now, i.e. how many ``record_usage`` calls would have returned True.

    Keys already stored are looked up in batches and only the others are inserted, still
    with ``ON CONFLICT DO NOTHING``, so a concurrent run cannot make one count twice.
    """
    keys = list(dict.fromkeys(idempotency_keys))
    at = occurred_at or utcnow()
    recorded = 0
    for start in range(0, len(keys), USAGE_BATCH):
        batch = keys[start : start + USAGE_BATCH]
        known = set(
            session.scalars(
                select(UsageEvent.idempotency_key).where(UsageEvent.idempotency_key.in_(batch))
            )
        )
        missing = [k for k in batch if k not in known]
        if not missing:
            continue
        rows = [
            {"id": new_id(), "tenant_id": tenant_id, "resource": resource, "quantity": 1,
             "idempotency_key": key, "occurred_at": at}
            for key in missing
        ]  # fmt: skip
        result = session.execute(
            dialect_insert(session, UsageEvent)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
        )
        recorded += result.rowcount
    return recorded
