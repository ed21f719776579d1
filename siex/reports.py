"""The daily SEO report per tenant: top keywords, new keywords since the day before,
documents seen and what failed. Written as Markdown + JSON + a PNG chart."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from siex.warehouse import Warehouse, check_date, check_tenant

TOP_N = 20


def build_daily_report(warehouse: Warehouse, reports_dir: Path, tenant: str, day: str) -> dict:
    """Compute the report from the warehouse, write its files, return its summary row."""
    check_tenant(tenant), check_date(day)
    previous_day = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    con = warehouse.connect(tenant)
    try:
        top = con.execute(
            """SELECT keyword, documents, round(score_sum::DOUBLE, 3) AS score, example_url
               FROM keyword_stats WHERE date = ?::DATE
               ORDER BY documents DESC, score_sum DESC, keyword LIMIT ?""",
            [day, TOP_N],
        ).fetchall()
        new = con.execute(
            """SELECT keyword, documents FROM keyword_stats t WHERE date = ?::DATE
               AND keyword NOT IN (SELECT keyword FROM keyword_stats WHERE date = ?::DATE)
               ORDER BY documents DESC, score_sum DESC, keyword""",
            [day, previous_day],
        ).fetchall()
        documents = con.execute(
            """SELECT url, title, lang, word_count FROM documents WHERE date = ?::DATE
               ORDER BY published_at DESC NULLS LAST, url""",
            [day],
        ).fetchall()
        n_keywords = con.execute(
            "SELECT count(*) FROM keyword_stats WHERE date = ?::DATE", [day]
        ).fetchone()[0]
        failures = con.execute(
            """SELECT stage, reason, count(*) FROM failures WHERE date = ?::DATE
               GROUP BY ALL ORDER BY 3 DESC""",
            [day],
        ).fetchall()
    finally:
        con.close()

    folder = Path(reports_dir) / tenant
    folder.mkdir(parents=True, exist_ok=True)
    chart_path = folder / f"{day}-top-keywords.png"
    _chart(top, chart_path, f"Top keywords — {tenant}, {day}")
    report = {
        "tenant": tenant,
        "date": day,
        "generated_at": datetime.now(UTC).isoformat(),
        "documents_seen": len(documents),
        "keywords": n_keywords,
        "top_keywords": [
            {"keyword": k, "documents": d, "score": s, "example_url": u} for k, d, s, u in top
        ],
        "new_keywords": [{"keyword": k, "documents": d} for k, d in new],
        "documents": [
            {"url": u, "title": t, "lang": la, "word_count": w} for u, t, la, w in documents
        ],
        "failures": [{"stage": s, "reason": r, "count": c} for s, r, c in failures],
    }
    markdown = render_markdown(report, chart_path.name)
    md_path, json_path = folder / f"{day}.md", folder / f"{day}.json"
    md_path.write_text(markdown, encoding="utf-8")
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return {
        "generated_at": datetime.now(UTC),
        "documents": len(documents),
        "keywords": n_keywords,
        "new_keywords": len(new),
        "failures": sum(c for _, _, c in failures),
        "markdown_path": str(md_path),
        "json_path": str(json_path),
        "chart_path": str(chart_path),
        "markdown": markdown,
    }


def render_markdown(report: dict, chart_name: str) -> str:
    lines = [
        f"# SEO report — {report['tenant']}, {report['date']}",
        "",
        f"**{report['documents_seen']}** documents seen, **{report['keywords']}** distinct keywords, "
        f"**{len(report['new_keywords'])}** new since the day before.",
        "",
        f"![Top keywords]({chart_name})",
        "",
        "## Top keywords",
        "",
        "| keyword | documents | score |",
        "| --- | --: | --: |",
    ]
    lines += [
        f"| {k['keyword']} | {k['documents']} | {k['score']} |" for k in report["top_keywords"]
    ]
    lines += ["", "## New keywords since the day before", ""]
    new = report["new_keywords"][:30]
    lines += [", ".join(k["keyword"] for k in new) if new else "_none_"]
    lines += ["", "## Documents seen", "", "| title | lang | words |", "| --- | --- | --: |"]
    lines += [
        f"| [{(d['title'] or d['url']).replace('|', '/')}]({d['url']}) | {d['lang']} | {d['word_count']} |"
        for d in report["documents"]
    ]
    if report["failures"]:
        lines += ["", "## What failed", "", "| stage | reason | pages |", "| --- | --- | --: |"]
        lines += [f"| {f['stage']} | {f['reason']} | {f['count']} |" for f in report["failures"]]
    return "\n".join(lines) + "\n"


def _chart(top: list, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(reversed(top[:15]))
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(rows) + 1)))
    if rows:
        ax.barh([r[0] for r in rows], [r[1] for r in rows], color="#2f6f4f")
        ax.set_xlabel("documents where the keyword ranks in the top keywords")
        ax.xaxis.get_major_locator().set_params(integer=True)
    else:
        ax.text(0.5, 0.5, "no keywords yet", ha="center", va="center")
        ax.set_axis_off()
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
