"""Would a learned ranker beat the engine's blend across genres? The study behind the
"learned ranker" table of docs/benchmarks.md.

For every document, the engine's statistical ranking picks its 50 best candidates;
each gets 20 features read from the candidate (counts, positions, spread, length,
rarity, capitals, stand-alone use, the statistical rank) and, where the semantic model
applies, 4 more from its similarity to the document. A model is trained on every data
set but one and scores that one (leave one data set out), so no figure comes from a
set the model saw; the shared test sets (Inspec test split, SemEval2017, WikiNews) are
never trained on. Scoring is the harness's (``kpe_text``), folding the engine's.

    .venv/bin/python benchmarks/kpe_ranker_study.py --extra-dir /data/kpe-extra \\
        --inspec-all /data/kpe-extra/Inspec.jsonl --limit 300

``--extra-dir`` holds the LIAAD sets converted by ``benchmarks/liaad_to_jsonl.py``;
``--inspec-all`` the whole LIAAD Inspec, whose non-test abstracts are training data.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kpe_ablation import HARNESS, dataset_path, load

SHARED = ("Inspec-test-uncontr", "SemEval2017", "WikiNews")
EXTRA = ("500N-KPCrowd-v1.1", "citeulike180", "kdd", "110-PT-BN-KP", "pak2018", "Nguyen2007",
         "SemEval2010", "fao30", "theses100", "wiki20", "www")  # fmt: skip
DEPTH = 50  # candidates per document the ranker sees


def candidate_features(prepared, kit) -> np.ndarray:
    """The 20 statistical features of a document's ``DEPTH`` best candidates."""
    _text, _lang, scored = prepared
    head = scored[:DEPTH]
    tokens = max(s.candidate.last_position for s in scored) + 1
    sentences = max(s.candidate.first_sentence for s in scored) + 1
    single = {s.candidate.stems[0]: s.candidate.count for s in scored if s.candidate.content == 1}
    best = head[0].score or 1.0
    rows = []
    for rank, s in enumerate(head):
        c, n = s.candidate, s.candidate.content
        rarity = [kit.rarity(w) for w in c.words]
        rows.append([
            math.log1p(rank), s.score / best, math.log1p(c.count), float(c.count == 1),
            c.alone / c.count, c.capitalized / c.count,
            float(n == 1), float(n == 2), float(n == 3), float(n >= 4),
            c.first_position / tokens, math.log1p(c.first_position),
            float(c.first_sentence == 0), c.first_sentence / sentences,
            (c.last_position - c.first_position) / tokens,
            max(rarity), sum(rarity) / len(rarity), min(rarity),
            sum(math.log1p(single.get(st, 0)) for st in c.stems) / n, math.log(tokens + 1),
        ])  # fmt: skip
    return np.array(rows, dtype=np.float32)


def semantic_features(sim: np.ndarray) -> np.ndarray:
    rank = np.argsort(np.argsort(-sim))
    return np.column_stack([sim, sim - sim.max(), (sim - sim.mean()) / (sim.std() + 1e-6),
                            np.log1p(rank)])  # fmt: skip


def corpus_frequencies(docs: list[dict], max_words: int = 4) -> dict[str, int]:
    """Documents of ``docs`` holding each candidate key: the data set as corpus."""
    from collections import Counter

    from siex.engine.candidates import find_candidates, tokenize
    from siex.engine.languages import language_kit

    counts: Counter = Counter()
    for doc in docs:
        kit = language_kit(doc.get("lang", "en"))
        counts.update(" ".join(k) for k in find_candidates(tokenize(doc["text"], kit), max_words))
    return counts


def build(name: str, docs: list[dict], extractor, kpe_text, corpus=None) -> list[dict]:
    """Features, labels and what scoring needs, per document; with ``corpus`` (all the
    set's documents), three more from how many of them hold each candidate."""
    from siex.engine.languages import language_kit

    df = corpus_frequencies(corpus) if corpus else None

    ranker = extractor.ranker()
    prepared = [extractor._prepare(d) for d in docs]
    semantic = [i for i, (_t, lang, sc) in enumerate(prepared) if sc and ranker.supports(lang)]
    sims = {}
    for a in range(0, len(semantic), 32):
        chunk = semantic[a : a + 32]
        found = ranker.similarities(
            [prepared[i][0] for i in chunk],
            [[s.candidate.text for s in prepared[i][2][:DEPTH]] for i in chunk],
        )
        sims.update(zip(chunk, found, strict=True))
    records = []
    for i, (doc, prep) in enumerate(zip(docs, prepared, strict=True)):
        lang, scored = prep[1], prep[2]
        gold = set(kpe_text.dedup_norm(doc["keys"], lang))
        if not scored:
            records.append({"lang": lang, "gold": gold, "scored": []})
            continue
        head = scored[:DEPTH]
        stat = candidate_features(prep, language_kit(lang))
        if df is not None:
            held = np.array([df.get(s.candidate.key, 0) for s in head], dtype=np.float32)
            n = len(corpus)
            stat = np.hstack([stat, np.column_stack(
                [np.log1p(held), held / n, np.log((1 + n) / (1 + held)) + 1])])  # fmt: skip
        labels = np.array([kpe_text.norm_phrase(s.candidate.text, lang) in gold for s in head])
        sim = sims.get(i)
        records.append({
            "lang": lang, "gold": gold, "scored": scored, "y": labels.astype(np.int8),
            "X": stat, "Xs": np.hstack([stat, semantic_features(sim)]) if sim is not None else None,
            "sim": sim,
        })  # fmt: skip
    print(f"{name}: {len(records)} documents", file=sys.stderr, flush=True)
    return records


def fit(sets: dict[str, list[dict]], names: list[str], semantic: bool, kind: str):
    """A model over the named sets, each set weighing the same, each document the same."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    key = "Xs" if semantic else "X"
    xs, ys, ws = [], [], []
    for name in names:
        usable = [r for r in sets[name] if r["scored"] and r[key] is not None]
        for r in usable:
            xs.append(r[key])
            ys.append(r["y"])
            ws.append(np.full(len(r["y"]), 1.0 / len(r["y"]) / len(usable)))
    x, y, w = np.vstack(xs), np.concatenate(ys), np.concatenate(ws)
    w *= len(w) / w.sum()
    if kind == "logistic":
        scaler = StandardScaler().fit(x)
        model = LogisticRegression(max_iter=3000).fit(scaler.transform(x), y, sample_weight=w)
        return lambda z: model.decision_function(scaler.transform(z))
    model = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
        l2_regularization=1.0,
    ).fit(x, y, sample_weight=w)  # fmt: skip
    return model.decision_function


def f1_of(record: dict, scores, kpe_text, k: int = 10) -> float:
    from siex.engine.extractor import KeywordExtractor, Scored

    head = record["scored"][:DEPTH]
    ranked = sorted(
        (Scored(s.candidate, float(v)) for s, v in zip(head, scores, strict=True)),
        key=lambda s: (-s.score, s.candidate.first_position),
    )
    floor = ranked[-1].score
    tail = [Scored(s.candidate, floor - 1 - i) for i, s in enumerate(record["scored"][DEPTH:])]
    keywords = KeywordExtractor.finish(ranked + tail, k)
    preds = kpe_text.dedup_norm([kw.text for kw in keywords], record["lang"])[:k]
    hits = sum(p in record["gold"] for p in preds)
    p, r = hits / k, (hits / len(record["gold"]) if record["gold"] else 0.0)
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--extra-dir", type=Path, required=True)
    parser.add_argument("--inspec-all", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--train-inspec", type=int, default=600)
    parser.add_argument("--kind", choices=["trees", "logistic"], default="trees")
    parser.add_argument(
        "--corpus-df", action="store_true", help="add document frequencies in the whole set"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(HARNESS))
    import kpe_text

    from siex.engine import KeywordExtractor

    extractor = KeywordExtractor()
    test_ids = {d["id"] for d in load(dataset_path("Inspec-test-uncontr", []), None)}
    train_inspec = [d for d in load(args.inspec_all, None) if d["id"] not in test_ids]
    sets = {"Inspec-train": build("Inspec-train", train_inspec[: args.train_inspec], extractor,
                                  kpe_text, train_inspec if args.corpus_df else None)}  # fmt: skip
    for name in (*SHARED, *EXTRA):
        everything = load(dataset_path(name, [args.extra_dir]), None)
        sets[name] = build(name, everything[: args.limit], extractor, kpe_text,
                           everything if args.corpus_df else None)  # fmt: skip
    pool = [n for n in sets if n not in SHARED]
    print(f"| set | engine blend | {args.kind}, statistical features | {args.kind}, all features |")
    print("| --- | --: | --: | --: |")
    for name in (*SHARED, *EXTRA):
        train = [n for n in pool if n != name]
        plain, full = fit(sets, train, False, args.kind), fit(sets, train, True, args.kind)
        blend, stat, both = [], [], []
        for r in sets[name]:
            if not r["scored"]:
                blend.append(0.0), stat.append(0.0), both.append(0.0)
                continue
            head = r["scored"][:DEPTH]
            best = head[0].score or 1.0
            mixed = (
                [0.2 * s.score / best + 0.8 * float(x) for s, x in zip(head, r["sim"], strict=True)]
                if r["sim"] is not None
                else [s.score for s in head]
            )
            blend.append(f1_of(r, mixed, kpe_text))
            stat.append(f1_of(r, plain(r["X"]), kpe_text))
            both.append(f1_of(r, full(r["Xs"]) if r["Xs"] is not None else plain(r["X"]), kpe_text))
        cells = [100 * sum(v) / len(v) for v in (blend, stat, both)]
        print(f"| {name} | " + " | ".join(f"{c:.1f}" for c in cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
