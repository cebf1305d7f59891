"""True BM25F, term at a time, straight from the bytes of Whoosh's posting lists (numpy does the arithmetic).

Whoosh's own matcher and collector layer scores one posting at a time in Python and saturates each field
separately; here a term's field frequencies are weighted, length-normalised and summed before a single
saturation, as BM25F prescribes, and whole blocks of postings are handled at once.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .index_format.codec import block_positions, spans_positions, value_spans
from .index_format.posts import PostArrays
from .index_format.schema import SEARCH_FIELDS
from .index_format.segments import SegmentData, open_segments

# BM25F parameters: length normalisation and term-frequency saturation (see README, Ranking).
B = 0.6
K1 = 0.9
# A word in more than this share of the sections is common: a section holding the query's other words holds the
# whole query without it (Lucene's CommonTermsQuery does the same); with every word indexed, requiring "of" or
# "the" cost SciFact 0.0007 nDCG@10 (0.7038); with this share 0.7045 as before (0.3: 0.7041, 0.1: 0.7027).
COMMON_SHARE = 0.5
COMMON_FROM = 200  # sections a site needs for a share to say anything (in a few sections, any word is "common")
TERMS_BETWEEN_CLOCKS = 64  # terms a look-up reads between two looks at the clock
ALTERNATIVES_BETWEEN_CLOCKS = 8  # a word's alternatives scored between two looks (each reads every field)
PHRASE_CHUNK = 16384  # sections whose positions a phrase decodes between two looks at the clock
# A term in more than 1 in KEEP_FROM sections keeps its read postings for the generation's life, up to KEEP_PER_SECTION
# postings a section in all (~12 bytes each): "the" took 1.3 ms to read on cpp-docs at every query that held it
KEEP_FROM = 16
KEEP_PER_SECTION = 8
# Documents scored from which their places are looked up in an array of every document rather than searched
# (searching took a tenth of a query on cpp-docs copied three times)
PLACES_INDEXED_FROM = 2048
# A word's alternative (a prefix's expansion) held by fewer than 1 in this many documents is scored where it is
# held, its scores then raised into the word's array of every document
SPARSE_ALTERNATIVE = 16


def never() -> bool:
    """A clock that never runs out."""
    return False


def norm_arrays(segment: SegmentData, averages: dict[str, float]) -> dict[str, Any]:
    """(1 - B) + B * length / average length, for every document of the segment, by field."""
    norms = {}
    for field in SEARCH_FIELDS:
        lengths = segment.field_lengths(field) if averages[field] else None
        if lengths is None:
            norms[field] = np.ones(segment.size, dtype=np.float32)
        else:
            norms[field] = ((1 - B) + B * lengths.astype(np.float32) / averages[field]).astype(np.float32)
    return norms


def tightness(spots: list[list[int]]) -> float:
    """(n - 1) / span of the smallest window holding one position of each of the n terms found (each term's
    positions ascending), scaled by the share of terms found; 0 when fewer than 2 are found."""
    found = [p for p in spots if p]
    if len(found) < 2:
        return 0.0
    best = closest_pair(*found) if len(found) == 2 else smallest_window(found)
    return (len(found) - 1) / max(best, len(found) - 1) * len(found) / len(spots)


def closest_pair(first: list[int], second: list[int]) -> float:
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


def smallest_window(found: list[list[int]]) -> float:
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
    values.sort(kind="stable")  # timsort: the arrays are ascending runs, merged in about linear time
    first = np.empty(len(values), dtype=bool)  # np.diff(values, prepend=-1) would do, ~10x slower on few values
    first[0] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return values[first]


@dataclass(frozen=True)
class BodyBlocks:
    """A term's decoded body posting blocks (global docnums, values), their docnums joined (ascending) and where
    each block starts among them."""

    blocks: list[tuple[Any, Any]]
    docnums: Any

    @classmethod
    def of(cls, blocks: list[tuple[Any, Any]], docnums: Any = None) -> BodyBlocks:
        """The blocks, with their docnums joined unless given."""
        if docnums is None:
            docnums = np.concatenate([ids for ids, _ in blocks]) if blocks else np.zeros(0, np.int64)
        return cls(blocks, docnums)

    @cached_property
    def starts(self) -> Any:
        """Where each block starts among the docnums (worked out for proximity only)."""
        sizes = np.array([len(ids) for ids, _ in self.blocks], dtype=np.int64)
        return np.cumsum(sizes) - sizes

    def places(self, docnums: Any) -> dict[int, tuple[Any, int]]:
        """Where the positions of each of the docnums that hold the term are: its block's values and its index
        there (decoding them is the costly part). Found in the joined docnums, not block by block (a common
        word has hundreds of blocks: a third of a three-word query on cpp-docs three times)."""
        if not len(self.docnums) or not len(docnums):
            return {}
        at = np.minimum(np.searchsorted(self.docnums, docnums), len(self.docnums) - 1)
        held = self.docnums[at] == docnums
        at = at[held]
        block = np.searchsorted(self.starts, at, side="right") - 1
        within = (at - self.starts[block]).tolist()
        blocks = self.blocks
        return {doc: (blocks[b][1], i) for doc, b, i in zip(docnums[held].tolist(), block.tolist(), within)}


def chunk_positions(blocks: list[tuple[Any, Any, Any]], docnums: Any, decode: Callable[[bytes], list[int]]) -> tuple[Any, Any]:
    """The positions held for the (ascending) docnums in a term's decoded blocks: a docnum for each position,
    and the positions. The values of every block are decoded together (a block at a time, numpy's calls took
    half of a phrase's time on cpp-docs)."""
    docs, positions, datas, owners, starts, ends, size = [], [], [], [], [], [], 0
    for ids, _, values in blocks:
        low, high = np.searchsorted(docnums, [ids[0], ids[-1] + 1]).tolist()
        if low == high:
            continue
        wanted = docnums[low:high]
        at = np.searchsorted(ids, wanted)
        selected = at[ids[at] == wanted]
        spans = value_spans(values, len(ids), selected)
        if spans is None:  # Whoosh's own block
            which, found = block_positions(values, len(ids), selected, decode)
            docs.append(ids[which])
            positions.append(found)
            continue
        data, first, last = spans
        datas.append(data)
        owners.append(ids[selected])
        starts.append(first + size)
        ends.append(last + size)
        size += len(data)
    if datas:
        joined = datas[0] if len(datas) == 1 else b"".join(datas)
        found_docs, found = spans_positions(joined, *(np.concatenate(a) for a in (owners, starts, ends)))
        docs.append(found_docs)
        positions.append(found)
    if not docs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(docs), np.concatenate(positions)


def settle_allocator(documents: int) -> None:
    """Make glibc's malloc serve a query's per-document arrays from its heap rather than fresh memory maps.

    Each query allocates a few arrays of 4 bytes a document; above malloc's mmap threshold (128 KB at start)
    each is a new map whose pages fault in on first write. glibc raises the threshold to the size of a freed
    map (up to 32 MB), so one array of that size allocated and freed here does it for the process. On cpp-docs
    (105,854 sections) term_scores took 990 µs a term without it and 590 µs with it (the code before the split
    got the same effect by chance, from np.unique's temporaries at every open)."""
    scratch = np.empty(max(documents, 1) * 8, dtype=np.uint8)  # twice a float32 array of every document
    scratch[::4096] = 0  # touched, so the map is real
    del scratch


@dataclass(frozen=True)
class WordScores:
    """What score_all or score_at found for one query's words: the per-document arrays are for every document
    (index: docnum) or, from score_at, for the documents it was given (index: their place in `scored`)."""

    totals: Any  # BM25F
    matched: Any  # how many of the words the document holds (of the rare ones, when the query has some)
    required: int  # how many words a document holding the whole query holds (see score_all)
    in_context: Any  # how many of them its heading or the post title holds
    in_heading: Any  # whether its heading holds any
    in_title: Any  # how many of them the post's title holds
    body_blocks: dict[str, BodyBlocks]  # each term's body blocks, for proximity
    terms_found: frozenset[str]  # the terms some live document holds
    common: frozenset[str] = frozenset()  # the terms of common words, when the query has rarer ones (see score_all)
    scored: Any = None  # the documents the arrays are for, ascending (None: every document)

    def places(self, docnums: Any) -> Any:
        """Where the given (scored) documents stand in the arrays."""
        return docnums if self.scored is None else np.searchsorted(self.scored, docnums)

    def at(self, docnums: Any) -> tuple[Any, Any, Any, Any, Any]:
        """totals, matched, in_context, in_heading and in_title of the given documents (scored ones)."""
        if docnums is self.scored:
            return self.totals, self.matched, self.in_context, self.in_heading, self.in_title
        places = self.places(docnums)
        return tuple(a[places] for a in (self.totals, self.matched, self.in_context, self.in_heading, self.in_title))  # type: ignore[return-value]


@dataclass(frozen=True)
class TermPostings:
    """One term's postings in every segment, read once for a query: by field (in SEARCH_FIELDS order) the
    global docnums holding it (ascending) and each one's weight over its length norm; which live documents hold it
    in any field; its body blocks (for proximity)."""

    term: str
    fields: dict[str, tuple[Any, Any]]
    holders: Any  # the live documents holding it, ascending
    present: int  # how many
    body_blocks: BodyBlocks

    def idf(self, doc_count: int) -> float:
        """BM25's inverse document frequency of the term."""
        return math.log(1 + (doc_count - self.present + 0.5) / (self.present + 0.5))


WordPostings = tuple[TermPostings, ...]  # a query word's alternatives (the first: the word itself)


class BM25FScorer:
    """Scores bags of words over all segments of one searcher; read-only once built, so threads may share it."""

    def __init__(self, searcher: Any, posts: PostArrays | None = None) -> None:
        reader = searcher.reader()
        self.decoders = {field: searcher.schema[field].format.decode_positions for field in SEARCH_FIELDS}
        self.doc_count = max(1, reader.doc_count())
        averages = {f: reader.field_length(f) / self.doc_count for f in SEARCH_FIELDS}
        self.segments = open_segments(reader)
        self.norms = [norm_arrays(segment, averages) for segment in self.segments]
        self.total = sum(s.size for s in self.segments)
        self.offsets = [s.offset for s in self.segments]
        self.posts = posts if posts is not None and posts.fits(self.total) else PostArrays.compute(self.segments)
        self.live = np.concatenate([s.live for s in self.segments] or [np.zeros(0, bool)])
        self.has_deletions = not self.live.all()
        self.kept: dict[str, TermPostings] = {}  # the common terms' postings (see KEEP_FROM)
        self.keeping = threading.Lock()
        self.kept_postings = 0
        settle_allocator(self.total)


    def live_docs(self) -> Any:
        """Global docnums of every live document."""
        return np.flatnonzero(self.live)

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields, read straight from its segment (Whoosh's reader re-checks every name)."""
        segment = self.segments[bisect_right(self.offsets, docnum) - 1]
        return segment.stored[docnum - segment.offset] or {}

    def post_fields(self, docnum: int) -> dict[str, Any]:
        """What a result shows of a section's post (see schema.post_record), held by its first live section."""
        first = int(self.posts.first_sections[self.posts.numbers[docnum]])
        segment = self.segments[bisect_right(self.offsets, first) - 1]
        return segment.posts[first - segment.offset]

    def proximity(self, docnums: Any, terms: list[str], scores: WordScores) -> Any:
        """For each document, how close the terms stand in its body (see tightness)."""
        wanted = np.sort(docnums)
        places = [self.body_blocks(term, scores).places(wanted) for term in terms]
        decode = self.decoders["body"]
        if len(places) == 2:  # most queries of several words
            return pair_closeness(docnums, places, decode)

        def closeness(doc: int) -> float:
            held = [found.get(doc) for found in places]
            if len(held) - held.count(None) < 2:  # one word alone is close to nothing: its positions stay unread
                return 0.0
            return tightness([decode(place[0][place[1]]) if place else [] for place in held])

        return np.array([closeness(doc) for doc in docnums.tolist()], dtype=np.float32)

    def body_blocks(self, term: str, scores: WordScores) -> BodyBlocks:
        """A term's body posting blocks: those score_all decoded, else read now."""
        found = scores.body_blocks.get(term)
        if found is None:
            found = BodyBlocks.of(global_blocks([(s.offset, s.postings("body", term)) for s in self.segments]))
        return found

    def phrase_docs(self, field: str, words: list[str], out_of_time: Callable[[], bool] = never) -> Any:
        """Global docnums (ascending, live only) of the documents whose field holds the words one after another,
        as Whoosh's Phrase with slop 1 finds them (its matchers take a Python call per posting). Positions are
        decoded in numpy, PHRASE_CHUNK documents at a time, until out_of_time() says to stop; a document holds
        the phrase where (docnum, position - place in the phrase) is the same for every word."""
        found = [np.zeros(0, dtype=np.int64)]
        decode = self.decoders[field]
        for segment in self.segments:
            postings = {word: segment.postings(field, word) for word in words}
            if any(p is None for p in postings.values()):
                continue
            holding = shortest_looked_up([p[0] for p in postings.values() if p])
            holding = holding[segment.live[holding]]
            for start in range(0, len(holding), PHRASE_CHUNK):
                if out_of_time():
                    return np.concatenate(found)
                chunk = holding[start : start + PHRASE_CHUNK]
                starts: Any = None
                for place, word in enumerate(words):
                    docs, positions = chunk_positions(postings[word][2], chunk, decode)  # type: ignore[index]
                    keys = ascending((docs << 32) + positions + (len(words) - place))  # where the phrase would start
                    starts = keys if starts is None else shortest_looked_up([starts, keys])
                    if not len(starts):
                        break
                found.append(segment.offset + distinct([starts >> 32]))
        return np.concatenate(found)

    def docs_with_any(self, terms: list[tuple[str, str]], out_of_time: Callable[[], bool] = never) -> Any:
        """Global docnums (ascending, live only) of the documents holding any of the (field, word) pairs (those
        read before out_of_time() says to stop: nine ranges stand for over 2,000 pairs)."""
        found = [np.zeros(0, dtype=np.int64)]
        for segment in self.segments:
            for number, (field, term) in enumerate(terms):
                if number % TERMS_BETWEEN_CLOCKS == TERMS_BETWEEN_CLOCKS - 1 and out_of_time():
                    break
                postings = segment.postings(field, term)
                if postings is not None:
                    found.append(segment.offset + postings[0][segment.live[postings[0]]])
        return self.union(found)

    def union(self, arrays: list[Any]) -> Any:
        """The distinct docnums of the arrays (each ascending, each docnum once), ascending: sorted when they are
        few, else marked in an array of every document (sorting 256 expansions' lists of a prefix took 30 ms,
        marking them 3 ms)."""
        if len(arrays) == 1:
            return arrays[0]
        if sum(len(a) for a in arrays) * 8 < self.total:
            return distinct([np.zeros(0, dtype=np.int64), *arrays])
        marked = np.zeros(self.total, dtype=bool)
        for docnums in arrays:
            marked[docnums] = True
        return np.flatnonzero(marked)

    def intersection(self, arrays: list[Any]) -> Any:
        """The docnums in every one of the arrays (each ascending, each docnum once), ascending: the shortest
        looked up in the others while it is short, else marked in arrays of every document and combined."""
        if len(arrays) == 1 or len(min(arrays, key=len)) * 8 < self.total:
            return shortest_looked_up(arrays)
        return np.flatnonzero(self.marked_in_all(arrays)[0])

    def intersection_and_union(self, arrays: list[Any]) -> tuple[Any, Any]:
        """intersection(arrays) and union(arrays), each document marked once when both would mark them (on
        cpp-docs three times, three words of ~80,000 sections each: 0.5 ms against 0.9)."""
        if len(arrays) == 1 or len(min(arrays, key=len)) * 8 < self.total:  # the intersection is looked up: no marks to share
            return self.intersection(arrays), self.union(arrays)
        every, some = self.marked_in_all(arrays)
        return np.flatnonzero(every), np.flatnonzero(some)

    def marked_in_all(self, arrays: list[Any]) -> tuple[Any, Any]:
        """For every document, whether each of the arrays holds it, and whether one does (as boolean arrays)."""
        every = some = None
        for docnums in arrays:
            marked = np.zeros(self.total, dtype=bool)
            marked[docnums] = True
            if every is None:
                every, some = marked, marked.copy()
            else:
                every &= marked
                some |= marked
        return every, some

    def read_words(self, words: Iterable[tuple[str, ...]], out_of_time: Callable[[], bool] = never) -> list[WordPostings]:
        """The postings of each word's alternatives (a word: a tuple of alternatives); alternatives past the first
        stop being read once out_of_time() says so (a prefix stands for 64 words), and after that no later word's
        alternatives are read (52 prefixes out of time read 7 each: 0.3 s on cpp-docs three times)."""
        read, late = [], False
        for first, *others in words:
            alternatives = [self.term_postings(first)]
            for number, term in enumerate(others):
                if late or (number % ALTERNATIVES_BETWEEN_CLOCKS == ALTERNATIVES_BETWEEN_CLOCKS - 1 and out_of_time()):
                    late = True
                    break
                alternatives.append(self.term_postings(term))
            read.append(tuple(alternatives))
        return read

    def term_postings(self, term: str) -> TermPostings:
        """A term's postings in every field of every segment (see TermPostings), kept when the term is common."""
        found = self.kept.get(term)
        if found is None:
            found = self.read_term(term)
            size = sum(len(ids) for ids, _ in found.fields.values())
            if size * KEEP_FROM > self.total:
                with self.keeping:  # threads may read the same term at once: it is kept once, within the bound
                    if term not in self.kept and self.kept_postings + size <= KEEP_PER_SECTION * self.total:
                        self.kept[term] = found
                        self.kept_postings += size
        return found

    def read_term(self, term: str) -> TermPostings:
        """A term's postings in every field of every segment, read from the segments."""
        fields, body = {}, []
        for field in SEARCH_FIELDS:
            ids, contributions = [], []
            for segment, norms in zip(self.segments, self.norms):
                postings = segment.postings(field, term)
                if field == "body":
                    body.append((segment.offset, postings))
                if postings is not None:
                    ids.append(segment.offset + postings[0])
                    contributions.append(postings[1] / norms[field][postings[0]])
            if ids:
                fields[field] = (read_only(np.concatenate(ids)), read_only(np.concatenate(contributions)))
        holders = self.union([ids for ids, _ in fields.values()])
        if self.has_deletions:
            holders = holders[self.live[holders]]
        body_blocks = BodyBlocks.of(global_blocks(body), fields["body"][0] if "body" in fields else None)
        return TermPostings(term, fields, read_only(holders), len(holders), body_blocks)

    def is_common(self, holders: int) -> bool:
        """Whether a word that many documents hold is common (see COMMON_SHARE)."""
        return self.doc_count >= COMMON_FROM and holders > COMMON_SHARE * self.doc_count

    def score_all(self, words: Iterable[tuple[str, ...]], out_of_time: Callable[[], bool] = never) -> WordScores:
        """For every document: BM25F for the words (each a tuple of alternatives), how many words it matched,
        and how many of them its heading or title (its context) holds, and whether its heading holds any. A word's
        alternatives past the first stop counting once out_of_time() says so (a prefix stands for 64 words)."""
        return self.score_at(self.read_words(words, out_of_time), None)

    def score_at(self, read: list[WordPostings], docnums: Any) -> WordScores:
        """score_all's findings from the words' postings (read_words), for the given documents (ascending, live)
        or, with None, for every document."""
        size = self.total if docnums is None else len(docnums)
        totals = np.zeros(size, dtype=np.float32)
        matched = np.zeros(size, dtype=np.int16)
        in_context = np.zeros(size, dtype=np.int16)
        in_heading = np.zeros(size, dtype=bool)
        in_title = np.zeros(size, dtype=np.int16)
        holders: list[tuple[Any, bool]] = []  # for each word: the documents holding it, and whether it is common
        places = Places(docnums, self.total)
        for alternatives in read:
            fields = {"heading": np.zeros(size, dtype=bool), "title": np.zeros(size, dtype=bool)}
            best = self.term_scores(alternatives[0], fields, places)
            for term in alternatives[1:]:
                if places.docnums is None and term.present * SPARSE_ALTERNATIVE < self.total:
                    held, scores = self.held_term_scores(term, fields)
                    best[held] = np.maximum(best[held], scores)
                else:
                    np.maximum(best, self.term_scores(term, fields, places), out=best)
            totals += best
            holders.append((best > 0, self.is_common(len(self.union([t.holders for t in alternatives])))))
            in_heading |= fields["heading"]
            in_title += fields["title"]
            in_context += np.logical_or(fields["heading"], fields["title"], out=fields["title"])
        # The whole query is its rarer words: a section need not hold "the" or "of" to hold all of a query's
        # words (they still score); a query of common words only ("the who") needs them all.
        required = [holding for holding, common in holders if not common] or [holding for holding, _ in holders]
        common_terms = [t.term for (_, common), alternatives in zip(holders, read) if common for t in alternatives]
        for holding in required:
            matched += holding
        body_blocks = {t.term: t.body_blocks for alternatives in read for t in alternatives}
        found = frozenset(t.term for alternatives in read for t in alternatives if t.present)
        common = frozenset(common_terms) if len(required) < len(holders) else frozenset()
        return WordScores(totals, matched, len(required), in_context, in_heading, in_title, body_blocks, found, common, docnums)

    def held_term_scores(self, postings: TermPostings, seen: dict[str, Any]) -> tuple[Any, Any]:
        """term_scores for every document, given only where the term is held: those documents (ascending) and
        their scores, the same to the bit (a prefix's 64 words took 5 ms as arrays of every document on cpp-docs)."""
        held = self.union([ids for ids, _ in postings.fields.values()])
        frequency = np.zeros(len(held), dtype=np.float32)
        for field, (ids, contributions) in postings.fields.items():
            frequency[np.searchsorted(held, ids)] += contributions
            if field in seen:
                seen[field][ids] = True
        if self.has_deletions:
            frequency *= self.live[held]
        return held, saturated(frequency, postings.idf(self.doc_count))

    def term_scores(self, postings: TermPostings, seen: dict[str, Any], places: Places) -> Any:
        """One term's saturated BM25F score for the places' documents (zero where absent); marks in `seen` the
        documents whose field of that name holds it."""
        frequency = np.zeros(places.size, dtype=np.float32)
        if not postings.present:
            return frequency
        for field, (ids, contributions) in postings.fields.items():
            where, held = places.of(ids)
            frequency[where] += contributions[held]  # a document occurs once per posting list
            if field in seen:
                seen[field][where] = True
        if places.docnums is None and self.has_deletions:
            frequency *= self.live
        return saturated(frequency, postings.idf(self.doc_count))


def saturated(frequency: Any, idf: float) -> Any:
    """BM25's saturated score of each weighted frequency (in place)."""
    saturation = frequency + K1
    frequency *= idf
    frequency /= saturation
    return frequency


def ascending(keys: Any) -> Any:
    """The keys in ascending order, sorted only when they are not (np.unique hashed and sorted them all: a
    quarter of a phrase's time)."""
    if len(keys) > 1 and not (keys[1:] > keys[:-1]).all():  # a value's wide positions come after the others'
        keys = np.sort(keys)
    return keys


def shortest_looked_up(arrays: list[Any]) -> Any:
    """The docnums in every one of the arrays (each ascending, each docnum once), ascending: the shortest looked
    up in each of the others (intersect1d sorts them all together: 5 ms for a common word on cpp-docs)."""
    arrays = sorted(arrays, key=len)
    found = arrays[0]
    for other in arrays[1:]:
        if not len(found) or not len(other):
            return other[:0] if not len(other) else found
        at = np.minimum(np.searchsorted(other, found), len(other) - 1)
        found = found[other[at] == found]
    return found


def read_only(array: Any) -> Any:
    """The array, made read-only (kept postings are shared by queries and threads)."""
    array.flags.writeable = False
    return array


class Places:
    """Where documents stand among the documents scored (all of them, by docnum, when docnums is None)."""

    def __init__(self, docnums: Any, total: int) -> None:
        self.docnums = docnums
        self.size = total if docnums is None else len(docnums)
        self.index: Any = None  # for many documents: each document's place, or -1
        if docnums is not None and len(docnums) > PLACES_INDEXED_FROM:
            self.index = np.full(total, -1, dtype=np.int32)
            self.index[docnums] = np.arange(len(docnums), dtype=np.int32)

    def of(self, ids: Any) -> tuple[Any, Any]:
        """Where the documents of ids (ascending) that are scored stand, and which of ids they are."""
        if self.docnums is None:
            return ids, slice(None)
        if self.index is None or len(ids) * 16 < len(self.docnums):
            return placed(self.docnums, ids)
        where = self.index[ids]
        held = where >= 0
        return where[held], held


def placed(docnums: Any, ids: Any) -> tuple[Any, Any]:
    """For two ascending arrays of distinct docnums: where the docnums held in both stand in docnums, and in ids
    (each side searched in the other, whichever is shorter)."""
    if not len(docnums) or not len(ids):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if len(docnums) <= len(ids):
        at = np.minimum(np.searchsorted(ids, docnums), len(ids) - 1)
        held = ids[at] == docnums
        return np.flatnonzero(held), at[held]
    at = np.minimum(np.searchsorted(docnums, ids), len(docnums) - 1)
    held = docnums[at] == ids
    return at[held], np.flatnonzero(held)


def global_blocks(per_segment: list[tuple[int, Any]]) -> list[tuple[Any, Any]]:
    """A term's decoded body blocks with global docnums, from each segment's (offset, postings)."""
    return [(offset + ids, values) for offset, postings in per_segment if postings for ids, _, values in postings[2]]


def pair_closeness(docnums: Any, places: list[dict[int, tuple[Any, int]]], decode: Callable[[bytes], list[int]]) -> Any:
    """tightness for two terms without its general case, for each document: 1 / the distance between the
    closest positions of the two terms, or 0 where one is missing (places: see BodyBlocks.places)."""
    first, second = places
    closeness = []
    for doc in docnums.tolist():
        a, b = first.get(doc), second.get(doc)
        closeness.append(1 / max(1, closest_pair(decode(a[0][a[1]]), decode(b[0][b[1]]))) if a and b else 0.0)
    return np.array(closeness, dtype=np.float32)


