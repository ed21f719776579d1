"""Billing jobs: usage sent to Stripe as meter events, downgrades once grace has ended."""

from dagster import Config, Failure, MetadataValue, OpExecutionContext, Output, job, op
from pydantic import Field

from resources import PlatformDBResource
from siex.platform import billing
from siex.platform.billing import BillingError
from siex_assets.billing.resources import StripeResource

ERRORS_LOGGED = 20


class ReportUsageConfig(Config):
    limit: int = Field(default=1000, ge=1, description="Most usage events sent in one run.")


@op(description="Sends unreported extraction events of Stripe customers as meter events.")
def send_usage_to_stripe(
    context: OpExecutionContext,
    config: ReportUsageConfig,
    platform: PlatformDBResource,
    stripe_billing: StripeResource,
) -> Output[int]:
    try:
        client = stripe_billing.client()
    except BillingError as exc:
        raise Failure(description=exc.message) from exc
    with platform.session() as session:
        report = billing.report_usage(session, client, stripe_billing.settings(), config.limit)
    counts = {
        "sent": report.sent,
        "already_in_stripe": report.already_in_stripe,
        "failed": report.failed,
        "too_old": report.too_old,
    }
    context.log.info("meter events: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if report.too_old:
        context.log.warning(f"{report.too_old} usage events are older than Stripe accepts")
    for error in report.errors[:ERRORS_LOGGED]:
        context.log.warning(f"not sent: {error}")
    if report.failed:  # the run shows red; what was sent is marked and not sent again
        raise Failure(
            description=f"{report.failed} usage events were not sent to Stripe",
            metadata={**counts, "errors": MetadataValue.text("\n".join(report.errors))},
        )
    return Output(report.sent, metadata=counts)


@op(description="Downgrades to free the tenants whose grace period ended unpaid.")
def downgrade_after_grace(context: OpExecutionContext, platform: PlatformDBResource) -> Output[int]:
    with platform.session() as session:
        downgraded = billing.enforce_grace(session)
    context.log.info(f"downgraded to free: {', '.join(downgraded) or 'none'}")
    return Output(len(downgraded), metadata={"tenants": MetadataValue.json(downgraded)})


@job(description="Report billable usage to Stripe (Billing Meter events).")
def report_usage_to_stripe() -> None:
    send_usage_to_stripe()


@job(description="Move tenants whose payment grace ended to the free plan.")
def enforce_billing_grace() -> None:
    downgrade_after_grace()
