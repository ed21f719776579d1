"""Legal and medical transformers on real-looking text: entities, kinds and offsets."""

from __future__ import annotations

import itertools

from siex.domains.legal import extract_legal
from siex.domains.medical import extract_medical

LEGAL_PAGE = (
    "Claims under 42 U.S.C. § 1983 follow Brown v. Board of Education, 347 U.S. 483 (1954). "
    "Regulation (EU) 2016/679 and Article 17 GDPR apply; see Case C-131/12, "
    "ECLI:EU:C:2014:317, and [2019] UKSC 41, and Section 3 of the Human Rights Act 1998. "
    "Nach § 823 Abs. 1 BGB haftet der Schädiger. Enligt 3 kap. 1 § brottsbalken och SFS 2018:218, "
    'se NJA 2005 s. 462. This Agreement (the "Agreement") is made between Acme Inc. '
    '(hereinafter referred to as "Licensor") and the Customer. "Confidential Information" '
    "means any information disclosed under this Agreement."
)
CLINICAL_NOTE = (
    "Patients with type 2 diabetes and chronic kidney disease were started on Metformin 500 mg "
    "twice daily. Atorvastatin 20 mg orally once a day lowered LDL in those with hypertension. "
    "Two patients developed pancreatitis; one had a urinary tract infection treated with "
    "ciprofloxacin 250 mg every 12 hours. Adalimumab 40 mg s.c. every 14 days is used for "
    "rheumatoid arthritis. A person with anxiety should read this review online."
)


def test_legal_citations_and_defined_terms():
    """Each citation style is found once, with its kind, and offsets that point at it."""
    entities = extract_legal(LEGAL_PAGE)
    by_text = {e.text: e for e in entities}
    expected = {
        "42 U.S.C. § 1983": ("statute", "us_code"),
        "Brown v. Board of Education, 347 U.S. 483 (1954)": ("case", "us_case"),
        "Regulation (EU) 2016/679": ("statute", "eu_act"),
        "Article 17 GDPR": ("statute", "article"),
        "Case C-131/12": ("case", "cjeu_case"),
        "ECLI:EU:C:2014:317": ("case", "ecli"),
        "[2019] UKSC 41": ("case", "uk_neutral"),
        "Section 3 of the Human Rights Act 1998": ("statute", "uk_act"),
        "§ 823 Abs. 1 BGB": ("statute", "de_paragraph"),
        "3 kap. 1 § brottsbalken": ("statute", "se_statute"),
        "SFS 2018:218": ("statute", "se_statute"),
        "NJA 2005 s. 462": ("case", "se_precedent"),
        "Agreement": ("defined_term", "defined_term"),
        "Licensor": ("defined_term", "defined_term"),
        "Confidential Information": ("defined_term", "defined_term"),
    }
    for text, (kind, subtype) in expected.items():
        assert text in by_text, (text, [e.text for e in entities])
        assert (by_text[text].kind, by_text[text].subtype) == (kind, subtype)
    assert len(entities) == len(expected)  # nothing else, no duplicates
    for e in entities:
        assert LEGAL_PAGE[e.start : e.end] == e.text
    assert [e.start for e in entities] == sorted(e.start for e in entities)


def test_plain_prose_has_no_legal_entities():
    """Ordinary text with numbers and quotes yields nothing."""
    text = 'Our shop opened in 1998 and sells "organic" seeds; orders over 50 ship free in 2 days.'
    assert extract_legal(text) == []


def test_medical_conditions_drugs_and_dosages():
    """Conditions, drugs and dosages come out with their kinds; everyday words do not."""
    entities = extract_medical(CLINICAL_NOTE, "en")
    got = {(e.kind, e.text) for e in entities}
    assert {
        ("condition", "type 2 diabetes"),
        ("condition", "chronic kidney disease"),
        ("condition", "hypertension"),
        ("condition", "pancreatitis"),
        ("condition", "urinary tract infection"),
        ("condition", "rheumatoid arthritis"),
        ("drug", "Metformin"),
        ("drug", "Atorvastatin"),
        ("drug", "ciprofloxacin"),
        ("drug", "Adalimumab"),
        ("dosage", "500 mg twice daily"),
        ("dosage", "20 mg orally once a day"),
        ("dosage", "250 mg every 12 hours"),
        ("dosage", "40 mg s.c. every 14 days"),
    } <= got
    texts = {e.text.lower() for e in entities}
    assert not texts & {"person", "review", "online", "patients developed pancreatitis"}
    for e in entities:
        assert CLINICAL_NOTE[e.start : e.end] == e.text
    spans = sorted((e.start, e.end) for e in entities)
    assert all(a_end <= b_start for (_a, a_end), (b_start, _b) in itertools.pairwise(spans))
