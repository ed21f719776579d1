"""API keys of the tenant: create (shown once), list, revoke, rotate with an overlap.

Managing keys needs the ``admin`` scope. A user cannot give a key a scope their
role does not have, and an API key cannot mint a key with more scopes than itself.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status
from sqlalchemy import select

from siex.platform import audit
from siex.platform.models import ApiKey, utcnow
from siex.platform.service import issue_api_key
from siex_api.deps import SessionDep, SettingsDep
from siex_api.errors import ApiError
from siex_api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, ApiKeyRotate
from siex_api.security import Admin

router = APIRouter(prefix="/api-keys", tags=["api-keys"])


def key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        environment=key.environment,
        scopes=key.scopes.split(),
        created_at=key.created_at,
        expires_at=key.expires_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
        rate_limit_per_minute=key.rate_limit_per_minute,
    )


def _own_key(session, caller, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.tenant_id != caller.tenant.id:  # another tenant's key does not exist
        raise ApiError(404, "not_found", "API key not found")
    return key


@router.post("", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create(
    body: ApiKeyCreate, caller: Admin, session: SessionDep, settings: SettingsDep
) -> ApiKeyCreated:
    """A new key with the given scopes; the plaintext is in this response only."""
    beyond = set(body.scopes) - caller.scopes
    if beyond:
        raise ApiError(403, "insufficient_scope", f"you cannot grant: {', '.join(sorted(beyond))}")
    expires = utcnow() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    plaintext, key = issue_api_key(
        session,
        caller.tenant,
        settings.resolved_secret_key(),
        name=body.name,
        scopes=body.scopes,
        environment=body.environment,
        expires_at=expires,
        created_by=caller.user.id if caller.user else None,
        rate_limit_per_minute=body.rate_limit_per_minute,
    )
    audit.record(session, "api_key.created", caller.tenant.id, target=key.id,
                 scopes=body.scopes, **caller.audit)  # fmt: skip
    return ApiKeyCreated(**key_out(key).model_dump(), api_key=plaintext)


@router.get("", response_model=list[ApiKeyOut])
def list_keys(caller: Admin, session: SessionDep) -> list[ApiKeyOut]:
    query = select(ApiKey).where(ApiKey.tenant_id == caller.tenant.id).order_by(ApiKey.created_at)
    return [key_out(k) for k in session.scalars(query)]


@router.delete("/{key_id}", response_model=ApiKeyOut)
def revoke(key_id: str, caller: Admin, session: SessionDep) -> ApiKeyOut:
    """Revoke a key at once (idempotent)."""
    key = _own_key(session, caller, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(session, "api_key.revoked", caller.tenant.id, target=key.id, **caller.audit)
    return key_out(key)


@router.post("/{key_id}/rotate", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def rotate(
    key_id: str, body: ApiKeyRotate, caller: Admin, session: SessionDep, settings: SettingsDep
) -> ApiKeyCreated:
    """A new key with the same name, scopes and limits; the old one keeps working for
    ``overlap_hours`` so deployments can switch without downtime."""
    old = _own_key(session, caller, key_id)
    if old.revoked_at is not None:
        raise ApiError(409, "conflict", "a revoked key cannot be rotated")
    plaintext, new = issue_api_key(
        session,
        caller.tenant,
        settings.resolved_secret_key(),
        name=old.name,
        scopes=old.scopes.split(),
        environment=old.environment,
        expires_at=old.expires_at,
        created_by=caller.user.id if caller.user else old.created_by,
        rate_limit_per_minute=old.rate_limit_per_minute,
    )
    ends = utcnow() + timedelta(hours=body.overlap_hours)
    if old.expires_at is None or old.expires_at > ends:
        old.expires_at = ends
    old.replaced_by = new.id
    audit.record(session, "api_key.rotated", caller.tenant.id, target=old.id,
                 new_key=new.id, overlap_hours=body.overlap_hours, **caller.audit)  # fmt: skip
    return ApiKeyCreated(**key_out(new).model_dump(), api_key=plaintext)
