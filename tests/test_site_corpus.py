"""Corpus-aware extraction in the platform: each page is ranked against its own site's
stored keywords, so a phrase most of the site's pages list (its name, a club, a
newsletter) stops leading the keywords of new pages. Real runs against a loopback site."""

from __future__ import annotations

import pytest
from dagster import instance_for_test

from siex.engine import KeywordExtractor
from siex.site_corpus import site_corpora
from siex.warehouse import Warehouse
from tests.conftest import Route, article_html
from tests.helpers import make_tenant, run_ingest

TOPICS = [
    "drip irrigation", "raised beds", "compost bins", "seed starting", "tomato cages",
    "rain barrels", "leaf mould", "cold frames", "bean poles", "worm farms",
    "potato sacks", "herb spirals", "pond liners", "fruit cages", "hedge trimming",
]  # fmt: skip
FIRST_DAY, SECOND_DAY = TOPICS[:12], TOPICS[12:]


def club_page(topic: str) -> bytes:
    """A club newsletter page: the club is named throughout, the topic once or twice."""
    paragraphs = [
        "The Greenleaf Garden Club meets on Sundays. Greenleaf Garden Club members share "
        "seeds, tools and advice; the Greenleaf Garden Club newsletter goes to every member, "
        "and Greenleaf Garden Club volunteers keep the community plots tidy all year.",
        f"This week the Greenleaf Garden Club looked at {topic}: members compared notes on "
        f"{topic} in small plots, what it costs and how much time it takes each week.",
    ]
    return article_html(f"Greenleaf Garden Club notes: {topic}", paragraphs).encode()


@pytest.fixture
def instance():
    with instance_for_test() as inst:
        yield inst


def _urls(server, topics) -> dict:
    for topic in topics:
        server.routes[f"/{topic.replace(' ', '-')}"] = Route(body=club_page(topic))
    urls = [{"url": f"{server.base}/{t.replace(' ', '-')}"} for t in topics]
    return {"ops": {"pages": {"config": {"urls": urls}}}}


def _first_keywords(store: Warehouse, day: str) -> dict[str, str]:
    rows = store.read("keywords", "acme", day).to_pylist()
    return {r["url"].rsplit("/", 1)[1]: r["keyword"].lower() for r in rows if r["rank"] == 1}


def test_a_phrase_the_whole_site_lists_stops_leading_its_new_pages(siex_home, instance, server):
    make_tenant(siex_home, "acme")
    store = Warehouse(siex_home.warehouse_dir)
    first = run_ingest(siex_home, instance, "acme", "2026-11-20", _urls(server, FIRST_DAY))
    assert first.success
    # Nothing is known of the site on its first day: its club leads every page.
    assert set(_first_keywords(store, "2026-11-20").values()) == {"greenleaf garden club"}

    corpora = site_corpora(store, "acme", "2026-11-21", KeywordExtractor(mode="statistical"))
    site = corpora[server.base]
    assert site.n_docs == len(FIRST_DAY)
    assert site.doc_freq["greenleaf garden club"] == len(FIRST_DAY)
    assert site.weight("greenleaf garden club") < 0.1 and site.weight("drip irrig") == 1.0
    # Its parts sink with it: every page holding the name holds them.
    assert site.weight("greenleaf garden") < 0.1 and site.weight("greenleaf") < 0.1

    second = run_ingest(siex_home, instance, "acme", "2026-11-21", _urls(server, SECOND_DAY))
    assert second.success
    leading = _first_keywords(store, "2026-11-21")
    assert leading == {t.replace(" ", "-"): t for t in SECOND_DAY}, leading
    meta = second.asset_materializations_for_node("keywords")[0].metadata
    assert meta["site_corpora"].value == {server.base: len(FIRST_DAY)}
    assert "greenleaf garden club" in meta["site_wide_phrases"].value[server.base]


def test_a_site_without_enough_pages_or_another_site_is_not_affected(siex_home):
    """Corpora are per origin, and under ten known pages a share says nothing."""
    store = Warehouse(siex_home.warehouse_dir)
    rows = [
        {"doc_id": f"{site}{i}", "url": f"https://{site}.example/p{i}", "content_hash": "h",
         "rank": 1, "keyword": "Shared Phrase", "score": 1.0, "lang": "en", "engine": "x"}
        for site, pages in (("big", 12), ("small", 5)) for i in range(pages)
    ]  # fmt: skip
    store.write("keywords", "acme", "2026-11-20", rows)
    store.write("keywords", "other", "2026-11-20", [dict(rows[0], url="https://x.example/")])
    corpora = site_corpora(store, "acme", "2026-11-21", KeywordExtractor(mode="statistical"))
    assert set(corpora) == {"https://big.example", "https://small.example"}  # not "other"'s
    assert corpora["https://big.example"].weight("share phrase") == 0.05
    assert corpora["https://small.example"].weight("share phrase") == 1.0
    # Rows flagged folded (pieces filling a short page's list) are not counted.
    folded = [
        dict(row, doc_id=f"f{i}", url=f"https://big.example/f{i}", keyword="Filler Piece",
             folded=True)
        for i, row in enumerate(rows[:12])
    ]  # fmt: skip
    store.write("keywords", "acme", "2026-11-20", folded, part="folded")
    corpora = site_corpora(store, "acme", "2026-11-21", KeywordExtractor(mode="statistical"))
    assert corpora["https://big.example"].weight("filler piec") == 1.0
    assert corpora["https://big.example"].doc_freq.get("filler piec", 0) == 0
    # A day before the rows were stored sees nothing of them.
    assert site_corpora(store, "acme", "2026-11-19", KeywordExtractor(mode="statistical")) == {}
