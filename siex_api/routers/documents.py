"""The tenant's documents and their keywords, read from the warehouse with DuckDB, and
documents pushed in.

Queries open only the caller's tenant folders (``Warehouse.connect(tenant)``). A push
is written to the tenant's spool in the warehouse (``siex.push``) and processed by
Dagster like a fetched page; the API itself runs no pipeline.
"""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, status

from siex.push import spool_document
from siex_api.deps import SessionDep, WarehouseDep
from siex_api.errors import ApiError
from siex_api.quota import quota_guard
from siex_api.schemas import DocumentAccepted, DocumentOut, DocumentPage, DocumentPush, KeywordOut
from siex_api.security import Reader, Writer

router = APIRouter(prefix="/documents", tags=["documents"])

# Latest version of each document (a page can be fetched on several days).
_LATEST = """
    SELECT doc_id, url, title, lang, published_at, fetched_at, word_count, date, content_hash, text
    FROM documents {where}
    QUALIFY row_number() OVER (PARTITION BY doc_id ORDER BY fetched_at DESC, date DESC) = 1
"""


def _keywords(con, doc_ids: list[str]) -> dict[str, list[KeywordOut]]:
    if not doc_ids:
        return {}
    rows = con.execute(
        """SELECT k.doc_id, k.keyword, k.score, coalesce(k.folded, false) FROM keywords k
           JOIN latest d ON d.doc_id = k.doc_id AND d.content_hash = k.content_hash AND d.date = k.date
           WHERE k.doc_id IN (SELECT unnest(?))
           ORDER BY k.doc_id, k.rank""",
        [doc_ids],
    ).fetchall()
    found: dict[str, list[KeywordOut]] = {}
    for doc_id, keyword, score, folded in rows:
        found.setdefault(doc_id, []).append(
            KeywordOut(text=keyword, score=round(float(score), 4), folded=folded)
        )
    return found


def _document(row, keywords, with_text: bool) -> DocumentOut:
    doc_id, url, title, lang, published, fetched, words, day, _hash, text = row
    return DocumentOut(
        doc_id=doc_id,
        url=url,
        title=title,
        lang=lang,
        published_at=published,
        fetched_at=fetched,
        word_count=words,
        date=day,
        keywords=keywords.get(doc_id, []),
        text=text if with_text else None,
    )


@router.get("", response_model=DocumentPage)
def list_documents(
    caller: Reader,
    warehouse: WarehouseDep,
    date: Annotated[
        dt.date | None, Query(description="only documents fetched that day (UTC)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> DocumentPage:
    """The tenant's documents, newest first, each with its keywords (best first)."""
    con = warehouse.connect(caller.tenant.id)
    try:
        where, params = ("WHERE date = ?", [date]) if date else ("", [])
        con.execute(f"CREATE TEMP TABLE latest AS {_LATEST.format(where=where)}", params)
        total = con.execute("SELECT count(*) FROM latest").fetchone()[0]
        rows = con.execute(
            "SELECT * FROM latest ORDER BY published_at DESC NULLS LAST, fetched_at DESC, url "
            "LIMIT ? OFFSET ?",
            [limit, offset],
        ).fetchall()
        keywords = _keywords(con, [r[0] for r in rows])
    finally:
        con.close()
    return DocumentPage(
        items=[_document(r, keywords, with_text=False) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("", response_model=DocumentAccepted, status_code=status.HTTP_202_ACCEPTED)
def push_document(
    body: DocumentPush, caller: Writer, session: SessionDep, warehouse: WarehouseDep
) -> DocumentAccepted:
    """Push a document (``text`` or ``html``) to be processed like a fetched page:
    documents → keywords → reports, in the tenant's partition of today (UTC). Answers
    202 at once; the document is in ``GET /v1/documents`` once Dagster has run (the
    ``pushed_documents_sensor`` checks every 15 s; while Dagster is down the push
    waits in the warehouse). Pushing the same URL again stores a new version when the
    content changed, and nothing when it did not. Counts against the plan's monthly
    ``documents`` quota."""
    with quota_guard(session, caller.tenant, "documents"):
        pushed = spool_document(
            warehouse,
            caller.tenant.id,
            str(body.url),
            title=body.title,
            text=body.text,
            html=body.html,
            lang=body.lang,
            published_at=body.published_at,
        )
    return DocumentAccepted(
        **pushed,
        processing=(
            f"queued for ingest_job, partition {pushed['date']}|{caller.tenant.id} "
            "(pushed, no fetch): text, keywords and reports as for a fetched page; then "
            f"GET /v1/documents/{pushed['doc_id']}"
        ),
    )


@router.get("/{doc_id}", response_model=DocumentOut)
def get_document(doc_id: str, caller: Reader, warehouse: WarehouseDep) -> DocumentOut:
    """One document with its clean text and keywords."""
    con = warehouse.connect(caller.tenant.id)
    try:
        con.execute(
            f"CREATE TEMP TABLE latest AS {_LATEST.format(where='WHERE doc_id = ?')}", [doc_id]
        )
        row = con.execute("SELECT * FROM latest").fetchone()
        if row is None:
            raise ApiError(404, "not_found", "no such document")
        keywords = _keywords(con, [doc_id])
    finally:
        con.close()
    return _document(row, keywords, with_text=True)
