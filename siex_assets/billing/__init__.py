from dagster import Definitions

from siex_assets.billing.jobs import enforce_billing_grace, report_usage_to_stripe
from siex_assets.billing.resources import StripeResource
from siex_assets.billing.schedules import enforce_billing_grace_daily, report_usage_hourly

defs = Definitions(
    jobs=[report_usage_to_stripe, enforce_billing_grace],
    schedules=[report_usage_hourly, enforce_billing_grace_daily],
    resources={"stripe_billing": StripeResource()},
)
