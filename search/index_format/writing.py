"""Writing a segment: Whoosh's SegmentWriter with each term's postings gathered in memory and written at once.

Whoosh's writer puts every posting into a pool as a tuple, sorts the pool and hands the postings one by one
to the codec; in a large build that was a third of the writer's time. Here each term keeps its own lists, and
the compact codec writes a term's list in blocks. The segment's files are the same.
"""

from __future__ import annotations

import io
import struct
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.filedb.structfile import StructFile
from whoosh.index import TOC
from whoosh.reading import SegmentReader
from whoosh.writing import MERGE_SMALL, SegmentWriter

from . import remove_old_files, sync_file
from .codec import FieldLengths
from .segments import posting_blocks

Posting = tuple[bytes, int, float, bytes]  # term, frequency, weight, encoded value: what a field's index() gives
# Postings a writer holds in memory (16 bytes each and their positions, see FieldPostings) before it writes them
# out as a finished segment and goes on in a new one: cpp-docs has 1.8 million per worker process.
MAX_POSTINGS_IN_MEMORY = 4_000_000
# Segments of fewer sections are merged into the next commit's new segment. A query looks each word up in every
# segment, so each small update's own segment slowed every rust-blog query by ~5 %; merging one costs ~0.4 ms a
# section.
SMALL_SEGMENT_SECTIONS = 100
# At most this many segments after a commit: each incremental run of more than SMALL_SEGMENT_SECTIONS sections
# added one that Whoosh's MERGE_SMALL never merged (9 segments after 8 runs of 75 changed rust-blog posts, each an
# open file of every server process and a look-up of every query word); past it the smallest are merged.
MAX_SEGMENTS = 6
# A segment whose sections are more than this share deleted is written again without them (Lucene's
# TieredMergePolicy does the same from 20 %): each incremental run deletes the old sections of the posts it
# updates, and a segment never merged kept them, so every later run and query read more of them (rust-blog, 75
# posts changed a run: 1.0 s for the first run, 2.1 s for the 25th, the index from 12 to 28 MB).
MAX_DELETED_SHARE = 0.3


def merge_small_segments(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
    """A merge policy: the segments of fewer than SMALL_SEGMENT_SECTIONS sections (deleted ones counted) and those
    more than MAX_DELETED_SHARE deleted go into the writer's new segment, so a site updated a post at a time keeps
    at most one, and so do the smallest others while there would be more than MAX_SEGMENTS; then Whoosh's
    MERGE_SMALL."""
    kept = [segment for segment in segments if segment.doc_count_all() >= SMALL_SEGMENT_SECTIONS
            and segment.deleted_count() <= MAX_DELETED_SHARE * segment.doc_count_all()]
    by_size = sorted(kept, key=lambda segment: segment.doc_count_all())
    excess = max(0, len(kept) + 1 - MAX_SEGMENTS)  # the writer's new segment counts too
    merged = [segment for segment in segments if segment not in kept] + by_size[:excess]
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        try:
            writer.add_reader(reader)
        finally:
            reader.close()
    return MERGE_SMALL(writer, by_size[excess:])


class FieldPostings:
    """One field's postings while its segment is written, in parallel arrays in the order they were added (a
    posting's term number, docnum, weight and where its value ends in one buffer): a few objects per term took
    ~700 bytes a term, ~75 MB of a cpp-docs worker's 185 MB peak (112,000 terms, 1.8 million postings)."""

    def __init__(self) -> None:
        self.numbers: dict[bytes, int] = {}  # each term's number, in the order first seen
        self.terms, self.docnums, self.ends = array("I"), array("I"), array("I")
        self.weights = array("f")
        self.values = bytearray()

    def add(self, docnum: int, postings: list[Posting]) -> int:
        """One document's postings, as the field's index() gives them; returns the field's length."""
        numbers, add_term, add_end, values = self.numbers, self.terms.append, self.ends.append, self.values
        length = 0
        for btext, frequency, _, value in postings:
            length += frequency
            number = numbers.get(btext)
            if number is None:
                number = numbers[btext] = len(numbers)
            add_term(number)
            if value:
                values += value
            add_end(len(values))
        self.docnums.extend([docnum] * len(postings))
        self.weights.extend([weight for _, _, weight, _ in postings])
        return length

    def add_block(self, btext: bytes, docnums: Any, weights: Any, values: list[Any]) -> None:
        """A block of one term's postings (numpy docnums and weights, value strings or None)."""
        number = self.numbers.setdefault(btext, len(self.numbers))
        self.terms.frombytes(np.full(len(docnums), number, dtype=np.uint32).tobytes())
        self.docnums.frombytes(np.asarray(docnums, dtype=np.uint32).tobytes())
        self.weights.frombytes(np.asarray(weights, dtype=np.float32).tobytes())
        lengths = np.array([len(value) if value else 0 for value in values], dtype=np.int64)
        self.ends.frombytes((len(self.values) + np.cumsum(lengths)).astype(np.uint32).tobytes())
        self.values += b"".join(value for value in values if value)

    def by_term(self) -> Iterator[tuple[bytes, list[int], list[float], list[bytes]]]:
        """Each term's docnums, weights and values, in the order they were added, terms in sorted order; the
        arrays are let go as they are sorted (the field is empty after)."""
        terms = np.frombuffer(self.terms, dtype=np.uint32)
        order = np.argsort(terms, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(terms, minlength=len(self.numbers)))])
        del terms
        self.terms = array("I")
        docnums = np.frombuffer(self.docnums, np.uint32)[order]
        self.docnums = array("I")
        weights = np.frombuffer(self.weights, np.float32)[order]
        self.weights = array("f")
        blob, offsets = self.sorted_values(order)
        del order
        self.ends, self.values = array("I"), bytearray()
        numbers, self.numbers = self.numbers, {}
        bounds = starts.tolist()
        for btext in sorted(numbers):
            first, last = bounds[numbers[btext]], bounds[numbers[btext] + 1]
            ends = offsets[first : last + 1].tolist()
            values = [blob[start:end] for start, end in zip(ends, ends[1:])]
            yield btext, docnums[first:last].tolist(), weights[first:last].tolist(), values

    def sorted_values(self, order: Any, chunk: int = 1 << 16) -> tuple[bytes, Any]:
        """The values joined in the given order, and where each starts (one more: the end); gathered
        in chunks of about 64 KB (the index arrays take 24 bytes a byte: chunks of 1 MB added 38 MB to a build)."""
        ends = np.frombuffer(self.ends, dtype=np.uint32)
        lengths = np.diff(ends, prepend=np.uint32(0))[order]
        offsets = np.zeros(len(order) + 1, dtype=np.uint32)
        np.cumsum(lengths, out=offsets[1:])
        data, parts, begin = np.frombuffer(self.values, dtype=np.uint8), [], 0
        while begin < len(order):
            end = min(len(order), max(begin + 1, int(np.searchsorted(offsets, offsets[begin] + chunk))))
            sizes = lengths[begin:end].astype(np.int64)
            sources = ends[order[begin:end]].astype(np.int64) - sizes  # where each value starts in data
            within = offsets[begin:end].astype(np.int64) - int(offsets[begin])  # and where it goes in this chunk
            gather = np.arange(int(sizes.sum()), dtype=np.int64) + np.repeat(sources - within, sizes)
            parts.append(data[gather].tobytes())
            begin = end
        del data, ends
        return b"".join(parts), offsets


class MemoryPostings:
    """A segment's postings by field (see FieldPostings); also takes Whoosh's pool tuples (merges add postings
    that way)."""

    def __init__(self) -> None:
        self.fields: dict[str, FieldPostings] = {}
        self.count = 0

    def field(self, fieldname: str) -> FieldPostings:
        """The postings of one field, created when first used."""
        table = self.fields.get(fieldname)
        if table is None:
            table = self.fields[fieldname] = FieldPostings()
        return table

    def add_document_postings(self, fieldname: str, docnum: int, postings: list[Posting]) -> int:
        """One document's postings in a field, as the field's index() gives them; returns the field's length."""
        self.count += len(postings)
        return self.field(fieldname).add(docnum, postings)

    def add(self, item: tuple[str, bytes, int, float, bytes]) -> None:
        """One posting, as Whoosh's PostingPool takes it."""
        fieldname, btext, docnum, weight, value = item
        self.add_document_postings(fieldname, docnum, [(btext, 1, weight, value)])

    def add_segment(self, reader: Any, new_numbers: Any) -> None:
        """Every posting of a Whoosh segment reader of this format, a block at a time, its documents renumbered by
        new_numbers (-1: deleted, left out). Whoosh's add_postings_to_pool takes four Python calls a posting: a
        merge of rust-blog's first segment (3,000 sections, 340,000 postings) took 5.3 s of a 12 s run."""
        terms = reader._terms
        names = {struct.pack("!H", number): name for name, number in terms._fieldmap.items()}
        for key, entry in terms._tindex.items():
            fieldname = names.get(key[:2])
            if fieldname is None or fieldname not in reader.schema:
                continue
            for ids, weights, values in posting_blocks(terms._postfile, entry):
                numbers = new_numbers[ids]
                kept = numbers >= 0
                count = int(np.count_nonzero(kept))
                if not count:
                    continue
                found = block_values(values, len(ids))
                found = found if count == len(ids) else [found[i] for i in np.flatnonzero(kept).tolist()]
                self.field(fieldname).add_block(key[2:], numbers[kept], weights[kept], found)
                self.count += count

    def cleanup(self) -> None:
        self.fields.clear()
        self.count = 0


def block_values(values: Any, count: int) -> list[Any]:
    """A decoded block's values as a list of strings (None each where the block holds none)."""
    if values is None:
        return [None] * count
    if isinstance(values, bytes):  # fixed-size values, joined
        size = len(values) // count
        return [values[i * size : (i + 1) * size] for i in range(count)]
    return list(values)


class SectionWriter(SegmentWriter):
    """A SegmentWriter for postsearch's schema (no vectors, no spelling fields, no per-document boosts) that
    keeps postings in MemoryPostings and writes each term's list at once with the compact codec.

    schema: the schema to write and commit, when it is not the index's (a full build in another language).
    max_postings: postings held in memory before they are written out as a segment of their own (when the next
    post starts: a post's sections stay in one segment)."""

    is_closed: bool  # Whoosh's, set by SegmentWriter.__init__

    def __init__(self, index: Any, schema: Any = None, max_postings: int | None = None, **kwargs: Any) -> None:
        super().__init__(index, **kwargs)
        if schema is not None:
            self.schema = schema
        self.schema_fields = dict(self.schema.items())  # Whoosh's Schema looks a name up through a method call
        self.pool = MemoryPostings()
        self.max_postings = max_postings or MAX_POSTINGS_IN_MEMORY
        # Finished segments committed with this writer's: written by other processes, or by this one when its
        # postings outgrew memory.
        self.segments_written: list[Any] = []
        # Each field's last value and its postings: a post's sections share its title, path, tags and date.
        self.last_indexed: dict[str, tuple[Any, list[Posting]]] = {}

    def finish_segments(self) -> list[Any]:
        """In a worker process: close this writer's segments for the parent to commit (none when it wrote
        nothing). The parent's commit removes the temporary folder all the writers share."""
        if not self._added:
            self._close_segment()
            return self.segments_written
        return self.segments_written + [self._finalize_segment()]

    def start_new_segment(self) -> None:
        """Write the postings gathered so far as a finished segment and go on in a new one."""
        self.segments_written.append(self._finalize_segment())
        codec, storage = self.codec, self.storage
        self.newsegment = codec.new_segment(storage, self.indexname)
        self.compound = self.newsegment.should_assemble()
        self.perdocwriter = codec.per_document_writer(storage, self.newsegment)
        self.fieldwriter = codec.field_writer(storage, self.newsegment)
        self.docnum = self.docbase
        self._added = False

    def commit(self, mergetype: Any = None, optimize: bool | None = None, merge: bool | None = None) -> None:
        """Whoosh's commit, with the segments other processes wrote in the same table of contents."""
        self._check_state()
        segments = self._merge_segments(mergetype, optimize, merge) + self.segments_written
        if self._added and self.docnum > self.docbase:  # merged segments may have held deleted sections only
            segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(segments)
        self._finish()

    def cancel(self) -> None:
        """Drop what this writer wrote, free its files and release the write lock. (Whoosh's cancel first writes
        out the new segment, which on a full disk raised and kept the lock: every later run in the process found
        the index busy, and the segment's open files kept the disk full.)"""
        self._check_state()
        self.close_files_quietly()
        try:
            self._finish()  # its temporary folder removed, the lock released
        finally:
            if self.writelock and not self.is_closed:
                self.writelock.release()
                self.is_closed = True

    def close_files_quietly(self) -> None:
        """Close the new segment's files after a failed write, so that the disk space they hold is freed (Whoosh's
        writers raise in close() before closing their files when a write fails)."""
        for writer in (self.perdocwriter, self.fieldwriter):
            try:
                writer.close()
            except Exception:  # noqa: BLE001 (Whoosh raises a bare Exception for a file closed twice)
                close_open_files(writer)


    def _commit_toc(self, segments: list[Any]) -> None:
        """Whoosh's commit of a table of contents, made durable: Whoosh never calls fsync, so after a power cut
        a table of contents could point at segment data still in the page cache. The segment files and the
        folder are synced before the table of contents is written, and it after."""
        folder = Path(self.storage.folder)
        for segment in segments:
            sync_file(folder / segment.make_filename(segment.COMPOUND_EXT))
        sync_file(folder)
        TOC(self.schema, segments, self.generation).write(self.storage, self.indexname)
        remove_old_files(folder, self.generation, segments)  # Whoosh's clean_files deleted names it did not make
        sync_file(folder / f"_{self.indexname}_{self.generation}.toc")
        sync_file(folder)

    def add_document(self, **fields: Any) -> None:
        if "post" in fields and self.pool.count >= self.max_postings:
            # a new segment only where a post starts: its sections stay together, the first holding its record (a
            # post cut in two could have its later sections first in docnum order, and its record unfound)
            self.start_new_segment()
        self._check_state()
        schema, perdoc, docnum = self.schema_fields, self.perdocwriter, self.docnum
        names = sorted(fields)
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is not None:
                    self.add_field_value(perdoc, schema[name], name, value, docnum)
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def add_field_value(self, perdoc: Any, field: Any, name: str, value: Any, docnum: int) -> None:
        """Index, store and column one field of a document."""
        length = 0
        if field.indexed:
            last = self.last_indexed.get(name)
            if last is not None and last[0] is value:
                postings = last[1]
            else:
                postings = list(field.index(value))
                self.last_indexed[name] = (value, postings)
            length = self.pool.add_document_postings(name, docnum, postings)
            if not field.scorable:
                length = 0
        perdoc.add_field(name, field, value if field.stored else None, length)
        if field.column_type:
            perdoc.add_column_value(name, field.column_type, field.to_column_value(value))

    def add_postings_to_pool(self, reader: Any, startdoc: int, docmap: dict[int, int] | None) -> None:
        """Whoosh's, a block of postings at a time (see MemoryPostings.add_segment); other readers as Whoosh does."""
        if not isinstance(reader, SegmentReader) or not hasattr(reader._terms, "_tindex"):
            super().add_postings_to_pool(reader, startdoc, docmap)
            return
        size = reader.doc_count_all()
        if docmap is None:
            new_numbers = np.arange(startdoc, startdoc + size, dtype=np.int64)
        else:
            new_numbers = np.full(size, -1, dtype=np.int64)
            new_numbers[np.fromiter(docmap.keys(), np.int64, len(docmap))] = np.fromiter(docmap.values(), np.int64, len(docmap))
        self.pool.add_segment(reader, new_numbers)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        perdoc = self.per_document_reader()
        try:
            lengths = FieldLengths(perdoc)
            fieldwriter = self.fieldwriter
            for name in sorted(self.pool.fields):
                fieldwriter.start_field(name, self.schema[name])
                field_lengths = lengths.field(name)
                for btext, docnums, weights, values in self.pool.fields[name].by_term():
                    fieldwriter.write_term(btext, docnums, weights, values, [field_lengths[d] for d in docnums])
                fieldwriter.finish_field()
            fieldwriter.close()
        finally:
            perdoc.close()


def close_quietly(file: Any) -> None:
    """Close a file; when flushing it fails, close what it wraps (the operating system's file) anyway."""
    try:
        file.close()
    except Exception:  # noqa: BLE001 (as above)
        inner = getattr(file, "file", None)
        if inner is not None:
            try:
                inner.close()
            except (OSError, ValueError):
                pass


def close_open_files(owner: Any, depth: int = 3) -> None:
    """Close every open file an object holds, directly or through its attributes (a few levels down)."""
    for value in list(vars(owner).values()) if hasattr(owner, "__dict__") else []:
        if isinstance(value, (io.IOBase, StructFile)):
            close_quietly(value)
        elif depth and hasattr(value, "__dict__") and not isinstance(value, type):
            close_open_files(value, depth - 1)
