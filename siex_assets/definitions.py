"""The code location: each domain's definitions merged, resources from the environment."""

from dagster import Definitions

from resources import build_resources
from siex.config import Settings, get_settings
from siex_assets import billing, ingestion, intelligence, keywords, monitoring, reports


def build_definitions(settings: Settings) -> Definitions:
    """All assets, jobs, sensors and schedules, with resources configured for ``settings``."""
    return Definitions.merge(
        ingestion.defs,
        keywords.defs,
        reports.defs,
        intelligence.defs,
        monitoring.defs,
        billing.defs,
        Definitions(resources=build_resources(settings)),
    )


defs = build_definitions(get_settings())
