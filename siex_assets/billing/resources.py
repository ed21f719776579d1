"""Stripe for the billing jobs, configured by the environment when a run starts."""

import stripe
from dagster import ConfigurableResource

from siex.config import Settings, get_settings
from siex.platform import billing


class StripeResource(ConfigurableResource):
    """The Stripe client and settings of SIEX_STRIPE_*: read at run time, so the API key
    is never part of the definitions, run configs or the UI."""

    def settings(self) -> Settings:
        return get_settings()

    def client(self) -> stripe.StripeClient:
        """Raises ``billing.BillingError`` when no API key is configured."""
        return billing.stripe_client(self.settings())
