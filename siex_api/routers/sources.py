from fastapi import APIRouter, status
from sqlalchemy import select

from siex.platform.models import Source
from siex.platform.service import Conflict, add_source
from siex_api.deps import SessionDep
from siex_api.errors import ApiError
from siex_api.quota import quota_guard
from siex_api.schemas import SourceCreate, SourceOut
from siex_api.security import Reader, Writer

router = APIRouter(prefix="/sources", tags=["sources"])


def _out(source: Source) -> SourceOut:
    return SourceOut(
        id=source.id,
        kind=source.kind,
        url=source.url,
        role=source.role,
        active=source.active,
        created_at=source.created_at,
        host_concurrency=source.host_concurrency,
        host_min_interval_s=source.host_min_interval_s,
    )


@router.post("", response_model=SourceOut, status_code=status.HTTP_201_CREATED)
def register(body: SourceCreate, caller: Writer, session: SessionDep) -> SourceOut:
    """Register an RSS/Atom feed, a sitemap, a URL list or a site; the sensors poll it
    from their next tick. Optional politeness for its hosts (a competitor's source can
    only be gentler than the defaults). Counts against the plan's source quota."""
    with quota_guard(session, caller.tenant, "sources"):
        try:
            source = add_source(
                session,
                caller.tenant.id,
                body.kind,
                str(body.url),
                body.role,
                host_concurrency=body.host_concurrency,
                host_min_interval_s=body.host_min_interval_s,
            )
        except Conflict as exc:
            raise ApiError(409, "conflict", "this source is registered already") from exc
    return _out(source)


@router.get("", response_model=list[SourceOut])
def list_sources(caller: Reader, session: SessionDep) -> list[SourceOut]:
    query = select(Source).where(Source.tenant_id == caller.tenant.id).order_by(Source.created_at)
    return [_out(s) for s in session.scalars(query)]
