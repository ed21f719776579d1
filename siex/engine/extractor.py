"""Statistical keyphrase extraction: the first version of the SIE-X engine.

Candidates are runs of up to three content words between stop words and
punctuation; each is scored by how often its stemmed form recurs, where it first
appears and, when a corpus is known, how rare it is across that corpus. Inflected
forms and overlapping spans are folded so the list reads like one an SEO person
would write by hand.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from siex.engine.languages import LanguageKit, detect_language, language_kit, normalize_lang

# Bumped when ranking changes, so stored keywords of unchanged texts are re-extracted.
ENGINE_VERSION = "stat-0.1"

# Words: letters/digits with inner hyphens or apostrophes; everything else breaks phrases.
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)
_BREAK = re.compile(r"[^\w\s]")


@dataclass(frozen=True)
class Keyword:
    text: str
    score: float

    def as_dict(self) -> dict:
        return {"text": self.text, "score": self.score}


@dataclass
class _Candidate:
    stems: tuple[str, ...]
    count: int = 0
    first_position: int = 0
    surfaces: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def text(self) -> str:
        return max(self.surfaces.items(), key=lambda kv: (kv[1], -len(kv[0])))[0]


class KeywordExtractor:
    """Extract ranked keyphrases from text.

    Parameters
    ----------
    max_ngram:
        Longest phrase, in words.
    max_chars:
        Texts are cut to this many characters; keyphrases live early in pages and
        the cut bounds time and memory for huge inputs.
    doc_freq, n_docs:
        Optional corpus statistics: ``doc_freq`` maps a stemmed phrase (words joined by
        a space) to the number of documents containing it, out of ``n_docs``. When
        given, phrases common across the corpus are pushed down (the tenant's own
        boilerplate, for example).
    """

    version = ENGINE_VERSION

    def __init__(
        self,
        max_ngram: int = 3,
        max_chars: int = 200_000,
        doc_freq: Mapping[str, int] | None = None,
        n_docs: int = 0,
    ) -> None:
        self.max_ngram = max_ngram
        self.max_chars = max_chars
        self.doc_freq = doc_freq or {}
        self.n_docs = n_docs

    # -- public API ---------------------------------------------------------------

    def extract(
        self, text: str, lang: str | None = None, top_k: int = 10, title: str | None = None
    ) -> list[Keyword]:
        """Best ``top_k`` keyphrases of ``text``, best first, scores in (0, 1]."""
        if not isinstance(text, str):
            raise TypeError("text must be a string")
        text = text[: self.max_chars]
        kit = language_kit(normalize_lang(lang) or detect_language(text))
        candidates = self._candidates(text, kit, title)
        if not candidates:
            return []
        scored = sorted(
            ((self._score(c, kit), c) for c in candidates.values()),
            key=lambda sc: (-sc[0], sc[1].first_position),
        )
        return self._fold(scored, top_k)

    def extract_batch(self, docs: Iterable[Mapping], top_k: int = 10) -> list[list[Keyword]]:
        """Keyphrases for each ``{"text", "lang"?, "title"?}`` mapping, in order."""
        return list(self.extract_stream(docs, top_k=top_k))

    def extract_stream(self, docs: Iterable[Mapping], top_k: int = 10) -> Iterator[list[Keyword]]:
        """Lazily extract from an unbounded stream; memory stays bounded by one document."""
        for doc in docs:
            yield self.extract(doc["text"], doc.get("lang"), top_k=top_k, title=doc.get("title"))

    def language_of(self, text: str, lang: str | None = None) -> str:
        return normalize_lang(lang) or detect_language(text[: self.max_chars])

    # -- internals ----------------------------------------------------------------

    def _candidates(self, text: str, kit: LanguageKit, title: str | None) -> dict:
        candidates: dict[tuple[str, ...], _Candidate] = {}
        position = 0
        sources = ([title] * 2 if title else []) + [text]  # a title counts like a repetition
        for source in sources:
            run: list[tuple[str, str]] = []  # (surface, stem) of consecutive content words
            for token in _TOKEN.findall(source):
                if _BREAK.fullmatch(token) or self._is_stop(token, kit):
                    self._add_run(run, candidates, position)
                    run = []
                else:
                    run.append((token, kit.stem(token.lower())))
                position += 1
            self._add_run(run, candidates, position)
        return candidates

    @staticmethod
    def _is_stop(token: str, kit: LanguageKit) -> bool:
        lower = token.lower()
        return (
            lower in kit.stopwords
            or len(lower) < 2
            or lower.replace("-", "").isdigit()
            or not any(ch.isalpha() for ch in lower)
        )

    def _add_run(self, run: list[tuple[str, str]], candidates: dict, position: int) -> None:
        for n in range(1, self.max_ngram + 1):
            for start in range(len(run) - n + 1):
                words = run[start : start + n]
                stems = tuple(stem for _, stem in words)
                cand = candidates.get(stems)
                if cand is None:
                    cand = candidates[stems] = _Candidate(stems, first_position=position)
                cand.count += 1
                surface = " ".join(w for w, _ in words)
                # Keep capitalization only for acronyms and proper names used as such.
                cand.surfaces[surface if surface.isupper() else surface.lower()] += 1

    def _score(self, cand: _Candidate, kit: LanguageKit) -> float:
        n = len(cand.stems)
        frequency = math.log1p(cand.count)
        # Phrases seen once are only worth it when they are long and specific.
        length_weight = 1.0 + 0.6 * (n - 1) if cand.count > 1 else 0.5 + 0.2 * (n - 1)
        position_weight = 1.0 + 1.0 / math.log(math.e + cand.first_position / 50)
        score = frequency * length_weight * position_weight
        if self.n_docs:
            df = self.doc_freq.get(" ".join(cand.stems), 0)
            score *= math.log((1 + self.n_docs) / (1 + df)) + 1.0
        return score

    def _fold(self, scored: list[tuple[float, _Candidate]], top_k: int) -> list[Keyword]:
        """Drop candidates whose stems are covered by, or cover, a better phrase."""
        chosen: list[tuple[float, _Candidate]] = []
        for score, cand in scored:
            stems = set(cand.stems)
            if any(stems <= set(c.stems) or set(c.stems) <= stems for _, c in chosen):
                continue
            chosen.append((score, cand))
            if len(chosen) >= top_k:
                break
        if not chosen:
            return []
        best = chosen[0][0]
        return [Keyword(c.text, round(s / best, 4)) for s, c in chosen]
