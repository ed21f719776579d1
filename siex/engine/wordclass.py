"""Word classes from a packaged lexicon, to keep candidates noun-phrase-like.

Keyphrases are noun phrases; span candidates without part-of-speech tags let verbs
and stray adjectives through ("discovered", "optimizes", "entire"). For English the
LemmInflect lexicon (MIT, packaged, no download) says which classes a word form can
have. A candidate is dropped when one of its words can only be a verb, except
participles: -ing anywhere ("data mining", "resource provisioning") and -ed before
the head ("raised bed", "distributed systems"); or when it ends in a word that can
only be an adjective, adverb or verb ("feedback based", "entire"). A phrase opened by
a verb's -ing form is a term only in context ("the operating system", "computing
resources" said twice), else a verb and its object ("providing robustness"); one
ending in a plural and a verb ("data sets show") is a clause unless said again. Where
the text writes a word tells a verb too: one that can be a verb right after a subject
pronoun ("which models user behaviour"), or an inflected verb form right before an
article ("services remains a challenge"; not a base form: "case study"), is a verb,
and a phrase with it at that edge is dropped.
Words the lexicon does not know (names, jargon) are kept.

The English lexicon also corrects the stop list: stopwords-iso's English list (1,298 words)
holds topics such as "information", "web", "page", "site" and "research", which would
split "web page" or "information architecture" apart; it says which stop-list
words may open a phrase as modifiers ("small business", "home insurance") and which
may open a name written in capitals ("New Zealand", "Great Barrier Reef").

Nine of the plan's other languages (da, es, fi, fr, it, nl, no, pt, sv) take their word
classes from Universal Dependencies treebanks (``data/word_classes.tsv.gz``, built by
``tools/build_word_classes.py``): the forms tagged there only as verbs, adjectives or
adverbs. A phrase holding a verb-only form ("ger", "disse", "obtener") is a clause's
piece, and one ending in an adjective or adverb is no noun phrase, except that in the
Romance languages an adjective follows its noun ("datos estructurados"), so there only
an adjective alone is dropped. German needs no lexicon (its nouns are capitalized: see
the extractor); any other language keeps every span.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from importlib.resources import files

from siex.engine.lexicon_cache import english_lemmas

LEXICON_LANGUAGES = frozenset({"en"})
# Languages with a treebank table of verb-, adjective- and adverb-only forms.
TREEBANK_LANGUAGES = frozenset({"da", "es", "fi", "fr", "it", "nl", "no", "pt", "sv"})
# Where an adjective follows its noun ("datos estructurados", "vins rouges").
ADJECTIVES_FOLLOW = frozenset({"es", "fr", "it", "pt"})
# English closed classes: pronouns, determiners, wh-words, conjunctions. The lexicon
# files many of them as nouns ("something", "which", "or"); they are never topics.
CLOSED_CLASS_WORDS = frozenset(
    """
    i me my mine myself we us our ours ourselves you your yours yourself yourselves he him
    his himself she her hers herself it its itself they them their theirs themselves one
    ones oneself selves thou thee thy ye
    what which who whom whose whatever whichever whoever whomever whether when where
    wheres why how wherever whenever
    a an the this that these those all another any both each either every few many much
    more most neither no none other others several some such
    anybody anyone anything everybody everyone everything nobody nothing somebody someone
    something
    and or nor but yet so if because although though while whereas unless until till since
    via per versus
    """.split()  # noqa: SIM905 - a word list reads best as text
)

ARTICLES = frozenset({"a", "an", "the"})
POSSESSIVES = frozenset("my your his her its our their".split())  # noqa: SIM905

# English articles, demonstratives and possessives: the phrase after one is a noun phrase.
DETERMINERS = (
    ARTICLES | POSSESSIVES | frozenset("this that these those each every such".split())  # noqa: SIM905
)

# English: a noun phrase is seldom right before an article or a possessive (where a
# verb's object opens) or right after a subject pronoun; a verb often is ("services
# remains a challenge", "Apple updates its policy", "which models user behaviour").
OBJECT_OPENERS = ARTICLES | POSSESSIVES
SUBJECT_PRONOUNS = frozenset("i we you he she it they which who".split())  # noqa: SIM905


def keeps_phrase(words: tuple[str, ...], lang: str) -> bool:
    """False for a lower-cased phrase that cannot be a noun phrase in ``lang``."""
    if lang in TREEBANK_LANGUAGES:
        return _keeps_treebank_phrase(words, lang)
    if lang not in LEXICON_LANGUAGES:
        return True
    last = len(words) - 1
    for i, word in enumerate(words):
        classes = _english_classes(word)
        if not classes:
            continue
        if classes == {"VERB"} and not (_is_ing_form(word) or _modifies_next(words, i)):
            return False
        if i == last and classes <= {"ADJ", "ADV", "VERB"} and not _is_ing_form(word):
            return False
    return True


def _modifies_next(words: tuple[str, ...], i: int) -> bool:
    """An -ed or -en participle before a word, as in "raised bed", "distributed
    systems"; before a number it is a verb and its count ("voted 7-2", "killed 12")."""
    following = words[i + 1] if i + 1 < len(words) else ""
    return words[i].endswith(("ed", "en")) and any(ch.isalpha() for ch in following)


def _keeps_treebank_phrase(words: tuple[str, ...], lang: str) -> bool:
    """No verb-only form anywhere ("bergvärmepump ger", "ministro disse"), and no
    adjective or adverb at the end, but for an adjective after a Romance noun."""
    classes = treebank_classes(lang)
    if any(classes.get(word) == "V" for word in words):
        return False
    last = classes.get(words[-1])
    if last is None:
        return True
    return lang in ADJECTIVES_FOLLOW and len(words) > 1 and "A" in last


def treebank_classes(lang: str) -> dict[str, str]:
    """The forms of ``lang`` its treebanks tag only as verbs (V), adjectives or
    participles (A) or adverbs (R), each with its classes ("AR"); {} for others."""
    return _treebank_tables().get(lang, {})


@lru_cache(maxsize=1)
def _treebank_tables() -> dict[str, dict[str, str]]:
    """The packaged table, read once per process for every language."""
    tables: dict[str, dict[str, str]] = {}
    data = files("siex.engine").joinpath("data", "word_classes.tsv.gz").read_bytes()
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        lang, form, classes = line.split("\t")
        tables.setdefault(lang, {})[form] = classes
    return tables


def _is_ing_form(word: str) -> bool:
    """ "mining", "providing": a verb's -ing form, not a verb ending so ("bring", "sting")."""
    return word.endswith("ing") and word not in _english_lemmas(word).get("VERB", ())


def opens_with_verb(words: tuple[str, ...], lang: str) -> bool:
    """A lower-cased phrase of two words or more whose first word the lexicon knows only
    as a verb's -ing form: a verb and its object ("providing robustness", "solving
    problems") or a term ("operating systems", "computing resources"). The caller tells
    them apart by context: a term is said again or follows an article."""
    if lang not in LEXICON_LANGUAGES or len(words) < 2:
        return False
    return _is_ing_form(words[0]) and _english_classes(words[0]) == {"VERB"}


def ends_with_verb(words: tuple[str, ...], lang: str) -> bool:
    """A lower-cased phrase ending in a verb's base form right after a noun's plural: a
    subject and its verb ("data sets show", "users search", "experiments show"), though
    both words may be nouns too, as in the few terms built so ("operations research")."""
    if lang not in LEXICON_LANGUAGES or len(words) < 2:
        return False
    subject, verb = words[-2], words[-1]
    nouns = _english_lemmas(subject).get("NOUN", ())
    if not subject.endswith("s") or not nouns or subject in nouns:
        return False
    return verb in _english_lemmas(verb).get("VERB", ()) and not verb.endswith("s")


def can_be_verb(word: str, lang: str) -> bool:
    """A lower-cased word the lexicon knows as a verb form, whatever else it may be."""
    return lang in LEXICON_LANGUAGES and "VERB" in _english_classes(word)


def is_inflected_verb(word: str, lang: str) -> bool:
    """A verb's inflected form ("remains", "covers", "involving"), not its base form,
    which is also the singular of many nouns that end a phrase before an article ("in
    this case study the ...", "at this point the ...")."""
    if lang not in LEXICON_LANGUAGES:
        return False
    verbs = _english_lemmas(word).get("VERB", ())
    return bool(verbs) and word not in verbs


def is_topic_noun(word: str, lang: str) -> bool:
    """A stop-list word that is a topic in its own right: the lexicon knows it only as a
    noun, or as a noun and the base form of a verb ("information", "web", "page",
    "research"). Inflected verb forms ("needs", "uses") stay stop words: as keywords'
    parts they are mostly verbs ("each plant needs water" gives no "needs water")."""
    if lang not in LEXICON_LANGUAGES or word in CLOSED_CLASS_WORDS:
        return False
    lemmas = _english_lemmas(word)
    if "NOUN" not in lemmas or not lemmas.keys() <= {"NOUN", "VERB"}:
        return False
    return "VERB" not in lemmas or word in lemmas["VERB"]


def can_modify(word: str, lang: str) -> bool:
    """A stop-list word that can open a phrase before a noun: the lexicon knows it as an
    adjective and as a noun ("small business", "free shipping", "home insurance", "side
    effects"). Words that are only adjectives or adverbs ("new", "very", "about", "then")
    modify in passing ("new method") or are no modifiers at all."""
    if lang not in LEXICON_LANGUAGES or word in CLOSED_CLASS_WORDS or not word.isalpha():
        return False
    lemmas = _english_lemmas(word)
    if not lemmas.keys() >= {"ADJ", "NOUN"} or "AUX" in lemmas:
        return False
    return "VERB" not in lemmas or word in lemmas["VERB"]


def can_open_name(word: str, lang: str) -> bool:
    """A lower-cased stop-list word that, capitalized before a capitalized word, opens a
    name ("New Zealand", "Great Barrier Reef"); articles and prepositions never do."""
    if lang not in LEXICON_LANGUAGES or word in CLOSED_CLASS_WORDS:
        return False
    return bool(_english_classes(word) & {"ADJ", "NOUN"})


def is_common_word(word: str, lang: str) -> bool:
    """A lower-cased word the lexicon knows as a word of the language (names it does not:
    "luisana", "microsoft"), so its capital at a sentence's start says nothing."""
    return lang in LEXICON_LANGUAGES and bool(_english_classes(word))


def is_plural(word: str, lang: str) -> bool:
    """A lower-cased noun the lexicon knows as another noun's plural ("children", "women")."""
    if lang not in LEXICON_LANGUAGES:
        return False
    return any(lemma != word for lemma in _english_lemmas(word).get("NOUN", ()))


@lru_cache(maxsize=200_000)
def _english_classes(word: str) -> frozenset[str]:
    classes = frozenset(_english_lemmas(word))
    if not classes and _is_derived_adverb(word):
        return frozenset({"ADV"})
    return classes


def _is_derived_adverb(word: str) -> bool:
    """An -ly word the lexicon lacks, made from an adjective it knows: "affordably"
    (affordable), "sustainably" (sustainable), "speedily" (speedy)."""
    if not word.endswith("ly") or len(word) < 5:
        return False
    bases = (word[:-2], word[:-1] + "e", word[:-3] + "y")
    return any("ADJ" in _english_lemmas(base) for base in bases)


_NO_LEMMAS: dict[str, tuple[str, ...]] = {}  # shared and read-only, as the table's entries


def _english_lemmas(word: str) -> dict[str, tuple[str, ...]]:
    """LemmInflect's lemmas of ``word`` by class ({} for a word it does not know)."""
    lemmas = english_lemmas().get(word)
    if lemmas is not None or word == word.lower():
        return lemmas or _NO_LEMMAS
    from lemminflect import getAllLemmas  # capitals: the library's own caps handling

    return dict(getAllLemmas(word))
