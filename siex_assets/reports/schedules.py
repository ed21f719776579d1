"""The daily report schedule: after midnight UTC, finalize yesterday's report per tenant."""

from datetime import timedelta

from dagster import (
    DefaultScheduleStatus,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from resources import PlatformDBResource
from siex_assets.keywords.assets import keyword_stats
from siex_assets.partitions import every_tenant_on, tenant_day_partitions
from siex_assets.reports.assets import daily_seo_report

report_job = define_asset_job(
    "daily_report_job",
    selection=[keyword_stats, daily_seo_report],
    partitions_def=tenant_day_partitions,
    description="Recompute the keyword table and the SEO report of one tenant and day.",
)


@schedule(
    job=report_job,
    cron_schedule="15 0 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
def daily_reports_schedule(context: ScheduleEvaluationContext, platform: PlatformDBResource):
    day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return every_tenant_on(context, platform, day, "report")
