"""Team members, roles and invitations (owner, admin, member, viewer).

Admins invite, change roles below owner and remove members; only an owner makes
another owner, and the last owner cannot leave. Inviting needs a verified email.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status

from siex.platform import accounts, audit
from siex.platform.accounts import AccountError
from siex.platform.models import Membership, utcnow
from siex.platform.notify import Notifier, invitation_mail
from siex_api.deps import SessionDep, SettingsDep
from siex_api.errors import ApiError
from siex_api.schemas import AcceptIn, InvitationIn, InvitationOut, MemberOut, RoleIn
from siex_api.security import Admin, Reader, UserDep

router = APIRouter(tags=["members"])


def _member_out(m: Membership) -> MemberOut:
    return MemberOut(user_id=m.user_id, email=m.user.email, role=m.role, joined_at=m.created_at)


def _member(session, caller, user_id: str) -> Membership:
    found = accounts.membership(session, user_id, caller.tenant.id)
    if found is None:
        raise ApiError(404, "not_found", "member not found")
    return found


def _owners(session, tenant_id: str) -> int:
    return sum(1 for m in accounts.members(session, tenant_id) if m.role == "owner")


@router.get("/members", response_model=list[MemberOut])
def list_members(caller: Reader, session: SessionDep) -> list[MemberOut]:
    return [_member_out(m) for m in accounts.members(session, caller.tenant.id)]


@router.post("/invitations", response_model=InvitationOut, status_code=status.HTTP_201_CREATED)
def invite(
    body: InvitationIn, caller: Admin, session: SessionDep, settings: SettingsDep
) -> InvitationOut:
    """Mail an invitation token; it works once, for this email, within a week."""
    if caller.user is None or caller.user.email_verified_at is None:
        raise ApiError(403, "email_not_verified", "verify your email before inviting people")
    try:
        email = accounts.normalize_email(body.email)
        accounts.check_seat(session, caller.tenant)
    except AccountError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from exc
    ttl = timedelta(seconds=settings.invite_token_ttl_s)
    token = accounts.issue_one_time_token(
        session, "invite", ttl, email=email, tenant_id=caller.tenant.id, role=body.role,
        created_by=caller.user.id,
    )  # fmt: skip
    audit.record(
        session, "member.invited", caller.tenant.id, target=email, role=body.role, **caller.audit
    )
    session.flush()
    subject, text = invitation_mail(settings, caller.tenant.name, body.role, token)
    Notifier(settings).send_email(email, subject, text, "invite")
    return InvitationOut(email=email, role=body.role, expires_at=utcnow() + ttl)


@router.post("/invitations/accept", response_model=MemberOut)
def accept(body: AcceptIn, signed_in: UserDep, session: SessionDep) -> MemberOut:
    """Join the inviting tenant (the signed-in user's email must be the invited one)."""
    user, _auth = signed_in
    try:
        joined = accounts.accept_invitation(session, body.token, user)
    except AccountError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from exc
    audit.record(
        session,
        "member.joined",
        joined.tenant_id,
        user_id=user.id,
        target=user.id,
        role=joined.role,
    )
    session.refresh(joined)
    return _member_out(joined)


@router.patch("/members/{user_id}", response_model=MemberOut)
def change_role(user_id: str, body: RoleIn, caller: Admin, session: SessionDep) -> MemberOut:
    target = _member(session, caller, user_id)
    if "owner" in (body.role, target.role) and caller.role != "owner":
        raise ApiError(403, "forbidden", "only an owner can grant or take the owner role")
    if target.role == "owner" and body.role != "owner" and _owners(session, caller.tenant.id) == 1:
        raise ApiError(409, "last_owner", "a tenant keeps at least one owner")
    previous, target.role = target.role, body.role
    audit.record(session, "member.role_changed", caller.tenant.id, target=user_id,
                 before=previous, after=body.role, **caller.audit)  # fmt: skip
    return _member_out(target)


@router.delete("/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove(user_id: str, caller: Admin, session: SessionDep) -> None:
    target = _member(session, caller, user_id)
    if target.role == "owner" and caller.role != "owner":
        raise ApiError(403, "forbidden", "only an owner can remove an owner")
    if target.role == "owner" and _owners(session, caller.tenant.id) == 1:
        raise ApiError(409, "last_owner", "a tenant keeps at least one owner")
    session.delete(target)
    audit.record(session, "member.removed", caller.tenant.id, target=user_id, **caller.audit)
