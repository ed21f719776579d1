"""Site reports per tenant and day: the on-page audit (issues and scores) and the
internal-link suggestions, with the bounded link check the audit reads."""

from datetime import UTC, datetime, timedelta

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)
from pydantic import Field

from resources import EmbedderResource, FetcherResource, PlatformDBResource, WarehouseResource
from siex.intelligence.audit import (
    KIND,
    SCORES_KIND,
    Thresholds,
    build_onpage_audit,
    load_site,
    unchecked_internal_targets,
)
from siex.intelligence.linkcheck import check_urls
from siex.intelligence.links import LinkOptions, build_link_suggestions
from siex.intelligence.vectors import document_vectors
from siex.platform.service import sitemap_source_ids, source_roles
from siex_assets.ingestion.assets import documents
from siex_assets.intelligence.assets import GROUP
from siex_assets.intelligence.publishing import corpus_for, materialize
from siex_assets.keywords.assets import keywords
from siex_assets.partitions import tenant_and_day, tenant_day_partitions, today_utc


class LinkCheckConfig(Config):
    enabled: bool = True
    max_urls: int = Field(default=100, ge=0, le=2000, description="URLs asked per run at most")
    recheck_days: int = Field(default=7, ge=1, le=365, description="ask a checked URL again after")


@asset(
    deps=[documents],
    partitions_def=tenant_day_partitions,
    group_name=GROUP,
    description="Internal link targets never fetched, asked with HEAD (bounded; the "
    "fetcher's robots.txt and per-host politeness) so the audit can tell broken links; "
    "only for today's partition.",
    kinds={"parquet"},
)
def internal_link_status(
    context: AssetExecutionContext,
    config: LinkCheckConfig,
    warehouse: WarehouseResource,
    platform: PlatformDBResource,
    fetcher: FetcherResource,
) -> MaterializeResult:
    tenant, day = tenant_and_day(context)
    store = warehouse.get()
    if not config.enabled or day != today_utc():
        # Asking now would file today's answers under a past day; the audit of that day
        # uses the checks stored up to it and says so.
        stored = store.read("link_checks", tenant, day).num_rows
        why = (
            "disabled"
            if not config.enabled
            else f"{day} is past: links are checked today only; the audit uses the "
            f"{stored} checks stored for that day and those of earlier days"
        )
        context.log.info(f"no link check: {why}")
        return MaterializeResult(metadata={"checked": 0, "stored": stored, "skipped": why})
    site = load_site(store, tenant, day, *_roles_and_sitemaps(platform, tenant))
    urls = unchecked_internal_targets(
        site, datetime.now(UTC), timedelta(days=config.recheck_days), limit=config.max_urls
    )
    context.log.info(f"checking {len(urls)} internal link targets of {tenant}")
    with fetcher.client() as client:
        rows = check_urls(urls, client, max_urls=config.max_urls)
    store.write("link_checks", tenant, day, rows, part=f"run-{context.run_id}")
    failed = [r for r in rows if r["reason"]]
    for row in failed:
        context.log.warning(f"internal link target {row['url']}: {row['reason']}")
    table = "\n".join(
        ["| url | status | reason |", "| --- | --: | --- |"]
        + [f"| {r['url']} | {r['status'] or ''} | {r['reason']} |" for r in failed[:50]]
    )
    return MaterializeResult(
        metadata={
            "checked": len(rows),
            "failed": len(failed),
            "redirects": sum(1 for r in rows if r["final_url"] and r["final_url"] != r["url"]),
            "failures": MetadataValue.md(table if failed else "_none_"),
        }
    )


class AuditConfig(Config):
    title_max_px: float = Field(default=Thresholds.title_max_px, gt=0)
    title_min_chars: int = Field(default=Thresholds.title_min_chars, ge=0)
    description_max_px: float = Field(default=Thresholds.description_max_px, gt=0)
    description_min_chars: int = Field(default=Thresholds.description_min_chars, ge=0)
    thin_words: int = Field(default=Thresholds.thin_words, ge=0)


@multi_asset(
    specs=[
        AssetSpec(
            KIND,
            deps=[documents, internal_link_status],
            group_name=GROUP,
            description="On-page issues of the tenant's own pages, with severity, evidence "
            "and a fix (titles, descriptions, headings, content, images, canonicals, "
            "hreflang, indexing, broken internal links).",
            kinds={"parquet", "markdown"},
        ),
        AssetSpec(
            SCORES_KIND,
            deps=[documents, internal_link_status],
            group_name=GROUP,
            description="A 0-100 on-page score per page and per site, own and competitor.",
            kinds={"parquet", "markdown"},
        ),
    ],
    partitions_def=tenant_day_partitions,
    name="onpage_audit",
)
def onpage_audit(
    context: AssetExecutionContext,
    config: AuditConfig,
    warehouse: WarehouseResource,
    platform: PlatformDBResource,
):
    tenant, day = tenant_and_day(context)
    site = load_site(warehouse.get(), tenant, day, *_roles_and_sitemaps(platform, tenant))
    context.log.info(f"auditing {len(site.pages)} pages of {tenant} as of {day}")
    issues, scores = build_onpage_audit(site, Thresholds(**config.model_dump()))
    for key, report in ((KIND, issues), (SCORES_KIND, scores)):
        result = materialize(context, warehouse, report)
        yield MaterializeResult(asset_key=key, metadata=result.metadata)


class LinkSuggestionsConfig(Config):
    per_source: int = Field(default=5, ge=1, le=50, description="suggestions per page at most")
    per_target: int = Field(default=10, ge=1, le=500, description="suggestions per target at most")


@asset(
    deps=[keywords],
    partitions_def=tenant_day_partitions,
    group_name=GROUP,
    description="Which own page should link to which, with a verbatim anchor from the "
    "source's text, from keyword overlap and semantic similarity.",
    kinds={"parquet", "markdown"},
)
def link_suggestions(
    context: AssetExecutionContext,
    config: LinkSuggestionsConfig,
    warehouse: WarehouseResource,
    platform: PlatformDBResource,
    embedder: EmbedderResource,
) -> MaterializeResult:
    tenant, day = tenant_and_day(context)
    corpus = corpus_for(context, warehouse, platform, with_text=True)

    def progress(done: int, total: int) -> None:
        context.log.info(f"embedded {done}/{total} new document versions")

    vectors = document_vectors(
        warehouse.get(), embedder.get(), tenant, day, corpus.own, progress=progress
    )
    options = LinkOptions(per_source=config.per_source, per_target=config.per_target)
    return materialize(context, warehouse, build_link_suggestions(corpus, vectors, options))


def _roles_and_sitemaps(platform: PlatformDBResource, tenant: str):
    with platform.session() as session:
        return source_roles(session, tenant), sitemap_source_ids(session, tenant)


SITE_ASSETS = [internal_link_status, onpage_audit, link_suggestions]
