"""Request dependencies: settings, a database session, the warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from siex.config import Settings
from siex.platform.db import session_scope
from siex.warehouse import Warehouse


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(
    request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> Iterator[Session]:
    """Reading requests get a read-only session (no lock on SQLite), the others a
    writing one. A reading route that writes all the same uses WriteSessionDep."""
    with session_scope(settings.platform_db_url, read_only=request.method in READ_METHODS) as s:
        yield s


def get_write_session(settings: Annotated[Settings, Depends(get_settings)]) -> Iterator[Session]:
    with session_scope(settings.platform_db_url) as session:
        yield session


def get_warehouse(settings: Annotated[Settings, Depends(get_settings)]) -> Warehouse:
    return Warehouse(settings.warehouse_dir, settings.warehouse_db_path)


SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
WarehouseDep = Annotated[Warehouse, Depends(get_warehouse)]
