"""Fetched pages and the documents extracted from them, per tenant and day."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Backoff,
    Config,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)
from pydantic import Field

from resources import FetcherResource, KeywordEngineResource, PlatformDBResource, WarehouseResource
from siex import ingest
from siex.platform.service import active_sources
from siex.web.feeds import SourceError
from siex_assets.partitions import tenant_and_day, tenant_day_partitions, today_utc
from siex_assets.reporting import failures_markdown

RETRY = RetryPolicy(max_retries=2, delay=1, backoff=Backoff.EXPONENTIAL)


class PageToFetch(Config):
    url: str
    source_id: str = ""
    title: str = ""
    published_at: str | None = None  # ISO 8601, as the feed or sitemap said


class PagesConfig(Config):
    """URLs a sensor saw change. Empty: crawl every active source of the tenant now."""

    urls: list[PageToFetch] = Field(default_factory=list)


@asset(
    partitions_def=tenant_day_partitions,
    group_name="ingestion",
    retry_policy=RETRY,
    description="Raw HTML of the tenant's pages fetched that day (one Parquet part per run).",
    kinds={"parquet"},
    check_specs=[AssetCheckSpec("all_pages_fetched", asset="pages")],
)
def pages(
    context: AssetExecutionContext,
    config: PagesConfig,
    fetcher: FetcherResource,
    platform: PlatformDBResource,
    warehouse: WarehouseResource,
) -> MaterializeResult:
    tenant, day = tenant_and_day(context)
    store = warehouse.get()
    if not config.urls and day != today_utc():
        # A backfill of a past day reprocesses the pages stored for it; fetching now
        # would file today's content under that day.
        stored = store.read("pages", tenant, day).num_rows
        context.log.info(
            f"{day} is past: no fetch, downstream assets reprocess {stored} stored pages"
        )
        return MaterializeResult(
            metadata={"requested": 0, "fetched": 0, "failed": 0, "stored_pages": stored},
            check_results=[_fetch_check([])],
        )
    with fetcher.client() as client:
        if config.urls:
            requests = [
                ingest.PageRequest(u.url, u.source_id, u.title, ingest.parse_date(u.published_at))
                for u in config.urls
            ]
            source_failures = []
        else:
            requests, source_failures = _discover_all(context, tenant, platform, client)
        requests = requests[: fetcher.max_urls_per_run]

        def progress(done: int, total: int) -> None:
            if done == total or done % 25 == 0:
                context.log.info(f"fetched {done}/{total} pages")

        result = ingest.fetch_pages(requests, client, run_id=context.run_id, progress=progress)

    failures = [dict(f, run_id=context.run_id) for f in source_failures + result.failures]
    store.write("pages", tenant, day, result.rows, part=f"run-{context.run_id}")
    store.write("failures", tenant, day, failures, part=f"fetch-{context.run_id}")
    for f in failures:
        context.log.warning(f"{f['stage']} failed for {f['url']}: {f['reason']} {f['detail']}")
    return MaterializeResult(
        metadata={
            "requested": len(requests),
            "fetched": len(result.rows),
            "failed": len(failures),
            "failures": MetadataValue.md(failures_markdown(failures)),
        },
        check_results=[_fetch_check(failures)],
    )


def _discover_all(context, tenant, platform, client):
    """Every URL the tenant's active sources announce now, and the unreadable sources."""
    requests, failures = [], ingest.StepResult()
    with platform.session() as session:
        sources = active_sources(session, tenant_id=tenant)
    for source in sources:
        try:
            found, _response = ingest.discover(source, client)
        except SourceError as exc:
            context.log.warning(f"source {source.url} unreadable: {exc}")
            failures.fail(source.url, "source", exc.reason, exc.detail, source.id)
            continue
        requests += ingest.requests_from(source, found or [])
        context.log.info(f"{source.kind} source {source.url}: {len(found or [])} URLs")
    return requests, failures.failures


def _fetch_check(failures: list[dict]) -> AssetCheckResult:
    """A warning in the UI whenever a source or page could not be fetched."""
    reasons: dict[str, int] = {}
    for f in failures:
        reasons[f["reason"]] = reasons.get(f["reason"], 0) + 1
    return AssetCheckResult(
        check_name="all_pages_fetched",
        passed=not failures,
        severity=AssetCheckSeverity.WARN,
        metadata={"failed": len(failures), "reasons": MetadataValue.json(reasons)},
    )


@asset(
    deps=[pages],
    partitions_def=tenant_day_partitions,
    group_name="ingestion",
    retry_policy=RETRY,
    description="Clean text, title, language and publish time of each page (trafilatura).",
    kinds={"parquet"},
    check_specs=[AssetCheckSpec("every_document_has_text", asset="documents")],
)
def documents(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    keyword_engine: KeywordEngineResource,
) -> MaterializeResult:
    tenant, day = tenant_and_day(context)
    store = warehouse.get()
    latest = ingest.latest_pages(store.read("pages", tenant, day).to_pylist())
    context.log.info(f"extracting text from {len(latest)} pages")
    result = ingest.build_documents(tenant, latest, keyword_engine.extractor())
    store.write("documents", tenant, day, result.rows)
    store.write("onpage", tenant, day, result.onpage)
    store.write(
        "failures",
        tenant,
        day,
        [dict(f, run_id=context.run_id) for f in result.failures],
        part="extract",
    )
    for failure in result.failures:
        context.log.warning(
            f"no document for {failure['url']}: {failure['reason']} ({failure['detail']})"
        )

    written = store.read("documents", tenant, day)
    empty = [
        r["url"]
        for r in written.select(["url", "text"]).to_pylist()
        if not (r["text"] or "").strip()
    ]
    langs: dict[str, int] = {}
    for lang in written.column("lang").to_pylist():
        langs[lang] = langs.get(lang, 0) + 1
    return MaterializeResult(
        metadata={
            "documents": written.num_rows,
            "onpage_rows": len(result.onpage),
            "failed": len(result.failures),
            "languages": MetadataValue.json(langs),
            "failures": MetadataValue.md(failures_markdown(result.failures)),
        },
        check_results=[
            AssetCheckResult(
                check_name="every_document_has_text",
                passed=not empty,
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "documents_without_text": len(empty),
                    "examples": MetadataValue.json(empty[:10]),
                },
            )
        ],
    )
