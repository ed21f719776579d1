"""Per-language resources: stop words (stopwords-iso), Snowball stemmers, word
frequencies (wordfreq), elisions, and language detection (py3langid)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer
import stopwordsiso

from siex.engine.lexicon_cache import (
    calendar_names,
    frequency_languages,
    language_identifier,
    unit_names,
    word_frequencies,
)
from siex.engine.wordclass import ARTICLES, POSSESSIVES, is_topic_noun

# The plan's eleven languages, mapped to their Snowball stemmer names.
SNOWBALL_NAMES = {
    "en": "english",
    "sv": "swedish",
    "da": "danish",
    "no": "norwegian",
    "fi": "finnish",
    "de": "german",
    "nl": "dutch",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
}
SUPPORTED_LANGUAGES = tuple(SNOWBALL_NAMES)
# Beyond the plan's eleven, every other language Snowball stems (stop words, where
# stopwords-iso has them, and wordfreq rarity come along when available).
SNOWBALL_NAMES |= {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "eo": "esperanto", "et": "estonian", "el": "greek", "hi": "hindi", "hu": "hungarian",
    "id": "indonesian", "ga": "irish", "lt": "lithuanian", "ne": "nepali", "fa": "persian",
    "pl": "polish", "ro": "romanian", "ru": "russian", "sr": "serbian", "ta": "tamil",
    "tr": "turkish", "yi": "yiddish",
}  # fmt: skip

# Language identifiers report Norwegian as Bokmål or Nynorsk.
_LANG_ALIASES = {"nb": "no", "nn": "no"}
_WORDFREQ_CODES = {"no": "nb"}

# Words that point at the day a text was written: never a keyword ("born yesterday",
# "tonight"), and missing from some of stopwords-iso's lists.
DAY_WORDS = {
    "en": frozenset({"yesterday", "today", "tomorrow", "tonight"}),
    "sv": frozenset({"igår", "idag", "imorgon", "ikväll", "inatt"}),
    "da": frozenset({"igår", "idag", "imorgen", "iaften"}),
    "no": frozenset({"igår", "idag", "imorgen", "ikveld"}),
    "fi": frozenset({"eilen", "tänään", "huomenna"}),
    "de": frozenset({"gestern", "heute", "morgen", "vorgestern", "übermorgen"}),
    "nl": frozenset({"gisteren", "vandaag", "morgen", "vanavond", "eergisteren"}),
    "fr": frozenset({"hier", "aujourd'hui", "demain", "avant-hier", "après-demain"}),
    "es": frozenset({"ayer", "hoy", "mañana", "anoche", "anteayer"}),
    "it": frozenset({"ieri", "oggi", "domani", "stasera", "stanotte"}),
    "pt": frozenset({"ontem", "hoje", "amanhã", "anteontem"}),
}

# Nouns on stopwords-iso's English list that the lexicon does not know as nouns, so
# is_topic_noun cannot keep them: "Affordable Care Act", "ad campaigns".
STOP_LIST_TOPICS = {"en": frozenset({"act", "ad"})}

# Plurals on stopwords-iso's English list whose singulars are topics ("page", "result"),
# read as nouns far more than as verbs (wordfreq: their past tense at least 3× rarer, so
# not "uses", "shows", "makes"): they end a phrase ("landing pages", "search results",
# "use cases"), never open one or stand alone ("results show", "results").
STOP_LIST_HEADS = {
    "en": frozenset(
        {"cases", "groups", "keys", "pages", "points", "results", "rooms", "states", "words"}
    )
}

# Elided words split off their host: l'avion → l + avion.
ELISIONS = {
    "fr": frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu"}),
    "it": frozenset({"l", "d", "dell", "all", "nell", "sull", "dall", "un", "c"}),
}

# The preposition that joins a Romance compound noun to its bare complement (no
# article between): "moteur de recherche", "taux d'intérêt", "cartão de crédito",
# "carta di credito"; "forces de la coalition" stays two phrases.
COMPOUND_LINKS = {
    "fr": frozenset({"de", "d"}),
    "es": frozenset({"de"}),
    "it": frozenset({"di"}),
    "pt": frozenset({"de"}),
}

# Endings that only a verb's forms have in the language: French "-ez" ("ajoutez",
# "découvrez", "vous trouverez"); "nez" is too short to be read so, "chez" and "assez"
# are on the stop list, and a name ("Martinez") is written with a capital in a sentence.
VERB_ENDINGS = {"fr": ("ez",)}


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Articles, possessives and demonstratives, the words that open a noun phrase: a
# sentence's first word right before one is a verb telling the reader what to do
# ("Compare the policies", "Reserve o seu hotel", "Confronta i preventivi").
# Contractions with a preposition ("des", "do", "del") are left out: "Guide des vins".
OBJECT_DETERMINERS = {
    "en": ARTICLES | POSSESSIVES | _word_set("this these those"),
    "fr": _word_set(
        "le la les l un une mon ton son ma ta sa mes tes ses notre votre nos vos leur "
        "leurs ce cet cette ces"
    ),
    "es": _word_set(
        "el la los las un una unos unas mi mis tu tus su sus nuestro nuestra nuestros "
        "nuestras este esta estos estas ese esa esos esas"
    ),
    "it": _word_set(
        "il lo la i gli le l un uno una mio mia miei mie tuo tua tuoi tue suo sua suoi "
        "sue nostro nostra nostri nostre questo questa questi queste"
    ),
    # not "a", which is also the preposition "to" ("Visita a Lisboa")
    "pt": _word_set(
        "o os as um uma uns umas meu minha meus minhas teu tua seu sua seus suas nosso "
        "nossa nossos nossas este esta estes estas esse essa esses essas"
    ),
}  # fmt: skip


@dataclass(frozen=True)
class LanguageKit:
    """What the extractor needs to know about one language."""

    code: str
    stopwords: frozenset[str]
    stem: Callable[[str], str]
    elisions: frozenset[str] = field(default_factory=frozenset)
    # words that only end a phrase of two or more: "search results", not "results show"
    heads_only: frozenset[str] = field(default_factory=frozenset)
    # the days' and months' names: "Monday" or "11 April 2011" alone is no keyword
    calendar: frozenset[str] = field(default_factory=frozenset)
    # measurement units written after a number ("oz", "fl oz", "cups"), as CLDR writes
    # them and lower-cased: "2 cups flour" and "8 GB RAM" measure, "cups flour" is no key
    units: frozenset[tuple[str, ...]] = field(default_factory=frozenset)
    units_folded: frozenset[tuple[str, ...]] = field(default_factory=frozenset)
    # the prepositions inside a compound noun ("moteur de recherche"), Romance only
    compound_links: frozenset[str] = field(default_factory=frozenset)
    # endings only verbs' forms have ("ajoutez"): no keyword's word, unless a name's
    verb_endings: tuple[str, ...] = ()
    # the words that open a noun phrase: a sentence's first word before one is a verb
    object_determiners: frozenset[str] = field(default_factory=frozenset)
    has_frequencies: bool = False

    @property
    def supported(self) -> bool:
        return self.code in SNOWBALL_NAMES

    def rarity(self, word: str) -> float:
        """How unusual a word is in general use: 8 − Zipf frequency, in [0.5, 8]."""
        if not self.has_frequencies:
            return 4.0
        return _rarity(word.lower(), frequency_code(self.code))


@lru_cache(maxsize=200_000)
def _rarity(word: str, code: str) -> float:
    frequency = word_frequencies(code).get(word)
    if frequency is not None:  # a plain word: one dict lookup instead of wordfreq's tokenizer
        zipf = round(math.log10(frequency) + 9, 2)
    elif word.isascii() and word.isalpha() and word.islower():
        zipf = 0.0  # wordfreq's tokenizer keeps such a word whole, and its list lacks it
    else:
        import wordfreq  # hyphens, digits, accents: wordfreq splits and folds them its way

        try:
            zipf = wordfreq.zipf_frequency(word, code)
        except ImportError:  # zh/ja/ko tokenizers are optional extras (jieba, MeCab)
            zipf = 0.0
    return min(8.0, max(0.5, 8.0 - zipf))


def frequency_code(code: str) -> str:
    """wordfreq's code for a language ("nb" for Norwegian)."""
    return _WORDFREQ_CODES.get(code, code)


def normalize_lang(lang: str | None) -> str | None:
    if not lang:
        return None
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    return _LANG_ALIASES.get(code, code) or None


@lru_cache(maxsize=64)
def language_kit(lang: str) -> LanguageKit:
    """Resources for ``lang``; a language we know little about still works (no stemming)."""
    code = normalize_lang(lang) or "und"
    words = stopwordsiso.stopwords(code) if stopwordsiso.has_lang(code) else set()
    listed = {w.lower() for w in words}
    # stopwords-iso's lists run long; topics on them ("web page") stay content words, and
    # a topic's plural ("landing pages", "search results") ends a phrase, never opens one
    words = {w for w in listed if not is_topic_noun(w, code)}
    heads = STOP_LIST_HEADS.get(code, frozenset())
    words -= STOP_LIST_TOPICS.get(code, frozenset()) | heads
    words |= DAY_WORDS.get(code, frozenset())
    if code in SNOWBALL_NAMES:
        stem = lru_cache(maxsize=200_000)(snowballstemmer.stemmer(SNOWBALL_NAMES[code]).stemWord)
    else:
        stem = str
    freq_code = frequency_code(code)
    units = unit_names(freq_code)
    return LanguageKit(
        code=code,
        stopwords=frozenset(words),
        stem=stem,
        elisions=ELISIONS.get(code, frozenset()),
        heads_only=heads,
        calendar=calendar_names(freq_code),
        units=units,
        units_folded=frozenset(tuple(word.lower() for word in unit) for unit in units),
        compound_links=COMPOUND_LINKS.get(code, frozenset()),
        verb_endings=VERB_ENDINGS.get(code, ()),
        object_determiners=OBJECT_DETERMINERS.get(code, frozenset()),
        has_frequencies=freq_code in frequency_languages(),
    )


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language ("und" when there is nothing to go on)."""
    sample = text[:5000]
    if sum(ch.isalpha() for ch in sample) < 3:
        return "und"
    code, _score = language_identifier().classify(sample)
    return normalize_lang(code) or "und"
