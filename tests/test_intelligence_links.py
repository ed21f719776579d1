"""Internal-link suggestions: a verbatim anchor on a related own page, nothing already
linked in the content, never a competitor or noindex target, other languages by
keywords, the bounds per page, block-wise scoring that does not change the result,
and edge input."""

from __future__ import annotations

import itertools
import json
from datetime import date

import numpy as np
import pytest

from siex.engine import KeywordExtractor
from siex.engine.candidates import tokenize
from siex.engine.languages import language_kit
from siex.intelligence.corpus import Corpus, CorpusDocument, CorpusKeyword, keyword_key, load_corpus
from siex.intelligence.embeddings import Embedder
from siex.intelligence.links import LinkOptions, build_link_suggestions
from siex.intelligence.vectors import document_vectors
from siex.warehouse import Warehouse
from tests.corpus_data import store_document

SITE = "https://www.greenleaf.example"
DAY = "2026-11-20"

PLAN = """Planning a vegetable garden for a small yard

A small yard can feed a family if every bed is planned. Start with the sunniest spot,
because tomatoes, peppers and squash need at least six hours of direct light a day.

Build two raised beds and fill them with a loose mix of topsoil and compost. Raised beds
warm up early in spring and drain well after heavy rain.

Watering is where most small gardens fail. A drip irrigation line under the mulch delivers
water straight to the roots and wastes far less than a sprinkler on a hot afternoon.

Feed the soil rather than the plants: a yearly layer of homemade compost keeps the beds
fertile without bagged fertilizer. Rotate the crops each season to keep pests guessing."""

DRIP = """Drip irrigation basics

Drip irrigation delivers water slowly to the root zone through emitters along a flexible
line. A drip irrigation kit with a pressure regulator and a filter saves water compared with
sprinklers and keeps leaves dry, which reduces fungal disease. Lay the drip line under mulch
and run it for an hour in the early morning. Check the emitters for clogs once a month and
flush the line at the end of the season before the first frost."""

BEDS = """Building raised beds

Raised beds give vegetables deep, loose soil that warms early in spring. Build the frame from
untreated larch or oak boards, thirty centimetres high, and fill it with a mix of topsoil and
compost. Keep raised beds narrow enough to reach the middle without stepping on the soil, and
top them up with compost every autumn as the soil settles."""

COMPOST = """Composting at home

A compost bin turns kitchen scraps and garden waste into rich compost. Balance green and
brown material, keep the heap moist, and turn it every few weeks. Finished compost feeds the
soil, improves its structure and replaces bagged fertilizer in every vegetable bed."""

TOMATOES = """Growing tomatoes outdoors

Tomatoes need a warm, sheltered spot, rich soil and steady watering. Plant them deep, tie
the stems to a stake and pinch out the side shoots every week. Uneven watering splits the
fruit, so water at the base in the morning and mulch the soil to keep it evenly moist."""

EARNINGS = """Quarterly earnings of listed banks

Quarterly earnings of listed banks rose as interest margins widened. Analysts expect dividend
increases and share buybacks across the sector next year, while loan losses stay low and
deposit costs fall for the second quarter in a row."""

RIVAL = """Drip irrigation kits compared

We tested six drip irrigation kits for vegetable beds. The best drip irrigation kit came with
a pressure regulator, a filter, a timer and enough emitters for four raised beds."""

GEMUESE = """Den Gemüsegarten planen

Ein kleiner Garten bringt viel Ernte, wenn jedes Beet geplant ist. Tomaten und Paprika
brauchen mindestens sechs Stunden Sonne am Tag. Die Tropfbewässerung unter dem Mulch bringt
das Wasser direkt an die Wurzeln und spart viel Wasser im Sommer."""

TROPF = """Tropfbewässerung für Gemüsebeete

Die Tropfbewässerung bringt das Wasser langsam an die Wurzeln. Ein Schlauch mit Tropfern,
ein Druckminderer und ein Filter sparen Wasser. Die Tropfbewässerung läuft am besten früh am
Morgen, und die Tropfer sollten einmal im Monat geprüft werden."""

NAV = [
    ("/blog/vegetable-garden-plan", "Plan"),
    ("/blog/drip-irrigation-basics", "Drip"),
    ("/blog/raised-beds", "Raised beds"),
    ("/blog/composting-at-home", "Compost"),
    ("/blog/growing-tomatoes", "Tomatoes"),
    ("/blog/quarterly-earnings", "Earnings"),
]


def onpage(links: list[tuple[str, str]] = (), noindex: bool = False, nav: bool = True) -> dict:
    every = [*(NAV if nav else []), *links]
    return {
        "title": "t",
        "noindex": noindex,
        "nofollow": False,
        "links": json.dumps(
            [
                {"url": SITE + href, "anchor": text, "internal": True, "nofollow": False}
                for href, text in every
            ]
        ),
    }


@pytest.fixture(scope="module")
def extractor() -> KeywordExtractor:
    return KeywordExtractor()


def store_page(store, extractor, url, text, lang="en", source="own-src", page=None):
    title = text.split("\n", 1)[0]
    keywords = [k.text for k in extractor.extract(text, lang, top_k=10, title=title)]
    return store_document(
        store,
        "acme",
        DAY,
        url,
        keywords,
        text=text,
        title=title,
        lang=lang,
        source_id=source,
        onpage=page,
    )


def site_corpus(tmp_path, extractor):
    store = Warehouse(tmp_path / "warehouse")
    own = {
        # The plan already links to the raised beds page in its text.
        "/blog/vegetable-garden-plan": (PLAN, onpage([("/blog/raised-beds", "two raised beds")])),
        "/blog/drip-irrigation-basics": (DRIP, onpage()),
        "/blog/raised-beds": (BEDS, onpage()),
        "/blog/composting-at-home": (COMPOST, onpage(noindex=True)),
        "/blog/growing-tomatoes": (TOMATOES, onpage()),
        "/blog/quarterly-earnings": (EARNINGS, onpage()),
    }
    for path, (text, page) in own.items():
        store_page(store, extractor, SITE + path, text, page=page)
    store_page(
        store,
        extractor,
        "https://rival.example/drip-irrigation-kits",
        RIVAL,
        source="rival-src",
        page=onpage(nav=False),
    )
    # German pages (no onpage row for one of them): compared by keywords only.
    store_page(
        store,
        extractor,
        SITE + "/de/gemuesegarten-planen",
        GEMUESE,
        lang="de",
        page=onpage(nav=False),
    )
    store_page(store, extractor, SITE + "/de/tropfbewaesserung", TROPF, lang="de")
    corpus = load_corpus(store, "acme", DAY, roles={"rival-src": "competitor"}, with_text=True)
    vectors = document_vectors(store, Embedder(), "acme", DAY, corpus.own)
    return corpus, vectors


def test_suggestions_link_related_own_pages_with_verbatim_anchors(tmp_path, extractor):
    corpus, vectors = site_corpus(tmp_path, extractor)
    report = build_link_suggestions(corpus, vectors)
    rows = report.rows
    pairs = {
        (r["source_url"].removeprefix(SITE), r["target_url"].removeprefix(SITE)): r for r in rows
    }
    texts = {d.url: d.text for d in corpus.documents}

    # The plan should link to the drip irrigation page from its own words.
    drip = pairs[("/blog/vegetable-garden-plan", "/blog/drip-irrigation-basics")]
    assert "irrigation" in drip["anchor"].lower()
    assert drip["anchor"] in drip["context"] and "drip irrigation line" in drip["context"]
    assert drip["linked_from_navigation"] is True  # linked only from the site navigation
    assert drip["semantic_similarity"] is not None and drip["semantic_similarity"] > 0.3
    assert "irrigation" in drip["reason"] or "similarity" in drip["reason"]
    assert 0 < drip["score"] <= 1 and drip["anchor_match"] >= 0.45

    for r in rows:
        text = texts[r["source_url"]]
        assert text[r["anchor_offset"] : r["anchor_offset"] + len(r["anchor"])] == r["anchor"]
        assert r["source_url"] != r["target_url"]
        assert r["target_url"].startswith(SITE)  # never a competitor
        assert "composting-at-home" not in r["target_url"]  # noindex
        assert "quarterly-earnings" not in r["target_url"] + r["source_url"]  # unrelated
        assert 1 <= r["rank"] <= 5
        # The anchor names the target: it shares a word with the target's title (not
        # "Watering" for the tomato page, nor the source's own topic for another page).
        target_title = next(d.title for d in corpus.documents if d.url == r["target_url"])
        kit = language_kit(corpus_lang(corpus, r["target_url"]))
        assert stems(r["anchor"], kit) & stems(target_title, kit), (r["anchor"], target_title)
    # Already linked in the content: not suggested again.
    assert ("/blog/vegetable-garden-plan", "/blog/raised-beds") not in pairs
    # Per source, anchors never overlap.
    by_source: dict[str, list[tuple[int, int]]] = {}
    for r in rows:
        by_source.setdefault(r["source_url"], []).append(
            (r["anchor_offset"], r["anchor_offset"] + len(r["anchor"]))
        )
    for spans in by_source.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))

    # German pages: no vector (the model is English), keyword overlap finds the pair.
    german = pairs[("/de/gemuesegarten-planen", "/de/tropfbewaesserung")]
    assert german["anchor"] == "Tropfbewässerung" and german["semantic_similarity"] is None
    assert not any(
        r["source_url"].startswith(SITE + "/de/") != r["target_url"].startswith(SITE + "/de/")
        for r in rows
    )  # never across languages

    summary = report.summary
    assert summary["excluded_noindex"] == 1 and summary["pages_without_vectors"] == 2
    assert summary["own_pages"] == 8 and summary["suggestions"] == len(rows)
    assert summary["pairs_linked_in_content"] == 1
    assert "{chart:targets}" in report.markdown and "{chart:graph}" in report.markdown
    assert "Tropfbewässerung" in report.markdown
    assert all(c.png.startswith(b"\x89PNG") for c in report.charts)


def corpus_lang(corpus, url: str) -> str:
    return next(d.lang for d in corpus.documents if d.url == url)


def stems(text: str, kit) -> set[str]:
    return {t.stem for t in tokenize(text, kit) if t.kind == "C"}


def doc(url: str, keywords: list[str], text: str, lang: str = "en", page: dict | None = None):
    """An in-memory corpus document, titled after its first keyword."""
    return CorpusDocument(
        doc_id=url,
        url=url,
        source_id="own",
        role="own",
        title=f"{keywords[0].capitalize()}: a guide" if keywords else "",
        description="",
        lang=lang,
        published_at=None,
        fetched_at=None,
        first_seen=date(2026, 11, 1),
        last_seen=date(2026, 11, 1),
        content_hash=url,
        word_count=len(text.split()),
        text=text,
        onpage=page,
        keywords=[
            CorpusKeyword(k, keyword_key(k, lang), 1.0 - i / 20, i + 1)
            for i, k in enumerate(keywords)
        ],
    )


def test_bounds_per_source_and_per_target():
    hub = doc(f"{SITE}/drip", ["drip irrigation", "emitters"], "Drip irrigation with emitters.")
    sources = [
        doc(
            f"{SITE}/s{i}",
            [f"bed {i} diary", "emitters"],
            f"Bed {i} gets water from drip irrigation under mulch every morning. "
            f"Emitters near each plant keep bed {i} moist.",
        )
        for i in range(8)
    ]
    corpus = Corpus("acme", DAY, [hub, *sources])
    rows = build_link_suggestions(corpus, {}, LinkOptions(per_source=1, per_target=3)).rows
    assert sum(r["target_url"] == hub.url for r in rows) == 3
    assert max(sum(r["source_url"] == s.url for r in rows) for s in sources) <= 1
    top = build_link_suggestions(corpus, {}, LinkOptions(per_target=50)).rows
    assert sum(r["target_url"] == hub.url for r in top) == 8


def synthetic(n: int, seed: int = 3):
    rng = np.random.default_rng(seed)
    topics = [f"topic{t} crop" for t in range(20)]
    centres = rng.normal(size=(20, 16)).astype(np.float32)
    docs, vectors = [], {}
    for i in range(n):
        t = int(rng.integers(20))
        other = int(rng.integers(20))
        words = [topics[t], topics[other], f"page{i} detail"]
        text = (
            f"This page is about {topics[t]} and mentions {topics[other]} in passing. "
            f"It also covers page{i} detail for readers of the site."
        )
        docs.append(doc(f"{SITE}/p{i:04d}", words, text))
        v = centres[t] + 0.3 * rng.normal(size=16).astype(np.float32)
        vectors[docs[-1].doc_id] = v / np.linalg.norm(v)
    return Corpus("acme", DAY, docs), vectors


def test_block_wise_scoring_gives_the_same_report():
    corpus, vectors = synthetic(300)
    small = build_link_suggestions(corpus, vectors, LinkOptions(block=7)).rows
    large = build_link_suggestions(corpus, vectors, LinkOptions(block=1000)).rows
    assert small and small == large
    assert (
        max(sum(r["target_url"] == t for r in small) for t in {r["target_url"] for r in small})
        <= 10
    )


def test_edge_input_gives_a_defined_report():
    empty = build_link_suggestions(Corpus("acme", DAY, []), {})
    assert empty.rows == [] and empty.summary["own_pages"] == 0
    assert "No suggestions today" in empty.markdown
    assert all(c.png.startswith(b"\x89PNG") for c in empty.charts)

    one = build_link_suggestions(Corpus("acme", DAY, [doc(f"{SITE}/a", ["compost"], "Compost.")]))
    assert one.rows == []

    broken = {"links": "{not json", "noindex": None, "canonical": 42}
    pages = [
        doc(
            f"{SITE}/a",
            ["drip irrigation"],
            "Water the beds by drip irrigation in summer.",
            page=broken,
        ),
        doc(
            f"{SITE}/b",
            ["drip irrigation", "emitters"],
            "Drip irrigation uses emitters.",
            page=None,
        ),
        doc(f"{SITE}/c", ["drip irrigation"], "", page={"links": json.dumps([1, "x", None])}),
    ]
    report = build_link_suggestions(Corpus("acme", DAY, pages), {})
    assert {(r["source_url"], r["target_url"]) for r in report.rows} == {
        (f"{SITE}/a", f"{SITE}/b"),
        (f"{SITE}/b", f"{SITE}/a"),
    }
    assert all(r["source_url"] != f"{SITE}/c" for r in report.rows)  # no text, no anchor
    assert report.summary["pages_without_text"] == 1
