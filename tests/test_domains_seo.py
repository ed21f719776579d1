"""The SEO transformer on real-looking pages: intent, difficulty, titles, meta descriptions."""

from __future__ import annotations

import pytest

from siex.domains.seo import (
    INTENTS,
    analyse,
    difficulty,
    keyword_intent,
    page_intent,
    suggest_meta_description,
)
from siex.engine import KeywordExtractor

PRODUCT_PAGE = (
    "TrailRunner 5 running shoes. Buy the TrailRunner 5 online at the best price. "
    "Price: $129, free shipping on orders over $50 and a 30-day return policy. "
    "Add to cart now: the discount ends Sunday. Order today and your running shoes ship tomorrow."
)
GUIDE_PAGE = (
    "How to start composting at home. Composting turns kitchen scraps into rich soil. "
    "This guide explains what to put in a compost bin, why the balance of green and brown "
    "material matters, and how to keep the heap warm. Follow these tips step by step and "
    "your compost will be ready in three months. Learn when to turn the heap and how to tell "
    "that the compost is finished."
)
REVIEW_PAGE = (
    "Best robot vacuums of 2026 compared. We tested twelve robot vacuums for a month and rated "
    "them on suction, battery life and mapping. Read our reviews, see the comparison table, and "
    "find the top alternatives to the Roomba. Roomba vs Roborock: which is the best value?"
)


def test_keyword_cues_decide_intent_across_languages():
    """Cue words in the keyword itself classify it, in several languages."""
    assert keyword_intent("buy running shoes", "en").label == "transactional"
    assert keyword_intent("best running shoes 2026", "en").label == "commercial"
    assert keyword_intent("roomba vs roborock", "en").label == "commercial"
    assert keyword_intent("how to compost coffee grounds", "en").label == "informational"
    assert keyword_intent("laufschuhe kaufen", "de").label == "transactional"
    assert keyword_intent("meilleur aspirateur robot", "fr").label == "commercial"
    assert keyword_intent("hur man komposterar", "sv").label == "informational"
    assert keyword_intent("comprar zapatillas baratas", "es").label == "transactional"
    assert keyword_intent("running shoes", "en") is None  # no cue: the page decides


def test_buying_beats_comparing_and_brands_are_navigational():
    """'buy the best X' is a purchase; a tenant's brand makes a keyword navigational."""
    assert keyword_intent("buy the best running shoes", "en").label == "transactional"
    assert keyword_intent("greenleaf gardens login", "en").label == "navigational"
    brand = keyword_intent("greenleaf compost bins", "en", brands=["GreenLeaf"])
    assert brand.label == "navigational" and brand.cues == ("GreenLeaf",)


@pytest.mark.parametrize(
    ("page", "expected"),
    [(PRODUCT_PAGE, "transactional"), (GUIDE_PAGE, "informational"), (REVIEW_PAGE, "commercial")],
)
def test_page_intent_and_cueless_keywords_follow_the_page(page, expected):
    """A page's dominant intent is read from its text and given to keywords without cues."""
    assert page_intent(page, "en").label == expected
    keywords = KeywordExtractor(mode="statistical").extract(page, "en", top_k=8)
    result = analyse(page, [(k.text, k.score) for k in keywords], "en")
    assert result.page_intent.label == expected
    assert {k.intent for k in result.keywords} <= set(INTENTS)
    cueless = [k for k in result.keywords if keyword_intent(k.text, "en") is None]
    assert cueless and all(k.intent == expected for k in cueless)


def test_difficulty_ranks_head_terms_above_long_tail_and_grows_with_competition():
    """Short general phrases are harder than long specific ones; competitors make it harder."""
    head = difficulty("shoes", "en", competing_docs=0, corpus_known=True)
    tail = difficulty("waterproof trail running shoes", "en", competing_docs=0, corpus_known=True)
    assert head > tail
    alone = difficulty("drip irrigation", "en", competing_docs=0, corpus_known=True)
    contested = difficulty("drip irrigation", "en", competing_docs=12, corpus_known=True)
    assert contested > alone
    assert all(0 <= d <= 100 for d in (head, tail, alone, contested))


def test_titles_and_meta_description_fit_the_serp():
    """Titles lead with the main keyword within 60 characters; the meta description
    quotes the page around the keyword within 155."""
    result = analyse(
        GUIDE_PAGE, [("composting", 1.0), ("compost bin", 0.8)], "en", brands=["GreenLeaf"]
    )
    assert result.title_suggestions
    for title in result.title_suggestions:
        assert len(title) <= 60 and title.lower().startswith(("composting", "how composting"))
    assert "GreenLeaf" in result.title_suggestions[0]
    assert len(result.meta_description) <= 155
    assert "composting" in result.meta_description.lower()
    long_sentence = "Composting " + "really " * 60 + "works."
    cut = suggest_meta_description(long_sentence, "composting")
    assert len(cut) <= 155 and cut.endswith("…")
