"""Exports of the tenant's warehouse data as CSV or Parquet files; each is audited."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.responses import FileResponse

from siex.platform import audit
from siex_api.deps import WarehouseDep, WriteSessionDep
from siex_api.errors import ApiError
from siex_api.security import Reader

router = APIRouter(prefix="/exports", tags=["exports"])

# The latest keywords of each document version, one row per keyword.
_KEYWORDS = """
    SELECT k.date, k.doc_id, k.url, d.title, d.lang, k.rank, k.keyword, k.score,
           coalesce(k.folded, false) AS folded
    FROM keywords k
    LEFT JOIN (SELECT DISTINCT ON (doc_id, content_hash) doc_id, content_hash, title, lang
               FROM documents) d
      ON d.doc_id = k.doc_id AND d.content_hash = k.content_hash
    WHERE k.date BETWEEN ? AND ?
    ORDER BY k.date, k.url, k.rank
"""
MEDIA = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


@router.get(
    "/keywords",
    response_class=FileResponse,
    responses={200: {"content": {m: {} for m in MEDIA.values()}, "description": "The file."}},
)
def export_keywords(
    caller: Reader,
    warehouse: WarehouseDep,
    session: WriteSessionDep,
    background: BackgroundTasks,
    date_from: Annotated[dt.date, Query(description="first day (UTC), inclusive")],
    date_to: Annotated[dt.date, Query(description="last day (UTC), inclusive")],
    format: Annotated[Literal["csv", "parquet"], Query()] = "csv",
) -> FileResponse:
    """Keywords of the tenant's documents for a range of days (at most 366)."""
    if date_to < date_from or (date_to - date_from).days > 366:
        raise ApiError(400, "bad_request", "date_to must follow date_from, within 366 days")
    fd, path = tempfile.mkstemp(prefix="siex-export-", suffix=f".{format}")
    os.close(fd)
    con = warehouse.connect(caller.tenant.id)
    try:
        options = "FORMAT csv, HEADER true" if format == "csv" else "FORMAT parquet"
        escaped = path.replace("'", "''")
        con.execute(f"COPY ({_KEYWORDS}) TO '{escaped}' ({options})", [date_from, date_to])
        rows = con.execute(f"SELECT count(*) FROM ({_KEYWORDS})", [date_from, date_to]).fetchone()[
            0
        ]
    except Exception:
        os.unlink(path)
        raise
    finally:
        con.close()
    audit.record(session, "data.exported", caller.tenant.id, target="keywords", format=format,
                 date_from=str(date_from), date_to=str(date_to), rows=rows, **caller.audit)  # fmt: skip
    background.add_task(os.unlink, path)
    name = f"siex-keywords-{caller.tenant.id}-{date_from}-{date_to}.{format}"
    return FileResponse(path, media_type=MEDIA[format], filename=name)
