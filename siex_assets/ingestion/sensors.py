"""Source sensors: request runs only for URLs that are new or changed, and for
documents pushed through the API.

The cursor keeps, per source (per sitemap, for a site source), the validators for a
conditional GET (ETag, Last-Modified) and a short fingerprint of each URL's announced
version. Sources are read from the platform database on every tick, so a source
registered through the API is seen without a restart. Sources and parts of sources
that could not be read (a broken child sitemap, a file cut at 50,000 URLs) are
logged on the tick and travel with the tenant's next run request, whose pages asset
records them as failures.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import replace

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from resources import FetcherResource, PlatformDBResource, WarehouseResource
from siex import ingest, push
from siex.platform.service import SourceSpec, active_sources, tenant_ids
from siex.web.feeds import SourceError
from siex_assets.jobs import ingest_job
from siex_assets.partitions import TENANT_TAG, tenant_day_key, tenant_partitions, today_utc

SENSOR_INTERVAL_S = 30
PUSH_SENSOR_INTERVAL_S = 15
PUSHES_PER_RUN = 500


def _short(value: str, n: int = 12) -> str:
    return hashlib.sha1(value.encode()).hexdigest()[:n]


def _targets(source: SourceSpec, client, context) -> list[tuple[str, SourceSpec, str]]:
    """What to poll for one source: ``(cursor key, spec, format)``. A site source is one
    sitemap source per sitemap its robots.txt declares (or its /sitemap.xml), each with
    its own conditional GET and fingerprints."""
    if source.kind != "site":
        return [(source.id, source, "")]
    try:
        sitemaps, notes = ingest.site_sitemaps(source, client)
    except SourceError as exc:
        context.log.warning(f"site {source.url} ({source.tenant_id}) unreadable: {exc}")
        return []
    for note in notes:
        context.log.warning(f"site {source.url}: {note['reason']} {note['detail']}")
    return [(f"{source.id}|{url}", replace(source, url=url), "auto") for url in sitemaps]


def _discover(spec: SourceSpec, fmt: str, client, state: dict) -> ingest.Discovery:
    etag, last_modified = state.get("etag"), state.get("last_modified")
    if fmt == "auto":
        return ingest.discover_sitemap(spec.url, client, spec.id, etag, last_modified, "auto")
    return ingest.discover(spec, client, etag=etag, last_modified=last_modified)


def evaluate_sources(
    context: SensorEvaluationContext,
    kinds: tuple[str, ...],
    platform: PlatformDBResource,
    fetcher: FetcherResource,
    trigger: str,
):
    cursor: dict = json.loads(context.cursor) if context.cursor else {}
    with platform.session() as session:
        sources = active_sources(session, kind=kinds)
        all_tenants = tenant_ids(session)
    known = set(context.instance.get_dynamic_partitions(tenant_partitions.name))
    new_tenants = [t for t in all_tenants if t not in known]

    changed: dict[str, list[dict]] = defaultdict(list)
    problems: dict[str, list[dict]] = defaultdict(list)
    new_cursor: dict = {}
    with fetcher.client() as client:
        ingest.configure_politeness(client, sources)
        for source in sources:
            for key, spec, fmt in _targets(source, client, context):
                state = cursor.get(key, {})
                try:
                    found = _discover(spec, fmt, client, state)
                except SourceError as exc:
                    context.log.warning(
                        f"{spec.kind} source {spec.url} ({spec.tenant_id}) unreadable: {exc}"
                    )
                    problems[source.tenant_id].append(
                        {"url": spec.url, "source_id": source.id, "reason": exc.reason,
                         "detail": exc.detail[:1000]}
                    )  # fmt: skip
                    new_cursor[key] = state
                    continue
                if found.urls is None:  # 304 Not Modified
                    new_cursor[key] = state
                    continue
                for problem in found.problems:
                    context.log.warning(
                        f"{spec.url}: {problem['reason']} at {problem['url']}: {problem['detail']}"
                    )
                    problems[source.tenant_id].append(
                        {k: problem[k] for k in ("url", "source_id", "reason", "detail")}
                    )
                seen: dict[str, str] = state.get("seen", {})
                now_seen: dict[str, str] = {}
                for item in found.urls:
                    url_key, version = _short(item.url), item.fingerprint[:8]
                    now_seen[url_key] = version
                    if seen.get(url_key) != version:
                        changed[source.tenant_id].append(
                            {
                                "url": item.url,
                                "source_id": source.id,
                                "title": item.title,
                                "published_at": item.published_at.isoformat()
                                if item.published_at
                                else None,
                                **({"images": list(item.images)} if item.images else {}),
                            }
                        )
                response = found.response
                new_cursor[key] = {
                    "etag": response.etag if response else None,
                    "last_modified": response.last_modified if response else None,
                    "seen": now_seen,
                }

    day = today_utc()
    run_requests = []
    for tenant, urls in changed.items():
        unique = list({u["url"]: u for u in urls}.values())
        for start in range(0, len(unique), fetcher.max_urls_per_run):
            chunk = unique[start : start + fetcher.max_urls_per_run]
            digest = _short(json.dumps(chunk, sort_keys=True), 16)
            config = {"urls": chunk}
            if start == 0 and problems.get(tenant):
                config["source_problems"] = problems[tenant]
            run_requests.append(
                RunRequest(
                    run_key=f"{trigger}:{tenant}:{day}:{digest}",
                    partition_key=tenant_day_key(tenant, day),
                    run_config={"ops": {"pages": {"config": config}}},
                    tags={TENANT_TAG: tenant, "siex/trigger": trigger},
                )
            )
    context.log.info(
        f"{len(sources)} {'/'.join(kinds)} sources, "
        f"{sum(len(v) for v in changed.values())} new or changed URLs, {len(run_requests)} runs"
    )
    return SensorResult(
        run_requests=run_requests or None,
        skip_reason=None
        if run_requests
        else SkipReason(f"no new or changed URLs in {len(sources)} {'/'.join(kinds)} sources"),
        dynamic_partitions_requests=[tenant_partitions.build_add_request(new_tenants)]
        if new_tenants
        else None,
        cursor=json.dumps(new_cursor, sort_keys=True),
    )


@sensor(
    job=ingest_job,
    minimum_interval_seconds=SENSOR_INTERVAL_S,
    default_status=DefaultSensorStatus.RUNNING,
    description="Polls every active RSS/Atom source; runs the ingest job for new or changed entries.",
)
def rss_sensor(
    context: SensorEvaluationContext, platform: PlatformDBResource, fetcher: FetcherResource
):
    return evaluate_sources(context, ("rss",), platform, fetcher, "rss")


@sensor(
    job=ingest_job,
    minimum_interval_seconds=SENSOR_INTERVAL_S,
    default_status=DefaultSensorStatus.RUNNING,
    description="Polls every active sitemap, URL list and site (its sitemaps from robots.txt); "
    "runs the ingest job for new URLs or changed lastmod.",
)
def sitemap_sensor(
    context: SensorEvaluationContext, platform: PlatformDBResource, fetcher: FetcherResource
):
    return evaluate_sources(context, ("sitemap", "urllist", "site"), platform, fetcher, "sitemap")


@sensor(
    job=ingest_job,
    minimum_interval_seconds=PUSH_SENSOR_INTERVAL_S,
    default_status=DefaultSensorStatus.RUNNING,
    description="Runs the ingest job (pushed, no fetch) for documents pushed through the API.",
)
def pushed_documents_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource):
    cursor: dict = json.loads(context.cursor) if context.cursor else {}
    pending, new_cursor = push.pending_pushes(warehouse.get(), cursor)
    known = set(context.instance.get_dynamic_partitions(tenant_partitions.name))
    new_tenants = sorted({tenant for tenant, _day in pending} - known)
    run_requests = []
    for (tenant, day), names in sorted(pending.items()):
        for start in range(0, len(names), PUSHES_PER_RUN):
            chunk = names[start : start + PUSHES_PER_RUN]
            run_requests.append(
                RunRequest(
                    run_key=f"push:{tenant}:{day}:{_short(json.dumps(chunk), 16)}",
                    partition_key=tenant_day_key(tenant, day),
                    run_config={"ops": {"pages": {"config": {"pushed": chunk}}}},
                    tags={TENANT_TAG: tenant, "siex/trigger": "push"},
                )
            )
    if run_requests:
        context.log.info(
            f"{sum(map(len, pending.values()))} pushed documents, {len(run_requests)} runs"
        )
    return SensorResult(
        run_requests=run_requests or None,
        skip_reason=None if run_requests else SkipReason("no pushed documents waiting"),
        dynamic_partitions_requests=[tenant_partitions.build_add_request(new_tenants)]
        if new_tenants
        else None,
        cursor=json.dumps(new_cursor, sort_keys=True),
    )
