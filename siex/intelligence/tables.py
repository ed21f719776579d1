"""Warehouse tables of the SEO reports (merged into ``siex.warehouse.SCHEMAS``).

One table per report, ``report_<kind>``, partitioned by tenant and day like every
other table, so analysts query a month of content gaps with one glob; and
``report_index``: one row per report materialized, with its summary and files.
"""

from __future__ import annotations

import pyarrow as pa

_ts = pa.timestamp("us", tz="UTC")

REPORT_SCHEMAS: dict[str, pa.Schema] = {
    # One embedding per document version and model (siex.intelligence.vectors).
    "document_embeddings": pa.schema(
        [
            ("doc_id", pa.string()),
            ("content_hash", pa.string()),
            ("model", pa.string()),
            ("vector", pa.list_(pa.float32())),
        ]
    ),
    # Internal link targets checked over HTTP by the bounded link checker
    # (siex.intelligence.linkcheck): the audit's source for targets never fetched.
    "link_checks": pa.schema(
        [
            ("url", pa.string()),  # normalized
            ("status", pa.int32()),  # HTTP status of the final answer; NULL when none came
            ("final_url", pa.string()),  # after redirects
            ("reason", pa.string()),  # "" when fine, else e.g. http_404, timeout, robots_disallowed
            ("checked_at", _ts),
        ]
    ),
    "report_index": pa.schema(
        [
            ("kind", pa.string()),
            ("generated_at", _ts),
            ("rows", pa.int32()),
            ("summary", pa.large_string()),  # JSON object: the report's headline figures
            ("markdown_path", pa.string()),
            ("json_path", pa.string()),
            ("charts", pa.string()),  # JSON array of PNG paths
        ]
    ),
    # Keyword trends: this period against the one before (siex.intelligence.trends).
    "report_keyword_trends": pa.schema(
        [
            ("keyword", pa.string()),
            ("key", pa.string()),
            ("status", pa.string()),  # new, rising, steady, falling, gone
            ("current_documents", pa.int32()),
            ("previous_documents", pa.int32()),
            ("change", pa.int32()),
            ("growth", pa.float32()),  # smoothed ratio current / previous
            ("current_score", pa.float32()),
            ("previous_score", pa.float32()),
            ("own_documents", pa.int32()),
            ("competitor_documents", pa.int32()),
            ("daily_documents", pa.string()),  # JSON array: documents per day of the period
            ("example_url", pa.string()),
        ]
    ),
    # On-page audit: one row per issue found on an own page (siex.intelligence.audit).
    "report_onpage_audit": pa.schema(
        [
            ("url", pa.string()),
            ("host", pa.string()),
            ("code", pa.string()),  # e.g. title_missing, broken_internal_link
            ("severity", pa.string()),  # error, warning, notice
            ("category", pa.string()),  # title, description, content, canonical, links, ...
            ("issue", pa.string()),  # the code in words
            ("evidence", pa.string()),  # what was found, with the values
            ("target_url", pa.string()),  # the other URL involved ("" when none)
            ("hint", pa.string()),  # how to fix it
            ("page_score", pa.int32()),  # the page's 0-100 score
        ]
    ),
    # On-page scores: one row per audited page, own and competitor (the benchmark).
    "report_onpage_scores": pa.schema(
        [
            ("url", pa.string()),
            ("host", pa.string()),
            ("role", pa.string()),  # own or competitor
            ("score", pa.int32()),  # 0-100: 100 minus the weights of its issue types
            ("errors", pa.int32()),  # issue types found, by severity
            ("warnings", pa.int32()),
            ("notices", pa.int32()),
            ("indexable", pa.bool_()),  # no noindex, canonical to itself or none
            ("words", pa.int32()),  # main-text words (visible words when no document)
            ("title", pa.string()),
            ("worst_issue", pa.string()),  # code of its most severe issue ("" when none)
        ]
    ),
    # Internal-link suggestions between own pages (siex.intelligence.links).
    "report_link_suggestions": pa.schema(
        [
            ("source_url", pa.string()),  # the page to edit
            ("source_title", pa.string()),
            ("target_url", pa.string()),  # the page to link to
            ("target_title", pa.string()),
            ("anchor", pa.string()),  # verbatim text of the source to wrap in the link
            ("anchor_offset", pa.int32()),  # character offset of the anchor in the main text
            ("context", pa.string()),  # the sentence around the anchor
            ("reason", pa.string()),  # shared keywords and similarity, in words
            ("shared_keywords", pa.string()),  # JSON array
            ("semantic_similarity", pa.float32()),  # cosine of the page vectors; NULL if none
            ("keyword_overlap", pa.float32()),  # 0-1, weighted by keyword rarity
            ("anchor_match", pa.float32()),  # 0-1, how much of the anchor names the target
            ("score", pa.float32()),  # 0-1
            ("rank", pa.int32()),  # 1 = the source page's best suggestion
            ("target_inbound_links", pa.int32()),  # own pages linking to the target in content
            ("linked_from_navigation", pa.bool_()),  # the pair is linked only by site navigation
        ]
    ),
    # Keyphrase embeddings of the topic reports, kept like page vectors: a phrase is
    # embedded once per model (siex.intelligence.topics.PhraseCache).
    "phrase_embeddings": pa.schema(
        [
            ("phrase", pa.string()),
            ("model", pa.string()),
            ("vector", pa.list_(pa.float32())),
        ]
    ),
    # Topic clusters: one row per topic (siex.intelligence.clusters).
    "report_topic_clusters": pa.schema(
        [
            ("cluster_id", pa.int32()),  # 1 = the largest topic of the day
            ("name", pa.string()),  # the central keyphrase
            ("key", pa.string()),  # its stem key ("" when the topic has no keywords)
            ("method", pa.string()),  # embedding, or keywords (languages the model lacks)
            ("documents", pa.int32()),
            ("own_documents", pa.int32()),
            ("competitor_documents", pa.int32()),
            ("competitor_domains", pa.int32()),
            ("keyword_count", pa.int32()),  # distinct keywords of its pages
            ("cohesion", pa.float32()),  # mean similarity of its pages; NULL: one page
            ("keywords", pa.string()),  # JSON array: {keyword, documents, own, competitor}
            ("own_urls", pa.string()),  # JSON array: the most central own pages (up to 5)
            ("competitor_urls", pa.string()),  # JSON array: the most central competitor pages
        ]
    ),
    # Topic of every document of the corpus: what content gap, cannibalization and analysts join.
    "report_topic_assignments": pa.schema(
        [
            ("doc_id", pa.string()),
            ("url", pa.string()),
            ("title", pa.string()),
            ("role", pa.string()),  # own, competitor
            ("lang", pa.string()),
            ("cluster_id", pa.int32()),  # NULL: nothing to place the page by
            ("topic", pa.string()),
            ("method", pa.string()),  # embedding, keywords, none
            ("centrality", pa.float32()),  # similarity to the topic's centre
            ("primary_keyword", pa.string()),  # the page's rank-1 keyword
        ]
    ),
    # Content gap: topics and keywords competitors cover and the own sites do not
    # (siex.intelligence.content_gap).
    "report_content_gap": pa.schema(
        [
            ("rank", pa.int32()),  # within kind, 1 = the best opportunity
            ("kind", pa.string()),  # topic, keyword
            ("gap", pa.string()),  # the topic's name or the keyword
            ("key", pa.string()),
            ("status", pa.string()),  # missing, thin
            ("opportunity", pa.float32()),  # demand × breadth × openness
            ("competitor_documents", pa.int32()),
            ("competitor_domains", pa.int32()),
            ("competitor_score", pa.float32()),  # demand: see docs/reports.md
            ("own_documents", pa.int32()),
            ("own_similarity", pa.float32()),  # how close the own sites come, 0–1
            ("closest_own_keyword", pa.string()),
            ("closest_own_url", pa.string()),
            ("closest_own_title", pa.string()),
            ("topic_id", pa.int32()),
            ("topic", pa.string()),
            ("evidence_urls", pa.string()),  # JSON array: competitor pages, strongest first
            ("reason", pa.string()),
        ]
    ),
    # Cannibalization: own pages competing for one keyword or topic
    # (siex.intelligence.cannibalization).
    "report_cannibalization": pa.schema(
        [
            ("rank", pa.int32()),
            ("kind", pa.string()),  # duplicate, topic, keyword
            ("keyword", pa.string()),  # the keyword they compete for
            ("key", pa.string()),
            ("severity", pa.float32()),  # 0–100
            ("level", pa.string()),  # high, medium, low
            ("recommendation", pa.string()),  # canonicalize, merge, differentiate
            ("pages", pa.int32()),
            ("primary_url", pa.string()),  # the page to keep for the keyword
            ("urls", pa.string()),  # JSON array, primary first
            ("titles", pa.string()),  # JSON array, same order
            ("ranks", pa.string()),  # JSON array: the keyword's rank on each page
            ("similarity", pa.float32()),  # mean similarity of the pages; NULL: not comparable
            ("shared_keywords", pa.string()),  # JSON array
            ("topic_id", pa.int32()),
            ("topic", pa.string()),
            ("action", pa.string()),  # the recommendation spelled out
            ("reason", pa.string()),
        ]
    ),
}
