"""The tenant's SEO reports as JSON, CSV/Parquet exports and chart images.

Every report kind has its warehouse table (``report_<kind>``) and an entry per day in
``report_index``; queries open only the caller's tenant folders. Chart files are
served only when the tenant's own index lists them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from siex.intelligence.publish import table_of
from siex.intelligence.tables import REPORT_SCHEMAS
from siex.platform import audit
from siex_api.deps import SettingsDep, WarehouseDep, WriteSessionDep
from siex_api.errors import ApiError
from siex_api.routers.exports import MEDIA
from siex_api.schemas import ReportEntry, ReportOut
from siex_api.security import Reader

router = APIRouter(prefix="/reports", tags=["reports"])

KINDS = tuple(
    sorted(
        t.removeprefix("report_")
        for t in REPORT_SCHEMAS
        if t.startswith("report_") and t != "report_index"
    )
)
Kind = Annotated[str, PathParam(description=f"one of: {', '.join(KINDS)}", max_length=40)]
Day = Annotated[
    dt.date | None, Query(description="the report's day (UTC); the latest one when missing")
]


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ApiError(404, "not_found", f"no report kind {kind!r}", {"kinds": list(KINDS)})
    return kind


def _entry(con, kind: str, day: dt.date | None):
    """The index row of ``kind`` on ``day`` (or its latest day), or a 404."""
    where, params = ("AND date = ?", [kind, day]) if day else ("", [kind])
    row = con.execute(
        f"""SELECT kind, date, generated_at, rows, summary, charts FROM report_index
            WHERE kind = ? {where} ORDER BY date DESC, generated_at DESC LIMIT 1""",
        params,
    ).fetchone()
    if row is None:
        raise ApiError(404, "not_found", f"no {kind} report" + (f" for {day}" if day else " yet"))
    return row


def _as_entry(row) -> ReportEntry:
    kind, day, generated_at, rows, summary, charts = row
    return ReportEntry(
        kind=kind,
        date=day,
        generated_at=generated_at,
        rows=rows,
        summary=json.loads(summary or "{}"),
        charts=[Path(p).name for p in json.loads(charts or "[]")],
    )


@router.get("", response_model=list[ReportEntry])
def list_reports(
    caller: Reader,
    warehouse: WarehouseDep,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    date_from: Annotated[dt.date | None, Query(description="first day, inclusive")] = None,
    date_to: Annotated[dt.date | None, Query(description="last day, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ReportEntry]:
    """The reports materialized for the tenant, newest first, with their headline figures."""
    if kind is not None:
        _check_kind(kind)
    clauses, params = [], []
    for clause, value in (("kind = ?", kind), ("date >= ?", date_from), ("date <= ?", date_to)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    con = warehouse.connect(caller.tenant.id)
    try:
        rows = con.execute(
            f"""SELECT kind, date, generated_at, rows, summary, charts FROM report_index {where}
                QUALIFY row_number() OVER (PARTITION BY kind, date ORDER BY generated_at DESC) = 1
                ORDER BY date DESC, kind LIMIT ?""",
            [*params, limit],
        ).fetchall()
    finally:
        con.close()
    return [_as_entry(r) for r in rows]


@router.get("/{kind}", response_model=ReportOut)
def get_report(
    kind: Kind,
    caller: Reader,
    warehouse: WarehouseDep,
    date: Day = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> ReportOut:
    """One report: its headline figures and its rows, in the report's own order."""
    _check_kind(kind)
    con = warehouse.connect(caller.tenant.id)
    try:
        entry = _as_entry(_entry(con, kind, date))
        table = table_of(kind)
        total = con.execute(
            f"SELECT count(*) FROM {table} WHERE date = ?", [entry.date]
        ).fetchone()[0]
        result = con.execute(
            f"SELECT * EXCLUDE (tenant, date) FROM {table} WHERE date = ? LIMIT ? OFFSET ?",
            [entry.date, limit, offset],
        )
        columns = [c[0] for c in result.description]
        rows = [dict(zip(columns, r, strict=True)) for r in result.fetchall()]
    finally:
        con.close()
    return ReportOut(**entry.model_dump(), total=total, limit=limit, offset=offset, items=rows)


@router.get(
    "/{kind}/export",
    response_class=FileResponse,
    responses={200: {"content": {m: {} for m in MEDIA.values()}, "description": "The file."}},
)
def export_report(
    kind: Kind,
    caller: Reader,
    warehouse: WarehouseDep,
    session: WriteSessionDep,
    background: BackgroundTasks,
    date: Day = None,
    format: Annotated[Literal["csv", "parquet"], Query()] = "csv",
) -> FileResponse:
    """The report's rows as a CSV or Parquet file (audited)."""
    _check_kind(kind)
    fd, path = tempfile.mkstemp(prefix="siex-report-", suffix=f".{format}")
    os.close(fd)
    con = warehouse.connect(caller.tenant.id)
    try:
        entry = _as_entry(_entry(con, kind, date))
        options = "FORMAT csv, HEADER true" if format == "csv" else "FORMAT parquet"
        escaped = path.replace("'", "''")
        con.execute(
            f"COPY (SELECT * EXCLUDE (tenant) FROM {table_of(kind)} WHERE date = ?) "
            f"TO '{escaped}' ({options})",
            [entry.date],
        )
    except Exception:
        os.unlink(path)
        raise
    finally:
        con.close()
    audit.record(session, "data.exported", caller.tenant.id, target=f"report:{kind}",
                 format=format, date=str(entry.date), rows=entry.rows, **caller.audit)  # fmt: skip
    background.add_task(os.unlink, path)
    name = f"siex-{kind}-{caller.tenant.id}-{entry.date}.{format}"
    return FileResponse(path, media_type=MEDIA[format], filename=name)


@router.get(
    "/{kind}/charts/{name}",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}, "description": "The chart."}},
)
def report_chart(
    kind: Kind,
    name: Annotated[str, PathParam(max_length=120, pattern=r"^[a-z0-9_-]+\.png$")],
    caller: Reader,
    warehouse: WarehouseDep,
    settings: SettingsDep,
    date: Day = None,
) -> FileResponse:
    """One chart of a report, as listed in its ``charts``."""
    _check_kind(kind)
    con = warehouse.connect(caller.tenant.id)
    try:
        charts = json.loads(_entry(con, kind, date)[5] or "[]")
    finally:
        con.close()
    own_folder = (settings.reports_dir / caller.tenant.id).resolve()
    for stored in charts:
        path = Path(stored).resolve()
        if path.name == name and path.is_relative_to(own_folder) and path.is_file():
            return FileResponse(path, media_type="image/png")
    raise ApiError(404, "not_found", f"no chart {name!r} in this report")
