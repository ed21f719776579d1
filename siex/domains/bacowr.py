"""BACOWR transformer: where a backlink to a target page fits in a source text, and
with which anchor text.

The target is profiled by its keywords. The source is cut into passages (a
sentence or two); each passage is scored on how close it is to the target
(cosine similarity of embeddings when the model knows the language, stem overlap
with the target's keywords otherwise), and each of its candidate phrases that
shares stems with the target's keywords is an anchor candidate. An anchor is
always a verbatim span of the passage, so it can be linked without rewriting.
"""

from __future__ import annotations

import re
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
    """Sentences with their offsets; very short ones are merged into the next."""
    found, start, pending_start, pending = [], 0, None, ""
    for match in [*_SENTENCE.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[start:end].strip()
        if piece:
            offset = text.index(piece, start)
            if pending:
                piece, offset = f"{pending} {piece}", pending_start
            if len(piece.split()) < MIN_PASSAGE_WORDS and match:
                pending, pending_start = piece, offset
            else:
                found.append((offset, piece))
                pending = ""
        start = match.end() if match else len(text)
    if pending:
        found.append((pending_start, pending))
    return found


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
    # Rank-decayed: the anchor should name what the target is about, not a side phrase
    # whose score happens to sit close to the top one.
    weights: dict[str, float] = {}
    for rank, kw in enumerate(target_keywords):
        weight = kw.score / (1 + rank) ** 0.5
        for token in tokenize(kw.text, kit):
            if token.kind == "C":
                weights[token.stem] = max(weights.get(token.stem, 0.0), weight)
    pieces = passages(source)
    if not pieces:
        return []
    relevance = _relevance([p for _, p in pieces], target, lang, weights, extractor)
    placements = []
    for (offset, passage), rel in zip(pieces, relevance, strict=True):
        anchor = _best_anchor(passage, kit, weights)
        if anchor is None:
            continue
        text, match = anchor
        at = passage.lower().find(text.lower())
        placements.append(
            LinkPlacement(
                passage=passage,
                passage_start=offset,
                anchor=passage[at : at + len(text)],
                anchor_start=offset + at,
                score=round(0.6 * rel + 0.4 * match, 4),
                relevance=round(rel, 4),
                anchor_match=round(match, 4),
            )
        )
    placements.sort(key=lambda p: (-p.score, p.passage_start))
    return placements[:top_n]


def _best_anchor(passage: str, kit, weights: dict[str, float]) -> tuple[str, float] | None:
    best, best_score = None, 0.0
    for cand in find_candidates(tokenize(passage, kit), 4).values():
        hits = [weights.get(stem, 0.0) for stem in cand.stems]
        covered = sum(1 for h in hits if h > 0)
        if not covered:
            continue
        match = covered / len(hits) * max(hits)
        score = match * (1.0 + 0.15 * min(covered, 3))  # descriptive multiword anchors first
        surface = max(cand.surfaces, key=cand.surfaces.get)
        if score > best_score and surface.lower() in passage.lower():
            best, best_score = (surface, min(1.0, match)), score
    return best


def _relevance(
    texts: list[str], target: str, lang: str, weights: dict[str, float], extractor
) -> list[float]:
    ranker = extractor.ranker()
    if extractor.mode == "semantic" and ranker.supports(lang):
        vectors = ranker.embed_documents([target, *texts])
        sims = vectors[1:] @ vectors[0]
        return [float(max(0.0, s)) for s in np.asarray(sims)]
    kit = language_kit(lang)
    total = sum(weights.values()) or 1.0
    scores = []
    for text in texts:
        stems = {t.stem for t in tokenize(text, kit) if t.kind == "C"}
        scores.append(sum(w for s, w in weights.items() if s in stems) / total)
    return scores
