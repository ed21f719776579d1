"""Content gap: topics and keywords the competitors cover and the own sites do not, or
only thinly, ranked by an opportunity score with the competitor pages as evidence.

Topic gaps come from the day's topic clusters: a topic with competitor pages and no own
page (missing), or one where competitors have at least three times as many pages
(thin). Keyword gaps are competitor keywords no own page carries, unless the own sites
have it in other words: an own keyword containing all its stems ("drip irrigation
systems" covers "drip irrigation"), or, with the embedding model, an own keyword whose
phrase vector is at least 0.8 similar; 0.65–0.8 is a thin cover ("hot composting"
against an own "composting"). The own keywords compared are those sharing a stem with
the gap and those of the own pages closest to the competitor pages carrying it, so the
check stays cheap for any corpus size.

    opportunity = demand × breadth × openness
      demand    keyword: sum over the competitor pages carrying it of score / √rank (a
                page's top keyword ≈ 1, its #4 half its score: what a page is about
                counts, an incidental word such as "yard" at #8 little)
                topic: number of competitor pages in it
      breadth   1 + ln(competitor sites): several rivals on it weigh more than one
      openness  1 for a missing gap; for a thin one 1 − how close the own sites come:
                  keyword: the similarity of the related own keyword, or the own pages'
                           share when the own sites have it on few pages
                  topic: the own pages' share of the topic, or the average similarity to
                         its pages of an own page that belongs there but joined another
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from siex.intelligence import charts
from siex.intelligence.corpus import (
    COMPETITOR,
    OWN,
    Corpus,
    CorpusDocument,
    CorpusKeyword,
    keyword_labels,
)
from siex.intelligence.publish import Chart, Report, counted
from siex.intelligence.topics import (
    DocumentSpaces,
    PhraseModel,
    Topics,
    breadth,
    host,
    mode,
    phrase_vectors,
    shown,
    stems,
    top_similar,
    unique_keywords,
)

KIND = "content_gap"
COVERED = 0.8  # an own keyword at least this similar (phrase vectors) covers the gap
THIN = 0.65  # from here to COVERED: covered thinly
LEXICAL_THIN = 0.5  # without the model: stem overlap (Jaccard) from which a cover is thin
THIN_RATIO = 3  # competitors have ≥ 3× as many pages (and at least 3): the own cover is thin
RELATED = 0.5  # the closest own keyword is named from this similarity on
CHECKED_PER_GAP = 5  # at most this many candidates checked per keyword gap reported
CHUNK = 256  # candidates checked (and their phrases embedded) at a time
NEAREST_OWN = 2  # own pages nearest to each competitor page whose keywords are compared
NEAR_RANKS = 5  # … their top five keywords
NEIGHBOURS = 10  # own keywords sharing stems compared with a candidate
EVIDENCE = 5  # competitor URLs listed per gap
COMMON_STEM = 200  # stems on more own keywords than this are too common to find neighbours


@dataclass
class _Candidate:
    key: str
    hits: list[tuple[CorpusDocument, CorpusKeyword]]  # competitor pages carrying it
    own_hits: list[tuple[CorpusDocument, CorpusKeyword]] = field(default_factory=list)
    status: str = "missing"
    coverage: float = 0.0
    own_keyword: str = ""  # the closest own key
    own_page: CorpusDocument | None = None
    basis: str = ""  # how the coverage was found: exact, lexical, semantic, none
    neighbours: list[str] = field(default_factory=list)  # own keys sharing stems with it

    @cached_property
    def demand(self) -> float:
        return sum(kw.score / math.sqrt(max(kw.rank, 1)) for _, kw in self.hits)

    @cached_property
    def domains(self) -> list[str]:
        return sorted({host(d.url) for d, _ in self.hits})

    @cached_property
    def bound(self) -> float:
        """The opportunity before any check: the most it can be."""
        return self.demand * breadth(len(self.domains))

    @property
    def opportunity(self) -> float:
        openness = 1.0 - max(0.0, self.coverage) if self.status == "thin" else 1.0
        return self.demand * breadth(len(self.domains)) * openness


def build_content_gap(
    corpus: Corpus,
    vectors: dict[str, np.ndarray],
    topics: Topics | None,
    embedder: PhraseModel | None = None,
    max_keyword_gaps: int = 300,
    top_n: int = 15,
) -> Report:
    """The content gap of ``corpus``: its pages' ``vectors`` (doc_id → vector), the day's
    ``topics`` (None: keyword gaps only), ``embedder`` for phrase similarity (None:
    stems only). At most ``max_keyword_gaps`` keyword rows, best first."""
    topics = topics or Topics.empty()
    spaces = DocumentSpaces(corpus.documents, vectors)
    labels = keyword_labels(corpus.documents)
    nearest = _nearest_own(spaces)

    topic_rows = _topic_gaps(corpus, spaces, topics)
    gaps, compared, checked = _keyword_gaps(corpus, labels, nearest, embedder, max_keyword_gaps)
    keyword_rows = [
        _keyword_row(i, c, labels, topics, nearest) for i, c in enumerate(gaps, start=1)
    ]
    rows = topic_rows + keyword_rows
    summary = {
        "competitor_documents": len(corpus.competitor),
        "own_documents": len(corpus.own),
        "topic_gaps": len(topic_rows),
        "missing_topics": sum(1 for r in topic_rows if r["status"] == "missing"),
        "thin_topics": sum(1 for r in topic_rows if r["status"] == "thin"),
        "keyword_gaps": len(keyword_rows),
        "missing_keywords": sum(1 for r in keyword_rows if r["status"] == "missing"),
        "thin_keywords": sum(1 for r in keyword_rows if r["status"] == "thin"),
        "competitor_keywords": compared,
        "keywords_checked": checked,
        "checked_by_meaning": checked if embedder is not None else 0,
        "top_gap": rows[0]["gap"] if rows else None,
    }
    chart = Chart("top", "The biggest content gaps by opportunity", _top_chart(rows, top_n))
    markdown = _markdown(corpus, rows, summary, top_n)
    return Report(KIND, rows, summary, markdown, shown([chart], markdown))


# -- topics ------------------------------------------------------------------------


def _topic_gaps(corpus: Corpus, spaces: DocumentSpaces, topics: Topics) -> list[dict]:
    members: dict[int, list[CorpusDocument]] = defaultdict(list)
    for doc in corpus.documents:
        cluster = topics.assignment.get(doc.doc_id)
        if cluster is not None and cluster in topics.topics:
            members[cluster].append(doc)
    # The best own page of every topic at once: for each space, one product of its own
    # pages with the means of the topics' competitor pages (a page's dot product with a
    # mean of unit vectors is its average similarity to those pages).
    means: dict[int, np.ndarray] = {}
    space_of: dict[int, object] = {}
    for cluster, docs in members.items():
        rivals = [d for d in docs if d.role == COMPETITOR]
        space = spaces.space_of(rivals[0].doc_id) if rivals else None
        if space is not None:
            means[cluster] = space.matrix[[space.row[d.doc_id] for d in rivals]].mean(axis=0)
            space_of[cluster] = space
    closest_of: dict[int, tuple[CorpusDocument, float]] = {}
    for space in spaces.spaces:
        own_rows = [i for i, d in enumerate(space.documents) if d.role == OWN]
        clusters = [c for c in means if space_of[c] is space]
        if not own_rows or not clusters:
            continue
        scores = space.matrix[own_rows] @ np.stack([means[c] for c in clusters]).T
        best = scores.argmax(axis=0)
        for j, cluster in enumerate(clusters):
            closest_of[cluster] = (space.documents[own_rows[best[j]]], float(scores[best[j], j]))
    found = []
    for cluster, docs in members.items():
        rivals = [d for d in docs if d.role == COMPETITOR]
        own = [d for d in docs if d.role == OWN]
        if not rivals:
            continue
        space = spaces.space_of(rivals[0].doc_id)
        mean = means.get(cluster)
        closest, similarity = closest_of.get(cluster, (None, 0.0))
        if own:
            if not (len(rivals) >= THIN_RATIO * len(own) and len(rivals) >= THIN_RATIO):
                continue
            status, coverage = "thin", len(own) / len(docs)
            why = f"competitors have {len(rivals)} pages on it, the own sites {len(own)}"
        else:
            # Thin when an own page is as close to the topic's pages as its own pages are
            # to each other: it would belong to the topic but joined another one.
            near = space.thresholds.topic if space else 1.0
            status = "thin" if similarity >= near else "missing"
            coverage = max(0.0, similarity) if status == "thin" else 0.0
            why = (
                "no own page on this topic"
                + (f" (closest: “{closest.title or closest.url}”, similarity {similarity:.2f})"
                   if closest else "")
            )  # fmt: skip
        sites = sorted({host(d.url) for d in rivals})
        opportunity = len(rivals) * breadth(len(sites)) * (1.0 - coverage)
        if mean is not None and space is not None:
            order = sorted(rivals, key=lambda d: -float(space.matrix[space.row[d.doc_id]] @ mean))
        else:
            order = sorted(rivals, key=lambda d: d.url)
        topic = topics.topics[cluster]
        found.append(
            {
                "kind": "topic",
                "gap": topic.name,
                "key": topic.key,
                "status": status,
                "opportunity": round(opportunity, 4),
                "competitor_documents": len(rivals),
                "competitor_domains": len(sites),
                "competitor_score": float(len(rivals)),
                "own_documents": len(own),
                "own_similarity": round(similarity, 4) if closest else None,
                "closest_own_keyword": "",
                "closest_own_url": (own[0] if own else closest).url if (own or closest) else "",
                "closest_own_title": (own[0] if own else closest).title if (own or closest) else "",
                "topic_id": cluster,
                "topic": topic.name,
                "evidence_urls": json.dumps([d.url for d in order[:EVIDENCE]]),
                "reason": f"{_pages(len(rivals))} on {_sites(sites)}; {why}",
            }
        )
    found.sort(key=lambda r: (-r["opportunity"], r["gap"]))
    for i, row in enumerate(found, start=1):
        row["rank"] = i
    return found


# -- keywords ----------------------------------------------------------------------


def _keyword_gaps(
    corpus: Corpus,
    labels: dict[str, str],
    nearest: dict[str, list[tuple[CorpusDocument, float]]],
    embedder: PhraseModel | None,
    limit: int,
) -> tuple[list[_Candidate], int, int]:
    """The ``limit`` best keyword gaps, how many competitor keywords were compared, and
    how many candidates were checked against own keywords.

    A candidate's opportunity can only fall when it is checked (a thin cover lowers its
    openness; a cover removes it), so candidates are checked in order of their demand ×
    breadth, the most it can reach, and checking stops once ``limit`` checked gaps beat
    everything not yet checked: the ranking is exact without checking every competitor
    keyword. At most ``CHECKED_PER_GAP × limit`` are checked.
    """
    rival: dict[str, list] = defaultdict(list)
    own: dict[str, list] = defaultdict(list)
    for doc in corpus.documents:
        target = rival if doc.role == COMPETITOR else own
        for kw in unique_keywords(doc):
            target[kw.key].append((doc, kw))
    own_stems = {key: stems(key) for key in own}
    by_stem: dict[str, set[str]] = defaultdict(set)
    for key, parts in own_stems.items():
        for stem in parts:
            by_stem[stem].add(key)

    candidates = []
    for key, hits in rival.items():
        hits.sort(key=lambda h: (-h[1].score, h[1].rank, h[0].url))
        candidate = _Candidate(key, hits)
        own_hits = own.get(key)
        if own_hits:
            own_pages = len({d.doc_id for d, _ in own_hits})
            if not (len(hits) >= THIN_RATIO * own_pages and len(hits) >= THIN_RATIO):
                continue
            own_hits.sort(key=lambda h: (h[1].rank, -h[1].score, h[0].url))
            candidate.own_hits = own_hits
            candidate.status, candidate.basis = "thin", "exact"
            candidate.coverage = own_pages / (own_pages + len(hits))
            candidate.own_keyword, candidate.own_page = key, own_hits[0][0]
        else:
            postings = [by_stem.get(stem, set()) for stem in stems(key)]
            if postings and set.intersection(*postings):
                continue  # an own keyword says the same and more: "drip irrigation systems"
        candidates.append(candidate)
    candidates.sort(key=lambda c: (-c.bound, c.key))

    own_pages_of = _OwnPages(own)
    phrases: dict[str, np.ndarray] = {}
    gaps: list[_Candidate] = []
    checked, budget = 0, CHECKED_PER_GAP * limit
    while checked < min(len(candidates), budget):
        if len(gaps) >= limit and gaps[limit - 1].opportunity >= candidates[checked].bound:
            break  # nothing left unchecked can enter the top ``limit``
        chunk = candidates[checked : checked + CHUNK]
        checked += len(chunk)
        for c in chunk:
            if c.basis != "exact":
                _lexical(c, by_stem, own_stems, own)
        if embedder is not None:
            _semantic(chunk, labels, nearest, embedder, own_pages_of, phrases)
        gaps += [c for c in chunk if c.status != "covered"]
        gaps.sort(key=lambda c: (-c.opportunity, c.key))
    return gaps[:limit], len(rival), checked


class _OwnPages:
    """Own pages by keyword key, sorted on first use."""

    def __init__(self, own: dict[str, list]) -> None:
        self.own, self.sorted_ = own, {}
        self._readable: set[str] | None = None

    def __getitem__(self, key: str) -> list[CorpusDocument]:
        if key not in self.sorted_:
            pages = {d.doc_id: d for d, _ in self.own.get(key, ())}
            self.sorted_[key] = sorted(pages.values(), key=lambda d: d.url)
        return self.sorted_[key]

    def readable(self, embedder: PhraseModel) -> set[str]:
        """Keys on at least one own page of a language the model reads."""
        if self._readable is None:
            self._readable = {
                key
                for key, hits in self.own.items()
                if any(embedder.supports(d.lang) for d, _ in hits)
            }
        return self._readable


def _lexical(c: _Candidate, by_stem: dict, own_stems: dict, own: dict) -> None:
    """The own keyword sharing most of the candidate's stems (Jaccard), and the own
    keywords sharing any stem not too common to mean anything."""
    mine = stems(c.key)
    shared: Counter = Counter()
    for stem in mine:
        posting = by_stem.get(stem, ())
        if len(posting) <= COMMON_STEM:
            shared.update(posting)

    def jaccard(k: str) -> float:
        return shared[k] / (len(mine) + len(own_stems[k]) - shared[k])

    c.neighbours = sorted(shared, key=lambda k: (-jaccard(k), len(k), k))[:NEIGHBOURS]
    if not c.neighbours:
        c.basis = "none"
        return
    best = c.neighbours[0]
    c.coverage, c.own_keyword, c.basis = jaccard(best), best, "lexical"
    c.status = "thin" if c.coverage >= LEXICAL_THIN else "missing"
    if c.status == "thin":
        c.own_page = min(own[best], key=lambda h: (h[1].rank, h[0].url))[0]


def _nearest_own(spaces: DocumentSpaces) -> dict[str, list[tuple[CorpusDocument, float]]]:
    """For each competitor page, the own pages closest to it in its space."""
    nearest: dict[str, list[tuple[CorpusDocument, float]]] = {}
    for space in spaces.spaces:
        rivals = [i for i, d in enumerate(space.documents) if d.role == COMPETITOR]
        own = [i for i, d in enumerate(space.documents) if d.role == OWN]
        if not rivals or not own:
            continue
        index, scores = top_similar(space.matrix[rivals], space.matrix[own], NEAREST_OWN)
        for r, row_index, row_scores in zip(rivals, index, scores, strict=True):
            nearest[space.documents[r].doc_id] = [
                (space.documents[own[j]], float(s))
                for j, s in zip(row_index, row_scores, strict=True)
            ]
    return nearest


def _semantic(
    chunk: list[_Candidate],
    labels: dict[str, str],
    nearest: dict[str, list[tuple[CorpusDocument, float]]],
    embedder: PhraseModel,
    own_pages_of: _OwnPages,
    phrases: dict[str, np.ndarray],
) -> None:
    """Compare candidates with own keywords by meaning (phrase vectors, in place): the own
    keywords sharing a stem with it and the top keywords of the own pages closest to the
    competitor pages carrying it (synonyms share no stem: "rain barrel", "water butt")."""
    readable = own_pages_of.readable(embedder)
    targets: dict[str, list[str]] = {}
    for c in chunk:
        if c.basis == "exact" or not embedder.supports(c.hits[0][0].lang):
            continue
        keys = {k for k in c.neighbours if k in readable}
        for doc, _ in c.hits[:2]:
            for page, _sim in nearest.get(doc.doc_id, []):
                keys.update(
                    kw.key for kw in page.keywords if kw.rank <= NEAR_RANKS and kw.key in readable
                )
        targets[c.key] = sorted(keys)
    wanted = [labels.get(k, k) for k in targets] + [
        labels.get(k, k) for keys in targets.values() for k in keys
    ]
    phrases.update(phrase_vectors(embedder, [w for w in wanted if w not in phrases]))
    for c in chunk:
        keys = targets.get(c.key)
        if not keys:
            continue
        query = phrases[labels.get(c.key, c.key)]
        matrix = np.stack([phrases[labels.get(k, k)] for k in keys])
        sims = matrix @ query
        best = int(np.argmax(sims))
        similarity, key = float(sims[best]), keys[best]
        c.basis, c.coverage, c.own_keyword = "semantic", similarity, key
        c.own_page = own_pages_of[key][0] if similarity >= THIN else None
        c.status = (
            "covered" if similarity >= COVERED else "thin" if similarity >= THIN else "missing"
        )


def _keyword_row(
    rank: int,
    c: _Candidate,
    labels: dict[str, str],
    topics: Topics,
    nearest: dict[str, list[tuple[CorpusDocument, float]]],
) -> dict:
    page = c.own_page
    if page is None:  # the own page closest to the competitor pages carrying it
        close = [n for d, _ in c.hits for n in nearest.get(d.doc_id, [])]
        page = max(close, key=lambda n: n[1])[0] if close else None
    topic_id = mode(topics.assignment.get(d.doc_id) for d, _ in c.hits)
    topic = topics.topics.get(topic_id) if topic_id is not None else None
    sites = c.domains
    best_rank = min(kw.rank for _, kw in c.hits)
    label = labels.get(c.key, c.key)
    related = c.own_keyword and (c.basis == "exact" or c.coverage >= RELATED)
    own_label = labels.get(c.own_keyword, c.own_keyword) if related else ""
    if c.basis == "exact":
        why = f"competitors have {len(c.hits)} pages on it, the own sites {len(c.own_hits)}"
    elif c.status == "thin":
        why = f"the own sites only have the related “{own_label}” (similarity {c.coverage:.2f})"
    elif own_label:
        why = f"no own page has it or anything close (nearest own keyword “{own_label}”, {c.coverage:.2f})"
    else:
        why = "no own page has it or anything close"
    return {
        "rank": rank,
        "kind": "keyword",
        "gap": label,
        "key": c.key,
        "status": c.status,
        "opportunity": round(c.opportunity, 4),
        "competitor_documents": len(c.hits),
        "competitor_domains": len(sites),
        "competitor_score": round(c.demand, 4),
        "own_documents": len(c.own_hits),
        "own_similarity": round(c.coverage, 4) if c.basis != "none" else None,
        "closest_own_keyword": own_label,
        "closest_own_url": page.url if page else "",
        "closest_own_title": page.title if page else "",
        "topic_id": topic_id,
        "topic": topic.name if topic else None,
        "evidence_urls": json.dumps([d.url for d, _ in c.hits[:EVIDENCE]]),
        "reason": f"{_pages(len(c.hits))} on {_sites(sites)} rank it (best #{best_rank}); {why}",
    }


def _pages(n: int) -> str:
    return f"{n} competitor page{'s' if n != 1 else ''}"


def _sites(sites: list[str]) -> str:
    listed = ", ".join(sites[:3]) + (f" and {len(sites) - 3} more" if len(sites) > 3 else "")
    return f"{len(sites)} site{'s' if len(sites) != 1 else ''} ({listed})"


# -- Markdown and chart ------------------------------------------------------------


def _markdown(corpus: Corpus, rows: list[dict], summary: dict, top_n: int) -> str:
    lines = [f"# Content gap — {corpus.tenant}, {corpus.day}", ""]
    if not corpus.competitor:
        lines += [
            "No competitor pages yet: add a competitor's feed or sitemap as a source "
            "(role `competitor`) to see what they cover and you do not.",
            "",
        ]
        return "\n".join(lines)
    topic_rows = [r for r in rows if r["kind"] == "topic"]
    keyword_rows = [r for r in rows if r["kind"] == "keyword"]
    if rows:
        top = rows[0]
        lines += [
            f"Competitors cover {counted(summary['topic_gaps'], 'topic')} and "
            f"{counted(summary['keyword_gaps'], 'keyword')} that your sites miss or cover "
            "thinly. The biggest opportunity: "
            f"**{top['gap']}** — {top['reason']}.",
        ]
    else:
        lines.append("Every topic and keyword of the competitors is covered by your own pages.")
    if not corpus.own:
        lines += ["", "_There are no own pages yet: everything the competitors cover is a gap._"]
    lines += ["", "{chart:top}", "", "## Topics to add or strengthen", ""]
    if topic_rows:
        lines += [
            "| # | topic | status | opportunity | competitor pages | sites | closest own page |",
            "| --: | --- | --- | --: | --: | --: | --- |",
        ]
        lines += [
            f"| {r['rank']} | {r['gap']} | {r['status']} | {r['opportunity']:.2f} | "
            f"{r['competitor_documents']} | {r['competitor_domains']} | "
            f"{_own_cell(r)} |"
            for r in topic_rows[:top_n]
        ]
    else:
        lines.append("_none_")
    lines += ["", "## Keywords to target", ""]
    if keyword_rows:
        lines += [
            "| # | keyword | status | opportunity | competitor pages | sites | topic "
            "| closest own keyword | example competitor page |",
            "| --: | --- | --- | --: | --: | --: | --- | --- | --- |",
        ]
        lines += [
            f"| {r['rank']} | {r['gap']} | {r['status']} | {r['opportunity']:.2f} | "
            f"{r['competitor_documents']} | {r['competitor_domains']} | {r['topic'] or '—'} | "
            f"{_own_keyword_cell(r)} | {json.loads(r['evidence_urls'])[0]} |"
            for r in keyword_rows[:top_n]
        ]
    else:
        lines.append("_none_")
    lines += [
        "",
        "## How to read this",
        "",
        "- **missing**: no own page covers it; **thin**: the own sites have only a related "
        "keyword or page, or far fewer pages than the competitors.",
        "- **opportunity** = demand × breadth × openness: the keyword's weight on competitor "
        "pages (score / √rank; pages, for a topic), 1 + ln(competitor sites), and 1 for a missing gap or "
        "1 − how close the own sites come for a thin one.",
        f"- {summary['competitor_keywords']} competitor keywords were compared with yours; "
        + (
            f"the {summary['keywords_checked']} with the highest demand also by meaning "
            "(phrase embeddings), so near-synonyms of your own keywords are not listed."
            if summary["checked_by_meaning"]
            else "by their stems only (no embedding model for their language)."
        ),
        "",
    ]
    return "\n".join(lines)


def _own_cell(row: dict) -> str:
    if not row["closest_own_url"]:
        return "—"
    similarity = row["own_similarity"]
    suffix = f" ({similarity:.2f})" if similarity is not None and row["own_documents"] == 0 else ""
    return f"{row['closest_own_url']}{suffix}"


def _own_keyword_cell(row: dict) -> str:
    if not row["closest_own_keyword"]:
        return "—"
    if row["own_documents"]:
        return f"{row['closest_own_keyword']} (on {row['own_documents']} own pages)"
    return f"{row['closest_own_keyword']} ({row['own_similarity']:.2f})"


def _top_chart(rows: list[dict], top_n: int) -> bytes:
    chosen = sorted(rows, key=lambda r: -r["opportunity"])[:top_n][::-1]
    with charts.figure(8, max(2.5, 0.34 * len(chosen) + 1)) as (fig, ax):
        if not chosen:
            charts.empty(ax, "no content gaps")
            return charts.png(fig)
        labels = [
            f"{'[topic] ' if r['kind'] == 'topic' else ''}{charts.shorten(r['gap'], 36)}"
            for r in chosen
        ]
        colours = [charts.BLUE if r["kind"] == "topic" else charts.GREEN for r in chosen]
        bars = ax.barh(labels, [r["opportunity"] for r in chosen], color=colours)
        for bar, row in zip(bars, chosen, strict=True):
            if row["status"] == "thin":
                bar.set_alpha(0.55)
        ax.set_xlabel("opportunity (demand × breadth × openness)")
        from matplotlib.patches import Patch

        handles = [
            Patch(color=charts.BLUE, label="topic"),
            Patch(color=charts.GREEN, label="keyword"),
            Patch(color=charts.GREY, alpha=0.55, label="thin cover (lighter)"),
        ]
        ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=False)
        return charts.png(fig)
