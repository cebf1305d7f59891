"""Whoosh's W3 index format, written compactly: what W3 readers read, in about half the space.

Whoosh pickles each posting block with protocol 2, which has no bytes type, so every position list
becomes a latin-1 string wrapped in a function call, and weights become 9-byte floats; it also
compresses blocks too small to gain from it. The postsearch codec writes the same block tuples with
protocol 3, docnum gaps and weights as arrays, positions as a byte per gap, and compresses a block only
when that makes it smaller; the info tuple records whether it did, so Whoosh's own reader reads the
blocks unchanged.
"""

from __future__ import annotations

import pickle
import sys
import zlib
from array import array
from itertools import accumulate
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PostingsWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.formats import Positions
from whoosh.util.numeric import byte_to_length, length_to_byte

# Postings per block: Whoosh's 128 suits skipping one posting at a time; the scorer decodes whole lists, and
# 1024 halves its time on cpp-docs (fewer blocks to unpickle) with a slightly smaller index.
BLOCK_POSTINGS = 1024
ARRAY_MIN = 16  # postings in a block from which its docnum gaps are an array (a tuple is smaller below)
# Postings up to which a term's list is kept in its term info instead of a block of the postings file (most words
# of a site occur in one or two sections). Whoosh's W3 reader reads both; its own writer never inlines.
INLINE_POSTINGS = 4
WIDE = 255  # first byte of a position list whose gaps do not all fit in a byte
WIDE_MARK = bytes([WIDE])
BYTE_LENGTHS = np.array([byte_to_length(byte) for byte in range(256)], dtype=np.int64)  # lengths, by stored byte


class CompactPositions(Positions):
    """Positions stored as their gaps, a byte each (or 4 bytes each after a WIDE marker when one gap is >= 255)."""

    def encode(self, poslist: list[int]) -> bytes:
        if len(poslist) == 1 and poslist[0] < WIDE:  # most words occur once in a section
            return bytes(poslist)
        gaps = [position - previous for previous, position in zip([0, *poslist], poslist)]
        if max(gaps) < WIDE:
            return bytes(gaps)
        wide = array("I", gaps)
        if sys.byteorder == "big":
            wide.byteswap()
        return WIDE_MARK + wide.tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        if valuestring[:1] != WIDE_MARK:
            return list(accumulate(valuestring))
        wide = array("I", valuestring[1:])
        if sys.byteorder == "big":
            wide.byteswap()
        return list(accumulate(wide))

    def decode_frequency(self, valuestring: bytes) -> int:
        if valuestring[:1] != WIDE_MARK:
            return len(valuestring)
        return (len(valuestring) - 1) // 4

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        return [(position, 1.0) for position in self.decode_positions(valuestring)]


class CompactCodec(W3Codec):
    """The W3 codec with CompactPostingsWriter for posting lists."""

    def __init__(self, blocklimit: int = BLOCK_POSTINGS) -> None:
        super().__init__(blocklimit=blocklimit)

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return CompactFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return CompactPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class CompactFieldWriter(W3FieldWriter):
    """The W3 field writer, given each field's document lengths as one list (Whoosh looks one up per posting)."""

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        super().add_postings(schema, FieldLengths(lengths) if lengths else None, items)

    def start_term(self, btext: bytes) -> None:
        if self._postwriter is None:
            raise Exception("Called start_term before start_field")
        self._btext = btext
        self._postwriter.start_postings(self._fieldobj.format, CompactTermInfo())

    def write_term(self, btext: bytes, docnums: array, weights: array, values: list, lengths: list[int]) -> None:
        """One term's whole posting list (docnums ascending), in the current field."""
        self.start_term(btext)
        self._postwriter.write_postings(docnums, weights, values, lengths)
        self.finish_term()


class CompactTermInfo(W3TermInfo):
    """W3's term info, its inlined postings pickled with protocol 3 (W3's reader unpickles any protocol)."""

    def to_bytes(self) -> bytes:
        if not self.is_inlined():
            return super().to_bytes()
        minlength = 0 if self._minlength is None else length_to_byte(self._minlength)
        maxlength = length_to_byte(self._maxlength)
        head = self._struct.pack(
            True, self._weight, self._df, minlength, maxlength, self._maxweight, self._minid, self._maxid
        )
        return head + pickle.dumps(self._inlined, 3)


class FieldLengths:
    """A segment's document lengths, each field's read once from its column."""

    def __init__(self, perdoc: Any) -> None:
        self.perdoc = perdoc
        self.fields: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str) -> int:
        return self.field(fieldname)[docnum]

    def field(self, fieldname: str) -> list[int]:
        """Every document's length in one field, as Whoosh stores it (rounded to a byte's worth)."""
        lengths = self.fields.get(fieldname)
        if lengths is None:
            lengths = self.fields[fieldname] = self.read(fieldname)
        return lengths

    def read(self, fieldname: str) -> list[int]:
        count = self.perdoc.doc_count_all()
        lengths = field_lengths(self.perdoc, fieldname, count)
        return [0] * count if lengths is None else lengths.tolist()


def field_lengths(perdoc: Any, fieldname: str, size: int) -> Any:
    """Every document's length in one field of a segment, as Whoosh stores it (rounded to a byte's worth), as a
    numpy array; None when the field has no lengths."""
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    return None if column is None else BYTE_LENGTHS[fixed_column_array(column, size, np.uint8)]


def fixed_column_array(column: Any, size: int, dtype: Any) -> Any:
    """A Whoosh fixed-width numeric column read in one go (not one call per document); Whoosh leaves out
    trailing default values, so the array is padded with the default."""
    stored = min(column._count, size)
    raw = column._dbfile.get(column._basepos, stored * column._fixedlen)
    values = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder(">")).astype(dtype)
    return np.concatenate([values, np.full(size - stored, column._default, dtype=dtype)])


class CompactPostingsWriter(W3PostingsWriter):
    """Writes W3 posting blocks with pickle protocol 3, docnum gaps and weights as arrays (numpy reads them
    without a Python loop), and zlib only where it pays."""

    def _mini_ids(self) -> Any:
        if self._byteids or len(self._ids) < ARRAY_MIN:
            return super()._mini_ids()
        ids = self._ids
        return array("I", [docnum - previous for previous, docnum in zip([0, *ids], ids)])  # gaps, as Whoosh's

    def _mini_weights(self) -> Any:
        weights = self._weights
        if all(w == 1.0 for w in weights):
            return None
        if all(w == weights[0] for w in weights):
            return float(weights[0])
        return weights  # an array("f"): what Whoosh's reader makes of the other forms too

    def finish_postings(self) -> Any:
        if self.written() or len(self._ids) > INLINE_POSTINGS:
            return super().finish_postings()
        terminfo, self._terminfo = self._terminfo, None
        terminfo.add_block(self)
        # Fields without values (words only) get b"" for each: Whoosh's merge wants bytes from its list matcher
        values = list(self._values) if any(self._values) else [b""] * len(self._ids)
        terminfo.set_inlined(self._ids, self._weights, values)
        return terminfo

    def write_postings(self, docnums: array, weights: array, values: list, lengths: list[int]) -> None:
        """A term's postings at once, as add_posting() would take them one by one; finish_postings() writes the
        last block."""
        limit = self._blocklimit
        for start in range(0, len(docnums), limit):
            if start:
                self._write_block()
            end = start + limit
            self._ids, self._weights, self._values = docnums[start:end], weights[start:end], values[start:end]
            self._maxweight = max(0, max(self._weights))
            block_lengths = lengths[start:end]
            self._maxlength = max(block_lengths)
            self._minlength = min((n for n in block_lengths if n), default=None)

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = pickle.dumps((self._mini_ids(), self._mini_weights(), self._mini_values()), 3)
        compressed = zlib.compress(data, self._compression) if self._compression else data
        level = self._compression if len(compressed) < len(data) else 0
        if level:
            data = compressed
        info = (
            len(self._ids),
            self._ids[-1],
            int(self._maxweight) if self._maxweight == int(self._maxweight) else self._maxweight,
            level,
            length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
        )
        infobytes = pickle.dumps(info, 3)
        length = len(infobytes) + len(data)
        self._postfile.write_int(-length if last else length)
        self._postfile.write(infobytes)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()
