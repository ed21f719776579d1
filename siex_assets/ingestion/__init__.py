from dagster import Definitions

from siex_assets.ingestion.assets import documents, pages
from siex_assets.ingestion.sensors import pushed_documents_sensor, rss_sensor, sitemap_sensor
from siex_assets.jobs import ingest_job

defs = Definitions(
    assets=[pages, documents],
    jobs=[ingest_job],
    sensors=[rss_sensor, sitemap_sensor, pushed_documents_sensor],
)
