"""The daily report schedule: after midnight UTC, finalize yesterday's report per tenant."""

from datetime import timedelta

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

from resources import PlatformDBResource
from siex.platform.service import tenant_ids
from siex_assets.keywords.assets import keyword_stats
from siex_assets.partitions import TENANT_TAG, tenant_day_key, tenant_day_partitions
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
    known = set(context.instance.get_dynamic_partitions("tenant"))
    with platform.session() as session:
        tenants = [t for t in tenant_ids(session) if t in known]
    if not tenants:
        return SkipReason("no tenants yet")
    return [
        RunRequest(
            run_key=f"report:{tenant}:{day}",
            partition_key=tenant_day_key(tenant, day),
            tags={TENANT_TAG: tenant},
        )
        for tenant in tenants
    ]
