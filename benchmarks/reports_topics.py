"""Benchmark of the topic reports (clusters, content gap, cannibalization) on a synthetic
tenant of 10,000 documents and about 50,000 distinct keywords.

The tenant is written into a temporary warehouse the way ingestion writes it: documents,
ranked keywords, and a cached vector per document version in ``document_embeddings``
(so, as on any day after the first, no page goes through the model; embedding 10,000
pages once costs about 0.13 s a page on two cores and is not what this measures).
Vectors are synthetic but shaped like page vectors: ``--fields`` broad fields, topics
within them (pages of one topic about 0.65 similar, topics of one field about 0.4,
different fields about 0), own pages on one site and competitor pages on four. Keywords
are pseudo-words drawn per topic, so keyword keys, labels and stems behave as usual; a
share of the pages is German (``--foreign``), which the English model does not read, so
the keyword-space fallback runs at scale too. Phrase vectors for cluster names and the
content-gap check are computed by the real model (all-MiniLM-L6-v2, int8), as in
production, and counted.

Two days are run: the first embeds every keyphrase the reports need (cluster names, the
content-gap check), the next day (the same pages, as after a day without changes)
reads them back from ``phrase_embeddings``, as the assets do. Printed: seconds, phrases
embedded and peak RSS after each step (loading the corpus, reading the vectors, each
builder, publishing), rows and headline figures of each report.

    .venv/bin/python benchmarks/reports_topics.py                    # 10,000 documents
    .venv/bin/python benchmarks/reports_topics.py --documents 2000   # quicker
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from siex.intelligence.cannibalization import build_cannibalization  # noqa: E402
from siex.intelligence.clusters import build_topic_clusters  # noqa: E402
from siex.intelligence.content_gap import build_content_gap  # noqa: E402
from siex.intelligence.corpus import load_corpus  # noqa: E402
from siex.intelligence.embeddings import Embedder  # noqa: E402
from siex.intelligence.publish import publish  # noqa: E402
from siex.intelligence.topics import PhraseCache, corpus_vectors  # noqa: E402
from siex.intelligence.vectors import model_name  # noqa: E402
from siex.warehouse import Warehouse  # noqa: E402

TENANT, DAY, NEXT_DAY = "bench", "2026-06-01", "2026-06-02"
SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"] + ["ar", "el", "in", "or", "us"]
DIMENSIONS = 384


class CountingEmbedder(Embedder):
    """The real embedder, counting the phrases it embeds."""

    phrases_embedded = 0
    documents_embedded = 0

    def phrases(self, phrases):
        self.phrases_embedded += len(phrases)
        return super().phrases(phrases)

    def documents(self, texts):
        self.documents_embedded += len(texts)
        return super().documents(texts)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def words(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct pseudo-words of two to four syllables."""
    found: set[str] = set()
    while len(found) < n:
        found.add("".join(rng.choice(SYLLABLES, rng.integers(2, 5))))
    return sorted(found)


def synthesize(store: Warehouse, args, rng: np.random.Generator) -> dict:
    topics = args.documents // 25
    vocabulary = words(rng, topics * 12 + 400)
    generic = vocabulary[-400:]
    fields = unit(rng.normal(size=(args.fields, DIMENSIONS)))
    field_of = rng.integers(0, args.fields, topics)
    # Topics of one field ≈ 1 / (1 + 1.22²) ≈ 0.4 similar.
    centres = unit(
        fields[field_of] + rng.normal(size=(topics, DIMENSIONS)) * 1.22 / np.sqrt(DIMENSIONS)
    )
    # Topic sizes vary (Zipf-like): a few big topics, many small ones.
    weights = 1.0 / np.arange(1, topics + 1) ** 0.6
    topic_of = rng.choice(topics, args.documents, p=weights / weights.sum())
    phrases = []
    for t in range(topics):
        own_words = vocabulary[t * 12 : (t + 1) * 12]
        pool = set()
        while len(pool) < args.phrases_per_topic:
            n = rng.choice([1, 2, 2, 3])
            pool.add(" ".join(rng.choice(own_words + generic[:40], n, replace=False)))
        phrases.append(sorted(pool))
    noise = 0.73  # pages of one topic ≈ 1 / (1 + 0.73²) ≈ 0.65 similar
    vectors = unit(
        centres[topic_of]
        + rng.normal(size=(args.documents, DIMENSIONS)) * noise / np.sqrt(DIMENSIONS)
    ).astype(np.float32)
    documents, keyword_rows, embedding_rows = [], [], []
    fetched = datetime.fromisoformat(f"{DAY}T08:00:00+00:00")
    for i in range(args.documents):
        competitor = rng.random() < args.competitor_share
        site = f"rival{rng.integers(1, 5)}.example" if competitor else "own.example"
        lang = "de" if rng.random() < args.foreign else "en"
        url = f"https://{site}/{lang}/topic-{topic_of[i]}/page-{i}"
        doc_id = hashlib.sha256(f"{TENANT}\n{url}".encode()).hexdigest()[:24]
        content_hash = hashlib.sha256(url.encode()).hexdigest()
        # Most keywords come from the topic's pool; a few are the page's own long tail
        # (a topic word and any word of the vocabulary), as real pages have.
        pooled = args.keywords_per_document - args.long_tail
        chosen = list(rng.choice(phrases[topic_of[i]], pooled, replace=False))
        own_words = vocabulary[topic_of[i] * 12 : (topic_of[i] + 1) * 12]
        for _ in range(args.long_tail):
            chosen.insert(
                int(rng.integers(2, len(chosen) + 1)),
                f"{rng.choice(own_words)} {rng.choice(vocabulary)}",
            )
        documents.append(
            {
                "doc_id": doc_id, "url": url, "source_id": "rival" if competitor else "own",
                "title": " ".join(chosen[:2]).title(), "description": "", "lang": lang,
                "published_at": None, "fetched_at": fetched, "content_hash": content_hash,
                "word_count": int(rng.integers(300, 2000)), "text": " ".join(chosen),
            }
        )  # fmt: skip
        for rank, phrase in enumerate(chosen, start=1):
            keyword_rows.append(
                {
                    "doc_id": doc_id, "url": url, "content_hash": content_hash, "rank": rank,
                    "keyword": str(phrase), "score": round(1.0 - 0.05 * (rank - 1), 3),
                    "lang": lang, "engine": "bench",
                }
            )  # fmt: skip
        if lang == "en":
            embedding_rows.append(
                {"doc_id": doc_id, "content_hash": content_hash, "model": "all-MiniLM-L6-v2",
                 "vector": vectors[i].tolist()}
            )  # fmt: skip
    store.write("documents", TENANT, DAY, documents)
    store.write("keywords", TENANT, DAY, keyword_rows)
    store.write("document_embeddings", TENANT, DAY, embedding_rows)
    return {
        "topics_generated": topics,
        "fields": args.fields,
        "documents": len(documents),
        "keyword_rows": len(keyword_rows),
        "distinct_keywords": len({r["keyword"] for r in keyword_rows}),
        "cached_vectors": len(embedding_rows),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--keywords-per-document", type=int, default=10)
    parser.add_argument("--phrases-per-topic", type=int, default=150)
    parser.add_argument("--long-tail", type=int, default=3, help="page-specific keywords")
    parser.add_argument("--fields", type=int, default=12)
    parser.add_argument("--competitor-share", type=float, default=0.5)
    parser.add_argument("--foreign", type=float, default=0.03, help="share of German pages")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    figures: dict = {
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with tempfile.TemporaryDirectory(prefix="siex-bench-topics-") as tmp:
        store = Warehouse(Path(tmp) / "warehouse")
        started = time.perf_counter()
        figures["corpus"] = synthesize(store, args, rng)
        figures["generate_s"] = round(time.perf_counter() - started, 2)
        # One-time costs of a run process, not of the builders: the model and the imports.
        began = time.perf_counter()
        embedder = CountingEmbedder()
        embedder.phrases(["warm up"])
        embedder.phrases_embedded = 0
        import scipy.cluster.hierarchy  # noqa: F401
        import sklearn.decomposition
        import sklearn.feature_extraction.text  # noqa: F401

        figures["model_and_imports_s"] = round(time.perf_counter() - began, 2)
        roles = {"own": "own", "rival": "competitor"}
        reports = Path(tmp) / "reports"

        def run(day: str) -> dict:
            """The three reports of ``day`` as the assets compute them: page vectors read
            back, keyphrases through a PhraseCache saved after each builder."""
            steps: dict = {}

            def step(name: str, work, phrases: PhraseCache | None = None):
                began, before = time.perf_counter(), embedder.phrases_embedded
                value = work()
                steps[name] = {"seconds": round(time.perf_counter() - began, 2)}
                if phrases is not None:
                    steps[name]["phrases_embedded"] = embedder.phrases_embedded - before
                    steps[name]["phrases_reused"] = phrases.reused
                    phrases.save()
                steps[name]["peak_rss_mb"] = round(peak_rss_mb())
                print(f"{day} {name:>16}: {steps[name]}", file=sys.stderr, flush=True)
                return value

            corpus = step("load_corpus", lambda: load_corpus(store, TENANT, day, roles=roles))
            vectors = step(
                "read_vectors",
                lambda: corpus_vectors(store, embedder, TENANT, day, corpus.documents),
            )
            assert embedder.documents_embedded == 0, "every page vector comes from the cache"
            names = PhraseCache(store, embedder, TENANT, day, "topic_clusters")
            clusters = step(
                "topic_clusters", lambda: build_topic_clusters(corpus, vectors, names), names
            )
            checks = PhraseCache(store, embedder, TENANT, day, "content_gap")
            gap = step(
                "content_gap",
                lambda: build_content_gap(corpus, vectors, clusters.topics, checks),
                checks,
            )
            rivalry = step(
                "cannibalization", lambda: build_cannibalization(corpus, vectors, clusters.topics)
            )
            step(
                "publish_all",
                lambda: [
                    publish(store, reports, TENANT, day, r)
                    for r in (clusters.report, clusters.assignments, gap, rivalry)
                ],
            )
            builders = ("topic_clusters", "content_gap", "cannibalization")
            return {
                "steps": steps,
                "builders_s": round(sum(steps[s]["seconds"] for s in builders), 2),
                "reports": {
                    "topic_clusters": {
                        "rows": len(clusters.report.rows),
                        **clusters.report.summary,
                    },
                    "content_gap": {"rows": len(gap.rows), **gap.summary},
                    "cannibalization": {"rows": len(rivalry.rows), **rivalry.summary},
                },
            }

        figures["model"] = model_name(embedder)
        # The first day embeds every keyphrase it needs; the next day (same pages, as after
        # a day without changes) reads them back.
        figures["first_day"] = run(DAY)
        figures["next_day"] = run(NEXT_DAY)
        figures["next_day"].pop("reports")
        figures["peak_rss_mb"] = round(peak_rss_mb())
    print(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
