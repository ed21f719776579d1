"""The tenant's audit log, newest first, for admins. Read-only: no route changes it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from siex.platform.models import AuditLog
from siex_api.deps import SessionDep
from siex_api.schemas import AuditOut, AuditPage
from siex_api.security import Admin

router = APIRouter(tags=["audit"])


@router.get("/audit-logs", response_model=AuditPage)
def audit_logs(
    caller: Admin,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> AuditPage:
    query = select(AuditLog).where(AuditLog.tenant_id == caller.tenant.id)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    if action:
        query = query.where(AuditLog.action == action)
    rows = list(session.scalars(query.order_by(AuditLog.id.desc()).limit(limit + 1)))
    items = [
        AuditOut(
            id=r.id,
            at=r.at,
            action=r.action,
            actor_user_id=r.actor_user_id,
            actor_key_id=r.actor_key_id,
            target=r.target,
            client_ip=r.client_ip,
            user_agent=r.user_agent,
            details=r.details or {},
        )
        for r in rows[:limit]
    ]
    return AuditPage(items=items, next_before_id=rows[limit - 1].id if len(rows) > limit else None)
