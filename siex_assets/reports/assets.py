"""The daily SEO report per tenant: a Markdown file with a chart, JSON, and a warehouse row."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from resources import WarehouseResource
from siex.reports import build_daily_report
from siex_assets.keywords.assets import keyword_stats
from siex_assets.partitions import tenant_and_day, tenant_day_partitions


@asset(
    deps=[keyword_stats],
    partitions_def=tenant_day_partitions,
    group_name="reports",
    description="Top keywords, new keywords since the day before, documents seen, failures.",
    kinds={"markdown", "json"},
)
def daily_seo_report(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    tenant, day = tenant_and_day(context)
    store = warehouse.get()
    summary = build_daily_report(store, warehouse.reports_path, tenant, day)
    markdown = summary.pop("markdown")
    store.write("reports", tenant, day, [summary])
    return MaterializeResult(
        metadata={
            "documents": summary["documents"],
            "keywords": summary["keywords"],
            "new_keywords": summary["new_keywords"],
            "failures": summary["failures"],
            "report": MetadataValue.md(markdown),
            "markdown_path": MetadataValue.path(summary["markdown_path"]),
            "chart_path": MetadataValue.path(summary["chart_path"]),
        }
    )
