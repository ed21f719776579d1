"""A tenant's corpus as it stood on one day: what every SEO report reads.

The warehouse keeps one partition per tenant and day, and a page fetched on several
days has a document version in each. A report about day D needs the *current* state
of the tenant's sites on D: the latest version of every document seen up to D, its
keywords (those of that exact version), its on-page signals, and whether it belongs
to the tenant's own sites or to a competitor's. ``load_corpus`` builds that with a
few DuckDB queries over the tenant's folders only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from siex.engine.candidates import CONTENT, MODIFIER, NUMBER, tokenize
from siex.engine.languages import language_kit
from siex.warehouse import Warehouse, check_date, check_tenant

OWN, COMPETITOR = "own", "competitor"
ROLES = (OWN, COMPETITOR)


@dataclass(frozen=True)
class CorpusKeyword:
    text: str  # as the engine wrote it
    key: str  # stems joined by spaces: inflections and case fall together
    score: float
    rank: int


@dataclass
class CorpusDocument:
    """The latest version of one document on or before the report's day."""

    doc_id: str
    url: str
    source_id: str
    role: str  # "own" or "competitor"
    title: str
    description: str
    lang: str
    published_at: datetime | None
    fetched_at: datetime | None
    first_seen: date  # the first day the warehouse has this document
    last_seen: date  # the day of this version
    content_hash: str
    word_count: int
    text: str | None = None  # only with ``load_corpus(..., with_text=True)``
    keywords: list[CorpusKeyword] = field(default_factory=list)
    onpage: dict | None = None  # the page's row of the ``onpage`` table, if any

    @property
    def date(self) -> date:
        """When the document appeared: its publish date, else the day it was first seen."""
        return self.published_at.date() if self.published_at else self.first_seen


@dataclass
class Corpus:
    tenant: str
    day: str
    documents: list[CorpusDocument]

    def by_role(self, role: str) -> list[CorpusDocument]:
        return [d for d in self.documents if d.role == role]

    @property
    def own(self) -> list[CorpusDocument]:
        return self.by_role(OWN)

    @property
    def competitor(self) -> list[CorpusDocument]:
        return self.by_role(COMPETITOR)


def keyword_key(text: str, lang: str) -> str:
    """A keyword's identity across documents: its stems, lower case ("Raised beds" and
    "raised bed" are one keyword). Words the engine would not keep are dropped."""
    return _keyword_key(text, lang or "und")


@lru_cache(maxsize=200_000)
def _keyword_key(text: str, lang: str) -> str:
    kit = language_kit(lang)
    stems = [t.stem for t in tokenize(text, kit) if t.kind in (CONTENT, MODIFIER, NUMBER)]
    return " ".join(stems) or text.lower().strip()


_DOCUMENTS = """
    SELECT doc_id, url, source_id, title, description, lang, published_at, fetched_at,
           content_hash, word_count, date AS last_seen,
           min(date) OVER (PARTITION BY doc_id) AS first_seen {text}
    FROM documents WHERE date <= ?::DATE {since}
      AND doc_id NOT IN (  -- pages whose latest fetch by that day found them gone (404/410)
        SELECT doc_id FROM (
            SELECT doc_id, change FROM page_history WHERE date <= ?::DATE
            QUALIFY row_number() OVER (PARTITION BY doc_id ORDER BY fetched_at DESC) = 1
        ) WHERE change = 'gone')
    QUALIFY row_number() OVER (PARTITION BY doc_id ORDER BY date DESC, fetched_at DESC) = 1
"""
# The keywords of each document's latest version, from the last day they were written;
# not the folded ones (a listed phrase's pieces filling a short text's list): no topics.
_KEYWORDS = """
    WITH latest AS ({documents})
    SELECT k.doc_id, k.keyword, k.score, k.rank
    FROM keywords k JOIN latest d ON d.doc_id = k.doc_id AND d.content_hash = k.content_hash
    WHERE k.date <= ?::DATE AND k.folded IS NOT TRUE
    QUALIFY dense_rank() OVER (PARTITION BY k.doc_id ORDER BY k.date DESC) = 1
    ORDER BY k.doc_id, k.rank
"""
_ONPAGE = """
    SELECT * EXCLUDE (tenant) FROM onpage WHERE date <= ?::DATE
    QUALIFY row_number() OVER (PARTITION BY doc_id ORDER BY date DESC, fetched_at DESC) = 1
"""


def load_corpus(
    warehouse: Warehouse,
    tenant: str,
    day: str,
    roles: Mapping[str, str] | None = None,
    since: str | None = None,
    with_text: bool = False,
    with_onpage: bool = True,
) -> Corpus:
    """The tenant's documents as of ``day`` (latest version of each, seen up to that day).

    ``roles`` maps source ids to "own" or "competitor" (from the platform database);
    documents of unknown sources, pushed ones included, count as the tenant's own.
    ``since`` keeps only documents seen on or after that day. Pages whose latest fetch
    up to ``day`` found them gone (404 or 410) are left out.
    """
    check_tenant(tenant), check_date(day)
    if since is not None:
        check_date(since)
    roles = roles or {}
    documents_sql = _DOCUMENTS.format(
        text=", text" if with_text else "", since="AND date >= ?::DATE" if since else ""
    )
    params = [day, since, day] if since else [day, day]
    con = warehouse.connect(tenant)
    try:
        rows = con.execute(documents_sql, params).fetchall()
        names = [c[0] for c in con.description]
        keyword_rows = con.execute(
            _KEYWORDS.format(documents=documents_sql), [*params, day]
        ).fetchall()
        onpage_rows: dict[str, dict] = {}
        if with_onpage:
            result = con.execute(_ONPAGE, [day])
            columns = [c[0] for c in result.description]
            onpage_rows = {r[0]: dict(zip(columns, r, strict=True)) for r in result.fetchall()}
    finally:
        con.close()

    documents = []
    for row in rows:
        values = dict(zip(names, row, strict=True))
        documents.append(
            CorpusDocument(
                doc_id=values["doc_id"],
                url=values["url"],
                source_id=values["source_id"] or "",
                role=roles.get(values["source_id"] or "", OWN),
                title=values["title"] or "",
                description=values["description"] or "",
                lang=values["lang"] or "und",
                published_at=values["published_at"],
                fetched_at=values["fetched_at"],
                first_seen=values["first_seen"],
                last_seen=values["last_seen"],
                content_hash=values["content_hash"],
                word_count=values["word_count"] or 0,
                text=values.get("text"),
                onpage=onpage_rows.get(values["doc_id"]),
            )
        )
    by_id = {d.doc_id: d for d in documents}
    for doc_id, text, score, rank in keyword_rows:
        doc = by_id[doc_id]
        doc.keywords.append(CorpusKeyword(text, keyword_key(text, doc.lang), float(score), rank))
    documents.sort(key=lambda d: d.url)
    return Corpus(tenant=tenant, day=day, documents=documents)


def keyword_labels(documents: Iterable[CorpusDocument]) -> dict[str, str]:
    """For each keyword key, the surface form written most often (ties: the shortest)."""
    counts: dict[str, dict[str, int]] = {}
    for doc in documents:
        for kw in doc.keywords:
            forms = counts.setdefault(kw.key, {})
            forms[kw.text] = forms.get(kw.text, 0) + 1
    return {
        key: max(forms.items(), key=lambda kv: (kv[1], -len(kv[0]), kv[0].islower()))[0]
        for key, forms in counts.items()
    }
