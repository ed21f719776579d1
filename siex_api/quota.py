"""Quota checks for routes: 402 with the quota, its use and when it resets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from siex.platform import quotas
from siex.platform.models import Tenant
from siex_api.errors import ApiError


def quota_error(exc: quotas.QuotaExceeded) -> ApiError:
    return ApiError(
        402,
        "quota_exceeded",
        f"the {exc.resource} quota of your plan is used up",
        {
            "resource": exc.resource,
            "limit": exc.limit,
            "used": exc.used,
            "resets_at": exc.resets_at.isoformat() if exc.resets_at else None,
        },
    )


@contextmanager
def quota_guard(session: Session, tenant: Tenant, resource: str, amount: int = 1) -> Iterator[None]:
    """Take ``amount`` of the quota for the block; give it back if the block fails."""
    try:
        quotas.consume(session, tenant, resource, amount)
    except quotas.QuotaExceeded as exc:
        raise quota_error(exc) from exc
    try:
        yield
    except BaseException:
        quotas.release(session, tenant, resource, amount)
        raise
