"""The packaged lexicons' cached tables answer as the packages do, and spare a warm
process from loading the packages at all."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from siex.engine import lexicon_cache
from siex.engine.languages import _rarity
from siex.engine.wordclass import _english_lemmas

SAMPLE_TEXT = """Wavelength services have been hyped ad nauseam for years, but the carriers'
turn-up time, state-of-the-art DWDM gear and 10-Gbit/s links still cost US$1.2 million.
Naïve users searched for the café's déjà-vu offers; Larsson's e-mail said 3D printing,
x-ray imaging and COVID-19 data sets were running ahead of the zzqxv benchmarks."""


def test_the_lemma_table_answers_as_lemminflect_does():
    from lemminflect import getAllLemmas

    table = lexicon_cache.english_lemmas()
    known = sorted(table)[::25]  # thousands of the lexicon's words, every class among them
    words = [
        *known,
        *SAMPLE_TEXT.lower().replace(",", " ").split(),
        "zzqxv",
        "Carriers",
        "IBM",
        "all",
        "another",
        "anyone",
        "something",
    ]
    assert len(known) > 2000
    for word in words:
        assert _english_lemmas(word) == dict(getAllLemmas(word)), word


@pytest.mark.parametrize("lang", ["en", "de", "fr", "sv", "fi"])
def test_rarity_is_wordfreqs_zipf_for_words_of_every_shape(lang):
    import wordfreq

    words = {w.strip(".,;'()").lower() for w in SAMPLE_TEXT.split()} | {
        "zzqxv",
        "abcdefghij",
        "straße",
        "översättning",
        "hyvää",
        "well-known",
        "covid-19",
    }
    _rarity.cache_clear()
    for word in sorted(w for w in words if w):
        expected = min(8.0, max(0.5, 8.0 - wordfreq.zipf_frequency(word, lang)))
        assert math.isclose(_rarity(word, lang), expected, abs_tol=0.011), (word, lang)


def test_a_table_is_built_once_then_read_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SIEX_MODEL_CACHE", str(tmp_path))
    builds = []

    def build():
        builds.append(1)
        return {"word": {"NOUN": ("word",)}}

    first = lexicon_cache.cached_table("test", "wordfreq", build)
    again = lexicon_cache.cached_table("test", "wordfreq", build)
    assert first == again == {"word": {"NOUN": ("word",)}}
    assert len(builds) == 1
    path = lexicon_cache.table_path("test", "wordfreq")
    assert path.parent == tmp_path / "lexicons" and "wordfreq-" in path.name

    path.write_bytes(b"\x00damaged")  # a torn or foreign file is rebuilt, not trusted
    assert lexicon_cache.cached_table("test", "wordfreq", build) == first
    assert len(builds) == 2


def test_an_unwritable_cache_still_gives_the_table(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("SIEX_MODEL_CACHE", str(blocked))
    assert lexicon_cache.cached_table("test", "wordfreq", lambda: {"a": 1.0}) == {"a": 1.0}


def test_a_warm_process_reads_plain_words_without_loading_the_packages():
    language_kit_then_words = (
        "import sys\n"
        "from siex.engine.languages import language_kit\n"
        "from siex.engine.candidates import find_candidates, tokenize\n"
        "kit = language_kit('en')\n"
        "tokens = tokenize('Drip irrigation saves water in small gardens.', kit)\n"
        "assert [kit.rarity(t.surface) for t in tokens if t.kind == 'C']\n"
        "assert find_candidates(tokens, 4)\n"
        "print(sorted(m for m in ('lemminflect', 'wordfreq', 'py3langid', 'babel') if m in sys.modules))\n"
    )
    for _ in range(2):  # the first run may build the tables; the second must only read them
        out = subprocess.run(
            [sys.executable, "-c", language_kit_then_words],
            capture_output=True,
            text=True,
            check=True,
        )
    assert out.stdout.strip() == "[]"


def test_the_language_identifier_answers_as_py3langid_does():
    import py3langid

    from tests.test_engine import SAMPLES

    identifier = lexicon_cache.language_identifier()
    texts = [
        *SAMPLES.values(),
        SAMPLE_TEXT,
        "Le chat dort. Der Hund schläft. The bird sings.",  # mixed languages
        "Москва — столица России.",
        "東京は日本の首都です。",
        "12 34 ok",
        "",
    ]
    for text in texts:
        assert identifier.classify(text) == py3langid.classify(text), text
    assert len(identifier.nb_classes) > 90  # the whole packaged model, not a subset


def test_a_warm_process_detects_a_language_without_decompressing_the_model():
    detect_with_the_model_file_blocked = (
        "import sys\n"
        "import py3langid.modelio\n"
        "if sys.argv[1] == 'warm':\n"
        "    def blocked(path):\n"
        "        raise AssertionError('the LZMA model was read again')\n"
        "    py3langid.modelio.load_model = blocked\n"
        "from siex.engine import detect_language\n"
        "print(detect_language('Kompostering hemma minskar matavfallet och ger jord.'))\n"
    )
    for state in ("first", "warm"):  # the first run may build the table; a warm one reads it
        out = subprocess.run(
            [sys.executable, "-c", detect_with_the_model_file_blocked, state],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == "sv"


def test_the_calendar_names_are_cldrs_in_both_forms():
    assert {"monday", "sunday", "january", "march", "december"} <= lexicon_cache.calendar_names(
        "en"
    )
    assert {"måndag", "januari", "mars"} <= lexicon_cache.calendar_names("sv")
    finnish = lexicon_cache.calendar_names("fi")  # running text and stand-alone forms
    assert {"tammikuuta", "tammikuu", "maanantai"} <= finnish
    assert len(lexicon_cache.calendar_names("de")) == 19  # 7 days, 12 months
    assert lexicon_cache.calendar_names("xx") == frozenset()  # a locale CLDR lacks
    assert lexicon_cache.calendar_names("und") == frozenset()  # no language: no names


def test_the_units_are_cldrs_as_written_after_a_number():
    english = lexicon_cache.unit_names("en")
    assert {("oz",), ("fl", "oz"), ("cups",), ("tsp",), ("GHz",), ("GB",)} <= english
    assert ("ounces",) in english and ("percent",) in english  # long forms too
    assert not {("light",), ("bar",), ("stone",)} & english  # mostly things, not measures
    assert not [u for u in english if any("/" in w or "{" in w for w in u)]  # no rates
    assert {("Gramm",), ("Esslöffel",)} <= lexicon_cache.unit_names("de")
    assert ("msk",) in lexicon_cache.unit_names("sv")  # a tablespoon
    assert lexicon_cache.unit_names("xx") == frozenset()
    assert lexicon_cache.unit_names("und") == frozenset()


def test_install_prepares_the_tables_of_the_languages_wordfreq_knows(tmp_path):
    env = {**os.environ, "SIEX_MODEL_CACHE": str(tmp_path)}
    script = (
        "from siex.engine.lexicon_cache import prepare_tables\n"
        "print('\\n'.join(map(str, prepare_tables(['en', 'de', 'xx']))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    paths = [Path(line) for line in out.stdout.split()]
    names = sorted(p.name.split("-")[0] + "-" + p.name.split("-")[1] for p in paths)
    assert names == [
        "calendar-de",
        "calendar-en",
        "calendar-xx",
        "frequencies-de",
        "frequencies-en",
        "langid-py3langid",
        "languages-wordfreq",
        "lemmas-en",
        "units-de",
        "units-en",
        "units-xx",
    ]
    assert all(p.is_file() and p.parent == tmp_path / "lexicons" for p in paths)
