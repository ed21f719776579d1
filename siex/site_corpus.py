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
from siex.web.robots import origin_of

WINDOW_DAYS = 180

_PAGES_PER_PHRASE = """
WITH latest AS (
    SELECT url, keyword, lang FROM keywords
    WHERE date > ?::DATE - ?::INTEGER AND date <= ?::DATE
    QUALIFY dense_rank() OVER (PARTITION BY url ORDER BY date DESC) = 1
)
SELECT url, lower(keyword) AS keyword, any_value(lang) AS lang
FROM latest GROUP BY ALL
"""


def site_corpora(
    warehouse: Warehouse, tenant: str, day: str, extractor: KeywordExtractor
) -> dict[str, Corpus]:
    """Per site (origin: scheme, host and port) of the tenant's pages, the corpus of its
    stored keywords up to ``day``."""
    con = warehouse.connect(tenant)
    try:
        rows = con.execute(_PAGES_PER_PHRASE, [day, WINDOW_DAYS, day]).fetchall()
    finally:
        con.close()
    pages: dict[str, set[str]] = defaultdict(set)
    holding: dict[str, Counter[str]] = defaultdict(Counter)
    keys: dict[tuple[str, str], str] = {}
    for url, keyword, lang in rows:
        site = origin_of(url)
        pages[site].add(url)
        key = keys.get((keyword, lang))
        if key is None:
            key = keys[(keyword, lang)] = extractor.phrase_key(keyword, lang or "und")
        holding[site][key] += 1
    return {site: Corpus(_with_parts(holding[site]), len(urls)) for site, urls in pages.items()}


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
