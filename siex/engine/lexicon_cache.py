"""The packaged lexicons' tables, kept in a fast-loading file between processes.

LemmInflect parses its gzipped lexicon line by line and wordfreq imports a tokenizer
stack and unpacks msgpack before the first word is looked up: about 0.4 s of the
0.95 s ``siex extract`` took on one document, paid again by every process; py3langid
decompresses its LZMA model (0.57 s) before it names the first text's language. The
engine reads the same tables from a ``marshal`` file written on first use into the
model cache (``<SIEX_MODEL_CACHE>/lexicons``), named by the package's version, in
well under half that time. A table is built by the package's own public API, so
every lookup answers as the package would; a cache that cannot be written (a
read-only home) only costs the time.
"""

from __future__ import annotations

import itertools
import marshal
import os
import re
import threading
from array import array
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from siex.engine.onnx_encoder import default_cache_dir

TABLE_FORMAT = "1"  # bump when a table's layout changes


def cached_table(name: str, package: str, build: Callable[[], dict]) -> dict:
    """The table ``build()`` makes from ``package``, from the cache when it holds this
    version's, else built and stored (atomically: processes may race to write it)."""
    path = table_path(name, package)
    try:
        table = marshal.loads(path.read_bytes())
        if isinstance(table, dict):
            return table
    except (OSError, EOFError, ValueError, TypeError):
        pass  # missing or damaged: build it again
    table = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        partial.write_bytes(marshal.dumps(table))
        os.replace(partial, path)
    except OSError:
        pass  # the table still serves this process
    return table


def table_path(name: str, package: str) -> Path:
    return (
        default_cache_dir()
        / "lexicons"
        / f"{name}-{package}-{version(package)}-{TABLE_FORMAT}.marshal"
    )


@lru_cache(maxsize=1)
def english_lemmas() -> dict[str, dict[str, tuple[str, ...]]]:
    """LemmInflect's ``getAllLemmas`` for every lower-case word its lexicon holds."""

    def build() -> dict:
        from lemminflect import getAllLemmas
        from lemminflect.core.Lemmatizer import Lemmatizer

        lexicon = Lemmatizer()  # its own loaders list the words; getAllLemmas answers
        words = {*lexicon._getLemmaDict(), *lexicon._getOverridesDict()}
        return {w: dict(getAllLemmas(w)) for w in words if w == w.lower()}

    return cached_table("lemmas-en", "lemminflect", build)


@lru_cache(maxsize=64)
def word_frequencies(code: str) -> dict[str, float]:
    """wordfreq's frequency of every word of its list for ``code`` (a wordfreq code)."""

    def build() -> dict:
        import wordfreq

        return wordfreq.get_frequency_dict(code)

    return cached_table(f"frequencies-{code}", "wordfreq", build)


@lru_cache(maxsize=1)
def frequency_languages() -> frozenset[str]:
    """The language codes wordfreq has frequencies for."""

    def build() -> dict:
        import wordfreq

        return dict.fromkeys(wordfreq.available_languages(), True)

    return frozenset(cached_table("languages", "wordfreq", build))


@lru_cache(maxsize=1)
def language_identifier():
    """py3langid's identifier over its own packaged model, the model's arrays read
    from the cache instead of decompressed (it answers as ``py3langid.classify``)."""
    import numpy as np
    from py3langid.langid import LanguageIdentifier

    def build() -> dict:
        from py3langid.langid import MODEL_DIR, MODEL_FILE
        from py3langid.modelio import load_model

        ptc, pc, classes, nextmove, row, output = load_model(MODEL_DIR / MODEL_FILE)
        return {
            "ptc": (ptc.tobytes(), str(ptc.dtype), ptc.shape),
            "pc": (pc.tobytes(), str(pc.dtype), pc.shape),
            "classes": list(classes),
            "nextmove": (nextmove.typecode, nextmove.tobytes()),
            "row": (row.typecode, row.tobytes()),
            "output": list(output),
        }

    def numbers(data: bytes, dtype: str, shape: tuple) -> np.ndarray:
        return np.frombuffer(data, dtype=dtype).reshape(shape)  # read-only: only read

    def integers(typecode: str, data: bytes) -> array:
        out = array(typecode)
        out.frombytes(data)
        return out

    model = cached_table("langid", "py3langid", build)
    return LanguageIdentifier(
        numbers(*model["ptc"]),
        numbers(*model["pc"]),
        model["classes"],
        integers(*model["nextmove"]),
        model["output"],
        tk_row=integers(*model["row"]),
    )


def _cldr_locale(locale: str):
    """Babel's CLDR locale for ``locale``, or None where CLDR has none ("xx") or only its
    root ("und"), which would answer in English."""
    from babel import Locale, UnknownLocaleError

    if locale == "und":
        return None
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return None


@lru_cache(maxsize=64)
def calendar_names(locale: str) -> frozenset[str]:
    """The names of the days and months in ``locale`` (Babel's CLDR data, lower-cased, in
    their running-text and stand-alone forms: Finnish "tammikuuta" and "tammikuu")."""

    def build() -> dict:
        data = _cldr_locale(locale)
        if data is None:
            return {}
        names = {}
        for table in (data.days, data.months):
            for context in ("format", "stand-alone"):
                names.update(dict.fromkeys(n.lower() for n in table[context]["wide"].values()))
        return names

    return frozenset(cached_table(f"calendar-{locale}", "babel", build))


# CLDR units whose names are mostly things or qualities after a number, not measures:
# "3 light bulbs", "3 bar stools", "a 3 stone ring", "2 gray cats".
_UNITS_NOT_MEASURES = frozenset(
    {
        "speed-light-speed",
        "pressure-bar",
        "mass-stone",
        "mass-slug",
        "length-chain",
        "length-rod",
        "energy-gray",
        "graphics-dot",
        "graphics-em",
    }
)
_UNIT_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


# A number of each plural form CLDR has in the plan's languages ("1 cup", "2 cups",
# "1,5 tasses", the "many" of French, Spanish and Italian millions).
_PLURAL_SAMPLES = (0, 1, 2, 3, 5, 11, 21, 1.5, 1_000_000)


@lru_cache(maxsize=64)
def unit_names(locale: str) -> frozenset[tuple[str, ...]]:
    """The measurement units ``locale`` writes after a number (Babel's CLDR data: "oz",
    "fl oz", "cups", "GHz", "Esslöffel"), each as its words, with CLDR's capitals."""

    def build() -> dict:
        from babel.numbers import format_decimal
        from babel.units import UnknownUnitError, format_unit

        data = _cldr_locale(locale)
        if data is None:
            return {}
        forms = {}
        for unit in data.unit_display_names:
            if unit in _UNITS_NOT_MEASURES:
                continue
            for length, value in itertools.product(("long", "short", "narrow"), _PLURAL_SAMPLES):
                try:
                    text = format_unit(value, unit, length=length, locale=data)
                except (UnknownUnitError, KeyError, ValueError):
                    continue
                number = format_decimal(value, locale=data)
                if not text.startswith(number):
                    continue  # a unit written before its number
                # split() cuts at CLDR's no-break spaces too ("2\u00a0oz", "2\u202fkm")
                words = [w.rstrip(".") for w in text[len(number) :].split()]
                if words and all(_UNIT_WORD.fullmatch(w) for w in words):
                    forms[" ".join(words)] = None
        return forms

    return frozenset(
        tuple(form.split()) for form in cached_table(f"units-{locale}", "babel", build)
    )


def prepare_tables(codes: Iterable[str]) -> list[Path]:
    """Build every table the engine reads for the wordfreq ``codes`` (at install time:
    the first extraction then loads them as any later one does)."""
    english_lemmas()
    language_identifier()
    codes = list(codes)
    available = frequency_languages()
    wanted = [code for code in codes if code in available]
    for code in wanted:
        word_frequencies(code)
    for code in codes:
        calendar_names(code)
        unit_names(code)
    return [
        table_path("lemmas-en", "lemminflect"),
        table_path("langid", "py3langid"),
        table_path("languages", "wordfreq"),
        *(table_path(f"frequencies-{code}", "wordfreq") for code in wanted),
        *(table_path(f"calendar-{code}", "babel") for code in codes),
        *(table_path(f"units-{code}", "babel") for code in codes),
    ]
