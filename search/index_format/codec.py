"""Whoosh's W3 index format with compact posting blocks, in about half the space of Whoosh's own.

Whoosh pickles each posting block (docnum gaps, weights, position lists) as one tuple with protocol 2 and
compresses it whole: reading a block means inflating and unpickling everything in it. The postsearch codec
keeps W3's files, term dictionary and block headers, but writes a block's docnums and weights as plain
arrays numpy reads in one call (gaps at the narrowest width, weights as a byte of frequency per posting)
and its positions apart, read only when a phrase or proximity needs them. Whoosh's matchers
read these blocks through CompactLeafMatcher (see CompactCodec.postings_reader), and the scorer through
decode_block; both still read Whoosh's own blocks.
"""

from __future__ import annotations

import pickle
import struct
import sys
import zlib
from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any

import lz4.block
import numpy as np
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PerDocReader,
    W3PerDocWriter,
    W3PostingsWriter,
    W3Segment,
    W3TermInfo,
    _lenfield,
)
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filetables import HashWriter, OrderedHashWriter
from whoosh.filedb.structfile import BufferFile
from whoosh.formats import Positions
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.util.numlists import GrowableArray

# Postings per block: Whoosh's 128 suits skipping one posting at a time; the scorer decodes whole lists, and
# 1024 halves its time on cpp-docs (fewer blocks to decode) with a slightly smaller index.
BLOCK_POSTINGS = 1024
# Postings up to which a term's list is kept in its term info instead of a block of the postings file (most words
# of a site occur in one or two sections). Whoosh's W3 reader reads both; its own writer never inlines.
INLINE_POSTINGS = 4
CRC32_HASH = 1  # Whoosh's number for the CRC-32 hash of its hash files
WIDE = 255  # first byte of a position list whose gaps do not all fit in a byte
WIDE_MARK = bytes([WIDE])
# A block is Whoosh's signed length and pickled info tuple, then its postings (pack_postings) and its values apart
# (pack_values): the scorer reads the values of only the blocks it needs them from. Values are not compressed:
# zlib saved a third of their bytes (~4% of an index) but took 10 µs a block for each proximity or phrase check.
# The info tuple's compression level (0-9 in Whoosh's own blocks) holds these flags instead.
SPLIT, FIXED_SIZE_VALUES = 16, 128
POSTINGS_SIZE = struct.Struct("<I")
POSTINGS_HEAD = struct.Struct("<BId")  # layout (gap width and weights kind), first docnum, weights' factor
GAP_WIDTHS = (1, 2, 4)  # bytes per docnum gap; the layout's low two bits index this
CONSTANT_WEIGHTS, BYTE_WEIGHTS, FLOAT_WEIGHTS = 4, 8, 12
BYTE_LENGTHS_KIND, WIDE_LENGTHS_KIND = 1, 4  # the first byte of a values part: the width of its lengths
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
    """The W3 codec writing compact posting blocks and buffered numeric columns, and reading its blocks back."""

    def __init__(self, blocklimit: int = BLOCK_POSTINGS) -> None:
        super().__init__(blocklimit=blocklimit)

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return CompactFieldWriter(self, storage, segment)

    def new_segment(self, storage: Any, indexname: str) -> W3Segment:
        return CompactSegment(self, indexname)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return CompactPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def per_document_writer(self, storage: Any, segment: Any) -> W3PerDocWriter:
        return CompactPerDocWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> W3PerDocReader:
        return CompactPerDocReader(storage, segment)

    def postings_reader(self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return CompactLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class CompactSegment(W3Segment):
    """A W3 segment whose files are read straight from the memory-mapped segment file."""

    def open_compound_file(self, storage: Any) -> CompoundStorage:
        name = self.make_filename(self.COMPOUND_EXT)
        try:
            return MappedCompoundStorage(storage.open_file(name), storage.supports_mmap)
        except (EOFError, OSError, ValueError, IndexError, struct.error, pickle.UnpicklingError) as error:
            from ..errors import IndexDamaged

            path = f"{getattr(storage, 'folder', '')}/{name}"
            raise IndexDamaged(path, f"The index file {path} cannot be read ({type(error).__name__}: {error}).") from error


class MappedCompoundStorage(CompoundStorage):
    """Whoosh's compound segment file, whose files are read from its memory map in place. Whoosh copies each
    file it opens out of the map into a BytesIO, for reads as a stream: the whole index at every open (~60 ms
    and ~140 MB for a process that searches cpp-docs)."""

    def open_file(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not self._source:  # not memory-mapped
            return super().open_file(name, *args, **kwargs)
        offset, length = self.range(name)
        return MappedFile(self._source, offset, length, name)


class MappedFile(BufferFile):
    """Whoosh's BufferFile over part of a memory map: read by position from a view of it (as Whoosh's is), and
    as a stream through a MappedStream rather than a BytesIO copy."""

    def __init__(self, source: Any, offset: int, length: int, name: str) -> None:  # BufferFile's would copy
        self._buf = memoryview(source)[offset : offset + length]
        self._name = name
        self.file = MappedStream(source, offset, length)
        self.onclose = None
        self.is_real = False
        self.is_closed = False


class TermTable:
    """A segment's term dictionary (W3's hash file of field number + term -> term info), looked up in its memory
    map directly: Whoosh's reader takes a field check, a key coder and three generators per look-up (~2x)."""

    POINTER = struct.Struct("!Iq")  # a slot: the key's hash, where its entry starts
    LENGTHS = struct.Struct("!ii")  # an entry: key length, value length, then the key and the value
    LOADED_SIZE = 64 * 1024  # a dictionary file up to this size (~500 terms: a post or a few) is read whole

    def __init__(self, terms: Any) -> None:
        self.table = terms._tindex
        self.postfile = terms._postfile
        self.buffer: Any = getattr(self.table.dbfile, "_buf", None)  # None when the file is not in memory
        self.prefixes = {name: struct.pack("!H", number) for name, number in terms._fieldmap.items()}
        # The small segment of the last updates misses most words a query looks up: a dict says so fastest
        small = self.buffer is not None and self.buffer.nbytes <= self.LOADED_SIZE
        self.loaded: dict[bytes, bytes] | None = dict(self.table.items()) if small else None

    def info(self, field: str, term: str) -> bytes | None:
        """The term's encoded W3 term info in the field, or None when the segment lacks it."""
        prefix = self.prefixes.get(field)
        if prefix is None:
            return None
        key = prefix + term.encode("utf-8")
        if self.loaded is not None:
            return self.loaded.get(key)
        if self.buffer is None:
            return self.table.get(key)
        keyhash = self.table.hashfn(key)
        start, slots = self.table.tables[keyhash & 255]
        return self.probe(key, keyhash, start, slots) if slots else None

    def probe(self, key: bytes, keyhash: int, start: int, slots: int) -> bytes | None:
        """Walk the hash table's slots from the key's own (open addressing) to its entry or an empty slot."""
        buffer, size = self.buffer, self.POINTER.size
        at, end = start + (keyhash >> 8) % slots * size, start + slots * size
        for _ in range(slots):
            slot_hash, entry = self.POINTER.unpack_from(buffer, at)
            if not entry:
                return None
            if slot_hash == keyhash:
                key_length, value_length = self.LENGTHS.unpack_from(buffer, entry)
                key_start = entry + self.LENGTHS.size
                if key_length == len(key) and buffer[key_start : key_start + key_length] == key:
                    return bytes(buffer[key_start + key_length : key_start + key_length + value_length])
            at = at + size if at + size < end else start
        return None


class MappedStream:
    """Part of a memory map read as a file (read, readline, lines, seek, tell), without copying it first."""

    def __init__(self, source: Any, start: int, length: int) -> None:
        self.source, self.start, self.end, self.position = source, start, start + length, start

    def read(self, size: int | None = -1) -> bytes:
        stop = self.end if size is None or size < 0 else self.position + size
        return self.read_to(min(stop, self.end))

    def readline(self, size: int | None = -1) -> bytes:
        newline = self.source.find(b"\n", self.position, self.end)
        stop = self.end if newline == -1 else newline + 1
        return self.read_to(stop if size is None or size < 0 else min(stop, self.position + size))

    def read_to(self, stop: int) -> bytes:
        """The bytes from the position to stop (none past the end), moving the position there."""
        if stop <= self.position:
            return b""
        data = self.source[self.position : stop]
        self.position = stop
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = (self.start, self.position, self.end)[whence] + offset
        return self.position - self.start

    def tell(self) -> int:
        return self.position - self.start

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def close(self) -> None:
        pass


class CompactPerDocWriter(W3PerDocWriter):
    """W3's per-document writer with numeric columns (field lengths, post keys, dates) kept in memory and each
    written at once when the segment is closed (Whoosh writes every value to its file as it comes), and stored
    fields in a StoredFieldsColumn."""

    def _create_column(self, fieldname: str, column: Any) -> None:
        if fieldname == "_stored":
            column = STORED_FIELDS  # in place of W3's zlib column
        super()._create_column(fieldname, column)
        if type(column) is NumericColumn:
            self._colwriters[fieldname] = NumericColumnBuffer(self._colwriters[fieldname], column._typecode)

    def add_field(self, fieldname: str, fieldobj: Any, value: Any, length: int) -> None:
        """W3's add_field, the length column found once per field (it runs for every field of every section)."""
        if value is not None:
            self._storedfields[fieldname] = value
        if length:
            self.length_column(fieldname).add(self._docnum, length_to_byte(length))
            self._fieldlengths[fieldname] += length

    def length_column(self, fieldname: str) -> Any:
        """The writer of a field's length column, created when first needed."""
        name = _lenfield(fieldname)
        if name not in self._colwriters:
            self._create_column(name, LENGTHS_COLUMN)
        return self._colwriters[name]


class CompactPerDocReader(W3PerDocReader):
    """W3's per-document reader, reading stored fields from the StoredFieldsColumn."""

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        return self.stored_fields_column()[docnum] or {}

    def stored_fields_column(self) -> Any:
        """The reader of every document's stored fields (see StoredFieldsColumn)."""
        return self._cached_reader("_stored", STORED_FIELDS)


class MappedBytesReader(VarBytesColumn.Reader):
    """Whoosh's reader of a column of byte strings, cutting a value straight out of the memory map (Whoosh's
    takes three calls and a copy: ~0.5 µs of each stored-fields read)."""

    def value_bytes(self, docnum: int) -> Any:
        """The document's value (empty when it has none), as bytes or a view of the map."""
        length = self._lengths[docnum]
        buffer = getattr(self._dbfile, "_buf", None)
        if not length or buffer is None:
            return super().__getitem__(docnum)
        start = self._basepos + self._offsets[docnum]
        return buffer[start : start + length]


class PickledColumn(VarBytesColumn):
    """A pickled value for some documents (None for the others), read without the stored fields."""

    class Writer(VarBytesColumn.Writer):
        def add(self, docnum: int, value: Any) -> None:
            if value is not None:  # Whoosh's merges copy every document's value, None or not
                super().add(docnum, self.pack(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)))

        @staticmethod
        def pack(data: bytes) -> bytes:
            """The bytes kept for a pickled value (as they are; see StoredFieldsColumn)."""
            return data

    class Reader(MappedBytesReader):
        def __getitem__(self, docnum: int) -> Any:
            packed = self.value_bytes(docnum)
            return pickle.loads(self.unpack(packed)) if packed else None

        @staticmethod
        def unpack(data: Any) -> Any:
            """The pickled value of the bytes kept (see Writer.pack)."""
            return data


class StoredFieldsColumn(PickledColumn):
    """Each document's stored fields, pickled and compressed with LZ4. Snippets read the stored text of every
    section shown, and LZ4 inflates it about 10x faster than the zlib of Whoosh's column (13 -> 1 µs for a
    rust-blog section), in about 1.3x the space."""

    class Writer(PickledColumn.Writer):
        pack = staticmethod(lz4.block.compress)

    class Reader(PickledColumn.Reader):
        unpack = staticmethod(lz4.block.decompress)


STORED_FIELDS = StoredFieldsColumn()


class NumericColumnBuffer:
    """A numeric column's values, written in Whoosh's layout (big-endian, defaults where no value was given,
    trailing defaults left out) when the column is finished."""

    def __init__(self, writer: Any, typecode: str) -> None:
        self.writer, self.dtype = writer, np.dtype(typecode)
        self.default = writer._default
        self.docnums: list[int] = []
        self.values: list[Any] = []

    def add(self, docnum: int, value: Any) -> None:
        if value != self.default:
            self.docnums.append(docnum)
            self.values.append(value)

    def finish(self, doccount: int) -> None:
        if self.docnums:
            column = np.full(self.docnums[-1] + 1, self.default, dtype=self.dtype.newbyteorder(">"))
            column[self.docnums] = self.values
            self.writer._dbfile.write(column.tobytes())
            self.writer._count = len(column)
        self.writer.finish(doccount)


class CrcTermsWriter(OrderedHashWriter):
    """W3's term dictionary writer, hashing keys with CRC-32 (Whoosh's default MD5 costs ~1.4 µs of every
    look-up, CRC-32 ~0.1 µs; the hash type is written in the file, so Whoosh reads either)."""

    def __init__(self, dbfile: Any) -> None:
        HashWriter.__init__(self, dbfile, hashtype=CRC32_HASH)
        self.index = GrowableArray("H")  # as OrderedHashWriter.__init__
        self.lastkey = b""


class CompactFieldWriter(W3FieldWriter):
    """The W3 field writer, given each field's document lengths as one list (Whoosh looks one up per posting),
    writing a CRC-32 term dictionary."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:  # W3FieldWriter's, but for the hash
        self._codec, self._storage, self._segment = codec, storage, segment
        self._fieldname: Any = None
        self._fieldid: Any = None
        self._btext: Any = None
        self._fieldobj: Any = None
        self._format: Any = None
        self._tindex = CrcTermsWriter(self._create_file(W3Codec.TERMS_EXT))
        self._fieldmap: dict[str, Any] = {}
        self._tindex.extras["fieldmap"] = self._fieldmap
        self._postfile = self._create_file(W3Codec.POSTS_EXT)
        self._postwriter: Any = None
        self._infield = False
        self.is_closed = False

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
    _terminfo: Any  # Whoosh's, set by its start_postings()
    _format: Any

    """Writes posting blocks with docnums and weights as plain arrays and positions apart (see the module's
    docstring), and keeps lists of up to INLINE_POSTINGS postings in the term dictionary."""

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
        fixed_size = self._format.fixed_value_size()
        postings = pack_postings(self._ids, self._weights, self._format.field_boost)
        values = pack_values(self._values, fixed_size)
        flags = SPLIT | FIXED_SIZE_VALUES * bool(fixed_size)
        info = (
            len(self._ids),
            self._ids[-1],
            int(self._maxweight) if self._maxweight == int(self._maxweight) else self._maxweight,
            flags,
            length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
        )
        infobytes = pickle.dumps(info, 3)
        length = len(infobytes) + POSTINGS_SIZE.size + len(postings) + len(values)
        self._postfile.write_int(-length if last else length)
        self._postfile.write(infobytes)
        self._postfile.write(POSTINGS_SIZE.pack(len(postings)))
        self._postfile.write(postings)
        self._postfile.write(values)
        self._blockcount += 1
        self._new_block()


class CompactLeafMatcher(W3LeafMatcher):
    """Whoosh's block reader for split blocks: the values part is only decoded when a value is asked for."""

    def _read_data(self) -> None:
        datalen = self._nextoffset - self._dataoffset
        self._data = decode_block(self._blocklength, self._compression, self._postfile.get(self._dataoffset, datalen))
        self._ids = self._data[0].tolist()
        self._weights = self._data[1].tolist()

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        values, size = self._data[2], self._fixedsize
        if values is None:
            self._values = (None,) * self._blocklength
        elif isinstance(values, bytes):  # fixed-size values, joined
            self._values = tuple(values[i : i + size] for i in range(0, len(values), size))
        else:
            self._values = values


def pack_postings(docnums: Any, weights: Any, boost: float) -> bytes:
    """A block's docnums and weights, uncompressed (numpy reads them without unpickling or inflating): a layout
    byte, the first docnum, the weights' factor, the docnum gaps at the narrowest width that holds them, and the
    weights as a byte per posting (frequency x boost, nearly always) or as floats."""
    ids = np.asarray(docnums, dtype=np.int64)
    gaps = np.diff(ids)
    width = next(w for w in GAP_WIDTHS if not len(gaps) or gaps.max() < 256**w)
    given = np.asarray(weights, dtype=np.float32)  # Whoosh keeps weights as float32
    frequencies = np.rint(given.astype(np.float64) / boost) if boost else given
    if (given == given[0]).all():
        kind, factor, payload = CONSTANT_WEIGHTS, float(given[0]), b""
    elif boost and frequencies.max() < 256 and ((frequencies * boost).astype(np.float32) == given).all():
        kind, factor, payload = BYTE_WEIGHTS, boost, frequencies.astype(np.uint8).tobytes()
    else:
        kind, factor, payload = FLOAT_WEIGHTS, 0.0, given.astype("<f4").tobytes()
    head = POSTINGS_HEAD.pack(GAP_WIDTHS.index(width) | kind, int(ids[0]), factor)
    return head + gaps.astype(f"<u{width}").tobytes() + payload


def unpack_postings(data: bytes, count: int) -> tuple[Any, Any]:
    """The docnums (int64) and weights (float32) pack_postings wrote, as numpy arrays."""
    layout, first, factor = POSTINGS_HEAD.unpack_from(data)
    width, kind = GAP_WIDTHS[layout & 3], layout & ~3
    ids = running_totals(first, np.frombuffer(data, f"<u{width}", count - 1, POSTINGS_HEAD.size))
    start = POSTINGS_HEAD.size + width * (count - 1)
    if kind == CONSTANT_WEIGHTS:
        return ids, np.full(count, factor, dtype=np.float32)
    if kind == BYTE_WEIGHTS:
        frequencies = np.frombuffer(data, np.uint8, count, start)
        return ids, np.multiply(frequencies, factor, dtype=np.float64).astype(np.float32)  # as pack_postings checked
    return ids, np.frombuffer(data, "<f4", count, start).astype(np.float32)


def pack_values(values: list[bytes], fixed_size: int | None) -> bytes:
    """A block's value strings as one bytes object: fixed-size values joined; others after a byte saying how wide
    their lengths are and the lengths; nothing when no posting has a value."""
    if fixed_size == 0 or not any(values):
        return b""
    blob = b"".join(values)
    if fixed_size:
        return blob
    lengths = [len(value) for value in values]
    if max(lengths) < 256:
        return bytes([BYTE_LENGTHS_KIND]) + bytes(lengths) + blob
    return bytes([WIDE_LENGTHS_KIND]) + np.array(lengths, dtype="<u4").tobytes() + blob


class PackedValues(Sequence):
    """A block's value strings, cut from the packed bytes when asked for."""

    def __init__(self, data: bytes, count: int) -> None:
        self.data, self.size = data, count
        self.bounds: Any = None  # where each value starts, and where the last ends

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: Any) -> Any:
        bounds = self.bounds if self.bounds is not None else self.unpack()
        if type(index) is int and 0 <= index < self.size:  # the scorer's case: one value, by its place
            return self.data[bounds[index] : bounds[index + 1]]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        if not 0 <= index < self.size:
            if not -self.size <= index < 0:
                raise IndexError(index)
            index += self.size
        return self.data[bounds[index] : bounds[index + 1]]

    def unpack(self) -> Any:
        width = self.data[0]
        lengths = np.frombuffer(self.data, np.uint8 if width == 1 else "<u4", self.size, 1)
        self.bounds = running_totals(1 + width * self.size, lengths)
        return self.bounds


def running_totals(first: int, steps: Any) -> Any:
    """first, then first plus each running total of the steps: docnums from their gaps, offsets from lengths."""
    totals = np.empty(len(steps) + 1, dtype=np.int64)
    totals[0] = first
    totals[1:] = steps
    return np.add.accumulate(totals, out=totals)  # in place, in one dtype: np.cumsum casting steps costs 2.5x


def decode_block(count: int, flags: int, data: bytes) -> tuple[Any, Any, Any]:
    """One posting block's docnums and weights as numpy arrays, and its values: a lazy sequence of strings,
    the joined bytes of fixed-size values, or None. Reads Whoosh's own W3 blocks too."""
    if flags & SPLIT:
        (size,) = POSTINGS_SIZE.unpack_from(data)
        ids, weights = unpack_postings(data[POSTINGS_SIZE.size : POSTINGS_SIZE.size + size], count)
        values = data[POSTINGS_SIZE.size + size :]
        if not values:
            return ids, weights, None
        if flags & FIXED_SIZE_VALUES:
            return ids, weights, values
        return ids, weights, PackedValues(values, count)
    gaps, weights, values = pickle.loads(zlib.decompress(data) if flags else data)  # a W3 block: one pickled tuple
    ids = np.cumsum(np.frombuffer(gaps, np.uint32) if isinstance(gaps, array) else gaps, dtype=np.int64)
    if weights is None or isinstance(weights, float):
        return ids, np.full(count, 1.0 if weights is None else weights, dtype=np.float32), values
    return ids, np.asarray(weights, dtype=np.float32), values


def block_positions(values: Any, count: int, selected: Any, decode: Any) -> tuple[Any, Any]:
    """The positions of the selected postings (ascending indices) of a decoded block of CompactPositions values:
    for each position, the index of its posting and the position, each posting's ascending (see
    spans_positions). Whoosh's own blocks (a list of strings, or None) are decoded a value at a time."""
    spans = value_spans(values, count, selected)
    if spans is None:
        found = [(index, decode(values[index]) if values else []) for index in selected.tolist()]
        return np.repeat(selected, [len(p) for _, p in found]), np.array([x for _, p in found for x in p], np.int64)
    data, starts, ends = spans
    return spans_positions(data, selected, starts, ends)


def value_spans(values: Any, count: int, selected: Any) -> tuple[bytes, Any, Any] | None:
    """Where the selected postings' values lie in a block's values (packed or of one size): the bytes, and each
    one's start and end in them; None for Whoosh's own blocks."""
    if isinstance(values, PackedValues):
        bounds = values.bounds if values.bounds is not None else values.unpack()
        return values.data, bounds[selected], bounds[selected + 1]
    if isinstance(values, bytes) and count:  # values of one size, joined
        size = len(values) // count
        return values, selected * size, selected * size + size
    return None


def spans_positions(data: bytes, owners: Any, starts: Any, ends: Any) -> tuple[Any, Any]:
    """The positions in CompactPositions values data[start:end]: each value's owner (a posting's index, or its
    docnum) repeated once a position, and the positions, each value's ascending (values whose gaps all fit in a
    byte first, then the wide ones). Each kind is decoded together in numpy, however many blocks data joins."""
    raw = np.frombuffer(data, np.uint8)
    wide = (ends > starts) & (raw[np.minimum(starts, max(len(raw) - 1, 0))] == WIDE) if len(raw) else ends < starts
    narrow = ~wide
    found, positions = running_gaps(raw, owners[narrow], starts[narrow], ends[narrow], 1)
    if wide.any():  # after the WIDE mark, 4-byte gaps (a word more than 254 words after its last place)
        wide_found, wide_positions = running_gaps(raw, owners[wide], starts[wide] + 1, ends[wide], 4)
        found, positions = np.concatenate([found, wide_found]), np.concatenate([positions, wide_positions])
    return found, positions


def running_gaps(raw: Any, owners: Any, starts: Any, ends: Any, width: int) -> tuple[Any, Any]:
    """The positions in raw[start:end] for each owner, stored as gaps of `width` bytes (little-endian): each owner
    repeated once a position, and the positions. The gaps of all the values are gathered and summed in one running
    total, less the total where each value starts."""
    lengths = (ends - starts) // width
    byte_lengths = lengths * width
    ends_in_gather = np.cumsum(byte_lengths)
    total = int(ends_in_gather[-1]) if len(byte_lengths) else 0
    gather = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends_in_gather - byte_lengths), byte_lengths)
    gaps = raw[gather] if width == 1 else raw[gather].view("<u4")
    running = np.cumsum(gaps, dtype=np.int64)
    before = np.concatenate([[0], running])[np.cumsum(lengths) - lengths]  # the running total where each value starts
    return np.repeat(owners, lengths), running - np.repeat(before, lengths)
