"""Keyphrase extraction: the SIE-X engine.

Candidates are spans of content words (see ``candidates``). Each is scored on how
often its stemmed form recurs, how early it first appears, how much of the text lies
between its first and last use, how unusual its words are in the language at large
(wordfreq) and, when a corpus is known, how rare it is across that corpus. In semantic
mode the best candidates are then re-ranked by their similarity to the document
(``semantic``), computed in batches across documents. Phrases inside a better phrase
are folded away, so the list reads like one an SEO person would write by hand; a text
too short for ``top_k`` distinct phrases gets the folded ones after them.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

from siex.engine.candidates import BREAK, Candidate, find_candidates, tokenize
from siex.engine.languages import LanguageKit, detect_language, language_kit, normalize_lang
from siex.engine.semantic import DEFAULT_MODEL_LANGUAGES, DEFAULT_RERANK_LAYERS, SemanticRanker
from siex.engine.wordclass import (
    can_be_verb,
    ends_with_verb,
    is_common_word,
    is_inflected_verb,
    keeps_phrase,
    opens_with_verb,
)

# Bumped when ranking changes, so stored keywords of unchanged texts are re-extracted.
ENGINE_VERSION = "0.6.18"
MODES = ("semantic", "statistical")
# Languages that capitalize every noun, so a capital does not mark a name there.
NOUN_CAPITALS = frozenset({"de", "lb"})
# A phrase first met in the opening words (title, lead, abstract) scores up to this much
# more than one met only late: 1 + OPENING_WEIGHT at the first word, ~1.4 after 5,000.
OPENING_WEIGHT = 2.0
# A phrase that recurs from the start of a long text to its end is the text's topic, not
# one section's: its score grows by up to this share with the distance it spans, in texts
# of SPREAD_FULL_AT tokens or more (less in shorter ones, where any repeat spans the text).
SPREAD_WEIGHT = 1.0
SPREAD_FULL_AT = 2000
# Texts of this many words or more are re-ranked by the whole model as well (half its
# similarity, half the first layer's): there it adds 10-30 % to a text's time, not 3x.
DEEP_FROM_WORDS = 2000


@dataclass(frozen=True)
class Corpus:
    """How many documents of a corpus (a site's pages, a batch) hold each phrase.

    ``doc_freq`` maps a candidate key (stems joined by spaces, see ``phrase_key``) to
    the number of documents holding it, out of ``n_docs``. A phrase that a large share
    of the corpus holds (the brand, a newsletter box, the site's category words) says
    nothing about one document and is pushed down; rarer phrases are left alone, so a
    topic that a tenth of a site covers still leads on the pages about it.
    """

    doc_freq: Mapping[str, int]
    n_docs: int

    # Below this many documents a share says little; above this share a phrase is site-wide.
    MIN_DOCS: ClassVar[int] = 10
    COMMON_SHARE: ClassVar[float] = 0.2

    def weight(self, key: str) -> float:
        """Multiplier of a phrase's score: 1 up to the common share, then falling with
        the share to 0.05 for a phrase in every document."""
        if self.n_docs < self.MIN_DOCS:
            return 1.0
        share = min(1.0, self.doc_freq.get(key, 0) / self.n_docs)
        if share <= self.COMMON_SHARE:
            return 1.0
        return max(0.05, (1.0 - share) / (1.0 - self.COMMON_SHARE))


@dataclass(frozen=True)
class Keyword:
    text: str
    score: float
    # Repeats words of a better keyword; listed only because the text had fewer than
    # top_k distinct phrases (a title, a snippet): see ``KeywordExtractor.finish``.
    folded: bool = False

    def as_dict(self) -> dict:
        return {"text": self.text, "score": self.score}


@dataclass
class Scored:
    """A candidate with its score, before folding and normalisation."""

    candidate: Candidate
    score: float
    corpus_weight: float = 1.0  # kept for the semantic blend, which must not undo it


@dataclass
class _Failed:
    """A document of a stream the engine failed on: what ``on_error`` made of it."""

    result: Any


class KeywordExtractor:
    """Extract ranked keyphrases from text.

    Parameters
    ----------
    mode:
        ``"semantic"`` (default) re-ranks the best candidates of documents in the
        model's languages by similarity to the document; ``"statistical"`` uses no
        model at all and is several times faster, for bulk jobs.
    model_path, model_languages:
        The sentence-transformers model (a local folder; None for the packaged
        all-MiniLM-L6-v2) and the languages it understands (``("*",)``: all).
    model_layers:
        Transformer layers of the model used for re-ranking; None (or 0) for all. One
        layer of MiniLM ranks abstracts as well as six (better on Inspec) at a third
        of the time; six rank a long text's topics better (``deep_from_words``).
    deep_from_words:
        Texts of at least this many words take half their similarity from all the
        model's layers, half from ``model_layers``: one layer reads a text's words,
        six read its topics, and a long text's topics are what its keys name (reports,
        theses, papers); there the whole model adds 10–30 % to the time the text
        takes, where on a short text it would triple it. None (or 0): ``model_layers`` only.
    semantic_weight:
        Share of the semantic similarity in the final score (the rest is the
        statistical score scaled to the document's best).
    rerank_depth:
        How many of the statistically best candidates are re-ranked per document.
    max_words:
        Longest phrase, in words.
    max_chars:
        Texts are cut to this many characters; keyphrases live early in pages and
        the cut bounds time and memory for huge inputs.
    rarity_weight:
        Exponent on the rarity of the phrase's most unusual word; 0 ignores rarity.
    corpus:
        Optional statistics of the corpus the documents belong to (``Corpus``);
        phrases held by a large share of it are pushed down. A document may carry
        its own under the key ``"corpus"`` (each site its own); a lone text needs none.
    phrase_store, phrase_store_rows:
        A folder where phrase embeddings outlive the process (``PhraseStore``), and
        how many it keeps; None embeds every phrase once per process.
    """

    def __init__(
        self,
        mode: str = "semantic",
        model_path: str | Path | None = None,
        model_languages: Sequence[str] = DEFAULT_MODEL_LANGUAGES,
        model_layers: int | None = DEFAULT_RERANK_LAYERS,
        deep_from_words: int | None = DEEP_FROM_WORDS,
        semantic_weight: float = 0.8,
        rerank_depth: int = 30,
        max_words: int = 4,
        max_chars: int = 200_000,
        rarity_weight: float = 1.0,
        corpus: Corpus | None = None,
        phrase_store: str | Path | None = None,
        phrase_store_rows: int = 200_000,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode
        self.model_path = str(model_path) if model_path else None
        self.model_languages = tuple(model_languages)
        self.model_layers = model_layers or None  # configurations write 0 for "all"
        # with all layers in use already, a long text has nothing deeper to add
        self.deep_from_words = (deep_from_words or None) if self.model_layers else None
        self.semantic_weight = semantic_weight
        self.rerank_depth = rerank_depth
        self.max_words = max_words
        self.max_chars = max_chars
        self.rarity_weight = rarity_weight
        self.corpus = corpus
        self.phrase_store = str(phrase_store) if phrase_store else None
        self.phrase_store_rows = phrase_store_rows

    @property
    def version(self) -> str:
        """Identifies what produced a result: engine version, mode and model."""
        if self.mode == "statistical":
            return f"{ENGINE_VERSION}-statistical"
        model = Path(self.model_path).name if self.model_path else "minilm"
        deep = f"-deep{self.deep_from_words}" if self.deep_from_words else ""
        return f"{ENGINE_VERSION}-semantic-{model}-L{self.model_layers or 'all'}{deep}"

    # -- public API ---------------------------------------------------------------

    def extract(
        self, text: str, lang: str | None = None, top_k: int = 10, title: str | None = None
    ) -> list[Keyword]:
        """Best ``top_k`` keyphrases of ``text``, best first, scores in (0, 1]."""
        return self.extract_batch([{"text": text, "lang": lang, "title": title}], top_k)[0]

    def extract_batch(self, docs: Sequence[Mapping], top_k: int = 10) -> list[list[Keyword]]:
        """Keyphrases for each ``{"text", "lang"?, "title"?}`` mapping, in order.

        In semantic mode the model sees the whole batch at once, which is where its
        speed comes from: pass batches of tens of documents.
        """
        return self._rank([self._prepare(doc) for doc in docs], top_k)

    def extract_stream(
        self,
        docs: Iterable[Mapping],
        top_k: int = 10,
        batch_size: int = 32,
        on_error: Callable[[Mapping, Exception], Any] | None = None,
    ) -> Iterator[Any]:
        """Lazily extract from an unbounded stream, ``batch_size`` documents at a time.

        In semantic mode the model ranks one batch in a worker thread while the next
        batch's candidates are found (ONNX Runtime releases the GIL), so memory holds
        two batches at most. With ``on_error``, a document the engine fails on yields
        ``on_error(doc, exc)`` in its place and the stream goes on; without, it raises.
        """
        iterator = iter(docs)
        batches = iter(lambda: list(islice(iterator, batch_size)), [])
        if self.mode != "semantic":
            for batch in batches:
                yield from self._rank_each(
                    batch, self._prepare_each(batch, on_error), top_k, on_error
                )
            return
        with ThreadPoolExecutor(1, thread_name_prefix="siex-rank") as pool:
            pending = None
            for batch in batches:
                prepared = self._prepare_each(batch, on_error)
                if pending is not None:
                    yield from pending.result()
                pending = pool.submit(self._rank_each, batch, prepared, top_k, on_error)
            if pending is not None:
                yield from pending.result()

    def _prepare_each(self, batch: list[Mapping], on_error) -> list:
        prepared = []
        for doc in batch:
            try:
                prepared.append(self._prepare(doc))
            except Exception as exc:
                if on_error is None:
                    raise
                prepared.append(_Failed(on_error(doc, exc)))
        return prepared

    def _rank_each(self, batch: list[Mapping], prepared: list, top_k: int, on_error) -> list:
        ok = [i for i, p in enumerate(prepared) if not isinstance(p, _Failed)]
        out = [p.result if isinstance(p, _Failed) else None for p in prepared]
        try:
            for i, keywords in zip(ok, self._rank([prepared[i] for i in ok], top_k), strict=True):
                out[i] = keywords
        except Exception:
            if on_error is None:
                raise
            for i in ok:  # isolate the document that broke the batch
                try:
                    out[i] = self._rank([prepared[i]], top_k)[0]
                except Exception as exc:
                    out[i] = on_error(batch[i], exc)
        return out

    def ranker(self, all_layers: bool = False) -> SemanticRanker:
        """The process-wide semantic ranker of this extractor's model and layers (all of
        them with ``all_layers``, as long texts read it)."""
        return shared_ranker(
            self.model_path,
            self.model_languages,
            None if all_layers else self.model_layers,
            self.phrase_store,
            self.phrase_store_rows,
        )

    def language_of(self, text: str, lang: str | None = None) -> str:
        return normalize_lang(lang) or detect_language(text[: self.max_chars])

    # -- ranking ------------------------------------------------------------------

    def corpus_of(self, docs: Iterable[Mapping]) -> Corpus:
        """The corpus statistics of ``docs`` themselves (a batch as its own corpus)."""
        doc_freq: Counter[str] = Counter()
        n_docs = 0
        for doc in docs:
            n_docs += 1
            doc_freq.update(c.key for c in self._candidates(doc)[3].values())
        return Corpus(doc_freq, n_docs)

    def phrase_key(self, phrase: str, lang: str) -> str:
        """The key a phrase's candidate has (stems joined by spaces), for ``Corpus``."""
        kit = language_kit(lang)
        return " ".join(t.stem for t in tokenize(phrase, kit) if t.kind != BREAK)

    def _candidates(self, doc: Mapping) -> tuple[str, str, LanguageKit, dict, int]:
        """The text as read (title first), its language, kit, candidates and length in tokens."""
        text, title = doc["text"], doc.get("title")
        if not isinstance(text, str):
            raise TypeError("text must be a string")
        text = text[: self.max_chars]
        if "&" in text:  # feeds and CMS exports carry &amp;, &rsquo; into text
            text = html.unescape(text)
        lang = self.language_of(text, doc.get("lang"))
        kit = language_kit(lang)
        if title:
            text = f"{title}.\n{text}"
        tokens = tokenize(text, kit)
        candidates = find_candidates(
            tokens, self.max_words, nouns_capitalized=kit.code in NOUN_CAPITALS
        )
        return text, lang, kit, candidates, len(tokens)

    def _prepare(self, doc: Mapping) -> tuple[str, str, list[Scored]]:
        text, lang, kit, candidates, length = self._candidates(doc)
        corpus = doc.get("corpus") or self.corpus
        name_words = _name_words(candidates.values())
        # German writes every noun with a capital, so a phrase ending in a word it never
        # capitalizes ends in a verb, adjective or adverb (unless nothing is capitalized)
        capitals_mark_nouns = kit.code in NOUN_CAPITALS and any(
            c.capitalized for c in candidates.values()
        )
        scored = []
        for c in candidates.values():
            if not _is_keyphrase_like(c, kit) or _headline_around_name(c, name_words):
                continue
            if capitals_mark_nouns and _ends_lower_case(c):
                continue
            weight = corpus.weight(c.key) if corpus is not None else 1.0
            scored.append(Scored(c, self._score(c, kit, length) * weight, weight))
        scored.sort(key=lambda s: (-s.score, s.candidate.first_position))
        return text, lang, scored

    def _rank(
        self, prepared: list[tuple[str, str, list[Scored]]], top_k: int
    ) -> list[list[Keyword]]:
        if self.mode == "semantic":
            prepared = self._rerank(prepared)
        return [self.finish(scored, top_k, lang) for _text, lang, scored in prepared]

    def _rerank(self, prepared: list[tuple[str, str, list[Scored]]]) -> list:
        """Blend each document's best candidates with their similarity to the document."""
        ranker = self.ranker()
        prepared = list(prepared)
        chosen = [
            i for i, (_t, lang, scored) in enumerate(prepared) if scored and ranker.supports(lang)
        ]
        if not chosen:
            return prepared
        heads = [prepared[i][2][: self.rerank_depth] for i in chosen]
        texts = [prepared[i][0] for i in chosen]
        phrases = [[s.candidate.text for s in head] for head in heads]
        sims = ranker.similarities(texts, phrases)
        long = [j for j, text in enumerate(texts) if self.reads_deep(text)]
        if long:
            deep = self.ranker(all_layers=True).similarities(
                [texts[j] for j in long], [phrases[j] for j in long]
            )
            for j, x in zip(long, deep, strict=True):
                sims[j] = (sims[j] + x) / 2
        w = self.semantic_weight
        for i, head, sim in zip(chosen, heads, sims, strict=True):
            best = head[0].score or 1.0
            blended = [
                Scored(
                    s.candidate,
                    ((1 - w) * s.score / best + w * float(x)) * s.corpus_weight,
                    s.corpus_weight,
                )
                for s, x in zip(head, sim, strict=True)
            ]
            blended.sort(key=lambda s: (-s.score, s.candidate.first_position))
            floor = min(s.score for s in blended)
            tail = [
                Scored(s.candidate, floor * s.score / best)
                for s in prepared[i][2][self.rerank_depth :]
            ]
            prepared[i] = (prepared[i][0], prepared[i][1], blended + tail)
        return prepared

    def reads_deep(self, text: str) -> bool:
        """Whether ``text`` takes half its similarity from all the model's layers."""
        return bool(self.deep_from_words) and len(text.split()) >= self.deep_from_words

    def _score(self, cand: Candidate, kit: LanguageKit, text_tokens: int) -> float:
        n = cand.content
        frequency = cand.count
        # Phrases seen once are only worth it when they are long and specific.
        length = 1.0 + 0.6 * (n - 1) if cand.count > 1 else 0.5 + 0.2 * (n - 1)
        position = 1.0 + OPENING_WEIGHT / math.log(math.e + cand.first_position / 50)
        spread = (cand.last_position - cand.first_position) / max(text_tokens, SPREAD_FULL_AT)
        score = frequency * length * position * (1.0 + SPREAD_WEIGHT * spread)
        if self.rarity_weight:
            rarest = max(map(kit.rarity, cand.words))
            score *= rarest**self.rarity_weight
        return score

    @staticmethod
    def finish(scored: list[Scored], top_k: int, lang: str | None = None) -> list[Keyword]:
        """Fold phrases that overlap a better one, keep ``top_k``, scale scores to (0, 1].

        A phrase inside a chosen one stays when the text also uses it on its own
        ("irrigation" beside "drip irrigation", when irrigation is discussed apart).
        A text with fewer than ``top_k`` distinct phrases (a title, a snippet) gets the
        folded ones after them, best first, so a caller asking for k still gets k
        phrases the text holds (``_refill``); pieces of a chosen name are not among them.
        ``lang`` (the text's) lets a name cut at its start give its slot to the whole
        name (``_whole_name``, English); None skips that.
        """
        chosen: list[Scored] = []
        folded: list[Scored] = []
        for item in scored:
            if any(_folds(c.candidate, item.candidate) for c in chosen):
                folded.append(item)
                continue
            short = _shorter_name(chosen, item.candidate)
            if short is not None:  # "Lopilato" ranked first: the full name takes its slot
                chosen[short] = Scored(item.candidate, chosen[short].score, item.corpus_weight)
                continue
            whole = _whole_name(item.candidate, scored, lang)
            if whole is not None and not any(_folds(c.candidate, whole) for c in chosen):
                item = Scored(whole, item.score, item.corpus_weight)
            chosen.append(item)
            if len(chosen) >= top_k:
                break
        if not chosen:
            return []
        distinct = len(chosen)
        chosen += _refill(chosen, folded, top_k - distinct)
        best = chosen[0].score or 1.0
        return [
            Keyword(c.candidate.text, round(max(c.score, 0.0) / best, 4), i >= distinct)
            for i, c in enumerate(chosen)
        ]


def _refill(chosen: list[Scored], folded: list[Scored], slots: int) -> list[Scored]:
    """Up to ``slots`` of the phrases folded away ("indexing" under "latent semantic
    indexing"), best first, scored no higher than the list's last phrase so scores still
    fall along the list. A name's pieces ("Kutcher" after "Ashton Kutcher") stay out."""
    if slots <= 0:
        return []
    taken = {c.candidate.stems for c in chosen}
    last = chosen[-1].score
    extra: list[Scored] = []
    for item in folded:
        new = item.candidate
        if len(extra) >= slots:
            break
        if new.stems in taken or any(_same_person(c.candidate, new) for c in chosen):
            continue
        extra.append(Scored(new, min(item.score, last), item.corpus_weight))
    return extra


def _is_keyphrase_like(cand: Candidate, kit: LanguageKit) -> bool:
    """Whether a candidate may be a keyphrase at all, before any scoring."""
    # "new method", "good way" in passing; "small business" said twice is a term
    if cand.opens_with_modifier and cand.count < 2:
        return False
    words = tuple(cand.text.lower().split())
    if _only_dates(cand, words, kit):  # "Monday", "11 April 2011"; not "Black Friday"
        return False
    if cand.is_name:  # kept whatever its words' classes: "Google" is no verb here
        return True
    if _counted(cand, words):  # "battery life reaches 18", "received 29 votes" cut short
        return False
    lang = kit.code
    if _head_out_of_place(words, kit.heads_only):
        return False
    if not keeps_phrase(words, lang) or _verb_at_edge(cand, words, lang):
        return False
    if cand.count >= 2:  # "computing resources", "operations research" said twice: terms
        return True
    # "providing robustness" but "the operating system"; "data sets show" in passing
    if cand.determined == 0 and opens_with_verb(words, lang):
        return False
    return not ends_with_verb(words, lang)


def _counted(cand: Candidate, words: tuple[str, ...]) -> bool:
    """A number after a small-letter word, wherever the text writes it: a count or a
    measure ("battery life reaches 18", "samples of size 20"), not a name's number, which
    follows a capital ("Falcon 9", "Windows 11", "iPhone 15")."""
    if len(words) < 2 or not words[-1].isdigit():
        return False
    before_number = [surface.split()[-2] for surface in cand.surfaces]
    return all(word[:1].islower() and word == word.lower() for word in before_number)


def _ends_lower_case(cand: Candidate) -> bool:
    """Every time the text writes it, its last word starts with a small letter:
    "Balkonkraftwerk kauft", "Module sicher befestigen", "sicher"."""
    return all(surface.rsplit(None, 1)[-1][:1].islower() for surface in cand.surfaces)


def _only_dates(cand: Candidate, words: tuple[str, ...], kit: LanguageKit) -> bool:
    """A date or a day, nothing else: names of days and months, and numbers. A name that
    is also a word of the language is a date only when mostly written with a capital
    ("in March", not "the protest march")."""
    if not any(w in kit.calendar for w in words):
        return False
    if not all(w in kit.calendar or w.strip(".,").isdigit() for w in words):
        return False
    if any(w in kit.calendar and is_common_word(w, kit.code) for w in words):
        capitals = sum(n for surface, n in cand.surfaces.items() if surface[:1].isupper())
        return capitals * 2 > cand.count
    return True


def _head_out_of_place(words: tuple[str, ...], heads_only: frozenset[str]) -> bool:
    """A word that only ends a phrase ("results", "pages") alone or before another word:
    "results" and "results summary" are no keywords, "search results" is one."""
    alone = len(words) == 1 and words[0] in heads_only
    return alone or any(w in heads_only for w in words[:-1])


def _verb_at_edge(cand: Candidate, words: tuple[str, ...], lang: str) -> bool:
    """Mostly written as a clause's piece: it ends in an inflected verb form right before
    an article or a possessive ("services remains a challenge", "Apple updates its
    policy"; "case study" ends in a base form), or opens, two words or more, with a
    possible verb right after a subject pronoun ("which models user behaviour")."""
    if cand.before_object * 2 >= cand.count and is_inflected_verb(words[-1], lang):
        return True
    return len(words) >= 2 and cand.after_subject * 2 >= cand.count and can_be_verb(words[0], lang)


def _name_words(candidates: Iterable[Candidate]) -> frozenset[str]:
    """Stems of the words of the names of two words or more that the text writes as
    names outside its headlines ("Emily Deschanel")."""
    return frozenset(
        stem for c in candidates if len(c.stems) >= 2 and _reads_as_name(c) for stem in c.stems
    )


def _headline_around_name(cand: Candidate, name_words: frozenset[str]) -> bool:
    """A headline's words around a name, said nowhere else ("Actor Daniel Craig Signs
    On"): a Title Case line hides where the name ends, so its other words run into it.
    The name itself and the body's phrases stay candidates."""
    return (
        cand.count == cand.headline == 1
        and len(cand.stems) >= 2
        and not cand.is_name
        and any(stem in name_words for stem in cand.stems)
    )


@lru_cache(maxsize=8)
def shared_ranker(
    model_path: str | None,
    languages: tuple[str, ...],
    layers: int | None = DEFAULT_RERANK_LAYERS,
    store_dir: str | None = None,
    store_rows: int = 200_000,
) -> SemanticRanker:
    """One ranker, hence one loaded model, per model, layer count, phrase store and process."""
    return SemanticRanker(
        model_path, languages, layers=layers, store_dir=store_dir, store_rows=store_rows
    )


def extractor_from_settings(settings, mode: str | None = None) -> KeywordExtractor:
    """The extractor configured by ``siex.config.Settings`` (mode defaults to theirs)."""
    return KeywordExtractor(
        mode=mode or settings.engine_mode,
        model_path=settings.model_path,
        model_languages=settings.model_languages,
        model_layers=settings.model_layers,
        deep_from_words=settings.deep_from_words,
        phrase_store=settings.phrase_store_dir,
        phrase_store_rows=settings.phrase_store_rows,
    )


def _folds(chosen: Candidate, new: Candidate) -> bool:
    """``new`` adds nothing beside ``chosen``: it overlaps it and, if it sits inside it,
    the text never uses it on its own (as a whole run of content words: "irrigation" in
    "the cost of irrigation", not in "drip irrigation" or "irrigation systems")."""
    if chosen.stems == new.stems:  # a whole name already took the slot of a cut one
        return True
    if _same_person(chosen, new):
        return True
    if not _overlaps(chosen.stems, new.stems):
        return False
    inside = _contains(chosen.stems, new.stems)
    return not inside or new.alone == 0


def _same_person(chosen: Candidate, new: Candidate) -> bool:
    """Two names for one person: "Ashton Kutcher" then "Kutcher"; "Actress Ashton
    Kutcher" and "Actress Ashton" pad it."""
    return chosen.is_name and new.is_name and _same_name(chosen.stems, new.stems)


def _same_name(chosen: tuple[str, ...], new: tuple[str, ...]) -> bool:
    """``new`` names the person ``chosen`` names: its surname ("Kutcher" after "Ashton
    Kutcher"), or the name with words in front ("Actress Ashton Kutcher", "Actress
    Ashton"). "Google" beside "Google Maps" and "Google Maps API" are other keywords."""
    if _ends_with(chosen, new):
        return True
    if len(chosen) < 2:
        return False
    return _ends_with(new, chosen) or any(
        new[-k:] == chosen[:k] for k in range(1, min(len(chosen), len(new)))
    )


def _ends_with(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    return len(longer) > len(shorter) and longer[-len(shorter) :] == shorter


def _shorter_name(chosen: list[Scored], new: Candidate) -> int | None:
    """Index of a chosen one-word name that ``new`` spells out in full: "Lopilato" for
    "Luisana Lopilato"; not "PC" for "Small PCs": a sentence's first word is no first
    name. A name's first word ("Google" for "Google Maps") is a keyword of its own."""
    if not _reads_as_name(new):
        return None
    for i, c in enumerate(chosen):
        name = c.candidate
        if name.is_name and len(name.stems) == 1 and _ends_with(new.stems, name.stems):
            return i
    return None


def _whole_name(cut: Candidate, scored: list[Scored], lang: str | None) -> Candidate | None:
    """The best-ranked name that is ``cut`` and one common word more, when the text never
    writes ``cut`` on its own: "New Zealand Tourism Strategy" for "Zealand Tourism
    Strategy", which the re-ranking may put first, or "Consumer Price Index". Not
    "Clements Esperanza Spalding": the extra word must be one the lexicon knows, not
    another name beside it in a caption. Names of one word are ``_shorter_name``'s."""
    if not lang or not cut.is_name or len(cut.stems) < 2 or cut.alone:
        return None
    for s in scored:
        name = s.candidate
        if _reads_as_name(name) and _cut_from(cut, name):
            extra = name.words[0] if name.stems[1:] == cut.stems else name.words[-1]
            if is_common_word(extra.lower(), lang):
                return name
    return None


def _reads_as_name(c: Candidate) -> bool:
    """Written as a name, and not only because a sentence starts with its common first
    word ("Small PCs" opening a sentence is no name)."""
    return c.is_name and c.common_start != c.count


def _cut_from(cut: Candidate, name: Candidate) -> bool:
    """``name`` is ``cut`` and one word more, in front or behind."""
    return len(name.stems) == len(cut.stems) + 1 and _contains(name.stems, cut.stems)


def _overlaps(chosen: tuple[str, ...], new: tuple[str, ...]) -> bool:
    """``new`` sits inside a chosen phrase, pads one with two or more extra words, or is
    a long phrase that runs into one ("tomato plants grow" after "plants grow tall")."""
    if _contains(chosen, new) or (len(new) - len(chosen) >= 2 and _contains(new, chosen)):
        return True
    if len(new) < 3:
        return False
    return any(
        chosen[-k:] == new[:k] or new[-k:] == chosen[:k]
        for k in range(1, min(len(chosen), len(new)))
    )


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return len(longer) > n and any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))
