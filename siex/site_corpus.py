"""What each site of a tenant says about itself, for corpus-aware keyword extraction.

A site is an origin (scheme, host and port). Its corpus statistics are how many of
its pages (the latest version of each, within ``WINDOW_DAYS``) have each phrase among
their stored keywords. A phrase that
most pages of a site list (its name, a newsletter box, a category word in every
article) says nothing about one page, and the engine pushes it down (see
``siex.engine.Corpus``). Read from the warehouse in one query; no text is read again. A page holding a phrase
holds its parts too, so a part counts at least the pages of the phrases it is in.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from siex.engine import Corpus, KeywordExtractor
from siex.warehouse import Warehouse

WINDOW_DAYS = 180

# The latest version of each page within the window, its keywords per site (origin);
# folded ones (pieces filling a short page's list) not: parts are counted by _with_parts.
_LATEST = """
WITH latest AS (
    SELECT url, lower(keyword) AS keyword, lang FROM keywords
    WHERE date > ?::DATE - ?::INTEGER AND date <= ?::DATE AND folded IS NOT TRUE
    QUALIFY dense_rank() OVER (PARTITION BY url ORDER BY date DESC) = 1
)
SELECT lower(regexp_extract(url, '^([A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)', 1)) AS site, *
FROM latest
"""
_PAGES_PER_SITE = f"SELECT site, count(DISTINCT url) FROM ({_LATEST}) GROUP BY site"
_PAGES_PER_PHRASE = f"""
SELECT site, keyword, any_value(lang), count(DISTINCT url) FROM ({_LATEST})
GROUP BY site, keyword
"""


def site_corpora(
    warehouse: Warehouse, tenant: str, day: str, extractor: KeywordExtractor
) -> dict[str, Corpus]:
    """Per site (origin: scheme, host and port, as ``origin_of`` writes it) of the
    tenant's pages, the corpus of its stored keywords up to ``day``."""
    window = [day, WINDOW_DAYS, day]
    con = warehouse.connect(tenant)
    try:
        pages = dict(con.execute(_PAGES_PER_SITE, window).fetchall())
        rows = con.execute(_PAGES_PER_PHRASE, window).fetchall()
    finally:
        con.close()
    holding: dict[str, Counter[str]] = defaultdict(Counter)
    for site, keyword, lang, count in rows:
        holding[site][extractor.phrase_key(keyword, lang or "und")] += count
    return {site: Corpus(_with_parts(holding[site]), n) for site, n in pages.items()}


def _with_parts(pages_per_key: Counter[str]) -> dict[str, int]:
    """Every page holding a phrase holds its parts: a part counts at least as many pages
    as the phrases it is in ("greenleaf garden" sinks with "greenleaf garden club")."""
    counts = dict(pages_per_key)
    for key, pages in pages_per_key.items():
        stems = key.split()
        for size in range(1, len(stems)):
            for start in range(len(stems) - size + 1):
                part = " ".join(stems[start : start + size])
                if counts.get(part, 0) < pages:
                    counts[part] = pages
    return counts


def site_wide_phrases(corpora: dict[str, Corpus], limit: int = 10) -> dict[str, list[str]]:
    """Per site, the phrase keys pushed down, most widely held first (for run metadata)."""
    out = {}
    for site, corpus in sorted(corpora.items()):
        common = [k for k, _ in Counter(corpus.doc_freq).most_common() if corpus.weight(k) < 1.0]
        if common:
            out[site] = common[:limit]
    return out
