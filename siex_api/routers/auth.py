"""Accounts: register, verify the email, sign in and out, rotate tokens, reset and
change the password. Answers never tell whether an email has an account."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from siex.platform import accounts, audit
from siex.platform.accounts import AccountError
from siex.platform.notify import Notifier, reset_mail, verification_mail
from siex_api.deps import SessionDep, SettingsDep, WriteSessionDep
from siex_api.errors import ApiError
from siex_api.schemas import (
    LoginIn,
    Message,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RefreshIn,
    RegisterIn,
    TokenOut,
    UserOut,
    VerifyIn,
)
from siex_api.security import UserDep, client_ip

router = APIRouter(prefix="/auth", tags=["auth"])


def _error(exc: AccountError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message)


def _tokens(pair: accounts.TokenPair) -> TokenOut:
    return TokenOut(
        access_token=pair.access_token,
        expires_at=pair.access_expires_at,
        refresh_token=pair.refresh_token,
        refresh_expires_at=pair.refresh_expires_at,
    )


def _ttls(settings) -> tuple[timedelta, timedelta]:
    return timedelta(seconds=settings.access_token_ttl_s), timedelta(
        seconds=settings.refresh_token_ttl_s
    )


def user_out(session, user) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        email_verified=user.email_verified_at is not None,
        created_at=user.created_at,
        tenants=[
            {"id": m.tenant_id, "name": m.tenant.name, "role": m.role}
            for m in accounts.memberships_of(session, user.id)
        ],
    )


@router.post("/register", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def register(
    body: RegisterIn, request: Request, session: SessionDep, settings: SettingsDep
) -> UserOut:
    """Create an account and its own organization (free plan); a verification mail
    goes out. The account can sign in at once; billing and invitations wait for
    the email to be verified."""
    ip = client_ip(request, settings)
    decision = request.app.state.limiter.hit(f"register:{ip}", "20/hour")
    if not decision.allowed:
        raise ApiError(429, "rate_limited", "too many sign-ups from this address",
                       headers={"Retry-After": str(decision.retry_after_s)})  # fmt: skip
    try:
        user = accounts.register(session, body.email, body.password)
    except AccountError as exc:
        raise _error(exc) from exc
    tenant_id = accounts.memberships_of(session, user.id)[0].tenant_id
    token = accounts.issue_one_time_token(
        session, "verify", timedelta(seconds=settings.verify_token_ttl_s), user=user
    )
    audit.record(session, "auth.register", tenant_id, user_id=user.id, client_ip=ip)
    session.flush()
    subject, text = verification_mail(settings, token)
    Notifier(settings).send_email(user.email, subject, text, "verify")
    return user_out(session, user)


@router.post("/verify", response_model=UserOut)
def verify(body: VerifyIn, session: SessionDep) -> UserOut:
    """Confirm the email with the token of the verification mail."""
    try:
        user = accounts.verify_email(session, body.token)
    except AccountError as exc:
        raise _error(exc) from exc
    audit.record_for_user(session, "auth.email_verified", user.id, user_id=user.id)
    return user_out(session, user)


@router.get("/verify", response_model=UserOut)
def verify_link(
    token: Annotated[str, Query(min_length=10, max_length=200)], session: WriteSessionDep
) -> UserOut:
    """The link of the verification mail (same as POST /v1/auth/verify)."""
    return verify(VerifyIn(token=token), session)


@router.post("/verify/resend", response_model=Message, status_code=status.HTTP_202_ACCEPTED)
def resend_verification(signed_in: UserDep, session: SessionDep, settings: SettingsDep) -> Message:
    user, _auth = signed_in
    if user.email_verified_at is None:
        token = accounts.issue_one_time_token(
            session, "verify", timedelta(seconds=settings.verify_token_ttl_s), user=user
        )
        subject, text = verification_mail(settings, token)
        Notifier(settings).send_email(user.email, subject, text, "verify")
    return Message(message="if the email is not verified yet, a new mail is on its way")


@router.post("/login", response_model=TokenOut)
def login(body: LoginIn, request: Request, session: SessionDep, settings: SettingsDep) -> TokenOut:
    """Sign in with email and password: a short-lived access token and a refresh token.

    Failed attempts are limited per account and per client address; the answer is the
    same whether the email exists or not."""
    ip = client_ip(request, settings)
    limiter = request.app.state.limiter
    window = f"{settings.login_attempts_per_15min}/15 minutes"
    email_key = f"login:email:{body.email.strip().lower()}"
    ip_key = f"login:ip:{ip}"
    if not (limiter.peek(email_key, window) and limiter.peek(ip_key, window)):
        raise ApiError(429, "too_many_attempts", "too many failed sign-ins: try again later",
                       headers={"Retry-After": "900"})  # fmt: skip
    user = accounts.authenticate_password(session, body.email, body.password)
    if user is None:
        limiter.hit(email_key, window)
        limiter.hit(ip_key, window)
        known = accounts.find_user(session, body.email)
        if known is not None:
            audit.record_for_user(session, "auth.login_failed", known.id, target=known.id,
                                  client_ip=ip, user_agent=request.headers.get("user-agent"))  # fmt: skip
        session.commit()  # the failed attempt stays in the audit log
        raise ApiError(401, "invalid_credentials", "wrong email or password")
    limiter.clear(email_key, window)
    access_ttl, refresh_ttl = _ttls(settings)
    pair = accounts.start_session(
        session, user, settings.resolved_jwt_secret(), access_ttl, refresh_ttl, ip
    )
    audit.record_for_user(session, "auth.login", user.id, user_id=user.id, client_ip=ip,
                          user_agent=request.headers.get("user-agent"))  # fmt: skip
    return _tokens(pair)


@router.post("/refresh", response_model=TokenOut)
def refresh(body: RefreshIn, session: SessionDep, settings: SettingsDep) -> TokenOut:
    """Trade a refresh token for a new pair. Each refresh token works once; presenting
    a spent one ends the whole sign-in (it was stolen or replayed)."""
    access_ttl, refresh_ttl = _ttls(settings)
    try:
        pair = accounts.refresh(
            session, body.refresh_token, settings.resolved_jwt_secret(), access_ttl, refresh_ttl
        )
    except AccountError as exc:
        if exc.code == "token_reused":
            session.commit()  # keep the revocation although the request fails
        raise _error(exc) from exc
    return _tokens(pair)


@router.post("/logout", response_model=Message)
def logout(signed_in: UserDep, session: SessionDep) -> Message:
    """End this sign-in: its access and refresh tokens stop working."""
    user, auth = signed_in
    accounts.revoke_session(session, auth, "logout")
    audit.record_for_user(session, "auth.logout", user.id, user_id=user.id)
    return Message(message="signed out")


@router.get("/me", response_model=UserOut)
def me(signed_in: UserDep, session: SessionDep) -> UserOut:
    user, _auth = signed_in
    return user_out(session, user)


@router.post("/password", response_model=Message)
def change_password(body: PasswordChangeIn, signed_in: UserDep, session: SessionDep) -> Message:
    """Change the password; every sign-in of the account ends, this one included."""
    user, _auth = signed_in
    if accounts.authenticate_password(session, user.email, body.current_password) is None:
        raise ApiError(401, "invalid_credentials", "the current password is wrong")
    try:
        accounts.set_password(session, user, body.new_password)
    except AccountError as exc:
        raise _error(exc) from exc
    audit.record_for_user(session, "auth.password_changed", user.id, user_id=user.id)
    return Message(message="password changed: sign in again")


@router.post("/password-reset", response_model=Message, status_code=status.HTTP_202_ACCEPTED)
def request_reset(
    body: PasswordResetIn, request: Request, session: SessionDep, settings: SettingsDep
) -> Message:
    """Mail a reset token if the account exists; the answer is the same either way."""
    ip = client_ip(request, settings)
    limiter = request.app.state.limiter
    if limiter.hit(f"reset:{ip}", "10/hour").allowed and (
        user := accounts.find_user(session, body.email)
    ):
        token = accounts.issue_one_time_token(
            session, "reset", timedelta(seconds=settings.reset_token_ttl_s), user=user
        )
        subject, text = reset_mail(settings, token)
        Notifier(settings).send_email(user.email, subject, text, "reset")
    return Message(message="if an account has this email, a reset mail is on its way")


@router.post("/password-reset/confirm", response_model=Message)
def confirm_reset(body: PasswordResetConfirmIn, session: SessionDep) -> Message:
    try:
        user = accounts.reset_password(session, body.token, body.new_password)
    except AccountError as exc:
        raise _error(exc) from exc
    audit.record_for_user(session, "auth.password_reset", user.id, user_id=user.id)
    return Message(message="password changed: sign in with the new one")
