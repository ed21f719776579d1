"""Ranking ideas tried after engine 0.6.9 and left out, as variants of kpe_ablation.

Each probe is the default engine with one change, aimed at the sets still short of
the quality goal (kdd, citeulike180, fao30, www, 500N-KPCrowd; see "After engine
0.6.9" in docs/benchmarks.md for the scores and why none was taken):

    .venv/bin/python benchmarks/kpe_ablation.py --extra-dir <converted LIAAD sets> \\
        --datasets kdd,www,citeulike180 --variant default --variant long-weight-0.6

``kpe_ablation.variant`` looks names up here after its own ``VARIANTS`` and
``RULES_OFF``; every probe returns an extractor and the context it runs in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import numpy as np

from siex.engine import extractor as engine
from siex.engine.extractor import KeywordExtractor, Scored
from siex.engine.semantic import DEFAULT_RERANK_LAYERS, SemanticRanker

Probe = Callable[[], tuple[KeywordExtractor, AbstractContextManager]]


class LongWeight(KeywordExtractor):
    """Texts the whole model reads (2,000 words or more) blend with ``long_weight``
    instead of 0.8: in a long text the statistics count many more uses."""

    def __init__(self, long_weight: float) -> None:
        super().__init__()
        self.long = KeywordExtractor(semantic_weight=long_weight)

    def _rerank(self, prepared: list) -> list:
        long = [self.reads_deep(text) for text, _lang, _scored in prepared]
        pairs = list(zip(prepared, long, strict=True))
        short_ranked = iter(super()._rerank([p for p, x in pairs if not x]))
        long_ranked = iter(self.long._rerank([p for p, x in pairs if x]))
        return [next(long_ranked) if x else next(short_ranked) for x in long]


class OwnRankers(KeywordExtractor):
    """The default engine with rankers made by ``make_ranker(all_layers)``."""

    def __init__(self, make_ranker: Callable[[bool], SemanticRanker]) -> None:
        super().__init__()
        self.make_ranker = make_ranker
        self.rankers: dict[bool, SemanticRanker] = {}

    def ranker(self, all_layers: bool = False) -> SemanticRanker:
        if all_layers not in self.rankers:
            self.rankers[all_layers] = self.make_ranker(all_layers)
        return self.rankers[all_layers]


# the engine's own long-text gate, for the rankers below, which have no extractor
_is_long = KeywordExtractor().reads_deep


class WindowsRanker(SemanticRanker):
    """A long text's query is the mean of eight 48-word windows spread through it,
    not its opening, which in a report or a paper is often front matter."""

    WINDOWS, WORDS = 8, 48

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.array(super().embed_documents(texts))
        for i, text in enumerate(texts):
            words = text.split()
            if not _is_long(text):
                continue
            step = (len(words) - self.WORDS) / (self.WINDOWS - 1)
            windows = [
                " ".join(words[round(j * step) : round(j * step) + self.WORDS])
                for j in range(self.WINDOWS)
            ]
            mean = np.asarray(super().embed_documents(windows)).mean(axis=0)
            vectors[i] = mean / np.linalg.norm(mean)
        return vectors


class CentroidRanker(SemanticRanker):
    """A long text's query leans, with equal weight, toward the mean of its re-ranked
    candidates: what the statistics say the text is about."""

    def similarities(
        self, texts: Sequence[str], phrases: Sequence[Sequence[str]]
    ) -> list[np.ndarray]:
        docs = self.embed_documents(texts)
        vectors = self.embed_phrases([p for group in phrases for p in group])
        out = []
        for text, doc, group in zip(texts, docs, phrases, strict=True):
            query = doc
            if group and _is_long(text):
                centroid = np.mean([vectors[p] for p in group], axis=0)
                query = doc + centroid / np.linalg.norm(centroid)
                query = query / np.linalg.norm(query)
            out.append(np.array([float(vectors[p] @ query) for p in group], dtype=np.float32))
        return out


def _ranker(cls: type[SemanticRanker] = SemanticRanker, deep_doc_tokens: int = 64):
    def make(all_layers: bool) -> SemanticRanker:
        return cls(
            layers=None if all_layers else DEFAULT_RERANK_LAYERS,
            max_doc_tokens=deep_doc_tokens if all_layers else 64,
        )

    return make


class ShortDeep(KeywordExtractor):
    """Texts under ``below`` words are read by the whole model as well, as long ones
    are: the whole model lifted kdd and www, whose documents are this short."""

    def __init__(self, below: int) -> None:
        super().__init__()
        self.below = below

    def reads_deep(self, text: str) -> bool:
        return super().reads_deep(text) or len(text.split()) < self.below


class Diverse(KeywordExtractor):
    """A phrase loses up to ``penalty`` of its score by the share of its words that the
    phrases above it already hold, so a list repeats itself less."""

    def __init__(self, penalty: float) -> None:
        super().__init__()
        self.penalty = penalty

    def _value(self, s: Scored, held: set[str]) -> float:
        stems = set(s.candidate.stems)
        return s.score * (1 - self.penalty * len(stems & held) / len(stems))

    def finish(self, scored: list[Scored], top_k: int, lang: str | None = None):
        pool, rest = list(scored[:60]), scored[60:]
        ordered: list[Scored] = []
        held: set[str] = set()
        while pool:
            values = [self._value(s, held) for s in pool]
            i = values.index(max(values))
            best = pool.pop(i)
            ordered.append(Scored(best.candidate, values[i], best.corpus_weight))
            held |= set(best.candidate.stems)
        return KeywordExtractor.finish(ordered + rest, top_k, lang)


def _verb_openers_always() -> AbstractContextManager:
    """A phrase opened by a verb's -ing form needs an article before it even when said
    twice ("reducing query abandonment" in a title and its abstract)."""
    from kpe_ablation import _patched

    from siex.engine.wordclass import opens_with_verb

    keyphrase_like = engine._is_keyphrase_like

    def stricter(cand, kit) -> bool:
        words = tuple(w.lower() for w in cand.words)
        if not cand.is_name and cand.determined == 0 and opens_with_verb(words, kit.code):
            return False
        return keyphrase_like(cand, kit)

    return _patched("siex.engine.extractor", "_is_keyphrase_like", stricter)


PROBES: dict[str, Probe] = {
    "long-weight-0.6": lambda: (LongWeight(0.6), nullcontext()),
    "long-weight-0.4": lambda: (LongWeight(0.4), nullcontext()),
    "long-query-windows": lambda: (OwnRankers(_ranker(WindowsRanker)), nullcontext()),
    "long-query-centroid": lambda: (OwnRankers(_ranker(CentroidRanker)), nullcontext()),
    "deep-doc-128": lambda: (OwnRankers(_ranker(deep_doc_tokens=128)), nullcontext()),
    "short-deep-100": lambda: (ShortDeep(100), nullcontext()),
    "short-deep-200": lambda: (ShortDeep(200), nullcontext()),
    "verb-openers-always": lambda: (KeywordExtractor(), _verb_openers_always()),
    "diverse-0.3": lambda: (Diverse(0.3), nullcontext()),
}
