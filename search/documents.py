"""Post files -> section documents for the index (runs in worker processes during big builds)."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .analysis import title_key
from .config import Settings
from .datetimes import local_naive
from .errors import PostError
from .files import within
from .index_format.schema import UNDATED, post_record
from .languages import language_marker
from .manifest import FileRecord, file_digest
from .posts import Post, read_post
from .sections import Section, Sectioner
from .sites import Site

EPOCH = datetime(1970, 1, 1)
# Bounds on one post, so that no file can hold up a run: the largest post of the corpora in ../shared is under
# 1 MB; a 50 MB file took 18 s and 1.1 GB to index. A post over the size is skipped with its size; a post that
# takes longer than the time (in a process's main thread, where a timer can interrupt it) is skipped too.
MAX_POST_BYTES = 8 * 1024 * 1024
POST_SECONDS = 20.0
MAX_STORED_CHARS = 2 * MAX_POST_BYTES  # text stored for one post's sections (what results can send back)
STORED_TEXT = ("title", "heading", "heading_path", "body", "code", "tags", "categories", "author")


@dataclass(frozen=True)
class ParsedFile:
    """One post file after reading: its section documents, or why it was skipped."""

    relpath: str
    record: FileRecord
    documents: tuple[dict[str, Any], ...] = ()
    error: str = ""
    draft: bool = False
    lang: str = ""  # the post's language, when it was read
    warnings: tuple[str, ...] = ()  # what of the post was ignored (see Post.warnings)


def post_key(relpath: str) -> int:
    """A signed 64-bit number standing for the post, for grouping sections without reading stored fields."""
    return int.from_bytes(hashlib.blake2b(relpath.encode(), digest_size=8).digest(), "little", signed=True)


def section_documents(post: Post, sections: Iterable[Section], site_lang: str = "en") -> tuple[dict[str, Any], ...]:
    """The Whoosh documents for a post's sections; text in another language than the site's is marked as such."""
    mark = language_marker(post.lang, site_lang)
    shared = {
        "path": post.relpath,
        "post_key": post_key(post.relpath),
        "title_exact": title_key(post.title),
        "title": mark + post.title,
        "tags": ",".join(post.tags),
        "categories": ",".join(post.categories),
        "author": ", ".join(post.authors),
        "lang": post.lang or "",
    }
    when = local_naive(post.date)
    shared["date_order"] = int((when - EPOCH).total_seconds()) if when else UNDATED
    if when is not None:
        shared["date"] = when
    documents: list[dict[str, Any]] = []
    for section in sections:
        first = {"post": post_fields(post, when)} if not documents else {}
        body = section.text
        if section.position == 0 and post.description and post.description not in body:
            body = f"{post.description}\n{body}".strip()
        exact_heading = {"heading_exact": title_key(section.heading)} if section.heading else {}
        documents.append(
            {
                **shared,
                **first,
                **exact_heading,
                "heading": mark + section.heading if section.heading else "",
                "heading_path": " > ".join(section.path),
                "anchor": section.anchor,
                "body": mark + single_spaced(body) if body else "",
                "code": single_spaced(section.code),
                "position": section.position,
            }
        )
    return tuple(documents)


def post_fields(post: Post, when: datetime | None) -> dict[str, Any]:
    """What a search result shows of its post, the date as ISO text: stored once, with the post's first section
    (a post's sections are written one after another and deleted together, so its first live section always
    holds them)."""
    return post_record(
        post.relpath, post.url, post.title, iso_date(when), tuple(post.tags), tuple(post.categories), tuple(post.authors)
    )


def iso_date(value: datetime | None) -> str | None:
    """ISO date, with the time only when it is not midnight."""
    if value is None:
        return None
    return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()


def single_spaced(text: str) -> str:
    """Text with each run of whitespace made one space, as snippets show it (stored so: no snippet redoes it)."""
    return " ".join(text.split())


def parse_one(
    sectioner: Sectioner, site: Site, settings: Settings, path: str, relpath: str, mtime_ns: int, size: int, digest: str
) -> ParsedFile:
    """Read (once: the bytes are hashed and parsed) and split one file; never raises for a bad post."""
    if not settings.follow_links and not within(os.path.realpath(path), os.path.realpath(site.root)):
        reason = "A link to a file outside the posts folder: not followed (--follow-links indexes it)."
        return ParsedFile(relpath, FileRecord(mtime_ns, size, digest, 0, False), error=reason)
    if size > MAX_POST_BYTES:
        reason = f"The file is {size / 1048576:.1f} MB; posts over {MAX_POST_BYTES // 1048576} MB are skipped."
        return ParsedFile(relpath, FileRecord(mtime_ns, size, digest, 0, False), error=reason)
    try:
        data: bytes | None = Path(path).read_bytes()
    except OSError:
        data = None  # read_post tries again and reports why
    digest = digest or (file_digest(data) if data is not None else "")
    not_indexed = FileRecord(mtime_ns, size, digest, 0, False)
    try:
        with time_limit(POST_SECONDS):
            post = read_post(Path(path), Path(site.root), settings, data, site)
            if (post.draft and not settings.drafts) or not post.url:  # no url: the site makes no page of the file
                return ParsedFile(relpath, not_indexed, draft=True)
            documents = section_documents(post, sectioner.split(post), settings.lang)
            check_stored_size(documents)
    except PostTimeout:  # the renderer starts afresh with the next post (render() resets it)
        return ParsedFile(relpath, not_indexed, error=f"Reading the post took over {POST_SECONDS:g} s; it is skipped.")
    except PostError as error:
        return ParsedFile(relpath, not_indexed, error=error.reason)
    except Exception as error:  # a renderer crash on one post must not stop the run
        return ParsedFile(relpath, not_indexed, error=f"{type(error).__name__}: {error}")
    record = FileRecord(mtime_ns, size, digest, len(documents), True)
    return ParsedFile(relpath, record, documents, lang=post.lang or "", warnings=post.warnings)


def check_stored_size(documents: tuple[dict[str, Any], ...]) -> None:
    """Raise PostError when a post's sections would store more text than MAX_STORED_CHARS."""
    stored = sum(len(document[name]) for document in documents for name in STORED_TEXT if name in document)
    if stored > MAX_STORED_CHARS:
        raise PostError("", f"The post's text is {stored:,} characters once read; posts over {MAX_STORED_CHARS:,} are skipped.")


class PostTimeout(Exception):
    """A post took longer than its time to read and split."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise PostTimeout in the block after `seconds` (a real-time timer: only in a process's main thread, where
    signals arrive; elsewhere the block runs unbounded)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise PostTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
