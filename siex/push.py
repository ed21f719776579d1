"""Documents pushed through the API: the spool they wait in, and how one becomes a page.

``POST /v1/documents`` writes each pushed document as one Parquet part of the
warehouse table ``pushed_documents`` (partition: the tenant and the UTC day it
arrived), named ``push-<UTC time>-<random>`` so that names sort by arrival. That is
the whole hand-off; nothing else is queued. The ``pushed_documents_sensor`` notices
new parts and requests ``ingest_job`` for that tenant and day with the part names in
its run config ("pushed, no fetch"); the pages asset turns them into page rows
(``pages_from_pushed``) and they flow on through documents, keywords and reports
like fetched pages. While Dagster is down the parts wait: the sensor's cursor (per
tenant, the newest part requested) finds them when it runs again, and a look-back
of ``LOOKBACK`` catches a part that landed after a newer one (two API workers).
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq

from siex.history import PreviousFetch, change_of, history_row
from siex.ingest import PUSH_SOURCE_ID, FetchStepResult, content_hash, doc_id
from siex.warehouse import SCHEMAS, TENANT_ID, Warehouse
from siex.web.urls import normalize_url

TABLE = "pushed_documents"
SOURCE_ID = PUSH_SOURCE_ID  # source_id of pushed pages and documents
LOOKBACK = timedelta(seconds=60)
PUSH_ID = re.compile(r"^push-(\d{8}T\d{12})-[0-9a-f]{8}$")


def new_push_id(now: datetime) -> str:
    return f"push-{now.astimezone(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"


def push_time(push_id: str) -> datetime:
    match = PUSH_ID.match(push_id)
    if not match:
        raise ValueError(f"not a push id: {push_id!r}")
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)


def spool_document(
    warehouse: Warehouse,
    tenant: str,
    url: str,
    *,
    title: str | None = None,
    text: str | None = None,
    html: str | None = None,
    lang: str | None = None,
    published_at: datetime | None = None,
    now: datetime | None = None,
) -> dict:
    """Store one pushed document in today's spool partition; returns its ids."""
    if (text is None) == (html is None):
        raise ValueError("give text or html, not both")
    now = now or datetime.now(UTC)
    day = now.astimezone(UTC).date().isoformat()
    url = normalize_url(url)
    push_id = new_push_id(now)
    row = {
        "push_id": push_id,
        "doc_id": doc_id(tenant, url),
        "url": url,
        "title": title,
        "text": text,
        "html": html,
        "lang": lang,
        "published_at": published_at,
        "received_at": now,
    }
    warehouse.write(TABLE, tenant, day, [row], part=push_id)
    return {"push_id": push_id, "doc_id": row["doc_id"], "url": url, "date": day}


def read_pushed(
    warehouse: Warehouse, tenant: str, day: str, push_ids: Iterable[str]
) -> tuple[list[dict], list[str]]:
    """The spooled rows of ``push_ids`` and the ids that are not (or no longer) there."""
    folder = warehouse.partition_dir(TABLE, tenant, day)
    rows, missing = [], []
    for push_id in push_ids:
        path = folder / f"{push_id}.parquet"
        if not PUSH_ID.match(push_id) or not path.is_file():
            missing.append(push_id)
            continue
        rows += pq.read_table(path, schema=SCHEMAS[TABLE]).to_pylist()
    return rows, missing


def pages_from_pushed(
    rows: Iterable[dict],
    previous: Mapping[str, PreviousFetch],
    run_id: str,
    tenant: str,
) -> FetchStepResult:
    """Page rows for pushed documents, like fetched pages: HTML as ``text/html`` (text,
    on-page signals and language are extracted from it), text as ``text/plain`` (taken
    as it is). A push identical to the stored version is unchanged: no page row."""
    result = FetchStepResult()
    for row in sorted(rows, key=lambda r: r["push_id"]):  # a later push of a URL wins
        is_html = row.get("html") is not None
        content = row["html"] if is_html else row["text"] or ""
        digest = content_hash(content)
        before = previous.get(row["url"])
        change = change_of(before, digest)
        result.history.append(
            history_row(
                row["url"], doc_id(tenant, row["url"]), SOURCE_ID, row["received_at"], change,
                digest, before, None, "push", run_id=run_id,
            )
        )  # fmt: skip
        if change == "unchanged":
            result.unchanged += 1
            continue
        previous = {**previous, row["url"]: PreviousFetch(digest, None, None, row["received_at"])}
        result.rows.append(
            {
                "url": row["url"],
                "source_id": SOURCE_ID,
                "final_url": row["url"],
                "http_status": None,
                "fetched_at": row["received_at"],
                "content_type": f"{'text/html' if is_html else 'text/plain'}; charset=utf-8",
                "encoding": "utf-8",
                "content_hash": digest,
                "html": content,
                "etag": None,
                "last_modified": None,
                "feed_title": row.get("title") or "",
                "published_at": row.get("published_at"),
                "run_id": run_id,
                "content_language": row.get("lang"),
            }
        )
    return result


def pending_pushes(
    warehouse: Warehouse, cursor: Mapping[str, dict]
) -> tuple[dict[tuple[str, str], list[str]], dict[str, dict]]:
    """Spooled pushes no run was requested for yet, by (tenant, day), and the new cursor.

    ``cursor``: per tenant ``{"last": newest push id requested, "recent": ids requested
    within LOOKBACK of it}``. Parts older than that window were requested before; parts
    inside it are pending unless listed in ``recent``. Only the date folders from the
    window on are listed, so a tick costs what arrived since, not the whole spool.
    """
    root = warehouse.root / TABLE
    pending: dict[tuple[str, str], list[str]] = defaultdict(list)
    new_cursor: dict[str, dict] = {}
    for tenant_dir in sorted(root.glob("tenant=*")) if root.is_dir() else []:
        tenant = tenant_dir.name.split("=", 1)[1]
        if not TENANT_ID.match(tenant):
            continue
        state = cursor.get(tenant, {})
        last = state.get("last", "")
        recent = set(state.get("recent", []))
        floor = push_time(last) - LOOKBACK if last else None
        requested = set(recent)
        for date_dir in sorted(tenant_dir.glob("date=*")):
            day = date_dir.name.split("=", 1)[1]
            if floor is not None and day < floor.date().isoformat():
                continue
            for part in sorted(date_dir.glob("push-*.parquet")):
                name = part.stem
                if not PUSH_ID.match(name) or name in recent:
                    continue
                if floor is not None and push_time(name) < floor:
                    continue
                pending[(tenant, day)].append(name)
                requested.add(name)
        if not requested and not last:
            continue
        newest = max(requested | ({last} if last else set()))
        window = push_time(newest) - LOOKBACK
        new_cursor[tenant] = {
            "last": newest,
            "recent": sorted(n for n in requested if push_time(n) >= window),
        }
    return dict(pending), new_cursor
