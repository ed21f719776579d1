"""What the topic reports share: documents placed in a vector space, grouping them into
topics, the topics of a day read back from the warehouse, and keyword helpers.

Clusters, content gap and cannibalization all compare pages by meaning. A page of a
language the embedding model reads is its cached vector (``vectors.document_vectors``:
title and text, all layers of MiniLM). A page of any other language is placed by its
keywords instead: TF-IDF over its keyword keys and their stems (and its title's stems),
so German pages about "Hochbeet" still fall together. The two spaces never mix: a
similarity between an embedded page and a keyword-placed page is undefined (``None``).
A page with neither a vector nor a keyword nor a title word is *unplaced* and reported
as such, never dropped silently.

Similarity levels of page vectors (title and the first 256 word pieces, cosine), as
measured on gardening sites: unrelated pages 0.0–0.3, pages of the same field 0.3–0.5,
pages on one topic 0.6–0.8, copies of a page above 0.95. The thresholds below are set
from these; keyword-space similarities are lower for the same closeness (few shared
terms), so that space has its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol
from urllib.parse import urlsplit

import numpy as np

from siex.intelligence.corpus import CorpusDocument, CorpusKeyword, keyword_key
from siex.intelligence.embeddings import Embedder
from siex.warehouse import Warehouse

EMBEDDING, KEYWORDS, NONE = "embedding", "keywords", "none"

# Up to this many pages are grouped exactly (average linkage); above it, see ``agglomerate``.
EXACT_LIMIT = 2500
# Above this many cells (pages × keyword features) the keyword space is reduced by SVD.
DENSE_CELLS = 4_000_000
BLOCK = 2048  # rows per block of a similarity product: bounded memory for any corpus


@dataclass(frozen=True)
class Thresholds:
    """Similarity levels of one space (cosine, 0–1)."""

    topic: float  # pages of one topic are this similar to each other on average
    merge: float  # two pages this similar, with a shared primary keyword, are one topic
    duplicate: float  # copies


THRESHOLDS = {
    EMBEDDING: Thresholds(topic=0.55, merge=0.7, duplicate=0.95),
    KEYWORDS: Thresholds(topic=0.2, merge=0.6, duplicate=0.95),
}


@lru_cache(maxsize=100_000)
def host(url: str) -> str:
    """The site of a URL, without ``www.``: competitors are counted by site."""
    name = (urlsplit(url).hostname or "").lower()
    return name[4:] if name.startswith("www.") else name


def unique_keywords(doc: CorpusDocument) -> Iterator[CorpusKeyword]:
    """The document's keywords, each key once (its best rank), best first."""
    seen: set[str] = set()
    for kw in doc.keywords:
        if kw.key not in seen:
            seen.add(kw.key)
            yield kw


def primary(doc: CorpusDocument) -> CorpusKeyword | None:
    return doc.keywords[0] if doc.keywords else None


def stems(key: str) -> frozenset[str]:
    return frozenset(key.split())


# -- vectors -----------------------------------------------------------------------


def corpus_vectors(
    warehouse: Warehouse,
    embedder: Embedder,
    tenant: str,
    day: str,
    documents: Sequence[CorpusDocument],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, np.ndarray]:
    """``vectors.document_vectors`` for documents loaded without their text: the texts of
    the few versions never embedded before are read from the warehouse first, so a
    page's vector is always of its title *and* text."""
    from siex.intelligence.vectors import document_vectors, model_name

    wanted = [d for d in documents if embedder.supports(d.lang) and d.text is None]
    texts: dict[str, str] = {}
    if wanted:
        con = warehouse.connect(tenant)
        try:
            con.execute(
                "CREATE TEMP TABLE wanted AS SELECT unnest(?) AS doc_id, unnest(?) AS content_hash",
                [[d.doc_id for d in wanted], [d.content_hash for d in wanted]],
            )
            texts = dict(
                con.execute(
                    """SELECT w.doc_id, any_value(d.text) FROM wanted w
                       JOIN documents d USING (doc_id, content_hash)
                       WHERE NOT EXISTS (SELECT 1 FROM document_embeddings e
                                         WHERE e.doc_id = w.doc_id
                                           AND e.content_hash = w.content_hash AND e.model = ?)
                       GROUP BY w.doc_id""",
                    [model_name(embedder)],
                ).fetchall()
            )
        finally:
            con.close()
    return document_vectors(
        warehouse, embedder, tenant, day, documents, texts={k: v or "" for k, v in texts.items()},
        progress=progress,
    )  # fmt: skip


class PhraseModel(Protocol):
    """What the builders need of a model: an ``Embedder`` or a ``PhraseCache`` over one."""

    def supports(self, lang: str) -> bool: ...

    def phrases(self, phrases: Sequence[str]) -> np.ndarray: ...


def phrase_vectors(embedder: PhraseModel | None, phrases: Iterable[str]) -> dict[str, np.ndarray]:
    """Normalized vectors of distinct phrases, in one batched pass ({} without a model)."""
    unique = sorted(set(phrases))
    if embedder is None or not unique:
        return {}
    return dict(zip(unique, embedder.phrases(unique), strict=True))


class PhraseCache:
    """An embedder whose phrase vectors are kept in the warehouse (``phrase_embeddings``):
    a phrase goes through the model once per model and tenant, so tomorrow's reports
    embed only the phrases that are new. Pass it to the builders where they take an
    ``Embedder``; ``save()`` writes what was embedded to ``day``'s partition (part
    ``part``, merged with what that part held, so a rerun loses nothing)."""

    def __init__(
        self, warehouse: Warehouse, embedder: Embedder, tenant: str, day: str, part: str
    ) -> None:
        self.warehouse, self.embedder = warehouse, embedder
        self.tenant, self.day, self.part = tenant, day, part
        self.fresh: dict[str, np.ndarray] = {}
        self.reused = 0

    def supports(self, lang: str) -> bool:
        return self.embedder.supports(lang)

    @property
    def model(self) -> str:
        from siex.intelligence.vectors import model_name

        return model_name(self.embedder)

    def phrases(self, phrases: Sequence[str]) -> np.ndarray:
        found = {p: self.fresh[p] for p in phrases if p in self.fresh}
        missing = sorted({p for p in phrases if p not in found})
        if missing:
            stored = self._stored(missing)
            self.reused += len(stored)
            found.update(stored)
            new = [p for p in missing if p not in stored]
            if new:
                for phrase, vector in zip(new, self.embedder.phrases(new), strict=True):
                    self.fresh[phrase] = found[phrase] = vector
        if not phrases:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[p] for p in phrases])

    def _stored(self, phrases: list[str]) -> dict[str, np.ndarray]:
        con = self.warehouse.connect(self.tenant)
        try:
            con.execute("CREATE TEMP TABLE wanted AS SELECT unnest(?) AS phrase", [phrases])
            rows = con.execute(
                """SELECT e.phrase, any_value(e.vector) FROM phrase_embeddings e
                   JOIN wanted USING (phrase) WHERE e.model = ? GROUP BY e.phrase""",
                [self.model],
            ).fetchall()
        finally:
            con.close()
        return {phrase: np.asarray(vector, dtype=np.float32) for phrase, vector in rows}

    def save(self) -> int:
        """Write the phrases embedded since the last save; returns how many."""
        if not self.fresh:
            return 0
        import pyarrow as pa
        import pyarrow.parquet as pq

        from siex.warehouse import SCHEMAS

        schema = SCHEMAS["phrase_embeddings"]
        path = self.warehouse.partition_dir("phrase_embeddings", self.tenant, self.day)
        kept = path / f"{self.part}.parquet"
        rows = pq.read_table(kept, schema=schema).to_pylist() if kept.is_file() else []
        known = {r["phrase"] for r in rows}
        rows += [
            {"phrase": p, "model": self.model, "vector": v.astype(np.float32).tolist()}
            for p, v in self.fresh.items() if p not in known
        ]  # fmt: skip
        self.warehouse.write(
            "phrase_embeddings", self.tenant, self.day, pa.Table.from_pylist(rows, schema=schema),
            part=self.part,
        )  # fmt: skip
        saved, self.fresh = len(self.fresh), {}
        return saved


# -- spaces ------------------------------------------------------------------------


@dataclass
class Space:
    """Documents as the rows of a matrix of normalized vectors."""

    name: str
    documents: list[CorpusDocument]
    matrix: np.ndarray  # float32, one normalized row per document
    thresholds: Thresholds
    row: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.row = {d.doc_id: i for i, d in enumerate(self.documents)}

    def __len__(self) -> int:
        return len(self.documents)


class DocumentSpaces:
    """Every document of a corpus in the embedding space or the keyword space, or unplaced."""

    def __init__(self, documents: Sequence[CorpusDocument], vectors: dict[str, np.ndarray]) -> None:
        embedded = [d for d in documents if d.doc_id in vectors]
        rest = [d for d in documents if d.doc_id not in vectors]
        self.spaces: list[Space] = []
        if embedded:
            matrix = np.stack([np.asarray(vectors[d.doc_id], dtype=np.float32) for d in embedded])
            self.spaces.append(
                Space(EMBEDDING, embedded, _normalized(matrix), THRESHOLDS[EMBEDDING])
            )
        placed, matrix = _keyword_space(rest)
        if placed:
            self.spaces.append(Space(KEYWORDS, placed, matrix, THRESHOLDS[KEYWORDS]))
        placed_ids = {d.doc_id for s in self.spaces for d in s.documents}
        self.unplaced = [d for d in rest if d.doc_id not in placed_ids]
        self._where = {d.doc_id: s for s in self.spaces for d in s.documents}

    def space_of(self, doc_id: str) -> Space | None:
        return self._where.get(doc_id)

    def similarity(self, a: str, b: str) -> float | None:
        """Cosine similarity of two documents of one space; None across spaces."""
        space = self._where.get(a)
        if space is None or self._where.get(b) is not space:
            return None
        return float(space.matrix[space.row[a]] @ space.matrix[space.row[b]])


def _normalized(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def keyword_features(doc: CorpusDocument) -> dict[str, float]:
    """What places a page in the keyword space: its keyword keys (weighted by score), their
    stems (half weight: "hochbeet bauen" and "hochbeet" share "hochbeet") and its title's
    stems (so a page without keywords still has a place)."""
    features: dict[str, float] = {}
    for kw in unique_keywords(doc):
        weight = max(kw.score, 0.05)
        features[f"k:{kw.key}"] = features.get(f"k:{kw.key}", 0.0) + weight
        for stem in kw.key.split():
            features[f"s:{stem}"] = features.get(f"s:{stem}", 0.0) + weight / 2
    if doc.title.strip():
        for stem in keyword_key(doc.title, doc.lang).split():
            features[f"s:{stem}"] = features.get(f"s:{stem}", 0.0) + 0.5
    return features


def _keyword_space(
    documents: Sequence[CorpusDocument],
) -> tuple[list[CorpusDocument], np.ndarray]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfTransformer

    rows = [(d, keyword_features(d)) for d in documents]
    rows = [(d, f) for d, f in rows if f]
    if not rows:
        return [], np.zeros((0, 0), dtype=np.float32)
    counts = DictVectorizer(sort=True).fit_transform([f for _, f in rows])
    tfidf = TfidfTransformer(sublinear_tf=True).fit_transform(counts)  # rows L2-normalized
    n, features = tfidf.shape
    if n * features <= DENSE_CELLS or min(n, features) <= 2:
        matrix = tfidf.toarray()
    else:  # many pages in other languages: 128 latent dimensions keep memory linear in pages
        from sklearn.decomposition import TruncatedSVD

        components = min(128, n - 1, features - 1)
        matrix = TruncatedSVD(components, random_state=0).fit_transform(tfidf)
    return [d for d, _ in rows], _normalized(np.asarray(matrix, dtype=np.float32))


# -- grouping ----------------------------------------------------------------------


def agglomerate(matrix: np.ndarray, min_similarity: float, seed: int = 0) -> np.ndarray:
    """Topic labels (0, 1, …) of normalized rows: average-linkage clustering cut where the
    pages of a group are less than ``min_similarity`` similar to each other on average.

    Average linkage needs all pairwise distances, so it runs exactly on at most
    ``EXACT_LIMIT`` rows (25 MB). A larger corpus goes in rounds: a seeded sample of that
    size is grouped exactly, then every other row joins the group whose pages it is on
    average most similar to, if that average reaches ``min_similarity`` (the criterion
    average linkage merges by: the mean of a group's unit vectors dotted with a row *is*
    the row's average similarity to its pages). Rows that join nothing go to the next
    round. Memory stays linear in the rows; each round costs one sample's linkage and
    one product of the rest with the groups' means.
    """
    n = len(matrix)
    labels = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return labels
    rng = np.random.default_rng(seed)
    remaining = np.arange(n)
    next_label = 0
    while len(remaining):
        if len(remaining) <= EXACT_LIMIT:
            sample, rest = remaining, remaining[:0]
        else:
            chosen = np.zeros(len(remaining), dtype=bool)
            chosen[rng.choice(len(remaining), EXACT_LIMIT, replace=False)] = True
            sample, rest = remaining[chosen], remaining[~chosen]
        local = _average_linkage(matrix[sample], min_similarity)
        labels[sample] = local + next_label
        groups = int(local.max()) + 1
        means = _group_means(matrix[sample], local, groups)
        unplaced = []
        for start in range(0, len(rest), BLOCK):
            block = rest[start : start + BLOCK]
            scores = matrix[block] @ means.T
            best = scores.argmax(axis=1)
            ok = scores[np.arange(len(block)), best] >= min_similarity
            labels[block[ok]] = best[ok] + next_label
            unplaced.append(block[~ok])
        remaining = np.concatenate(unplaced) if unplaced else rest
        next_label += groups
    return labels


def _average_linkage(matrix: np.ndarray, min_similarity: float) -> np.ndarray:
    n = len(matrix)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    distances = 1.0 - matrix @ matrix.T
    np.fill_diagonal(distances, 0.0)
    np.clip(distances, 0.0, 2.0, out=distances)
    tree = linkage(squareform(distances, checks=False).astype(np.float64), method="average")
    raw = fcluster(tree, t=1.0 - min_similarity, criterion="distance")
    # Number the groups in order of their first row: the same input, the same labels.
    _, first = np.unique(raw, return_index=True)
    order = {raw[i]: k for k, i in enumerate(sorted(first))}
    return np.array([order[r] for r in raw], dtype=np.int64)


def _group_means(matrix: np.ndarray, labels: np.ndarray, groups: int) -> np.ndarray:
    sums = np.zeros((groups, matrix.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, matrix)
    counts = np.bincount(labels, minlength=groups)
    return (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)


def top_similar(queries: np.ndarray, targets: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, the ``k`` most similar target rows and their similarities
    (best first), computed in blocks."""
    k = min(k, len(targets))
    if not len(queries) or k == 0:
        return np.zeros((len(queries), 0), dtype=np.int64), np.zeros((len(queries), 0))
    indices, scores = [], []
    for start in range(0, len(queries), BLOCK):
        sims = queries[start : start + BLOCK] @ targets.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-top_sims, axis=1, kind="stable")
        indices.append(np.take_along_axis(top, order, axis=1))
        scores.append(np.take_along_axis(top_sims, order, axis=1))
    return np.concatenate(indices), np.concatenate(scores)


# -- topics of a day ---------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    cluster_id: int
    name: str
    key: str
    method: str
    documents: int
    own_documents: int
    competitor_documents: int


@dataclass
class Topics:
    """The topics of a tenant and day and the topic of each document."""

    topics: dict[int, Topic]
    assignment: dict[str, int | None]  # doc_id → cluster_id

    def of(self, doc_id: str) -> Topic | None:
        cluster = self.assignment.get(doc_id)
        return self.topics.get(cluster) if cluster is not None else None

    @classmethod
    def from_rows(cls, clusters: Iterable[dict], assignments: Iterable[dict]) -> Topics:
        topics = {
            r["cluster_id"]: Topic(
                r["cluster_id"], r["name"], r["key"], r["method"], r["documents"],
                r["own_documents"], r["competitor_documents"],
            )
            for r in clusters
        }  # fmt: skip
        return cls(topics, {r["doc_id"]: r["cluster_id"] for r in assignments})

    @classmethod
    def empty(cls) -> Topics:
        return cls({}, {})


def load_topics(warehouse: Warehouse, tenant: str, day: str) -> Topics | None:
    """The topics published by the clusters report for ``tenant`` and ``day``; None when it
    has not been materialized for that partition."""
    if not warehouse.partition_dir("report_topic_assignments", tenant, day).exists():
        return None
    return Topics.from_rows(
        warehouse.read("report_topic_clusters", tenant, day).to_pylist(),
        warehouse.read("report_topic_assignments", tenant, day).to_pylist(),
    )


def mode(values: Iterable[int | None]) -> int | None:
    """The most frequent non-null value (ties: the smallest)."""
    counts: dict[int, int] = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    return min(counts, key=lambda v: (-counts[v], v)) if counts else None


def shown(charts: list, markdown: str) -> list:
    """The charts the Markdown shows (a report with nothing to chart explains it in words)."""
    return [c for c in charts if f"{{chart:{c.name}}}" in markdown]


def breadth(domains: int) -> float:
    """1 for one site, more for each further site: several rivals on it weigh more than
    one rival writing many pages."""
    return 1.0 + math.log(max(domains, 1))
