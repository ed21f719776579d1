"""Per-language resources: stop words (stopwords-iso), Snowball stemmers, detection."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import py3langid
import snowballstemmer
import stopwordsiso

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

# Language identifiers report Norwegian as Bokmål or Nynorsk.
_LANG_ALIASES = {"nb": "no", "nn": "no"}


@dataclass(frozen=True)
class LanguageKit:
    """What the extractor needs to know about one language."""

    code: str
    stopwords: frozenset[str]
    stem: callable  # str -> str

    @property
    def supported(self) -> bool:
        return self.code in SNOWBALL_NAMES


def normalize_lang(lang: str | None) -> str | None:
    if not lang:
        return None
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    return _LANG_ALIASES.get(code, code) or None


@lru_cache(maxsize=64)
def language_kit(lang: str) -> LanguageKit:
    """Stop words and stemmer for ``lang``; unknown languages get identity stemming."""
    code = normalize_lang(lang) or "und"
    words = stopwordsiso.stopwords(code) if stopwordsiso.has_lang(code) else set()
    if code in SNOWBALL_NAMES:
        stemmer = snowballstemmer.stemmer(SNOWBALL_NAMES[code])
        stem = lru_cache(maxsize=100_000)(stemmer.stemWord)
    else:
        stem = str
    return LanguageKit(code=code, stopwords=frozenset(w.lower() for w in words), stem=stem)


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language ("und" when there is nothing to go on)."""
    sample = text[:5000]
    if sum(ch.isalpha() for ch in sample) < 3:
        return "und"
    code, _score = py3langid.classify(sample)
    return normalize_lang(code) or "und"
