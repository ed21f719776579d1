"""The FastAPI application: routers by resource, all under /v1."""

from fastapi import APIRouter, FastAPI

from siex import __version__
from siex.config import Settings, get_settings
from siex.platform.db import get_engine
from siex_api.errors import install_error_handlers
from siex_api.routers import documents, extract, health, sources, tenants


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    get_engine(settings.platform_db_url)  # create tables before the first request
    app = FastAPI(
        title="SIE-X API",
        version=__version__,
        description="Semantic SEO intelligence: tenants, sources, documents and keywords.",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    install_error_handlers(app)
    v1 = APIRouter(prefix="/v1")
    for module in (health, tenants, sources, documents, extract):
        v1.include_router(module.router)
    app.include_router(v1)
    return app


def app_from_env() -> FastAPI:  # for `uvicorn --factory siex_api.main:app_from_env`
    return create_app(get_settings())
