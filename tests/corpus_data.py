"""Documents, keywords and on-page rows written straight into a real warehouse, for the
report tests: the reports read what the ingestion assets write, whatever wrote it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from siex.warehouse import Warehouse


def store_document(
    warehouse: Warehouse,
    tenant: str,
    day: str,
    url: str,
    keywords: list[str],
    *,
    source_id: str = "own-src",
    text: str | None = None,
    title: str | None = None,
    lang: str = "en",
    published: str | None = None,
    version: str = "v1",
    onpage: dict | None = None,
    part: str | None = None,
    folded: list[str] = (),
) -> str:
    """One document version on ``day`` with its ranked keywords (then ``folded``: pieces
    filling a short text's list, flagged so); returns its doc_id.

    Each call writes its own Parquet part, so several documents can share a day.
    """
    doc_id = hashlib.sha256(f"{tenant}\n{url}".encode()).hexdigest()[:24]
    content_hash = hashlib.sha256(f"{url}\n{version}".encode()).hexdigest()
    fetched = datetime.fromisoformat(f"{day}T12:00:00+00:00")
    part = part or f"{doc_id}-{version}"
    warehouse.write(
        "documents",
        tenant,
        day,
        [
            {
                "doc_id": doc_id,
                "url": url,
                "source_id": source_id,
                "title": title if title is not None else f"Title of {url}",
                "description": "",
                "lang": lang,
                "published_at": datetime.fromisoformat(published).replace(tzinfo=UTC)
                if published
                else None,
                "fetched_at": fetched,
                "content_hash": content_hash,
                "word_count": len((text or "").split()) or 300,
                "text": text if text is not None else " ".join(keywords * 20),
            }
        ],
        part=part,
    )
    warehouse.write(
        "keywords",
        tenant,
        day,
        [
            {
                "doc_id": doc_id,
                "url": url,
                "content_hash": content_hash,
                "rank": i + 1,
                "keyword": k,
                "score": round(1.0 - i / 20, 3),
                "lang": lang,
                "engine": "test",
                "folded": i >= len(keywords),
            }
            for i, k in enumerate([*keywords, *folded])
        ],
        part=part,
    )
    if onpage is not None:
        warehouse.write(
            "onpage",
            tenant,
            day,
            [
                {
                    "doc_id": doc_id,
                    "url": url,
                    "source_id": source_id,
                    "fetched_at": fetched,
                    **onpage,
                }
            ],
            part=part,
        )
    return doc_id
