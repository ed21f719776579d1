"""Keywords per document and the day's keyword table, per tenant and day."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)

from resources import KeywordEngineResource, PlatformDBResource, WarehouseResource
from siex import ingest
from siex.platform.quotas import record_usage
from siex.site_corpus import site_corpora, site_wide_phrases
from siex_assets.ingestion.assets import RETRY, documents
from siex_assets.partitions import tenant_and_day, tenant_day_partitions
from siex_assets.reporting import failures_markdown


@asset(
    deps=[documents],
    partitions_def=tenant_day_partitions,
    group_name="keywords",
    retry_policy=RETRY,
    description="Ranked keyphrases of each document; unchanged text reuses stored keywords.",
    kinds={"parquet"},
    check_specs=[AssetCheckSpec("every_document_has_keywords_or_reason", asset="keywords")],
)
def keywords(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    keyword_engine: KeywordEngineResource,
    platform: PlatformDBResource,
) -> MaterializeResult:
    tenant, day = tenant_and_day(context)
    store = warehouse.get()
    docs = store.read("documents", tenant, day).to_pylist()
    previous = store.read("keywords", tenant, day).to_pylist()
    extractor = keyword_engine.extractor()
    # Each page is ranked against its own site: phrases most of its pages list sink.
    corpora = site_corpora(store, tenant, day, extractor)
    result, extracted = ingest.extract_keywords(
        docs, extractor, previous=previous, top_k=keyword_engine.top_k, corpora=corpora
    )
    store.write("keywords", tenant, day, result.rows)
    store.write(
        "failures",
        tenant,
        day,
        [dict(f, run_id=context.run_id) for f in result.failures],
        part="keywords",
    )
    context.log.info(f"{extracted} documents extracted, {len(docs) - extracted} reused unchanged")
    # Billable once per document version: a retried run or a re-run day bills nothing new.
    with platform.session() as session:
        billed = sum(
            record_usage(
                session, tenant, "documents", f"documents:{d['doc_id']}:{d['content_hash']}"
            )
            for d in docs
        )
    context.log.info(f"{billed} new document versions recorded for billing")

    with_keywords = {
        r["doc_id"] for r in store.read("keywords", tenant, day).select(["doc_id"]).to_pylist()
    }
    with_reason = {f["url"] for f in result.failures}
    unexplained = [
        d["url"] for d in docs if d["doc_id"] not in with_keywords and d["url"] not in with_reason
    ]
    return MaterializeResult(
        metadata={
            "documents": len(docs),
            "extracted": extracted,
            "reused": len(docs) - extracted,
            "keyword_rows": len(result.rows),
            "site_corpora": {site: c.n_docs for site, c in sorted(corpora.items())},
            "site_wide_phrases": MetadataValue.json(site_wide_phrases(corpora)),
            "billed_documents": billed,
            "failures": MetadataValue.md(failures_markdown(result.failures)),
        },
        check_results=[
            AssetCheckResult(
                check_name="every_document_has_keywords_or_reason",
                passed=not unexplained,
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "unexplained": len(unexplained),
                    "examples": MetadataValue.json(unexplained[:10]),
                },
            )
        ],
    )


@asset(
    deps=[keywords],
    partitions_def=tenant_day_partitions,
    group_name="keywords",
    description="The day's keyword table: documents per keyword, summed score, best rank.",
    kinds={"parquet", "duckdb"},
)
def keyword_stats(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    tenant, day = tenant_and_day(context)
    store = warehouse.get()
    rows = ingest.keyword_stats(store.read("keywords", tenant, day).to_pylist())
    store.write("keyword_stats", tenant, day, rows)
    if not store.refresh_views_file():
        context.log.info("warehouse.duckdb is open elsewhere; its views were left as they were")
    top = "\n".join(f"| {r['keyword']} | {r['documents']} | {r['score_sum']} |" for r in rows[:10])
    return MaterializeResult(
        metadata={
            "keywords": len(rows),
            "top": MetadataValue.md("| keyword | documents | score |\n| --- | --: | --: |\n" + top),
        }
    )
