"""Keywords per document and the day's keyword table, per tenant and day."""

import pyarrow as pa
import pyarrow.compute as pc
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
from siex.platform.quotas import record_usage_many
from siex.site_corpus import site_corpora, site_wide_phrases
from siex.warehouse import SCHEMAS
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
    # The day's documents without their text; the texts of those to extract are looked
    # up a batch at a time, so the day's texts are never in memory at once.
    columns = [c for c in SCHEMAS["documents"].names if c != "text"]
    docs = store.read("documents", tenant, day, columns=columns)
    extractor = keyword_engine.extractor()
    update = ingest.update_keywords(
        docs,
        store.read("keywords", tenant, day),
        extractor,
        top_k=keyword_engine.top_k,
        texts=lambda ids: ingest.document_texts(store, tenant, day, ids),
        # Each page is ranked against its own site: phrases most of its pages list sink.
        corpora=lambda: site_corpora(store, tenant, day, extractor),
    )
    if update.changed or not store.exists("keywords", tenant, day):
        store.write("keywords", tenant, day, update.table)
    store.write(
        "failures",
        tenant,
        day,
        [dict(f, run_id=context.run_id) for f in update.failures],
        part="keywords",
    )
    extracted, n_docs = update.extracted, docs.num_rows
    context.log.info(f"{extracted} documents extracted, {n_docs - extracted} reused unchanged")
    # Billable once per document version: a retried run or a re-run day bills nothing new.
    # One look-up per batch of keys, not one statement per document of the day.
    versions = zip(docs["doc_id"].to_pylist(), docs["content_hash"].to_pylist(), strict=True)
    with platform.session() as session:
        billed = record_usage_many(
            session, tenant, "documents", (f"documents:{d}:{h}" for d, h in versions)
        )
    context.log.info(f"{billed} new document versions recorded for billing")

    with_keywords = pc.unique(update.table["doc_id"])
    with_reason = pa.array(sorted({f["url"] for f in update.failures}), pa.string())
    unexplained = docs["url"].filter(
        pc.invert(
            pc.or_(
                pc.is_in(docs["doc_id"], value_set=with_keywords),
                pc.is_in(docs["url"], value_set=with_reason),
            )
        )
    )
    return MaterializeResult(
        metadata={
            "documents": n_docs,
            "extracted": extracted,
            "reused": n_docs - extracted,
            "keyword_rows": update.table.num_rows,
            "site_corpora": {site: c.n_docs for site, c in sorted(update.corpora.items())},
            "site_wide_phrases": MetadataValue.json(site_wide_phrases(update.corpora)),
            "billed_documents": billed,
            "failures": MetadataValue.md(failures_markdown(update.failures)),
        },
        check_results=[
            AssetCheckResult(
                check_name="every_document_has_keywords_or_reason",
                passed=len(unexplained) == 0,
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "unexplained": len(unexplained),
                    "examples": MetadataValue.json(unexplained[:10].to_pylist()),
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
    rows = ingest.keyword_stats(store.read("keywords", tenant, day))
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
