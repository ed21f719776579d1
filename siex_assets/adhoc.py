"""`siex ingest --tenant T URL`: one source, once, in-process, through the same assets
the sensors trigger (pages → documents → keywords → report), recorded in the instance.

The source need not be registered: a feed or sitemap URL is read as the sensors read
it (kind detected from the content unless given), its pages are fetched in runs of at
most ``SIEX_MAX_URLS_PER_RUN`` URLs, and one JSON summary comes back.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from dagster import DagsterInstance
from sqlalchemy import select

from siex import ingest
from siex.config import Settings
from siex.instance import prepare_dagster_home
from siex.platform.db import session_scope
from siex.platform.models import Source, Tenant
from siex.platform.service import SourceSpec
from siex.web.feeds import SourceError
from siex.web.fetch import Fetcher
from siex_assets.partitions import tenant_day_key, tenant_partitions, today_utc


class IngestError(Exception):
    """The source cannot be ingested at all (unknown tenant, unreadable source)."""


def _source(settings: Settings, tenant: str, url: str, kind: str | None) -> list[SourceSpec]:
    """The registered source with this URL, else ad-hoc specs to try (rss, then sitemap)."""
    with session_scope(settings.platform_db_url, read_only=True) as session:
        if session.get(Tenant, tenant) is None:
            raise IngestError(f"no tenant {tenant!r}")
        known = session.scalar(select(Source).where(Source.tenant_id == tenant, Source.url == url))
        if known is not None:
            return [SourceSpec(known.id, tenant, known.kind, known.url, known.role)]
    adhoc = f"adhoc-{hashlib.sha256(url.encode()).hexdigest()[:12]}"
    kinds = [kind] if kind else ["rss", "sitemap"]
    return [SourceSpec(adhoc, tenant, k, url, "own") for k in kinds]


def ingest_source_once(
    settings: Settings, tenant: str, url: str, kind: str | None = None, log=print
) -> dict:
    prepare_dagster_home(settings)
    errors: Counter[str] = Counter()
    found = None
    with Fetcher(
        user_agent=settings.user_agent,
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.max_page_bytes,
        max_redirects=settings.max_redirects,
        retries=settings.fetch_retries,
    ) as fetcher:
        last_error: SourceError | None = None
        for source in _source(settings, tenant, url, kind):
            try:
                found, _response = ingest.discover(source, fetcher)
                break
            except SourceError as exc:
                last_error = exc
        if found is None:
            raise IngestError(f"cannot read {url}: {last_error}")
    log(f"{len(found)} pages announced by {url} ({source.kind})")
    urls = [
        {"url": p.url, "source_id": source.id, "title": p.title,
         "published_at": p.published_at.isoformat() if p.published_at else None}
        for p in found
    ]  # fmt: skip
    from siex_assets.definitions import build_definitions

    job = build_definitions(settings).resolve_job_def("ingest_job")
    instance = DagsterInstance.get()
    if not instance.has_dynamic_partition(tenant_partitions.name, tenant):
        instance.add_dynamic_partitions(tenant_partitions.name, [tenant])
    totals = Counter()
    step = settings.max_urls_per_run
    for start in range(0, len(urls), step):
        chunk = urls[start : start + step]
        log(f"run {start // step + 1}: {len(chunk)} pages")
        result = job.execute_in_process(
            instance=instance,
            partition_key=tenant_day_key(tenant, today_utc()),
            run_config={"ops": {"pages": {"config": {"urls": chunk}}}},
            tags={"siex/trigger": "cli-ingest", "siex/tenant": tenant},
            raise_on_error=False,
        )
        meta = {
            node: result.asset_materializations_for_node(node)[0].metadata
            for node in ("pages", "documents", "keywords")
            if result.asset_materializations_for_node(node)
        }
        totals["fetched"] += _value(meta.get("pages", {}), "fetched")
        totals["failed"] += _value(meta.get("pages", {}), "failed")
        totals["extracted"] += _value(meta.get("keywords", {}), "extracted")
        totals["unchanged"] += _value(meta.get("keywords", {}), "reused")
        for reason, count in _failure_reasons(settings, tenant, result.run_id).items():
            errors[reason] += count
        if not result.success:
            errors["run_failed"] += 1
    from siex.warehouse import Warehouse

    documents = Warehouse(settings.warehouse_dir).read("documents", tenant, today_utc())
    announced = {u["url"] for u in urls}
    return {
        "fetched": totals["fetched"],
        "documents": sum(1 for u in documents.column("url").to_pylist() if u in announced),
        "unchanged": totals["unchanged"],
        "failed": sum(n for reason, n in errors.items() if reason != "run_failed"),
        "errors": dict(errors),
    }


def _value(metadata, key: str) -> int:
    entry = metadata.get(key)
    return int(entry.value) if entry is not None else 0


def _failure_reasons(settings: Settings, tenant: str, run_id: str) -> Counter[str]:
    from siex.warehouse import Warehouse

    failures = Warehouse(settings.warehouse_dir).read("failures", tenant, today_utc())
    return Counter(f["reason"] for f in failures.to_pylist() if f.get("run_id") == run_id)
