"""Facet counts: how many matching posts have each tag, category, author and year.

Reading every matching post's record to count them took ~1.5 ms a rust-blog query (a pickle load a post). A
FacetTable reads each post's record once per index generation, numbers the values, and keeps each post's value
numbers in flat arrays, so a query's counts are one gather and one np.bincount over its matching posts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .index_format.schema import UNDATED
from .results import FacetCounts, Facets

FACET_VALUES = 20  # values shown per facet, those of most posts first
RECORD_FIELDS = {"tags": "tags", "categories": "categories", "authors": "authors"}


@dataclass(frozen=True)
class FacetColumn:
    """One facet's values, and for each post (by number) the numbers of its values: value_ids[starts[p]:starts[p + 1]]."""

    values: tuple[str, ...]
    starts: Any
    value_ids: Any

    @classmethod
    def build(cls, per_post: list[tuple[str, ...]]) -> FacetColumn:
        """Values that differ only in case are one (dirtyf and DirtyF), shown as most posts write it."""
        numbers: dict[str, int] = {}
        written: list[Counter[str]] = []
        ids, lengths = [], []
        for values in per_post:
            distinct = {value.casefold(): value for value in reversed(values)}  # each value's first writing
            for key, form in distinct.items():
                number = numbers.setdefault(key, len(numbers))
                if number == len(written):
                    written.append(Counter())
                written[number][form] += 1
                ids.append(number)
            lengths.append(len(distinct))
        starts = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)
        shown = tuple(forms.most_common(1)[0][0] for forms in written)
        return cls(shown, starts, np.array(ids, dtype=np.int64))

    def counts(self, posts: Any) -> FacetCounts:
        """The values of the given posts with how many of them have each, most first, then by value."""
        if not len(self.values) or not len(posts):
            return ()
        begin, lengths = self.starts[posts], self.starts[posts + 1] - self.starts[posts]
        total = int(lengths.sum())
        if not total:
            return ()
        offsets = np.repeat(begin - (np.cumsum(lengths) - lengths), lengths)
        tally = np.bincount(self.value_ids[np.arange(total) + offsets], minlength=len(self.values))
        found = np.flatnonzero(tally)
        ranked = sorted(zip((-tally[found]).tolist(), (self.values[i] for i in found.tolist())))[:FACET_VALUES]
        return tuple((value, -negative) for negative, value in ranked)


@dataclass(frozen=True)
class FacetTable:
    """Every facet of one index generation, by post number."""

    columns: dict[str, FacetColumn]
    years: Any  # each post's year, -1 when undated

    @classmethod
    def build(cls, post_count: int, first_sections: Any, post_dates: Any, record: Callable[[int], dict[str, Any]]) -> FacetTable:
        """Read each post's record (record: a docnum's post record) once."""
        records = [record(int(docnum)) for docnum in first_sections.tolist()] if post_count else []
        columns = {
            name: FacetColumn.build([tuple(r.get(key, ())) for r in records]) for name, key in RECORD_FIELDS.items()
        }
        dated = post_dates != UNDATED
        seconds = np.where(dated, post_dates, 0).astype("datetime64[s]")
        years = np.where(dated, seconds.astype("datetime64[Y]").astype(np.int64) + 1970, -1)
        return cls(columns, years)

    def count(self, posts: Any) -> Facets:
        """The facets of the matching posts (post numbers)."""
        years = self.years[posts]
        years = years[years >= 0]
        first = int(years.min()) if len(years) else 0
        tally = np.bincount(years - first) if len(years) else np.zeros(0, np.int64)
        found = np.flatnonzero(tally)
        by_year = sorted(zip((-tally[found]).tolist(), [str(first + i) for i in found.tolist()]))[:FACET_VALUES]
        return Facets(
            tags=self.columns["tags"].counts(posts),
            categories=self.columns["categories"].counts(posts),
            authors=self.columns["authors"].counts(posts),
            years=tuple((year, -negative) for negative, year in by_year),
        )
