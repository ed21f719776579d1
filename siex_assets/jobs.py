"""Jobs that cross domains: the whole path from pages to the report for one tenant and day."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from siex_assets.partitions import tenant_day_partitions

ingest_job = define_asset_job(
    "ingest_job",
    selection=AssetSelection.groups("ingestion", "keywords", "reports"),
    partitions_def=tenant_day_partitions,
    # One process per run: the steps are sequential and text extraction has its own pool.
    executor_def=in_process_executor,
    description="Fetch pages → documents → keywords → keyword table → daily report.",
)
