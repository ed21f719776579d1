"""The reports' page vectors: one text per model call against batches, speed and sameness.

The reports' embedder (all six layers of MiniLM, dynamic int8, up to 256 word pieces)
stores one vector per page version and compares it for months with vectors that other
runs produced. Dynamic int8 measures its ranges on each call's batch, so a page embedded
in a batch gets a vector that depends on the pages beside it; embedded alone, it gets
the same vector in any run. This script measures what that costs: the shared sets'
documents (SemEval2017 paragraphs, WikiNews articles; first 256 word pieces) embedded
in batches of 32, 8 and 1, in paired rounds (each round runs every batch size once, in
a rotated order), as documents per second, the ratio to batches of 32 round by round,
and the share of documents whose vector differs by a single bit from the one it gets
alone.

Results go between ``<!-- report-embeddings:begin -->`` and
``<!-- report-embeddings:end -->`` in docs/benchmarks.md.

    .venv/bin/python benchmarks/report_embeddings.py            # about 2 minutes
    .venv/bin/python benchmarks/report_embeddings.py --rounds 2 --no-doc
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from doc_section import add_doc_options, cpu_model, publish, ratio_cell, rotated

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "kpe"
MARK_BEGIN, MARK_END = "<!-- report-embeddings:begin -->", "<!-- report-embeddings:end -->"
BATCH_SIZES = (32, 8, 1)


def measure(texts: list[str], rounds: int) -> dict[int, dict]:
    from siex.intelligence.embeddings import DOCUMENT_TOKENS, Embedder

    encoder = Embedder().encoder
    encoder.encode(texts[:8], DOCUMENT_TOKENS, 8)  # load and warm up
    alone = np.stack([encoder.encode([t], DOCUMENT_TOKENS, 1)[0] for t in texts])
    rates: dict[int, list[float]] = {b: [] for b in BATCH_SIZES}
    vectors: dict[int, np.ndarray] = {}
    for r in range(rounds):
        for size in rotated(BATCH_SIZES, r):
            started = time.perf_counter()
            vectors[size] = encoder.encode(texts, DOCUMENT_TOKENS, size)
            rates[size].append(len(texts) / (time.perf_counter() - started))
    return {
        size: {
            "rate": statistics.median(rates[size]),
            "ratios": [a / b for a, b in zip(rates[size], rates[32], strict=True)],
            "moved": float(np.mean(np.any(vectors[size] != alone, axis=1))),
        }
        for size in BATCH_SIZES
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="SemEval2017,WikiNews")
    parser.add_argument("--rounds", type=int, default=3)
    add_doc_options(parser)
    args = parser.parse_args()
    started = datetime.now(UTC)
    lines = [
        MARK_BEGIN,
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {cpu_model()}, Python "
        f"{platform.python_version()}, with `python benchmarks/report_embeddings.py "
        f"--rounds {args.rounds}`.",
        "",
        "| data set | batch | pages/s | ÷ batches of 32 (rounds' range) | vectors unlike alone |",
        "| --- | --: | --: | --: | --: |",
    ]
    for name in args.datasets.split(","):
        path = DATA / f"{name}.jsonl"
        texts = [json.loads(line)["text"] for line in path.open(encoding="utf-8") if line.strip()]
        for size, row in measure(texts, args.rounds).items():
            lines.append(
                f"| {name} ({len(texts)} documents) | {size} | {row['rate']:.0f} | "
                f"{ratio_cell(row['ratios'], bold=size == 1)} | {100 * row['moved']:.0f} % |"
            )
    lines.append(MARK_END)
    publish("\n".join(lines), args, MARK_BEGIN, MARK_END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
