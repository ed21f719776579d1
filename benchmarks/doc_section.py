"""What every benchmark script shares: the machine's CPU model for its heading, the order
and the ratio cell of paired rounds, and the section of docs/benchmarks.md between its markers,
rewritten in place (``--doc`` / ``--no-doc``)."""

from __future__ import annotations

import argparse
import platform
import re
import statistics
from collections.abc import Sequence
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def add_doc_options(parser: argparse.ArgumentParser) -> None:
    """``--doc``: the file a script's section goes to; ``--no-doc``: print it only."""
    parser.add_argument("--doc", default=str(DOC))
    parser.add_argument("--no-doc", action="store_true", help="print, leave the doc alone")


def publish(section: str, args: argparse.Namespace, begin: str, end: str) -> None:
    """Print a script's section and, unless ``--no-doc``, write it into ``--doc``."""
    print(section)
    if not args.no_doc:
        write_section(args.doc, begin, end, section)


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        return re.search(r"model name\s*:\s*(.+)", text).group(1).strip()
    except (OSError, AttributeError):
        return platform.processor() or "unknown"


def rotated(items: Sequence, round_: int) -> list:
    """``items`` in round ``round_``'s order: each round starts one further along, so no
    variant always runs first (after a warm-up) or last (beside a slowing machine)."""
    k = round_ % len(items)
    return [*items[k:], *items[:k]]


def ratio_cell(ratios: Sequence[float], bold: bool = False) -> str:
    """Paired rounds' ratios as a table cell: the median, then the range ("1.05× (0.99–1.22)")."""
    mid = f"{statistics.median(ratios):.2f}×"
    return f"{f'**{mid}**' if bold else mid} ({min(ratios):.2f}–{max(ratios):.2f})"


def write_section(path: str | Path, begin: str, end: str, section: str) -> None:
    """Replace the text from ``begin`` to ``end`` (``section`` carries both markers); add
    the markers at the end of the doc, or start the doc, when they are not there yet."""
    doc = Path(path)
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    if begin not in text:
        text = text.rstrip("\n") + f"\n\n{begin}\n{end}\n"
    start, stop = text.index(begin), text.index(end) + len(end)
    doc.write_text(text[:start] + section + text[stop:])
