"""Document embeddings, computed once per document version and kept in the warehouse.

Clusters, content gaps, cannibalization and link suggestions all compare documents by
meaning. Embedding a page costs far more than reading its vector back, and most pages
do not change from one day to the next, so vectors live in ``document_embeddings``
(one row per document version and model, in the partition of the day it was first
embedded) and only versions never embedded before go through the model.

What is embedded: the title, then the text, up to the embedder's 256 word pieces.
Documents in a language the model does not know get no vector; callers fall back to
keyword overlap for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa

from siex.intelligence.corpus import CorpusDocument
from siex.intelligence.embeddings import Embedder
from siex.warehouse import Warehouse, check_date, check_tenant

BATCH = 64


def model_name(embedder: Embedder) -> str:
    return embedder.model_path or "all-MiniLM-L6-v2"


def document_vectors(
    warehouse: Warehouse,
    embedder: Embedder,
    tenant: str,
    day: str,
    documents: Sequence[CorpusDocument],
    texts: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, np.ndarray]:
    """doc_id → normalized vector for each document the model supports.

    Stored vectors of the same version and model are reused; new ones are computed in
    batches and written to ``day``'s partition. ``texts`` maps doc_id to the text to
    embed when the documents were loaded without text.
    """
    check_tenant(tenant), check_date(day)
    model = model_name(embedder)
    wanted = {d.doc_id: d for d in documents if embedder.supports(d.lang)}
    found = _stored(warehouse, tenant, model, wanted)
    missing = [d for doc_id, d in wanted.items() if doc_id not in found]
    if missing:
        fresh: list[dict] = []
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            inputs = [_input(d, (texts or {}).get(d.doc_id)) for d in batch]
            for doc, vector in zip(batch, embedder.documents(inputs), strict=True):
                found[doc.doc_id] = vector
                fresh.append(
                    {
                        "doc_id": doc.doc_id,
                        "content_hash": doc.content_hash,
                        "model": model,
                        "vector": vector.astype(np.float32).tolist(),
                    }
                )
            if progress:
                progress(min(start + BATCH, len(missing)), len(missing))
        existing = warehouse.read("document_embeddings", tenant, day)
        warehouse.write(
            "document_embeddings",
            tenant,
            day,
            pa.concat_tables(
                [existing, pa.Table.from_pylist(fresh, schema=existing.schema)],
                promote_options="default",
            ),
        )
    return found


def _stored(
    warehouse: Warehouse, tenant: str, model: str, wanted: dict[str, CorpusDocument]
) -> dict[str, np.ndarray]:
    if not wanted:
        return {}
    con = warehouse.connect(tenant)
    try:
        con.execute(
            "CREATE TEMP TABLE wanted AS SELECT unnest(?) AS doc_id, unnest(?) AS content_hash",
            [list(wanted), [d.content_hash for d in wanted.values()]],
        )
        rows = con.execute(
            """SELECT e.doc_id, any_value(e.vector) FROM document_embeddings e
               JOIN wanted w USING (doc_id, content_hash) WHERE e.model = ?
               GROUP BY e.doc_id""",
            [model],
        ).fetchall()
    finally:
        con.close()
    return {doc_id: np.asarray(vector, dtype=np.float32) for doc_id, vector in rows}


def _input(doc: CorpusDocument, text: str | None) -> str:
    body = text if text is not None else (doc.text or "")
    return f"{doc.title}.\n{body[:4000]}" if doc.title else body[:4000]
