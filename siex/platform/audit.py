"""The audit log: append-only records of security- and money-relevant actions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from siex.platform.models import AuditLog

ACTIONS = (
    "auth.register",
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "auth.password_changed",
    "auth.password_reset",
    "auth.email_verified",
    "auth.refresh_reused",
    "api_key.created",
    "api_key.revoked",
    "api_key.rotated",
    "member.invited",
    "member.joined",
    "member.role_changed",
    "member.removed",
    "plan.changed",
    "pipeline.created",
    "pipeline.deleted",
    "data.exported",
)


def record_for_user(session: Session, action: str, account_id: str, **fields) -> None:
    """One entry in each tenant the account belongs to: account events concern them all."""
    from siex.platform.accounts import memberships_of

    for membership in memberships_of(session, account_id):
        record(session, action, membership.tenant_id, **fields)


def record(
    session: Session,
    action: str,
    tenant_id: str | None,
    *,
    user_id: str | None = None,
    key_id: str | None = None,
    target: str | None = None,
    client_ip: str | None = None,
    user_agent: str | None = None,
    **details,
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(
        AuditLog(
            tenant_id=tenant_id,
            actor_user_id=user_id,
            actor_key_id=key_id,
            action=action,
            target=target,
            client_ip=client_ip,
            user_agent=(user_agent or "")[:300] or None,
            details=details,
        )
    )
