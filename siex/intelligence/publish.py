"""Writing a report: warehouse rows, Markdown with charts, JSON, and an index row.

Files go to ``<reports_dir>/<tenant>/<day>/<kind>.md`` (charts beside it as PNG, linked
relatively, so the folder can be copied or served as it is) and ``<kind>.json``.
For the Dagster UI the same Markdown is returned with the charts inlined as data
URIs, which its Markdown viewer shows.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from siex.warehouse import SCHEMAS, Warehouse, check_date, check_tenant

KIND = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def counted(n: int, noun: str, bold: bool = True) -> str:
    """A count and its noun for a report's sentence: "**1** conflict", "**2** conflicts"."""
    number = f"**{n}**" if bold else str(n)
    return f"{number} {noun}" + ("" if n == 1 else "s")


@dataclass
class Chart:
    """One PNG of a report: ``name`` becomes part of its file name."""

    name: str
    title: str
    png: bytes


@dataclass
class Report:
    """What a report builder returns.

    ``markdown`` may reference charts as ``{chart:<name>}``; publishing replaces each
    with an image link (a relative file in the Markdown file, a data URI in Dagster).
    """

    kind: str
    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    markdown: str
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Published:
    kind: str
    rows: int
    summary: dict[str, Any]
    markdown_path: Path
    json_path: Path
    chart_paths: list[Path]
    ui_markdown: str  # charts inlined, for asset metadata


def table_of(kind: str) -> str:
    return f"report_{kind}"


def publish(
    warehouse: Warehouse, reports_dir: Path, tenant: str, day: str, report: Report
) -> Published:
    """Store ``report`` for ``tenant`` and ``day``, replacing an earlier one of that day."""
    check_tenant(tenant), check_date(day)
    if not KIND.match(report.kind) or table_of(report.kind) not in SCHEMAS:
        raise KeyError(
            f"unknown report kind {report.kind!r}: add its table to siex.intelligence.tables"
        )
    warehouse.write(table_of(report.kind), tenant, day, report.rows)

    folder = Path(reports_dir) / tenant / day
    folder.mkdir(parents=True, exist_ok=True)
    chart_paths = []
    for chart in report.charts:
        path = folder / f"{report.kind}-{chart.name}.png"
        path.write_bytes(chart.png)
        chart_paths.append(path)
    by_name = {c.name: (c, p) for c, p in zip(report.charts, chart_paths, strict=True)}

    def link(inline: bool):
        def replace(match: re.Match) -> str:
            chart, path = by_name[match.group(1)]
            target = (
                f"data:image/png;base64,{base64.b64encode(chart.png).decode()}"
                if inline
                else path.name
            )
            return f"![{chart.title}]({target})"

        return replace

    pattern = re.compile(r"\{chart:([a-z0-9_-]+)\}")
    markdown_path, json_path = folder / f"{report.kind}.md", folder / f"{report.kind}.json"
    markdown_path.write_text(pattern.sub(link(False), report.markdown), encoding="utf-8")
    generated_at = datetime.now(UTC)
    document = {
        "kind": report.kind,
        "tenant": tenant,
        "date": day,
        "generated_at": generated_at.isoformat(),
        "summary": report.summary,
        "rows": report.rows,
        "charts": [p.name for p in chart_paths],
    }
    json_path.write_text(
        json.dumps(document, indent=2, ensure_ascii=False, default=_json_default), encoding="utf-8"
    )
    warehouse.write(
        "report_index",
        tenant,
        day,
        [
            {
                "kind": report.kind,
                "generated_at": generated_at,
                "rows": len(report.rows),
                "summary": json.dumps(report.summary, default=_json_default),
                "markdown_path": str(markdown_path),
                "json_path": str(json_path),
                "charts": json.dumps([str(p) for p in chart_paths]),
            }
        ],
        part=report.kind,
    )
    return Published(
        kind=report.kind,
        rows=len(report.rows),
        summary=report.summary,
        markdown_path=markdown_path,
        json_path=json_path,
        chart_paths=chart_paths,
        ui_markdown=pattern.sub(link(True), report.markdown),
    )


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
