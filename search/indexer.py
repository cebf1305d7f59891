"""Write sections into the Whoosh index, incrementally: only changed posts are read again."""

from __future__ import annotations

import hashlib
from datetime import datetime
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .analysis import title_key
from .config import Settings
from .errors import IndexNotFound, PostError, PostsDirNotFound, PostsearchError
from .manifest import INDEX_NAME, FileRecord, Manifest, latest_generation, load_manifest, save_manifest
from .posts import Post, find_posts, read_post, local_naive
from .schema import SCHEMA_VERSION, UNDATED
from .sections import Section, Sectioner

PARALLEL_THRESHOLD = 200
EPOCH = datetime(1970, 1, 1)
CHUNK_SIZE = 40

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Failure:
    """A post that could not be indexed."""

    path: str
    error: str


@dataclass(frozen=True)
class IndexSummary:
    """What one index run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0
    sections: int = 0
    failed: tuple[Failure, ...] = ()
    rebuilt: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The summary as the JSON object `postsearch index --json` prints."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "skipped": self.skipped,
            "sections": self.sections,
            "failed": [{"path": f.path, "error": f.error} for f in self.failed],
        }


@dataclass(frozen=True)
class ParsedFile:
    """One post file after reading: its section documents, or why it was skipped."""

    relpath: str
    record: FileRecord
    documents: tuple[dict[str, Any], ...] = ()
    error: str = ""
    draft: bool = False


@dataclass
class Plan:
    """Which files a run must read, keep or delete."""

    to_read: dict[str, tuple[Path, os.stat_result, str]] = field(default_factory=dict)
    unchanged: dict[str, FileRecord] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)


def file_digest(data: bytes) -> str:
    """A short content hash."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def post_key(relpath: str) -> int:
    """A signed 64-bit number standing for the post, for grouping sections without reading stored fields."""
    return int.from_bytes(hashlib.blake2b(relpath.encode(), digest_size=8).digest(), "little", signed=True)


def section_documents(post: Post, sections: Iterable[Section]) -> tuple[dict[str, Any], ...]:
    """The Whoosh documents for a post's sections."""
    shared = {
        "path": post.relpath,
        "post_key": post_key(post.relpath),
        "title_exact": title_key(post.title),
        "post_url": post.url,
        "title": post.title,
        "tags": ",".join(post.tags),
        "categories": ",".join(post.categories),
        "author": ", ".join(post.authors),
        "lang": post.lang or "",
    }
    when = local_naive(post.date)
    shared["date_order"] = int((when - EPOCH).total_seconds()) if when else UNDATED
    if when is not None:
        shared["date"] = when
    documents = []
    for section in sections:
        body = section.text
        if section.position == 0 and post.description and post.description not in body:
            body = f"{post.description}\n{body}".strip()
        documents.append(
            {
                **shared,
                "key": f"{post.relpath}#{section.position}",
                "url": f"{post.url}#{section.anchor}" if section.anchor else post.url,
                "heading": section.heading,
                "heading_path": " > ".join(section.path),
                "anchor": section.anchor,
                "body": body,
                "code": section.code,
                "position": section.position,
            }
        )
    return tuple(documents)


def parse_chunk(jobs: list[tuple[str, str, int, int, str]], root: str, settings: Settings) -> list[ParsedFile]:
    """Read and split a batch of files (runs in a worker process)."""
    sectioner = Sectioner(settings.anchors)
    return [parse_one(sectioner, Path(root), settings, *job) for job in jobs]


def parse_one(
    sectioner: Sectioner, root: Path, settings: Settings, path: str, relpath: str, mtime_ns: int, size: int, digest: str
) -> ParsedFile:
    """Read and split one file; never raises for a bad post."""
    try:
        post = read_post(Path(path), root, settings)
        if post.draft and not settings.drafts:
            return ParsedFile(relpath, FileRecord(mtime_ns, size, digest, 0, False), draft=True)
        documents = section_documents(post, sectioner.split(post))
    except PostError as error:
        return ParsedFile(relpath, FileRecord(mtime_ns, size, digest, 0, False), error=error.reason)
    except Exception as error:  # a renderer crash on one post must not stop the run
        return ParsedFile(relpath, FileRecord(mtime_ns, size, digest, 0, False), error=f"{type(error).__name__}: {error}")
    return ParsedFile(relpath, FileRecord(mtime_ns, size, digest, len(documents), True), documents)


def parse_files(plan: Plan, root: Path, settings: Settings, progress: Progress | None) -> Iterator[ParsedFile]:
    """Parse the planned files, in a process pool when there are many."""
    jobs = [(str(path), rel, st.st_mtime_ns, st.st_size, digest) for rel, (path, st, digest) in plan.to_read.items()]
    chunks = [jobs[i : i + CHUNK_SIZE] for i in range(0, len(jobs), CHUNK_SIZE)]
    workers = min(os.cpu_count() or 1, 4)
    if len(jobs) < PARALLEL_THRESHOLD or workers < 2:
        results: Iterable[list[ParsedFile]] = (parse_chunk(chunk, str(root), settings) for chunk in chunks)
        yield from report(results, progress)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(parse_chunk, chunk, str(root), settings) for chunk in chunks]
        yield from report((future.result() for future in futures), progress)


def report(chunks: Iterable[list[ParsedFile]], progress: Progress | None) -> Iterator[ParsedFile]:
    """Yield parsed files, telling the progress callback after each batch."""
    for chunk in chunks:
        yield from chunk
        if progress:
            progress(len(chunk))


def plan_run(root: Path, manifest: Manifest | None, full: bool) -> Plan:
    """Compare the files on disk with the manifest: stat first, hash only when the stat changed."""
    plan = Plan()
    known = {} if manifest is None or full else manifest.files
    for path in find_posts(root):
        relpath = path.relative_to(root).as_posix()
        try:
            stat = path.stat()
            record = known.get(relpath)
            if record and record.mtime_ns == stat.st_mtime_ns and record.size == stat.st_size:
                plan.unchanged[relpath] = record
                continue
            digest = file_digest(path.read_bytes())
        except OSError:
            digest, stat = "", path.lstat() if path.is_symlink() else os.stat_result((0,) * 10)
        if record and digest and record.digest == digest:
            plan.unchanged[relpath] = FileRecord(stat.st_mtime_ns, stat.st_size, digest, record.sections, record.indexed)
        else:
            plan.to_read[relpath] = (path, stat, digest)
    old_files = manifest.files if manifest else {}
    plan.deleted = sorted(rel for rel in old_files if rel not in plan.to_read and rel not in plan.unchanged)
    return plan


def resolve_settings(manifest: Manifest | None, overrides: dict[str, Any]) -> Settings:
    """Explicit options win, then what the index was built with, then the defaults."""
    base = manifest.settings if manifest else Settings()
    return base.merged(**overrides)


def build_index(
    posts_dir: Path,
    index_dir: Path,
    rebuild: bool = False,
    progress_start: Callable[[int], Progress | None] | None = None,
    **overrides: Any,
) -> IndexSummary:
    """Index the posts folder into index_dir and return what changed."""
    posts_dir, index_dir = Path(posts_dir), Path(index_dir)
    if not posts_dir.is_dir():
        raise PostsDirNotFound(posts_dir, f"Posts folder {posts_dir} does not exist.")
    manifest = None if rebuild else load_manifest(index_dir, SCHEMA_VERSION)
    if rebuild:
        load_manifest_or_none(index_dir)
    settings = resolve_settings(manifest, overrides)
    stale = manifest is not None and (
        manifest.settings != settings or manifest.generation != latest_generation(index_dir)
    )
    full = rebuild or manifest is None or stale
    plan = plan_run(posts_dir, manifest, full)
    progress = progress_start(len(plan.to_read)) if progress_start and plan.to_read else None
    if not plan.to_read and not plan.deleted and not full:
        return IndexSummary(unchanged=len(plan.unchanged), sections=manifest.sections if manifest else 0)
    return write_changes(posts_dir, index_dir, manifest, plan, settings, full, progress)


def load_manifest_or_none(index_dir: Path) -> None:
    """Refuse to rebuild over a folder that is not an index; any version is fine."""
    from .errors import IndexVersionMismatch

    try:
        load_manifest(index_dir, SCHEMA_VERSION)
    except IndexVersionMismatch:
        pass


def parallel_writer_options(full: bool, files: int) -> dict[str, Any]:
    """For a large full build, one Whoosh sub-writer per core, each writing its own segment (one commit)."""
    cores = min(os.cpu_count() or 1, 4)
    if full and files >= PARALLEL_THRESHOLD and cores > 1:
        return {"procs": cores, "multisegment": True}
    return {}


def write_changes(
    posts_dir: Path,
    index_dir: Path,
    manifest: Manifest | None,
    plan: Plan,
    settings: Settings,
    full: bool,
    progress: Progress | None,
) -> IndexSummary:
    """Apply a plan to the Whoosh index in one commit, then record it in the manifest."""
    from whoosh import writing
    from whoosh.index import LockError

    old_files = manifest.files if manifest else {}
    files: dict[str, FileRecord] = {} if full else dict(plan.unchanged)
    counts = {"added": 0, "updated": 0, "skipped": 0}
    failures: list[Failure] = []
    index = open_for_writing(index_dir, fresh=full, lang=settings.lang)
    try:
        writer = index.writer(limitmb=128, **parallel_writer_options(full, len(plan.to_read)))
    except LockError as error:
        raise PostsearchError(f"Another 'postsearch index' is writing to {index_dir}; wait for it to finish.") from error
    try:
        if not full:
            for relpath in plan.deleted:
                writer.delete_by_term("path", relpath)
        for parsed in parse_files(plan, posts_dir, settings, progress):
            apply_parsed(writer, parsed, old_files, files, counts, failures, replace=not full)
        writer.commit(mergetype=writing.CLEAR if full else writing.MERGE_SMALL)
    except BaseException:
        writer.cancel()
        raise
    new_manifest = Manifest(SCHEMA_VERSION, settings, index.latest_generation(), posts_dir=str(posts_dir), files=files)
    save_manifest(index_dir, new_manifest)
    deleted = len(plan.deleted) if not full else len([r for r in old_files if r not in files])
    return IndexSummary(
        added=counts["added"],
        updated=counts["updated"],
        unchanged=0 if full else len(plan.unchanged),
        deleted=deleted,
        skipped=counts["skipped"],
        sections=new_manifest.sections,
        failed=tuple(failures),
        rebuilt=full,
    )


def apply_parsed(
    writer: Any,
    parsed: ParsedFile,
    old_files: dict[str, FileRecord],
    files: dict[str, FileRecord],
    counts: dict[str, int],
    failures: list[Failure],
    replace: bool,
) -> None:
    """Write one parsed file's documents; a failed post keeps its previous version."""
    previous = old_files.get(parsed.relpath)
    if parsed.error:
        failures.append(Failure(parsed.relpath, parsed.error))
        counts["skipped"] += 1
        if previous and previous.indexed and replace:
            files[parsed.relpath] = previous  # still indexed from before; retried next run
        return
    if replace and previous:
        writer.delete_by_term("path", parsed.relpath)
    files[parsed.relpath] = parsed.record
    if parsed.draft:
        counts["skipped"] += 1
        return
    for document in parsed.documents:
        writer.add_document(**document)
    counts["updated" if previous and previous.indexed else "added"] += 1


def open_for_writing(index_dir: Path, fresh: bool, lang: str):
    """The Whoosh index in index_dir, created when missing or when a full build needs another schema."""
    from whoosh import index as whoosh_index

    from .schema import build_schema

    index_dir.mkdir(parents=True, exist_ok=True)
    schema = build_schema(lang)
    if latest_generation(index_dir) < 0:
        return whoosh_index.create_in(str(index_dir), schema, indexname=INDEX_NAME)
    existing = whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)
    if fresh and existing.schema != schema:
        existing.close()
        return whoosh_index.create_in(str(index_dir), schema, indexname=INDEX_NAME)
    return existing
