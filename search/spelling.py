""""Did you mean": unknown words of a query replaced by the closest indexed words."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from whoosh.support.levenshtein import damerau_levenshtein as edit_distance

from .index_format.schema import SEARCH_FIELDS

if TYPE_CHECKING:
    from .snapshot import Snapshot


def suggest(snap: Snapshot, text: str, terms_found: frozenset[str]) -> str | None:
    """The query with unknown words replaced by the closest indexed words, or None (terms_found: terms the
    search already found in the index, known without a look-up)."""
    changed = text
    for word in set(re.findall(r"(?<![\w:*\"-])[^\W\d_]{3,}(?![\w:*])", text)):
        if word in {"AND", "OR", "NOT"} or known(snap, word, terms_found):
            continue
        replacement = closest(snap, word.lower())
        if replacement:
            changed = re.sub(rf"\b{re.escape(word)}\b", replacement, changed)
    return changed if changed != text else None


def known(snap: Snapshot, word: str, terms_found: frozenset[str]) -> bool:
    """True for an indexed word, and for a stop word (never indexed, never misspelt)."""
    tokens = snap.terms(word.lower())
    if not tokens or terms_found.intersection(tokens):
        return True
    return any(snap.reader.doc_frequency(field, t) for t in tokens for field in SEARCH_FIELDS)


def closest(snap: Snapshot, word: str) -> str | None:
    """The indexed word nearest in spelling (fewest edits, then most common), as written in a post.

    Candidates share the word's first letter (two for longer words): typos rarely start a word, and
    Whoosh measures the edit distance of every candidate in Python."""
    reader, stemmed = snap.reader, snap.stem(word)
    shared = 2 if len(stemmed) > 4 else 1
    for field in ("body", "title"):
        near = [t for t in reader.terms_within(field, stemmed, 2, prefix=shared) if t != stemmed]
        if near:
            best = min(near, key=lambda t: (edit_distance(t, stemmed), -reader.doc_frequency(field, t), t))
            return surface_form(snap, field, best)
    return None


def surface_form(snap: Snapshot, field: str, stemmed: str) -> str:
    """A word as it appears in the text of a section that contains its stem."""
    docnum = next(iter(snap.searcher.postings(field, stemmed).all_ids()))
    text = (snap.scorer.post_fields(docnum) if field == "title" else snap.stored(docnum)).get(field, "")
    words = dict.fromkeys(w.lower() for w in re.findall(r"\w+", text))  # each word stemmed once
    likely_first = sorted(words, key=lambda w: w[:1] != stemmed[:1])  # stems mostly begin like their words
    return next((w for w in likely_first if snap.stem(w) == stemmed), stemmed)
