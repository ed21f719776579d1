from dagster import Definitions

from siex_assets.keywords.assets import keyword_stats, keywords

defs = Definitions(assets=[keywords, keyword_stats])
