"""What every SEO report asset does around its builder: load the corpus, publish, show."""

from __future__ import annotations

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from resources import PlatformDBResource, WarehouseResource
from siex.intelligence.corpus import Corpus, load_corpus
from siex.intelligence.publish import Report, publish
from siex.platform.service import source_roles
from siex_assets.partitions import tenant_and_day


def corpus_for(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    platform: PlatformDBResource,
    **options,
) -> Corpus:
    """The partition's tenant corpus as of its day, own and competitor documents told apart."""
    tenant, day = tenant_and_day(context)
    with platform.session() as session:
        roles = source_roles(session, tenant)
    corpus = load_corpus(warehouse.get(), tenant, day, roles=roles, **options)
    context.log.info(
        f"corpus of {tenant} on {day}: {len(corpus.own)} own and "
        f"{len(corpus.competitor)} competitor documents"
    )
    return corpus


def materialize(
    context: AssetExecutionContext, warehouse: WarehouseResource, report: Report
) -> MaterializeResult:
    """Publish ``report`` for the partition; its Markdown, charts inlined, becomes metadata."""
    tenant, day = tenant_and_day(context)
    published = publish(warehouse.get(), warehouse.reports_path, tenant, day, report)
    context.log.info(f"{report.kind}: {published.rows} rows, {published.markdown_path}")
    figures = {
        k: v
        for k, v in report.summary.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    return MaterializeResult(
        metadata={
            **figures,
            "rows": published.rows,
            "report": MetadataValue.md(published.ui_markdown),
            "markdown_path": MetadataValue.path(str(published.markdown_path)),
            "json_path": MetadataValue.path(str(published.json_path)),
        }
    )
