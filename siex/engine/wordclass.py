"""Word classes from a packaged lexicon, to keep candidates noun-phrase-like.

Keyphrases are noun phrases; span candidates without part-of-speech tags let verbs
and stray adjectives through ("discovered", "optimizes", "entire"). For English the
LemmInflect lexicon (MIT, packaged, no download) says which classes a word form can
have. A candidate is dropped when one of its words can only be a verb, except
participles: -ing anywhere ("data mining", "resource provisioning") and -ed before
the head ("raised bed", "distributed systems"); or when it ends in a word that can
only be an adjective or adverb.
Words the lexicon does not know (names, jargon) are kept. Other languages have no
packaged lexicon here and keep every span.
"""

from __future__ import annotations

from functools import lru_cache

LEXICON_LANGUAGES = frozenset({"en"})


def keeps_phrase(words: tuple[str, ...], lang: str) -> bool:
    """False for a lower-cased phrase that cannot be a noun phrase in ``lang``."""
    if lang not in LEXICON_LANGUAGES:
        return True
    last = len(words) - 1
    for i, word in enumerate(words):
        classes = _english_classes(word)
        if not classes:
            continue
        if classes == {"VERB"} and not (
            word.endswith("ing") or (i < last and word.endswith(("ed", "en")))
        ):
            return False
        if i == last and classes <= {"ADJ", "ADV"}:
            return False
    return True


@lru_cache(maxsize=200_000)
def _english_classes(word: str) -> frozenset[str]:
    from lemminflect import getAllLemmas

    return frozenset(getAllLemmas(word))
