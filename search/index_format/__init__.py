"""The index on disk: everything that reads or writes its bytes lives in this package.

An index folder holds Whoosh's files (W3 format, one compound `.seg` file a segment, a `_MAIN_<n>.toc` table of
contents a generation), `postsearch.json` (the manifest: settings and what was read from each post file),
`postsearch-state.json` (what a query needs of it) and `postsearch-posts-<n>.npy` (per-post arrays, posts.py).

Inside a segment (codec.py):
- the term dictionary is W3's hash file keyed by field number + term, hashed with CRC-32; a term's info holds its
  posting list inline (pickled) when it has up to four postings, else where its list is in the postings file;
- a posting list is blocks of up to 1,024 postings; a block is W3's signed length and pickled info tuple, then
  its docnums (first docnum, gaps at the narrowest of 1, 2 or 4 bytes), its weights (constant, a byte of
  frequency each, or floats) and, apart, its position lists (gaps a byte each, or 4 bytes after a 255 marker),
  read only for phrases and proximity;
- stored fields are a column of pickled dicts compressed with LZ4; a post's own fields (schema.post_record) sit
  in the `post` column of its first section; numeric columns (post key, date order, field lengths) are
  big-endian arrays read in one call.

The scorer gets numpy arrays from segments.SegmentData and posts.PostArrays; Whoosh's own matchers read the same
blocks through CompactLeafMatcher.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
from pathlib import Path
from typing import Any

from ..errors import IndexVersionMismatch

INDEX_NAME = "MAIN"
POSTS_FILE_PREFIX = "postsearch-posts-"  # + generation + .npy: see posts.py
# The names the writer itself makes (Whoosh's random names: 16 or 28 of [0-9a-z]); only these are ever deleted,
# whatever else a user keeps in the folder (Whoosh's own clean-up deleted MAIN_x.seg, MAIN_dir.tmp/, ...)
OWN_TOC = re.compile(rf"^_{INDEX_NAME}_(\d+)\.toc$")
OWN_SEGMENT = re.compile(rf"^{INDEX_NAME}_[0-9a-z]{{16}}\.seg$")
OWN_TEMPORARY = re.compile(r"^[0-9a-z]{28}\.ctmp$")  # a compound segment being assembled
OWN_POSTS_FILE = re.compile(rf"^{POSTS_FILE_PREFIX}\d+\.npy(?:\.tmp)?$")
TEMPORARY_FOLDER = f"{INDEX_NAME}.tmp"  # Whoosh's temporary storage, holding segment parts only
OWN_TEMPORARY_PART = re.compile(rf"^{INDEX_NAME}_[0-9a-z]{{16}}\.\w+$")


def open_whoosh_index(index_dir: Path) -> Any:
    """Whoosh's index in the folder; IndexVersionMismatch when its table of contents cannot be read (it pickles
    class paths of this package: a table of contents written by another version may name what is gone)."""
    from whoosh import index as whoosh_index
    from whoosh.index import IndexError as WhooshIndexError

    try:
        return whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)
    except (AttributeError, ImportError, pickle.UnpicklingError, EOFError, TypeError, WhooshIndexError) as error:
        raise IndexVersionMismatch(
            index_dir, f"The index in {index_dir} cannot be read by this postsearch ({type(error).__name__}: {error})."
        ) from error


def create_whoosh_index(index_dir: Path, lang: str) -> Any:
    """A new, empty Whoosh index in the folder, with postsearch's schema for the site's language."""
    from whoosh import index as whoosh_index

    from .schema import build_schema

    return whoosh_index.create_in(str(index_dir), build_schema(lang), indexname=INDEX_NAME)


def segment_file_names(index: Any) -> list[str]:
    """The files of the segments of the index's newest generation, as its table of contents lists them."""
    return [segment.make_filename(segment.COMPOUND_EXT) for segment in index._segments()]


def sync_file(path: Path) -> None:
    """Flush a file, or a folder's entries, to the disk (fsync)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove_unfinished_files(index_dir: Path) -> None:
    """Delete what a run that failed (a full disk) or was killed left in the folder: segment files the newest
    table of contents does not list, and Whoosh's temporary files. Only a run holding the write lock may call it."""
    from whoosh import index as whoosh_index
    from whoosh.filedb.filestore import FileStorage

    storage = FileStorage(str(index_dir))
    generation = whoosh_index.TOC._latest_generation(storage, INDEX_NAME)
    if generation < 0:
        return
    segments = whoosh_index.TOC.read(storage, INDEX_NAME, generation).segments
    remove_old_files(index_dir, generation, segments)


def remove_old_files(index_dir: Path, generation: int, segments: list[Any]) -> None:
    """Delete the writer's own files that the generation does not use: older tables of contents, segments it
    does not list, temporary files. Files of any other name are left alone."""
    current = {segment.make_filename(segment.COMPOUND_EXT) for segment in segments}
    for name in os.listdir(index_dir):
        toc = OWN_TOC.match(name)
        if (toc and int(toc[1]) < generation) or (OWN_SEGMENT.match(name) and name not in current) or OWN_TEMPORARY.match(name):
            try:
                (index_dir / name).unlink()
            except OSError:  # a reader on a system that cannot delete open files: the next run tries again
                pass
    temporary = index_dir / TEMPORARY_FOLDER
    if temporary.is_dir() and not temporary.is_symlink() and all(map(OWN_TEMPORARY_PART.match, os.listdir(temporary))):
        shutil.rmtree(temporary, ignore_errors=True)
