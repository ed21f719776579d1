"""A small but realistic gardening tenant for the topic reports: the own site GreenLeaf
(greenleaf.example, plus two German pages) and two competitors, Urban Harvest and
GrowWise. Texts are written so that the expected findings hold for a reason:

- two own pages are both about raised bed soil (same primary keyword, nearly the same
  text): cannibalization, merge; a printer-friendly copy of one of them: canonicalize;
- two own tomato pages (pruning, feeding) both rank "tomato plants" near the top but are
  about different things: a keyword conflict, differentiate;
- hydroponics is covered by both competitors and not at all by the own site: the top
  topic gap, with evidence from two domains; rainwater harvesting by one competitor only;
- competitors write "drip irrigation", the own site "drip irrigation systems": a
  near-synonym, never a gap; a competitor's "compost pile" is the own "compost heap" in
  other words (no shared stem but "compost": only the embeddings tell), while "hot
  composting" is covered thinly by the own composting page;
- a competitor page about raised bed soil too: competitors never count as cannibalization;
- German pages (the model reads English only) are clustered by their keywords.
"""

from __future__ import annotations

from siex.warehouse import Warehouse
from tests.corpus_data import store_document

DAY = "2026-05-10"
OWN, URBAN, GROW = "src-own", "src-urban", "src-grow"
ROLES = {OWN: "own", URBAN: "competitor", GROW: "competitor"}

G, U, W = "https://greenleaf.example", "https://urbanharvest.example", "https://growwise.example"

# (url, source, title, keywords best first, text, lang)
PAGES: list[tuple[str, str, str, list[str], str, str]] = [
    (
        f"{G}/raised-bed-soil-mix",
        OWN,
        "The best soil mix for raised beds",
        ["raised bed soil", "topsoil", "compost", "soil mix", "raised beds", "drainage"],
        "A raised bed is only as good as the soil you put in it. The best raised bed soil is a "
        "blend of sixty percent screened topsoil, thirty percent well-rotted compost and ten "
        "percent grit or fine bark for drainage. Bagged potting compost alone shrinks as it "
        "decomposes and dries out quickly, so a soil-based mix holds its level far better. "
        "Buy topsoil from a supplier who can tell you where it came from, avoid pale sticky "
        "subsoil, and top the bed up every spring with a few centimetres of fresh compost to "
        "replace what the vegetables used. Test the pH once: most crops in raised beds like "
        "a slightly acid soil around 6.5.",
        "en",
    ),
    (
        f"{G}/filling-raised-beds",
        OWN,
        "How to fill a raised bed with soil on a budget",
        ["raised bed soil", "filling raised beds", "topsoil", "compost", "hugelkultur"],
        "Filling raised beds with bought soil gets expensive quickly. The soil that matters is "
        "the top thirty centimetres, where the roots grow, so fill deep beds from the bottom "
        "with logs, branches and upturned turf in the hugelkultur style, then add the raised "
        "bed soil on top: a mix of topsoil and well-rotted compost with some grit for "
        "drainage. Water each layer as you go so it settles, and expect the level to sink a "
        "little in the first year. Topping up with compost every spring keeps the raised bed "
        "soil fertile and its structure open.",
        "en",
    ),
    (
        f"{G}/print/raised-bed-soil-mix",
        OWN,
        "The best soil mix for raised beds (print version)",
        ["raised bed soil", "topsoil", "compost", "soil mix", "raised beds", "drainage"],
        "A raised bed is only as good as the soil you put in it. The best raised bed soil is a "
        "blend of sixty percent screened topsoil, thirty percent well-rotted compost and ten "
        "percent grit or fine bark for drainage. Bagged potting compost alone shrinks as it "
        "decomposes and dries out quickly, so a soil-based mix holds its level far better. "
        "Buy topsoil from a supplier who can tell you where it came from, avoid pale sticky "
        "subsoil, and top the bed up every spring with a few centimetres of fresh compost to "
        "replace what the vegetables used. Test the pH once: most crops in raised beds like "
        "a slightly acid soil around 6.5.",
        "en",
    ),
    (
        f"{G}/drip-irrigation-systems",
        OWN,
        "Drip irrigation systems for vegetable gardens",
        ["drip irrigation systems", "emitters", "dripline", "water pressure", "watering"],
        "Drip irrigation systems deliver water straight to the roots through a network of "
        "tubing and small emitters, so almost nothing is lost to evaporation or runoff. A "
        "basic kit for vegetable beds has a pressure regulator, a filter, half-inch mainline "
        "tubing and inline dripline with emitters every thirty centimetres. Run the system "
        "early in the morning for twenty to forty minutes, check the emitters for clogging "
        "each month, and flush the lines at the end of the season before the first frost. "
        "Dry leaves also mean fewer fungal diseases than watering with a sprinkler.",
        "en",
    ),
    (
        f"{G}/composting-at-home",
        OWN,
        "Composting at home: a beginner's guide",
        ["composting", "compost bin", "greens and browns", "kitchen scraps", "compost heap"],
        "Composting turns kitchen scraps and garden waste into dark crumbly compost that feeds "
        "the soil. Mix greens such as vegetable peelings, coffee grounds and grass clippings "
        "with browns such as dry leaves, cardboard and straw, roughly one part greens to two "
        "parts browns. Keep the compost bin as moist as a wrung-out sponge and turn the heap "
        "every few weeks to let air in. A well-managed heap is ready in six to twelve months; "
        "finished compost smells of forest floor and no longer shows what went in.",
        "en",
    ),
    (
        f"{G}/pruning-tomatoes",
        OWN,
        "Pruning tomato plants: when and how to remove side shoots",
        ["tomato plants", "side shoots", "cordon tomatoes", "pruning", "trusses"],
        "Cordon tomato plants grow best on a single stem, so pinch out the side shoots that "
        "appear between the leaves and the main stem while they are still small. Snap them "
        "off in the morning when the plant is turgid. Once the plant has set four or five "
        "trusses outdoors, or six or seven in a greenhouse, pinch out the growing tip so the "
        "energy goes into ripening fruit. Remove the lower leaves as the first truss ripens to "
        "let air circulate. Bush tomatoes need no pruning at all.",
        "en",
    ),
    (
        f"{G}/feeding-tomatoes",
        OWN,
        "Feeding tomato plants for a bigger harvest",
        ["tomato feed", "tomato plants", "potash", "liquid fertiliser", "blossom end rot"],
        "Tomato plants are hungry. Once the first flowers open, give them a high-potash "
        "liquid tomato feed every week, diluted as the label says. Potash encourages flowers "
        "and fruit; too much nitrogen gives lush leaves and few tomatoes. Water evenly: "
        "irregular watering stops calcium reaching the fruit and causes blossom end rot, "
        "the dark leathery patch at the base. Plants in grow bags and pots need feeding more "
        "often than those in the ground, and a comfrey or seaweed feed works as well as a "
        "bought one.",
        "en",
    ),
    (
        f"{G}/about",
        OWN,
        "About GreenLeaf Gardens",
        [],  # a page without keywords: still clustered, by its text
        "GreenLeaf Gardens is a small family business selling organic seeds, peat-free "
        "compost and garden tools since 2009. We test everything we sell in our own trial "
        "beds and write about what works.",
        "en",
    ),
    (
        f"{G}/de/hochbeet-erde",
        OWN,
        "Die richtige Erde für das Hochbeet",
        ["hochbeet", "hochbeeterde", "kompost", "gartenerde"],
        "Ein Hochbeet wird in Schichten befüllt: unten Äste und Zweige, darüber Laub und "
        "Grasschnitt, dann grober Kompost und oben eine Schicht Hochbeeterde aus Gartenerde "
        "und reifem Kompost. Die Erde sackt im ersten Jahr ab und wird im Frühjahr mit "
        "Kompost aufgefüllt.",
        "de",
    ),
    (
        f"{G}/de/hochbeet-bauen",
        OWN,
        "Ein Hochbeet selbst bauen",
        ["hochbeet", "hochbeet bauen", "lärchenholz", "kompost"],
        "Ein Hochbeet aus Lärchenholz hält viele Jahre. Die Seitenwände werden innen mit "
        "Noppenfolie ausgekleidet, der Boden mit Wühlmausgitter geschützt. Befüllt wird das "
        "Hochbeet mit Ästen, Laub, Kompost und Erde.",
        "de",
    ),
    (
        f"{G}/de/tomaten-pflanzen",
        OWN,
        "Tomaten pflanzen und pflegen",
        ["tomaten", "tomaten ausgeizen", "tomatendünger", "gewächshaus"],
        "Tomaten brauchen Wärme, Sonne und Schutz vor Regen. Im Gewächshaus werden sie "
        "regelmäßig ausgegeizt und wöchentlich mit Tomatendünger gegossen.",
        "de",
    ),
    # -- competitors ------------------------------------------------------------------
    (
        f"{U}/raised-bed-soil-guide",
        URBAN,
        "Raised bed soil: what to buy and what to avoid",
        ["raised bed soil", "topsoil", "compost", "soil mix", "peat-free"],
        "Choosing raised bed soil is the most important decision when you build a bed. Look "
        "for a loam-based topsoil blended with peat-free compost, roughly two parts soil to one "
        "part compost, and avoid cheap bulk soil full of weed roots and stones. A bed one "
        "metre by two and thirty centimetres deep takes about six hundred litres of mix. "
        "Refresh the raised bed soil each spring with a mulch of compost.",
        "en",
    ),
    (
        f"{U}/hydroponics-at-home",
        URBAN,
        "Hydroponics at home: growing without soil",
        ["hydroponics", "nutrient solution", "deep water culture", "grow lights", "net pots"],
        "Hydroponics grows plants without soil: the roots hang in a nutrient solution that "
        "delivers water, oxygen and minerals directly. The simplest hydroponic system for "
        "beginners is deep water culture, a tub of aerated nutrient solution with plants held "
        "in net pots in a floating lid. Add grow lights for winter, keep the pH of the "
        "solution between 5.5 and 6.5, and top up the nutrients weekly. Lettuce, herbs and "
        "strawberries grow fast in a hydroponic setup.",
        "en",
    ),
    (
        f"{W}/hydroponic-lettuce",
        GROW,
        "Growing hydroponic lettuce indoors",
        ["hydroponic lettuce", "hydroponics", "nutrient solution", "kratky method", "grow lights"],
        "Lettuce is the easiest crop for indoor hydroponics. With the Kratky method you need "
        "no pump at all: a jar or tub filled with nutrient solution, a net pot with rockwool "
        "and a seedling whose roots reach down into the solution. As the level drops the roots "
        "find the air they need. Under grow lights a hydroponic lettuce is ready to harvest "
        "in about five weeks. Check the strength of the nutrient solution with an EC meter.",
        "en",
    ),
    (
        f"{W}/drip-irrigation-kit",
        GROW,
        "Setting up a drip irrigation kit",
        ["drip irrigation", "emitters", "pressure regulator", "drip tape", "watering"],
        "Drip irrigation waters the soil at the base of each plant instead of the whole bed. "
        "A drip irrigation kit connects to an outdoor tap through a filter and a pressure "
        "regulator; drip tape or dripline runs along each row with emitters next to the "
        "plants. Bury the lines under mulch to protect them from the sun, run the water in "
        "the morning, and clean the filter every few weeks so the emitters do not clog.",
        "en",
    ),
    (
        f"{U}/rainwater-harvesting",
        URBAN,
        "Rainwater harvesting for gardens",
        ["rainwater harvesting", "water butts", "downpipe diverter", "rainwater", "overflow"],
        "Rainwater harvesting means catching rain from the roof before it disappears down "
        "the drain. Gutters lead it to a downpipe, where a diverter fills water butts and "
        "returns the overflow once they are full. Butts can be linked together, and large "
        "buried tanks store several thousand litres for dry summers. Keep the gutters clear "
        "of leaves and moss, fit lids against mosquitoes and algae, and clean the butts every "
        "winter. In many towns, councils subsidise water butts because they relieve the "
        "storm drains during heavy rain.",
        "en",
    ),
    (
        f"{W}/composting-guide",
        GROW,
        "Composting guide: hot and cold heaps",
        ["composting", "hot composting", "compost pile", "kitchen scraps", "compost"],
        "Composting works with any mix of kitchen scraps, yard waste and cardboard. A cold "
        "compost pile is left alone and takes a year; hot composting needs a large pile built "
        "at once, with plenty of greens and regular turning, and can reach sixty degrees and "
        "finish in two months. Turn the pile whenever the temperature drops and keep it as "
        "moist as a wrung-out sponge.",
        "en",
    ),
]


def store_topic_corpus(
    store: Warehouse,
    tenant: str = "greenleaf",
    day: str = DAY,
    sources: dict[str, str] | None = None,
    pages=PAGES,
) -> dict:
    """Writes ``pages`` for ``tenant`` on ``day`` (``sources`` maps the source ids above
    to real ones); returns url → doc_id."""
    ids = {}
    for url, source, title, keywords, text, lang in pages:
        source_id = (sources or {}).get(source, source)
        ids[url] = store_document(
            store, tenant, day, url, keywords, source_id=source_id, title=title, text=text,
            lang=lang,
        )  # fmt: skip
    return ids
