"""Small helpers for what assets show in the Dagster UI."""

from __future__ import annotations


def failures_markdown(failures: list[dict], limit: int = 50) -> str:
    if not failures:
        return "No failures."
    lines = ["| stage | reason | url | detail |", "| --- | --- | --- | --- |"]
    for f in failures[:limit]:
        detail = (f.get("detail") or "").replace("|", "/").replace("\n", " ")[:120]
        lines.append(f"| {f['stage']} | {f['reason']} | {f['url']} | {detail} |")
    if len(failures) > limit:
        lines.append(f"| … | … | {len(failures) - limit} more | |")
    return "\n".join(lines)
