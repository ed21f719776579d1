"""SEO intelligence reports per tenant and day, each a Dagster asset over the corpus."""

from dagster import AssetExecutionContext, Config, MaterializeResult, asset
from pydantic import Field

from resources import PlatformDBResource, WarehouseResource
from siex.intelligence.trends import build_trends
from siex_assets.intelligence.publishing import corpus_for, materialize
from siex_assets.keywords.assets import keywords
from siex_assets.partitions import tenant_day_partitions

GROUP = "intelligence"


class TrendsConfig(Config):
    period_days: int = Field(default=7, ge=1, le=366, description="days in each period compared")


@asset(
    deps=[keywords],
    partitions_def=tenant_day_partitions,
    group_name=GROUP,
    description="Rising, falling and new keywords of the last period against the one before.",
    kinds={"parquet", "markdown"},
)
def keyword_trends(
    context: AssetExecutionContext,
    config: TrendsConfig,
    warehouse: WarehouseResource,
    platform: PlatformDBResource,
) -> MaterializeResult:
    corpus = corpus_for(context, warehouse, platform, with_onpage=False)
    return materialize(context, warehouse, build_trends(corpus, period_days=config.period_days))


REPORT_ASSETS = [keyword_trends]
