"""The BACOWR transformer on real-looking pages: where a backlink fits, and its anchor."""

from __future__ import annotations

import pytest

from siex.domains.bacowr import passages, suggest_links
from siex.engine import KeywordExtractor

SOURCE = """Planning a vegetable garden for a small yard

A small yard can feed a family if every bed is planned. Start with the sunniest spot,
because tomatoes, peppers and squash need at least six hours of direct light a day.

Build two raised beds and fill them with a loose mix of topsoil and compost. Raised beds
warm up early in spring and drain well after heavy rain.

Watering is where most small gardens fail. A drip irrigation line under the mulch delivers
water straight to the roots and wastes far less than a sprinkler on a hot afternoon.

Feed the soil rather than the plants: a yearly layer of homemade compost keeps the beds
fertile without bagged fertilizer. Rotate the crops each season to keep pests guessing.
"""

IRRIGATION_TARGET = (
    "Drip irrigation basics. Drip irrigation delivers water slowly to the root zone through "
    "emitters along a flexible line. A drip irrigation kit with a pressure regulator and a filter "
    "saves water compared with sprinklers and keeps leaves dry, which reduces fungal disease. "
    "Lay the drip line under mulch and run it for an hour in the early morning."
)
COMPOST_TARGET = (
    "Composting at home. A compost bin turns kitchen scraps and garden waste into rich compost. "
    "Balance green and brown material, keep the heap moist, and turn it every few weeks. "
    "Finished compost feeds the soil, improves its structure and replaces bagged fertilizer."
)
UNRELATED_TARGET = (
    "Quarterly earnings of listed banks rose as interest margins widened. Analysts expect "
    "dividend increases and share buybacks across the sector next year."
)


@pytest.mark.parametrize("mode", ["semantic", "statistical"])
def test_the_best_place_is_the_passage_about_the_target(mode):
    """Each target lands in the passage that talks about it, with a verbatim anchor."""
    extractor = KeywordExtractor(mode=mode)
    irrigation = suggest_links(SOURCE, IRRIGATION_TARGET, "en", extractor=extractor)
    assert "drip irrigation line" in irrigation[0].passage
    assert "irrigation" in irrigation[0].anchor.lower()
    compost = suggest_links(SOURCE, COMPOST_TARGET, "en", extractor=extractor)
    assert "compost" in compost[0].anchor.lower()
    assert compost[0].passage != irrigation[0].passage or "compost" in irrigation[0].passage
    for placement in irrigation + compost:
        start = placement.anchor_start
        assert SOURCE[start : start + len(placement.anchor)] == placement.anchor
        assert SOURCE[placement.passage_start :].startswith(placement.passage.split()[0])
        assert 0.0 <= placement.score <= 1.0
    assert len({p.passage for p in irrigation}) == len(irrigation)  # one placement per passage


def test_an_unrelated_target_finds_no_good_place():
    """A target with nothing in common gets no placement or only weak ones."""
    related = suggest_links(SOURCE, IRRIGATION_TARGET, "en")[0].score
    unrelated = suggest_links(SOURCE, UNRELATED_TARGET, "en")
    assert all(p.score < related / 2 for p in unrelated)


def test_passages_keep_offsets_and_merge_fragments():
    """Passages carry their offsets; a heading too short to hold a link joins the next text."""
    found = passages(SOURCE)
    assert all(SOURCE[offset:].startswith(text.split()[0]) for offset, text in found)
    assert found[0][1].startswith("Planning a vegetable garden")
    assert all(len(text.split()) >= 6 for _offset, text in found)
    assert passages("") == []


@pytest.mark.parametrize(
    ("lang", "text", "keywords"),
    [
        ("en", SOURCE, [("drip irrigation", 1.0), ("raised beds", 0.8), ("compost", 0.7)]),
        ("en", "The baby cries. Happy families and flies: the babies cried all night long.",
         [("happiness", 1.0), ("fly", 0.9), ("baby", 0.8)]),
        ("de", "Im Herbst werden die Gärten umgegraben. Der Gartenboden braucht Kompost und "
               "Mulch, damit die Böden im Frühjahr locker sind.",
         [("Garten", 1.0), ("Boden", 0.9), ("Kompost", 0.5)]),
    ],
)  # fmt: skip
def test_a_prepared_source_places_links_to_many_targets_as_one_would(lang, text, keywords):
    """PreparedSource places each target as a fresh one does; telling it the stems of
    interest skips passages without them but never one with them (accents, y/i)."""
    from siex.domains.bacowr import PreparedSource, keyword_weights
    from siex.engine.languages import language_kit

    kit = language_kit(lang)
    targets = [keyword_weights(keywords[k : k + 1], kit) for k in range(len(keywords))]
    shared = PreparedSource(text, kit)
    focused = PreparedSource(text, kit, {s for w in targets for s in w})
    for weights in targets:
        expected = PreparedSource(text, kit).place(weights)
        assert expected, weights
        assert shared.place(weights) == expected == focused.place(weights)
        for p in expected:
            assert text[p.anchor_start : p.anchor_start + len(p.anchor)] == p.anchor
