"""Which sections a parsed query matches: unions, intersections and differences of posting lists, falling back
to Whoosh's matchers for the query shapes the posting lists cannot answer."""

from __future__ import annotations

import re
from functools import partial, reduce
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as wq

from .analysis import split_words
from .index_format.schema import SEARCH_FIELDS
from .parsing import any_of_terms, positive_leaves
from .scoring import distinct

if TYPE_CHECKING:
    from .snapshot import Snapshot


def docs(snap: Snapshot, q: wq.Query) -> Any:
    """Global docnums matching a query (unscored), as a numpy array."""
    if q is wq.NullQuery or (isinstance(q, (wq.Or, wq.And)) and not q.subqueries):
        return np.zeros(0, dtype=np.int64)
    q = bounded(snap, q)
    found = docs_from_postings(snap, q)
    return found if found is not None else np.fromiter(snap.searcher.docs_for_query(q), dtype=np.int64)


def docs_from_postings(snap: Snapshot, q: wq.Query) -> Any:
    """docs() from unions, intersections and differences of posting lists, for queries of words, phrases,
    OR, AND and NOT (Whoosh's matchers take one Python call per posting); None for anything else."""
    terms = any_of_terms(q)
    if terms is not None:
        return snap.scorer.docs_with_any(terms)
    if isinstance(q, wq.Phrase) and q.slop == 1 and len(q.words) > 1 and q.fieldname in SEARCH_FIELDS:
        return snap.scorer.phrase_docs(q.fieldname, list(q.words))
    if isinstance(q, wq.Or):
        parts = [docs_from_postings(snap, p) for p in q.subqueries]
        return None if any(p is None for p in parts) else distinct([np.zeros(0, dtype=np.int64), *parts])
    if isinstance(q, wq.AndNot):
        kept, dropped = docs_from_postings(snap, q.a), docs_from_postings(snap, q.b)
        return None if kept is None or dropped is None else np.setdiff1d(kept, dropped, assume_unique=True)
    if isinstance(q, wq.And):
        wanted = [docs_from_postings(snap, p) for p in q.subqueries if not isinstance(p, wq.Not)]
        unwanted = [docs_from_postings(snap, p.query) for p in q.subqueries if isinstance(p, wq.Not)]
        if not wanted or any(part is None for part in wanted + unwanted):
            return None
        found = reduce(partial(np.intersect1d, assume_unique=True), wanted)
        return reduce(partial(np.setdiff1d, assume_unique=True), unwanted, found)
    return None


def bounded(snap: Snapshot, q: wq.Query) -> wq.Query:
    """The query with each prefix* or wild*card in a searched field replaced by its expansions (Whoosh
    would match every indexed word it stands for: seconds for "t*" on a large site)."""
    if isinstance(q, (wq.Prefix, wq.Wildcard)) and q.fieldname in SEARCH_FIELDS:
        terms = expansions(snap, q)
        return wq.Or([wq.Term(q.fieldname, term) for term in terms]) if terms else wq.NullQuery
    return q if q.is_leaf() else q.apply(partial(bounded, snap))


def expansions(snap: Snapshot, leaf: wq.Query) -> tuple[str, ...]:
    """The indexed words a prefix* or wild*card stands for, those in most sections first."""
    return snap.expansions(leaf.text + "*" if isinstance(leaf, wq.Prefix) else leaf.text)


def query_words(snap: Snapshot, q: wq.Query, translated: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The query's positive words, each a tuple of index terms (a prefix expands to several, a word in
    other post languages to its stems there)."""
    words: dict[tuple[str, ...], None] = {}
    for leaf in positive_leaves(q):
        if isinstance(leaf, wq.Phrase):
            words.update(((word,), None) for word in leaf.words)
        elif isinstance(leaf, (wq.Prefix, wq.Wildcard)) and leaf.fieldname in SEARCH_FIELDS:
            words[expansions(snap, leaf)] = None
        elif isinstance(leaf, wq.Term) and leaf.fieldname in SEARCH_FIELDS:
            words[(str(leaf.text), *sorted(translated.get(str(leaf.text), ())))] = None
    return [w for w in words if w]


def translations(snap: Snapshot, text: str) -> dict[str, set[str]]:
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
