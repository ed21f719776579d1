"""Legal transformer: statute and case citations, and defined terms, with offsets.

Patterns cover the citation styles SEO clients in law publish most: US Code and
state codes, EU legislation and CJEU cases (ECLI included), UK neutral citations
and Acts, German paragraph citations, and Swedish statutes and precedents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SECTION = r"§§?\s*\d+[a-z]?(?:\.\d+)*(?:\s*(?:–|-|to)\s*\d+[a-z]?)?"

STATUTES: list[tuple[str, re.Pattern]] = [
    ("us_code", re.compile(r"\b\d+\s+U\.\s?S\.\s?C\.?\s*" + _SECTION)),
    ("us_cfr", re.compile(r"\b\d+\s+C\.\s?F\.\s?R\.?\s*(?:§§?\s*)?\d+(?:\.\d+)*")),
    (
        "state_code",
        re.compile(r"\b(?:[A-Z][a-z]{1,5}\.\s){1,3}(?:[A-Z][a-z]+\.?\s){0,2}Code\s*" + _SECTION),
    ),
    (
        "eu_act",
        re.compile(
            r"\b(?:Regulation|Directive|Decision)\s*\((?:EU|EC|EEC|Euratom)\)\s*(?:No\.?\s*)?\d{2,4}/\d{1,4}(?:/(?:EU|EC|EEC))?"
        ),
    ),
    ("eu_act", re.compile(r"\b(?:Directive|Regulation)\s+\d{2,4}/\d{1,4}/(?:EU|EC|EEC)")),
    (
        "article",
        re.compile(
            r"\b(?:Article|Art\.)\s*\d+[a-z]?(?:\(\d+\))*(?:\([a-z]\))?\s+(?:of\s+the\s+)?(?:GDPR|TFEU|TEU|ECHR|the\s+Charter|[A-Z]{2,6})\b"
        ),
    ),
    (
        "uk_act",
        re.compile(
            r"\b(?:[Ss]ection|s\.)\s*\d+[A-Z]?(?:\(\d+\))*\s+of\s+the\s+(?:[A-Z][\w']*\s){1,7}Act\s+\d{4}"
        ),
    ),
    ("uk_act", re.compile(r"\b(?:[A-Z][\w']*\s){1,7}Act\s+(?:1[6-9]|20)\d{2}\b")),
    (
        "de_paragraph",
        re.compile(
            r"§§?\s*\d+[a-z]?(?:\s+Abs\.\s*\d+)?(?:\s+(?:S\.|Satz)\s*\d+)?(?:\s+Nr\.\s*\d+)?\s+(?:BGB|StGB|HGB|ZPO|StPO|GG|UWG|TMG|BDSG|UrhG|AO|SGB\s+[IVX]+)\b"
        ),
    ),
    ("se_statute", re.compile(r"\bSFS\s+\d{4}:\d+")),
    (
        "se_statute",
        re.compile(
            r"\b\d+\s+kap\.\s*\d+\s*§\s*(?:\d+\s+st\.\s*)?[a-zåäö]+(?:balken|lagen|lag|förordningen)\b"
        ),
    ),
    ("se_statute", re.compile(r"\b\d+\s*§\s+[a-zåäö]+lagen\s+\(\d{4}:\d+\)")),
]
CASES: list[tuple[str, re.Pattern]] = [
    ("ecli", re.compile(r"\bECLI:[A-Z]{2}:[A-Z0-9]+:\d{4}:[\w.]+")),
    ("cjeu_case", re.compile(r"\bCase\s+[CT][-‑–]\d{1,4}/\d{2}\b")),
    ("cjeu_case", re.compile(r"\b[CT][-‑–]\d{1,4}/\d{2}\b")),
    (
        "uk_neutral",
        re.compile(
            r"\[\d{4}\]\s+(?:UKSC|UKHL|UKPC|EWCA\s+(?:Civ|Crim)|EWHC)\s+\d+(?:\s+\([A-Za-z]+\))?"
        ),
    ),
    (
        "us_case",
        re.compile(
            r"\b[A-Z][\w.'&-]*(?:\s+[A-Z][\w.'&-]*){0,5}\s+v\.\s+[A-Z][\w.'&-]*(?:\s+(?:of\s+)?[A-Z][\w.'&-]*){0,5}(?:,\s+\d+\s+(?:U\.S\.|S\.\s?Ct\.|F\.(?:2d|3d|4th)?|F\.\s?Supp\.(?:\s?2d|\s?3d)?)\s+\d+(?:\s+\([^)]*\d{4}\))?)?"
        ),
    ),
    (
        "se_precedent",
        re.compile(
            r"\b(?:NJA\s+\d{4}\s+s\.\s*\d+|(?:HFD|RÅ|AD|MÖD|MIG)\s+\d{4}\s+(?:ref\.\s*)?\d+)"
        ),
    ),
]
# "Agreement" means …; (the "Company"); hereinafter referred to as "Licensee"; (”Bolaget”)
_QUOTED = r"[\"“”„']([A-ZÅÄÖ][\w\s'-]{1,60}?)[\"“”']"
DEFINITIONS = [
    re.compile(_QUOTED + r"\s+(?:shall\s+)?means?\b"),
    re.compile(r"\((?:the\s+|hereinafter\s+)?" + _QUOTED + r"\)"),
    re.compile(
        r"(?:hereinafter|hereafter)\s+(?:referred\s+to\s+as\s+|called\s+)?(?:the\s+)?" + _QUOTED
    ),
    re.compile(r"(?:nedan|härefter)\s+(?:kallad|benämnd)\s+" + _QUOTED),
]


@dataclass(frozen=True)
class LegalEntity:
    kind: str  # "statute", "case" or "defined_term"
    subtype: str  # e.g. "us_code", "cjeu_case", "defined_term"
    text: str
    start: int
    end: int


def extract_legal(text: str) -> list[LegalEntity]:
    """Citations and defined terms in order of appearance; overlapping matches keep the longest."""
    found: list[LegalEntity] = []
    for kind, patterns in (("statute", STATUTES), ("case", CASES)):
        for subtype, pattern in patterns:
            for m in pattern.finditer(text):
                found.append(LegalEntity(kind, subtype, m.group(0).strip(), m.start(), m.end()))
    for pattern in DEFINITIONS:
        for m in pattern.finditer(text):
            term = m.group(1).strip()
            found.append(
                LegalEntity(
                    "defined_term", "defined_term", term, m.start(1), m.start(1) + len(term)
                )
            )
    found.sort(key=lambda e: (e.start, -(e.end - e.start)))
    kept: list[LegalEntity] = []
    for entity in found:
        if kept and entity.start < kept[-1].end:
            if entity.end - entity.start > kept[-1].end - kept[-1].start:
                kept[-1] = entity
            continue
        kept.append(entity)
    unique, seen = [], set()
    for entity in kept:
        key = (entity.kind, entity.text) if entity.kind == "defined_term" else (entity.start,)
        if key not in seen:
            seen.add(key)
            unique.append(entity)
    return unique
