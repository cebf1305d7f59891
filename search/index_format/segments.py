"""One segment of an open index as arrays and look-ups: what the scorer reads, straight from the bytes.

Whoosh's readers answer one posting, one stored field or one column value per Python call; a SegmentData reads
a term's whole posting list, a column or a field's lengths in one pass and hands numpy arrays to the scorer.
"""

from __future__ import annotations

import io
import pickle
import struct
from collections.abc import Iterator
from functools import cached_property
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo

from .codec import TermTable, decode_block, field_lengths, fixed_column_array

BLOCK_LENGTH = struct.Struct("!i")
# A W3 term info (W3TermInfo.to_bytes): whether its list is inlined, its weight and document frequency, length and
# weight bounds, docnum bounds; then the pickled list, or where the list is in the postings file and its length.
TERM_HEAD = W3TermInfo._struct
LIST_EXTENT = struct.Struct("!Qi")

Postings = tuple[Any, Any, list[tuple[Any, Any, Any]]]  # docnums, weights, decoded blocks (docnums, weights, values)


class SegmentColumns:
    """One segment's post keys, date orders and live documents: what per-post arrays are made of (the columns
    are read when first asked for: an index with its per-post arrays written never needs them)."""

    def __init__(self, reader: Any) -> None:
        self.columns_reader = reader
        self.size = reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        self.has_deletions = reader.has_deletions()
        if self.has_deletions:
            self.live[sorted(reader._perdoc.deleted_docs())] = False


    @cached_property
    def post_keys(self) -> Any:
        """Each section's post key (documents.post_key)."""
        return column_array(self.columns_reader, "post_key", np.int64)

    @cached_property
    def dates(self) -> Any:
        """Each section's date order (seconds since 1970, schema.UNDATED for undated posts)."""
        return column_array(self.columns_reader, "date_order", np.int64)


class SegmentData(SegmentColumns):
    """One segment's term look-ups, columns, field lengths, stored fields and deletions, read from its bytes."""

    def __init__(self, reader: Any, offset: int) -> None:
        super().__init__(reader)
        self.reader = reader
        self.offset = offset
        self.terms = TermTable(reader._terms)
        self.posts = raw_column(reader, "post")
        self.stored = reader._perdoc.stored_fields_column()

    def field_lengths(self, field: str) -> Any:
        """Every document's length in the field (rounded as Whoosh stores it), or None when it has none."""
        return field_lengths(self.reader._perdoc, field, self.size)

    def postings(self, field: str, term: str) -> Postings | None:
        """A term's local docnums, weights and decoded blocks in one field (see read_postings)."""
        return read_postings(self.terms, field, term)


def segment_columns(reader: Any) -> list[SegmentColumns]:
    """The post columns of each segment of an index reader (none for an index of no posts)."""
    return [SegmentColumns(leaf) for leaf, _ in leaf_readers(reader)]


def open_segments(reader: Any) -> list[SegmentData]:
    """The segments of an index reader, each with its docnum offset (none for an index of no posts)."""
    return [SegmentData(leaf, offset) for leaf, offset in leaf_readers(reader)]


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
