"""Record every run that failed for good in the platform database, once."""

from dagster import DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor

from resources import PlatformDBResource
from siex.platform.service import record_run_failure


@run_failure_sensor(
    default_status=DefaultSensorStatus.RUNNING,
    description="Stores failed runs (tenant, partition, error) in the platform database.",
)
def record_run_failures(context: RunFailureSensorContext, platform: PlatformDBResource) -> None:
    run = context.dagster_run
    if (
        run.tags.get("dagster/will_retry") == "true"
    ):  # a retry follows; record the last attempt only
        return
    error = context.failure_event.message or ""
    with platform.session() as session:
        recorded = record_run_failure(
            session,
            run_id=run.run_id,
            job_name=run.job_name,
            tenant_id=run.tags.get("dagster/partition/tenant"),
            partition_key=run.tags.get("dagster/partition"),
            error=error,
        )
    if recorded:
        context.log.info(f"recorded failed run {run.run_id} of {run.job_name}")
