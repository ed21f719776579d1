"""On-page audit: what is wrong with each page of the tenant's sites, how badly, and how
to fix it; a 0–100 score per page and per site.

Input is what ingestion stored: the latest ``onpage`` row of every fetched page as of
the day (thin pages that never became a document included), the main-text word count
of its document, the HTTP outcome of every URL SIE-X fetched (``pages``: 200 and
where it redirected; ``failures``: ``http_404``, ``redirect_loop``, …) and of every
internal link target the bounded link checker tried (``link_checks``), and which
pages a sitemap announced. ``load_site`` reads these; ``build_onpage_audit`` is pure.

Severities follow the Semrush and Ahrefs site audits: **error** (the page cannot be
found, shown or trusted as it should: fix first), **warning** (it works against the
page's visibility or use), **notice** (worth a look; may be deliberate). A page scores
100 minus ``WEIGHTS`` of each issue *type* it has (20 an error, 8 a warning, 2 a
notice; floored at 0), so fifty broken links cost what one does and the score says
how many kinds of problem a page has; a site scores the mean of its pages.

Thresholds (``Thresholds``) are Screaming Frog SEO Spider's default preferences:
titles over 561 px or under 30 characters, meta descriptions over 985 px or under
70 characters, under 200 words of content. Pixels are estimated with Arial's
advance widths (the font of Google's results) at 20 px for titles and 14 px for
descriptions, where truncation happens; "too short" is about information, so it
counts characters.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from siex.intelligence import charts
from siex.intelligence.corpus import COMPETITOR, OWN
from siex.intelligence.publish import Chart, Report, counted
from siex.warehouse import Warehouse, check_date, check_tenant
from siex.web.urls import normalize_url as _normalize_url

# URLs repeat across pages (navigation, popular targets): normalize each once.
normalize_url = lru_cache(maxsize=100_000)(_normalize_url)

KIND, SCORES_KIND = "onpage_audit", "onpage_scores"
SEVERITIES = ("error", "warning", "notice")
WEIGHTS = {"error": 20, "warning": 8, "notice": 2}
SCORE_BANDS = (("good", 90), ("needs work", 70), ("poor", 50), ("critical", 0))
COLOURS = {"error": charts.RED, "warning": "#c4862d", "notice": charts.BLUE}


@dataclass(frozen=True)
class Thresholds:
    title_max_px: float = 561.0
    title_min_chars: int = 30
    description_max_px: float = 985.0
    description_min_chars: int = 70
    thin_words: int = 200


@dataclass(frozen=True)
class Check:
    code: str
    severity: str
    category: str
    issue: str
    hint: str


# fmt: off
CHECKS: dict[str, Check] = {c.code: c for c in [
    Check("title_missing", "error", "title", "Title missing or empty",
          "Write a unique title of 30–60 characters that names the page's topic first."),
    Check("title_duplicate", "error", "title", "Title shared with other pages",
          "Give each page its own title, or point duplicate pages' canonical at one URL."),
    Check("title_too_long", "warning", "title", "Title truncated in search results",
          "Shorten the title to about 55–60 characters (561 px); put the main keyword first."),
    Check("title_too_short", "notice", "title", "Title too short",
          "Use 30–60 characters: the topic, a qualifier and the brand."),
    Check("meta_description_missing", "warning", "description", "Meta description missing",
          "Write a 70–155 character description that sums up the page and invites the click."),
    Check("meta_description_duplicate", "warning", "description",
          "Meta description shared with other pages",
          "Write a description for this page alone; search engines ignore repeated ones."),
    Check("meta_description_too_long", "notice", "description", "Meta description truncated",
          "Keep the description under about 155 characters (985 px)."),
    Check("meta_description_too_short", "notice", "description", "Meta description too short",
          "Use 70–155 characters so the snippet says what the page offers."),
    Check("h1_missing", "warning", "headings", "No H1 heading",
          "Add one H1 that states the page's topic."),
    Check("h1_multiple", "notice", "headings", "Several H1 headings",
          "Keep one H1 for the page's topic and make the others H2."),
    Check("thin_content", "warning", "content", "Thin content",
          "Expand the page to answer its topic fully (200+ words), merge it, or noindex it."),
    Check("images_missing_alt", "warning", "images", "Images without alt text",
          'Describe each informative image in its alt; use alt="" for decorative ones.'),
    Check("broken_internal_link", "error", "links", "Internal link to a broken URL",
          "Point the link at a live page, or restore or redirect the missing one."),
    Check("internal_link_redirect", "notice", "links", "Internal link to a redirect",
          "Link straight to the final URL."),
    Check("orphan_page", "notice", "links", "No internal links to the page",
          "Link to it from related pages (see the internal-link suggestions report)."),
    Check("canonical_target_broken", "error", "canonical", "Canonical points to a broken URL",
          "Point the canonical at the live URL of this content (usually the page itself)."),
    Check("canonical_target_noindex", "error", "canonical",
          "Canonical points to a noindex page",
          "Point the canonical at an indexable page, or remove the target's noindex."),
    Check("canonical_target_redirects", "warning", "canonical",
          "Canonical points to a redirect", "Use the final URL of the redirect as canonical."),
    Check("canonical_chain", "warning", "canonical", "Canonical chain",
          "Point the canonical straight at the final canonical URL."),
    Check("canonical_noindex_conflict", "warning", "canonical", "Noindex with a canonical elsewhere",
          "Choose one signal: a canonical to the preferred page, or noindex, not both."),
    Check("canonical_hreflang_conflict", "warning", "hreflang",
          "Hreflang on a page canonicalised elsewhere",
          "Put hreflang only on canonical pages, each canonical to itself."),
    Check("hreflang_invalid_code", "warning", "hreflang", "Invalid hreflang code",
          "Use ISO 639-1 language codes with optional ISO 3166-1 regions (en-gb, not en-uk)."),
    Check("hreflang_missing_self", "warning", "hreflang", "Hreflang without a self reference",
          "List the page itself among its hreflang alternates."),
    Check("hreflang_missing_return", "warning", "hreflang", "Hreflang without a return link",
          "Add the reciprocal hreflang on the alternate page, or search engines ignore the pair."),
    Check("hreflang_target_broken", "error", "hreflang", "Hreflang to a broken URL",
          "Point the alternate at a live page."),
    Check("hreflang_target_not_indexable", "warning", "hreflang",
          "Hreflang to a noindex or canonicalised page",
          "Point the alternate at the canonical, indexable version."),
    Check("noindex_in_sitemap", "warning", "indexing", "Noindex page in the sitemap",
          "Remove the page from the sitemap, or drop its noindex if it should rank."),
    Check("noindex_page", "notice", "indexing", "Page is noindex",
          "Check that the page is meant to stay out of search results."),
    Check("json_ld_invalid", "warning", "structured data", "Invalid JSON-LD",
          "Fix the JSON syntax of the structured data block (validate it with the Rich Results Test)."),
    Check("viewport_missing", "warning", "mobile", "No viewport meta tag",
          'Add <meta name="viewport" content="width=device-width, initial-scale=1">.'),
    Check("lang_missing", "notice", "language", "No <html lang>",
          'Declare the page language, e.g. <html lang="en">.'),
]}
# fmt: on
_ORDER = {code: i for i, code in enumerate(CHECKS)}
_RANK = {s: i for i, s in enumerate(SEVERITIES)}

# Reasons of a fetch or link check that make a URL broken for visitors and crawlers.
_BROKEN = frozenset({"redirect_loop", "too_many_redirects", "connection_error", "timeout"})
_HREFLANG = re.compile(r"^(x-default|[a-z]{2,3}(-[a-z]{4})?(-([a-z]{2}|\d{3}))?)$")


# -- input --------------------------------------------------------------------------


@dataclass(frozen=True)
class UrlStatus:
    """The latest HTTP outcome SIE-X has for a URL (normalized)."""

    url: str
    status: int | None  # HTTP status (200 for stored pages); None when no answer came
    reason: str = ""  # "" when fine, else a failure reason code (http_404, timeout, ...)
    final_url: str = ""  # normalized, after redirects ("" when unknown)
    at: datetime | None = None
    via: str = "fetch"  # "fetch" (ingestion) or "check" (link checker)

    @property
    def broken(self) -> bool:
        code = self.reason.removeprefix("http_")
        return self.reason in _BROKEN or (
            self.reason.startswith("http_") and code.isdigit() and code[0] in "45" and code != "429"
        )

    @property
    def redirects(self) -> bool:
        return not self.broken and bool(self.final_url) and self.final_url != self.url


@dataclass
class AuditPage:
    """One fetched page: its latest on-page row and what else the warehouse knows."""

    doc_id: str
    url: str
    role: str  # own or competitor
    onpage: dict
    main_words: int | None = None  # words of the main text; None when no document
    in_sitemap: bool = False


@dataclass
class Site:
    tenant: str
    day: str
    pages: list[AuditPage]
    statuses: dict[str, UrlStatus] = field(default_factory=dict)
    documents_without_onpage: int = 0  # documents (pushed ones, say) with no on-page row
    pages_gone: int = 0  # pages whose URL failed after their last on-page row
    link_checks_on_day: int = 0  # link_checks rows filed under the day itself
    link_checks_before: int = 0  # link_checks rows of earlier days (as known on the day)


_ONPAGE = """
    SELECT * EXCLUDE (tenant, date) FROM onpage WHERE date <= ?::DATE
    QUALIFY row_number() OVER (PARTITION BY doc_id ORDER BY date DESC, fetched_at DESC) = 1
"""
_WORDS = """
    SELECT doc_id, word_count FROM documents WHERE date <= ?::DATE
    QUALIFY row_number() OVER (PARTITION BY doc_id ORDER BY date DESC, fetched_at DESC) = 1
"""
_WITHOUT_ONPAGE = """
    SELECT count(DISTINCT doc_id) FROM documents
    WHERE date <= ?::DATE AND doc_id NOT IN (SELECT doc_id FROM onpage WHERE date <= ?::DATE)
"""


def load_site(
    warehouse: Warehouse,
    tenant: str,
    day: str,
    roles: Mapping[str, str] | None = None,
    sitemap_sources: Iterable[str] = (),
) -> Site:
    """Everything the audit reads for ``tenant`` as of ``day``.

    ``roles`` maps source ids to own/competitor (unknown sources are own);
    ``sitemap_sources`` are the ids of the tenant's sitemap sources.
    """
    check_tenant(tenant), check_date(day)
    roles, sitemaps = roles or {}, set(sitemap_sources)
    con = warehouse.connect(tenant)
    try:
        result = con.execute(_ONPAGE, [day])
        columns = [c[0] for c in result.description]
        onpage_rows = [dict(zip(columns, r, strict=True)) for r in result.fetchall()]
        words = dict(con.execute(_WORDS, [day]).fetchall())
        without = con.execute(_WITHOUT_ONPAGE, [day, day]).fetchone()[0]
        fetched = con.execute(
            "SELECT url, final_url, source_id, fetched_at FROM pages WHERE date <= ?::DATE",
            [day],
        ).fetchall()
        failed = con.execute(
            """SELECT url, reason, "at" FROM failures WHERE date <= ?::DATE AND stage = 'fetch'""",
            [day],
        ).fetchall()
        # As of the day: a later day's checks never reach a past day's report (backfills).
        checked = con.execute(
            "SELECT url, status, final_url, reason, checked_at, date = ?::DATE FROM link_checks "
            "WHERE date <= ?::DATE",
            [day, day],
        ).fetchall()
    finally:
        con.close()

    statuses: dict[str, UrlStatus] = {}

    def note(status: UrlStatus) -> None:
        current = statuses.get(status.url)
        if current is None or _when(status.at) >= _when(current.at):
            statuses[status.url] = status

    in_sitemap: set[str] = set()
    for url, final_url, source_id, at in fetched:
        norm, final = normalize_url(url or ""), normalize_url(final_url or url or "")
        note(UrlStatus(norm, 200, "", final, at))
        if final != norm:
            note(UrlStatus(final, 200, "", final, at))
        if source_id in sitemaps:
            in_sitemap.add(norm)
    for url, reason, at in failed:
        code = (reason or "").removeprefix("http_")
        note(
            UrlStatus(
                normalize_url(url or ""),
                int(code) if code.isdigit() else None,
                reason or "fetch_failed",
                "",
                at,
            )
        )
    for url, status, final_url, reason, at, _on_day in checked:
        note(
            UrlStatus(
                normalize_url(url or ""),
                status,
                reason or "",
                normalize_url(final_url) if final_url else "",
                at,
                "check",
            )
        )

    pages, gone = [], 0
    for row in onpage_rows:
        norm = normalize_url(row.get("url") or "")
        latest = statuses.get(norm)
        if latest is not None and latest.broken and _when(latest.at) > _when(row["fetched_at"]):
            gone += 1  # the page failed after this row was read: it is a broken URL now
            continue
        pages.append(
            AuditPage(
                doc_id=row["doc_id"],
                url=row.get("url") or "",
                role=roles.get(row.get("source_id") or "", OWN),
                onpage=row,
                main_words=words.get(row["doc_id"]),
                in_sitemap=norm in in_sitemap,
            )
        )
    pages.sort(key=lambda p: p.url)
    on_day = sum(1 for row in checked if row[5])
    return Site(
        tenant,
        day,
        pages,
        statuses,
        documents_without_onpage=without,
        pages_gone=gone,
        link_checks_on_day=on_day,
        link_checks_before=len(checked) - on_day,
    )


def _when(value: datetime | None) -> float:
    return value.timestamp() if value is not None else float("-inf")


# -- reading one page ---------------------------------------------------------------


@dataclass
class _Page:
    doc_id: str
    url: str
    norm: str
    host: str
    role: str
    title: str
    description: str
    canonical: str  # normalized; "" when none
    noindex: bool
    nofollow: bool
    hreflang: dict[str, str]  # as declared
    h1_count: int | None
    words: int | None
    words_from: str  # "main text" or "visible text"
    links: list[dict]
    images: int
    images_without_alt: int
    images_decorative: int
    json_ld_errors: int
    viewport: bool | None
    lang: str | None
    in_sitemap: bool
    unreadable: list[str]  # on-page fields that were not valid JSON of the expected shape

    @property
    def canonical_elsewhere(self) -> bool:
        return bool(self.canonical) and self.canonical != self.norm

    @property
    def indexable(self) -> bool:
        return not self.noindex and not self.canonical_elsewhere


def _read(page: AuditPage) -> _Page:
    row = page.onpage
    unreadable: list[str] = []

    def parsed(name: str, shape: type):
        value = row.get(name)
        if value is None or value == "":
            return shape()
        try:
            data = json.loads(value) if isinstance(value, str) else value
        except (ValueError, TypeError, RecursionError):
            data = None
        if not isinstance(data, shape):
            unreadable.append(name)
            return shape()
        return data

    hreflang = {
        str(k).strip().lower(): v
        for k, v in parsed("hreflang", dict).items()
        if isinstance(v, str) and v.strip()
    }
    links = [link for link in parsed("links", list) if isinstance(link, dict) and link.get("url")]
    canonical = row.get("canonical")
    words, words_from = page.main_words, "main text"
    if words is None:
        words, words_from = _int(row.get("word_count")), "visible text"
    return _Page(
        doc_id=page.doc_id,
        url=page.url,
        norm=normalize_url(page.url),
        host=host_of(page.url),
        role=page.role,
        title=_text(row.get("title")),
        description=_text(row.get("meta_description")),
        canonical=normalize_url(canonical) if isinstance(canonical, str) and canonical else "",
        noindex=bool(row.get("noindex")),
        nofollow=bool(row.get("nofollow")),
        hreflang=hreflang,
        h1_count=_int(row.get("h1_count")),
        words=words,
        words_from=words_from,
        links=links,
        images=_int(row.get("images")) or 0,
        images_without_alt=_int(row.get("images_without_alt")) or 0,
        images_decorative=_int(row.get("images_decorative")) or 0,
        json_ld_errors=_int(row.get("json_ld_errors")) or 0,
        viewport=row.get("viewport"),
        lang=row.get("lang"),
        in_sitemap=page.in_sitemap,
        unreadable=unreadable,
    )


def _text(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _int(value) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def host_of(url: str) -> str:
    """The site a URL belongs to: its host (and port), lower case."""
    try:
        return (urlsplit(url).netloc or "").lower().rsplit("@", 1)[-1]
    except ValueError:
        return ""


# Arial advance widths in 1/1000 em (Arial shares Helvetica's metrics), ASCII 32–126.
# fmt: off
_ASCII_WIDTHS = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]
# fmt: on
_WIDE = {
    "–": 556,
    "—": 1000,
    "…": 1000,
    "‘": 222,
    "’": 222,
    "“": 333,
    "”": 333,
    "•": 350,
    "·": 278,
    "«": 556,
    "»": 556,
    "€": 556,
    "£": 556,
    "©": 737,
    "®": 737,
    "™": 1000,
    "\u00a0": 278,
}  # fmt: skip


def text_width_px(text: str, font_px: float) -> float:
    """Estimated rendered width of ``text`` in Arial at ``font_px`` (a SERP-snippet
    estimate: CJK characters are one em, other scripts an average Latin letter)."""
    total = 0
    for ch in text:
        code = ord(ch)
        if 32 <= code <= 126:
            total += _ASCII_WIDTHS[code - 32]
        elif ch in _WIDE:
            total += _WIDE[ch]
        elif unicodedata.combining(ch):
            continue
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            total += 1000
        else:
            base = unicodedata.normalize("NFKD", ch)[:1]
            total += _ASCII_WIDTHS[ord(base) - 32] if base and 32 <= ord(base) <= 126 else 556
    return total * font_px / 1000


# -- the checks ---------------------------------------------------------------------


@dataclass
class Issue:
    page: _Page
    code: str
    evidence: str
    target_url: str = ""

    @property
    def check(self) -> Check:
        return CHECKS[self.code]


def _page_issues(p: _Page, t: Thresholds) -> list[Issue]:
    out: list[Issue] = []

    def add(code: str, evidence: str, target: str = "") -> None:
        out.append(Issue(p, code, evidence, target))

    if not p.title:
        add("title_missing", "no <title>, or an empty one")
    else:
        px = text_width_px(p.title, 20)
        if px > t.title_max_px:
            add(
                "title_too_long",
                f"{len(p.title)} characters, ≈{px:.0f} px "
                f"(limit {t.title_max_px:.0f} px): “{_clip(p.title)}”",
            )
        elif len(p.title) < t.title_min_chars:
            add("title_too_short", f"{len(p.title)} characters: “{p.title}”")
    if not p.description:
        add("meta_description_missing", 'no <meta name="description">, or an empty one')
    else:
        px = text_width_px(p.description, 14)
        if px > t.description_max_px:
            add(
                "meta_description_too_long",
                f"{len(p.description)} characters, ≈{px:.0f} px "
                f"(limit {t.description_max_px:.0f} px)",
            )
        elif len(p.description) < t.description_min_chars:
            add("meta_description_too_short", f"{len(p.description)} characters: “{p.description}”")
    if p.h1_count == 0:
        add("h1_missing", "no <h1> on the page")
    elif p.h1_count is not None and p.h1_count > 1:
        add("h1_multiple", f"{p.h1_count} <h1> headings")
    if p.indexable and p.words is not None and p.words < t.thin_words:
        add("thin_content", f"{p.words} words of {p.words_from} (threshold {t.thin_words})")
    if p.images_without_alt:
        decorative = (
            f'; {p.images_decorative} decorative (alt="") are fine' if p.images_decorative else ""
        )
        add(
            "images_missing_alt",
            f"{p.images_without_alt} of {p.images} images have no alt text{decorative}",
        )
    if p.json_ld_errors:
        add("json_ld_invalid", f"{p.json_ld_errors} JSON-LD block(s) are not valid JSON")
    if p.viewport is False:
        add("viewport_missing", 'no <meta name="viewport">')
    if p.lang is not None and not str(p.lang).strip():
        add("lang_missing", "no lang attribute on <html>")
    if p.noindex:
        add("noindex_page", "meta robots: noindex")
        if p.in_sitemap:
            add("noindex_in_sitemap", "announced by a sitemap source, but meta robots: noindex")
    return out


def _site_issues(pages: list[_Page], statuses: dict[str, UrlStatus]) -> list[Issue]:
    """Checks that compare pages: canonicals, hreflang, links, duplicates, orphans."""
    by_url = {p.norm: p for p in pages}
    out: list[Issue] = []
    for p in pages:
        if p.canonical_elsewhere:
            c = p.canonical
            if p.noindex:
                out.append(
                    Issue(
                        p,
                        "canonical_noindex_conflict",
                        f"meta robots noindex, and canonical to {c}",
                        c,
                    )
                )
            status, target = statuses.get(c), by_url.get(c)
            if status is not None and status.broken:
                out.append(
                    Issue(p, "canonical_target_broken", f"canonical {c}: {status.reason}", c)
                )
            elif status is not None and status.redirects:
                out.append(
                    Issue(
                        p,
                        "canonical_target_redirects",
                        f"canonical {c} redirects to {status.final_url}",
                        c,
                    )
                )
            if target is not None and target.noindex:
                out.append(
                    Issue(p, "canonical_target_noindex", f"canonical {c} is meta robots noindex", c)
                )
            elif target is not None and target.canonical_elsewhere:
                out.append(Issue(p, "canonical_chain", f"{p.norm} → {c} → {target.canonical}", c))
            if p.hreflang:
                out.append(
                    Issue(
                        p,
                        "canonical_hreflang_conflict",
                        f"{len(p.hreflang)} hreflang alternates, canonical to {c}",
                        c,
                    )
                )
        out += _hreflang_issues(p, by_url, statuses)
        out += _link_issues(p, statuses)
    out += _duplicates(pages, "title", "title_duplicate")
    out += _duplicates(pages, "description", "meta_description_duplicate")
    out += _orphans([p for p in pages if p.role == OWN])
    return out


def _hreflang_issues(p: _Page, by_url: dict[str, _Page], statuses) -> list[Issue]:
    if not p.hreflang:
        return []
    out = []
    invalid = sorted(code for code in p.hreflang if not _valid_hreflang(code))
    if invalid:
        out.append(Issue(p, "hreflang_invalid_code", "codes: " + ", ".join(invalid)))
    alternates = {lang: normalize_url(url) for lang, url in p.hreflang.items()}
    if not p.canonical_elsewhere and p.norm not in alternates.values():
        out.append(
            Issue(
                p,
                "hreflang_missing_self",
                f"{len(alternates)} alternates ({', '.join(sorted(alternates))}), "
                "none of them this URL",
            )
        )
    for lang, url in sorted(alternates.items()):
        if url == p.norm:
            continue
        status, alt = statuses.get(url), by_url.get(url)
        if status is not None and status.broken:
            out.append(Issue(p, "hreflang_target_broken", f"{lang} → {url}: {status.reason}", url))
        elif alt is not None and not alt.indexable:
            why = "noindex" if alt.noindex else f"canonical to {alt.canonical}"
            out.append(Issue(p, "hreflang_target_not_indexable", f"{lang} → {url}: {why}", url))
        elif alt is not None and not p.canonical_elsewhere:
            back = {normalize_url(u) for u in alt.hreflang.values()}
            if p.norm not in back:
                out.append(
                    Issue(
                        p,
                        "hreflang_missing_return",
                        f"{lang} → {url}, which does not list this page",
                        url,
                    )
                )
    return out


def _valid_hreflang(code: str) -> bool:
    if not _HREFLANG.match(code):
        return False
    parts = code.split("-")
    return not (len(parts) > 1 and parts[-1] == "uk")  # the UK is "gb" in ISO 3166-1


def _link_issues(p: _Page, statuses: dict[str, UrlStatus]) -> list[Issue]:
    targets: dict[str, list[str]] = {}
    for link in p.links:
        if not link.get("internal"):
            continue
        url = normalize_url(str(link["url"]))
        if url != p.norm:
            targets.setdefault(url, []).append(_text(link.get("anchor")))
    out = []
    for url, anchors in sorted(targets.items()):
        status = statuses.get(url)
        if status is None:
            continue
        times = f" ({len(anchors)} links)" if len(anchors) > 1 else ""
        anchor = next((a for a in anchors if a), "")
        said = f" “{_clip(anchor, 40)}”" if anchor else ""
        if status.broken:
            seen = "link check" if status.via == "check" else "fetch"
            out.append(
                Issue(
                    p,
                    "broken_internal_link",
                    f"link{said}{times} → {url}: {status.reason} ({seen})",
                    url,
                )
            )
        elif status.redirects:
            out.append(
                Issue(
                    p,
                    "internal_link_redirect",
                    f"link{said}{times} → {url} redirects to {status.final_url}",
                    url,
                )
            )
    return out


def _duplicates(pages: list[_Page], attribute: str, code: str) -> list[Issue]:
    groups: dict[tuple, list[_Page]] = defaultdict(list)
    for p in pages:
        value = getattr(p, attribute)
        if value and p.indexable:
            groups[(p.role, p.host, value.casefold())].append(p)
    out = []
    for group in groups.values():
        if len(group) < 2:
            continue
        for p in group:
            others = [o.url for o in group if o is not p]
            listed = ", ".join(others[:3]) + (
                f" and {len(others) - 3} more" if len(others) > 3 else ""
            )
            out.append(
                Issue(p, code, f"“{_clip(getattr(p, attribute))}” also on {listed}", others[0])
            )
    return out


def _orphans(pages: list[_Page]) -> list[Issue]:
    """Own indexable pages no other fetched own page of their site links to. Judged only
    for sites with at least two pages whose links are known."""
    inbound: dict[str, set[str]] = defaultdict(set)
    with_links: Counter = Counter()
    for p in pages:
        if p.links:
            with_links[p.host] += 1
        for link in p.links:
            if link.get("internal"):
                inbound[normalize_url(str(link["url"]))].add(p.norm)
    return [
        Issue(
            p,
            "orphan_page",
            f"none of the {with_links[p.host]} fetched pages of {p.host} links here",
        )
        for p in pages
        if p.indexable and with_links[p.host] >= 2 and not (inbound[p.norm] - {p.norm})
    ]


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# -- the report ---------------------------------------------------------------------


def page_score(codes: Iterable[str]) -> int:
    """100 minus the weight of each distinct issue type, floored at 0."""
    return max(0, 100 - sum(WEIGHTS[CHECKS[c].severity] for c in set(codes)))


def band(score: float) -> str:
    return next(name for name, floor in SCORE_BANDS if score >= floor)


def build_onpage_audit(site: Site, thresholds: Thresholds | None = None) -> tuple[Report, Report]:
    """The audit of ``site``: the issues report (own pages) and the scores report (own
    pages, and competitors' as a benchmark)."""
    thresholds = thresholds or Thresholds()
    pages = [_read(p) for p in site.pages]
    issues = [i for p in pages for i in _page_issues(p, thresholds)]
    issues += _site_issues(pages, site.statuses)
    by_page: dict[str, list[Issue]] = defaultdict(list)
    for issue in issues:
        by_page[issue.page.doc_id].append(issue)
    scores = {p.doc_id: page_score(i.code for i in by_page[p.doc_id]) for p in pages}

    issues.sort(key=lambda i: (_RANK[i.check.severity], _ORDER[i.code], i.page.url, i.target_url))
    issue_rows = [
        {
            "url": i.page.url,
            "host": i.page.host,
            "code": i.code,
            "severity": i.check.severity,
            "category": i.check.category,
            "issue": i.check.issue,
            "evidence": i.evidence,
            "target_url": i.target_url,
            "hint": i.check.hint,
            "page_score": scores[i.page.doc_id],
        }
        for i in issues
        if i.page.role == OWN
    ]
    score_rows = []
    for p in pages:
        found = by_page[p.doc_id]
        kinds = {i.code for i in found}
        counts = Counter(CHECKS[c].severity for c in kinds)
        worst = min(kinds, key=lambda c: (_RANK[CHECKS[c].severity], _ORDER[c]), default="")
        score_rows.append(
            {
                "url": p.url,
                "host": p.host,
                "role": p.role,
                "score": scores[p.doc_id],
                "errors": counts["error"],
                "warnings": counts["warning"],
                "notices": counts["notice"],
                "indexable": p.indexable,
                "words": p.words,
                "title": p.title,
                "worst_issue": worst,
            }
        )
    score_rows.sort(key=lambda r: (r["role"] != OWN, r["score"], r["url"]))
    summary = _summary(site, pages, issue_rows, score_rows, thresholds)
    issues_chart = Chart("issues", "Own pages with each issue, by severity", _issues_chart(summary))
    distribution = Chart("distribution", "Page scores", _distribution_chart(score_rows))
    sites_chart = Chart("sites", "Score per site", _sites_chart(summary["sites"]))
    audit = Report(
        KIND,
        issue_rows,
        summary,
        _audit_markdown(site, summary, issue_rows, score_rows),
        [issues_chart, distribution, sites_chart],
    )
    scores_report = Report(
        SCORES_KIND,
        score_rows,
        {k: v for k, v in summary.items() if k not in ("by_code",)},
        _scores_markdown(site, summary, score_rows),
        [distribution, sites_chart],
    )
    return audit, scores_report


def _summary(site: Site, pages, issue_rows, score_rows, thresholds: Thresholds) -> dict:
    own = [r for r in score_rows if r["role"] == OWN]
    rival = [r for r in score_rows if r["role"] == COMPETITOR]
    severities = Counter(r["severity"] for r in issue_rows)
    by_code: dict[str, set[str]] = defaultdict(set)
    for r in issue_rows:
        by_code[r["code"]].add(r["url"])
    sites = []
    for (host, role), rows in sorted(
        _group(score_rows, lambda r: (r["host"], r["role"])).items(),
        key=lambda kv: (kv[0][1] != OWN, kv[0][0]),
    ):
        sites.append(
            {
                "host": host,
                "role": role,
                "pages": len(rows),
                "score": _mean(r["score"] for r in rows),
                "pages_with_errors": sum(1 for r in rows if r["errors"]),
                "errors": sum(r["errors"] for r in rows),
                "warnings": sum(r["warnings"] for r in rows),
                "notices": sum(r["notices"] for r in rows),
            }
        )
    return {
        "pages": len(own),
        "competitor_pages": len(rival),
        "score": _mean(r["score"] for r in own),
        "competitor_score": _mean(r["score"] for r in rival),
        "issues": len(issue_rows),
        "errors": severities["error"],
        "warnings": severities["warning"],
        "notices": severities["notice"],
        "pages_with_errors": sum(1 for r in own if r["errors"]),
        "pages_without_issues": sum(1 for r in own if r["worst_issue"] == ""),
        "bands": {name: sum(1 for r in own if band(r["score"]) == name) for name, _ in SCORE_BANDS},
        "sites": sites,
        "by_code": {code: len(by_code[code]) for code in sorted(by_code, key=lambda c: _ORDER[c])},
        "documents_without_onpage": site.documents_without_onpage,
        "pages_gone": site.pages_gone,
        "unreadable_fields": sum(len(p.unreadable) for p in pages),
        "urls_with_status": len(site.statuses),
        "link_check": _link_check_summary(site, pages),
        "thresholds": asdict(thresholds),
        "weights": dict(WEIGHTS),
    }


def _internal_targets(pages: Iterable[_Page]) -> Counter:
    """Normalized internal link targets of own pages (self links left out): pages linking."""
    linked: Counter = Counter()
    for p in pages:
        if p.role != OWN:
            continue
        targets = {normalize_url(str(link["url"])) for link in p.links if link.get("internal")}
        linked.update(targets - {p.norm})
    return linked


def _link_check_summary(site: Site, pages: list[_Page]) -> dict:
    """Whether the internal links of the day could be judged: the link checker asks
    targets on the current day only, so a report computed later for a past day (a
    backfill) has only the checks stored up to that day."""
    targets = _internal_targets(pages)
    unknown = sum(1 for url in targets if url not in site.statuses)
    if site.link_checks_on_day:
        status = "checked"
    elif site.link_checks_before:
        status = "earlier_checks"
    else:
        status = "not_checked"
    return {
        "status": status,
        "checked_on_day": site.link_checks_on_day,
        "checked_before": site.link_checks_before,
        "internal_targets": len(targets),
        "unjudged_targets": unknown,
    }


def _group(rows, key) -> dict:
    out: dict = defaultdict(list)
    for row in rows:
        out[key(row)].append(row)
    return out


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(sum(values) / len(values), 1) if values else None


def unchecked_internal_targets(
    site: Site, now: datetime, recheck_after: timedelta = timedelta(days=7), limit: int = 100
) -> list[str]:
    """Internal link targets of own pages with no known HTTP outcome (or only a link
    check older than ``recheck_after``), most linked first: what the link checker asks."""
    linked = _internal_targets(_read(page) for page in site.pages)
    due = []
    for url, count in linked.items():
        status = site.statuses.get(url)
        stale = (
            status is not None
            and status.via == "check"
            and (status.at is None or now - status.at > recheck_after)
        )
        if status is None or stale:
            due.append((-count, url))
    return [url for _count, url in sorted(due)[:limit]]


# -- Markdown and charts ------------------------------------------------------------


def _link(url: str) -> str:
    try:
        parts = urlsplit(url)
        label = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    except ValueError:
        label = url
    return f"[{_escape(_clip(label, 60))}]({url})"


def _escape(text: str) -> str:
    """Text safe inside a Markdown table cell: no pipes, no line breaks, no raw HTML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|").replace("\n", " ")


def _score_text(value: float | None) -> str:
    return "–" if value is None else f"{value:g}/100"


def _sites_table(sites: list[dict]) -> list[str]:
    lines = [
        "| site | role | pages | score | pages with errors | errors | warnings | notices |",
        "| --- | --- | --: | --: | --: | --: | --: | --: |",
    ]
    lines += [
        f"| {s['host']} | {s['role']} | {s['pages']} | {_score_text(s['score'])} | "
        f"{s['pages_with_errors']} | {s['errors']} | {s['warnings']} | {s['notices']} |"
        for s in sites
    ]
    return lines


def _worst_table(rows: list[dict], n: int = 10) -> list[str]:
    chosen = [r for r in rows if r["role"] == OWN and r["worst_issue"]][:n]
    if not chosen:
        return ["_no page has an issue_"]
    lines = [
        "| page | score | errors | warnings | notices | most severe issue |",
        "| --- | --: | --: | --: | --: | --- |",
    ]
    lines += [
        f"| {_link(r['url'])} | {r['score']} | {r['errors']} | {r['warnings']} | {r['notices']} | "
        f"{_escape(CHECKS[r['worst_issue']].issue)} |"
        for r in chosen
    ]
    return lines


def _notes(site: Site, summary: dict) -> list[str]:
    notes = [
        f"Page score: 100 minus {WEIGHTS['error']} per type of error, {WEIGHTS['warning']} "
        f"per type of warning and {WEIGHTS['notice']} per type of notice on the page; a site "
        "scores the mean of its pages. Bands: good 90+, needs work 70–89, poor 50–69, "
        "critical below 50."
    ]
    if summary["competitor_pages"]:
        notes.append(
            "Competitor scores cover the pages SIE-X fetched from their feeds and sitemaps, "
            "with the same checks (orphans and link checks only for own sites)."
        )
    if site.documents_without_onpage:
        notes.append(
            f"{site.documents_without_onpage} documents have no on-page data (pushed through "
            "the API, or fetched before on-page signals were stored) and are not audited."
        )
    if site.pages_gone:
        notes.append(f"{site.pages_gone} pages failed on their latest fetch and are left out.")
    notes += _link_check_notes(site, summary["link_check"])
    if summary["unreadable_fields"]:
        notes.append(
            f"{summary['unreadable_fields']} on-page fields could not be read (malformed JSON) "
            "and were treated as empty."
        )
    return [f"- {n}" for n in notes]


def _link_check_notes(site: Site, check: dict) -> list[str]:
    if not check["internal_targets"]:
        return []
    unjudged = check["unjudged_targets"]
    left = (
        f" {unjudged} of the {check['internal_targets']} internal link targets have no known "
        "answer and are not judged: a broken link among them is not reported."
        if unjudged
        else ""
    )
    if check["status"] == "checked":
        return [
            f"Link check: {check['checked_on_day']} internal link targets were asked on {site.day}.{left}"
        ]
    why = (
        f"Links were not checked on {site.day}: the link checker asks only on the current "
        "day (this report was computed later, by a backfill or a rerun, or the check is "
        "disabled)."
    )
    if check["status"] == "earlier_checks":
        return [
            f"{why} The answers of earlier link checks ({check['checked_before']}) are used.{left}"
        ]
    return [f"{why} No earlier link check exists either.{left}"]


def _audit_markdown(site: Site, summary: dict, issue_rows, score_rows) -> str:
    lines = [f"# On-page audit — {site.tenant}, {site.day}", ""]
    if not summary["pages"]:
        lines += [
            "No own pages with on-page data yet: once the tenant's feeds and sitemaps have "
            "been fetched, this report lists what to fix on each page.",
            "",
        ]
        if summary["competitor_pages"]:
            lines += [
                f"Competitor benchmark: **{_score_text(summary['competitor_score'])}** "
                f"over {summary['competitor_pages']} pages.",
                "",
            ]
        lines += ["{chart:issues}", "", "{chart:sites}", "", "## Notes", "", *_notes(site, summary)]
        return "\n".join(lines) + "\n"
    bench = (
        f" (competitors: **{_score_text(summary['competitor_score'])}** over "
        f"{summary['competitor_pages']} pages)"
        if summary["competitor_pages"]
        else ""
    )
    own_sites = [s for s in summary["sites"] if s["role"] == OWN]
    lines += [
        f"Own pages score **{_score_text(summary['score'])}** on average{bench}, across "
        f"{summary['pages']} pages on {len(own_sites)} site{'s' if len(own_sites) != 1 else ''}. "
        f"{counted(summary['errors'], 'error')}, {counted(summary['warnings'], 'warning')} and "
        f"{counted(summary['notices'], 'notice')}; {counted(summary['pages_with_errors'], 'page')} "
        f"with at least one error, {counted(summary['pages_without_issues'], 'page')} without "
        "any issue.",
        "",
        "{chart:issues}",
        "",
        "## Fix first",
        "",
    ]
    groups = _group(issue_rows, lambda r: r["code"])
    urgent = [
        c
        for c in sorted(groups, key=lambda c: (_RANK[CHECKS[c].severity], _ORDER[c]))
        if CHECKS[c].severity != "notice"
    ][:8]
    if not urgent:
        lines += ["_No errors or warnings: only notices below._", ""]
    else:
        lines += ["| issue | severity | pages | example | fix |", "| --- | --- | --: | --- | --- |"]
        for code in urgent:
            rows = groups[code]
            pages = len({r["url"] for r in rows})
            lines.append(
                f"| {_escape(CHECKS[code].issue)} | {CHECKS[code].severity} | {pages} | "
                f"{_link(rows[0]['url'])}: {_escape(_clip(rows[0]['evidence'], 90))} | "
                f"{_escape(CHECKS[code].hint)} |"
            )
        lines.append("")
    lines += [
        "## Sites",
        "",
        *_sites_table(summary["sites"]),
        "",
        "{chart:sites}",
        "",
        "{chart:distribution}",
        "",
        "## Pages with the lowest scores",
        "",
        *_worst_table(score_rows),
        "",
        "## All issue types",
        "",
    ]
    if groups:
        lines += ["| severity | issue | pages | instances |", "| --- | --- | --: | --: |"]
        for code in sorted(groups, key=lambda c: (_RANK[CHECKS[c].severity], _ORDER[c])):
            pages = len({r["url"] for r in groups[code]})
            lines.append(
                f"| {CHECKS[code].severity} | {_escape(CHECKS[code].issue)} | {pages} | {len(groups[code])} |"
            )
    else:
        lines.append("_none_")
    lines += ["", "## Notes", "", *_notes(site, summary)]
    return "\n".join(lines) + "\n"


def _scores_markdown(site: Site, summary: dict, score_rows) -> str:
    lines = [f"# On-page scores — {site.tenant}, {site.day}", ""]
    if summary["pages"]:
        bands = ", ".join(f"{n} {name}" for name, n in summary["bands"].items())
        lines += [f"Own pages average **{_score_text(summary['score'])}**: {bands}.", ""]
    else:
        lines += ["No own pages with on-page data yet.", ""]
    lines += [
        "{chart:distribution}",
        "",
        "{chart:sites}",
        "",
        *_sites_table(summary["sites"]),
        "",
        "## Lowest scores",
        "",
        *_worst_table(score_rows),
        "",
        "The issues behind each score are in the on-page audit report of the same day.",
        "",
        "## Notes",
        "",
        *_notes(site, summary),
    ]
    return "\n".join(lines) + "\n"


def _issues_chart(summary: dict) -> bytes:
    codes = list(summary["by_code"])[:20]
    with charts.figure(8, max(2.5, 0.34 * len(codes) + 1.2)) as (fig, ax):
        if not codes:
            charts.empty(ax, "no issues on own pages")
            return charts.png(fig)
        codes.reverse()  # most severe at the top
        ax.barh(
            [charts.shorten(CHECKS[c].issue, 42) for c in codes],
            [summary["by_code"][c] for c in codes],
            color=[COLOURS[CHECKS[c].severity] for c in codes],
        )
        handles = [
            charts.plt.Rectangle((0, 0), 1, 1, color=COLOURS[s])
            for s in SEVERITIES
            if any(CHECKS[c].severity == s for c in codes)
        ]
        labels = [s for s in SEVERITIES if any(CHECKS[c].severity == s for c in codes)]
        ax.legend(handles, labels, loc="lower right", fontsize=8, frameon=False)
        ax.set_xlabel("own pages with the issue")
        ax.xaxis.get_major_locator().set_params(integer=True)
        return charts.png(fig)


def _distribution_chart(score_rows: list[dict]) -> bytes:
    own = [r["score"] for r in score_rows if r["role"] == OWN]
    rival = [r["score"] for r in score_rows if r["role"] == COMPETITOR]
    with charts.figure(8, 3.6) as (fig, ax):
        if not own and not rival:
            charts.empty(ax, "no pages audited")
            return charts.png(fig)
        bins = list(range(0, 101, 10))
        bins[-1] = 100.01  # a perfect 100 falls in the last bin
        if own:
            ax.hist(own, bins=bins, color=charts.GREEN, alpha=0.85, label="own pages")
        if rival:
            ax.hist(
                rival,
                bins=bins,
                histtype="step",
                color=charts.GREY,
                linewidth=2,
                label="competitor pages",
            )
        ax.set_xlim(0, 101)
        ax.set_xlabel("page score (0–100)")
        ax.set_ylabel("pages")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        return charts.png(fig)


def _sites_chart(sites: list[dict]) -> bytes:
    chosen = [s for s in sites if s["score"] is not None][:15]
    with charts.figure(8, max(2.2, 0.4 * len(chosen) + 1)) as (fig, ax):
        if not chosen:
            charts.empty(ax, "no sites audited")
            return charts.png(fig)
        chosen = list(reversed(chosen))
        labels = [charts.shorten(f"{s['host']} ({s['role']})", 45) for s in chosen]
        ax.barh(
            labels,
            [s["score"] for s in chosen],
            color=[charts.GREEN if s["role"] == OWN else charts.GREY for s in chosen],
        )
        for y, s in enumerate(chosen):
            ax.text(min(s["score"] + 1, 95), y, f"{s['score']:g}", va="center", fontsize=8)
        ax.set_xlim(0, 105)
        ax.set_xlabel("mean page score")
        return charts.png(fig)
