"""BACOWR transformer: where a backlink to a target page fits in a source text, and
with which anchor text.

The target is profiled by its keywords. The source is cut into passages (a
sentence or two); each passage is scored on how close it is to the target
(cosine similarity of embeddings when the model knows the language, stem overlap
with the target's keywords otherwise), and each of its candidate phrases that
shares stems with the target's keywords is an anchor candidate. An anchor is
always a verbatim span of the passage, so it can be linked without rewriting.

``suggest_links`` places one link; ``PreparedSource`` tokenizes a source once and
places links to many targets profiled by ``keyword_weights`` (the internal link
suggestions of ``siex.intelligence.links`` use it with each page's stored keywords).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from siex.engine import KeywordExtractor
from siex.engine.candidates import find_candidates, tokenize
from siex.engine.languages import language_kit

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n{2,}")
MIN_PASSAGE_WORDS = 6


@dataclass(frozen=True)
class LinkPlacement:
    passage: str
    passage_start: int  # character offset of the passage in the source text
    anchor: str  # verbatim text of the passage to turn into the link
    anchor_start: int  # character offset of the anchor in the source text
    score: float  # 0..1, higher is a better fit
    relevance: float  # passage-to-target similarity
    anchor_match: float  # share of the anchor's words that are target keyword stems


def passages(text: str) -> list[tuple[int, str]]:
    """Sentences with their offsets; very short ones are merged into the next.

    Every passage is a verbatim slice of ``text`` (a merged heading keeps the line
    breaks after it), so offsets found in a passage hold in the text.
    """
    found, start, pending_start, pending = [], 0, None, ""
    for match in [*_SENTENCE.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[start:end].strip()
        if piece:
            offset = text.index(piece, start)
            if pending:
                piece, offset = text[pending_start : offset + len(piece)], pending_start
            if len(piece.split()) < MIN_PASSAGE_WORDS and match:
                pending, pending_start = piece, offset
            else:
                found.append((offset, piece))
                pending = ""
        start = match.end() if match else len(text)
    if pending:
        found.append((pending_start, pending))
    return found


def keyword_weights(keywords: Iterable[tuple[str, float]], kit) -> dict[str, float]:
    """Stem → weight of a target's ranked keywords, ``(text, score)`` best first.

    Rank-decayed: the anchor should name what the target is about, not a side phrase
    whose score happens to sit close to the top one.
    """
    weights: dict[str, float] = {}
    for rank, (text, score) in enumerate(keywords):
        weight = score / (1 + rank) ** 0.5
        for token in tokenize(text, kit):
            if token.kind == "C":
                weights[token.stem] = max(weights.get(token.stem, 0.0), weight)
    return weights


class PreparedSource:
    """A source text cut into passages, each with its anchor candidates: tokenized once,
    then ``place`` finds where a link to each of many targets fits.

    Indexed by stem, so placing a target only looks at the passages and anchor
    candidates that share a stem with its keywords.
    """

    def __init__(self, text: str, kit, interest: Iterable[str] | None = None) -> None:
        """``interest``: the only stems links will be placed for (the union of the
        targets' keyword stems). Passages that cannot contain any are not tokenized: a
        cheap test on the first letters of each stem, accents folded (Snowball stems
        strip and rewrite endings, never beginnings), so no passage that contains one
        is skipped."""
        self.text = text
        self.kit = kit
        self.passages = passages(text)
        prefixes = None if interest is None else {_prefix(s) for s in interest if s}
        self._tokens: list[list | None] = []  # dropped once a passage's anchors are built
        self._anchors: list[list[tuple[str, tuple[str, ...]]] | None] = []
        self._by_stem: list[dict[str, list[int]] | None] = []  # stem -> anchor indices
        self._stems: list[frozenset[str]] = []
        self._where: dict[str, list[int]] = {}  # stem -> passages containing it
        for i, (_offset, passage) in enumerate(self.passages):
            if prefixes is not None:
                folded = _fold(passage)
                if not any(prefix in folded for prefix in prefixes):
                    self._stems.append(frozenset())
                    self._tokens.append([])
                    self._anchors.append([])
                    self._by_stem.append({})
                    continue
            tokens = tokenize(passage, kit)
            stems = frozenset(t.stem for t in tokens if t.kind == "C")
            self._stems.append(stems)
            for stem in stems:
                self._where.setdefault(stem, []).append(i)
            self._tokens.append(tokens)
            self._anchors.append(None)  # built on first use: most passages never are
            self._by_stem.append(None)

    def _anchors_of(self, i: int) -> tuple[list, dict[str, list[int]]]:
        if self._anchors[i] is None:
            lowered = self.passages[i][1].lower()
            anchors: list[tuple[str, tuple[str, ...]]] = []
            by_stem: dict[str, list[int]] = {}
            for cand in find_candidates(self._tokens[i], 4).values():
                surface = max(cand.surfaces, key=cand.surfaces.get)
                if surface.lower() not in lowered:  # verbatim spans only
                    continue
                for stem in set(cand.stems):
                    by_stem.setdefault(stem, []).append(len(anchors))
                anchors.append((surface, cand.stems))
            self._anchors[i], self._by_stem[i], self._tokens[i] = anchors, by_stem, None
        return self._anchors[i], self._by_stem[i]

    def stem_relevance(self, weights: dict[str, float]) -> list[float]:
        """Per passage: the share of the target's keyword weight whose stems it contains."""
        total = sum(weights.values()) or 1.0
        return [sum(w for s, w in weights.items() if s in stems) / total for stems in self._stems]

    def place(
        self,
        weights: dict[str, float],
        relevance: Sequence[float] | None = None,
        top_n: int = 3,
    ) -> list[LinkPlacement]:
        """The best ``top_n`` places (one per passage) for a link to a target profiled by
        ``weights``; ``relevance`` per passage (default: stem overlap with the target)."""
        if not weights or not self.passages:
            return []
        total = sum(weights.values()) or 1.0
        hit = sorted({i for stem in weights for i in self._where.get(stem, ())})
        placements = []
        for i in hit:
            offset, passage = self.passages[i]
            anchors, by_stem = self._anchors_of(i)
            chosen = sorted({a for stem in weights for a in by_stem.get(stem, ())})
            anchor = _best_anchor([anchors[a] for a in chosen], weights)
            if anchor is None:
                continue
            text, match = anchor
            found = re.search(re.escape(text), passage, re.IGNORECASE)
            if found is None:
                continue
            if relevance is not None:
                rel = relevance[i]
            else:
                rel = sum(w for s, w in weights.items() if s in self._stems[i]) / total
            placements.append(
                LinkPlacement(
                    passage=passage,
                    passage_start=offset,
                    anchor=found.group(0),
                    anchor_start=offset + found.start(),
                    score=round(0.6 * rel + 0.4 * match, 4),
                    relevance=round(rel, 4),
                    anchor_match=round(match, 4),
                )
            )
        placements.sort(key=lambda p: (-p.score, p.passage_start))
        return placements[:top_n]


def _prefix(stem: str) -> str:
    """The part of a stem that every word stemming to it contains (folded)."""
    return _fold(stem[: max(2, min(5, len(stem) - 1))])


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def suggest_links(
    source: str,
    target: str,
    lang: str | None = None,
    target_title: str | None = None,
    top_n: int = 3,
    extractor: KeywordExtractor | None = None,
) -> list[LinkPlacement]:
    """The best ``top_n`` places (one per passage) to link ``target`` from ``source``."""
    extractor = extractor or KeywordExtractor()
    lang = extractor.language_of(source, lang)
    kit = language_kit(lang)
    target_keywords = extractor.extract(target, lang, top_k=15, title=target_title)
    if not target_keywords:
        return []
    weights = keyword_weights(((kw.text, kw.score) for kw in target_keywords), kit)
    prepared = PreparedSource(source, kit)
    if not prepared.passages:
        return []
    relevance = _relevance(prepared, target, lang, weights, extractor)
    return prepared.place(weights, relevance, top_n)


def _best_anchor(
    anchors: list[tuple[str, tuple[str, ...]]], weights: dict[str, float]
) -> tuple[str, float] | None:
    best, best_score = None, 0.0
    for surface, stems in anchors:
        hits = [weights.get(stem, 0.0) for stem in stems]
        covered = sum(1 for h in hits if h > 0)
        if not covered:
            continue
        match = covered / len(hits) * max(hits)
        score = match * (1.0 + 0.15 * min(covered, 3))  # descriptive multiword anchors first
        if score > best_score:
            best, best_score = (surface, min(1.0, match)), score
    return best


def _relevance(
    prepared: PreparedSource, target: str, lang: str, weights: dict[str, float], extractor
) -> list[float]:
    ranker = extractor.ranker()
    if extractor.mode == "semantic" and ranker.supports(lang):
        vectors = ranker.embed_documents([target, *(p for _, p in prepared.passages)])
        sims = vectors[1:] @ vectors[0]
        return [float(max(0.0, s)) for s in np.asarray(sims)]
    return prepared.stem_relevance(weights)
