"""Request dependencies: settings, a database session, the tenant behind the API key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from siex.config import Settings
from siex.platform.db import session_scope
from siex.platform.models import Tenant
from siex.platform.service import authenticate
from siex.warehouse import Warehouse
from siex_api.errors import ApiError


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(settings: Annotated[Settings, Depends(get_settings)]) -> Iterator[Session]:
    with session_scope(settings.platform_db_url) as session:
        yield session


def get_warehouse(settings: Annotated[Settings, Depends(get_settings)]) -> Warehouse:
    return Warehouse(settings.warehouse_dir, settings.warehouse_db_path)


def current_tenant(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Tenant:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send an API key as 'Authorization: Bearer sk_...'")
    tenant = authenticate(session, token.strip(), settings.resolved_secret_key())
    if tenant is None:
        raise ApiError(401, "unauthorized", "invalid or revoked API key")
    return tenant


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
TenantDep = Annotated[Tenant, Depends(current_tenant)]
WarehouseDep = Annotated[Warehouse, Depends(get_warehouse)]
