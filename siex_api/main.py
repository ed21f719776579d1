"""The FastAPI application: routers by resource, all under /v1."""

from fastapi import APIRouter, FastAPI

from siex import __version__
from siex.config import Settings, get_settings
from siex.platform.db import get_engine
from siex.platform.ratelimit import RateLimiter
from siex_api.errors import install_error_handlers
from siex_api.routers import (
    api_keys,
    audit_logs,
    auth,
    billing,
    documents,
    exports,
    extract,
    health,
    members,
    pipelines,
    reports,
    sources,
    tenants,
    usage,
)
from siex_api.schemas import ErrorOut

# Documented on every route: what the shared error handler may answer.
ERROR_RESPONSES = {
    status: {"model": ErrorOut, "description": description}
    for status, description in {
        400: "Bad request",
        401: "Missing, invalid or expired credentials",
        402: "Quota of the plan used up (details: resource, limit, used, resets_at)",
        403: "Scope or role does not allow this",
        404: "Not found (or not yours)",
        409: "Conflict with the current state",
        422: "Invalid request body or parameters",
        429: "Rate limited: see Retry-After",
    }.items()
}

ROUTERS = (
    health,
    auth,
    tenants,
    members,
    api_keys,
    pipelines,
    sources,
    documents,
    exports,
    reports,
    extract,
    usage,
    audit_logs,
    billing,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_production()
    get_engine(settings.platform_db_url)  # migrate before the first request
    app = FastAPI(
        title="SIE-X API",
        version=__version__,
        description=(
            "Semantic SEO intelligence: accounts, tenants, API keys, sources, documents, "
            "keywords, usage and billing. Authenticate with `Authorization: Bearer <token>`: "
            "a user's access token (from /v1/auth/login) or an API key (sk_live_…)."
        ),
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.limiter = RateLimiter(settings.rate_limit_storage)
    install_error_handlers(app)
    v1 = APIRouter(prefix="/v1")
    for module in ROUTERS:
        v1.include_router(module.router, responses=ERROR_RESPONSES)
    app.include_router(v1)
    return app


def app_from_env() -> FastAPI:  # for `uvicorn --factory siex_api.main:app_from_env`
    return create_app(get_settings())
