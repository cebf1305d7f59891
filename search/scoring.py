"""True BM25F, term at a time, straight from the bytes of Whoosh's posting lists (numpy does the arithmetic).

Whoosh's own matcher and collector layer scores one posting at a time in Python and saturates each field
separately; here a term's field frequencies are weighted, length-normalised and summed before a single
saturation, as BM25F prescribes, and whole blocks of postings are handled at once.
"""

from __future__ import annotations

import io
import math
import pickle
import struct
from bisect import bisect_left, bisect_right
from functools import partial, reduce
from typing import Any, Callable, Iterable, Iterator

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo

from .codec import TermTable, decode_block, field_lengths, fixed_column_array
from .schema import SEARCH_FIELDS

# BM25F parameters: length normalisation and term-frequency saturation (see README, Ranking).
B = 0.6
K1 = 0.9
BLOCK_LENGTH = struct.Struct("!i")
# A W3 term info (W3TermInfo.to_bytes): whether its list is inlined, its weight and document frequency, length and
# weight bounds, docnum bounds; then the pickled list, or where the list is in the postings file and its length.
TERM_HEAD = W3TermInfo._struct
LIST_EXTENT = struct.Struct("!Qi")


class Segment:
    """One index segment's per-document arrays: field-length norms, post keys and dates."""

    def __init__(self, reader: Any, offset: int, averages: dict[str, float]) -> None:
        self.reader = reader
        self.offset = offset
        self.size = reader.doc_count_all()
        self.terms = TermTable(reader._terms)
        self.norms = {field: self.norm_array(field, averages[field]) for field in SEARCH_FIELDS}
        self.post_keys = column_array(reader, "post_key", np.int64)
        self.dates = column_array(reader, "date_order", np.int64)
        self.posts = raw_column(reader, "post")
        self.stored = reader._perdoc.stored_fields_column()
        self.live = np.ones(self.size, dtype=bool)
        self.has_deletions = reader.has_deletions()
        if self.has_deletions:
            self.live[[d for d in range(self.size) if reader.is_deleted(d)]] = False

    def norm_array(self, field: str, average: float) -> Any:
        """(1 - B) + B * length / average length, for every document of the segment."""
        lengths = field_lengths(self.reader._perdoc, field, self.size) if average else None
        if lengths is None:
            return np.ones(self.size, dtype=np.float32)
        return ((1 - B) + B * lengths.astype(np.float32) / average).astype(np.float32)

    def postings(self, field: str, term: str) -> tuple[Any, Any, list[tuple[Any, Any, Any]]] | None:
        """A term's local docnums, weights and decoded blocks in one field (see read_postings)."""
        return read_postings(self.terms, field, term)


def tightness(spots: list[list[int]]) -> float:
    """(n - 1) / span of the smallest window holding one position of each of the n terms found (each term's
    positions ascending), scaled by the share of terms found; 0 when fewer than 2 are found."""
    found = [p for p in spots if p]
    if len(found) < 2:
        return 0.0
    best = closest_pair(*found) if len(found) == 2 else smallest_window(found)
    return (len(found) - 1) / max(best, len(found) - 1) * len(found) / len(spots)


def closest_pair(first: list[int], second: list[int]) -> int:
    """The smallest distance between a position in one sorted list and one in the other: each position of the
    shorter list looked up in the longer (most words stand once or twice in a section, some dozens of times)."""
    if len(first) > len(second):
        first, second = second, first
    best = math.inf
    for position in first:
        at = bisect_left(second, position)
        if at < len(second):
            best = min(best, second[at] - position)
        if at:
            best = min(best, position - second[at - 1])
    return best


def smallest_window(found: list[list[int]]) -> int:
    """The span of the smallest window holding a position from each of the sorted lists."""
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
    return best


def distinct(arrays: list[Any]) -> Any:
    """The distinct values of arrays of docnums (never negative), ascending. np.unique would do, but it imports
    numpy.ma to check for masks: 9 ms of every cold `postsearch query`."""
    values = np.concatenate(arrays)
    if len(values) < 2:
        return values
    values.sort()
    first = np.empty(len(values), dtype=bool)  # np.diff(values, prepend=-1) would do, ~10x slower on few values
    first[0] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return values[first]


def positions_in(blocks: Iterable[tuple[Any, Any]], docnums: Any, decode: Callable[[bytes], list[int]]) -> dict[int, list[int]]:
    """The positions held for each of the (ascending) docnums found in the blocks' (docnums, values)."""
    return {doc: decode(values[index]) for doc, (values, index) in places_in(blocks, docnums).items()}


def places_in(blocks: Iterable[tuple[Any, Any]], docnums: Any) -> dict[int, tuple[Any, int]]:
    """Where the positions of each of the (ascending) docnums found in the blocks' (docnums, values) are: its
    block's values and its index there (decoding them is the costly part)."""
    places = {}
    for ids, values in blocks:
        low, high = np.searchsorted(docnums, [ids[0], ids[-1] + 1]).tolist()
        if low == high:
            continue
        wanted = docnums[low:high]
        at = np.searchsorted(ids, wanted)
        held = ids[at] == wanted
        places.update((doc, (values, index)) for doc, index in zip(wanted[held].tolist(), at[held].tolist()))
    return places


def in_a_row(positions: list[list[int]]) -> bool:
    """Whether a position of the first list is followed by one of the second list, then of the third, ...,
    each one step after the last."""
    starts = set(positions[0])
    for step, later in enumerate(positions[1:], 1):
        starts.intersection_update(p - step for p in later)
        if not starts:
            return False
    return True


def read_postings(terms: TermTable, field: str, term: str) -> tuple[Any, Any, list[tuple[Any, Any, Any]]] | None:
    """A term's docnums and weights in one field of a segment, and its decoded blocks (docnums, weights,
    values: the encoded positions); None when absent. Weights carry the field boost. Deleted documents are
    left in (scores mask them with `live`)."""
    entry = terms.info(field, term)
    if entry is None:
        return None
    blocks = list(posting_blocks(terms.postfile, entry))
    if len(blocks) < 2:
        return blocks[0][0], blocks[0][1], blocks
    return np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks]), blocks


def posting_blocks(postfile: Any, entry: bytes) -> Iterator[tuple[Any, Any, Any]]:
    """The posting blocks of a term (its entry in the term dictionary), decoded, read in one pass over the
    list's bytes in the postings file. In Whoosh's W3 format a block is its signed length (negative for the
    last), a pickled info tuple, and the block's data (see codec.decode_block)."""
    if entry[0]:  # short posting lists are stored in the term dictionary, pickled
        ids, weights, values = pickle.loads(entry[TERM_HEAD.size :])
        yield np.asarray(ids, np.int64), np.asarray(weights, np.float32), values
        return
    offset, length = LIST_EXTENT.unpack_from(entry, TERM_HEAD.size)
    raw = postfile.get(offset, length)
    stream = io.BytesIO(raw)
    at, last = len(WHOOSH3_HEADER_MAGIC), False
    while not last:
        (size,) = BLOCK_LENGTH.unpack_from(raw, at)
        last, end = size < 0, at + BLOCK_LENGTH.size + abs(size)
        stream.seek(at + BLOCK_LENGTH.size)
        count, _, _, compression, _, _ = pickle.load(stream)
        yield decode_block(count, compression, raw[stream.tell() : end])
        at = end


class BM25FScorer:
    """Scores bags of words over all segments of one searcher."""

    def __init__(self, searcher: Any) -> None:
        reader = searcher.reader()
        self.schema = searcher.schema
        self.doc_count = max(1, reader.doc_count())
        averages = {f: reader.field_length(f) / self.doc_count for f in SEARCH_FIELDS}
        self.segments = [Segment(leaf, offset, averages) for leaf, offset in leaf_readers(reader)]
        self.total = sum(s.size for s in self.segments)
        self.offsets = [s.offset for s in self.segments]
        self.body_postings: dict[str, list[tuple[Any, Any]]] = {}  # the last score_all's blocks, for proximity
        self.terms_found: set[str] = set()  # the last score_all's terms that some live section holds
        self.post_keys = np.concatenate([s.post_keys for s in self.segments] or [np.zeros(0, np.int64)])
        self.dates = np.concatenate([s.dates for s in self.segments] or [np.zeros(0, np.int64)])
        keys, self.post_numbers = np.unique(self.post_keys, return_inverse=True)  # posts numbered 0..count-1
        self.post_count = len(keys)
        live = np.flatnonzero(np.concatenate([s.live for s in self.segments] or [np.zeros(0, bool)]))
        self.post_dates = np.zeros(self.post_count, np.int64)  # by post number, from live sections (an updated
        self.post_dates[self.post_numbers[live]] = self.dates[live]  # post's deleted ones may have another date)
        # The first live section of each post: it holds the post's stored fields (see documents.post_fields).
        numbers, firsts = np.unique(self.post_numbers[live], return_index=True)
        self.post_sections = np.zeros(self.post_count, np.int64)
        self.post_sections[numbers] = live[firsts]

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields, read straight from its segment (Whoosh's reader re-checks every name)."""
        segment = self.segments[bisect_right(self.offsets, docnum) - 1]
        return segment.stored[docnum - segment.offset] or {}

    def post_fields(self, docnum: int) -> dict[str, Any]:
        """What a result shows of a section's post (see documents.post_fields), held by its first live section."""
        first = int(self.post_sections[self.post_numbers[docnum]])
        segment = self.segments[bisect_right(self.offsets, first) - 1]
        return segment.posts[first - segment.offset]

    def proximity(self, docnums: Any, terms: list[str]) -> Any:
        """For each document, how close the terms stand in its body (see tightness)."""
        wanted = np.sort(docnums)  # places_in takes repeats
        places = [self.body_places(term, wanted) for term in terms]
        decode = self.decoder("body")
        if len(places) == 2:  # most queries of several words
            return pair_closeness(docnums, places, decode)

        def closeness(doc: int) -> float:
            held = [found.get(doc) for found in places]
            if len(held) - held.count(None) < 2:  # one word alone is close to nothing: its positions stay unread
                return 0.0
            return tightness([decode(place[0][place[1]]) if place else [] for place in held])

        return np.array([closeness(doc) for doc in docnums.tolist()], dtype=np.float32)

    def body_places(self, term: str, docnums: Any) -> dict[int, tuple[Any, int]]:
        """Where a term's body positions are for each of the (ascending, global) docnums that holds it (see
        places_in)."""
        return places_in(self.body_blocks(term), docnums)

    def body_blocks(self, term: str) -> list[tuple[Any, Any]]:
        """A term's body posting blocks (global docnums, values): those the last score_all decoded when it read
        the term, else read now."""
        if term not in self.body_postings:
            self.keep_body_postings(term, [(s.offset, s.postings("body", term)) for s in self.segments])
        return self.body_postings[term]

    def decoder(self, field: str) -> Callable[[bytes], list[int]]:
        """The function that reads a position list of the field."""
        return self.schema[field].format.decode_positions

    def phrase_docs(self, field: str, words: list[str]) -> Any:
        """Global docnums (ascending, live only) of the documents whose field holds the words one after another,
        as Whoosh's Phrase with slop 1 finds them (its matchers take a Python call per posting)."""
        found = [np.zeros(0, dtype=np.int64)]
        decode = self.decoder(field)
        for segment in self.segments:
            postings = [segment.postings(field, word) for word in words]
            if any(p is None for p in postings):
                continue
            holding = reduce(partial(np.intersect1d, assume_unique=True), [p[0] for p in postings])
            holding = holding[segment.live[holding]]
            spots = [positions_in([(ids, values) for ids, _, values in p[2]], holding, decode) for p in postings]
            kept = [doc for doc in holding.tolist() if in_a_row([found_in[doc] for found_in in spots])]
            found.append(segment.offset + np.array(kept, dtype=np.int64))
        return np.concatenate(found)

    def keep_body_postings(self, term: str, per_segment: list[tuple[int, Any]]) -> None:
        """Remember a term's decoded body blocks, with global docnums, for proximity (see body_blocks)."""
        self.body_postings[term] = [
            (offset + ids, values) for offset, postings in per_segment if postings for ids, _, values in postings[2]
        ]

    def docs_with_any(self, terms: list[tuple[str, str]]) -> Any:
        """Global docnums (ascending, live only) of the documents holding any of the (field, word) pairs."""
        found = [np.zeros(0, dtype=np.int64)]
        for segment in self.segments:
            for field, term in terms:
                postings = segment.postings(field, term)
                if postings is not None:
                    found.append(segment.offset + postings[0][segment.live[postings[0]]])
        return distinct(found)

    def exact_title_docs(self, key: str) -> Any:
        """Global docnums of the sections of posts whose normalised title is exactly key."""
        return self.docs_with_any([("title_exact", key)])

    def score_all(self, words: Iterable[tuple[str, ...]]) -> tuple[Any, Any, Any, Any]:
        """For every document: BM25F for the words (each a tuple of alternatives), how many words it matched,
        and how many of them its heading or title (its context) holds, and whether its heading holds any."""
        self.body_postings, self.terms_found = {}, set()
        totals = np.zeros(self.total, dtype=np.float32)
        matched = np.zeros(self.total, dtype=np.int16)
        in_context = np.zeros(self.total, dtype=np.int16)
        in_heading = np.zeros(self.total, dtype=bool)
        for first, *others in words:
            fields = {"heading": np.zeros(self.total, dtype=bool), "title": np.zeros(self.total, dtype=bool)}
            best = self.term_scores(first, fields)
            for term in others:
                np.maximum(best, self.term_scores(term, fields), out=best)
            totals += best
            matched += best > 0
            in_heading |= fields["heading"]
            in_context += np.logical_or(fields["heading"], fields["title"], out=fields["title"])
        return totals, matched, in_context, in_heading

    def term_scores(self, term: str, seen: dict[str, Any]) -> Any:
        """One term's saturated BM25F score for every document (zero where absent); marks in `seen` the
        documents whose field of that name holds it."""
        frequency = np.zeros(self.total, dtype=np.float32)
        body = []
        for segment in self.segments:
            window = frequency[segment.offset : segment.offset + segment.size]
            for field in SEARCH_FIELDS:
                postings = segment.postings(field, term)
                if field == "body":
                    body.append((segment.offset, postings))
                if postings is not None:
                    ids, weights, _ = postings
                    window[ids] += weights / segment.norms[field][ids]  # a document occurs once per posting list
                    if field in seen:
                        seen[field][segment.offset : segment.offset + segment.size][ids] = True
            if segment.has_deletions:
                window *= segment.live
        self.keep_body_postings(term, body)
        present = int(np.count_nonzero(frequency > 0))  # faster over a bool array than over floats
        if not present:
            return frequency
        self.terms_found.add(term)
        idf = math.log(1 + (self.doc_count - present + 0.5) / (present + 0.5))
        saturation = frequency + K1
        frequency *= idf
        frequency /= saturation
        return frequency


def pair_closeness(docnums: Any, places: list[dict[int, tuple[Any, int]]], decode: Callable[[bytes], list[int]]) -> Any:
    """tightness for two terms without its general case, for each document: 1 / the distance between the
    closest positions of the two terms, or 0 where one is missing (places: see places_in)."""
    first, second = places
    closeness = []
    for doc in docnums.tolist():
        a, b = first.get(doc), second.get(doc)
        closeness.append(1 / max(1, closest_pair(decode(a[0][a[1]]), decode(b[0][b[1]]))) if a and b else 0.0)
    return np.array(closeness, dtype=np.float32)


def column_array(reader: Any, field: str, dtype: Any) -> Any:
    """A numeric column of one segment as a numpy array."""
    return fixed_column_array(raw_column(reader, field), reader.doc_count_all(), dtype)


def raw_column(reader: Any, field: str) -> Any:
    """A column of one segment, read by local docnum without Whoosh's wrapper."""
    column = reader.column_reader(field)
    return getattr(column, "_reader", column)


def leaf_readers(reader: Any) -> list[tuple[Any, int]]:
    """The segment readers with their docnum offsets (none for an index of no posts)."""
    if reader.is_atomic():
        return [(reader, 0)] if reader.doc_count_all() else []
    return list(reader.leaf_readers())
