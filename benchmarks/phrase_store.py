"""The on-disk phrase store: what a second process gains from phrases a first one embedded.

`siex extract` (default, semantic mode) runs as a process over a data set of the shared
keyphrase sets in four ways, each timed against the same command with the store off
(SIEX_PHRASE_STORE_ROWS=0) in paired rounds:

- cold: an empty store, so every phrase is embedded and written (the store's cost);
- warm: the store filled by an earlier run over the same documents (a re-run: a
  backfill, a re-materialized asset, the same pages fetched again);
- other half: the store filled from the first half of the set, the run over the second
  half (new documents of the same collection, as a site's new pages are).

A rate is (n − 1) documents in the time a full run takes beyond a one-document run, so
process start and model load cancel out; each round runs every configuration once in
a rotated order and the ratio to "off" is taken round by round (median, with range).
Results go between ``<!-- phrase-store:begin -->`` and ``<!-- phrase-store:end -->`` in
docs/benchmarks.md.

    .venv/bin/python benchmarks/phrase_store.py                  # about 5 minutes
    .venv/bin/python benchmarks/phrase_store.py --rounds 3 --no-doc
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from doc_section import add_doc_options, cpu_model, publish, ratio_cell, rotated

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "kpe"
SIEX = REPO / ".venv" / "bin" / "siex"
MARK_BEGIN, MARK_END = "<!-- phrase-store:begin -->", "<!-- phrase-store:end -->"
STORE = Path("cache") / "phrase-embeddings"


def run_seconds(path: Path, env: dict) -> float:
    started = time.perf_counter()
    with path.open("rb") as stdin:
        subprocess.run(
            [str(SIEX), "extract"], stdin=stdin, stdout=subprocess.DEVNULL, check=True, env=env
        )
    return time.perf_counter() - started


def home_env(home: Path, rows: int = 200_000) -> dict:
    return {**os.environ, "SIEX_HOME": str(home), "SIEX_PHRASE_STORE_ROWS": str(rows)}


def store_size(home: Path) -> tuple[int, int]:
    """Rows and bytes (database and write-ahead log) of the store under ``home``."""
    import sqlite3

    files = list((home / STORE).glob("*.sqlite*"))
    db = next(f for f in files if f.suffix == ".sqlite")
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT COUNT(*) FROM phrases").fetchone()[0]
    return rows, sum(f.stat().st_size for f in files)


def measure(dataset: Path, work: Path, rounds: int) -> dict:
    lines = dataset.read_bytes().splitlines(keepends=True)
    half = len(lines) // 2
    files = {}
    for name, part in (("all", lines), ("first", lines[:1]), ("half1", lines[:half])):
        files[name] = work / f"{dataset.stem}.{name}.jsonl"
        files[name].write_bytes(b"".join(part))
    files["half2"] = work / f"{dataset.stem}.half2.jsonl"
    files["half2"].write_bytes(b"".join(lines[half:]))
    files["half2-first"] = work / f"{dataset.stem}.half2-first.jsonl"
    files["half2-first"].write_bytes(lines[half])

    off = home_env(work / "home-off", rows=0)
    warm_home, half_home = work / "home-warm", work / "home-half"
    run_seconds(files["all"], home_env(warm_home))  # fills the store with every phrase
    run_seconds(files["half1"], home_env(half_home))  # fills it with the first half's
    run_seconds(files["half2"], home_env(work / "home-half2"))  # the second half's own phrases
    warm_rows, warm_bytes = store_size(warm_home)
    half_rows, _ = store_size(half_home)
    half2_rows, _ = store_size(work / "home-half2")
    # Timed runs add phrases of the other half; a copy is restored before each run.
    half_seed = work / "home-half-seed"
    shutil.copytree(half_home, half_seed)

    def fresh_cold() -> dict:
        return home_env(Path(tempfile.mkdtemp(dir=work, prefix="home-cold-")))

    def fresh_half() -> dict:
        shutil.rmtree(half_home)
        shutil.copytree(half_seed, half_home)
        return home_env(half_home)

    def steady(full: Path, first: Path, env_of) -> float:
        return max(run_seconds(full, env_of()) - run_seconds(first, env_of()), 1e-9)

    configs = {
        "off": (files["all"], files["first"], lambda: off),
        "cold": (files["all"], files["first"], fresh_cold),
        "warm": (files["all"], files["first"], lambda: home_env(warm_home)),
        "off, second half": (files["half2"], files["half2-first"], lambda: off),
        "other half": (files["half2"], files["half2-first"], fresh_half),
    }
    run_seconds(files["first"], off)  # page cache and the model's export
    steady_docs = {"all": len(lines) - 1, "half2": len(lines) - half - 1}
    rates: dict[str, list[float]] = {name: [] for name in configs}
    names = list(configs)
    for r in range(rounds):
        for name in rotated(names, r):
            full, first, env_of = configs[name]
            n = steady_docs[full.stem.rsplit(".", 1)[1]]
            rates[name].append(n / steady(full, first, env_of))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in rates.items()))
    return {
        "docs": len(lines),
        "rates": rates,
        "warm_rows": warm_rows,
        "warm_bytes": warm_bytes,
        "half_rows": half_rows,
        "shared_rows": half_rows + half2_rows - warm_rows,
        "half2_rows": half2_rows,
    }


def render(results: dict[str, dict], argv: str) -> str:
    out = [
        MARK_BEGIN,
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"({cpu_model()}), "
        f"Python {platform.python_version()}, with `{argv}`.",
        "",
        "| data set | store | docs/s | ÷ store off (rounds' range) |",
        "| --- | --- | --: | --: |",
    ]
    for ds, res in results.items():
        rates = res["rates"]
        for name, anchor in (
            ("off", None),
            ("cold", "off"),
            ("warm", "off"),
            ("off, second half", None),
            ("other half", "off, second half"),
        ):
            rate = statistics.median(rates[name])
            if anchor is None:
                cell = "1.00×"
            else:
                rs = [a / b for a, b in zip(rates[name], rates[anchor], strict=True)]
                cell = ratio_cell(rs, bold=True)
            out.append(f"| {ds} ({res['docs']} docs) | {name} | {rate:.1f} | {cell} |")
    out.append("")
    for ds, res in results.items():
        per = res["warm_bytes"] / max(res["warm_rows"], 1)
        out.append(
            f"{ds}: the store of the whole set holds {res['warm_rows']:,} phrases in "
            f"{res['warm_bytes'] / 1e6:.1f} MB ({per:,.0f} bytes a phrase); of the second "
            f"half's {res['half2_rows']:,} phrases, {res['shared_rows']:,} "
            f"({100 * res['shared_rows'] / max(res['half2_rows'], 1):.0f} %) are in the first "
            f"half's store."
        )
    out.append(MARK_END)
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", default="Inspec-test-uncontr,SemEval2017")
    parser.add_argument("--rounds", type=int, default=5)
    add_doc_options(parser)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="siex-phrase-store-") as tmp:
        for name in args.datasets.split(","):
            print(f"== {name}", file=sys.stderr)
            work = Path(tmp) / name
            work.mkdir()
            results[name] = measure(DATA / f"{name}.jsonl", work, args.rounds)
    argv = "python benchmarks/phrase_store.py " + " ".join(sys.argv[1:])
    block = render(results, argv.strip())
    publish(block, args, MARK_BEGIN, MARK_END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
