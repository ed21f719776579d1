"""Medical transformer: conditions, drugs and dosages as entities, with offsets.

Dosages are read with a pattern (amount, unit, optional route and frequency).
Drugs are words carrying the WHO INN stems (-mab, -pril, -statin, …) or words
directly followed by a dosage ("Metformin 500 mg"). Conditions are candidate
phrases of the engine whose head is a disease noun or carries a pathology suffix
(-itis, -osis, -emia, …). No lexicon is bundled: what the patterns miss, they miss.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from siex.engine.candidates import find_candidates, tokenize
from siex.engine.languages import language_kit

_UNIT = r"(?:mg/kg|mg/m2|mg/m²|mcg|µg|μg|mg|g|ml|mL|IU|units?|mmol|%)"
_FREQUENCY = (
    r"(?:once|twice|three times|four times)\s+(?:a\s+|per\s+)?(?:day|daily|week|weekly)"
    r"|(?:every|q)\s*\d+\s*(?:hours?|days?|weeks?|h|d)\b|daily|nightly|weekly|b\.?i\.?d\.?|t\.?i\.?d\.?|q\.?i\.?d\.?|q\.?d\.?|as needed|prn"
)
_ROUTE = r"(?:orally|by mouth|p\.?o\.?|intravenously|i\.?v\.?|subcutaneously|s\.?c\.?|intramuscularly|i\.?m\.?|topically)"
DOSAGE = re.compile(
    rf"\b\d+(?:[.,]\d+)?(?:\s*[-–]\s*\d+(?:[.,]\d+)?)?\s*{_UNIT}(?![\w/])"
    rf"(?:\s+{_ROUTE})?(?:\s*,?\s*(?:{_FREQUENCY}))?",
    re.IGNORECASE,
)
DRUG_STEMS = (
    "mab", "nib", "pril", "sartan", "olol", "statin", "azole", "cillin", "mycin", "cycline",
    "floxacin", "prazole", "tidine", "vir", "parin", "dipine", "gliptin", "gliflozin", "glutide",
    "lukast", "zepam", "zolam", "triptan", "setron", "profen", "caine", "dronate", "formin",
    "sone", "lone", "oxetine", "aline", "azepine", "ipramine", "tadine", "semide", "thiazide",
)  # fmt: skip
CONDITION_SUFFIXES = (
    "itis",
    "osis",
    "emia",
    "aemia",
    "oma",
    "pathy",
    "algia",
    "plegia",
    "trophy",
    "ectasia",
)
CONDITION_HEADS = (
    "disease", "syndrome", "disorder", "infection", "cancer", "carcinoma", "failure", "deficiency",
    "diabetes", "hypertension", "asthma", "stroke", "injury", "fever", "depression", "anxiety",
)  # fmt: skip
_NOT_DRUGS = frozenset({"person", "reason", "season", "lesson", "someone", "alone", "phone", "stone", "zone", "bone", "tone",
                        "none", "done", "gone", "clone", "ozone", "cornerstone", "milestone", "iron", "line", "online",
                        "machine", "medicine", "routine", "vaccine", "caffeine", "protein", "review", "interview", "view"})  # fmt: skip
_WORD = re.compile(r"\b[A-Za-z][a-z]{3,}\b")


@dataclass(frozen=True)
class MedicalEntity:
    kind: str  # "condition", "drug" or "dosage"
    text: str
    start: int
    end: int


def extract_medical(text: str, lang: str = "en") -> list[MedicalEntity]:
    """Dosages, drugs and conditions in order of appearance, without overlaps."""
    found: list[MedicalEntity] = []
    dosages = [(m.start(), m.end(), m.group(0).strip()) for m in DOSAGE.finditer(text)]
    found += [MedicalEntity("dosage", t, s, s + len(t)) for s, _e, t in dosages]
    dosage_starts = {s for s, _e, _t in dosages}
    for m in _WORD.finditer(text):
        word = m.group(0)
        lower = word.lower()
        if lower in _NOT_DRUGS:
            continue
        after = text[m.end() : m.end() + 2].lstrip()
        followed_by_dose = (
            any(m.end() < s <= m.end() + 2 for s in dosage_starts) and after[:1].isdigit()
        )
        if (lower.endswith(DRUG_STEMS) and len(lower) > 6) or (
            followed_by_dose and word[0].isupper()
        ):
            found.append(MedicalEntity("drug", word, m.start(), m.end()))
    found += _conditions(text, lang)
    found.sort(key=lambda e: (e.start, -(e.end - e.start)))
    kept: list[MedicalEntity] = []
    for entity in found:
        if kept and entity.start < kept[-1].end:
            continue
        kept.append(entity)
    return kept


def _trim_common_lead(phrase: str, kit) -> str:
    """Drop everyday leading words ("patients developed pancreatitis" → "pancreatitis"),
    but keep a word followed by a number ("type 2 diabetes")."""
    words = phrase.split()
    while len(words) > 1 and kit.rarity(words[0]) < 3.5 and not words[1][:1].isdigit():
        words.pop(0)
    return " ".join(words)


def _conditions(text: str, lang: str) -> list[MedicalEntity]:
    kit = language_kit(lang)
    lowered = text.lower()
    entities, seen = [], set()
    for cand in find_candidates(tokenize(text, kit), 4).values():
        words = cand.text.lower().split()
        head = words[-1]
        if not (head in CONDITION_HEADS or (head.endswith(CONDITION_SUFFIXES) and len(head) > 6)):
            continue
        if head.endswith(DRUG_STEMS) and head not in CONDITION_HEADS:
            continue
        surface = _trim_common_lead(max(cand.surfaces, key=cand.surfaces.get), kit)
        at = lowered.find(surface.lower())
        while at >= 0:
            if at not in seen:
                seen.add(at)
                entities.append(
                    MedicalEntity("condition", text[at : at + len(surface)], at, at + len(surface))
                )
            at = lowered.find(surface.lower(), at + 1)
    return entities
