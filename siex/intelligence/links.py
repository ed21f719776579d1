"""Internal-link suggestions: which own page should link to which, and with which words.

For every own page (the *source*) the report proposes up to ``per_source`` other own
pages to link to (the *targets*), each with an anchor: a verbatim span of the source's
main text, found by the BACOWR placer (``siex.domains.bacowr.PreparedSource``) from
the target's stored keywords, with its character offset and sentence, so an editor
can wrap those words in a link without rewriting anything.

How pairs are found and scored:

* **Relatedness** of two pages: ``0.65 × semantic + 0.35 × keywords`` when both have
  a document vector (``siex.intelligence.vectors``, cached per version), keyword
  overlap alone otherwise (pages in languages the model does not know). *semantic* is
  the cosine of the page vectors (negative counts as 0); *keywords* is the cosine of
  the pages' keyword vectors, each keyword weighted by its engine score and its
  rarity across the own site (idf), so sharing "drip irrigation" counts more than
  sharing the brand name. Keywords on more than half of 20+ pages are dropped.
* For each source the ``candidates`` most related targets (top-k by blocks of
  ``block`` sources: a ``block × pages`` float32 matrix at a time, never pages²) get an
  anchor search. The placer proposes the best anchor of each passage; its
  **anchor match** (0–1) is, for the target keyword it fits best, the share of that
  keyword's words it covers × the share of its own words that belong to it × the
  keyword's weight (engine score, rank-decayed by 1/√(1+rank), times the
  *specificity* of its words on the own site: 1 − (df − 1)/(n − 1), so "soil" on a
  gardening site is a weak anchor), relative to the target's best keyword, and × 0.6
  when the anchor shares no word with the target's title. An anchor needs
  ``min_anchor_match`` (0.45): "drip irrigation" for the drip irrigation guide, not
  "water" or "beds".
* **Score** = ``0.6 × relatedness + 0.4 × anchor match``. Best scores are taken
  first, at most ``per_source`` per source and ``per_target`` per target; one source's
  anchors never overlap or repeat, and relatedness below ``min_relatedness`` (0.2) is
  not searched.

Never suggested: self links, targets that are noindex or canonicalised to another
URL, competitor pages (they are not candidates at all), pages of another language,
sources whose meta robots is nofollow, and pairs already linked in the content (the
source's ``onpage.links``, URLs normalized with ``siex.web.urls.normalize_url``). A
link the whole site repeats (same target and anchor on at least half of a site's
pages, five pages or more: the navigation, the footer) does not count as linked:
such pairs can be suggested and are flagged ``linked_from_navigation``. Anchors are
not taken from words the source already links in its content.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import numpy as np
from scipy import sparse

from siex.domains.bacowr import LinkPlacement, PreparedSource, keyword_weights
from siex.engine.candidates import tokenize
from siex.engine.languages import language_kit
from siex.intelligence import charts
from siex.intelligence.corpus import Corpus, CorpusDocument
from siex.intelligence.publish import Chart, Report, counted
from siex.web.urls import normalize_url as _normalize_url

# URLs repeat across pages (navigation, popular targets): normalize each once.
normalize_url = lru_cache(maxsize=100_000)(_normalize_url)

KIND = "link_suggestions"
TITLE_MISS = 0.6  # anchor quality kept when the anchor shares no word with the target title


@dataclass(frozen=True)
class LinkOptions:
    per_source: int = 5
    per_target: int = 10
    candidates: int = 20  # most related targets per source searched for an anchor
    min_relatedness: float = 0.2
    min_anchor_match: float = 0.45
    semantic_weight: float = 0.65
    navigation_share: float = 0.5  # of a site's pages repeating a link: navigation
    navigation_min_pages: int = 5
    common_keyword_share: float = 0.5  # keywords on more of the pages are not evidence
    block: int = 256  # sources scored per matrix block
    max_text_chars: int = 30_000  # of each source searched for anchors


@dataclass
class _Page:
    doc: CorpusDocument
    norm: str
    host: str
    eligible_target: bool
    eligible_source: bool
    why_not_target: str  # "noindex", "canonicalised" or ""
    links: list[dict]


def build_link_suggestions(
    corpus: Corpus,
    vectors: Mapping[str, np.ndarray] | None = None,
    options: LinkOptions | None = None,
) -> Report:
    """Link suggestions between the own pages of ``corpus`` (loaded with text).

    ``vectors`` maps doc_id to a normalized document vector (``document_vectors``);
    pages without one are compared by keywords only.
    """
    options = options or LinkOptions()
    vectors = vectors or {}
    pages = _pages(corpus)
    n = len(pages)
    index: dict[str, int] = {}
    for i, p in enumerate(pages):
        index.setdefault(p.norm, i)
    content_pairs, nav_pairs, linked_anchors, nav_links = _existing_links(pages, index, options)
    inbound = Counter(j for _i, j in content_pairs)
    linked_targets: dict[int, list[int]] = defaultdict(list)
    for i, j in content_pairs:
        linked_targets[i].append(j)

    keys, matrix, idf = _keyword_matrix(pages, options)
    dim = next((len(v) for v in vectors.values()), 0)
    has_vector = np.array([p.doc.doc_id in vectors for p in pages], dtype=bool)
    embedded = np.zeros((n, dim), dtype=np.float32)
    for i, p in enumerate(pages):
        if has_vector[i]:
            embedded[i] = vectors[p.doc.doc_id]
    langs = {lang: code for code, lang in enumerate(sorted({p.doc.lang for p in pages}))}
    lang_codes = np.array([langs[p.doc.lang] for p in pages], dtype=np.int32)
    targets_ok = np.array([p.eligible_target for p in pages], dtype=bool)

    specificity = _stem_specificity(pages)
    profiles: dict[int, _Profile] = {}
    found: list[dict] = []
    searched = 0
    for start in range(0, n, options.block):
        stop = min(n, start + options.block)
        related, semantic, overlap = _block_scores(
            start, stop, matrix, embedded, has_vector, options
        )
        related[:, ~targets_ok] = -1.0
        related[lang_codes[start:stop, None] != lang_codes[None, :]] = -1.0
        related[np.arange(stop - start), np.arange(start, stop)] = -1.0
        for i in range(start, stop):
            if linked_targets.get(i):
                related[i - start, linked_targets[i]] = -1.0
        k = min(options.candidates, n - 1)
        if k <= 0:
            break
        top = np.argpartition(-related, k - 1, axis=1)[:, :k]
        for row, i in enumerate(range(start, stop)):
            source = pages[i]
            if not source.eligible_source:
                continue
            order = sorted(top[row], key=lambda j: (-related[row, j], j))
            chosen = [j for j in order if related[row, j] >= options.min_relatedness]
            if not chosen:
                continue
            searched += 1
            for j in chosen:
                if j not in profiles:
                    profiles[j] = _profile(pages[j].doc, specificity, options.min_anchor_match)
            interest = {stem for j in chosen for stem in profiles[j].weights}
            text = (source.doc.text or "")[: options.max_text_chars]
            prepared = PreparedSource(text, language_kit(source.doc.lang), interest)
            used_spans: list[tuple[int, int]] = []
            used_anchors = set(linked_anchors.get(i, ()))
            kept = 0
            for j in chosen:
                placed = _placement(prepared, profiles[j], used_spans, used_anchors, options)
                if placed is None:
                    continue
                placement, quality = placed
                used_spans.append(
                    (placement.anchor_start, placement.anchor_start + len(placement.anchor))
                )
                used_anchors.add(placement.anchor.casefold())
                rel = float(related[row, j])
                sem = float(semantic[row, j]) if semantic is not None and has_vector[j] else None
                if not has_vector[i]:
                    sem = None
                found.append(
                    {
                        "i": i,
                        "j": j,
                        "placement": placement,
                        "quality": quality,
                        "relatedness": rel,
                        "semantic": sem,
                        "overlap": float(overlap[row, j]),
                        "score": round(0.6 * rel + 0.4 * quality, 4),
                    }
                )
                kept += 1
                if kept >= 2 * options.per_source:  # spares for targets that fill up
                    break

    rows = _select(found, pages, keys, idf, nav_pairs, inbound, options)
    summary = _summary(pages, rows, content_pairs, nav_links, has_vector, inbound, searched)
    charts_ = [
        Chart("targets", "Pages with the most suggested inbound links", _targets_chart(rows)),
        Chart("graph", "The strongest suggestions as a link graph", _graph_chart(rows)),
    ]
    return Report(KIND, rows, summary, _markdown(corpus, rows, summary), charts_)


def _pages(corpus: Corpus) -> list[_Page]:
    out = []
    for doc in sorted(corpus.own, key=lambda d: d.url):
        row = doc.onpage or {}
        norm = normalize_url(doc.url)
        canonical = row.get("canonical")
        canonical = normalize_url(canonical) if isinstance(canonical, str) and canonical else ""
        why = ""
        if row.get("noindex"):
            why = "noindex"
        elif canonical and canonical != norm:
            why = "canonicalised"
        out.append(
            _Page(
                doc=doc,
                norm=norm,
                host=_host(doc.url),
                eligible_target=not why,
                eligible_source=bool((doc.text or "").strip()) and not row.get("nofollow"),
                why_not_target=why,
                links=_links(row.get("links")),
            )
        )
    return out


def _links(value) -> list[dict]:
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except (ValueError, TypeError, RecursionError):
        return []
    if not isinstance(data, list):
        return []
    return [d for d in data if isinstance(d, dict) and isinstance(d.get("url"), str)]


def _host(url: str) -> str:
    try:
        return (urlsplit(url).netloc or "").lower()
    except ValueError:
        return ""


def _existing_links(pages: list[_Page], index: dict[str, int], options: LinkOptions):
    """Pairs linked in the content, pairs linked only by navigation, each source's
    linked anchor texts, and how many navigation links were recognised."""
    with_links = Counter(p.host for p in pages if p.links)
    repeats: Counter = Counter()
    parsed: list[list[tuple[str, str]]] = []
    for p in pages:
        mine = {
            (normalize_url(link["url"]), " ".join(str(link.get("anchor") or "").split()).casefold())
            for link in p.links
            if link.get("internal", True)
        }
        parsed.append(sorted(mine))
        for target, anchor in mine:
            repeats[(p.host, target, anchor)] += 1
    content: set[tuple[int, int]] = set()
    navigation: set[tuple[int, int]] = set()
    anchors: dict[int, set[str]] = defaultdict(set)
    nav_links = 0
    for i, (p, mine) in enumerate(zip(pages, parsed, strict=True)):
        floor = max(options.navigation_min_pages, options.navigation_share * with_links[p.host])
        for target, anchor in mine:
            j = index.get(target)
            template = repeats[(p.host, target, anchor)] >= floor
            nav_links += template
            if not template and anchor:
                anchors[i].add(anchor)
            if j is None or j == i:
                continue
            (navigation if template else content).add((i, j))
    return content, navigation - content, anchors, nav_links


def _keyword_matrix(pages: list[_Page], options: LinkOptions):
    """Rows: pages; columns: keyword keys shared by two pages at least; cells: engine
    score × idf, rows L2-normalized (a dot product is the cosine)."""
    n = len(pages)
    per_page: list[dict[str, tuple[float, str]]] = []
    df: Counter = Counter()
    for p in pages:
        mine: dict[str, tuple[float, str]] = {}
        for kw in p.doc.keywords:
            if kw.key not in mine or kw.score > mine[kw.key][0]:
                mine[kw.key] = (kw.score, kw.text)
        per_page.append(mine)
        df.update(mine.keys())
    too_common = n * options.common_keyword_share if n >= 20 else n + 1
    vocab = sorted(k for k, c in df.items() if 2 <= c <= too_common)
    column = {k: c for c, k in enumerate(vocab)}
    rows, cols, vals = [], [], []
    for i, mine in enumerate(per_page):
        for key, (score, _text) in mine.items():
            c = column.get(key)
            if c is not None:
                rows.append(i)
                cols.append(c)
                vals.append(max(score, 0.01) * (math.log(n / df[key]) + 1.0))
    matrix = sparse.csr_matrix(
        (np.array(vals, dtype=np.float32), (rows, cols)), shape=(n, len(vocab)), dtype=np.float32
    )
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix = sparse.diags((1.0 / norms).astype(np.float32)) @ matrix
    idf = {key: math.log(n / count) + 1.0 for key, count in df.items()}
    return per_page, matrix.tocsr(), idf


def _block_scores(start, stop, matrix, embedded, has_vector, options: LinkOptions):
    overlap = (matrix[start:stop] @ matrix.T).toarray().astype(np.float32, copy=False)
    if embedded.shape[1] == 0 or not has_vector.any():
        return overlap.copy(), None, overlap
    semantic = np.clip(embedded[start:stop] @ embedded.T, 0.0, 1.0)
    both = has_vector[start:stop, None] & has_vector[None, :]
    w = options.semantic_weight
    related = np.where(both, w * semantic + (1 - w) * overlap, overlap).astype(np.float32)
    return related, semantic, overlap


@dataclass
class _Profile:
    """What a target is about: its keyword phrases (content stems, rank-decayed weight,
    specificity on the own site) and the stem weights the placer looks for."""

    phrases: list[tuple[frozenset[str], float]]  # (stems, weight × specificity)
    top: float  # the best rank-decayed weight, before specificity
    weights: dict[str, float]  # stem -> weight × specificity, for PreparedSource.place
    title: frozenset[str]  # content stems of the target's title


def _stem_specificity(pages: list[_Page]) -> dict[str, float]:
    """How specific each keyword stem is on the own site: 1 − (df − 1) / (n − 1) over the
    pages whose keywords contain it (1: one page only; near 0: every page; at least
    0.05). Generic words ("soil" on a gardening site) make weak anchors. Under five
    pages, all 1."""
    n = len(pages)
    df: Counter = Counter()
    for p in pages:
        kit = language_kit(p.doc.lang)
        df.update(
            {t.stem for kw in p.doc.keywords for t in tokenize(kw.text, kit) if t.kind == "C"}
        )
    if n < 5:
        return dict.fromkeys(df, 1.0)
    return {stem: max(0.05, 1.0 - (count - 1) / (n - 1)) for stem, count in df.items()}


def _profile(doc: CorpusDocument, specificity: dict[str, float], floor: float) -> _Profile:
    """The target's profile; the placer looks only for stems of keywords that could
    give an anchor of quality ``floor`` or better (the others cannot pass)."""
    kit = language_kit(doc.lang)
    phrases, top = [], 0.0
    ranked = sorted(doc.keywords, key=lambda kw: kw.rank)
    for rank, kw in enumerate(ranked):
        stems = frozenset(t.stem for t in tokenize(kw.text, kit) if t.kind == "C")
        if not stems:
            continue
        base = max(kw.score, 0.0) / (1 + rank) ** 0.5
        top = max(top, base)
        spec = sum(specificity.get(s, 1.0) for s in stems) / len(stems)
        phrases.append((stems, base * spec))
    top = top or 1.0
    viable = {stem for stems, weight in phrases if weight / top >= floor for stem in stems}
    weights = {
        stem: w * specificity.get(stem, 1.0)
        for stem, w in keyword_weights(((kw.text, kw.score) for kw in ranked), kit).items()
        if stem in viable
    }
    title = frozenset(t.stem for t in tokenize(doc.title or "", kit) if t.kind == "C")
    return _Profile(phrases, top, weights, title)


def _anchor_quality(anchor: str, kit, profile: _Profile) -> float:
    """0–1: how well the anchor names the target. For the best target phrase: the share
    of the phrase it covers × the share of its own words in the phrase × the phrase's
    weight (rank and specificity), relative to the target's best keyword; × 0.6 when
    the anchor shares no word with the target's title (a side topic of the target)."""
    stems = {t.stem for t in tokenize(anchor, kit) if t.kind == "C"}
    if not stems:
        return 0.0
    best = 0.0
    for phrase, weight in profile.phrases:
        shared = len(stems & phrase)
        if shared:
            best = max(best, shared / len(phrase) * shared / len(stems) * weight)
    if profile.title and not stems & profile.title:
        best *= TITLE_MISS
    return min(1.0, best / profile.top)


def _placement(
    prepared: PreparedSource,
    profile: _Profile,
    used_spans: list[tuple[int, int]],
    used_anchors: set[str],
    options: LinkOptions,
) -> tuple[LinkPlacement, float] | None:
    """The best free placement for a link to the target, and its anchor quality."""
    best, best_key = None, -1.0
    for placement in prepared.place(profile.weights, top_n=5):
        quality = _anchor_quality(placement.anchor, prepared.kit, profile)
        if quality < options.min_anchor_match:
            continue
        start, end = placement.anchor_start, placement.anchor_start + len(placement.anchor)
        anchor = f" {placement.anchor.casefold()} "
        if any(start < b and a < end for a, b in used_spans):
            continue
        # Whole words: "drip irrigation" is taken by a link "drip irrigation kit", but
        # "here" does not block "where".
        if any(anchor in f" {linked} " or f" {linked} " in anchor for linked in used_anchors):
            continue
        key = quality + 0.25 * placement.relevance
        if key > best_key:
            best, best_key = (placement, quality), key
    return best


def _select(found, pages, keys, idf, nav_pairs, inbound, options: LinkOptions) -> list[dict]:
    found.sort(key=lambda f: (-f["score"], pages[f["i"]].doc.url, pages[f["j"]].doc.url))
    per_source: Counter = Counter()
    per_target: Counter = Counter()
    chosen = []
    for f in found:
        i, j = f["i"], f["j"]
        if per_source[i] >= options.per_source or per_target[j] >= options.per_target:
            continue
        per_source[i] += 1
        per_target[j] += 1
        chosen.append(f)
    ranks: Counter = Counter()
    rows = []
    for f in chosen:
        i, j, placement = f["i"], f["j"], f["placement"]
        ranks[i] += 1
        source, target = pages[i], pages[j]
        shared = sorted(
            set(keys[i]) & set(keys[j]),
            key=lambda k: (-keys[j][k][0] * keys[i][k][0] * idf[k] ** 2, k),
        )
        labels = [keys[j][k][1] for k in shared[:5]]
        rows.append(
            {
                "source_url": source.doc.url,
                "source_title": source.doc.title,
                "target_url": target.doc.url,
                "target_title": target.doc.title,
                "anchor": placement.anchor,
                "anchor_offset": placement.anchor_start,
                "context": _context(placement),
                "reason": _reason(labels, f["semantic"], inbound[j]),
                "shared_keywords": json.dumps(labels, ensure_ascii=False),
                "semantic_similarity": None if f["semantic"] is None else round(f["semantic"], 4),
                "keyword_overlap": round(f["overlap"], 4),
                "anchor_match": round(f["quality"], 4),
                "score": f["score"],
                "rank": ranks[i],
                "target_inbound_links": inbound[j],
                "linked_from_navigation": (i, j) in nav_pairs,
            }
        )
    return rows


def _context(placement: LinkPlacement, width: int = 110) -> str:
    passage, at = placement.passage, placement.anchor_start - placement.passage_start
    start = max(0, at - width)
    end = min(len(passage), at + len(placement.anchor) + width)
    snippet = " ".join(passage[start:end].split())  # for reading: line breaks collapsed
    return ("…" if start else "") + snippet + ("…" if end < len(passage) else "")


def _reason(shared: list[str], semantic: float | None, inbound: int) -> str:
    parts = []
    if shared:
        parts.append("shared keywords: " + ", ".join(shared[:3]))
    if semantic is not None:
        parts.append(f"semantic similarity {semantic:.2f}")
    if inbound == 0:
        parts.append("no page links to the target in its content yet")
    return "; ".join(parts) or "related content"


def _summary(pages, rows, content_pairs, nav_links, has_vector, inbound, searched) -> dict:
    targets_ok = [j for j, p in enumerate(pages) if p.eligible_target]
    orphans = {j for j in targets_ok if inbound[j] == 0}
    suggested = Counter(r["target_url"] for r in rows)
    return {
        "own_pages": len(pages),
        "suggestions": len(rows),
        "source_pages": len({r["source_url"] for r in rows}),
        "target_pages": len(suggested),
        "pages_searched": searched,
        "targets_without_inbound": len(orphans),
        "orphans_with_suggestions": sum(1 for j in orphans if pages[j].doc.url in suggested),
        "pairs_linked_in_content": len(content_pairs),
        "navigation_links": nav_links,
        "pages_with_vectors": int(has_vector.sum()) if len(pages) else 0,
        "pages_without_vectors": int((~has_vector).sum()) if len(pages) else 0,
        "excluded_noindex": sum(1 for p in pages if p.why_not_target == "noindex"),
        "excluded_canonicalised": sum(1 for p in pages if p.why_not_target == "canonicalised"),
        "pages_without_text": sum(1 for p in pages if not (p.doc.text or "").strip()),
    }


# -- Markdown and charts ------------------------------------------------------------


def _path(url: str) -> str:
    try:
        parts = urlsplit(url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    except ValueError:
        return url


def _cell(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|").replace("\n", " ")


def _markdown(corpus: Corpus, rows: list[dict], summary: dict, top_n: int = 20) -> str:
    lines = [f"# Internal-link suggestions — {corpus.tenant}, {corpus.day}", ""]
    if not rows:
        why = (
            "fewer than two own pages with text"
            if summary["own_pages"] - summary["pages_without_text"] < 2
            else "no pair of own pages is related enough, with an anchor in the text, "
            "that is not linked already"
        )
        lines += [f"No suggestions today: {why}.", "", "{chart:targets}", ""]
    else:
        lines += [
            f"{counted(summary['suggestions'], 'link')} to add: "
            f"{counted(summary['source_pages'], 'own page')} could link to "
            f"{counted(summary['target_pages'], 'other')}, each with words already in the text. "
            f"{counted(summary['targets_without_inbound'], 'linkable page')} without an "
            "in-content link from another own page; the suggestions give "
            f"**{summary['orphans_with_suggestions']}** of them their first.",
            "",
            "{chart:targets}",
            "",
            "## Best suggestions",
            "",
            "| on page | link the words | to | why | score |",
            "| --- | --- | --- | --- | --: |",
        ]
        for r in rows[:top_n]:
            nav = " (linked only from the navigation)" if r["linked_from_navigation"] else ""
            lines.append(
                f"| [{_cell(_path(r['source_url']))}]({r['source_url']}) | "
                f"“{_cell(r['anchor'])}” in “{_cell(r['context'])}” | "
                f"[{_cell(_path(r['target_url']))}]({r['target_url']}) | "
                f"{_cell(r['reason'])}{nav} | {r['score']:.2f} |"
            )
        lines += ["", "{chart:graph}", ""]
    lines += [
        "## How to use it",
        "",
        "Open the page, find the quoted words (the sentence is given), and turn them into a "
        "link to the target. All suggestions are in the export, best first; `rank` orders "
        "each page's own suggestions. Pairs already linked in the content are never "
        "suggested; pairs linked only from the site navigation can be, and are marked.",
        "",
        "## Notes",
        "",
        f"- {summary['own_pages']} own pages considered; {summary['pages_with_vectors']} compared "
        f"by meaning and keywords, {summary['pages_without_vectors']} by keywords only (a "
        "language the embedding model does not cover, or no vector yet).",
        f"- Not linked to: {summary['excluded_noindex']} noindex pages, "
        f"{summary['excluded_canonicalised']} pages canonicalised to another URL; competitor "
        "pages never.",
        f"- {summary['pairs_linked_in_content']} page pairs are already linked in the content; "
        f"{summary['navigation_links']} links were recognised as site navigation.",
    ]
    return "\n".join(lines) + "\n"


def _targets_chart(rows: list[dict], top_n: int = 15) -> bytes:
    suggested = Counter(r["target_url"] for r in rows)
    inbound = {r["target_url"]: r["target_inbound_links"] for r in rows}
    chosen = sorted(suggested, key=lambda u: (inbound[u] > 0, -suggested[u], u))[:top_n]
    with charts.figure(8, max(2.5, 0.36 * len(chosen) + 1.2)) as (fig, ax):
        if not chosen:
            charts.empty(ax, "no internal links to suggest")
            return charts.png(fig)
        chosen.reverse()
        labels = [charts.shorten(_path(u), 45) for u in chosen]
        y = np.arange(len(chosen))
        ax.barh(
            y + 0.2,
            [suggested[u] for u in chosen],
            height=0.4,
            color=[charts.RED if inbound[u] == 0 else charts.GREEN for u in chosen],
            label="suggested",
        )
        ax.barh(
            y - 0.2,
            [inbound[u] for u in chosen],
            height=0.4,
            color=charts.GREY,
            label="existing in-content links",
        )
        ax.set_yticks(y, labels)
        ax.set_xlabel("own pages linking in (red: none today)")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        return charts.png(fig)


def _graph_chart(rows: list[dict], top_n: int = 25) -> bytes:
    import networkx as nx

    chosen = rows[:top_n]
    with charts.figure(8, 5.5) as (fig, ax):
        if not chosen:
            charts.empty(ax, "no internal links to suggest")
            return charts.png(fig)
        graph = nx.DiGraph()
        for r in chosen:
            graph.add_edge(r["source_url"], r["target_url"], weight=r["score"])
        if len(graph) <= 12:  # few pages: a circle keeps every edge readable
            layout = nx.circular_layout(graph)
        else:
            layout = nx.spring_layout(graph, seed=7, k=1.5 / len(graph) ** 0.5)
        inbound = {r["target_url"]: r["target_inbound_links"] for r in rows}
        colours = [charts.RED if inbound.get(u) == 0 else charts.BLUE for u in graph.nodes]
        nx.draw_networkx_edges(
            graph,
            layout,
            ax=ax,
            edge_color=charts.GREY,
            arrows=True,
            arrowsize=14,
            node_size=160,
            connectionstyle="arc3,rad=0.12",
            width=[0.5 + 2 * graph[a][b]["weight"] for a, b in graph.edges],
        )
        nx.draw_networkx_nodes(graph, layout, ax=ax, node_size=160, node_color=colours)
        labels = {
            u: charts.shorten(_path(u).rstrip("/").rsplit("/", 1)[-1] or "/", 28)
            for u in graph.nodes
        }
        nx.draw_networkx_labels(
            graph, layout, labels, ax=ax, font_size=8, verticalalignment="bottom"
        )
        ax.margins(0.18)
        ax.text(
            0,
            0,
            "arrow: page to edit → page to link; red: no in-content link to it yet",
            transform=ax.transAxes,
            fontsize=8,
            color=charts.GREY,
        )
        ax.set_axis_off()
        return charts.png(fig)
