"""Page history: what the tenant's earlier fetches of a URL left behind, and the change
log that every fetch adds to.

Before a run fetches its pages it looks up, per URL, the latest stored version
(content hash, ETag, Last-Modified) over every earlier day of the tenant, so that
it can send a conditional GET and tell an unchanged page from a changed one. The
lookup reads only those few columns from Parquet (``page_history`` and, for pages
fetched before the history existed, ``pages`` without its ``html``), filtered to
the URLs of the run, so its cost does not grow with the size of the stored pages.

Each fetch (or pushed document) adds one ``page_history`` row: ``new`` (never seen
before), ``changed`` (content hash differs), ``unchanged`` (304 or same hash: no
new page row, no extraction) or ``gone`` (404/410 for a URL seen before).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from siex.warehouse import Warehouse

CHANGES = ("new", "changed", "unchanged", "gone")


@dataclass(frozen=True)
class PreviousFetch:
    """The latest stored version of a URL."""

    content_hash: str
    etag: str | None
    last_modified: str | None
    fetched_at: datetime


# Latest version per URL. page_history has a row for every fetch (304s included, with
# the validators the server sent then); pages covers warehouses from before the history.
_PREVIOUS = """
WITH wanted AS (SELECT unnest(?) AS url),
versions AS (
    SELECT h.url, h.content_hash, h.etag, h.last_modified, h.fetched_at
    FROM page_history h SEMI JOIN wanted w ON h.url = w.url
    WHERE h.content_hash IS NOT NULL AND h.change <> 'gone'
    UNION ALL
    SELECT p.url, p.content_hash, p.etag, p.last_modified, p.fetched_at
    FROM pages p SEMI JOIN wanted w ON p.url = w.url
)
SELECT url, content_hash, etag, last_modified, fetched_at FROM versions
QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC) = 1
"""


def previous_fetches(
    warehouse: Warehouse, tenant: str, urls: Iterable[str]
) -> dict[str, PreviousFetch]:
    """The latest stored version of each URL the tenant fetched (or was pushed) before."""
    wanted = sorted(set(urls))
    if not wanted:
        return {}
    con = warehouse.connect(tenant)
    try:
        rows = con.execute(_PREVIOUS, [wanted]).fetchall()
    finally:
        con.close()
    return {
        url: PreviousFetch(content_hash, etag, last_modified, fetched_at)
        for url, content_hash, etag, last_modified, fetched_at in rows
    }


def change_of(previous: PreviousFetch | None, content_hash: str) -> str:
    if previous is None:
        return "new"
    return "unchanged" if previous.content_hash == content_hash else "changed"


def history_row(
    url: str,
    doc_id: str,
    source_id: str,
    fetched_at: datetime,
    change: str,
    content_hash: str | None,
    previous: PreviousFetch | None,
    http_status: int | None,
    detected_by: str,
    etag: str | None = None,
    last_modified: str | None = None,
    run_id: str = "",
) -> dict:
    return {
        "url": url,
        "doc_id": doc_id,
        "source_id": source_id,
        "fetched_at": fetched_at,
        "change": change,
        "content_hash": content_hash,
        "previous_hash": previous.content_hash if previous else None,
        "previous_fetched_at": previous.fetched_at if previous else None,
        "http_status": http_status,
        "detected_by": detected_by,
        "etag": etag,
        "last_modified": last_modified,
        "run_id": run_id,
    }
