"""How the model is quantized: speed, closeness to the float model, batch independence.

For MiniLM cut to its first layer (keyword re-ranking) and with all six layers (the
reports' embeddings), each export — float32, int8 with ranges measured per batch
(dynamic) and int8 with ranges fixed at export (static) — encodes the candidate
phrases (the statistical ranking's 30 best per document, 32 word pieces) and the
documents (64 word pieces) of a shared keyphrase set, as the engine does:

- texts/s: phrases and documents together, median of paired rounds (each round runs
  every export once, in a rotated order), and the ratio to dynamic round by round;
- cosine to float32: mean and minimum over the phrases and over the documents;
- batch independence: the share of phrases whose vector differs by a single bit
  between their batch and being encoded alone;
- the engine end to end: ``KeywordExtractor`` (semantic, batches of 32, phrase cache
  emptied before each run) over the same documents with each export of the one-layer
  model, in paired rounds, as documents per second and the ratio to dynamic.

Results go between ``<!-- quantization:begin -->`` and ``<!-- quantization:end -->``
in docs/benchmarks.md.

    .venv/bin/python benchmarks/quantization.py              # about 3 minutes
    .venv/bin/python benchmarks/quantization.py --rounds 3 --no-doc
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from doc_section import add_doc_options, cpu_model, publish, ratio_cell, rotated

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "kpe"
MARK_BEGIN, MARK_END = "<!-- quantization:begin -->", "<!-- quantization:end -->"
QUANTIZATIONS = (None, "dynamic", "static")


def workload(path: Path, limit: int) -> tuple[list[str], list[dict]]:
    """Candidate phrases (30 best per document, statistical ranking) and the documents."""
    from siex.engine import KeywordExtractor

    extractor = KeywordExtractor(mode="statistical")
    docs = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()][:limit]
    phrases: list[str] = []
    for doc in docs:
        phrases += [s.candidate.text for s in extractor._prepare(doc)[2][:30]]
    return phrases, docs


def measure(layers: int | None, phrases: list[str], texts: list[str], rounds: int) -> dict:
    from siex.engine.onnx_encoder import OnnxEncoder
    from siex.engine.semantic import PHRASE_TOKENS, default_model_path

    model = default_model_path().resolve()
    encoders = {q: OnnxEncoder(model, quantize=q, layers=layers) for q in QUANTIZATIONS}
    reference = encoders[None]
    float_phrases = reference.encode(phrases, PHRASE_TOKENS)
    float_docs = reference.encode(texts, 64)
    seconds: dict = {q: [] for q in QUANTIZATIONS}
    for r in range(rounds):
        for q in rotated(QUANTIZATIONS, r):
            started = time.perf_counter()
            encoders[q].encode(phrases, PHRASE_TOKENS)
            encoders[q].encode(texts, 64)
            seconds[q].append(time.perf_counter() - started)
    out = {}
    sample = phrases[:500]
    for q, encoder in encoders.items():
        vectors = encoder.encode(phrases, PHRASE_TOKENS)
        docs = encoder.encode(texts, 64)
        alone = np.vstack([encoder.encode([p], PHRASE_TOKENS) for p in sample])
        cos_phrases = np.sum(vectors * float_phrases, axis=1)
        cos_docs = np.sum(docs * float_docs, axis=1)
        out[q] = {
            "rate": statistics.median((len(phrases) + len(texts)) / s for s in seconds[q]),
            "vs_dynamic": [d / s for s, d in zip(seconds[q], seconds["dynamic"], strict=True)],
            "cos_phrases": (float(cos_phrases.mean()), float(cos_phrases.min())),
            "cos_docs": (float(cos_docs.mean()), float(cos_docs.min())),
            "batch_dependent": float(np.mean(np.any(alone != vectors[: len(sample)], axis=1))),
            "megabytes": encoder.onnx_path.stat().st_size / 1e6,
        }
    return out


def measure_engine(docs: list[dict], rounds: int) -> dict:
    """Documents per second of the default engine with each export of its model."""
    from siex.engine import KeywordExtractor, semantic
    from siex.engine import extractor as engine
    from siex.engine.onnx_encoder import OnnxEncoder

    encoders = {
        q: OnnxEncoder(semantic.default_model_path().resolve(), quantize=q, layers=1)
        for q in QUANTIZATIONS
    }
    saved = semantic.shared_encoder
    seconds: dict = {q: [] for q in QUANTIZATIONS}
    try:
        for r in range(rounds + 1):  # round 0 warms up
            for q in rotated(QUANTIZATIONS, r):
                semantic.shared_encoder = lambda *_args, q=q: encoders[q]
                engine.shared_ranker.cache_clear()  # an empty phrase cache
                extractor = KeywordExtractor()
                started = time.perf_counter()
                for _ in extractor.extract_stream(docs, top_k=10, batch_size=32):
                    pass
                if r:
                    seconds[q].append(time.perf_counter() - started)
    finally:
        semantic.shared_encoder = saved
        engine.shared_ranker.cache_clear()
    return {
        q: {
            "rate": statistics.median(len(docs) / s for s in seconds[q]),
            "vs_dynamic": [d / s for s, d in zip(seconds[q], seconds["dynamic"], strict=True)],
        }
        for q in QUANTIZATIONS
    }


def render(
    results: dict, engine: dict, dataset: str, n_phrases: int, n_docs: int, argv: str
) -> str:
    out = [
        MARK_BEGIN,
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"({cpu_model()}), Python {platform.python_version()}, with `{argv}`: "
        f"{dataset}, {n_phrases:,} candidate phrases and {n_docs} documents.",
        "",
        "| model | export | file MB | texts/s | ÷ dynamic (rounds' range) "
        "| cosine to float32, phrases: mean / min | documents: mean / min "
        "| phrases whose vector depends on the batch |",
        "| --- | --- | --: | --: | --: | --: | --: | --: |",
    ]
    for layers, by_q in results.items():
        model = "MiniLM, first layer (re-ranking)" if layers else "MiniLM, six layers (reports)"
        for q, m in by_q.items():
            export = f"int8, {q}" if q else "float32"
            out.append(
                f"| {model} | {export} | {m['megabytes']:.1f} | {m['rate']:,.0f} "
                f"| {ratio_cell(m['vs_dynamic'])} | {m['cos_phrases'][0]:.3f} / {m['cos_phrases'][1]:.3f} "
                f"| {m['cos_docs'][0]:.3f} / {m['cos_docs'][1]:.3f} "
                f"| {100 * m['batch_dependent']:.0f} % |"
            )
    out += [
        "",
        f"The engine end to end (semantic mode, {n_docs} documents, batches of 32, the "
        "phrase cache emptied before each run):",
        "",
        "| re-ranking model | docs/s | ÷ dynamic (rounds' range) |",
        "| --- | --: | --: |",
    ]
    for q, m in engine.items():
        export = f"int8, {q}" if q else "float32"
        out.append(f"| {export} | {m['rate']:,.0f} | {ratio_cell(m['vs_dynamic'])} |")
    out.append(MARK_END)
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", default="Inspec-test-uncontr")
    parser.add_argument("--limit", type=int, default=300, help="documents of the data set")
    parser.add_argument("--rounds", type=int, default=5)
    add_doc_options(parser)
    args = parser.parse_args()
    phrases, docs = workload(DATA / f"{args.dataset}.jsonl", args.limit)
    texts = [d["text"] for d in docs]
    results = {}
    for layers in (1, None):
        print(f"== layers {layers or 'all'}", file=sys.stderr)
        results[layers] = measure(layers, phrases, texts, args.rounds)
    print("== engine", file=sys.stderr)
    engine = measure_engine(docs, args.rounds)
    argv = "python benchmarks/quantization.py " + " ".join(sys.argv[1:])
    block = render(results, engine, args.dataset, len(phrases), len(texts), argv.strip())
    publish(block, args, MARK_BEGIN, MARK_END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
