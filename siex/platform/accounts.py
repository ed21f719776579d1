"""Users, sign-in sessions, refresh-token rotation, email tokens, memberships.

Pure operations on a SQLAlchemy session: the API calls them, tests call them, and
nothing here knows about HTTP. Errors are exceptions with a stable ``code``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siex.platform import passwords, tokens
from siex.platform.models import (
    AuthSession,
    Membership,
    OneTimeToken,
    RefreshToken,
    Tenant,
    User,
    utcnow,
)
from siex.platform.plans import plan_of

ROLES = ("owner", "admin", "member", "viewer")
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "member": frozenset({"read", "write", "extract", "pipelines"}),
    "admin": frozenset({"read", "write", "extract", "pipelines", "admin"}),
    "owner": frozenset({"read", "write", "extract", "pipelines", "admin", "billing"}),
}


class AccountError(Exception):
    """A refused account operation; ``code`` is stable and machine-readable."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    session_id: str


def normalize_email(email: str) -> str:
    """Syntax-checked, domain lowercased (the local part is kept: some providers
    distinguish case, none of ours relies on it), no deliverability lookup."""
    try:
        info = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError("invalid_email", str(exc), 422) from exc
    return info.normalized.lower()


def find_user(session: Session, email: str) -> User | None:
    try:
        normalized = normalize_email(email)
    except AccountError:
        return None
    return session.scalar(select(User).where(User.email == normalized))


def register(session: Session, email: str, password: str) -> User:
    """A user with a personal tenant they own, on the free plan."""
    from siex.platform.service import create_tenant_record

    normalized = normalize_email(email)
    try:
        passwords.check_policy(password, normalized)
    except passwords.WeakPassword as exc:
        raise AccountError("weak_password", str(exc), 422) from exc
    if session.scalar(select(User.id).where(User.email == normalized)):
        raise AccountError("email_taken", "an account with this email exists", 409)
    user = User(email=normalized, password_hash=passwords.hash_password(password))
    session.add(user)
    tenant = create_tenant_record(session, normalized.split("@")[0])
    session.add(Membership(user=user, tenant=tenant, role="owner"))
    session.flush()
    return user


# -- one-time tokens ---------------------------------------------------------------


def issue_one_time_token(
    session: Session,
    purpose: str,
    ttl: timedelta,
    user: User | None = None,
    email: str | None = None,
    tenant_id: str | None = None,
    role: str | None = None,
    created_by: str | None = None,
) -> str:
    token, digest = tokens.new_opaque_token()
    session.add(
        OneTimeToken(
            purpose=purpose,
            token_hash=digest,
            user_id=user.id if user else None,
            email=email,
            tenant_id=tenant_id,
            role=role,
            created_by=created_by,
            expires_at=utcnow() + ttl,
        )
    )
    session.flush()
    return token


def use_one_time_token(session: Session, token: str, purpose: str) -> OneTimeToken:
    """Mark the token used and return it; AccountError when unknown, used or expired."""
    now = utcnow()
    record = session.scalar(
        select(OneTimeToken).where(OneTimeToken.token_hash == tokens.digest(token))
    )
    if record is None or record.purpose != purpose:
        raise AccountError("invalid_token", "this link is not valid", 400)
    # Mark used with a conditional UPDATE: two concurrent uses cannot both succeed.
    claimed = session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == record.id, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if not claimed:
        raise AccountError("invalid_token", "this link was used already", 400)
    if record.expires_at < now:
        raise AccountError("expired_token", "this link has expired", 400)
    return record


def verify_email(session: Session, token: str) -> User:
    record = use_one_time_token(session, token, "verify")
    user = session.get(User, record.user_id)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def reset_password(session: Session, token: str, new_password: str) -> User:
    record = use_one_time_token(session, token, "reset")
    user = session.get(User, record.user_id)
    set_password(session, user, new_password)
    return user


def set_password(session: Session, user: User, new_password: str) -> None:
    """Change the password and end every sign-in of the user."""
    try:
        passwords.check_policy(new_password, user.email)
    except passwords.WeakPassword as exc:
        raise AccountError("weak_password", str(exc), 422) from exc
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    revoke_all_sessions(session, user.id, "password_changed")


# -- sign-in sessions and tokens ---------------------------------------------------


def authenticate_password(session: Session, email: str, password: str) -> User | None:
    """The user when email and password match; the same work and answer otherwise."""
    user = find_user(session, email)
    if user is None:
        passwords.dummy_verify()
        return None
    if not passwords.verify_password(password, user.password_hash):
        return None
    return user


def start_session(
    session: Session,
    user: User,
    secret: str,
    access_ttl: timedelta,
    refresh_ttl: timedelta,
    client_ip: str | None = None,
) -> TokenPair:
    auth = AuthSession(user_id=user.id, client_ip=client_ip)
    session.add(auth)
    session.flush()
    return _issue_pair(session, auth, secret, access_ttl, refresh_ttl)


def _issue_pair(
    session: Session, auth: AuthSession, secret: str, access_ttl: timedelta, refresh_ttl: timedelta
) -> TokenPair:
    access, access_expires = tokens.issue_access_token(auth.user_id, auth.id, secret, access_ttl)
    refresh, digest = tokens.new_opaque_token()
    refresh_expires = utcnow() + refresh_ttl
    session.add(RefreshToken(session_id=auth.id, token_hash=digest, expires_at=refresh_expires))
    session.flush()
    return TokenPair(access, access_expires, refresh, refresh_expires, auth.id)


def refresh(
    session: Session, refresh_token: str, secret: str, access_ttl: timedelta, refresh_ttl: timedelta
) -> TokenPair:
    """Rotate: the presented refresh token is spent and a new pair issued. A token
    presented a second time means it leaked: its whole session is revoked."""
    record = session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == tokens.digest(refresh_token))
    )
    if record is None:
        raise AccountError("invalid_token", "invalid refresh token", 401)
    auth = session.get(AuthSession, record.session_id)
    if auth.revoked_at is not None:
        raise AccountError("invalid_token", "this session has ended", 401)
    spent = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == record.id, RefreshToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if not spent:
        revoke_session(session, auth, "refresh_token_reused")
        raise AccountError("token_reused", "refresh token reused: the session is revoked", 401)
    if record.expires_at < utcnow():
        raise AccountError("invalid_token", "refresh token expired", 401)
    return _issue_pair(session, auth, secret, access_ttl, refresh_ttl)


def revoke_session(session: Session, auth: AuthSession, reason: str) -> None:
    if auth.revoked_at is None:
        auth.revoked_at, auth.revoked_reason = utcnow(), reason


def revoke_all_sessions(session: Session, user_id: str, reason: str) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


def user_of_access_token(session: Session, token: str, secret: str) -> tuple[User, AuthSession]:
    """The user and live session behind an access token, or AccountError(401)."""
    try:
        claims = tokens.decode_access_token(token, secret)
    except tokens.InvalidToken as exc:
        raise AccountError("invalid_token", "invalid or expired access token", 401) from exc
    auth = session.get(AuthSession, claims.session_id)
    if auth is None or auth.revoked_at is not None or auth.user_id != claims.user_id:
        raise AccountError("invalid_token", "this session has ended", 401)
    user = session.get(User, claims.user_id)
    if user is None:
        raise AccountError("invalid_token", "invalid or expired access token", 401)
    return user, auth


# -- memberships and invitations ---------------------------------------------------


def membership(session: Session, user_id: str, tenant_id: str) -> Membership | None:
    return session.scalar(
        select(Membership).where(Membership.user_id == user_id, Membership.tenant_id == tenant_id)
    )


def memberships_of(session: Session, user_id: str) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership).where(Membership.user_id == user_id).order_by(Membership.created_at)
        )
    )


def members(session: Session, tenant_id: str) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership)
            .where(Membership.tenant_id == tenant_id)
            .order_by(Membership.created_at)
        )
    )


def check_seat(session: Session, tenant: Tenant) -> None:
    limit = plan_of(tenant.plan).max_members
    if limit is not None and len(members(session, tenant.id)) >= limit:
        raise AccountError("member_limit", f"the {tenant.plan} plan allows {limit} member(s)", 402)


def accept_invitation(session: Session, token: str, user: User) -> Membership:
    record = use_one_time_token(session, token, "invite")
    if record.email and record.email != user.email:
        raise AccountError("invalid_token", "this invitation is for another email", 400)
    existing = membership(session, user.id, record.tenant_id)
    if existing:
        return existing
    tenant = session.get(Tenant, record.tenant_id)
    check_seat(session, tenant)
    joined = Membership(user_id=user.id, tenant_id=record.tenant_id, role=record.role or "member")
    session.add(joined)
    session.flush()
    return joined
