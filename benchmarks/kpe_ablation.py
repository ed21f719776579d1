"""Keyphrase ablations in-process: F1@10 of engine variants, scored by the shared metric.

`benchmarks/kpe.py` measures the engine as users run it (`siex extract`, beside the
anchors). This script is for choosing its design: it runs variants of the
``KeywordExtractor`` inside one process over the first N documents of each data set
and scores them with the harness's own matching rule (``kpe_text``: stemmed exact
match, all gold keys), so a row of the design tables in docs/benchmarks.md can be
reproduced in a minute.

    .venv/bin/python benchmarks/kpe_ablation.py --datasets Inspec-test-uncontr,SemEval2017 \\
        --variant default --variant statistical --limit 100

Variants are named in ``VARIANTS``: keyword arguments of ``KeywordExtractor``, or
``RULES_OFF``: the default engine with one of its candidate rules switched off
(``--variant no-topic-nouns``), for the rows of the design tables, or ``PROBES`` in
``kpe_probes.py``: ranking ideas tried after engine 0.6.9 and left out.

``--ceiling`` measures the headroom instead: per data set, the share of gold keys that
occur in the text at all, the share that are among the engine's candidates, and the
F1@k of an oracle that picks exactly those (the best any ranking of these candidates
could score), so a quality target can be read as a share of what extraction allows.

``--dropped --variant no-clauses`` shows what a rule costs in recall: per data set, the
candidates the default drops that the variant keeps, and how many are gold keys.

``--rates`` gives documents per second instead of F1: the extraction alone, in this
process, with the models loaded and the phrase cache empty before each of two rounds,
the better round kept (for what a variant costs; `benchmarks/kpe.py` measures
``siex extract`` beside the anchors).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HARNESS = REPO.parent / "shared" / "bench" / "kpe"
DATA = REPO.parent / "shared" / "data" / "kpe"

VARIANTS: dict[str, dict] = {
    "default": {},
    "statistical": {"mode": "statistical"},
    "all-layers": {"model_layers": None},
    # as before 0.6.9: long texts re-ranked by the first layer only
    "engine-0.6.8": {"deep_from_words": None},
    "deep-from-1000": {"deep_from_words": 1000},
    # more weight on the statistics, or fewer candidates re-ranked (see "Engine 0.6.3")
    "weight-0.7": {"semantic_weight": 0.7},
    "weight-0.6": {"semantic_weight": 0.6},
    "depth-20": {"rerank_depth": 20},
    "depth-15": {"rerank_depth": 15},
}


@contextmanager
def _patched(module: str, name: str, value):
    """Swap ``module.name`` for ``value`` while a variant runs, with cached kits cleared."""
    import importlib

    from siex.engine import candidates, extractor, languages

    def clear() -> None:
        languages.language_kit.cache_clear()
        candidates._word_class.cache_clear()
        extractor.shared_ranker.cache_clear()

    target = importlib.import_module(module)
    saved = getattr(target, name)
    setattr(target, name, value)
    clear()
    try:
        yield
    finally:
        setattr(target, name, saved)
        clear()


# Engine rules switched off, one at a time (see "Engine 0.6" in docs/benchmarks.md).
# topics on the English stop list ("web", "information") are stop words again
_NO_TOPIC_NOUNS = ("siex.engine.languages", "is_topic_noun", lambda word, lang: False)
# a capitalized stop word never opens a name ("New Zealand" → "Zealand")
_NO_NAMES = ("siex.engine.candidates", "can_open_name", lambda word, lang: False)
# no stop-list adjective opens a phrase ("small business" → "business"), as before 0.6.2
_NO_MODIFIERS = ("siex.engine.candidates", "can_modify", lambda word, lang: False)
# web and mail addresses split into words again ("https", "cgi", "sciencemag"), as before 0.6.3
_NO_ADDRESSES = ("siex.engine.candidates", "_token_pattern", lambda text: _words_only())


# phrases said once that read as a verb and its object ("providing robustness") or a
# subject and its verb ("data sets show") are kept, as before 0.6.5
_NO_VERB_OPENERS = ("siex.engine.extractor", "opens_with_verb", lambda words, lang: False)
_NO_SUBJECT_VERBS = ("siex.engine.extractor", "ends_with_verb", lambda words, lang: False)


# the opening counted as before 0.6.6 (1 + 1 at the first word); no bonus for spread;
# the spread's full bonus in texts of any length, short ones included
_OPENING_065 = ("siex.engine.extractor", "OPENING_WEIGHT", 1.0)
_NO_SPREAD = ("siex.engine.extractor", "SPREAD_WEIGHT", 0.0)
_SPREAD_EVERYWHERE = ("siex.engine.extractor", "SPREAD_FULL_AT", 1)


# a name cut at its start keeps its slot beside the whole name ("Zealand Tourism
# Strategy" before "New Zealand Tourism Strategy"), as before 0.6.6
_CUT_NAMES = ("siex.engine.extractor", "_cut_from", lambda name, new: False)


# as before 0.6.7: a short text's list stops at its distinct phrases; a person's
# possessive joins what follows ("stieg larsson best-selling"); a Title Case headline's
# words around a name are candidates ("daniel craig signs")
_NO_REFILL = ("siex.engine.extractor", "_refill", lambda chosen, folded, slots: [])
_POSSESSIVE_JOINS = ("siex.engine.candidates", "_names_someone", lambda tokens, run: False)
_HEADLINE_NAMES = ("siex.engine.extractor", "_headline_around_name", lambda cand, words: False)


# as before 0.6.8: a phrase right before an article or right after a subject pronoun is
# kept though its edge word can be a verb ("services remains", "models user behaviour")
_VERB_EDGES_KEPT = (
    "siex.engine.extractor",
    "_verb_at_edge",
    lambda cand, words, lang: False,
)


# as before 0.6.10: an upper-case stop word never opens a name ("NEW YORK" → "YORK")
_NO_UPPER_NAMES = ("siex.engine.candidates", "_upper_pair", lambda token, following, kit: False)


# as before 0.6.11: a one-word owner's 's joins the full name after it ("Apple Tim Cook");
# a headline or byline runs into the dateline ("bear death BERLIN"); "yesterday",
# "tomorrow", "tonight" and their kin in the other languages are content words; a
# two-letter stop word in capitals is a stop word ("US economy" → "economy")
_OWNER_JOINS = ("siex.engine.candidates", "_owner_of_name", lambda tokens, run: False)
_DATELINE_JOINS = ("siex.engine.candidates", "_dateline_after", lambda tokens, last: False)
_NO_DAY_WORDS = ("siex.engine.languages", "DAY_WORDS", {})
_NO_ACRONYMS = ("siex.engine.candidates", "_read_acronyms", lambda tokens, kit: None)
_ENGINE_0_6_10 = [_OWNER_JOINS, _DATELINE_JOINS, _NO_DAY_WORDS, _NO_ACRONYMS]


# as before 0.6.12: "act" and "ad" are stop words ("Affordable Care Act" → "Affordable Care")
_ACT_AD_STOPPED = ("siex.engine.languages", "STOP_LIST_TOPICS", {})

# as before 0.6.13: a topic noun's plural on the stop list stays a stop word ("landing
# pages" → "landing", "search results" → "search")
_PLURALS_STOPPED = ("siex.engine.languages", "STOP_LIST_HEADS", {})

# as before 0.6.14: only an article after an inflected verb form tells it is a verb, not
# a possessive ("Apple updates its policy" gave "apple updates")
_ARTICLES_ONLY = ("siex.engine.candidates", "OBJECT_OPENERS", frozenset({"a", "an", "the"}))

# as before 0.6.15: a date or a day alone is a keyword ("Monday", "11 April 2011")
_DATES_KEPT = ("siex.engine.extractor", "_only_dates", lambda cand, words, kit: False)


# as before 0.6.16: no word classes outside English, so "bergvärmepump ger" and
# "buscadores depende" were phrases; German phrases could end in a verb ("kauft")
_NO_TREEBANK_CLASSES = ("siex.engine.wordclass", "TREEBANK_LANGUAGES", frozenset())
_GERMAN_LOWER_ENDS = ("siex.engine.extractor", "_ends_lower_case", lambda cand: False)
# as before 0.6.16: an -ed or -en participle also before a number ("voted 7-2")
_PARTICIPLES_BEFORE_NUMBERS = (
    "siex.engine.wordclass",
    "_modifies_next",
    lambda words, i: i + 1 < len(words) and words[i].endswith(("ed", "en")),
)


def _decimals_split(name: str):
    """The tokenizer before 0.6.16, where "4.7" was "4", a sentence's end and "7"."""
    import re

    from siex.engine.candidates import _ADDRESS

    words = r"\w+(?:[-'’]\w+)*|[.!?;:\n]+|[^\w\s]"
    pattern = re.compile(_ADDRESS + "|" + words if name == "_TOKEN_OR_ADDRESS" else words)
    return ("siex.engine.candidates", name, pattern)


_DECIMALS_SPLIT = [_decimals_split("_TOKEN"), _decimals_split("_TOKEN_OR_ADDRESS")]


_ENGINE_0_6_15 = [
    _NO_TREEBANK_CLASSES,
    _GERMAN_LOWER_ENDS,
    *_DECIMALS_SPLIT,
    _PARTICIPLES_BEFORE_NUMBERS,
]


# as before 0.6.17: a unit after a number opens a phrase ("64 oz BPA-free pitcher" gave
# "oz bpa-free pitcher", "2 cups flour" "cups flour")
_UNITS_AS_WORDS = ("siex.engine.candidates", "_read_units", lambda tokens, kit: None)


def _units_only(tokens, kit):
    """The unit rule of 0.6.17's first draft: the unit breaks the phrase, its number
    stays a word of it ("Whisk 2 tablespoons" gave "whisk 2", "Pesa 1,8 kg" "pesa 1,8")."""
    from siex.engine.candidates import BREAK, NUMBER, _is_unit

    for i, token in enumerate(tokens):
        if token.kind == NUMBER:
            for size in (3, 2, 1):
                words = tokens[i + 1 : i + 1 + size]
                if len(words) == size and _is_unit([t.surface for t in words], kit):
                    for word in words:
                        word.kind = BREAK
                    break


_MEASURES_AS_NUMBERS = ("siex.engine.candidates", "_read_units", _units_only)

# as before 0.6.17: a number after a small-letter word ends a phrase ("reaches 18")
_COUNTS_KEPT = ("siex.engine.extractor", "_counted", lambda cand, words: False)

# as before 0.6.18: a Romance preposition ends a phrase ("moteur", "recherche")
_COMPOUNDS_SPLIT = ("siex.engine.candidates", "_read_compounds", lambda tokens, kit: None)
# as before 0.6.18: a French "-ez" form is a word of a phrase ("mélangez", "versez")
_VERB_ENDINGS_KEPT = ("siex.engine.candidates", "_read_verb_endings", lambda tokens, kit: None)
# as before 0.6.18: a sentence's first word before an article is a word ("compare")
_IMPERATIVES_KEPT = ("siex.engine.candidates", "_read_imperatives", lambda tokens, kit: None)


def _encoder_quantized(quantize):
    def encoder(model_dir, _default, layers):
        from siex.engine.onnx_encoder import OnnxEncoder

        return OnnxEncoder(model_dir, quantize=quantize, layers=layers)

    return encoder


# int8 ranges measured per batch, as before 0.6.4; or no quantization at all
_DYNAMIC_INT8 = ("siex.engine.semantic", "shared_encoder", _encoder_quantized("dynamic"))
_FLOAT32 = ("siex.engine.semantic", "shared_encoder", _encoder_quantized(None))


def _words_only():
    from siex.engine.candidates import _TOKEN

    return _TOKEN


RULES_OFF = {
    "no-topic-nouns": [_NO_TOPIC_NOUNS],
    "no-names": [_NO_NAMES],
    "candidates-0.5": [_NO_TOPIC_NOUNS, _NO_NAMES],
    "no-modifiers": [_NO_MODIFIERS],
    "statistical-no-modifiers": [_NO_MODIFIERS],
    "no-addresses": [_NO_ADDRESSES],
    "statistical-no-addresses": [_NO_ADDRESSES],
    "no-clauses": [_NO_VERB_OPENERS, _NO_SUBJECT_VERBS],
    "statistical-no-clauses": [_NO_VERB_OPENERS, _NO_SUBJECT_VERBS],
    "opening-0.6.5": [_OPENING_065],
    "no-spread": [_NO_SPREAD],
    "spread-everywhere": [_SPREAD_EVERYWHERE],
    "scores-0.6.5": [_OPENING_065, _NO_SPREAD],
    "statistical-scores-0.6.5": [_OPENING_065, _NO_SPREAD],
    "cut-names": [_CUT_NAMES],
    "statistical-cut-names": [_CUT_NAMES],
    "no-refill": [_NO_REFILL],
    "statistical-no-refill": [_NO_REFILL],
    "possessive-joins": [_POSSESSIVE_JOINS],
    "headline-names": [_HEADLINE_NAMES],
    "names-0.6.6": [_POSSESSIVE_JOINS, _HEADLINE_NAMES],
    "engine-0.6.6": [_NO_REFILL, _POSSESSIVE_JOINS, _HEADLINE_NAMES],
    "statistical-engine-0.6.6": [_NO_REFILL, _POSSESSIVE_JOINS, _HEADLINE_NAMES],
    "verb-edges-kept": [_VERB_EDGES_KEPT],
    "engine-0.6.7": [_VERB_EDGES_KEPT],  # 0.6.8 added that one rule
    "statistical-engine-0.6.7": [_VERB_EDGES_KEPT],
    "no-upper-names": [_NO_UPPER_NAMES],
    "engine-0.6.9": [_NO_UPPER_NAMES],  # 0.6.10 added that one rule
    "statistical-engine-0.6.9": [_NO_UPPER_NAMES],
    "owner-joins": [_OWNER_JOINS],
    "dateline-joins": [_DATELINE_JOINS],
    "no-day-words": [_NO_DAY_WORDS],
    "no-acronyms": [_NO_ACRONYMS],
    "engine-0.6.10": _ENGINE_0_6_10,
    "statistical-engine-0.6.10": _ENGINE_0_6_10,
    "act-ad-stopped": [_ACT_AD_STOPPED],
    "engine-0.6.11": [_ACT_AD_STOPPED],  # 0.6.12 added that one change
    "statistical-engine-0.6.11": [_ACT_AD_STOPPED],
    "plurals-stopped": [_PLURALS_STOPPED],
    "engine-0.6.12": [_PLURALS_STOPPED],
    "statistical-engine-0.6.12": [_PLURALS_STOPPED],
    "articles-only": [_ARTICLES_ONLY],
    "engine-0.6.13": [_ARTICLES_ONLY],  # 0.6.14 added that one change
    "statistical-engine-0.6.13": [_ARTICLES_ONLY],
    "dates-kept": [_DATES_KEPT],
    "engine-0.6.14": [_DATES_KEPT],  # 0.6.15 added that one rule
    "statistical-engine-0.6.14": [_DATES_KEPT],
    "no-treebank-classes": [_NO_TREEBANK_CLASSES],
    "german-lower-ends": [_GERMAN_LOWER_ENDS],
    "decimals-split": _DECIMALS_SPLIT,
    "statistical-decimals-split": _DECIMALS_SPLIT,
    "participles-before-numbers": [_PARTICIPLES_BEFORE_NUMBERS],
    "engine-0.6.15": _ENGINE_0_6_15,
    "statistical-engine-0.6.15": _ENGINE_0_6_15,
    "units-as-words": [_UNITS_AS_WORDS],
    "counts-kept": [_COUNTS_KEPT],
    "measures-as-numbers": [_MEASURES_AS_NUMBERS],
    "engine-0.6.16": [_UNITS_AS_WORDS, _COUNTS_KEPT],
    "statistical-engine-0.6.16": [_UNITS_AS_WORDS, _COUNTS_KEPT],
    "compounds-split": [_COMPOUNDS_SPLIT],
    "verb-endings-kept": [_VERB_ENDINGS_KEPT],
    "imperatives-kept": [_IMPERATIVES_KEPT],
    "statistical-imperatives-kept": [_IMPERATIVES_KEPT],
    "engine-0.6.17": [_COMPOUNDS_SPLIT, _VERB_ENDINGS_KEPT, _IMPERATIVES_KEPT],
    "statistical-engine-0.6.17": [_COMPOUNDS_SPLIT, _VERB_ENDINGS_KEPT, _IMPERATIVES_KEPT],
    "dynamic-int8": [_DYNAMIC_INT8],
    "float32": [_FLOAT32],
}


def variant(name: str):
    """The extractor of a variant and the context it runs in."""
    from siex.engine import KeywordExtractor

    if name in RULES_OFF:
        stack = ExitStack()
        for patch in RULES_OFF[name]:
            stack.enter_context(_patched(*patch))
        mode = "statistical" if name.startswith("statistical") else "semantic"
        return KeywordExtractor(mode=mode), stack
    if name in VARIANTS:
        return KeywordExtractor(**VARIANTS[name]), nullcontext()
    from kpe_probes import PROBES  # ideas tried after 0.6.9 and left out

    if name not in PROBES:
        raise SystemExit(f"unknown variant {name!r}")
    return PROBES[name]()


def load(path: Path, limit: int | None) -> list[dict]:
    docs = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                docs.append(json.loads(line))
            if limit and len(docs) >= limit:
                break
    return docs


def dataset_path(name: str, extra: list[Path]) -> Path:
    for folder in (DATA, *extra):
        if (folder / f"{name}.jsonl").is_file():
            return folder / f"{name}.jsonl"
    path = Path(name)
    if path.is_file():
        return path
    raise SystemExit(f"no data set {name!r} in {DATA} or {[str(e) for e in extra]}")


def f1_at(extractor, docs: list[dict], k: int = 10, batch_size: int = 32) -> tuple[float, float]:
    """Macro F1@k over ``docs`` and documents per second of the extraction alone."""
    sys.path.insert(0, str(HARNESS))
    import kpe_text

    started = time.perf_counter()
    results = list(extractor.extract_stream(docs, top_k=k, batch_size=batch_size))
    seconds = time.perf_counter() - started
    total = 0.0
    for doc, keywords in zip(docs, results, strict=True):
        lang = doc.get("lang", "en")
        gold = set(kpe_text.dedup_norm(doc["keys"], lang))
        preds = kpe_text.dedup_norm([kw.text for kw in keywords], lang)[:k]
        hits = sum(p in gold for p in preds)
        p, r = hits / k, (hits / len(gold) if gold else 0.0)
        total += 2 * p * r / (p + r) if p + r else 0.0
    return 100 * total / len(docs), len(docs) / seconds


def rate(extractor, docs: list[dict], k: int = 10, rounds: int = 2) -> float:
    """Documents per second of ``extractor`` over ``docs``: models loaded first, no
    phrase vector carried over from a round before, the best of ``rounds``."""
    from siex.engine import extractor as engine

    best = 0.0
    for _ in range(rounds):
        engine.shared_ranker.cache_clear()  # fresh phrase caches; the models stay loaded
        if extractor.mode == "semantic":
            extractor.ranker().encoder  # noqa: B018 - loads the model before the clock
            if extractor.deep_from_words:
                extractor.ranker(all_layers=True).encoder  # noqa: B018
        best = max(best, f1_at(extractor, docs, k)[1])
    return best


def batch_stability(extractor, docs: list[dict], k: int = 10) -> tuple[float, float]:
    """Shares of ``docs`` (%) whose keywords, and whose keywords' scores, differ between
    batches of 32 in file order and in a shuffled order, each run in a fresh ranker."""
    import random

    from siex.engine import extractor as engine

    def lists(order: list[int]) -> dict[int, list]:
        engine.shared_ranker.cache_clear()  # a fresh ranker: no phrase vectors carried over
        batch = [docs[i] for i in order]
        out = extractor.extract_stream(batch, top_k=k, batch_size=32)
        return {i: [(kw.text, kw.score) for kw in kws] for i, kws in zip(order, out, strict=True)}

    order = list(range(len(docs)))
    shuffled = order[:]
    random.Random(1).shuffle(shuffled)
    first, second = lists(order), lists(shuffled)
    keywords = sum([t for t, _ in first[i]] != [t for t, _ in second[i]] for i in order)
    scores = sum(first[i] != second[i] for i in order)
    return 100 * keywords / max(len(docs), 1), 100 * scores / max(len(docs), 1)


def dropped(
    name: str, data: dict[str, list[dict]], by_variant: bool = False
) -> tuple[dict[str, tuple[int, int]], list]:
    """What the default's rules drop that variant ``name`` (rules switched off) keeps,
    or with ``by_variant`` what a stricter variant drops that the default keeps: per
    data set, the candidates dropped and how many of them are gold keys; and the
    phrases dropped most often over all sets."""
    from collections import Counter

    from siex.engine import KeywordExtractor

    sys.path.insert(0, str(HARNESS))
    import kpe_text

    def candidates(extractor, doc) -> dict[str, str]:
        return {s.candidate.key: s.candidate.text for s in extractor._prepare(doc)[2]}

    default = KeywordExtractor(mode="statistical")  # candidates do not depend on mode
    kept = {n: [candidates(default, doc) for doc in docs] for n, docs in data.items()}
    counts, phrases = {}, Counter()
    extractor, context = variant(name)
    with context:
        for n, docs in data.items():
            total = gold_hits = 0
            for doc, before in zip(docs, kept[n], strict=True):
                lang = doc.get("lang", "en")
                gold = set(kpe_text.dedup_norm(doc["keys"], lang))
                after = candidates(extractor, doc)
                if by_variant:
                    before, after = after, before
                for key, text in after.items():
                    if key not in before:
                        total += 1
                        gold_hits += kpe_text.norm_phrase(text, lang) in gold
                        phrases[text.lower()] += 1
            counts[n] = (total, gold_hits)
    return counts, phrases.most_common(12)


def ceiling(extractor, docs: list[dict], k: int = 10) -> dict:
    """Extractive headroom of ``docs``: gold keys in the text, gold keys among the
    engine's candidates, and the macro F1@k of an oracle ranking of those candidates."""
    sys.path.insert(0, str(HARNESS))
    import kpe_text

    gold_total = in_text = in_candidates = 0
    total = 0.0
    for doc in docs:
        lang = doc.get("lang", "en")
        gold = set(kpe_text.dedup_norm(doc["keys"], lang))
        text, _lang, scored = extractor._prepare(doc)
        norms = {kpe_text.norm_phrase(s.candidate.text, lang) for s in scored}
        found = gold & norms
        gold_total += len(gold)
        in_text += len(kpe_text.present_keys(sorted(gold), text, lang))
        in_candidates += len(found)
        hits = min(len(found), k)
        p, r = hits / k, (hits / len(gold) if gold else 0.0)
        total += 2 * p * r / (p + r) if p + r else 0.0
    return {
        "gold_in_text": 100 * in_text / max(gold_total, 1),
        "gold_in_candidates": 100 * in_candidates / max(gold_total, 1),
        "oracle_f1": 100 * total / len(docs),
    }


def variant_table(header: str, columns: list[str], variants: list[str], row) -> None:
    """A Markdown table, one row per variant: ``row(name, extractor)`` gives its label
    and cells, computed while the variant's patches are in place."""
    print(f"| {header} | " + " | ".join(columns) + " |")
    print("| --- | " + " | ".join("--:" for _ in columns) + " |")
    for name in variants:
        extractor, context = variant(name)
        with context:
            label, cells = row(name, extractor)
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", default="Inspec-test-uncontr,SemEval2017,WikiNews")
    parser.add_argument("--extra-dir", action="append", type=Path, default=[])
    parser.add_argument("--variant", action="append", default=[])
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--ceiling", action="store_true", help="headroom per data set instead of variants"
    )
    parser.add_argument(
        "--batch-stability",
        action="store_true",
        help="per variant and data set, the share of documents whose keywords change "
        "when the same documents are batched in another order",
    )
    parser.add_argument(
        "--dropped-by-variant",
        action="store_true",
        help="as --dropped, for stricter variants: the candidates the variant drops",
    )
    parser.add_argument(
        "--rates",
        action="store_true",
        help="documents per second per variant and data set instead of F1",
    )
    parser.add_argument(
        "--dropped",
        action="store_true",
        help="per variant (rules switched off) and data set, the candidates the default "
        "drops and how many of them are gold keys",
    )
    args = parser.parse_args()

    from siex.engine import KeywordExtractor

    names = args.datasets.split(",")
    data = {n: load(dataset_path(n, args.extra_dir), args.limit) for n in names}
    if args.ceiling:
        print(f"| data set | gold keys in the text | among candidates | oracle F1@{args.k} |")
        print("| --- | --: | --: | --: |")
        extractor = KeywordExtractor(mode="statistical")  # candidates do not depend on mode
        for name in names:
            c = ceiling(extractor, data[name], args.k)
            print(
                f"| {name} | {c['gold_in_text']:.0f} % | {c['gold_in_candidates']:.0f} % "
                f"| {c['oracle_f1']:.1f} |",
                flush=True,
            )
        return 0
    variants = args.variant or ["default"]
    if args.batch_stability:

        def stability_row(name, extractor):
            shares = [batch_stability(extractor, data[n], args.k) for n in names]
            return f"{name}: keywords / scores", [f"{a:.0f} % / {b:.0f} %" for a, b in shares]

        variant_table("variant", names, variants, stability_row)
        return 0
    if args.dropped or args.dropped_by_variant:
        header = "stricter variant" if args.dropped_by_variant else "rules off"
        print(f"| {header} | " + " | ".join(names) + " |")
        print("| --- | " + " | ".join("--:" for _ in names) + " |")
        for name in args.variant:
            counts, common = dropped(name, data, args.dropped_by_variant)
            cells = " | ".join(f"{counts[n][0]:,} / {counts[n][1]}" for n in names)
            print(f"| {name}: dropped / gold keys among them | {cells} |", flush=True)
            print("most often: " + ", ".join(f'"{p}" ({c})' for p, c in common), flush=True)
        return 0
    if args.rates:

        def rate_row(name, extractor):
            return name, [f"{rate(extractor, data[n], args.k):.1f}" for n in names]

        variant_table("variant: documents per second", names, variants, rate_row)
        return 0

    def f1_row(name, extractor):
        scores = [f1_at(extractor, data[n], args.k)[0] for n in names]
        return name, [f"{s:.1f}" for s in (*scores, sum(scores) / len(scores))]

    variant_table("variant", [*names, "mean"], variants, f1_row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
