"""SectionWriter writes the segment Whoosh's own writer writes from the same documents, merges included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import write
from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import SegmentWriter

from search.config import Settings
from search.documents import parse_one
from search.index_format.codec import CompactCodec
from search.index_format.posts import PostArrays
from search.index_format.schema import build_schema
from search.index_format.segments import open_segments
from search.index_format.writing import SectionWriter
from search.sections import Sectioner
from search.sites.plain import PlainSite


def section_documents(folder: Path) -> list[dict[str, Any]]:
    """The documents of 41 posts sharing words, tags and dates, with headings and code (the last post has no
    tags: its lengths column ends in default values)."""
    for n in range(41):
        tags = ", ".join(f"tag{t}" for t in range(n % 4))
        body = "\n\n".join(
            f"## Part {part}\n\nShared words and word{n} word{part} appear {'again ' * (n % 5)}here.\n\n"
            f"```\ncode_{n % 3} = {part}\n```"
            for part in range(1 + n % 6)
        )
        front = f"---\ntitle: Post {n % 7} title\ntags: [{tags}]\ndate: 2024-01-{1 + n % 28:02}\n---\n"
        write(folder, f"p{n:02}.md", f"{front}Intro {n}.\n\n{body}\n")
    return parsed_documents(folder)


def parsed_documents(folder: Path) -> list[dict[str, Any]]:
    """The section documents of every post in the folder, as the indexer parses them."""
    sectioner, settings = Sectioner(), Settings()
    documents = []
    for path in sorted(folder.glob("*.md")):
        stat = path.stat()
        parsed = parse_one(sectioner, PlainSite(str(folder)), settings, str(path), path.name, stat.st_mtime_ns, stat.st_size, "")
        documents.extend(parsed.documents)
    return documents


def build(
    folder: Path, documents: list[dict[str, Any]], writer_class: type, codec_class: type, blocklimit: int, commits: int,
    deleted: tuple[str, ...] = (), **options: Any,
) -> Any:
    """Write the documents in the given number of commits, then merge everything into one segment."""
    folder.mkdir()
    index = whoosh_index.create_in(str(folder), build_schema())
    size = -(-len(documents) // commits)
    for start in range(0, len(documents), size):
        writer = writer_class(index, codec=codec_class(blocklimit=blocklimit), **options)
        for document in documents[start : start + size]:
            writer.add_document(**document)
        writer.commit(mergetype=writing.NO_MERGE)
    if commits > 1:
        merger = writer_class(index, codec=codec_class(blocklimit=blocklimit))
        for path in deleted:  # merged, the other documents are numbered again
            merger.delete_by_term("path", path)
        merger.commit(optimize=True)  # merges: add_reader()
    return index


def contents(index: Any) -> dict[str, Any]:
    """Everything a search reads: terms with their postings, lengths, stored fields and columns."""
    with index.searcher() as searcher:
        reader = searcher.reader()
        assert reader.is_atomic()
        postings = {}
        for field, term in reader.all_terms():
            matcher = reader.postings(field, term)
            found = []
            while matcher.is_active():
                found.append((matcher.id(), round(matcher.weight(), 5), matcher.value() or b""))  # words only: no value
                matcher.next()
            info = reader.term_info(field, term)
            summary = (info.min_length(), info.max_length(), round(info.max_weight(), 5), round(info.weight(), 5))
            postings[(field, term)] = (reader.doc_frequency(field, term), found, summary, info.min_id(), info.max_id())
        docs = range(reader.doc_count_all())
        fields = reader.schema.names()
        return {
            "postings": postings,
            "lengths": [[reader.doc_field_length(d, f) for f in fields] for d in docs],
            "stored": [reader.stored_fields(d) for d in docs],
            "columns": {f: list(reader.column_reader(f)) for f in ("post_key", "date_order")},
        }


@pytest.mark.parametrize("blocklimit, commits, deleted", [(1024, 1, ()), (4, 1, ()), (4, 3, ()), (4, 3, ("p00.md", "p07.md", "p40.md"))])
def test_section_writer_writes_what_whoosh_writes(tmp_path: Path, blocklimit: int, commits: int, deleted: tuple[str, ...]) -> None:
    """Merges included: SectionWriter adds a merged segment's postings a block at a time, Whoosh one by one."""
    documents = section_documents(tmp_path / "posts")
    ours = contents(build(tmp_path / "ours", documents, SectionWriter, CompactCodec, blocklimit, commits, deleted=deleted))
    theirs = contents(build(tmp_path / "theirs", documents, SegmentWriter, W3Codec, blocklimit, commits, deleted=deleted))
    assert len(ours["stored"]) == len(documents) - sum(d["path"] in deleted for d in documents)
    kept = [d for d in documents if d["path"] not in deleted]
    assert ours["postings"][("body", b"share")][0] == sum("Shared" in d["body"] for d in kept) > 100
    assert ours == theirs


def test_segments_written_elsewhere_are_committed_with_the_writer(tmp_path: Path) -> None:
    """A worker's segments (finish_segments) go into the parent's commit beside the parent's own documents."""
    documents = section_documents(tmp_path / "posts")
    (tmp_path / "index").mkdir()
    index = whoosh_index.create_in(str(tmp_path / "index"), build_schema())
    parent = SectionWriter(index, codec=CompactCodec())
    worker = SectionWriter(index, _lk=False, codec=CompactCodec())
    for document in documents[:10]:
        worker.add_document(**document)
    empty_worker = SectionWriter(index, _lk=False, codec=CompactCodec())
    assert empty_worker.finish_segments() == []
    parent.segments_written.extend(worker.finish_segments())
    for document in documents[10:]:
        parent.add_document(**document)
    parent.commit()
    with index.searcher() as searcher:
        assert searcher.doc_count() == len(documents)
        assert sorted((f["anchor"], f["body"]) for f in searcher.all_stored_fields()) == sorted(
            (d["anchor"], d["body"]) for d in documents
        )


def test_a_writer_whose_postings_outgrow_memory_goes_on_in_new_segments(tmp_path: Path) -> None:
    """With room for 300 postings in memory the documents land in several segments, and merged they are what
    Whoosh's own writer writes."""
    documents = section_documents(tmp_path / "posts")
    index = build(tmp_path / "ours", documents, SectionWriter, CompactCodec, 1024, 1, max_postings=300)
    with index.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) > 5 and searcher.doc_count() == len(documents)
    SectionWriter(index, codec=CompactCodec()).commit(optimize=True)
    assert contents(index) == contents(build(tmp_path / "theirs", documents, SegmentWriter, W3Codec, 1024, 1))


def test_a_new_segment_starts_only_with_a_new_post(tmp_path: Path) -> None:
    """Segments cut for memory never cut a post in two: each post's sections are in one segment, and its first
    live section (by docnum) holds its record, as results and facets read it."""
    documents = section_documents(tmp_path / "posts")
    index = build(tmp_path / "ours", documents, SectionWriter, CompactCodec, 1024, 1, max_postings=300)
    with index.searcher() as searcher:
        segments = open_segments(searcher.reader())
        assert len(segments) > 5
        keys = [set(segment.post_keys.tolist()) for segment in segments]
        assert sum(map(len, keys)) == len(set().union(*keys)) == 41
        posts = PostArrays.compute(segments)
        for number in range(posts.count):
            first = int(posts.first_sections[number])
            segment = next(s for s in reversed(segments) if s.offset <= first)
            assert segment.posts[first - segment.offset] is not None


def long_documents(folder: Path) -> list[dict[str, Any]]:
    """Posts long enough that their positions outgrow the writer's 64 KB chunks of values, with words far apart
    (gaps over 255: positions written wide) and words in one post only."""
    for n in range(30):
        words = [f"w{(i * 7 + n) % 400}" for i in range(3000)] + ["rare", f"only{n}"]
        write(folder, f"long{n:02}.md", f"---\ntitle: Long {n}\n---\n" + "rare " + " ".join(words) + "\n")
    return parsed_documents(folder)


@pytest.mark.parametrize("commits", [1, 3])
def test_long_posts_are_written_as_whoosh_writes_them(tmp_path: Path, commits: int) -> None:
    """The postings' values (positions) are gathered in term order a chunk at a time: none lost or misplaced."""
    documents = long_documents(tmp_path / "posts")
    ours = contents(build(tmp_path / "ours", documents, SectionWriter, CompactCodec, 1024, commits))
    theirs = contents(build(tmp_path / "theirs", documents, SegmentWriter, W3Codec, 1024, commits))
    assert sum(len(value) for _, found, *_ in ours["postings"].values() for _, _, value in found) > 3 * 65536
    assert ours == theirs
