"""Write sections into the Whoosh index, incrementally: only changed posts are read again."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import ConfigFile, Settings, load_config_file, resolve_settings, selected
from .errors import IndexVersionMismatch, IndexWriteError, MassDelete, PostsDirNotFound, shown
from .files import scan_posts
from .index_format.schema import SCHEMA_VERSION
from .languages import base_language
from .locking import WRITER_FILE, take_writer, wait_for_writer
from .manifest import (
    FileRecord,
    Manifest,
    file_digest,
    latest_generation,
    load_manifest,
    save_manifest,
    segment_files,
    segments_changed,
)
from .sites import Site, site_for
from .workers import Job, Progress, parse_in_workers, worker_count

if TYPE_CHECKING:
    from .documents import ParsedFile

PARALLEL_THRESHOLD = 200
MASS_DELETE_FLOOR = 5  # a run may always delete this many posts
CHUNK_SIZE = 40


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
    warnings: tuple[Failure, ...] = ()  # posts indexed with part of their front matter ignored, and why
    site: str = ""  # the generator found, e.g. "Jekyll site (_config.yml)"

    def to_dict(self) -> dict[str, Any]:
        """The summary as the JSON object `postsearch index --json` prints."""
        return {
            "site": self.site,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "skipped": self.skipped,
            "sections": self.sections,
            "failed": [{"path": f.path, "error": f.error} for f in self.failed],
            "warnings": [{"path": w.path, "warning": w.error} for w in self.warnings],
        }


@dataclass
class RunTally:
    """What a run has done so far: the files it records, its counts, its failures and warnings, the languages seen."""

    files: dict[str, FileRecord]
    failures: list[Failure]
    added: int = 0
    updated: int = 0
    skipped: int = 0
    warnings: list[Failure] = field(default_factory=list)
    languages: set[str] = field(default_factory=set)

    def apply(self, writer: Any, parsed: ParsedFile, previous: FileRecord | None, incremental: bool) -> None:
        """Write one parsed file's documents (replacing its previous version's in an incremental run) and count
        it; a failed post keeps its previous version."""
        self.warnings.extend(Failure(parsed.relpath, warning) for warning in parsed.warnings)
        if parsed.error:
            self.failures.append(Failure(parsed.relpath, parsed.error))
            self.skipped += 1
            if previous and previous.indexed and incremental:
                self.files[parsed.relpath] = previous  # still indexed from before; retried next run
            return
        if incremental and previous:
            writer.delete_by_term("path", parsed.relpath)
        self.files[parsed.relpath] = parsed.record
        if parsed.draft:
            self.skipped += 1
            return
        for document in parsed.documents:
            writer.add_document(**document)
        if previous and previous.indexed:
            self.updated += 1
        else:
            self.added += 1
        self.languages.add(base_language(parsed.lang))


@dataclass
class Plan:
    """Which files a run must read, keep or delete."""

    to_read: dict[str, tuple[Path, os.stat_result, str]] = field(default_factory=dict)
    unchanged: dict[str, FileRecord] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    unreadable: list[Failure] = field(default_factory=list)  # folders that could not be read, entries not posts

    def unchanged_counts(self) -> tuple[int, int]:
        """Unchanged files: posts still indexed, and those skipped (drafts, posts that failed to read)."""
        indexed = sum(1 for record in self.unchanged.values() if record.indexed)
        return indexed, len(self.unchanged) - indexed


def parse_serially(plan: Plan, site: Site, settings: Settings, progress: Progress | None) -> Iterator[ParsedFile]:
    """Parse the planned files in this process, a chunk at a time (one Markdown renderer for all)."""
    from .documents import parse_one
    from .sections import Sectioner

    sectioner = Sectioner(site.heading_id)
    for chunk in job_chunks(plan):
        parsed = [parse_one(sectioner, site, settings, *job) for job in chunk]
        yield from parsed
        if progress:
            progress(len(parsed))


def job_chunks(plan: Plan) -> list[list[Job]]:
    """The planned files as worker jobs, CHUNK_SIZE to a chunk."""
    jobs = [(str(path), rel, st.st_mtime_ns, st.st_size, digest) for rel, (path, st, digest) in plan.to_read.items()]
    return [jobs[i : i + CHUNK_SIZE] for i in range(0, len(jobs), CHUNK_SIZE)]


def plan_run(site: Site, settings: Settings, manifest: Manifest | None, full: bool) -> Plan:
    """Compare the site's files on disk (those the include and exclude globs keep) with the manifest: stat
    first, hash only when the stat changed."""
    plan = Plan()
    known = {} if manifest is None or full else manifest.files
    scan = scan_posts(Path(site.root), site, settings.follow_links)
    scan.files = [item for item in scan.files if selected(item[0], settings)]
    plan.unreadable = [Failure(path or ".", reason) for path, reason in scan.unreadable + scan.not_posts]
    for relpath, path, stat in scan.files:
        record = known.get(relpath)
        if record and record.mtime_ns == stat.st_mtime_ns and record.size == stat.st_size:
            plan.unchanged[relpath] = record
            continue
        digest = ""  # a new file is hashed by the worker that reads it anyway
        if record:  # touched, but maybe not changed
            try:
                with open(path, "rb") as file:
                    digest = file_digest(file.read())
            except OSError:
                pass  # unreadable: read_post will report why
        if record and digest and record.digest == digest:
            plan.unchanged[relpath] = FileRecord(stat.st_mtime_ns, stat.st_size, digest, record.sections, record.indexed)
        else:
            plan.to_read[relpath] = (Path(path), stat, digest)
    old_files = manifest.files if manifest else {}
    for relpath, record in old_files.items():
        if relpath not in plan.to_read and relpath not in plan.unchanged:
            if scan.under_unreadable(relpath):  # not seen, but not gone either: kept as it was
                plan.unchanged[relpath] = record
            else:
                plan.deleted.append(relpath)
    plan.deleted.sort()
    return plan


def build_index(
    posts_dir: Path,
    index_dir: Path,
    rebuild: bool = False,
    progress_start: Callable[[int], Progress | None] | None = None,
    workers: int | None = None,
    allow_mass_delete: bool = False,
    wait: float = 0,
    config: ConfigFile | None = None,
    **overrides: Any,
) -> IndexSummary:
    """Index the posts folder into index_dir and return what changed.

    A run that would delete more than half of the posts indexed (more than MASS_DELETE_FLOOR of them) raises
    MassDelete instead, unless allow_mass_delete: a posts folder given wrongly, or emptied by accident, must not
    empty the index.

    workers: processes that parse at once (default: one per core, at most four; see parse_in_workers); a run
    with fewer than PARALLEL_THRESHOLD files to read uses this process only.

    config: the config file's values (default: the postsearch.toml or pyproject.toml in posts_dir); overrides
    (drafts, url_pattern, anchors, lang, generator, base_url, include, exclude) win over it."""
    posts_dir, index_dir = Path(posts_dir), Path(index_dir)
    if not posts_dir.is_dir():
        raise PostsDirNotFound(posts_dir, f"Posts folder {posts_dir} does not exist.")
    if wait:
        wait_for_writer(index_dir, wait)  # then the plan starts from what that run committed
    if rebuild:
        refuse_foreign_folder(index_dir)
        manifest = None
    else:
        manifest = load_manifest(index_dir, SCHEMA_VERSION)
        if manifest is not None and segments_changed(index_dir, manifest):
            manifest, rebuild = None, True  # built again from the posts; the damaged files cannot answer anyway
    config = load_config_file(posts_dir) if config is None else config
    settings = resolve_settings(manifest.settings if manifest else None, config, **overrides)
    site = site_for(posts_dir, settings)
    settings = settings.merged(site=f"{site.name}:{site.fingerprint}")  # a changed site config: built again
    stale = manifest is not None and (
        manifest.settings != settings or manifest.generation != latest_generation(index_dir)
    )
    full = rebuild or manifest is None or stale
    plan = plan_run(site, settings, manifest, full)
    if manifest is not None and not allow_mass_delete:
        refuse_mass_delete(manifest, plan, posts_dir)
    progress = progress_start(len(plan.to_read)) if progress_start and plan.to_read else None
    if not plan.to_read and not plan.deleted and not full:
        sections = manifest.sections if manifest else 0
        indexed, skipped = plan.unchanged_counts()
        return IndexSummary(
            unchanged=indexed, skipped=skipped, sections=sections, failed=tuple(plan.unreadable), site=site.describe()
        )
    workers = worker_count() if workers is None else max(1, workers)
    try:
        summary = write_changes(site, index_dir, manifest, plan, settings, full, progress, workers, wait)
        return replace(summary, site=site.describe())
    except OSError as error:  # a read-only folder, a full disk: the previous index is left as it was
        reason = error.strerror or str(error)
        raise IndexWriteError(index_dir, f"Cannot write the index in {shown(index_dir)}: {reason}; the previous index is unchanged.") from error


def refuse_mass_delete(manifest: Manifest, plan: Plan, posts_dir: Path) -> None:
    """Raise MassDelete when the run would delete most of the indexed posts."""
    indexed = sum(1 for record in manifest.files.values() if record.indexed)
    gone = sum(1 for relpath in plan.deleted if manifest.files[relpath].indexed)
    if gone > MASS_DELETE_FLOOR and gone > indexed / 2:
        raise MassDelete(
            posts_dir,
            f"{gone} of the {indexed} posts in the index are not in {posts_dir} (the index was built from "
            f"{manifest.posts_dir}); nothing was changed. Pass the right posts folder, or --allow-mass-delete to "
            "delete them.",
        )


def refuse_foreign_folder(index_dir: Path) -> None:
    """Raise NotAnIndex for a folder that holds something else; an index of any version may be rebuilt."""
    try:
        load_manifest(index_dir, SCHEMA_VERSION)
    except IndexVersionMismatch:
        pass


def write_changes(
    site: Site,
    index_dir: Path,
    manifest: Manifest | None,
    plan: Plan,
    settings: Settings,
    full: bool,
    progress: Progress | None,
    workers: int,
    wait: float = 0,
) -> IndexSummary:
    """Apply a plan to the Whoosh index in one commit, then record it in the manifest."""
    from whoosh import writing

    from .index_format.codec import CompactCodec
    from .index_format.schema import build_schema
    from .index_format.writing import SectionWriter, merge_small_segments

    old_files = manifest.files if manifest else {}
    tally = RunTally({} if full else dict(plan.unchanged), list(plan.unreadable))
    index = open_for_writing(index_dir, settings.lang, full)
    remove_leftovers_when_free(index, index_dir)
    schema = build_schema(settings.lang, settings.weights)
    writer = take_writer(index_dir, lambda: SectionWriter(index, codec=CompactCodec(), schema=schema), wait)
    try:
        if not full:
            for relpath in plan.deleted:
                writer.delete_by_term("path", relpath)
        # Off the main thread no timer can stop a post (signals reach only the main thread), so posts are then
        # read in a worker process, whose main thread the per-post time limit does reach.
        off_main_thread = threading.current_thread() is not threading.main_thread()
        if plan.to_read and (off_main_thread or (workers > 1 and len(plan.to_read) >= PARALLEL_THRESHOLD)):
            processes = workers if len(plan.to_read) >= PARALLEL_THRESHOLD else 1
            parsed_files = parse_in_workers(job_chunks(plan), site, index_dir, settings, processes, progress, writer.segments_written)
        else:
            parsed_files = parse_serially(plan, site, settings, progress)
        with closing(parsed_files):  # type: ignore[type-var]  # a generator has close(): a failed write ends the workers
            for parsed in parsed_files:
                tally.apply(writer, parsed, old_files.get(parsed.relpath), incremental=not full)
        writer.commit(mergetype=writing.CLEAR if full else merge_small_segments)
    except BaseException:
        try:
            writer.cancel()
        finally:
            remove_leftovers(index_dir)
            (index_dir / WRITER_FILE).unlink(missing_ok=True)
        raise
    try:  # the run is not done until its manifest is saved: a run waiting for it (--wait) plans from that
        return record_run(index, index_dir, site, manifest, plan, settings, full, tally)
    finally:
        (index_dir / WRITER_FILE).unlink(missing_ok=True)


def record_run(
    index: Any, index_dir: Path, site: Site, manifest: Manifest | None, plan: Plan, settings: Settings, full: bool,
    tally: RunTally,
) -> IndexSummary:
    """After the commit: the per-post arrays and the manifest saved, and the run's summary."""
    from .index_format import segment_file_names

    old_files = manifest.files if manifest else {}
    languages = set(manifest.languages if manifest and not full else ()) | tally.languages
    languages.discard(base_language(settings.lang))
    generation = index.latest_generation()
    save_post_arrays(index, index_dir, generation)
    new_manifest = Manifest(
        SCHEMA_VERSION,
        settings,
        generation,
        posts_dir=str(Path(site.root).resolve()),  # absolute: a run from another folder must find the same posts
        files=tally.files,
        languages=tuple(sorted(languages)),
        segment_files=segment_files(index_dir, segment_file_names(index)),
    )
    save_manifest(index_dir, new_manifest)
    deleted = len(plan.deleted) if not full else len([r for r in old_files if r not in tally.files])
    return IndexSummary(
        added=tally.added,
        updated=tally.updated,
        unchanged=0 if full else plan.unchanged_counts()[0],
        deleted=deleted,
        skipped=tally.skipped + (0 if full else plan.unchanged_counts()[1]),
        sections=new_manifest.sections,
        failed=tuple(tally.failures),
        warnings=tuple(tally.warnings),
    )


def remove_leftovers_when_free(index: Any, index_dir: Path) -> None:
    """Before a run writes: delete what killed runs left (their segment files, Whoosh's temporary folders), while
    holding the write lock for a moment, so that they cannot fill a small disk run after run (cpp-docs: 81 MB
    grew to 483 MB after a few kills). Nothing is deleted while another run holds the lock."""
    lock = index.lock("WRITELOCK")
    if lock.acquire(False):
        try:
            remove_leftovers(index_dir)
        finally:
            lock.release()


def remove_leftovers(index_dir: Path) -> None:
    """After a failed run: its files are deleted, so that a full disk is not left full (best effort: the error
    that stopped the run is the one to report)."""
    from .index_format import remove_unfinished_files

    try:
        remove_unfinished_files(index_dir)
    except Exception:  # noqa: BLE001 (a second failure must not hide the first)
        pass


def save_post_arrays(index: Any, index_dir: Path, generation: int) -> None:
    """Write the committed generation's per-post arrays, which queries memory-map instead of computing."""
    from .index_format.posts import PostArrays
    from .index_format.segments import segment_columns

    with index.reader() as reader:
        PostArrays.compute(segment_columns(reader)).save(index_dir, generation)


def open_for_writing(index_dir: Path, lang: str, full: bool) -> Any:
    """The Whoosh index in index_dir, created when missing (or, for a full build, unreadable). An existing index
    is never cleared here: a full build writes new segments and drops the old ones in its commit without reading
    them (so a damaged segment does not stop it), and until then the old index answers."""
    from .index_format import create_whoosh_index, open_whoosh_index

    index_dir.mkdir(parents=True, exist_ok=True)
    if latest_generation(index_dir) < 0:
        return create_whoosh_index(index_dir, lang)
    try:
        return open_whoosh_index(index_dir)
    except IndexVersionMismatch:
        if not full:
            raise
        return create_whoosh_index(index_dir, lang)
