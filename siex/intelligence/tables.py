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
}
