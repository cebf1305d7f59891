"""Which sections a parsed query matches: unions, intersections and differences of posting lists, falling back
to Whoosh's matchers for the query shapes the posting lists cannot answer."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial, reduce
from typing import Any, Protocol

import numpy as np
from whoosh import query as wq

from .analysis import split_words
from .errors import QueryError
from .index_format.schema import SEARCH_FIELDS, UNDATED
from .parsing import any_of_terms, positive_leaves
from .scoring import BM25FScorer, never

FILTER_FIELDS = {"tag": "tags", "category": "categories", "author": "author", "lang": "lang"}  # filter -> field
FILTER_NAMES = (*FILTER_FIELDS, "year")
DEADLINE_CHECK_EVERY = 2048  # documents Whoosh's matchers find between two looks at the clock
# Of a query's time, what the scans of its prefixes may take (52 prefixes took all of a 1 s budget on cpp-docs
# three times, and reading the first words they found 0.3 s more)
SCAN_SHARE = 0.5


class MatchingSource(Protocol):
    """What matching reads of one index generation (a Snapshot gives it): its posting lists (the scorer's
    arrays, Whoosh's searcher for the shapes they cannot answer) and the words a pattern or a word stands for."""

    @property
    def scorer(self) -> BM25FScorer: ...
    @property
    def searcher(self) -> Any: ...  # Whoosh's Searcher
    @property
    def other_languages(self) -> tuple[str, ...]: ...
    def stem(self, word: str, lang: str | None = None) -> str: ...
    def expansions(self, pattern: str, out_of_time: Callable[[], bool] = ...) -> tuple[str, ...]: ...
    def range_expansions(self, field: str, start: str, end: str, start_open: bool, end_open: bool) -> tuple[str, ...]: ...


class Deadline:
    """When a query must stop and answer with what it has (None: never); made per query."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + seconds
        self.passed = False  # set once the query cut something short for it

    def over(self) -> bool:
        """Whether the time is up."""
        return self.passed or (self.end is not None and time.monotonic() >= self.end)

    def cut(self) -> bool:
        """Mark the query cut short (a step skipped for want of time) and say so."""
        self.passed = True
        return True

    def share_spent(self, share: float) -> Callable[[], bool]:
        """A check that says the time is up once `share` of the budget is spent (scoring leaves the matching
        that follows it the rest), marking the query cut short when it does."""
        if self.end is None or self.seconds is None:
            return self.expired
        end = self.end - (1 - share) * self.seconds

        def spent() -> bool:
            if self.passed or time.monotonic() >= end:
                self.passed = True
            return self.passed

        return spent

    def expired(self) -> bool:
        """Whether the time is up, remembering that the query cut something short."""
        self.passed = self.over()
        return self.passed


def docs(snap: MatchingSource, q: wq.Query, deadline: Deadline | None = None) -> Any:
    """Global docnums matching a query (unscored), as a numpy array. AND, OR, NOT, ANDMAYBE and REQUIRE are set
    operations on numpy arrays; words and phrases come from the posting lists, and only the other leaves
    (fuzzy words, dates, phrases with slop, ...) from Whoosh's matchers, each on its own and stopped by the
    deadline with the documents found so far. (Whoosh's own AND NOT of such leaves took up to 15 s on cpp-docs.)"""
    if q is wq.NullQuery or (isinstance(q, (wq.Or, wq.And)) and not q.subqueries):
        return np.zeros(0, dtype=np.int64)
    deadline = deadline or Deadline(None)
    return docs_of(snap, bounded(snap, q, deadline), deadline)


def docs_of(snap: MatchingSource, q: wq.Query, deadline: Deadline) -> Any:
    """docs() of a bounded query: words (in any of several fields) and phrases from the posting lists (Whoosh's
    matchers take one Python call per posting), the operators as set operations, other leaves from Whoosh."""
    terms = any_of_terms(q)
    if terms is not None:
        return snap.scorer.docs_with_any(terms, deadline.expired)
    if isinstance(q, wq.Not):  # every live section but those (Whoosh's matcher walks them one by one: 1 s)
        return np.setdiff1d(snap.scorer.live_docs(), docs_of(snap, q.query, deadline), assume_unique=True)
    if isinstance(q, wq.Phrase) and q.slop == 1 and len(q.words) > 1 and q.fieldname in SEARCH_FIELDS:
        return snap.scorer.phrase_docs(q.fieldname, list(q.words), deadline.expired)
    if isinstance(q, wq.Or) and q.subqueries:
        return snap.scorer.union([docs_of(snap, part, deadline) for part in q.subqueries])
    if isinstance(q, (wq.AndMaybe, wq.AndNot, wq.Require)):
        kept = docs_of(snap, q.a, deadline)
        if isinstance(q, wq.AndMaybe):  # the optional part changes scores, not which sections match
            return kept
        other = docs_of(snap, q.b, deadline)
        return np.setdiff1d(kept, other, assume_unique=True) if isinstance(q, wq.AndNot) else np.intersect1d(kept, other, assume_unique=True)
    if isinstance(q, wq.And) and q.subqueries:  # NOTs alone: every live section but theirs
        wanted = [docs_of(snap, part, deadline) for part in q.subqueries if not isinstance(part, wq.Not)]
        wanted = wanted or [snap.scorer.live_docs()]
        unwanted = [docs_of(snap, part.query, deadline) for part in q.subqueries if isinstance(part, wq.Not)]
        found = snap.scorer.intersection(wanted)
        return reduce(partial(np.setdiff1d, assume_unique=True), unwanted, found)
    return np.unique(np.array(until(deadline, snap.searcher.docs_for_query(q)), dtype=np.int64))


def until(deadline: Deadline, docnums: Iterable[int]) -> list[int]:
    """The docnums, up to the moment the deadline passes."""
    found: list[int] = []
    if deadline.expired():
        return found
    for docnum in docnums:
        found.append(docnum)
        if len(found) % DEADLINE_CHECK_EVERY == 0 and deadline.expired():
            break
    return found


def filter_docs(snap: MatchingSource, filters: Mapping[str, str | Iterable[str]] | None) -> Any:
    """Global docnums of the sections whose post has every filter's value (tag, category, author, lang, year),
    or None without filters; QueryError for an unknown filter or a year that is not one."""
    if not filters:
        return None
    found = None
    for name, values in filters.items():
        if name not in FILTER_NAMES:
            raise QueryError(name, f"Unknown filter {name!r}: use {', '.join(FILTER_NAMES)}.")
        for value in [values] if isinstance(values, str) else values:
            if name == "year":
                found = narrowed(found, year_docs(snap, value))
                continue
            field = FILTER_FIELDS[name]
            for term in filter_terms(field, value):
                found = narrowed(found, snap.scorer.docs_with_any([(field, term)]))
    return found


def narrowed(found: Any, held: Any) -> Any:
    """The docnums found so far that are also held (all of held when nothing is found yet: None)."""
    return held if found is None else np.intersect1d(found, held, assume_unique=True)


def year_docs(snap: MatchingSource, value: str) -> Any:
    """The live sections of the posts dated in that year (in each post's own time, as the years facet counts)."""
    if not re.fullmatch(r"[0-9]{1,4}", value.strip()) or not int(value) >= 1:  # int() of 5,000 digits raises
        raise QueryError(value[:40], f"A year filter must be a year such as 2023, not {value[:40]!r}.")
    year = int(value)
    start = np.datetime64(f"{year:04d}-01-01", "s").astype(np.int64)
    end = np.datetime64(f"{year + 1:04d}-01-01", "s").astype(np.int64) if year < 9999 else np.iinfo(np.int64).max
    live = snap.scorer.live_docs()
    dates = snap.scorer.posts.dates[live]
    inside = (dates >= start) & (dates < end)
    return live[inside & (dates != UNDATED)]


def filter_terms(field: str, value: str) -> list[str]:
    """The index terms a filter value must match: a whole tag or category, or every word of an author's name."""
    if field == "author":
        return [word.lower() for word in re.findall(r"\w+", value)]
    return [value.strip() if field == "lang" else value.strip().lower()]


def bounded(snap: MatchingSource, q: wq.Query, deadline: Deadline | None = None) -> wq.Query:
    """The query with each prefix* or wild*card in a searched field replaced by its expansions (Whoosh
    would match every indexed word it stands for: seconds for "t*" on a large site); those met after the deadline
    match nothing (each range costs ~30 ms on cpp-docs: nine ranges took 1.3 s)."""
    expandable = isinstance(q, (wq.Prefix, wq.Wildcard, wq.TermRange)) and q.fieldname in SEARCH_FIELDS
    if expandable and deadline is not None and deadline.expired():
        return wq.NullQuery
    if isinstance(q, (wq.Prefix, wq.Wildcard)) and q.fieldname in SEARCH_FIELDS:
        terms = expansions(snap, q, deadline.expired if deadline is not None else never)
        return wq.Or([wq.Term(q.fieldname, term) for term in terms]) if terms else wq.NullQuery
    if isinstance(q, wq.TermRange) and q.fieldname in SEARCH_FIELDS:
        terms = snap.range_expansions(q.fieldname, q.start or "", q.end or "", q.startexcl, q.endexcl)
        return wq.Or([wq.Term(q.fieldname, term) for term in terms]) if terms else wq.NullQuery
    return q if q.is_leaf() else q.apply(partial(bounded, snap, deadline=deadline))


def expansions(snap: MatchingSource, leaf: wq.Query, out_of_time: Callable[[], bool]) -> tuple[str, ...]:
    """The indexed words a prefix* or wild*card stands for, those in most sections first (those found before
    out_of_time() says so)."""
    return snap.expansions(leaf.text + "*" if isinstance(leaf, wq.Prefix) else leaf.text, out_of_time)


def query_words(snap: MatchingSource, q: wq.Query, translated: dict[str, set[str]], deadline: Deadline) -> list[tuple[str, ...]]:
    """The query's positive words, each a tuple of index terms (a prefix expands to several, a word in
    other post languages to its stems there; the prefixes' scans stop once SCAN_SHARE of the query's time is spent,
    leaving the rest for reading and scoring the words they found)."""
    words: dict[tuple[str, ...], None] = {}
    scans_out_of_time = deadline.share_spent(SCAN_SHARE)
    for leaf in positive_leaves(q):
        if isinstance(leaf, wq.Phrase):
            words.update(((word,), None) for word in leaf.words)
        elif isinstance(leaf, (wq.Prefix, wq.Wildcard)) and leaf.fieldname in SEARCH_FIELDS:
            words[expansions(snap, leaf, scans_out_of_time)] = None
        elif isinstance(leaf, wq.Term) and leaf.fieldname in SEARCH_FIELDS:
            words[(str(leaf.text), *sorted(translated.get(str(leaf.text), ())))] = None
    return [w for w in words if w]


def translations(snap: MatchingSource, text: str) -> dict[str, set[str]]:
    """For each site-language stem of the query's words, the stems other post languages give the word."""
    found: dict[str, set[str]] = {}
    if not snap.other_languages:
        return found
    plain = re.sub(r"\b\w+:", " ", text).lower()  # field names are not words
    for start, end in split_words(plain):
        word = plain[start:end]
        stems = {snap.stem(word, lang) for lang in snap.other_languages}
        found.setdefault(snap.stem(word), set()).update(stems - {snap.stem(word)})
    return found
