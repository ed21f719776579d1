"""Topic clusters: the tenant's and its competitors' pages grouped into topics by meaning.

Pages, not keyword strings, are clustered: a page's vector (title and text, cached per
version) says what it is about far better than ten short phrases do, and a topic is
what SEO people plan pages for. Keywords are attached afterwards: a topic's keywords are
its pages' keywords, ranked by how much they weigh in the topic (summed scores) times
the square root of how specific they are to it (the share of all pages carrying the
keyword that are in the topic), so "soil" does not head every gardening topic while
"compost" can still head the composting one. The topic is named by its
central keyphrase: among its frequent, specific keywords, the one whose phrase vector
is closest to the centre of the topic's pages.

Grouping is average-linkage clustering with a similarity cut (``topics.agglomerate``):
the number of topics follows from the data, a topic's pages are on average at least
0.55 similar (pages on one subject), and an outlier stays a topic of its own instead of
being forced into the nearest group (what k-means would do). Pages in languages the
model does not read are grouped the same way in the keyword space.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from siex.intelligence import charts
from siex.intelligence.corpus import COMPETITOR, OWN, Corpus, CorpusDocument, keyword_labels
from siex.intelligence.publish import Chart, Report, counted
from siex.intelligence.topics import (
    EMBEDDING,
    KEYWORDS,
    NONE,
    THRESHOLDS,
    DocumentSpaces,
    PhraseModel,
    Space,
    Topics,
    agglomerate,
    host,
    phrase_vectors,
    primary,
    shown,
    unique_keywords,
)

KIND = "topic_clusters"
ASSIGNMENTS = "topic_assignments"
NAME_CANDIDATES = 5  # keyphrases compared with the topic's centre
FREQUENT_SHARE = 0.3  # a name candidate is on at least this share of the topic's pages
SHARE_BONUS = 0.05  # added to a candidate's closeness per share of the pages carrying it
MAP_POINTS = 2000  # pages drawn on the cluster map at most
MAP_BASIS = 50  # largest topics whose centres span the map


@dataclass
class _Group:
    space: Space
    rows: np.ndarray  # rows of the space's matrix
    documents: list[CorpusDocument]
    centre: np.ndarray  # normalized mean of the pages' vectors
    centrality: np.ndarray  # each page's similarity to the centre
    cohesion: float | None
    keywords: list[dict]  # {key, label, documents, own, competitor, weight}
    name: str = ""
    key: str = ""
    cluster_id: int = 0

    @property
    def own(self) -> int:
        return sum(1 for d in self.documents if d.role == OWN)

    @property
    def competitor(self) -> int:
        return sum(1 for d in self.documents if d.role == COMPETITOR)


@dataclass
class TopicClusters:
    """What ``build_topic_clusters`` returns: two reports and the topics for the others."""

    report: Report  # topic_clusters: one row per topic
    assignments: Report  # topic_assignments: one row per document
    topics: Topics


def build_topic_clusters(
    corpus: Corpus,
    vectors: dict[str, np.ndarray],
    embedder: PhraseModel | None = None,
    min_similarity: float | None = None,
    top_n: int = 15,
) -> TopicClusters:
    """Topics of ``corpus`` from its pages' ``vectors`` (doc_id → vector, as from
    ``vectors.document_vectors``; pages without one are placed by their keywords).
    ``embedder`` reads candidate names (None: the best-weighted keyword names a topic)."""
    spaces = DocumentSpaces(corpus.documents, vectors)
    labels = keyword_labels(corpus.documents)
    frequency = Counter(kw.key for d in corpus.documents for kw in unique_keywords(d))

    groups: list[_Group] = []
    threshold = min_similarity or THRESHOLDS[EMBEDDING].topic
    for space in spaces.spaces:
        cut = threshold if space.name == EMBEDDING else space.thresholds.topic
        assigned = agglomerate(space.matrix, cut)
        for label in range(int(assigned.max()) + 1 if len(assigned) else 0):
            rows = np.flatnonzero(assigned == label)
            groups.append(_group(space, rows, frequency, labels))
    groups.sort(key=lambda g: (-len(g.documents), min(d.url for d in g.documents)))
    _name(groups, embedder)
    for i, group in enumerate(groups, start=1):
        group.cluster_id = i

    rows = [_cluster_row(g) for g in groups]
    assignments = _assignment_rows(groups, spaces.unplaced)
    summary = {**_summary(corpus, groups, spaces), "min_similarity": threshold}
    topics = Topics.from_rows(rows, assignments)
    charts_ = [
        Chart("map", "Topic map: pages by meaning, coloured by topic", _map_chart(groups)),
        Chart("sizes", "Pages per topic, own and competitors", _sizes_chart(groups, top_n)),
    ]
    markdown = _markdown(corpus, groups, spaces, summary, top_n)
    report = Report(KIND, rows, summary, markdown, shown(charts_, markdown))
    assignments_report = Report(
        ASSIGNMENTS,
        assignments,
        {k: summary[k] for k in ("documents", "topics", "unclustered")},
        _assignments_markdown(corpus, groups, spaces.unplaced, summary),
    )
    return TopicClusters(report, assignments_report, topics)


def _group(space: Space, rows: np.ndarray, frequency: Counter, labels: dict[str, str]) -> _Group:
    members = space.matrix[rows]
    mean = members.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    centre = mean / max(norm, 1e-12)
    n = len(rows)
    # The mean pairwise similarity of unit vectors follows from the mean's length.
    cohesion = None if n == 1 else max(0.0, (n * norm * norm - 1.0) / (n - 1))
    documents = [space.documents[i] for i in rows]
    stats: dict[str, dict] = {}
    for doc in documents:
        for kw in unique_keywords(doc):
            s = stats.setdefault(
                kw.key, {"key": kw.key, "documents": 0, "own": 0, "competitor": 0, "weight": 0.0}
            )
            s["documents"] += 1
            s["own" if doc.role == OWN else "competitor"] += 1
            s["weight"] += kw.score
    for s in stats.values():
        s["label"] = labels.get(s["key"], s["key"])
        s["specificity"] = s["documents"] / frequency[s["key"]]
        s["rank_score"] = s["weight"] * math.sqrt(s["specificity"])
    keywords = sorted(stats.values(), key=lambda s: (-s["rank_score"], -s["documents"], s["key"]))
    return _Group(space, rows, documents, centre, members @ centre, cohesion, keywords)


def _candidates(group: _Group) -> list[dict]:
    """Name candidates: for one page its own keywords, best first (the engine ranked them
    by closeness to the page); for a topic its best keywords on at least 30% of its pages."""
    if len(group.documents) == 1:
        by_key = {k["key"]: k for k in group.keywords}
        return [by_key[kw.key] for kw in unique_keywords(group.documents[0])][:NAME_CANDIDATES]
    needed = max(1, math.ceil(FREQUENT_SHARE * len(group.documents)))
    frequent = [k for k in group.keywords if k["documents"] >= needed]
    return (frequent or group.keywords)[:NAME_CANDIDATES]


def _name(groups: list[_Group], embedder: PhraseModel | None) -> None:
    """Each topic's central keyphrase, distinct across topics (larger topics choose first)."""
    wanted = [
        c["label"]
        for g in groups
        if g.space.name == EMBEDDING and len(g.documents) > 1
        for c in _candidates(g)
    ]
    phrases = phrase_vectors(embedder, wanted)
    taken: set[str] = set()
    for group in groups:
        candidates = _candidates(group)
        if not candidates:  # pages without keywords: the most central page's title
            doc = group.documents[int(np.argmax(group.centrality))]
            group.name = _unique(charts.shorten(doc.title or host(doc.url) or doc.url, 60), taken)
            continue
        central = group.space.name == EMBEDDING and len(group.documents) > 1
        if central and all(c["label"] in phrases for c in candidates):
            # Closest to the centre; between near ties, the keyword more pages carry.
            share = [c["documents"] / len(group.documents) for c in candidates]
            closeness = [
                float(phrases[c["label"]] @ group.centre) + SHARE_BONUS * s
                for c, s in zip(candidates, share, strict=True)
            ]
            order = sorted(range(len(candidates)), key=lambda i: -closeness[i])
            candidates = [candidates[i] for i in order]
        chosen = next((c for c in candidates if c["label"].lower() not in taken), candidates[0])
        group.key = chosen["key"]
        group.name = _unique(chosen["label"], taken)


def _unique(name: str, taken: set[str]) -> str:
    unique, n = name, 2
    while unique.lower() in taken:
        unique, n = f"{name} ({n})", n + 1
    taken.add(unique.lower())
    return unique


def _central(group: _Group, role: str, n: int = 5) -> list[str]:
    order = np.argsort(-group.centrality, kind="stable")
    return [group.documents[i].url for i in order if group.documents[i].role == role][:n]


def _cluster_row(group: _Group) -> dict:
    return {
        "cluster_id": group.cluster_id,
        "name": group.name,
        "key": group.key,
        "method": group.space.name,
        "documents": len(group.documents),
        "own_documents": group.own,
        "competitor_documents": group.competitor,
        "competitor_domains": len({host(d.url) for d in group.documents if d.role == COMPETITOR}),
        "keyword_count": len(group.keywords),
        "cohesion": None if group.cohesion is None else round(group.cohesion, 4),
        "keywords": json.dumps(
            [
                {
                    "keyword": k["label"],
                    "documents": k["documents"],
                    "own": k["own"],
                    "competitor": k["competitor"],
                }
                for k in group.keywords[:10]
            ],
            ensure_ascii=False,
        ),
        "own_urls": json.dumps(_central(group, OWN)),
        "competitor_urls": json.dumps(_central(group, COMPETITOR)),
    }


def _assignment_rows(groups: list[_Group], unplaced: list[CorpusDocument]) -> list[dict]:
    rows = []
    for group in groups:
        for doc, centrality in zip(group.documents, group.centrality, strict=True):
            rows.append(_assignment(doc, group, round(float(centrality), 4)))
    rows += [_assignment(doc, None, None) for doc in unplaced]
    rows.sort(key=lambda r: (r["cluster_id"] is None, r["cluster_id"] or 0, r["role"] != OWN,
                             -(r["centrality"] or 0), r["url"]))  # fmt: skip
    return rows


def _assignment(doc: CorpusDocument, group: _Group | None, centrality: float | None) -> dict:
    first = primary(doc)
    return {
        "doc_id": doc.doc_id,
        "url": doc.url,
        "title": doc.title,
        "role": doc.role,
        "lang": doc.lang,
        "cluster_id": group.cluster_id if group else None,
        "topic": group.name if group else None,
        "method": group.space.name if group else NONE,
        "centrality": centrality,
        "primary_keyword": first.text if first else "",
    }


def _summary(corpus: Corpus, groups: list[_Group], spaces: DocumentSpaces) -> dict:
    shared = sum(1 for g in groups if g.own and g.competitor)
    return {
        "documents": len(corpus.documents),
        "own_documents": len(corpus.own),
        "competitor_documents": len(corpus.competitor),
        "topics": len(groups),
        "multi_page_topics": sum(1 for g in groups if len(g.documents) > 1),
        "shared_topics": shared,
        "own_only_topics": sum(1 for g in groups if g.own and not g.competitor),
        "competitor_only_topics": sum(1 for g in groups if g.competitor and not g.own),
        "embedded_documents": sum(len(s) for s in spaces.spaces if s.name == EMBEDDING),
        "keyword_placed_documents": sum(len(s) for s in spaces.spaces if s.name != EMBEDDING),
        "unclustered": len(spaces.unplaced),
        "largest_topic": groups[0].name if groups else None,
    }


# -- Markdown ----------------------------------------------------------------------


def _keywords_cell(group: _Group, n: int = 5) -> str:
    return ", ".join(k["label"] for k in group.keywords[:n]) or "—"


def _cohesion_cell(group: _Group) -> str:
    return "—" if group.cohesion is None else f"{group.cohesion:.2f}"


def _markdown(
    corpus: Corpus, groups: list[_Group], spaces: DocumentSpaces, summary: dict, top_n: int
) -> str:
    lines = [f"# Topic clusters — {corpus.tenant}, {corpus.day}", ""]
    if not corpus.documents:
        return "\n".join([*lines, "No documents yet: nothing to cluster.", ""])
    lines += [
        f"{counted(summary['documents'], 'page')} ({summary['own_documents']} own, "
        f"{summary['competitor_documents']} competitor) in {counted(summary['topics'], 'topic')}, "
        f"{summary['multi_page_topics']} of them with more than one page. "
        f"Covered by both sides: **{summary['shared_topics']}**; only by competitors: "
        f"**{summary['competitor_only_topics']}**; only by you: **{summary['own_only_topics']}**.",
        "",
        "{chart:map}",
        "",
        "{chart:sizes}",
        "",
        "## Largest topics",
        "",
        "| # | topic | pages | own | competitors | cohesion | top keywords |",
        "| --: | --- | --: | --: | --: | --: | --- |",
    ]
    lines += [
        f"| {g.cluster_id} | {g.name} | {len(g.documents)} | {g.own} | {g.competitor} | "
        f"{_cohesion_cell(g)} | {_keywords_cell(g)} |"
        for g in groups[:top_n]
    ]
    rival = [g for g in groups if g.competitor and not g.own][:top_n]
    lines += ["", "## Topics only competitors cover", ""]
    if rival:
        lines += ["| topic | competitor pages | sites | example |", "| --- | --: | --: | --- |"]
        lines += [
            f"| {g.name} | {g.competitor} | "
            f"{len({host(d.url) for d in g.documents if d.role == COMPETITOR})} | "
            f"{_central(g, COMPETITOR, 1)[0]} |"
            for g in rival
        ]
        lines += ["", "The content gap report ranks these and their keywords."]
    else:
        lines.append("_none: every topic of the competitors has at least one own page_")
    lines.append("")
    notes = []
    if summary["keyword_placed_documents"]:
        notes.append(
            f"{summary['keyword_placed_documents']} pages in languages the embedding model does "
            "not read were grouped by their keywords instead (method `keywords`); they are not "
            "on the map."
        )
    if spaces.unplaced:
        notes.append(
            f"{len(spaces.unplaced)} pages have neither a vector, keywords nor a title and "
            "could not be placed: " + ", ".join(d.url for d in spaces.unplaced[:5])
        )
    notes.append(
        "Pages are grouped by the similarity of their content (average linkage: a topic's "
        f"pages are on average at least {summary['min_similarity']:.2f} similar, "
        f"{THRESHOLDS[KEYWORDS].topic:.2f} by keywords); a topic is named by its central "
        "keyphrase. Cohesion is the mean similarity of a topic's pages to each other."
    )
    lines += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    return "\n".join(lines)


def _assignments_markdown(
    corpus: Corpus, groups: list[_Group], unplaced: list[CorpusDocument], summary: dict
) -> str:
    lines = [f"# Pages by topic — {corpus.tenant}, {corpus.day}", ""]
    if not corpus.documents:
        return "\n".join([*lines, "No documents yet.", ""])
    lines += [
        f"{summary['documents']} pages in {summary['topics']} topics. The ten largest topics "
        "with their most central pages; the export has every page.",
        "",
    ]
    for group in groups[:10]:
        lines += [f"## {group.cluster_id}. {group.name} ({len(group.documents)} pages)", ""]
        order = np.argsort(-group.centrality, kind="stable")[:10]
        lines += [
            f"- {group.documents[i].role}: [{group.documents[i].title or group.documents[i].url}]"
            f"({group.documents[i].url})"
            for i in order
        ]
        lines.append("")
    if unplaced:
        lines += ["## Not placed", "", *[f"- {d.url}" for d in unplaced[:20]], ""]
    return "\n".join(lines)


# -- charts ------------------------------------------------------------------------


def _map_chart(groups: list[_Group]) -> bytes:
    """Pages projected to two dimensions, coloured by topic, the largest topics labelled.

    The projection is PCA fitted on the centres of the 50 largest multi-page topics (all
    topics when there are fewer than three such): a linear projection of the page vectors whose two
    axes are the directions along which topics differ most, so topics spread out while
    their pages stay together. t-SNE reads better but costs tens of seconds for a
    thousand pages on two cores; this costs milliseconds.
    """
    mapped = [g for g in groups if g.space.name == EMBEDDING]
    with charts.figure(9, 6) as (fig, ax):
        if not mapped:
            charts.empty(ax, "no page vectors to map")
            return charts.png(fig)
        matrix = mapped[0].space.matrix
        basis = [g.centre for g in mapped if len(g.documents) > 1][:MAP_BASIS]
        if len(basis) < 3:
            basis = [g.centre for g in mapped][:MAP_BASIS]
        points = _project(matrix, np.stack(basis))
        rng = np.random.default_rng(0)
        colours = {id(g): charts.PALETTE[i] for i, g in enumerate(mapped[: len(charts.PALETTE)])}
        total = sum(len(g.documents) for g in mapped)
        layers: dict[tuple[bool, str], tuple[list[int], list[str]]] = {}
        for group in mapped:
            rows = group.rows
            if total > MAP_POINTS:  # a sample, in proportion to each topic's size
                keep = max(1, round(len(rows) * MAP_POINTS / total))
                rows = rng.choice(rows, min(keep, len(rows)), replace=False)
            colour = colours.get(id(group), charts.GREY)
            for row in rows:
                role = group.space.documents[row].role
                layer = layers.setdefault((id(group) in colours, role), ([], []))
                layer[0].append(int(row))
                layer[1].append(colour)
        # Grey topics first, the named ones on top; one scatter per layer.
        for (_named, role), (rows, colour) in sorted(layers.items()):
            ax.scatter(points[rows, 0], points[rows, 1], s=28, c=colour, alpha=0.8,
                       marker="o" if role == OWN else "^", edgecolors="white",
                       linewidths=0.5)  # fmt: skip
        for group in mapped[: len(charts.PALETTE)]:
            x, y = points[group.rows].mean(axis=0)
            ax.annotate(charts.shorten(group.name, 28), (x, y), fontsize=8, ha="center",
                        va="bottom", color=colours[id(group)], weight="bold",
                        xytext=(0, 6), textcoords="offset points")  # fmt: skip
        ax.scatter([], [], marker="o", color=charts.GREY, label="own page")
        ax.scatter([], [], marker="^", color=charts.GREY, label="competitor page")
        ax.legend(loc="best", fontsize=8, frameon=False)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("similar pages lie close together", fontsize=9, color=charts.GREY)
        return charts.png(fig)


def _project(matrix: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Two coordinates per row: PCA fitted on ``basis`` rows (or on the rows themselves
    when the basis is too small to span two directions)."""
    fit = basis if len(basis) >= 3 else matrix
    if len(fit) < 2:
        return np.zeros((len(matrix), 2))
    centre = fit.mean(axis=0, dtype=np.float64)
    centred = fit - centre
    # Principal axes from the small Gram matrix (topics × topics), not an SVD of the rows.
    values, vectors = np.linalg.eigh(centred @ centred.T)
    axes = np.zeros((2, fit.shape[1]))
    for i, k in enumerate(np.argsort(values)[::-1][:2]):
        if values[k] > 1e-9:
            axes[i] = centred.T @ vectors[:, k] / np.sqrt(values[k])
    return (matrix - centre) @ axes.T


def _sizes_chart(groups: list[_Group], top_n: int) -> bytes:
    chosen = groups[:top_n][::-1]
    with charts.figure(8, max(2.5, 0.34 * len(chosen) + 1)) as (fig, ax):
        if not chosen:
            charts.empty(ax, "no topics")
            return charts.png(fig)
        names = [charts.shorten(g.name, 36) for g in chosen]
        own = [g.own for g in chosen]
        ax.barh(names, own, color=charts.GREEN, label="own pages")
        ax.barh(names, [g.competitor for g in chosen], left=own, color=charts.BLUE,
                label="competitor pages")  # fmt: skip
        ax.set_xlabel("pages")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        return charts.png(fig)
