"""The compact posting format: Whoosh's searching and merging read what CompactCodec writes, in less space."""

from __future__ import annotations

import random
from array import array
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import COLUMN, ID, STORED, Schema
from whoosh.filedb.compound import CompoundStorage
from whoosh.query import Phrase

from search.index_format.codec import (
    CRC32_HASH,
    CompactCodec,
    CompactPositions,
    PackedValues,
    PickledColumn,
    TermTable,
    pack_postings,
    pack_values,
    unpack_postings,
)
from search.index_format.fields import ProseField
from search.index_format.segments import read_postings


@pytest.mark.parametrize(
    "positions", [[0], [7], [0, 1, 2], [3, 254, 508], [1, 300], [0, 70000, 70001], list(range(0, 5000, 3))]
)
def test_positions_round_trip(positions: list[int]) -> None:
    """Every position list decodes to itself, with its frequency, whether its gaps fit a byte or not."""
    fmt = CompactPositions(field_boost=1.5)
    value = fmt.encode(positions)
    assert fmt.decode_positions(value) == positions
    assert fmt.decode_frequency(value) == len(positions)
    assert fmt.decode_weight(value) == 1.5 * len(positions)


@pytest.mark.parametrize(
    "docnums, weights, boost",
    [
        ([0, 1, 2, 3, 200], [1.0] * 5, 1.0),  # gaps of a byte, every weight the same
        ([7, 300, 70_000, 70_001, 5_000_000], [1.5, 3.0, 1.5, 4.5, 15.0], 1.5),  # gaps of 2 and 4 bytes
        ([3, 4, 9, 12, 13], [0.6, 1.2, 1.8, 0.6, 153.0], 0.6),  # a boost whose multiples are inexact in float32
        ([1, 2, 3, 4, 5], [1.0, 2.0, 300.0, 1.0, 1.0], 1.0),  # a frequency over 255: weights kept as floats
        ([1, 2, 3, 4, 5], [0.25, 1.0, 2.0, 1.0, 1.0], 1.0),  # weights not multiples of the boost
    ],
)
def test_postings_round_trip(docnums: list[int], weights: list[float], boost: float) -> None:
    """Docnums and weights come back exactly as Whoosh keeps them (weights as float32), whatever the layout."""
    ids, decoded = unpack_postings(pack_postings(array("I", docnums), array("f", weights), boost), len(docnums))
    assert ids.tolist() == docnums
    assert decoded.tolist() == array("f", weights).tolist()


@pytest.mark.parametrize("values", [[b"\x01", b"\x02\x03", b"", b"x" * 40], [b"a", b"b" * 300, b"c"]])
def test_packed_values_give_back_each_value(values: list[bytes]) -> None:
    """Values packed with byte-wide or 4-byte lengths come back by index, slice and loop."""
    found = PackedValues(pack_values(values, None), len(values))
    assert list(found) == values and len(found) == len(values)
    assert found[-1] == values[-1] and found[1:3] == values[1:3]
    with pytest.raises(IndexError):
        found[len(values)]


def documents() -> list[dict[str, str]]:
    """300 documents: "common" everywhere at varying places (blocks big enough for Whoosh to compress), one rare term."""
    docs = []
    for n in range(300):
        words = ["filler"] * (n % 40) + ["common", "ground"] + ["word"] * (n % 7) + ["common"] * (n % 3)
        if n == 123:
            words.append("rare")
        docs.append({"key": str(n), "body": " ".join(words)})
    return docs


def write_index(folder: Path, codec: object, batches: int = 1) -> whoosh_index.Index:
    """Index documents() with the codec, in the given number of commits, and return the index."""
    folder.mkdir()
    index = whoosh_index.create_in(str(folder), Schema(key=ID(stored=True), body=ProseField("en")))
    docs = documents()
    size = len(docs) // batches
    for start in range(0, len(docs), size):
        writer = index.writer(codec=codec)
        for doc in docs[start : start + size]:
            writer.add_document(**doc)
        writer.commit(mergetype=writing.NO_MERGE)
    return index


def expected_positions(doc: dict[str, str], word: str) -> list[int]:
    return [i for i, w in enumerate(doc["body"].split()) if w == word]


@pytest.mark.parametrize("batches, blocklimit", [(1, 1024), (1, 64), (3, 64)])
def test_whoosh_reader_reads_compact_postings(tmp_path: Path, batches: int, blocklimit: int) -> None:
    """Postings, positions and phrase search through Whoosh's reader and matchers, with one block per term or
    many, also after segments are merged."""
    index = write_index(tmp_path / "compact", CompactCodec(blocklimit), batches)
    if batches > 1:
        writer = index.writer(codec=CompactCodec(blocklimit))
        writer.commit(optimize=True)  # merges every segment: postings pass through Whoosh's pool
    docs = documents()
    with index.searcher() as searcher:
        assert searcher.reader().is_atomic()
        seen = {}
        matcher = searcher.reader().postings("body", "common")
        while matcher.is_active():
            key = searcher.stored_fields(matcher.id())["key"]
            seen[key] = (matcher.value_as("positions"), matcher.weight())
            matcher.next()
        assert seen == {
            doc["key"]: (expected_positions(doc, "common"), float(len(expected_positions(doc, "common"))))
            for doc in docs
        }
        rare = searcher.search(Phrase("body", ["ground", "rare"]))
        assert [hit["key"] for hit in rare] == []
        phrase = searcher.search(Phrase("body", ["common", "ground"]), limit=None)
        assert len(phrase) == 300
        assert [hit["key"] for hit in searcher.search(Phrase("body", ["word", "rare"]))] == ["123"]


def test_compact_postings_take_less_space_than_whoosh_default(tmp_path: Path) -> None:
    """The same documents written by Whoosh's default codec take at least a third more posting bytes."""
    compact = write_index(tmp_path / "compact", CompactCodec())
    default = write_index(tmp_path / "default", W3Codec())

    def postings_bytes(index: whoosh_index.Index) -> int:
        segment = index._segments()[0]
        storage = CompoundStorage(index.storage.open_file(segment.make_filename(".seg")))
        return sum(storage.file_length(name) for name in storage.list() if name.endswith(".pst"))

    assert postings_bytes(compact) * 1.33 < postings_bytes(default)


@pytest.mark.parametrize(
    "codec", [CompactCodec(), CompactCodec(blocklimit=64), W3Codec()], ids=["compact", "compact-64", "whoosh"]
)
def test_read_postings_equals_whoosh_matcher(tmp_path: Path, codec: object) -> None:
    """The scorer's one-pass block decoder gives the docnums, weights and positions Whoosh's matcher gives, over
    many blocks, in either codec's blocks (Whoosh's compressed)."""
    index = write_index(tmp_path / "index", codec)
    with index.searcher() as searcher:
        reader = searcher.reader()
        decode = reader.schema["body"].format.decode_positions
        for word in ("common", "ground", "word", "filler", "rare"):
            ids, weights, blocks = read_postings(TermTable(reader._terms), "body", word)
            values = [value for _, _, block_values in blocks for value in block_values]
            matcher = reader.postings("body", word)
            expected = []
            while matcher.is_active():
                expected.append((matcher.id(), matcher.weight(), matcher.value_as("positions")))
                matcher.next()
            assert list(zip(ids.tolist(), weights.tolist(), map(decode, values))) == expected, word
        assert read_postings(TermTable(reader._terms), "body", "absent") is None


def test_term_table_finds_what_whoosh_finds(tmp_path: Path) -> None:
    """The term dictionary gives every term's info as Whoosh's does, and None for a term or field the segment
    lacks, whether it was read whole (a small one), is probed in memory or read through Whoosh."""
    index = write_index(tmp_path / "index", CompactCodec())
    with index.searcher() as searcher:
        reader = searcher.reader()
        terms = [(field, text.decode("utf-8")) for field, text in reader.all_terms()]
        assert len(terms) > 100
        table = TermTable(reader._terms)
        assert table.buffer is not None and table.loaded is not None
        assert table.table.hashtype == CRC32_HASH  # the compact codec's: Whoosh's own lookups below read it too
        for lookup in ("loaded", "probed", "whoosh"):
            if lookup == "probed":
                table.loaded = None  # as for a big segment
            if lookup == "whoosh":
                table.buffer = None  # as for a segment file Whoosh reads as a stream
            for field, text in terms:
                expected = reader._terms._tindex.get(reader._terms._keycoder(field, text.encode("utf-8")))
                assert table.info(field, text) == expected is not None, lookup
            assert table.info("body", "absent") is None
            assert table.info("no_such_field", "common") is None


def test_short_posting_lists_are_kept_in_the_term_info(tmp_path: Path) -> None:
    """A word in at most INLINE_POSTINGS documents needs no block of the postings file; Whoosh reads it (and
    merges it, see above) like any other list."""
    index = write_index(tmp_path / "index", CompactCodec())
    with index.searcher() as searcher:
        reader = searcher.reader()
        assert reader._terms.term_info("body", b"rare").is_inlined()
        assert not reader._terms.term_info("body", b"common").is_inlined()
        assert [searcher.stored_fields(d)["key"] for d in reader.postings("body", "rare").all_ids()] == ["123"]
        assert searcher.document_number(key="7") is not None  # an ID field's one-document list, inlined too


def test_stored_fields_come_back_as_written_and_compressed(tmp_path: Path) -> None:
    """Stored fields round-trip through the compact codec's column, also after a merge, and long text is kept
    compressed."""
    index = whoosh_index.create_in(str(tmp_path), Schema(key=ID(stored=True), extra=STORED()))
    written = [
        {"key": "long", "extra": {"text": "Grüße, naïve café. " * 1000, "when": datetime(2024, 2, 29, 12, 30)}},
        {"key": "short", "extra": ("a", 1, 2.5)},
        {"key": "bare"},
    ]
    for doc in written:  # one segment each, merged below
        writer = index.writer(codec=CompactCodec())
        writer.add_document(**doc)
        writer.commit(mergetype=writing.NO_MERGE)
    writer = index.writer(codec=CompactCodec())
    writer.commit(optimize=True)
    with index.searcher() as searcher:
        assert sorted(searcher.all_stored_fields(), key=lambda f: f["key"]) == sorted(written, key=lambda f: f["key"])
    segment = index._segments()[0]
    storage = CompoundStorage(index.storage.open_file(segment.make_filename(".seg")))
    assert sum(storage.file_length(name) for name in storage.list() if "_stored" in name) < 2000


def test_a_pickled_column_keeps_values_of_some_documents_through_a_merge(tmp_path: Path) -> None:
    """Documents given a value read it back, the others None, also when merging reads each document's value
    (None included) into the new segment."""
    index = whoosh_index.create_in(str(tmp_path), Schema(key=ID(stored=True), post=COLUMN(PickledColumn())))
    written = {"first": {"title": "Grüße", "tags": ("a",)}, "second": None, "third": {"date": "2024-02-29"}}
    for key, value in written.items():  # one segment each, merged below
        writer = index.writer(codec=CompactCodec())
        writer.add_document(key=key, **({"post": value} if value is not None else {}))
        writer.commit(mergetype=writing.NO_MERGE)
    writer = index.writer(codec=CompactCodec())
    writer.commit(optimize=True)
    with index.searcher() as searcher:
        reader = searcher.reader()
        assert reader.is_atomic()
        column = reader.column_reader("post")
        assert {reader.stored_fields(d)["key"]: column[d] for d in range(3)} == written


def test_a_mapped_stream_reads_as_a_bytesio_of_the_same_bytes_does(tmp_path: Path) -> None:
    """Seeks (from the start, the current position and the end), reads of any size, line reads and iteration
    give what a BytesIO of the file's bytes gives; the rest of the memory map is never read."""
    import io
    import mmap
    import random

    from search.index_format.codec import MappedStream

    rng = random.Random(5)
    data = bytes(rng.choice(b"ab\n") for _ in range(500))
    path = tmp_path / "blob"
    path.write_bytes(b"#" * 100 + data + b"#" * 100)  # the file sits between bytes of other files
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as source:
        mapped, reference = MappedStream(source, 100, len(data)), io.BytesIO(data)
        for _ in range(2000):
            action = rng.choice(["seek", "read", "readline", "tell"])
            if action == "seek":
                whence = rng.choice([0, 1, 2])
                offset = rng.randrange(0, 520) if whence == 0 else rng.randrange(-40, 40)
                if (whence == 1 and reference.tell() + offset < 0) or (whence == 2 and offset > 0):
                    continue
                assert mapped.seek(offset, whence) == reference.seek(offset, whence)
            elif action == "read":
                size = rng.choice([-1, None, 0, 1, 7, 600])
                assert mapped.read(size) == reference.read(size)
            elif action == "readline":
                size = rng.choice([-1, 3, 50])
                assert mapped.readline(size) == reference.readline(size)
            else:
                assert mapped.tell() == reference.tell()
        mapped.seek(450), reference.seek(450)
        assert list(mapped) == list(reference)


def test_an_opened_index_reads_its_files_from_the_memory_map(tmp_path: Path) -> None:
    """Segments written by the compact codec open their files in place: no file is copied into memory."""
    from search.index_format.codec import CompactSegment, MappedFile, MappedStream

    index = write_index(tmp_path / "compact", CompactCodec())
    segment = index._segments()[0]
    assert isinstance(segment, CompactSegment)
    storage = segment.open_compound_file(index.storage)
    try:
        opened = [storage.open_file(name) for name in storage.list()]
        assert opened and all(isinstance(f, MappedFile) and isinstance(f.file, MappedStream) for f in opened)
    finally:
        storage.close()


def test_block_positions_equal_decoding_each_value():
    """Positions of a block's chosen postings decoded together in numpy equal CompactPositions.decode_positions
    of each value: packed and fixed-size values, Whoosh's lists, and wide values (a gap of 255 or more)."""
    from search.index_format.codec import CompactPositions, PackedValues, block_positions, pack_values

    positions_format, rng = CompactPositions(), random.Random(1)
    for trial in range(400):
        count = rng.randint(1, 40)
        spread = 700 if trial % 5 == 0 else 200  # wide gaps in every fifth block
        lists = [sorted(rng.sample(range(spread), rng.randint(1, 6) if trial % 3 else 1)) for _ in range(count)]
        encoded = [positions_format.encode(p) for p in lists]
        fixed = len({len(e) for e in encoded}) == 1
        packed = pack_values(encoded, len(encoded[0]) if fixed else None)
        values = encoded if trial % 7 == 0 else packed if fixed else PackedValues(packed, count)
        chosen = np.array(sorted(rng.sample(range(count), rng.randint(1, count))), np.int64)
        which, found = block_positions(values, count, chosen, positions_format.decode_positions)
        got: dict[int, list[int]] = {}
        for posting, position in zip(which.tolist(), found.tolist()):
            got.setdefault(posting, []).append(position)
        assert got == {i: positions_format.decode_positions(encoded[i]) for i in chosen.tolist()}
