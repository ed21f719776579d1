"""RSS/Atom and sitemap sensors: request runs only for URLs that are new or changed.

The cursor keeps, per source, the validators for a conditional GET (ETag,
Last-Modified) and a short fingerprint of each URL's announced version. Sources
are read from the platform database on every tick, so a source registered through
the API is seen without a restart.
"""

import hashlib
import json
from collections import defaultdict

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from resources import FetcherResource, PlatformDBResource
from siex import ingest
from siex.platform.service import active_sources, tenant_ids
from siex.web.feeds import SourceError
from siex_assets.jobs import ingest_job
from siex_assets.partitions import TENANT_TAG, tenant_day_key, tenant_partitions, today_utc

SENSOR_INTERVAL_S = 30


def _short(value: str, n: int = 12) -> str:
    return hashlib.sha1(value.encode()).hexdigest()[:n]


def evaluate_sources(
    context: SensorEvaluationContext,
    kind: str,
    platform: PlatformDBResource,
    fetcher: FetcherResource,
):
    cursor: dict = json.loads(context.cursor) if context.cursor else {}
    with platform.session() as session:
        sources = active_sources(session, kind=kind)
        all_tenants = tenant_ids(session)
    known = set(context.instance.get_dynamic_partitions(tenant_partitions.name))
    new_tenants = [t for t in all_tenants if t not in known]

    changed: dict[str, list[dict]] = defaultdict(list)
    new_cursor: dict = {}
    with fetcher.client() as client:
        for source in sources:
            state = cursor.get(source.id, {})
            try:
                found, response = ingest.discover(
                    source, client, etag=state.get("etag"), last_modified=state.get("last_modified")
                )
            except SourceError as exc:
                context.log.warning(
                    f"{kind} source {source.url} ({source.tenant_id}) unreadable: {exc}"
                )
                new_cursor[source.id] = state
                continue
            if found is None:  # 304 Not Modified
                new_cursor[source.id] = state
                continue
            seen: dict[str, str] = state.get("seen", {})
            now_seen: dict[str, str] = {}
            for item in found:
                key, version = _short(item.url), item.fingerprint[:8]
                now_seen[key] = version
                if seen.get(key) != version:
                    changed[source.tenant_id].append(
                        {
                            "url": item.url,
                            "source_id": source.id,
                            "title": item.title,
                            "published_at": item.published_at.isoformat()
                            if item.published_at
                            else None,
                        }
                    )
            new_cursor[source.id] = {
                "etag": response.etag,
                "last_modified": response.last_modified,
                "seen": now_seen,
            }

    day = today_utc()
    run_requests = []
    for tenant, urls in changed.items():
        unique = list({u["url"]: u for u in urls}.values())
        for start in range(0, len(unique), fetcher.max_urls_per_run):
            chunk = unique[start : start + fetcher.max_urls_per_run]
            digest = _short(json.dumps(chunk, sort_keys=True), 16)
            run_requests.append(
                RunRequest(
                    run_key=f"{kind}:{tenant}:{day}:{digest}",
                    partition_key=tenant_day_key(tenant, day),
                    run_config={"ops": {"pages": {"config": {"urls": chunk}}}},
                    tags={TENANT_TAG: tenant, "siex/trigger": kind},
                )
            )
    context.log.info(
        f"{len(sources)} {kind} sources, {sum(len(v) for v in changed.values())} new or changed URLs, "
        f"{len(run_requests)} runs"
    )
    return SensorResult(
        run_requests=run_requests or None,
        skip_reason=None
        if run_requests
        else SkipReason(f"no new or changed URLs in {len(sources)} {kind} sources"),
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
    return evaluate_sources(context, "rss", platform, fetcher)


@sensor(
    job=ingest_job,
    minimum_interval_seconds=SENSOR_INTERVAL_S,
    default_status=DefaultSensorStatus.RUNNING,
    description="Polls every active sitemap; runs the ingest job for new URLs or changed lastmod.",
)
def sitemap_sensor(
    context: SensorEvaluationContext, platform: PlatformDBResource, fetcher: FetcherResource
):
    return evaluate_sources(context, "sitemap", platform, fetcher)
