from dagster import Definitions

from siex_assets.intelligence.assets import REPORT_ASSETS
from siex_assets.intelligence.schedules import (
    daily_seo_reports_schedule,
    reports_after_ingest,
    seo_reports_job,
)
from siex_assets.intelligence.site import SITE_ASSETS
from siex_assets.intelligence.topics import TOPIC_ASSETS

defs = Definitions(
    assets=[*REPORT_ASSETS, *TOPIC_ASSETS, *SITE_ASSETS],
    jobs=[seo_reports_job],
    schedules=[daily_seo_reports_schedule],
    sensors=[reports_after_ingest],
)
