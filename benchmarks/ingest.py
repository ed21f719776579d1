"""End-to-end ingest benchmark: a generated site of N pages on loopback, sitemap-driven,
into the warehouse (pages → documents → on-page signals → keywords → daily report).

For each size, a fresh SIEX_HOME is made (`siex init`), the synthetic site
(`benchmarks/synthetic_site.py`) is served by its own process, and `siex ingest
--tenant demo <site>/sitemap.xml --kind sitemap` runs the same Dagster assets the
sensors trigger, in runs of SIEX_MAX_URLS_PER_RUN pages. Measured: wall time, pages
per minute, peak resident memory of the ingest process tree (the process and its
text-extraction workers, sampled from /proc every 0.2 s), and the warehouse rows
written. A second pass over the same site measures a re-crawl of unchanged pages.
The results go between ``<!-- ingest:begin -->`` and ``<!-- ingest:end -->`` in
docs/benchmarks.md.

    .venv/bin/python benchmarks/ingest.py                          # 1,000 … 10,000 pages
    .venv/bin/python benchmarks/ingest.py --sizes 500 --no-doc     # a quick look

Run it on an otherwise idle machine: every figure is a wall-clock measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIEX = REPO / ".venv" / "bin" / "siex"
PYTHON = REPO / ".venv" / "bin" / "python"
MARK_BEGIN, MARK_END = "<!-- ingest:begin -->", "<!-- ingest:end -->"


def tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    family, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in family:
                family.add(child)
                frontier.append(child)
    return sum(rss.get(p, 0) for p in family) / 2**20


def run_measured(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, peak tree RSS (MB) and stdout of a command."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_mb(proc.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} exited {proc.returncode}")
    return time.perf_counter() - started, peak, out


def warehouse_rows(home: Path) -> dict[str, int]:
    code = (
        "import json, sys; from siex.warehouse import Warehouse; con = Warehouse(sys.argv[1]).connect()\n"
        "print(json.dumps({t: con.execute(f'SELECT count(*) FROM {t}').fetchone()[0]"
        " for t in ('pages', 'documents', 'onpage', 'keywords')}))"
    )
    out = subprocess.run(
        [str(PYTHON), "-c", code, str(home / "warehouse")],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def bench_size(pages: int, extra_env: dict) -> dict:
    site = subprocess.Popen(
        [str(PYTHON), str(REPO / "benchmarks" / "synthetic_site.py"), "--pages", str(pages)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        port = int(site.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="siex-ingest-bench-") as tmp:
            env = {**os.environ, "SIEX_HOME": tmp, "SIEX_DEMO_SITE": "0", **extra_env}
            env.pop("SIEX_DATABASE_URL", None)
            subprocess.run([str(SIEX), "init"], env=env, check=True, capture_output=True)
            url = f"http://127.0.0.1:{port}/sitemap.xml"
            cmd = [str(SIEX), "ingest", "--tenant", "demo", url, "--kind", "sitemap"]
            seconds, peak, out = run_measured(cmd, env)
            summary = json.loads(out.strip().splitlines()[-1])
            rows = warehouse_rows(Path(tmp))
            again_s, again_peak, again_out = run_measured(cmd, env)
            again = json.loads(again_out.strip().splitlines()[-1])
    finally:
        site.terminate()
        site.wait()
    result = {
        "pages": pages,
        "seconds": round(seconds, 1),
        "pages_per_minute": round(summary["fetched"] / seconds * 60),
        "peak_mb": round(peak),
        "summary": summary,
        "rows": rows,
        "recrawl_seconds": round(again_s, 1),
        "recrawl_peak_mb": round(again_peak),
        "recrawl_summary": again,
    }
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


def render(results: list[dict], argv: str, extra_env: dict) -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        MARK_BEGIN,
        "## Ingest: a 10,000-page site end to end",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
        f"with `{argv}`; load average after the run {load}."
        + (
            f" Settings: {', '.join(f'`{k}={v}`' for k, v in extra_env.items())}."
            if extra_env
            else ""
        ),
        "",
        "A generated site (`benchmarks/synthetic_site.py`: article pages of 300–900 words on "
        "forty topics, with titles, descriptions, headings, internal links and images; a sitemap "
        "index of 5,000-URL sitemaps) served on loopback by its own process; `siex ingest "
        "--tenant demo <site>/sitemap.xml` runs the ingest assets in-process (pages, documents "
        "with on-page signals, keywords with the semantic engine, the keyword table and the "
        "daily report) in runs of `SIEX_MAX_URLS_PER_RUN` pages. Peak memory: the ingest "
        "process and its text-extraction workers together.",
        "",
        "| pages | wall time | pages/min | peak memory | documents | keyword rows | re-crawl, unchanged | re-crawl pages/min |",
        "| --: | --: | --: | --: | --: | --: | --: | --: |",
    ]
    for r in results:
        again = r["recrawl_summary"]
        lines.append(
            f"| {r['pages']:,} | {r['seconds']:.0f} s | **{r['pages_per_minute']:,}** | {r['peak_mb']} MB "
            f"| {r['rows']['documents']:,} | {r['rows']['keywords']:,} | {r['recrawl_seconds']:.0f} s "
            f"({again['unchanged']:,} unchanged) | {round(again['fetched'] / r['recrawl_seconds'] * 60) if again['fetched'] else '–'} |"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        per_page = [r["seconds"] / r["pages"] * 1000 for r in results]
        lines += [
            "",
            f"From {first['pages']:,} to {last['pages']:,} pages ({last['pages'] / first['pages']:.0f}× as many) the "
            f"wall time grows {last['seconds'] / first['seconds']:.1f}× and peak memory "
            f"{last['peak_mb'] / max(first['peak_mb'], 1):.2f}×; time per page "
            + ", ".join(f"{p:.0f} ms" for p in per_page)
            + ".",
        ]
    errors = {k: v for r in results for k, v in r["summary"]["errors"].items()}
    if errors:
        lines += ["", f"Errors recorded: {json.dumps(errors)}."]
    lines.append(MARK_END)
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    text = path.read_text()
    if MARK_BEGIN not in text:
        text = text.rstrip() + f"\n\n{MARK_BEGIN}\n{MARK_END}\n"
    start, end = text.index(MARK_BEGIN), text.index(MARK_END) + len(MARK_END)
    path.write_text(text[:start] + section + text[end:])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,2500,5000,10000")
    parser.add_argument(
        "--env", action="append", default=[], help="KEY=VALUE for the ingest process"
    )
    parser.add_argument(
        "--no-doc", action="store_true", help="print only, leave docs/benchmarks.md"
    )
    args = parser.parse_args()
    extra_env = dict(e.split("=", 1) for e in args.env)
    results = [bench_size(int(n), extra_env) for n in args.sizes.split(",")]
    argv = "python benchmarks/ingest.py" + (
        f" --sizes {args.sizes}" if args.sizes != "1000,2500,5000,10000" else ""
    )
    argv += "".join(f" --env {e}" for e in args.env)
    section = render(results, argv, extra_env)
    print(section)
    if not args.no_doc:
        write_section(REPO / "docs" / "benchmarks.md", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
