"""Sentence embeddings for the reports: documents and keyphrases in one vector space.

Clusters and link suggestions compare whole pages and topics, which needs the deep
composition the keyword re-ranker drops: this uses all of the model's layers and
reads up to 256 word pieces of each text. Same model as the engine (the packaged
all-MiniLM-L6-v2, or a configured local folder), ONNX Runtime int8, exported once and
cached; one encoder per model and process.

Pages are embedded one per model call. A page's vector is stored once (``vectors``)
and compared for months with vectors other runs made; dynamic int8 measures its ranges
on each call's batch, so in a batch the vector would depend on the pages beside it.
Alone it is the same in every run, and no slower: in batches of 32 the same pages run
at 0.7–0.8× the rate on 2 cores (benchmarks/report_embeddings.py). Keyphrases are
still embedded in batches, where short texts gain, so their vectors can still move a
little with the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from siex.engine.semantic import DEFAULT_MODEL_LANGUAGES, default_model_path

DOCUMENT_TOKENS = 256
PHRASE_TOKENS = 32


class Embedder:
    """Normalized embeddings of documents and phrases; cosine similarity is a dot product.

    Parameters
    ----------
    model_path:
        A local sentence-transformers folder; None for the packaged MiniLM.
    languages:
        Languages the model understands (``("*",)``: all). ``supports`` tells callers
        when to fall back to keyword overlap instead.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        languages: Sequence[str] = DEFAULT_MODEL_LANGUAGES,
    ) -> None:
        self.model_path = str(model_path) if model_path else None
        self.languages = tuple(languages)

    def supports(self, lang: str) -> bool:
        return "*" in self.languages or lang in self.languages

    @property
    def encoder(self):
        return _encoder(self.model_path)

    def documents(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per text (its first 256 word pieces), whatever texts come with it."""
        return self.encoder.encode(list(texts), DOCUMENT_TOKENS, batch_size=1)

    def phrases(self, phrases: Sequence[str]) -> np.ndarray:
        return self.encoder.encode(list(phrases), PHRASE_TOKENS, batch_size=256)


@lru_cache(maxsize=4)
def _encoder(model_path: str | None):
    from siex.engine.onnx_encoder import OnnxEncoder

    path = Path(model_path) if model_path else default_model_path()
    if not (path / "tokenizer.json").is_file():
        raise FileNotFoundError(f"no sentence-transformers model (tokenizer.json) in {path}")
    # all six layers: dynamic int8 stays closer to the float model than static here
    return OnnxEncoder(path, quantize="dynamic", layers=None)
