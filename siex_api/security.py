"""Who is calling: a user's access token or an API key, both as ``Bearer``; the tenant
the call acts on; the scopes it carries; and the rate limit it counts against.

Routes declare what they need with ``Annotated[Principal, Depends(require("extract"))]``.
A user acts on their first tenant unless ``X-Tenant`` names another of theirs; a
tenant the caller does not belong to answers exactly like one that does not exist.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request, Response

from siex.config import Settings
from siex.platform import accounts
from siex.platform.accounts import ROLE_SCOPES, AccountError
from siex.platform.db import session_scope
from siex.platform.models import ApiKey, AuthSession, Tenant, User
from siex.platform.plans import plan_of
from siex.platform.service import authenticate_key, key_use_is_stale, touch_key
from siex_api.deps import SessionDep, SettingsDep
from siex_api.errors import ApiError

log = logging.getLogger("siex.api.security")


@dataclass
class Principal:
    tenant: Tenant
    scopes: frozenset[str]
    user: User | None = None
    role: str | None = None
    api_key: ApiKey | None = None
    auth_session: AuthSession | None = None
    client_ip: str | None = None
    user_agent: str | None = None

    @property
    def audit(self) -> dict:
        """Actor fields for ``siex.platform.audit.record``."""
        return {
            "user_id": self.user.id if self.user else None,
            "key_id": self.api_key.id if self.api_key else None,
            "client_ip": self.client_ip,
            "user_agent": self.user_agent,
        }


def client_ip(request: Request, settings: Settings) -> str | None:
    """The caller's address; X-Forwarded-For only from a trusted proxy."""
    peer = request.client.host if request.client else None
    if peer and peer in settings.trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            return peer
    return peer


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "unauthorized",
            "send an access token or API key as 'Authorization: Bearer …'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def current_user(
    request: Request, session: SessionDep, settings: SettingsDep
) -> tuple[User, AuthSession]:
    """The signed-in user (access tokens only: API keys cannot manage accounts)."""
    token = bearer_token(request)
    if token.startswith("sk_"):
        raise ApiError(401, "user_token_required", "this endpoint needs a user's access token")
    try:
        return accounts.user_of_access_token(session, token, settings.resolved_jwt_secret())
    except AccountError as exc:
        raise ApiError(401, exc.code, exc.message, headers={"WWW-Authenticate": "Bearer"}) from exc


def _record_key_use(database_url: str, key_pk: str) -> None:
    """After the response, in its own short transaction: reads stay lock-free."""
    try:
        with session_scope(database_url, busy_timeout_s=0.5) as session:
            touch_key(session, key_pk)
    except Exception:  # telemetry: a busy database must not turn into an error
        log.warning("could not record the use of API key %s", key_pk, exc_info=True)


def authenticate_request(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
) -> Principal:
    token = bearer_token(request)
    ip = client_ip(request, settings)
    agent = request.headers.get("user-agent")
    if token.startswith("sk_"):
        api_key = authenticate_key(session, token, settings.resolved_secret_key())
        if api_key is None:
            raise ApiError(401, "invalid_api_key", "invalid, expired or revoked API key")
        if key_use_is_stale(api_key):
            background.add_task(_record_key_use, settings.platform_db_url, api_key.id)
        principal = Principal(
            tenant=api_key.tenant,
            scopes=api_key.scope_set,
            api_key=api_key,
            client_ip=ip,
            user_agent=agent,
        )
        rate_key = f"key:{api_key.id}"
        per_minute = api_key.rate_limit_per_minute
    else:
        user, auth = current_user(request, session, settings)
        wanted = request.headers.get("x-tenant")
        memberships = accounts.memberships_of(session, user.id)
        chosen = next(
            (m for m in memberships if wanted is None or m.tenant_id == wanted),
            None,
        )
        if chosen is None:
            raise ApiError(404, "not_found", "tenant not found")
        principal = Principal(
            tenant=chosen.tenant,
            scopes=ROLE_SCOPES[chosen.role],
            user=user,
            role=chosen.role,
            auth_session=auth,
            client_ip=ip,
            user_agent=agent,
        )
        rate_key = f"user:{user.id}:{chosen.tenant_id}"
        per_minute = None
    limit = per_minute or plan_of(principal.tenant.plan).requests_per_minute
    decision = request.app.state.limiter.hit(f"rl:{rate_key}", limit)
    response.headers["X-RateLimit-Limit"] = str(decision.limit)
    response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
    if not decision.allowed:
        raise ApiError(
            429,
            "rate_limited",
            f"rate limit of {decision.limit} requests per minute reached",
            {"limit": decision.limit, "retry_after_s": decision.retry_after_s},
            headers={"Retry-After": str(decision.retry_after_s)},
        )
    return principal


def require(*scopes: str):
    """A dependency: the caller, who must hold every one of ``scopes``."""

    def dependency(principal: Annotated[Principal, Depends(authenticate_request)]) -> Principal:
        missing = [s for s in scopes if s not in principal.scopes]
        if missing:
            raise ApiError(
                403,
                "insufficient_scope",
                f"this needs the scope(s): {', '.join(missing)}",
                {"required": list(scopes), "granted": sorted(principal.scopes)},
            )
        return principal

    return dependency


UserDep = Annotated[tuple[User, AuthSession], Depends(current_user)]
Reader = Annotated[Principal, Depends(require("read"))]
Writer = Annotated[Principal, Depends(require("write"))]
Extractor = Annotated[Principal, Depends(require("extract"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Billing = Annotated[Principal, Depends(require("billing"))]
