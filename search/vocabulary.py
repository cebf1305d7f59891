"""A generation's indexed words, in memory, for the spelling correction and completion to compare words with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA


@dataclass(frozen=True)
class Vocabulary:
    """A generation's indexed words (stems) in the searched fields, in memory and grouped by length: rapidfuzz
    compares a word with all of them in C (~1 ms for rust-blog's 15,000; Whoosh's automaton over the on-disk term
    tables took ~80 ms for each of a word's look-ups)."""

    terms: tuple[str, ...]
    by_length: dict[int, tuple[str, ...]]

    @classmethod
    def read(cls, reader: Any, fields: tuple[str, ...]) -> Vocabulary:
        found: set[str] = set()
        for field in fields:
            found.update(term.decode("utf-8") if isinstance(term, bytes) else term for term in reader.lexicon(field))
        terms = tuple(sorted(found))
        by_length: dict[int, list[str]] = {}
        for term in terms:
            by_length.setdefault(len(term), []).append(term)
        return cls(terms, {length: tuple(group) for length, group in by_length.items()})

    def near(self, word: str, edits: int, length: int | None = None) -> list[tuple[str, int]]:
        """(term, edits) of the terms (of one length, when given) within `edits` edits of the word (a swap of
        two neighbours counting one)."""
        pool = self.terms if length is None else self.by_length.get(length, ())
        matches = process.extract(word, pool, scorer=OSA.distance, score_cutoff=edits, limit=None)
        return [(term, int(distance)) for term, distance, _ in matches]
