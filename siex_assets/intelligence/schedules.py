"""When the SEO reports are computed: after every ingest run of a tenant and day, and
once more after midnight UTC for the day that just ended."""

from datetime import timedelta

from dagster import (
    AssetSelection,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunStatusSensorContext,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    run_status_sensor,
    schedule,
)

from resources import PlatformDBResource
from siex_assets.intelligence.assets import GROUP
from siex_assets.jobs import ingest_job
from siex_assets.partitions import (
    TENANT_TAG,
    every_tenant_on,
    tenant_day_key,
    tenant_day_partitions,
)

seo_reports_job = define_asset_job(
    "seo_reports_job",
    selection=AssetSelection.groups(GROUP),
    partitions_def=tenant_day_partitions,
    description="Every SEO intelligence report of one tenant and day. Backfill it for a month.",
)


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job],
    request_job=seo_reports_job,
    default_status=DefaultSensorStatus.RUNNING,
    description="Recomputes a tenant's reports of the day after each successful ingest run.",
)
def reports_after_ingest(context: RunStatusSensorContext):
    run = context.dagster_run
    tenant = run.tags.get("dagster/partition/tenant")
    day = run.tags.get("dagster/partition/date")
    if not tenant or not day:
        return SkipReason(f"run {run.run_id} has no tenant/day partition")
    return RunRequest(
        run_key=f"seo:{run.run_id}",
        partition_key=tenant_day_key(tenant, day),
        tags={TENANT_TAG: tenant, "siex/trigger": "ingest"},
    )


@schedule(
    job=seo_reports_job,
    cron_schedule="30 0 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
def daily_seo_reports_schedule(context: ScheduleEvaluationContext, platform: PlatformDBResource):
    day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return every_tenant_on(context, platform, day, "seo")
