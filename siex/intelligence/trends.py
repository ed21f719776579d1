"""Keyword trends: which keywords rise, fall or are new against the previous period.

Documents are placed on the day they appeared (publish date, else the day SIE-X first
saw them). For each keyword (by its stems, so "raised bed" and "Raised beds" count
together) the report counts the documents of the current period that carry it among
their top keywords, against the period before. Growth is smoothed, (current + 1) /
(previous + 1), so one document more on a rare keyword is not an infinite rise, and a
keyword rises or falls only when two documents at least carry it in the period that
counts: one mention is not a trend.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

from siex.intelligence import charts
from siex.intelligence.corpus import COMPETITOR, Corpus, CorpusDocument, keyword_labels
from siex.intelligence.publish import Chart, Report, counted

KIND = "keyword_trends"
RISING_GROWTH = 1.5  # at least half as many documents again, and one more at least
MIN_DOCUMENTS = 2  # a keyword on one document, now or before, is no trend yet
STATUS_ORDER = {"new": 0, "rising": 1, "falling": 2, "steady": 3}


def build_trends(corpus: Corpus, period_days: int = 7, top_n: int = 15) -> Report:
    """The trends report of ``corpus`` for the ``period_days`` ending on its day."""
    if period_days < 1:
        raise ValueError("period_days must be at least 1")
    end = date.fromisoformat(corpus.day)
    current_start = end - timedelta(days=period_days - 1)
    previous_start = current_start - timedelta(days=period_days)
    days = [previous_start + timedelta(days=i) for i in range(2 * period_days)]
    index = {d: i for i, d in enumerate(days)}

    labels = keyword_labels(corpus.documents)
    current: dict[str, set[str]] = defaultdict(set)
    previous: dict[str, set[str]] = defaultdict(set)
    earlier: set[str] = set()  # keys seen before the current period began
    score_now: dict[str, float] = defaultdict(float)
    score_before: dict[str, float] = defaultdict(float)
    daily: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    own: dict[str, int] = defaultdict(int)
    rival: dict[str, int] = defaultdict(int)
    example: dict[str, tuple[int, str]] = {}
    in_period = {"current": 0, "previous": 0}

    for doc in corpus.documents:
        day = min(doc.date, end)  # a publish date in the future counts as today
        if day >= current_start:
            in_period["current"] += 1
        elif day >= previous_start:
            in_period["previous"] += 1
        for kw in _unique_keywords(doc):
            if day < current_start:
                earlier.add(kw.key)
            if day >= current_start:
                current[kw.key].add(doc.doc_id)
                score_now[kw.key] += kw.score
                (rival if doc.role == COMPETITOR else own)[kw.key] += 1
                if kw.key not in example or kw.rank < example[kw.key][0]:
                    example[kw.key] = (kw.rank, doc.url)
            elif day >= previous_start:
                previous[kw.key].add(doc.doc_id)
                score_before[kw.key] += kw.score
            if day in index:
                daily[kw.key][index[day]] += 1

    rows = []
    for key in set(current) | set(previous):
        now, before = len(current[key]), len(previous[key])
        growth = (now + 1) / (before + 1)
        if now and key not in earlier:
            status = "new"
        elif growth >= RISING_GROWTH and now - before >= 1 and now >= MIN_DOCUMENTS:
            status = "rising"
        elif growth <= 1 / RISING_GROWTH and before - now >= 1 and before >= MIN_DOCUMENTS:
            status = "falling"
        else:
            status = "steady"
        rows.append(
            {
                "keyword": labels.get(key, key),
                "key": key,
                "status": status,
                "current_documents": now,
                "previous_documents": before,
                "change": now - before,
                "growth": round(growth, 3),
                "current_score": round(score_now[key], 4),
                "previous_score": round(score_before[key], 4),
                "own_documents": own[key],
                "competitor_documents": rival[key],
                "daily_documents": json.dumps(daily[key]),
                "example_url": example.get(key, (0, ""))[1],
            }
        )
    rows.sort(
        key=lambda r: (
            STATUS_ORDER[r["status"]],
            -abs(r["change"]),
            -r["current_score"],
            r["keyword"],
        )
    )
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUS_ORDER}
    summary = {
        "period_days": period_days,
        "current_period": [current_start.isoformat(), end.isoformat()],
        "previous_period": [
            previous_start.isoformat(),
            (current_start - timedelta(days=1)).isoformat(),
        ],
        "documents_current": in_period["current"],
        "documents_previous": in_period["previous"],
        "keywords": len(rows),
        **counts,
    }
    charts_ = [
        Chart(
            "lines",
            "Documents per keyword over both periods",
            _lines_chart(rows, days, current_start, top_n),
        ),
        Chart(
            "change", "Change in documents against the previous period", _change_chart(rows, top_n)
        ),
    ]
    return Report(KIND, rows, summary, _markdown(corpus, rows, summary, top_n), charts_)


def _unique_keywords(doc: CorpusDocument):
    seen = set()
    for kw in doc.keywords:
        if kw.key not in seen:
            seen.add(kw.key)
            yield kw


def _markdown(corpus: Corpus, rows: list[dict], summary: dict, top_n: int) -> str:
    (a, b), (c, d) = summary["current_period"], summary["previous_period"]
    lines = [
        f"# Keyword trends — {corpus.tenant}, {corpus.day}",
        "",
        f"{counted(summary['documents_current'], 'document')} appeared from {a} to {b}, "
        f"against **{summary['documents_previous']}** from {c} to {d}: "
        f"{counted(summary['new'], 'new keyword')}, **{summary['rising']}** rising, "
        f"**{summary['falling']}** falling.",
        "",
        "{chart:lines}",
        "",
        "{chart:change}",
        "",
    ]
    for status, heading in (("new", "New keywords"), ("rising", "Rising"), ("falling", "Falling")):
        chosen = [r for r in rows if r["status"] == status][:top_n]
        lines += [f"## {heading}", ""]
        if not chosen:
            lines += ["_none_", ""]
            continue
        lines += [
            "| keyword | documents now | before | own | competitors | example |",
            "| --- | --: | --: | --: | --: | --- |",
        ]
        lines += [
            f"| {r['keyword']} | {r['current_documents']} | {r['previous_documents']} | "
            f"{r['own_documents']} | {r['competitor_documents']} | {r['example_url']} |"
            for r in chosen
        ]
        lines.append("")
    return "\n".join(lines)


def _lines_chart(rows: list[dict], days: list[date], current_start: date, top_n: int) -> bytes:
    """One small panel per keyword (new and rising first, then falling): documents per
    day as bars, the running total as a line, the start of the current period dashed."""
    chosen = [r for r in rows if r["status"] in ("new", "rising")][:6]
    chosen += [r for r in rows if r["status"] == "falling"][: max(0, 6 - len(chosen))]
    if not chosen:
        with charts.figure(8, 2.5) as (fig, ax):
            charts.empty(ax, "no new, rising or falling keywords in this period")
            return charts.png(fig)
    columns = min(3, len(chosen))
    lines = (len(chosen) + columns - 1) // columns
    fig, axes = charts.plt.subplots(
        lines, columns, figsize=(3.4 * columns, 2.3 * lines), sharex=True, squeeze=False
    )
    try:
        for ax, row in zip(axes.flat, chosen, strict=False):
            daily = json.loads(row["daily_documents"])
            colour = charts.RED if row["status"] == "falling" else charts.GREEN
            ax.bar(days, daily, color=colour, alpha=0.35, width=0.8)
            total, running = 0, []
            for n in daily:
                total += n
                running.append(total)
            ax.plot(days, running, color=colour, linewidth=2)
            ax.axvline(current_start, color=charts.GREY, linestyle="--", linewidth=1)
            ax.set_title(f"{charts.shorten(row['keyword'], 28)} ({row['status']})", fontsize=9)
            ax.yaxis.get_major_locator().set_params(integer=True)
            ax.tick_params(labelsize=7)
        for ax in list(axes.flat)[len(chosen) :]:
            ax.set_axis_off()
        fig.autofmt_xdate()
        fig.supylabel("documents: per day (bars), so far (line)", fontsize=8)
        return charts.png(fig)
    finally:
        charts.plt.close(fig)


def _change_chart(rows: list[dict], top_n: int) -> bytes:
    up = sorted((r for r in rows if r["change"] > 0), key=lambda r: -r["change"])[: top_n // 2 + 1]
    down = sorted((r for r in rows if r["change"] < 0), key=lambda r: r["change"])[: top_n // 2 + 1]
    chosen = sorted(up + down, key=lambda r: r["change"])
    with charts.figure(8, max(2.5, 0.32 * len(chosen) + 1)) as (fig, ax):
        if not chosen:
            charts.empty(ax, "no change against the previous period")
            return charts.png(fig)
        ax.barh(
            [charts.shorten(r["keyword"]) for r in chosen],
            [r["change"] for r in chosen],
            color=[charts.GREEN if r["change"] > 0 else charts.RED for r in chosen],
        )
        ax.axvline(0, color=charts.GREY, linewidth=1)
        ax.set_xlabel("documents this period − documents the period before")
        ax.xaxis.get_major_locator().set_params(integer=True)
        return charts.png(fig)
