"""Usage goes to Stripe every hour; grace periods are enforced once a day."""

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from siex_assets.billing.jobs import enforce_billing_grace, report_usage_to_stripe
from siex_assets.billing.resources import StripeResource


@schedule(
    job=report_usage_to_stripe,
    cron_schedule="5 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
def report_usage_hourly(context: ScheduleEvaluationContext, stripe_billing: StripeResource):
    if not stripe_billing.settings().stripe_api_key:
        return SkipReason("Stripe is not configured (SIEX_STRIPE_API_KEY)")
    return RunRequest(run_key=f"report_usage:{context.scheduled_execution_time:%Y-%m-%dT%H}")


@schedule(
    job=enforce_billing_grace,
    cron_schedule="30 0 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
def enforce_billing_grace_daily(context: ScheduleEvaluationContext):
    return RunRequest(run_key=f"enforce_grace:{context.scheduled_execution_time:%Y-%m-%d}")
