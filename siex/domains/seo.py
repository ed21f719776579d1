"""SEO transformer: search intent per keyword, a difficulty proxy, title and meta
description suggestions.

Intent follows the usual four classes of SEO tools. It is read from cue words in
the keyword itself (per language), then from the page the keyword came from: a
keyword with no cue on a page that sells is commercial, on a page that teaches is
informational. Difficulty is a proxy from 0 to 100: how general the phrase is in
the language (wordfreq) and how many documents of the known corpus (competitors
included) already rank it among their keywords.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from siex.engine.languages import language_kit

INTENTS = ("informational", "navigational", "commercial", "transactional")

# Cue words per language and intent (lower case; multiword cues allowed).
CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "transactional": (
            "buy",
            "order",
            "price",
            "prices",
            "cheap",
            "discount",
            "coupon",
            "deal",
            "deals",
            "for sale",
            "shop",
            "purchase",
            "subscribe",
            "download",
            "free shipping",
            "cost",
        ),
        "commercial": (
            "best",
            "top",
            "review",
            "reviews",
            "vs",
            "versus",
            "compare",
            "comparison",
            "alternative",
            "alternatives",
            "rated",
            "recommended",
            "cheapest",
        ),
        "navigational": (
            "login",
            "log in",
            "sign in",
            "signin",
            "official site",
            "website",
            "homepage",
            "contact",
            "customer service",
            "account",
            "app",
        ),
        "informational": (
            "how",
            "what",
            "why",
            "when",
            "where",
            "who",
            "guide",
            "tutorial",
            "tips",
            "ideas",
            "examples",
            "meaning",
            "definition",
            "learn",
            "step by step",
            "benefits",
        ),
    },
    "sv": {
        "transactional": (
            "köp",
            "köpa",
            "pris",
            "priser",
            "billig",
            "billiga",
            "rabatt",
            "rea",
            "beställ",
        ),
        "commercial": ("bäst", "bästa", "test", "recension", "jämför", "jämförelse", "alternativ"),
        "navigational": ("logga in", "inloggning", "kundtjänst", "kontakt", "hemsida"),
        "informational": ("hur", "vad", "varför", "när", "guide", "tips", "steg för steg"),
    },
    "da": {
        "transactional": (
            "køb",
            "pris",
            "priser",
            "billig",
            "billige",
            "rabat",
            "tilbud",
            "bestil",
        ),
        "commercial": ("bedste", "test", "anmeldelse", "sammenlign", "alternativ"),
        "navigational": ("log ind", "kundeservice", "kontakt", "hjemmeside"),
        "informational": ("hvordan", "hvad", "hvorfor", "hvornår", "guide", "tips"),
    },
    "no": {
        "transactional": (
            "kjøp",
            "pris",
            "priser",
            "billig",
            "billige",
            "rabatt",
            "tilbud",
            "bestill",
        ),
        "commercial": ("beste", "test", "anmeldelse", "sammenlign", "alternativ"),
        "navigational": ("logg inn", "kundeservice", "kontakt", "hjemmeside"),
        "informational": ("hvordan", "hva", "hvorfor", "når", "guide", "tips"),
    },
    "fi": {
        "transactional": ("osta", "hinta", "hinnat", "halpa", "alennus", "tarjous", "tilaa"),
        "commercial": ("paras", "parhaat", "testi", "arvostelu", "vertailu", "vaihtoehto"),
        "navigational": ("kirjaudu", "asiakaspalvelu", "yhteystiedot", "kotisivu"),
        "informational": ("miten", "mikä", "miksi", "milloin", "opas", "vinkit"),
    },
    "de": {
        "transactional": (
            "kaufen",
            "preis",
            "preise",
            "günstig",
            "billig",
            "rabatt",
            "angebot",
            "bestellen",
        ),
        "commercial": (
            "beste",
            "besten",
            "test",
            "testsieger",
            "vergleich",
            "erfahrungen",
            "alternative",
        ),
        "navigational": ("login", "anmelden", "kundenservice", "kontakt", "webseite"),
        "informational": ("wie", "was", "warum", "wann", "anleitung", "ratgeber", "tipps"),
    },
    "nl": {
        "transactional": (
            "kopen",
            "prijs",
            "prijzen",
            "goedkoop",
            "korting",
            "aanbieding",
            "bestellen",
        ),
        "commercial": ("beste", "review", "vergelijken", "vergelijking", "alternatief"),
        "navigational": ("inloggen", "klantenservice", "contact", "website"),
        "informational": ("hoe", "wat", "waarom", "wanneer", "handleiding", "tips"),
    },
    "fr": {
        "transactional": (
            "acheter",
            "achat",
            "prix",
            "pas cher",
            "promo",
            "promotion",
            "soldes",
            "commander",
        ),
        "commercial": (
            "meilleur",
            "meilleure",
            "meilleurs",
            "avis",
            "comparatif",
            "comparer",
            "test",
            "alternative",
        ),
        "navigational": ("connexion", "se connecter", "service client", "contact", "site officiel"),
        "informational": (
            "comment",
            "pourquoi",
            "quand",
            "qu'est-ce",
            "guide",
            "conseils",
            "astuces",
        ),
    },
    "es": {
        "transactional": (
            "comprar",
            "precio",
            "precios",
            "barato",
            "barata",
            "descuento",
            "oferta",
            "pedir",
        ),
        "commercial": (
            "mejor",
            "mejores",
            "opiniones",
            "reseña",
            "comparativa",
            "comparar",
            "alternativa",
        ),
        "navigational": (
            "iniciar sesión",
            "login",
            "atención al cliente",
            "contacto",
            "web oficial",
        ),
        "informational": ("cómo", "como", "qué", "por qué", "cuándo", "guía", "consejos", "trucos"),
    },
    "it": {
        "transactional": (
            "comprare",
            "acquistare",
            "prezzo",
            "prezzi",
            "economico",
            "sconto",
            "offerta",
        ),
        "commercial": (
            "migliore",
            "migliori",
            "recensione",
            "recensioni",
            "confronto",
            "alternativa",
        ),
        "navigational": ("accedi", "login", "servizio clienti", "contatti", "sito ufficiale"),
        "informational": ("come", "cosa", "perché", "quando", "guida", "consigli"),
    },
    "pt": {
        "transactional": (
            "comprar",
            "preço",
            "preços",
            "barato",
            "barata",
            "desconto",
            "promoção",
            "oferta",
        ),
        "commercial": (
            "melhor",
            "melhores",
            "avaliação",
            "análise",
            "comparativo",
            "comparar",
            "alternativa",
        ),
        "navigational": ("entrar", "login", "atendimento", "contato", "site oficial"),
        "informational": ("como", "o que", "por que", "quando", "guia", "dicas"),
    },
}
# Which intent a cue-less keyword takes from the page it was found on.
PAGE_INTENT_WEIGHT = 0.6
TITLE_MAX, META_MAX = 60, 155
_WORD = re.compile(r"\w+(?:['’-]\w+)*", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class IntentResult:
    label: str
    confidence: float
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeoKeyword:
    text: str
    score: float
    intent: str
    intent_confidence: float
    difficulty: int  # 0 (easy, long tail) .. 100 (head term many documents compete for)


@dataclass
class SeoAnalysis:
    lang: str
    page_intent: IntentResult
    keywords: list[SeoKeyword]
    title_suggestions: list[str] = field(default_factory=list)
    meta_description: str = ""


def _cue_hits(text: str, lang: str) -> dict[str, list[str]]:
    lowered = " " + " ".join(_WORD.findall(text.lower())) + " "
    cues = CUES.get(lang, CUES["en"])
    hits: dict[str, list[str]] = {}
    for intent, words in cues.items():
        found = [w for w in words if f" {w} " in lowered]
        if found:
            hits[intent] = found
    return hits


def keyword_intent(
    keyword: str, lang: str = "en", brands: Iterable[str] = ()
) -> IntentResult | None:
    """Intent from the keyword's own words; None when it has no cue."""
    lowered = keyword.lower()
    brand_hits = tuple(b for b in brands if b and b.lower() in lowered)
    if brand_hits and not _cue_hits(keyword, lang).get("transactional"):
        return IntentResult("navigational", 0.9, brand_hits)
    hits = _cue_hits(keyword, lang)
    if not hits:
        return None
    # Transactional cues outrank commercial ones ("buy best shoes" is a purchase).
    for intent in ("transactional", "commercial", "navigational", "informational"):
        if intent in hits:
            confidence = round(min(0.95, 0.7 + 0.1 * len(hits[intent])), 2)
            return IntentResult(intent, confidence, tuple(hits[intent]))
    return None


def page_intent(text: str, lang: str = "en") -> IntentResult:
    """The dominant intent of a page, from cue-word density (informational by default)."""
    hits = _cue_hits(text[:20_000], lang)
    counts = {intent: len(words) for intent, words in hits.items()}
    if not counts:
        return IntentResult("informational", 0.4)
    label = max(INTENTS, key=lambda i: (counts.get(i, 0), i == "informational"))
    total = sum(counts.values())
    return IntentResult(label, round(counts[label] / total, 2), tuple(hits.get(label, ())))


def difficulty(
    keyword: str, lang: str = "en", competing_docs: int = 0, corpus_known: bool = False
) -> int:
    """0–100 proxy: general, short phrases many documents compete for are hard."""
    kit = language_kit(lang)
    words = _WORD.findall(keyword.lower())
    if not words:
        return 0
    # A phrase is searched at most as often as its rarest word is used (Zipf scale);
    # longer phrases are the long tail.
    rarest = 8.0 - max(kit.rarity(w) for w in words)
    length = {1: 1.0, 2: 0.8, 3: 0.6}.get(len(words), 0.45)
    popularity = min(1.0, max(0.0, (rarest - 2.0) / 4.0)) * length
    competition = 1.0 - math.exp(-competing_docs / 4.0) if corpus_known else 0.5
    return round(100 * (0.55 * popularity + 0.45 * competition))


def suggest_titles(
    keywords: list[str], intent: str, lang: str = "en", brand: str | None = None
) -> list[str]:
    """Up to three titles of at most 60 characters that lead with the main keyword."""
    if not keywords:
        return []
    main = keywords[0][:1].upper() + keywords[0][1:]
    second = keywords[1] if len(keywords) > 1 else ""
    if lang == "en":
        templates = {
            "informational": [
                "{main}: A Practical Guide",
                "How {main} Works — {second}",
                "{main} Explained",
            ],
            "commercial": [
                "Best {main} Compared",
                "{main}: Reviews and Alternatives",
                "{main} vs {second}",
            ],
            "transactional": [
                "Buy {main} Online",
                "{main} — Prices and Deals",
                "Order {main} Today",
            ],
            "navigational": ["{main}", "{main} — Official Site", "{main}: {second}"],
        }[intent]
    else:
        templates = ["{main} — {second}", "{main}", "{main}: {second}"]
    titles = []
    for template in templates:
        title = template.format(main=main, second=second).strip(" —:")
        if brand and len(title) + len(brand) + 3 <= TITLE_MAX:
            title = f"{title} | {brand}"
        if title and len(title) <= TITLE_MAX and title not in titles:
            titles.append(title)
    return titles


def suggest_meta_description(text: str, keyword: str) -> str:
    """The first sentences that mention the main keyword, cut at a word to 155 characters."""
    sentences = [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]
    lowered = keyword.lower()
    start = next((i for i, s in enumerate(sentences) if lowered in s.lower()), 0)
    description = ""
    for sentence in sentences[start:]:
        candidate = f"{description} {sentence}".strip()
        if len(candidate) > META_MAX:
            break
        description = candidate
    if not description and sentences:
        cut = sentences[start][: META_MAX - 1]
        description = cut[: cut.rfind(" ")].rstrip(",;: ") + "…" if " " in cut else cut
    return description


def analyse(
    text: str,
    keywords: Iterable[tuple[str, float]],
    lang: str = "en",
    competing_docs: Mapping[str, int] | None = None,
    brands: Iterable[str] = (),
) -> SeoAnalysis:
    """Intent and difficulty for each keyword of a page, plus title and meta suggestions.

    ``competing_docs`` maps a keyword (lower case) to how many documents of the
    corpus (the tenant's and its competitors') have it among their keywords.
    """
    brands = tuple(brands)
    page = page_intent(text, lang)
    enriched = []
    for keyword, score in keywords:
        own = keyword_intent(keyword, lang, brands)
        intent = own or IntentResult(page.label, round(PAGE_INTENT_WEIGHT * page.confidence, 2))
        docs = (competing_docs or {}).get(keyword.lower(), 0)
        enriched.append(
            SeoKeyword(
                text=keyword,
                score=score,
                intent=intent.label,
                intent_confidence=intent.confidence,
                difficulty=difficulty(keyword, lang, docs, competing_docs is not None),
            )
        )
    names = [k.text for k in enriched]
    return SeoAnalysis(
        lang=lang,
        page_intent=page,
        keywords=enriched,
        title_suggestions=suggest_titles(names, page.label, lang, brands[0] if brands else None),
        meta_description=suggest_meta_description(text, names[0]) if names else "",
    )
