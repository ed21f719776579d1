"""Cannibalization: the tenant's own pages competing with each other for one keyword or
topic, each conflict with a severity, a recommendation and its evidence.

Only own pages that can rank count: a page with ``noindex`` or a canonical pointing
elsewhere has already handed its place to another URL. Competitor pages never count.
Three kinds of conflict, found in this order (a page pair reported under one kind is
not repeated under the next):

- duplicate: pages at least 0.95 similar (copies, print versions, parameter URLs) that
  share their primary keyword: **canonicalize** to one of them;
- topic: pages at least 0.7 similar sharing a primary keyword (one page's rank-1 keyword
  is among the other's keywords): one topic written twice, **merge** them;
- keyword: a keyword among the top five of several pages, their ranks at most two apart
  (a page where it is #1 and one where it is #9 do not compete): **differentiate**
  them (or merge, if they are that similar).

Severity (0–100) = 100 × √(w_a·w_b) × (0.5 + 0.5·similarity) + 5 per page beyond two,
where w = 1 / rank is the keyword's weight on each of the two strongest pages (both #1:
1.0; #1 and #2: 0.71; #1 and #3: 0.58) and similarity that of their content; duplicates
take 100 × (0.5 + 0.5·similarity). High from 70, medium from 45. Keyword conflicts of
the same pages are one row (its strongest keyword; the others are its shared keywords).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np

from siex.intelligence import charts
from siex.intelligence.corpus import Corpus, CorpusDocument, keyword_labels
from siex.intelligence.publish import Chart, Report, counted
from siex.intelligence.topics import DocumentSpaces, Topics, mode, primary, shown, unique_keywords

KIND = "cannibalization"
RANK_WINDOW = 5  # a keyword competes among a page's top five
RANK_GAP = 2  # … within two positions of the strongest page's rank
PAIRS_PER_PAGE = 50  # pages compared with each page for its primary keyword, at most
HIGH, MEDIUM = 70.0, 45.0
KIND_ORDER = {"duplicate": 0, "topic": 1, "keyword": 2}
COLOURS = {"canonicalize": charts.BLUE, "merge": charts.RED, "differentiate": charts.PALETTE[2]}


@dataclass
class _Conflict:
    kind: str
    key: str
    pages: list[CorpusDocument]  # strongest first
    ranks: list[int | None]  # the keyword's rank on each page
    similarity: float | None  # mean over comparable pairs
    lead_similarity: float | None  # of the two strongest pages
    recommendation: str = ""
    severity: float = 0.0
    shared: list[str] = field(default_factory=list)


def build_cannibalization(
    corpus: Corpus,
    vectors: dict[str, np.ndarray],
    topics: Topics | None = None,
    top_n: int = 15,
) -> Report:
    """Own pages of ``corpus`` competing with each other; ``vectors`` (doc_id → vector)
    compare their content, ``topics`` (the day's clusters) only labels the conflicts."""
    topics = topics or Topics.empty()
    spaces = DocumentSpaces(corpus.documents, vectors)
    labels = keyword_labels(corpus.documents)
    pages, noindex, canonicalized = _indexable(corpus.own)
    ranks = {d.doc_id: {kw.key: kw for kw in unique_keywords(d)} for d in pages}

    pairs = _candidate_pairs(pages, ranks)
    similar = {pair: spaces.similarity(*pair) for pair in pairs}
    by_id = {d.doc_id: d for d in pages}

    # Copies first: each group of copies is one row and one page from here on.
    duplicate_groups = _components(
        p for p, s in similar.items()
        if s is not None and s >= spaces.space_of(p[0]).thresholds.duplicate
    )  # fmt: skip
    conflicts: list[_Conflict] = []
    dropped: set[str] = set()
    for group in duplicate_groups:
        members = sorted((by_id[i] for i in group), key=_keeper)
        key = _shared_primary(members, ranks)
        conflicts.append(_conflict("duplicate", key, members, ranks, spaces))
        dropped.update(d.doc_id for d in members[1:])

    topic_groups = _components(
        p for p, s in similar.items()
        if s is not None and p[0] not in dropped and p[1] not in dropped
        and s >= spaces.space_of(p[0]).thresholds.merge
    )  # fmt: skip
    in_topic: dict[str, int] = {}
    for n, group in enumerate(topic_groups):
        members = [by_id[i] for i in group]
        key = _shared_primary(members, ranks)
        members.sort(key=lambda d: _strength(d, key, ranks))
        conflicts.append(_conflict("topic", key, members, ranks, spaces))
        in_topic.update((d.doc_id, n) for d in members)

    by_key: dict[str, list[CorpusDocument]] = defaultdict(list)
    by_pages: dict[frozenset[str], _Conflict] = {}
    for doc in pages:
        if doc.doc_id in dropped:
            continue
        for key, kw in ranks[doc.doc_id].items():
            if kw.rank <= RANK_WINDOW:
                by_key[key].append(doc)
    for key, docs in sorted(by_key.items()):
        if len(docs) < 2:
            continue
        docs.sort(key=lambda d: _strength(d, key, ranks))
        best = ranks[docs[0].doc_id][key].rank
        group = [d for d in docs if ranks[d.doc_id][key].rank <= best + RANK_GAP]
        if len(group) < 2:
            continue
        if len({in_topic.get(d.doc_id, -1 - i) for i, d in enumerate(group)}) == 1:
            continue  # the pages of one topic conflict: reported there, with this keyword
        conflict = _conflict("keyword", key, group, ranks, spaces)
        same = frozenset(d.doc_id for d in group)
        if same not in by_pages or conflict.severity > by_pages[same].severity:
            by_pages[same] = conflict  # the same pages competing again: one row
    conflicts += by_pages.values()

    for c in conflicts:
        c.shared = _shared_keywords(c.pages, ranks, labels)
    conflicts.sort(
        key=lambda c: (-c.severity, KIND_ORDER[c.kind], labels.get(c.key, c.key), c.pages[0].url)
    )
    rows = [_row(i, c, labels, ranks, topics) for i, c in enumerate(conflicts, start=1)]
    summary = {
        "own_documents": len(corpus.own),
        "indexable_documents": len(pages),
        "excluded_noindex": noindex,
        "excluded_canonicalized": canonicalized,
        "conflicts": len(rows),
        "duplicates": sum(1 for c in conflicts if c.kind == "duplicate"),
        "topic_conflicts": sum(1 for c in conflicts if c.kind == "topic"),
        "keyword_conflicts": sum(1 for c in conflicts if c.kind == "keyword"),
        "high": sum(1 for r in rows if r["level"] == "high"),
        "medium": sum(1 for r in rows if r["level"] == "medium"),
        "low": sum(1 for r in rows if r["level"] == "low"),
        "pages_involved": len({d.doc_id for c in conflicts for d in c.pages}),
        "worst": rows[0]["keyword"] if rows else None,
    }
    chart = Chart("worst", "The worst conflicts between own pages", _chart(rows, top_n))
    markdown = _markdown(corpus, rows, summary, top_n)
    return Report(KIND, rows, summary, markdown, shown([chart], markdown))


# -- finding -----------------------------------------------------------------------


def _indexable(own: list[CorpusDocument]) -> tuple[list[CorpusDocument], int, int]:
    """Own pages that can rank, and how many were left out for noindex and for a
    canonical pointing elsewhere."""
    pages, noindex, canonicalized = [], 0, 0
    for doc in own:
        onpage = doc.onpage or {}
        if onpage.get("noindex"):
            noindex += 1
        elif onpage.get("canonical") and _url_key(onpage["canonical"]) != _url_key(doc.url):
            canonicalized += 1
        else:
            pages.append(doc)
    return pages, noindex, canonicalized


def _url_key(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    return host, parts.path.rstrip("/") or "/", parts.query


def _candidate_pairs(pages: list[CorpusDocument], ranks: dict) -> set[tuple[str, str]]:
    """Page pairs sharing a primary keyword: one page's rank-1 keyword among the other's
    keywords. Only these can be duplicates or one topic, so no page is compared with
    every other one."""
    carriers: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for doc in pages:
        for key, kw in ranks[doc.doc_id].items():
            carriers[key].append((kw.rank, doc.doc_id))
    for found in carriers.values():
        found.sort()
    pairs: set[tuple[str, str]] = set()
    for doc in pages:
        first = primary(doc)
        if first is None:
            continue
        for _, other in carriers[first.key][: PAIRS_PER_PAGE + 1]:
            if other != doc.doc_id:
                pairs.add((min(doc.doc_id, other), max(doc.doc_id, other)))
    return pairs


def _components(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = defaultdict(list)
    for x in list(parent):
        groups[find(x)].append(x)
    return sorted((sorted(g) for g in groups.values() if len(g) > 1), key=lambda g: g[0])


def _keeper(doc: CorpusDocument) -> tuple:
    """Which copy to keep: a clean URL (no query), the shortest path, the longest text."""
    parts = urlsplit(doc.url)
    return (bool(parts.query), len(parts.path), -doc.word_count, doc.url)


def _weight(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / max(rank, 1)


def _strength(doc: CorpusDocument, key: str, ranks: dict) -> tuple:
    kw = ranks[doc.doc_id].get(key)
    return (kw.rank if kw else 99, -(kw.score if kw else 0.0), -doc.word_count, doc.url)


def _shared_primary(members: list[CorpusDocument], ranks: dict) -> str:
    """The keyword the pages compete for: carried by the most of them, best ranked."""
    weight: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for doc in members:
        for key, kw in ranks[doc.doc_id].items():
            weight[key] += _weight(kw.rank)
            count[key] += 1
    if not weight:
        return ""
    return min(weight, key=lambda k: (-count[k], -weight[k], k))


def _conflict(
    kind: str, key: str, pages: list[CorpusDocument], ranks: dict, spaces: DocumentSpaces
) -> _Conflict:
    sims = [
        s
        for i, a in enumerate(pages)
        for b in pages[i + 1 :]
        if (s := spaces.similarity(a.doc_id, b.doc_id)) is not None
    ]
    lead = spaces.similarity(pages[0].doc_id, pages[1].doc_id)
    page_ranks = [ranks[d.doc_id][key].rank if key in ranks[d.doc_id] else None for d in pages]
    c = _Conflict(kind, key, pages, page_ranks, float(np.mean(sims)) if sims else None, lead)
    closeness = 0.5 + 0.5 * max(0.0, lead or 0.0)
    if kind == "duplicate":
        c.recommendation, c.severity = "canonicalize", 100.0 * closeness
    else:
        weights = math.sqrt(_weight(page_ranks[0]) * _weight(page_ranks[1]))
        c.severity = min(100.0, 100.0 * weights * closeness + 5.0 * (len(pages) - 2))
        merge = lead is not None and lead >= spaces.space_of(pages[0].doc_id).thresholds.merge
        c.recommendation = "merge" if kind == "topic" or merge else "differentiate"
    return c


def _shared_keywords(
    pages: list[CorpusDocument], ranks: dict, labels: dict[str, str], n: int = 8
) -> list[str]:
    count: dict[str, int] = defaultdict(int)
    score: dict[str, float] = defaultdict(float)
    for doc in pages:
        for key, kw in ranks[doc.doc_id].items():
            count[key] += 1
            score[key] += kw.score
    shared = sorted((k for k in count if count[k] > 1), key=lambda k: (-count[k], -score[k], k))
    return [labels.get(k, k) for k in shared[:n]]


def _level(severity: float) -> str:
    return "high" if severity >= HIGH else "medium" if severity >= MEDIUM else "low"


def _row(rank: int, c: _Conflict, labels: dict[str, str], ranks: dict, topics: Topics) -> dict:
    keyword = labels.get(c.key, c.key) if c.key else (c.pages[0].title or c.pages[0].url)
    topic_id = mode(topics.assignment.get(d.doc_id) for d in c.pages)
    topic = topics.topics.get(topic_id) if topic_id is not None else None
    return {
        "rank": rank,
        "kind": c.kind,
        "keyword": keyword,
        "key": c.key,
        "severity": round(c.severity, 1),
        "level": _level(c.severity),
        "recommendation": c.recommendation,
        "pages": len(c.pages),
        "primary_url": c.pages[0].url,
        "urls": json.dumps([d.url for d in c.pages]),
        "titles": json.dumps([d.title for d in c.pages], ensure_ascii=False),
        "ranks": json.dumps(c.ranks),
        "similarity": None if c.similarity is None else round(c.similarity, 4),
        "shared_keywords": json.dumps(c.shared, ensure_ascii=False),
        "topic_id": topic_id,
        "topic": topic.name if topic else None,
        "action": _action(c, keyword, labels, ranks),
        "reason": _reason(c, keyword),
    }


def _action(c: _Conflict, keyword: str, labels: dict[str, str], ranks: dict) -> str:
    keep, others = c.pages[0].url, [d.url for d in c.pages[1:]]
    rest, them = ", ".join(others), "them" if len(others) > 1 else "it"
    if c.recommendation == "canonicalize":
        return (
            f"Keep {keep}; give {rest} a rel=canonical to it, or 301-redirect {them}: "
            f"{them} repeat{'' if len(others) > 1 else 's'} its content."
        )
    if c.recommendation == "merge":
        return (
            f"Merge {rest} into {keep} and 301-redirect {them} there: the pages cover the "
            f"same topic for “{keyword}”."
        )
    kept = set(ranks[c.pages[0].doc_id])
    refocus = []
    for doc in c.pages[1:]:
        own = next((kw.key for kw in unique_keywords(doc) if kw.key not in kept), None)
        angle = f"“{labels.get(own, own)}”" if own else "a distinct angle"
        refocus.append(f"{doc.url} on {angle}")
    return (
        f"Keep {keep} for “{keyword}”. Refocus {'; '.join(refocus)} (title, H1, "
        f"introduction) and link to {keep} with “{keyword}” as the anchor."
    )


def _reason(c: _Conflict, keyword: str) -> str:
    placed = ", ".join(
        f"#{r} on {d.url}" if r is not None else f"on {d.url}"
        for d, r in zip(c.pages, c.ranks, strict=True)
    )
    similarity = (
        f"content similarity {c.similarity:.2f}" if c.similarity is not None
        else "content not comparable (different languages)"
    )  # fmt: skip
    shared = f"; shared keywords: {', '.join(c.shared[:5])}" if c.shared else ""
    what = {"duplicate": "copies", "topic": "one topic", "keyword": "one keyword"}[c.kind]
    return f"{what}: “{keyword}” {placed}; {similarity}{shared}"


# -- Markdown and chart ------------------------------------------------------------


def _markdown(corpus: Corpus, rows: list[dict], summary: dict, top_n: int) -> str:
    lines = [f"# Cannibalization — {corpus.tenant}, {corpus.day}", ""]
    if not corpus.own:
        return "\n".join([*lines, "No own pages yet: nothing can compete with itself.", ""])
    excluded = summary["excluded_noindex"] + summary["excluded_canonicalized"]
    lines.append(
        f"{counted(summary['conflicts'], 'conflict')} between your own pages "
        f"({summary['high']} high, {summary['medium']} medium, {summary['low']} low), "
        f"involving **{summary['pages_involved']}** of "
        f"{counted(summary['indexable_documents'], 'indexable page', bold=False)}. "
        "Competitor pages never count."
        + (f" {counted(excluded, 'page', bold=False)} with noindex or a canonical elsewhere "
           f"{'was' if excluded == 1 else 'were'} left out." if excluded else "")
    )  # fmt: skip
    if not rows:
        lines += ["", "No two own pages compete for the same keyword or topic."]
    lines += ["", "{chart:worst}", ""]
    if rows:
        lines += [
            "## What to fix first",
            "",
            "| # | keyword | kind | severity | do | pages |",
            "| --: | --- | --- | --: | --- | --- |",
        ]
        lines += [
            f"| {r['rank']} | {r['keyword']} | {r['kind']} | {r['severity']:.0f} ({r['level']}) | "
            f"{r['recommendation']} | {' · '.join(json.loads(r['urls']))} |"
            for r in rows[:top_n]
        ]
        lines.append("")
        for r in rows[: min(top_n, 10)]:
            titles = json.loads(r["titles"])
            page_ranks = json.loads(r["ranks"])
            lines += [
                f"### {r['rank']}. “{r['keyword']}” — {r['recommendation']} "
                f"({r['level']}, {r['severity']:.0f})",
                "",
            ]
            lines += [
                f"- {'**keep** ' if i == 0 else ''}{url} — {title or 'untitled'}"
                + (f" (keyword #{rank})" if rank is not None else "")
                for i, (url, title, rank) in enumerate(
                    zip(json.loads(r["urls"]), titles, page_ranks, strict=True)
                )
            ]
            lines += [f"- evidence: {r['reason']}", f"- **action**: {r['action']}", ""]
    lines += [
        "## How to read this",
        "",
        "- **duplicate**: copies of one page (similarity ≥ 0.95) → canonicalize; **topic**: "
        "pages on one topic sharing their primary keyword (≥ 0.7) → merge; **keyword**: one "
        "keyword in several pages' top five at nearly the same rank → differentiate.",
        "- **severity** (0–100) grows with how high both pages rank the keyword and how "
        "similar their content is, plus 5 for each page beyond two.",
        "",
    ]
    return "\n".join(lines)


def _chart(rows: list[dict], top_n: int) -> bytes:
    chosen = rows[:top_n][::-1]
    with charts.figure(8, max(2.5, 0.34 * len(chosen) + 1)) as (fig, ax):
        if not chosen:
            charts.empty(ax, "no conflicts between own pages")
            return charts.png(fig)
        labels = [  # numbered: two conflicts may share a keyword
            f"{r['rank']}. {charts.shorten(r['keyword'], 30)} ({r['kind']}, {r['pages']} pages)"
            for r in chosen
        ]
        ax.barh(labels, [r["severity"] for r in chosen],
                color=[COLOURS[r["recommendation"]] for r in chosen])  # fmt: skip
        ax.set_xlim(0, 100)
        ax.axvline(HIGH, color=charts.GREY, linestyle="--", linewidth=1)
        ax.axvline(MEDIUM, color=charts.GREY, linestyle=":", linewidth=1)
        ax.set_xlabel("severity (0–100)")
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=c, label=n) for n, c in COLOURS.items()],
                  loc="lower right", fontsize=8, frameon=False)  # fmt: skip
        return charts.png(fig)
