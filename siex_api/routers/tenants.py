"""Organizations: create one, list yours, read the one a call acts on."""

from fastapi import APIRouter, status

from siex.platform import audit
from siex.platform.models import Membership, Tenant
from siex.platform.service import Conflict, create_tenant_record
from siex_api.deps import SessionDep
from siex_api.errors import ApiError
from siex_api.schemas import TenantCreate, TenantOut
from siex_api.security import Reader, UserDep

router = APIRouter(prefix="/tenants", tags=["tenants"])


def tenant_out(tenant: Tenant, role: str | None = None) -> TenantOut:
    return TenantOut(
        id=tenant.id,
        name=tenant.name,
        created_at=tenant.created_at,
        plan=tenant.plan,
        billing_status=tenant.billing_status,
        role=role,
    )


@router.post("", response_model=TenantOut, status_code=status.HTTP_201_CREATED)
def create(body: TenantCreate, signed_in: UserDep, session: SessionDep) -> TenantOut:
    """Create an organization owned by the signed-in user (free plan)."""
    user, _auth = signed_in
    try:
        tenant = create_tenant_record(session, body.name, body.id)
    except Conflict as exc:
        raise ApiError(409, "conflict", "this tenant id is taken") from exc
    session.add(Membership(user_id=user.id, tenant_id=tenant.id, role="owner"))
    audit.record(session, "member.joined", tenant.id, user_id=user.id, target=user.id, role="owner")
    return tenant_out(tenant, "owner")


@router.get("", response_model=list[TenantOut])
def list_mine(signed_in: UserDep, session: SessionDep) -> list[TenantOut]:
    """The organizations the signed-in user belongs to, with their role."""
    from siex.platform.accounts import memberships_of

    user, _auth = signed_in
    return [tenant_out(m.tenant, m.role) for m in memberships_of(session, user.id)]


@router.get("/me", response_model=TenantOut)
def me(caller: Reader) -> TenantOut:
    """The tenant this call acts on (the API key's, or the user's selected one)."""
    return tenant_out(caller.tenant, caller.role)
