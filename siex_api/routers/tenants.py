from fastapi import APIRouter, status

from siex.platform.service import Conflict, create_tenant
from siex_api.deps import SessionDep, SettingsDep, TenantDep
from siex_api.errors import ApiError
from siex_api.schemas import TenantCreate, TenantCreated, TenantOut

router = APIRouter(prefix="/tenants", tags=["tenants"])


@router.post("", response_model=TenantCreated, status_code=status.HTTP_201_CREATED)
def create(body: TenantCreate, session: SessionDep, settings: SettingsDep) -> TenantCreated:
    """Create a tenant and its first API key. The key is shown only in this response."""
    try:
        tenant, api_key = create_tenant(session, body.name, settings.resolved_secret_key(), body.id)
    except Conflict as exc:
        raise ApiError(409, "conflict", "a tenant with this id exists") from exc
    return TenantCreated(
        tenant=TenantOut(id=tenant.id, name=tenant.name, created_at=tenant.created_at),
        api_key=api_key,
    )


@router.get("/me", response_model=TenantOut)
def me(tenant: TenantDep) -> TenantOut:
    """The tenant that owns the API key of this request."""
    return TenantOut(id=tenant.id, name=tenant.name, created_at=tenant.created_at)
