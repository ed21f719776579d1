"""`siex ingest --tenant T URL`: one source, once, in-process, through the same assets
the sensors trigger (pages → documents → keywords → report), recorded in the instance.

The source need not be registered: a feed, sitemap, URL list or site is read as the
sensors read it (kind detected unless given: a bare site root is a site, anything
else is tried as a feed, then a sitemap, then a URL list), its pages are fetched in
runs of at most ``SIEX_MAX_URLS_PER_RUN`` URLs, and one JSON summary comes back
(``summary``, the same shape whatever happened): ``fetched`` pages with new or changed
content, ``documents`` of the day among the announced URLs, ``unchanged`` pages (304,
or the same content as stored), ``failed`` announced pages that failed (fetch,
extraction or keywords; each page once), and ``errors``: every reason counted, the
pages' and the source's own (a cut sitemap, an unreadable child sitemap).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from urllib.parse import urlsplit

from dagster import DagsterInstance
from sqlalchemy import select

from siex import ingest
from siex.config import Settings
from siex.instance import prepare_dagster_home
from siex.platform.db import session_scope
from siex.platform.models import Source, Tenant
from siex.platform.service import SourceSpec, spec_of
from siex.web.feeds import SourceError
from siex.web.fetch import fetcher_from_settings
from siex_assets.partitions import tenant_day_key, tenant_partitions, today_utc


class IngestError(Exception):
    """The source cannot be ingested at all (unknown tenant, unreadable source);
    ``errors`` are its reasons, as the summary's ``errors`` carries them."""

    def __init__(self, message: str, errors: dict[str, int]) -> None:
        super().__init__(message)
        self.errors = errors


def summary(
    fetched: int = 0,
    documents: int = 0,
    unchanged: int = 0,
    failed: int = 0,
    errors: dict[str, int] | None = None,
) -> dict:
    """The one shape `siex ingest` prints, success or not."""
    return {
        "fetched": fetched,
        "documents": documents,
        "unchanged": unchanged,
        "failed": failed,
        "errors": dict(errors or {}),
    }


def _source(settings: Settings, tenant: str, url: str, kind: str | None) -> list[SourceSpec]:
    """The registered source with this URL, else ad-hoc specs to try (rss, then sitemap)."""
    with session_scope(settings.platform_db_url, read_only=True) as session:
        if session.get(Tenant, tenant) is None:
            raise IngestError(f"no tenant {tenant!r}", {"unknown_tenant": 1})
        known = session.scalar(select(Source).where(Source.tenant_id == tenant, Source.url == url))
        if known is not None:
            return [spec_of(known)]
    adhoc = f"adhoc-{hashlib.sha256(url.encode()).hexdigest()[:12]}"
    if kind:
        kinds = [kind]
    elif urlsplit(url).path in ("", "/") and not urlsplit(url).query:
        kinds = ["site", "rss", "sitemap"]
    else:
        kinds = ["rss", "sitemap", "urllist"]
    return [SourceSpec(adhoc, tenant, k, url, "own") for k in kinds]


def ingest_source_once(
    settings: Settings, tenant: str, url: str, kind: str | None = None, log=print
) -> dict:
    prepare_dagster_home(settings)
    errors: Counter[str] = Counter()
    found = None
    with fetcher_from_settings(settings) as fetcher:
        tried: list[tuple[str, SourceError]] = []
        for source in _source(settings, tenant, url, kind):
            try:
                ingest.configure_politeness(fetcher, [source])
                found = ingest.discover(source, fetcher)
                break
            except SourceError as exc:
                tried.append((source.kind, exc))
        if found is None:
            # Each kind tried says why it could not read the source; one reason once.
            said = "; ".join(f"as {k}: {exc}" for k, exc in tried)
            raise IngestError(
                f"cannot read {url} ({said})", dict.fromkeys((e.reason for _k, e in tried), 1)
            )
    log(f"{len(found.urls)} pages announced by {url} ({source.kind})")
    for problem in found.problems:
        log(f"{problem['reason']} at {problem['url']}: {problem['detail']}")
        if not found.urls:  # no run to record it in
            errors[problem["reason"]] += 1
    problems = [{k: p[k] for k in ("url", "source_id", "reason", "detail")} for p in found.problems]
    urls = [
        {"url": p.url, "source_id": source.id, "title": p.title,
         "published_at": p.published_at.isoformat() if p.published_at else None,
         **({"images": list(p.images)} if p.images else {})}
        for p in found.urls
    ]  # fmt: skip
    from siex_assets.definitions import build_definitions

    job = build_definitions(settings).resolve_job_def("ingest_job")
    instance = DagsterInstance.get()
    if not instance.has_dynamic_partition(tenant_partitions.name, tenant):
        instance.add_dynamic_partitions(tenant_partitions.name, [tenant])
    totals = Counter()
    failed_pages: set[str] = set()
    step = settings.max_urls_per_run
    for start in range(0, len(urls), step):
        chunk = urls[start : start + step]
        log(f"run {start // step + 1}: {len(chunk)} pages")
        config = {"urls": chunk, "source_problems": problems if start == 0 else []}
        result = job.execute_in_process(
            instance=instance,
            partition_key=tenant_day_key(tenant, today_utc()),
            run_config={"ops": {"pages": {"config": config}}},
            tags={"siex/trigger": "cli-ingest", "siex/tenant": tenant},
            raise_on_error=False,
        )
        meta = {
            node: result.asset_materializations_for_node(node)[0].metadata
            for node in ("pages", "documents", "keywords")
            if result.asset_materializations_for_node(node)
        }
        totals["fetched"] += _value(meta.get("pages", {}), "fetched")
        totals["unchanged"] += _value(meta.get("pages", {}), "unchanged")
        for failure in _failures(settings, tenant, result.run_id):
            errors[failure["reason"]] += 1
            if failure["stage"] != "source":
                failed_pages.add(failure["url"])
        if not result.success:
            errors["run_failed"] += 1
    from siex.warehouse import Warehouse

    documents = Warehouse(settings.warehouse_dir).read("documents", tenant, today_utc())
    announced = {u["url"] for u in urls}
    return summary(
        fetched=totals["fetched"],
        documents=sum(1 for u in documents.column("url").to_pylist() if u in announced),
        unchanged=totals["unchanged"],
        failed=len(failed_pages),
        errors=errors,
    )


def _value(metadata, key: str) -> int:
    entry = metadata.get(key)
    return int(entry.value) if entry is not None else 0


def _failures(settings: Settings, tenant: str, run_id: str) -> list[dict]:
    """The failure rows of one run: pages (fetch, extract, keywords) and source parts."""
    from siex.warehouse import Warehouse

    failures = Warehouse(settings.warehouse_dir).read("failures", tenant, today_utc())
    return [f for f in failures.to_pylist() if f.get("run_id") == run_id]
