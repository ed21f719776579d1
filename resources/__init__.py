"""Dagster resources: the warehouse, the HTTP fetcher, the keyword engine, the embedder,
the platform DB.

Each wraps a plain ``siex`` object; ``build_resources`` configures them from the
settings of the environment (embedded on a laptop, PostgreSQL in production).
"""

from resources.embedder import EmbedderResource
from resources.fetcher import FetcherResource
from resources.keywords import KeywordEngineResource
from resources.platform import PlatformDBResource
from resources.warehouse import WarehouseResource
from siex.config import Settings


def build_resources(settings: Settings) -> dict:
    return {
        "warehouse": WarehouseResource(
            root=str(settings.warehouse_dir),
            views_db=str(settings.warehouse_db_path),
            reports_dir=str(settings.reports_dir),
        ),
        "fetcher": FetcherResource(
            user_agent=settings.user_agent,
            timeout_s=settings.fetch_timeout_s,
            max_page_bytes=settings.max_page_bytes,
            max_redirects=settings.max_redirects,
            max_urls_per_run=settings.max_urls_per_run,
            retries=settings.fetch_retries,
            respect_robots=settings.respect_robots,
            max_concurrency=settings.fetch_concurrency,
            host_concurrency=settings.host_concurrency,
            host_min_interval_s=settings.host_min_interval_s,
            max_crawl_delay_s=settings.max_crawl_delay_s,
        ),
        "keyword_engine": KeywordEngineResource(
            top_k=settings.top_k,
            mode=settings.engine_mode,
            model_path=settings.model_path,
            model_languages=settings.model_languages,
            model_layers=settings.model_layers,
            deep_from_words=settings.deep_from_words,
            phrase_store=str(settings.phrase_store_dir) if settings.phrase_store_dir else None,
            phrase_store_rows=settings.phrase_store_rows,
        ),
        "embedder": EmbedderResource(
            model_path=settings.model_path, model_languages=settings.model_languages
        ),
        "platform": PlatformDBResource(database_url=settings.platform_db_url),
    }


__all__ = [
    "EmbedderResource",
    "FetcherResource",
    "KeywordEngineResource",
    "PlatformDBResource",
    "WarehouseResource",
    "build_resources",
]
