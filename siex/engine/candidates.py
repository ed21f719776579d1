"""Candidate keyphrases: runs of content words, tokenized with positions.

A candidate is a span of content words between stop words and punctuation; it may
end with a number ("falcon 9", "windows 11") and is keyed by its stems so that
inflections fall together. A stop-list word that the lexicon knows as an adjective
and a noun may open a span before a content word ("small business", "free shipping",
"home insurance", "side effects"): a modifier, never a phrase of its own. In French,
Spanish, Italian and Portuguese a preposition before a bare noun joins a compound
("moteur de recherche", "tarjeta de crédito"), once per phrase. (Every inner
preposition, "bill of rights", "forces de la coalition", was tried and lowered F1 in
English and French: noise outweighed them.)
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from siex.engine.languages import LanguageKit
from siex.engine.wordclass import (
    ARTICLES,
    DETERMINERS,
    OBJECT_OPENERS,
    SUBJECT_PRONOUNS,
    can_modify,
    can_open_name,
    is_common_word,
    is_plural,
    treebank_classes,
)

# Web and mail addresses, read whole: "https", "cgi" or "sciencemag" cut out of one are
# no keywords. A trailing full stop or comma is the sentence's, not the address's.
_ADDRESS = r"(?:https?://|ftp://|www\.)[^\s<>\"'()\[\]{}]*[^\s<>\"'()\[\]{}.,;:!?]|[\w.+-]++@\w[\w-]*(?:\.[\w-]+)+"
_WEB_ADDRESS = re.compile(_ADDRESS, re.UNICODE)
# Numbers with inner points or commas ("4.7", "1,500-watt", "Web 2.0": a decimal point is
# no sentence's end), words (letters/digits, inner hyphens or apostrophes), sentence
# ends, other punctuation; addresses first where a text has any (looking for them costs
# a sixth of tokenizing).
_NUMBER = r"\d+(?:[.,]\d+)+\w*(?:[-'’]\w+)*"
_WORDS_AND_MARKS = _NUMBER + r"|\w+(?:[-'’]\w+)*|[.!?;:\n]+|[^\w\s]"
_TOKEN = re.compile(_WORDS_AND_MARKS, re.UNICODE)
_TOKEN_OR_ADDRESS = re.compile(_ADDRESS + "|" + _WORDS_AND_MARKS, re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?;:\n]+")
# An acronym's plural: DHTs, LLMs, PCs (stemmers leave "dhts" whole: no vowel before -s).
_ACRONYM_PLURAL = re.compile(r"[A-Z][A-Z0-9]+s")
# Elided articles and prepositions: l'avion, d'un, dell'anno, qu'il.
_ELISION = re.compile(r"^(\w{1,4})['’](\w+.*)$", re.UNICODE)
# What follows a news dateline: "BERLIN -", "LOS ANGELES (AP)", "WASHINGTON •".
_DATELINE_MARKS = frozenset("-–—(•")

CONTENT, NUMBER, BREAK = "C", "N", "B"
# A stop-list word that may open a phrase before a noun ("small business", "home page").
MODIFIER = "M"
# A Romance preposition inside a compound noun ("moteur de recherche"): inside a
# phrase, never at its edge, and not counted among its words.
LINK = "L"
_WORDS = (CONTENT, MODIFIER)


@dataclass(slots=True)
class Token:
    surface: str
    kind: str
    stem: str = ""
    sentence_start: bool = False
    title_case: bool = False  # in a Title Case line, where capitals say nothing about names
    common_start: bool = False  # a sentence's first word that the lexicon knows ("Actress")
    possessive: bool = False  # written with 's, cut off here ("Stieg Larsson's" → "Larsson")


@dataclass
class Candidate:
    """One phrase of the text with everything the scorers need."""

    stems: tuple[str, ...]
    content: int  # words in the phrase
    count: int = 0
    first_position: int = 0
    last_position: int = 0
    first_sentence: int = 0
    capitalized: int = 0  # occurrences written with capitals not owed to sentence start
    alone: int = 0  # occurrences that are a whole run of content words, not part of a longer one
    common_start: int = 0  # occurrences opened by a sentence's capitalized common word
    opens_with_modifier: bool = False  # "small business": its first word is on the stop list
    determined: int = 0  # occurrences right after an article or possessive ("the operating system")
    headline: int = 0  # occurrences inside a Title Case line, whose capitals say nothing
    # occurrences right after an English subject pronoun ("which models user behaviour")
    # or right before an article or possessive ("services remains a challenge", "Apple
    # updates its policy"): a verb's edge
    after_subject: int = 0
    before_object: int = 0
    surfaces: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cased: bool = False  # written in a language that capitalizes nouns: capitals kept
    # ``text``, kept once read: filters, scorer and list all ask, after counting ends
    _text: str = field(default="", repr=False, compare=False)

    @property
    def key(self) -> str:
        return " ".join(self.stems)

    @property
    def is_name(self) -> bool:
        """Written with capitals (a name, a brand, an acronym) at least half the time."""
        return self.capitalized * 2 >= self.count

    @property
    def text(self) -> str:
        """The most frequent surface form; lower case unless it is a name or its language
        capitalizes nouns, but for its acronyms ("US economy")."""
        if self._text:
            return self._text
        # at a tie, a form that is not all capitals: "New York" of the body over the
        # dateline's "NEW YORK"; in German one whose first capital is not the sentence's
        surface = max(
            self.surfaces.items(),
            key=lambda kv: (
                kv[1],
                not kv[0].isupper(),
                self.cased and kv[0][:1].islower(),
                -len(kv[0]),
            ),
        )[0]
        kept = self.is_name or (self.cased and not surface.isupper())
        self._text = surface if kept else _lower_case(surface)
        return self._text

    @property
    def words(self) -> list[str]:
        return self.text.split()


def _lower_case(surface: str) -> str:
    """A phrase in lower case, its acronyms kept ("HR software", "NASA missions"); a
    longer word in capitals is emphasis ("POISON pill"), and a phrase written all in
    capitals (a heading's) is lowered whole."""
    if surface.isupper():
        return surface.lower()
    return " ".join(w if 2 <= len(w) <= 5 and w.isupper() else w.lower() for w in surface.split())


def _token_pattern(text: str) -> re.Pattern:
    """Addresses are looked for only in texts that can hold one."""
    if "@" in text or "://" in text or "www." in text:
        return _TOKEN_OR_ADDRESS
    return _TOKEN


def tokenize(text: str, kit: LanguageKit) -> list[Token]:
    tokens: list[Token] = []
    at_start = True
    pattern = _token_pattern(text)
    addresses = pattern is _TOKEN_OR_ADDRESS
    for raw in pattern.findall(text):
        if _SENTENCE_END.fullmatch(raw):
            tokens.append(Token(raw, BREAK))
            at_start = True
            continue
        if not (raw[0].isalnum() or raw[0] == "_") or (addresses and _WEB_ADDRESS.fullmatch(raw)):
            tokens.append(Token(raw, BREAK))
            continue
        if "'" in raw or "’" in raw:  # elided or possessive; most words are neither
            parts, possessive = _split_elision(raw, kit), _is_possessive(raw, kit)
        else:
            parts, possessive = [raw], False
        for part in parts:
            tokens.append(_classify(part, kit, at_start))
            at_start = False
        if possessive:
            tokens[-1].possessive = True
    _mark_title_case(tokens)
    _open_names(tokens, kit)
    _read_acronyms(tokens, kit)
    _read_units(tokens, kit)
    _read_quantities(tokens)
    _read_verb_endings(tokens, kit)
    _read_imperatives(tokens, kit)
    _read_compounds(tokens, kit)
    return tokens


def _read_verb_endings(tokens: list[Token], kit: LanguageKit) -> None:
    """A word with an ending only verbs have ("Mélangez la farine", "Découvrez nos
    offres", "vous trouverez") is no keyword's word, unless the text writes it as a name,
    with a capital inside a sentence ("Pedro Martinez")."""
    if not kit.verb_endings:
        return
    verbs = [
        t
        for t in tokens
        if t.kind == CONTENT and len(t.surface) > 3 and t.surface.lower().endswith(kit.verb_endings)
    ]
    _break_unless_named(tokens, verbs)


def _read_imperatives(tokens: list[Token], kit: LanguageKit) -> None:
    """A sentence's first word right before an article, possessive or demonstrative
    and its noun tells the reader what to do ("Compare the policies", "Book your trip",
    "Reserve o seu hotel", "Confronta i preventivi"): no keyword, unless the text
    writes it as a name inside a sentence. Not before a name ("Conan the Barbarian",
    "Bruno Le Roux") nor before a Romance object pronoun and a verb the treebank table
    knows ("Internet les publie"; "l'a" ends at "a", a stop word)."""
    if not kit.object_determiners:
        return
    verbs = treebank_classes(kit.code)
    openers = [
        token
        for token, determiner, noun in zip(tokens, tokens[1:], tokens[2:], strict=False)
        if token.sentence_start
        and token.kind == CONTENT
        and token.surface[0].isupper()  # not a line a hard wrap started ("copies\nbear this")
        and not token.title_case
        and not _inner_capital(token)
        and determiner.surface in kit.object_determiners
        and noun.kind in _WORDS
        and noun.surface.islower()
        and verbs.get(noun.surface) != "V"
    ]
    _break_unless_named(tokens, openers)


def _break_unless_named(tokens: list[Token], words: list[Token]) -> None:
    """``words`` end phrases, but for those the text writes elsewhere as a name, with a
    capital inside a sentence ("Pedro Martinez", "A Reserve oferece")."""
    if not words:
        return
    names = {
        t.surface.lower()
        for t in tokens
        if t.kind == CONTENT and not t.sentence_start and _written_as_name(t)
    }
    for token in words:
        if token.surface.lower() not in names:
            token.kind = BREAK


def _read_compounds(tokens: list[Token], kit: LanguageKit) -> None:
    """A Romance preposition between two content words, the second bare (no article),
    joins a compound noun: "moteur de recherche", "taux de réussite", "cartão de
    crédito", "carta di credito"; "forces de la coalition" is two phrases."""
    if not kit.compound_links:
        return
    for i in range(1, len(tokens) - 1):
        before, token, after = tokens[i - 1], tokens[i], tokens[i + 1]
        if (
            token.kind == BREAK
            and token.surface in kit.compound_links
            and before.kind == CONTENT
            and after.kind == CONTENT
        ):
            token.kind = LINK
            if token.surface in kit.elisions:  # "taux d'intérêt": written as elided
                token.surface += "'"


def _read_units(tokens: list[Token], kit: LanguageKit) -> None:
    """A unit right after a number measures it and opens no phrase: "64 oz BPA-free
    pitcher", "2 cups flour", "8 GB RAM", "500 Gramm Mehl"; the number is then a measure,
    no name's ("Whisk 2 tablespoons", "Ajoutez 2 cuillères", "Pesa 1,8 kg" give no
    "whisk 2"). A unit is matched as CLDR writes it, or in one case throughout: "2 HP
    motor", not "24 Hour Fitness"."""
    if not kit.units:
        return
    for i, token in enumerate(tokens):
        if token.kind != NUMBER:
            continue
        for size in (3, 2, 1):
            words = tokens[i + 1 : i + 1 + size]
            if len(words) == size and _is_unit([t.surface for t in words], kit):
                for word in (token, *words):
                    word.kind = BREAK
                break


def _is_unit(surfaces: list[str], kit: LanguageKit) -> bool:
    if tuple(surfaces) in kit.units:
        return True
    one_case = all(s.islower() or s.isupper() for s in surfaces)
    return one_case and tuple(s.lower() for s in surfaces) in kit.units_folded


def _read_quantities(tokens: list[Token]) -> None:
    """A number with a decimal point or a thousands separator is a quantity ("4.7 out
    of 5", "$4.2 million", "7,7 millions") or a reference ("doi 10.1073"), no part of a
    phrase, except as a name's version: "Web 2.0", "Ubuntu 12.10", "iOS 17.2"."""
    for i, token in enumerate(tokens):
        if token.kind != NUMBER or not any(mark in token.surface for mark in ".,"):
            continue
        before = tokens[i - 1] if i else None
        version = (
            before is not None
            and before.kind == CONTENT
            and (before.surface[0].isupper() or _inner_capital(before))
        )
        if not version:
            token.kind = BREAK


def _read_acronyms(tokens: list[Token], kit: LanguageKit) -> None:
    """A stop-list word of two letters in capitals before a lower-case word or after an
    article is an acronym: "US economy", "HR software", "the UK", "type II diabetes".
    In a line of capitals ("DESIGN AND IMPLEMENTATION"), after a number ("10 AM") or
    in an address ("Boston, MA 02115") it is no keyword."""
    for i, token in enumerate(tokens):
        word = token.surface
        if not (
            token.kind in (BREAK, MODIFIER)
            and len(word) == 2
            and word.isalpha()
            and word.isupper()
            and not token.title_case
            and word.lower() in kit.stopwords
        ):
            continue
        before = tokens[i - 1] if i else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if before is not None and (before.kind == NUMBER or _in_capitals(before)):
            continue
        if after is not None and _in_capitals(after):
            continue
        before_word = after is not None and after.kind == CONTENT and after.surface[0].islower()
        if before_word or (before is not None and before.surface.lower() in ARTICLES):
            token.kind, token.stem = CONTENT, kit.stem(word.lower())


def _in_capitals(token: Token) -> bool:
    return len(token.surface) >= 2 and token.surface.isalpha() and token.surface.isupper()


def _open_names(tokens: list[Token], kit: LanguageKit) -> None:
    """A capitalized stop word before a capitalized word joins it as a name ("New
    Zealand", "Great Barrier Reef"), where the language's lexicon says it can; so does
    an upper-case one before an upper-case word (a news dateline's "NEW YORK")."""
    for token, following in itertools.pairwise(tokens):
        if (
            token.kind in (BREAK, MODIFIER)
            and token.surface[:1].isupper()
            and (token.surface[1:].islower() or _upper_pair(token, following, kit))
            and not token.title_case
            and following.kind == CONTENT
            and following.surface[:1].isupper()
            and not (following.title_case or following.sentence_start)
            and token.surface.lower() in kit.stopwords
            and can_open_name(token.surface.lower(), kit.code)
        ):
            token.kind, token.stem = CONTENT, kit.stem(token.surface.lower())


def _upper_pair(token: Token, following: Token, kit: LanguageKit) -> bool:
    """Two upper-case words in a row, the second one no word of the language: a name in
    capitals ("NEW YORK"), not a heading's words ("RELATED WORK", "GENERAL TERMS")."""
    return (
        token.surface.isupper()
        and following.surface.isupper()
        and not is_common_word(following.surface.lower(), kit.code)
    )


def _mark_title_case(tokens: list[Token]) -> None:
    """Flag the words of headlines ("Drip Irrigation Basics For Beginners"): a line, or
    its parts around a colon, with most of its words capitalized, where a capital is no
    sign of a name. A sentence inside a paragraph is never one."""
    start, line_start = 0, True
    for end in range(len(tokens) + 1):
        if end < len(tokens) and not (
            tokens[end].kind == BREAK and _SENTENCE_END.fullmatch(tokens[end].surface)
        ):
            continue
        stop = tokens[end].surface if end < len(tokens) else "\n"
        words = [t for t in tokens[start:end] if _headline_word(t)]
        headline = (
            line_start
            and ("\n" in stop or ":" in stop)
            and len(words) >= 2
            and sum(t.surface[0].isupper() for t in words) >= 0.7 * len(words)
        )
        if headline:
            for t in words:
                t.title_case = True
        # a headline's subtitle after its colon starts like a line ("...: A Guide")
        start, line_start = end + 1, "\n" in stop or (headline and ":" in stop)


def _headline_word(token: Token) -> bool:
    """A word that shows a line's capitalization style: capitalized stop words count
    ("Home Composting Made Simple"), short lower-case function words do not, as
    headline styles leave them lower-case ("How to Grow Tomatoes in Pots")."""
    if not token.surface[:1].isalpha():
        return False
    return token.kind in (CONTENT, NUMBER) or token.surface[0].isupper() or len(token.surface) > 4


def _split_elision(raw: str, kit: LanguageKit) -> list[str]:
    match = _ELISION.match(raw)
    if match and match.group(1).lower() in kit.elisions:
        return [match.group(1), match.group(2)]
    if _is_possessive(raw, kit):
        return [raw[:-2]]
    return [raw]


def _is_possessive(raw: str, kit: LanguageKit) -> bool:
    """An English word with its possessive 's ("Larsson's"), which the token drops."""
    return kit.code == "en" and raw.lower().endswith(("'s", "’s"))


def _classify(word: str, kit: LanguageKit, at_start: bool) -> Token:
    kind, stem = _word_class(word.lower(), kit)
    if kind == CONTENT and _ACRONYM_PLURAL.fullmatch(word):
        stem = kit.stem(word[:-1].lower())
    common = at_start and is_common_word(word.lower(), kit.code)
    return Token(word, kind, stem, at_start, common_start=common)


@lru_cache(maxsize=500_000)
def _word_class(lower: str, kit: LanguageKit) -> tuple[str, str]:
    """Kind and stem of a lower-cased word (cached: words repeat across documents)."""
    if lower.replace("-", "").replace(".", "").replace(",", "").isdigit():
        return NUMBER, lower
    if lower in kit.stopwords and can_modify(lower, kit.code):
        return MODIFIER, kit.stem(lower)
    if lower in kit.stopwords or len(lower) < 2 or not any(ch.isalpha() for ch in lower):
        return BREAK, lower
    return CONTENT, kit.stem(lower)


def _inner_capital(token: Token) -> bool:
    """SpaceX, iPhone, NASA: capitals after the first letter mark a name wherever it stands."""
    rest = token.surface[1:]
    return rest != rest.lower()


def _starts_name(previous: Token, token: Token) -> bool:
    """``token`` is a capitalized name word right after a lower-case common word."""
    word = token.surface
    return (
        previous.kind == CONTENT
        and previous.surface[0].islower()
        and word[0].isupper()
        and any(ch.islower() for ch in word[1:])  # Title, not an acronym (TV, II, B)
        and not token.title_case
        and not token.sentence_start
    )


def _dateline_after(tokens: list[Token], last: int) -> bool:
    """Words in capitals ending as a dateline does, right after a word that is not: a
    wire story's dateline after its headline or byline ("bear death BERLIN -", "Mark Cina
    LOS ANGELES ("). One such word counts when it has five letters or more; acronyms stay
    with their words ("genomic DNA", "repeated measures ANOVA.", "International ACM SIGIR
    Conference")."""
    if _in_capitals(tokens[last]):
        return False
    end = last + 1
    while end < len(tokens) and tokens[end].kind == CONTENT and _in_capitals(tokens[end]):
        end += 1
    capitals = tokens[last + 1 : end]
    if not capitals or not _dateline_ends(tokens, end):
        return False
    return len(capitals) >= 2 or len(capitals[0].surface) >= 5


def _dateline_ends(tokens: list[Token], end: int) -> bool:
    """A dateline's end: a dash, bullet or parenthesis ("BERLIN -", "LOS ANGELES (AP)"),
    or a comma before a capital ("ATHENS, Greece", "PARIS, April 2")."""
    if end + 1 >= len(tokens):
        return False
    mark, following = tokens[end].surface, tokens[end + 1].surface
    return mark in _DATELINE_MARKS or (mark == "," and following[:1].isupper())


def _written_as_name(token: Token) -> bool:
    return _inner_capital(token) or (token.surface[0].isupper() and not token.title_case)


def find_candidates(
    tokens: list[Token], max_words: int, nouns_capitalized: bool = False
) -> dict[tuple[str, ...], Candidate]:
    """All spans of up to ``max_words`` content words inside runs of non-break tokens.

    In a language that capitalizes names only, a capitalized name after a lower-case
    word starts a new run: "actress Luisana Lopilato" gives "Luisana Lopilato", never the
    role and the name as one phrase. With ``nouns_capitalized`` (German) a capital marks
    every noun, so it starts no run, and a phrase keeps its capitals ("Photovoltaik").
    """
    candidates: dict[tuple[str, ...], Candidate] = {}
    run: list[int] = []
    sentence = 0
    for i, token in enumerate([*tokens, Token("", BREAK)]):
        if token.kind == MODIFIER and run:  # a modifier only ever opens a run
            _spans(tokens, run, max_words, candidates, sentence)
            run = []
        if token.kind != BREAK:
            if (
                run
                and not nouns_capitalized
                and (_starts_name(tokens[run[-1]], token) or _dateline_after(tokens, run[-1]))
            ):
                _spans(tokens, run, max_words, candidates, sentence)
                run = []
            run.append(i)
            if token.possessive and (_names_someone(tokens, run) or _owner_of_name(tokens, run)):
                _spans(tokens, run, max_words, candidates, sentence)
                run = []
            continue
        if run:
            _spans(tokens, run, max_words, candidates, sentence)
            run = []
        if _SENTENCE_END.fullmatch(token.surface):
            sentence += 1
    if nouns_capitalized:
        for cand in candidates.values():
            cand.cased = True
    return candidates


def _owner_of_name(tokens: list[Token], run: list[int]) -> bool:
    """A one-word name whose 's precedes a full name ("Apple's Tim Cook", "Russia's
    President Putin"): the owner is a keyword of its own, not the name's first word. Not
    a plural's 's ("Children's Hospital") nor one before common words ("Parkinson's
    Disease Foundation"), where the 's is part of a name. English: only it marks one."""
    owner = tokens[run[-1]]
    after = tokens[run[-1] + 1 : run[-1] + 3]
    if len(run) != 1 or not _written_as_name(owner) or len(after) < 2:
        return False
    if not all(t.kind == CONTENT and _written_as_name(t) for t in after):
        return False
    return not is_plural(owner.surface.lower(), "en") and not all(
        is_common_word(t.surface.lower(), "en") for t in after
    )


def _names_someone(tokens: list[Token], run: list[int]) -> bool:
    """The run is a name of two words or more ("Stieg Larsson's family"): its possessive
    ends it, as what follows is the person's, not part of a term. One word stays joined:
    "Parkinson's disease", "Moore's law"."""
    return len(run) >= 2 and all(_written_as_name(tokens[j]) for j in run)


def _spans(tokens: list[Token], run: list[int], max_words: int, out: dict, sentence: int) -> None:
    # A run's tokens are consecutive, so each span is the previous one plus a token:
    # its stems, surface and name-ness are extended rather than recomputed.
    last = run[-1]
    last_before_object = last + 1 < len(tokens) and tokens[last + 1].stem in OBJECT_OPENERS
    for a, start in enumerate(run):
        first = tokens[start]
        if first.kind not in _WORDS:
            continue
        if first.kind == MODIFIER and (len(run) < 2 or tokens[run[1]].kind != CONTENT):
            continue
        first_inner = _inner_capital(first)
        # a lone sentence-initial word's capital is owed to the sentence, not to a name
        owed_to_start = first.sentence_start and not first_inner
        common_start = first.common_start and not first_inner
        before = tokens[start - 1] if a == 0 and start > 0 else None
        determined = before is not None and before.kind == BREAK and before.stem in DETERMINERS
        after_subject = before is not None and before.stem in SUBJECT_PRONOUNS
        stems: tuple[str, ...] = ()
        surface = ""
        named, titled, content, words, linked = True, True, 0, 0, False
        for end in itertools.islice(run, a, None):
            token = tokens[end]
            if token.kind == LINK:  # a compound's preposition: inside a phrase, once
                if linked:
                    break
                linked = True
            stems += (token.stem,)
            if not surface:
                surface = token.surface
            elif surface.endswith("'"):
                surface += token.surface
            else:
                surface = f"{surface} {token.surface}"
            if token.kind == LINK:
                continue
            words += 1
            if words > max_words:
                break
            titled = titled and token.title_case
            if token.kind in _WORDS:
                content += 1
                named = named and _written_as_name(token)
            if words == 1 and token.kind == MODIFIER:
                continue  # a modifier alone is no phrase
            cand = out.get(stems)
            if cand is None:
                cand = out[stems] = Candidate(
                    stems,
                    words,
                    first_position=start,
                    first_sentence=sentence,
                    opens_with_modifier=first.kind == MODIFIER,
                )
            cand.count += 1
            cand.last_position = start
            if a == 0 and end == last:
                cand.alone += 1
            cand.surfaces[surface] += 1
            if named and not (owed_to_start and content == 1):
                cand.capitalized += 1
            if common_start:
                cand.common_start += 1
            if determined:
                cand.determined += 1
            if titled:
                cand.headline += 1
            if after_subject:
                cand.after_subject += 1
            if end == last and last_before_object:
                cand.before_object += 1
