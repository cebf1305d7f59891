""""Did you mean": each word of a query that the index does not hold, replaced by the indexed word nearest in
spelling, weighed by how often it occurs and by whether it occurs with the query's other words (the approach of
SymSpell and of Lucene's DirectSpellChecker, on the index's own terms). Words the index holds are never changed."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial, reduce
from typing import Any, Protocol

import numpy as np
from rapidfuzz.distance import OSA

from .index_format.schema import SEARCH_FIELDS
from .scoring import BM25FScorer
from .vocabulary import Vocabulary

# A query word, with the field it is searched in when it has one (tag:pyhton, title:ownrship)
QUERY_WORD = re.compile(r"(?<![\w*.-])(?:(?P<field>[A-Za-z]+):)?(?P<word>[^\W\d_]{3,})(?![\w*.:-])")
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE", "TO"}
# Where a query's field words are looked for: names of the query language -> the index's fields
WORD_FIELDS = {"title": ("title",), "heading": ("heading",), "body": ("body",), "code": ("code",), "tag": ("tags",),
               "tags": ("tags",), "category": ("categories",), "categories": ("categories",)}
KEYWORD_FIELDS = {"tags", "categories"}  # whole values, lower-cased, not stemmed
CANDIDATES = 4  # nearest words kept for each misspelt word; their combinations are tried against the index
SHORTLIST = 16  # stems nearest a misspelt word, compared as posts write them (read from sections' text)
SURFACE_SECTIONS = 40  # sections read for the ways posts write a stem (normalis: normalise, normalisation, ...)
MAX_WORD = 40  # longer "words" are not corrected (a pasted hash, a 10,000-letter query)
MAX_MISSPELT = 8  # misspelt words corrected in one query (each costs ~10-30 ms on cpp-docs: 40 took 1.3 s)


class SpellingSource(Protocol):
    """What spelling reads of one index generation (a Snapshot gives it): the index's words, how many sections
    hold each, which sections, and how posts write them."""

    @property
    def reader(self) -> Any: ...  # Whoosh's IndexReader: doc_frequency, lexicon
    @property
    def searcher(self) -> Any: ...  # Whoosh's Searcher: postings
    @property
    def scorer(self) -> BM25FScorer: ...  # docs_with_any, post_fields
    @property
    def other_languages(self) -> tuple[str, ...]: ...
    def terms(self, text: str, lang: str | None = None) -> list[str]: ...
    def stem(self, word: str, lang: str | None = None) -> str: ...
    def stored(self, docnum: int) -> dict[str, Any]: ...
    def vocabulary(self) -> Vocabulary: ...


@dataclass(frozen=True)
class Candidate:
    """An indexed term that a misspelt word may stand for."""

    term: str
    fields: tuple[str, ...]
    distance: int  # edits between the word typed and the candidate as posts write it
    frequency: int
    written: str = ""  # the candidate as posts write it

    def rank(self) -> tuple[float, float, str]:
        """Fewer edits first, then the more common word (log scale: a word 10x as common outweighs a letter of
        difference only at equal distance)."""
        return (self.distance, -math.log1p(self.frequency), self.term)


def suggest(
    snap: SpellingSource, text: str, terms_found: frozenset[str], out_of_time: Callable[[], bool] = lambda: False
) -> str | None:
    """The query with each word the index does not hold replaced by its best correction, or None when there is
    nothing to correct (terms_found: terms the search already found, known without a look-up). Misspelt words
    after the first MAX_MISSPELT, or once out_of_time() says so (asked only before correcting one), stay as typed."""
    spots: list[tuple[int, int]] = []
    options: list[list[Candidate]] = []
    known: list[list[tuple[str, str]]] = []  # the (field, term) pairs of each word the index holds
    for match in QUERY_WORD.finditer(text):
        word, field = match["word"], (match["field"] or "").lower()
        if word in OPERATORS or len(word) > MAX_WORD or (field and field not in WORD_FIELDS):
            continue
        fields = WORD_FIELDS.get(field, SEARCH_FIELDS)
        terms = query_terms(snap, word, fields)
        if not terms or terms_found.intersection(terms) or held(snap, terms, fields):
            known.append([(f, t) for f in fields for t in terms])
            continue
        if len(options) >= MAX_MISSPELT or out_of_time():
            break
        found = candidates(snap, word, terms[0], fields)
        if found:
            spots.append(match.span("word"))
            options.append(found)
    if not options:
        return None
    best = best_combination(snap, options, known)
    changed = text
    for (start, end), candidate in sorted(zip(spots, best), reverse=True):
        changed = changed[:start] + written_form(candidate, text[start:end]) + changed[end:]
    return changed if changed != text else None


def query_terms(snap: SpellingSource, word: str, fields: tuple[str, ...]) -> list[str]:
    """The index terms a query word becomes in its fields: in the site's language first, then in the other
    languages of its posts (a German word in a German post of an English site is not misspelt)."""
    if set(fields) <= KEYWORD_FIELDS:
        return [word.lower()]
    terms = snap.terms(word.lower())
    for lang in snap.other_languages:
        terms += [term for term in snap.terms(word.lower(), lang) if term not in terms]
    return terms


def held(snap: SpellingSource, terms: list[str], fields: tuple[str, ...]) -> bool:
    """Whether the index holds any of the terms in any of the fields."""
    return any(snap.reader.doc_frequency(field, term) for term in terms for field in fields)


def candidates(snap: SpellingSource, word: str, term: str, fields: tuple[str, ...]) -> list[Candidate]:
    """The CANDIDATES indexed words nearest the word as typed: within one edit (two for words of 6 letters or
    more). The index holds stems ("normalis" for "normalisation"), so stems near the typed word, its stem or
    its first letters are looked up, and the SHORTLIST nearest compared as the words posts write them."""
    lowered, reach = word.lower(), max_edits(word)
    if set(fields) <= KEYWORD_FIELDS:  # tags, categories: a few whole values, compared as they are
        values = tuple(sorted({t.decode() if isinstance(t, bytes) else t for f in fields for t in snap.reader.lexicon(f)}))
        near = dict(Vocabulary(values, {}).near(lowered, reach))
    else:
        near = near_stems(snap.vocabulary(), lowered, term, reach)
    near.pop(term, None)
    # nearest first; then the longer stem (it covers more of the word typed); then the more common
    shortlist = sorted(near, key=lambda stem: (near[stem], -len(stem), -sum(snap.reader.doc_frequency(f, stem) for f in fields)))
    chosen = []
    for stem in shortlist[:SHORTLIST]:
        holding = tuple(f for f in fields if snap.reader.doc_frequency(f, stem))
        if not holding:  # a word of another field (title:ownrship looks in titles only)
            continue
        count = sum(snap.reader.doc_frequency(f, stem) for f in holding)
        written = stem if holding[0] in KEYWORD_FIELDS else surface_form(snap, holding, stem, lowered)
        distance = OSA.distance(written, lowered)
        if distance <= reach:
            chosen.append(Candidate(stem, holding, distance, count, written))
    return sorted(chosen, key=Candidate.rank)[:CANDIDATES]


def max_edits(word: str) -> int:
    """Edits a correction may make: one for words under 6 letters, two for longer ones."""
    return 1 if len(word) < 6 else 2


def near_stems(vocabulary: Vocabulary, lowered: str, term: str, reach: int) -> dict[str, int]:
    """Indexed stems near a word (as typed or as its stem), and those as long as a beginning of it ("normalis" for
    "normalisaton": the stems of longer words are their beginnings), each with its edits (one more for a
    beginning, so whole words come first)."""
    near: dict[str, int] = {}
    for probe in {lowered, term}:
        for stem, edits in vocabulary.near(probe, reach):
            near[stem] = min(edits, near.get(stem, edits))
    for length in range(3, len(lowered)):
        for stem, edits in vocabulary.near(lowered[:length], reach, length):
            near[stem] = min(edits + 1, near.get(stem, edits + 1))
    return near


def best_combination(
    snap: SpellingSource, options: list[list[Candidate]], known: list[list[tuple[str, str]]]
) -> tuple[Candidate, ...]:
    """The choice of one candidate per misspelt word that finds some section holding every word of the query
    (the words spelled right, known, included), then with the fewest edits, then the most common words."""
    if all(len(found) == 1 for found in options) and not known:
        return tuple(found[0] for found in options)  # nothing to choose between
    holding = {c: snap.scorer.docs_with_any([(f, c.term) for f in c.fields]) for found in options for c in found}
    # the words spelled right, intersected once (docs_with_any gives each list sorted and distinct: 64 choices
    # each intersecting them all again, uniqueness checked each time, took 0.95 s on cpp-docs)
    intersect = partial(np.intersect1d, assume_unique=True)
    context = [reduce(intersect, [snap.scorer.docs_with_any(pairs) for pairs in known])] if known else []

    def score(choice: tuple[Candidate, ...]) -> tuple[float, ...]:
        together = len(reduce(intersect, context + [holding[c] for c in choice]))
        return (-min(together, 1), sum(c.distance for c in choice), -sum(math.log1p(c.frequency) for c in choice))

    return min(itertools.islice(itertools.product(*options), 64), key=score)


def written_form(candidate: Candidate, typed: str) -> str:
    """The candidate as posts write it, in the case the word was typed in."""
    word = candidate.written or candidate.term
    return word.capitalize() if typed[:1].isupper() and typed[1:].islower() else word


def surface_form(snap: SpellingSource, fields: tuple[str, ...], stemmed: str, typed: str) -> str:
    """The word of the sections holding the stem (in any of the fields) that has that stem and is nearest the
    word typed (normalis -> normalisation for "normalisaton", not normalising)."""
    texts = []
    for field in fields:
        docnums = itertools.islice(snap.searcher.postings(field, stemmed).all_ids(), SURFACE_SECTIONS // len(fields))
        texts += [(snap.scorer.post_fields(d) if field == "title" else snap.stored(d)).get(field, "") or "" for d in docnums]
    words = Counter(w for text in texts for w in re.findall(r"\w+", text.lower()) if w[:1] == stemmed[:1])
    same_stem = [w for w in words if snap.stem(w) == stemmed]
    # nearest the word typed; then as long as it (defids, not defid, for "defisd"); then the most used
    return min(same_stem, key=lambda w: (OSA.distance(w, typed), abs(len(w) - len(typed)), -words[w], w), default=stemmed)
