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
from siex import ingest, push
from siex.history import previous_fetches
from siex.platform.service import active_sources
from siex.web.feeds import SourceError
from siex_assets.partitions import tenant_and_day, tenant_day_partitions, today_utc
from siex_assets.reporting import failures_markdown

RETRY = RetryPolicy(max_retries=2, delay=1, backoff=Backoff.EXPONENTIAL)
PROGRESS_EVERY = 100  # pages between "fetched n/total" log lines


class PageToFetch(Config):
    url: str
    source_id: str = ""
    title: str = ""
    published_at: str | None = None  # ISO 8601, as the feed or sitemap said
    images: list[str] = Field(default_factory=list, description="image:loc of its sitemap entry")


class SourceProblem(Config):
    """A part of a source the sensor could not read (a child sitemap, a cut-off file)."""

    url: str
    source_id: str = ""
    reason: str
    detail: str = ""


class PagesConfig(Config):
    """URLs a sensor saw change, or documents pushed through the API. Both empty:
    crawl every active source of the tenant now."""

    urls: list[PageToFetch] = Field(default_factory=list)
    pushed: list[str] = Field(
        default_factory=list, description="pushed_documents parts to ingest; nothing is fetched"
    )
    source_problems: list[SourceProblem] = Field(default_factory=list)


@asset(
    partitions_def=tenant_day_partitions,
    group_name="ingestion",
    retry_policy=RETRY,
    description="Raw HTML of the tenant's new or changed pages fetched (or pushed) that day "
    "(one Parquet part per run), and a page_history row per URL.",
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
    if config.pushed:
        return _pushed_pages(context, store, tenant, day, config.pushed)
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
    with platform.session() as session:
        sources = active_sources(session, tenant_id=tenant)
    with fetcher.client() as client:
        source_failures = [
            ingest.failure_row(p.url, "source", p.reason, p.detail, p.source_id)
            for p in config.source_problems
        ]
        if config.urls:
            requests = [
                ingest.PageRequest(
                    u.url, u.source_id, u.title, ingest.parse_date(u.published_at), tuple(u.images)
                )
                for u in config.urls
            ]
        else:
            requests, failures = _discover_all(context, sources, client)
            source_failures += failures
        requests = requests[: fetcher.max_urls_per_run]
        ingest.configure_politeness(client, sources, requests)
        previous = previous_fetches(store, tenant, [r.url for r in requests])
        context.log.info(
            f"fetching {len(requests)} pages ({len(previous)} seen before: conditional GET), "
            f"at most {client.max_concurrency} at once, per host "
            f"{client.gate.default_concurrency} at once and {client.gate.default_interval} s apart"
        )

        def progress(done: int, total: int) -> None:
            # Every log line is an event Dagster commits to its storage: a few per run.
            if done == total or done % PROGRESS_EVERY == 0:
                context.log.info(f"fetched {done}/{total} pages")

        result = ingest.fetch_pages(
            requests,
            client,
            run_id=context.run_id,
            progress=progress,
            previous=previous,
            tenant=tenant,
        )
    return _store_pages(context, store, tenant, day, result, source_failures, len(requests))


def _pushed_pages(context, store, tenant: str, day: str, push_ids: list[str]):
    """Documents pushed through the API become page rows; nothing is fetched."""
    rows, missing = push.read_pushed(store, tenant, day, push_ids)
    previous = previous_fetches(store, tenant, [r["url"] for r in rows])
    result = push.pages_from_pushed(rows, previous, context.run_id, tenant)
    for push_id in missing:
        result.fail(push_id, "source", "push_missing", "no such part in pushed_documents")
    context.log.info(f"{len(rows)} pushed documents, {result.unchanged} unchanged")
    return _store_pages(context, store, tenant, day, result, [], len(push_ids), pushed=len(rows))


def _store_pages(context, store, tenant, day, result, source_failures, requested, pushed=None):
    failures = [dict(f, run_id=context.run_id) for f in source_failures + result.failures]
    store.write("pages", tenant, day, result.rows, part=f"run-{context.run_id}")
    store.write("page_history", tenant, day, result.history, part=f"run-{context.run_id}")
    store.write("failures", tenant, day, failures, part=f"fetch-{context.run_id}")
    for f in failures:
        context.log.warning(f"{f['stage']} failed for {f['url']}: {f['reason']} {f['detail']}")
    changes: dict[str, int] = {}
    for row in result.history:
        changes[row["change"]] = changes.get(row["change"], 0) + 1
    metadata = {
        "requested": requested,
        "fetched": len(result.rows),
        "unchanged": result.unchanged,
        "failed": len(failures),
        "changes": MetadataValue.json(changes),
        "failures": MetadataValue.md(failures_markdown(failures)),
    }
    if pushed is not None:
        metadata["pushed"] = pushed
    return MaterializeResult(metadata=metadata, check_results=[_fetch_check(failures)])


def _discover_all(context, sources, client):
    """Every URL the tenant's active sources announce now, and what could not be read."""
    requests, failures = [], ingest.StepResult()
    ingest.configure_politeness(client, sources)
    for source in sources:
        try:
            found = ingest.discover(source, client)
        except SourceError as exc:
            context.log.warning(f"source {source.url} unreadable: {exc}")
            failures.fail(source.url, "source", exc.reason, exc.detail, source.id)
            continue
        failures.failures += found.problems
        requests += ingest.requests_from(source, found.urls or [])
        context.log.info(f"{source.kind} source {source.url}: {len(found.urls or [])} URLs")
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
    description="Clean text, title, language and publish time of each page (trafilatura); "
    "only the pages a run fetched are extracted, merged into the day's documents.",
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
    todo, update = ingest.pages_to_extract(store, tenant, day, context.run_id)
    context.log.info(
        f"extracting text from {len(todo)} "
        + ("new or changed pages of this run" if update else "stored pages (rebuilding the day)")
    )
    result = ingest.build_documents(tenant, todo, keyword_engine.extractor())
    replaced = {p["url"] for p in todo}
    for table, rows in (("documents", result.rows), ("onpage", result.onpage)):
        if not update:
            store.write(table, tenant, day, rows)
        elif replaced or not store.exists(table, tenant, day):
            # Merged into what earlier runs of the day extracted, a batch at a time (never
            # the whole day in memory); a run that extracted nothing leaves the file as is.
            store.merge_by_url(table, tenant, day, rows, replaced)
    store.write(
        "failures",
        tenant,
        day,
        [dict(f, run_id=context.run_id) for f in result.failures],
        part=f"extract-{context.run_id}" if update else "extract",
    )
    for failure in result.failures:
        context.log.warning(
            f"no document for {failure['url']}: {failure['reason']} ({failure['detail']})"
        )

    empty: list[str] = []
    langs: dict[str, int] = {}
    stored_documents = 0
    for batch in store.iter_batches("documents", tenant, day, ["url", "text", "lang"]):
        stored_documents += batch.num_rows
        empty += ingest.empty_texts(batch)
        for lang in batch.column("lang").to_pylist():
            langs[lang] = langs.get(lang, 0) + 1
    return MaterializeResult(
        metadata={
            "documents": stored_documents,
            "extracted_pages": len(todo),
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
