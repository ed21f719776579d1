"""The code location: each domain's definitions merged, resources from the environment."""

from dagster import Definitions

from resources import build_resources
from siex.config import get_settings
from siex_assets import ingestion, keywords, monitoring, reports

defs = Definitions.merge(
    ingestion.defs,
    keywords.defs,
    reports.defs,
    monitoring.defs,
    Definitions(resources=build_resources(get_settings())),
)
