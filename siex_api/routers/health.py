from fastapi import APIRouter
from sqlalchemy import text

from siex import __version__
from siex.platform.db import get_engine
from siex_api.deps import SettingsDep
from siex_api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(settings: SettingsDep) -> Health:
    """Liveness plus whether the platform database and the warehouse are reachable."""
    try:
        with get_engine(settings.platform_db_url).connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # report, don't raise: health must answer
        database = f"error: {type(exc).__name__}"
    warehouse = "ok" if settings.home.exists() else "missing"
    status = "ok" if database == "ok" else "degraded"
    return Health(status=status, database=database, warehouse=warehouse, version=__version__)
