"""The topic reports per tenant and day: clusters first, then content gap and
cannibalization over the clusters of the same partition (no clustering twice)."""

from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from resources import EmbedderResource, PlatformDBResource, WarehouseResource
from siex.intelligence.cannibalization import build_cannibalization
from siex.intelligence.clusters import build_topic_clusters
from siex.intelligence.content_gap import build_content_gap
from siex.intelligence.corpus import Corpus
from siex.intelligence.publish import publish
from siex.intelligence.topics import (
    THRESHOLDS,
    PhraseCache,
    Topics,
    corpus_vectors,
    load_topics,
)
from siex_assets.intelligence.assets import GROUP
from siex_assets.intelligence.publishing import corpus_for, materialize
from siex_assets.keywords.assets import keywords
from siex_assets.partitions import tenant_and_day, tenant_day_partitions


def _vectors(context: AssetExecutionContext, warehouse, embedder, corpus: Corpus) -> dict:
    """Page vectors from the warehouse; only versions never embedded go through the model."""

    def progress(done: int, total: int) -> None:
        context.log.info(f"embedded {done} of {total} new document versions")

    vectors = corpus_vectors(
        warehouse.get(), embedder.get(), corpus.tenant, corpus.day, corpus.documents, progress
    )
    context.log.info(
        f"{len(vectors)} of {len(corpus.documents)} documents have vectors; the others "
        "(languages the model does not read) are placed by their keywords"
    )
    return vectors


def _phrases(context: AssetExecutionContext, warehouse, embedder) -> PhraseCache:
    """The model for keyphrases, each phrase embedded once per tenant (phrase_embeddings)."""
    tenant, day = tenant_and_day(context)
    return PhraseCache(
        warehouse.get(), embedder.get(), tenant, day, part=context.asset_key.path[-1]
    )


def _saved(context: AssetExecutionContext, phrases: PhraseCache) -> dict:
    embedded = phrases.save()
    context.log.info(f"keyphrases: {embedded} embedded, {phrases.reused} read back")
    return {"phrases_embedded": embedded, "phrases_reused": phrases.reused}


def _topics(context: AssetExecutionContext, warehouse: WarehouseResource) -> Topics:
    tenant, day = tenant_and_day(context)
    topics = load_topics(warehouse.get(), tenant, day)
    if topics is None:
        raise Failure(
            f"topic_clusters has not been materialized for {tenant} on {day}: "
            "materialize it first (seo_reports_job runs both in order)"
        )
    return topics


class TopicClustersConfig(Config):
    min_similarity: float = Field(
        default=THRESHOLDS["embedding"].topic,
        ge=0.2,
        le=0.95,
        description="how similar a topic's pages are on average (cosine of page vectors)",
    )


@asset(
    deps=[keywords],
    partitions_def=tenant_day_partitions,
    group_name=GROUP,
    description="Own and competitor pages grouped into topics by meaning, each named by its "
    "central keyphrase; the topic of every page in report_topic_assignments.",
    kinds={"parquet", "markdown"},
)
def topic_clusters(
    context: AssetExecutionContext,
    config: TopicClustersConfig,
    warehouse: WarehouseResource,
    platform: PlatformDBResource,
    embedder: EmbedderResource,
) -> MaterializeResult:
    corpus = corpus_for(context, warehouse, platform, with_onpage=False)
    vectors = _vectors(context, warehouse, embedder, corpus)
    phrases = _phrases(context, warehouse, embedder)
    built = build_topic_clusters(corpus, vectors, phrases, config.min_similarity)
    tenant, day = tenant_and_day(context)
    assignments = publish(warehouse.get(), warehouse.reports_path, tenant, day, built.assignments)
    result = materialize(context, warehouse, built.report)
    return MaterializeResult(
        metadata={
            **result.metadata,
            **_saved(context, phrases),
            "assignments": assignments.rows,
            "assignments_path": MetadataValue.path(str(assignments.json_path)),
        }
    )


class ContentGapConfig(Config):
    max_keyword_gaps: int = Field(
        default=300, ge=1, le=5000, description="keyword gaps kept, best first"
    )


@asset(
    deps=[topic_clusters],
    partitions_def=tenant_day_partitions,
    group_name=GROUP,
    description="Topics and keywords the competitors cover and the own sites do not, ranked "
    "by opportunity, with competitor pages as evidence and the closest own page.",
    kinds={"parquet", "markdown"},
)
def content_gap(
    context: AssetExecutionContext,
    config: ContentGapConfig,
    warehouse: WarehouseResource,
    platform: PlatformDBResource,
    embedder: EmbedderResource,
) -> MaterializeResult:
    topics = _topics(context, warehouse)
    corpus = corpus_for(context, warehouse, platform, with_onpage=False)
    vectors = _vectors(context, warehouse, embedder, corpus)
    phrases = _phrases(context, warehouse, embedder)
    report = build_content_gap(
        corpus, vectors, topics, phrases, max_keyword_gaps=config.max_keyword_gaps
    )
    result = materialize(context, warehouse, report)
    return MaterializeResult(metadata={**result.metadata, **_saved(context, phrases)})


@asset(
    deps=[topic_clusters],
    partitions_def=tenant_day_partitions,
    group_name=GROUP,
    description="Own pages competing for the same keyword or topic, with a severity and a "
    "recommendation (canonicalize, merge, differentiate).",
    kinds={"parquet", "markdown"},
)
def cannibalization(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    platform: PlatformDBResource,
    embedder: EmbedderResource,
) -> MaterializeResult:
    topics = _topics(context, warehouse)
    corpus = corpus_for(context, warehouse, platform, with_onpage=True)
    vectors = _vectors(context, warehouse, embedder, corpus)
    return materialize(context, warehouse, build_cannibalization(corpus, vectors, topics))


TOPIC_ASSETS = [topic_clusters, content_gap, cannibalization]
