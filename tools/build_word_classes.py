"""Build ``siex/engine/data/word_classes.tsv.gz``: the word forms that Universal
Dependencies treebanks tag only as verbs, adjectives or adverbs, for the plan's
languages other than English (English has LemmInflect's lexicon).

    python tools/build_word_classes.py <folder of .conllu files> [--out PATH]

The folder holds the treebanks' CoNLL-U files as released (``sv_talbanken-ud-dev.conllu``
...); TREEBANKS below says which file prefixes make each language's table. A form
enters the table only when no occurrence of it is tagged as a noun, name, number or
function word, and it was seen at least ``MIN_COUNT`` times: a form seen once as a
verb is as often a noun the treebank happened not to show ("ruota", wheel).
Participles count as adjectives ("datos estructurados"). The data are CC BY-SA 4.0
(CC BY 4.0 for Finnish FTB, CC BY-SA 3.0 for the PUD treebanks): treebanks and
licences in ``siex/engine/data/README.md``.
"""

from __future__ import annotations

import argparse
import collections
import gzip
from pathlib import Path

# language -> file-name prefixes of the treebanks used (licences in the data README)
TREEBANKS = {
    "da": ("da_ddt",),
    "es": ("es_gsd", "es_pud"),
    "fi": ("fi_tdt", "fi_ftb", "fi_pud"),
    "fr": ("fr_gsd", "fr_pud"),
    "it": ("it_parlamint", "it_pud"),
    "nl": ("nl_alpino",),
    "no": ("no_bokmaal",),
    "pt": ("pt_bosque", "pt_gsd", "pt_pud"),
    "sv": ("sv_talbanken", "sv_pud"),
}
MIN_COUNT = 2
FUNCTION_TAGS = {"ADP", "DET", "PRON", "CCONJ", "SCONJ", "PART", "INTJ", "NUM"}


def word_class(upos: str, feats: str) -> str | None:
    """V verb (finite, infinitive, gerund), A adjective or participle, R adverb,
    N anything a keyword may be or hold (noun, name, number, function word)."""
    if upos in ("VERB", "AUX"):
        return "A" if "VerbForm=Part" in feats else "V"
    if upos == "ADJ":
        return "A"
    if upos == "ADV":
        return "R"
    if upos in ("NOUN", "PROPN") or upos in FUNCTION_TAGS:
        return "N"
    return None  # punctuation, symbols, foreign words: say nothing


def classes_by_form(files: list[Path]) -> dict[str, collections.Counter]:
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for path in files:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("#") or not line.strip():
                    continue
                cols = line.rstrip("\n").split("\t")
                if len(cols) < 6 or not cols[0].isdigit():
                    continue  # multiword-token ranges and empty nodes
                cls = word_class(cols[3], cols[5])
                if cls:
                    counts[cols[1].lower()][cls] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "siex/engine/data/word_classes.tsv.gz",
    )
    args = parser.parse_args()
    rows = []
    for lang, prefixes in sorted(TREEBANKS.items()):
        files = sorted(p for p in args.folder.glob("*.conllu") if p.name.startswith(prefixes))
        if not files:
            raise SystemExit(f"no treebank for {lang} in {args.folder} ({', '.join(prefixes)})")
        counts = classes_by_form(files)
        kept = 0
        for form, seen in sorted(counts.items()):
            if "N" in seen or sum(seen.values()) < MIN_COUNT or not form.isalpha():
                continue
            rows.append(f"{lang}\t{form}\t{''.join(sorted(seen))}\n")
            kept += 1
        print(f"{lang}: {len(files)} files, {len(counts)} forms, {kept} kept")
    # no name, mtime 0: the same treebanks give the same bytes wherever it is written
    with open(args.out, "wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as out:
        out.write("".join(rows).encode("utf-8"))
    print(f"{len(rows)} forms -> {args.out}")


if __name__ == "__main__":
    main()
