"""True BM25F, term at a time, straight from Whoosh's decoded posting blocks (numpy does the arithmetic).

Whoosh's own matcher and collector layer scores one posting at a time in Python and saturates each field
separately; here a term's field frequencies are weighted, length-normalised and summed before a single
saturation, as BM25F prescribes, and whole blocks of postings are handled at once.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from typing import Any, Iterable, Iterator

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.util.numeric import byte_to_length

from .schema import SEARCH_FIELDS

# BM25F parameters: length normalisation and term-frequency saturation (see README, Ranking).
B = 0.6
K1 = 0.9
BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


class Segment:
    """One index segment's per-document arrays: field-length norms, post keys and dates."""

    def __init__(self, reader: Any, offset: int, averages: dict[str, float]) -> None:
        self.reader = reader
        self.offset = offset
        self.size = reader.doc_count_all()
        self.norms = {field: self.norm_array(field, averages[field]) for field in SEARCH_FIELDS}
        self.post_keys = column_array(reader, "post_key", np.int64)
        self.dates = column_array(reader, "date_order", np.int64)
        self.live = np.ones(self.size, dtype=bool)
        if reader.has_deletions():
            self.live[[d for d in range(self.size) if reader.is_deleted(d)]] = False

    def norm_array(self, field: str, average: float) -> Any:
        """(1 - B) + B * length / average length, for every document of the segment."""
        column = self.reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN) if average else None
        if column is None:
            return np.ones(self.size, dtype=np.float32)
        lengths = BYTE_LENGTHS[fixed_column_array(column, self.size, np.uint8)]
        return ((1 - B) + B * lengths / average).astype(np.float32)

    def positions(self, field: str, docnums: list[int], terms: list[str]) -> dict[int, list[list[int]]]:
        """For each of the (ascending) documents, each term's positions in its field."""
        found: dict[int, list[list[int]]] = {doc: [] for doc in docnums}
        for term in terms:
            spots = self.term_positions(field, term, docnums)
            for doc in docnums:
                found[doc].append(spots.get(doc, []))
        return found

    def term_positions(self, field: str, term: str, docnums: list[int]) -> dict[int, list[int]]:
        """A term's positions in each of the (ascending) documents that hold it: blocks past the documents
        are skipped by their last id, and only the blocks that hold one are decoded."""
        matcher = self.matcher(field, term)
        if matcher is None:
            return {}
        if not isinstance(matcher, W3LeafMatcher):  # short posting lists stored in line
            wanted, spots = set(docnums), {}
            while matcher.is_active():
                if matcher.id() in wanted:
                    spots[matcher.id()] = list(matcher.value_as("positions"))
                matcher.next()
            return spots
        spots = {}
        for doc in docnums:
            while doc > matcher._maxid and not matcher._lastblock:
                matcher._next_block()
            if doc > matcher._maxid:
                break
            if matcher._ids is None:
                matcher._read_ids()
            at = bisect_left(matcher._ids, doc)
            if at < len(matcher._ids) and matcher._ids[at] == doc:
                if matcher._values is None:
                    matcher._read_values()
                spots[doc] = matcher.format.decode_positions(matcher._values[at])
        return spots

    def matcher(self, field: str, term: str) -> Any:
        """Whoosh's posting matcher for a term, or None when the segment lacks it. Deleted documents are left
        in (scores mask them with `live`): Whoosh's reader would wrap the matcher in a per-posting filter."""
        reader = self.reader
        try:
            return reader._terms.matcher(field, reader._text_to_bytes(field, term), reader.schema[field].format)
        except Exception:  # Whoosh raises TermNotFound (and others on odd terms)
            return None

    def postings(self, field: str, term: str) -> Iterator[tuple[Any, Any]]:
        """(local docnums, weights) block by block; weights already carry the field boost."""
        matcher = self.matcher(field, term)
        if matcher is None:
            return
        if not isinstance(matcher, W3LeafMatcher):  # short posting lists stored in line
            items = list(matcher.items_as("weight"))
            if items:
                ids, weights = zip(*items)
                yield np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32)
            return
        while matcher.is_active():
            yield block_arrays(matcher)
            if matcher._lastblock:
                break
            matcher._next_block()


def tightness(spots: list[list[int]]) -> float:
    """(n - 1) / span of the smallest window holding one position of each of the n terms found, scaled by the
    share of terms found; 0 when fewer than 2 are found."""
    found = [sorted(p) for p in spots if p]
    if len(found) < 2:
        return 0.0
    events = sorted((pos, which) for which, positions in enumerate(found) for pos in positions)
    counts, have, best, left = [0] * len(found), 0, math.inf, 0
    for pos, which in events:
        counts[which] += 1
        have += counts[which] == 1
        while have == len(found):
            best = min(best, pos - events[left][0])
            gone = events[left][1]
            counts[gone] -= 1
            have -= counts[gone] == 0
            left += 1
    return (len(found) - 1) / max(best, len(found) - 1) * len(found) / len(spots)


def block_arrays(matcher: Any) -> tuple[Any, Any]:
    """The current block's docnums and weights (Whoosh stores docnums as gaps; numpy adds them up)."""
    if matcher._data is None:
        matcher._read_data()
    if matcher._weights is None:
        matcher._read_weights()
    return np.cumsum(matcher._data[0], dtype=np.int64), np.asarray(matcher._weights, dtype=np.float32)


class BM25FScorer:
    """Scores bags of words over all segments of one searcher."""

    def __init__(self, searcher: Any) -> None:
        reader = searcher.reader()
        self.doc_count = max(1, reader.doc_count())
        averages = {f: reader.field_length(f) / self.doc_count for f in SEARCH_FIELDS}
        self.segments = [Segment(leaf, offset, averages) for leaf, offset in leaf_readers(reader)]
        self.total = sum(s.size for s in self.segments)
        self.post_keys = np.concatenate([s.post_keys for s in self.segments] or [np.zeros(0, np.int64)])
        self.dates = np.concatenate([s.dates for s in self.segments] or [np.zeros(0, np.int64)])

    def proximity(self, docnums: Any, terms: list[str]) -> Any:
        """For each document, how close the terms stand in its body (see tightness)."""
        closeness = np.zeros(len(docnums), dtype=np.float32)
        for segment in self.segments:
            inside = np.flatnonzero((docnums >= segment.offset) & (docnums < segment.offset + segment.size))
            local = sorted(int(docnums[i]) - segment.offset for i in inside)
            spots = segment.positions("body", local, terms)
            for i in inside:
                closeness[i] = tightness(spots[int(docnums[i]) - segment.offset])
        return closeness

    def exact_title_docs(self, key: str) -> Any:
        """Global docnums of the sections of posts whose normalised title is exactly key."""
        found = [
            segment.offset + ids[segment.live[ids]]
            for segment in self.segments
            for ids, _ in segment.postings("title_exact", key)
        ]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def score_all(self, words: Iterable[tuple[str, ...]]) -> tuple[Any, Any, Any]:
        """For every document: BM25F for the words (each a tuple of alternatives), how many words it matched,
        and how many of them its heading or title (its context) holds, and whether its heading holds any."""
        totals = np.zeros(self.total, dtype=np.float32)
        matched = np.zeros(self.total, dtype=np.int16)
        in_context = np.zeros(self.total, dtype=np.int16)
        in_heading = np.zeros(self.total, dtype=bool)
        for alternatives in words:
            best = np.zeros(self.total, dtype=np.float32)
            fields = {"heading": np.zeros(self.total, dtype=bool), "title": np.zeros(self.total, dtype=bool)}
            for term in alternatives:
                scores = self.term_scores(term, fields)
                best = np.maximum(best, scores)
            totals += best
            matched += best > 0
            in_context += fields["heading"] | fields["title"]
            in_heading |= fields["heading"]
        return totals, matched, in_context, in_heading

    def term_scores(self, term: str, seen: dict[str, Any]) -> Any:
        """One term's saturated BM25F score for every document (zero where absent); marks in `seen` the
        documents whose field of that name holds it."""
        frequency = np.zeros(self.total, dtype=np.float32)
        for segment in self.segments:
            window = frequency[segment.offset : segment.offset + segment.size]
            for field in SEARCH_FIELDS:
                norms = segment.norms[field]
                for ids, weights in segment.postings(field, term):
                    window[ids] += weights / norms[ids]  # a document occurs once per posting list
                    if field in seen:
                        seen[field][segment.offset + ids] = True
            window *= segment.live
        present = int(np.count_nonzero(frequency))
        if not present:
            return frequency
        idf = math.log(1 + (self.doc_count - present + 0.5) / (present + 0.5))
        return idf * frequency / (K1 + frequency)


def column_array(reader: Any, field: str, dtype: Any) -> Any:
    """A numeric column of one segment as a numpy array."""
    column = reader.column_reader(field)
    return fixed_column_array(getattr(column, "_reader", column), reader.doc_count_all(), dtype)


def fixed_column_array(column: Any, size: int, dtype: Any) -> Any:
    """A Whoosh fixed-width numeric column read in one go (not one call per document); Whoosh leaves out
    trailing default values, so the array is padded with the default."""
    stored = min(column._count, size)
    raw = column._dbfile.get(column._basepos, stored * column._fixedlen)
    values = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder(">")).astype(dtype)
    return np.concatenate([values, np.full(size - stored, column._default, dtype=dtype)])


def leaf_readers(reader: Any) -> list[tuple[Any, int]]:
    """The segment readers with their docnum offsets."""
    if reader.is_atomic():
        return [(reader, 0)]
    return list(reader.leaf_readers())
