"""Worker processes that parse posts (and, for a large run, write their sections into segments of their own)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings
from .errors import PostsearchError
from .sites import Site

if TYPE_CHECKING:
    from .documents import ParsedFile

# Runs reading fewer files than this write every section in this process while the workers only parse: the
# site gets one segment, not one per worker, and each query looks its words up once (rust-blog's 754 posts:
# queries ~10% faster, the build ~10% slower). A larger run's sections are written by the workers, which keeps
# the full build of a large site (cpp-docs) within its time.
ONE_WRITER_FILES = 2000
WORKER_POLL_SECONDS = 1.0

Progress = Callable[[int], None]
Job = tuple[str, str, int, int, str]  # path, relative path, mtime_ns, size, digest (or "")


def worker_count() -> int:
    """Processes to parse and write with: one per core, at most four."""
    return min(os.cpu_count() or 1, 4)


def parse_in_workers(
    chunks: list[list[Job]], site: Site, index_dir: Path, settings: Settings, workers: int, progress: Progress | None, segments: list
) -> Iterator[ParsedFile]:
    """Parse chunks of files in worker processes; yields each file's outcome. Below ONE_WRITER_FILES files the
    outcomes carry their documents, for this process to write; otherwise each worker writes its files' sections
    into segments of its own (appended to segments when all are done) and the outcomes carry none."""
    import multiprocessing

    context = multiprocessing.get_context()
    jobs, results = context.Queue(), context.Queue()
    jobs.cancel_join_thread()  # after a failure, chunks no worker will read must not keep this process waiting
    processes = [
        context.Process(
            target=segment_worker,
            args=(str(index_dir), site, settings, sum(map(len, chunks)) >= ONE_WRITER_FILES, jobs, results, os.getpid()),
            daemon=True,
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    finished = 0
    try:
        for chunk in chunks:
            jobs.put(chunk)
        for _ in processes:
            jobs.put(None)
        for kind, payload in worker_messages(results, processes):
            if kind == "error":
                raise PostsearchError(f"An indexing worker process failed; the index is unchanged.\n{payload}")
            if kind == "segments":
                finished += 1
                segments.extend(payload)
                if finished == len(processes):
                    return
                continue
            yield from payload
            if progress:
                progress(len(payload))
    finally:
        for process in processes:
            if process.is_alive() and finished < len(processes):
                process.terminate()
            process.join()


def worker_messages(results: Any, processes: list[Any]) -> Iterator[tuple[str, Any]]:
    """Messages from the workers; raises as soon as one of them has died without a word (killed, out of memory)."""
    import queue

    while True:
        try:
            yield results.get(timeout=WORKER_POLL_SECONDS)
        except queue.Empty:
            pass
        if any(process.exitcode for process in processes):
            raise PostsearchError("An indexing worker process stopped unexpectedly; the index is unchanged.")


def segment_worker(
    index_dir: str, site: Site, settings: Settings, write: bool, jobs: Any, results: Any, parent: int
) -> None:
    """Worker process: parse chunks of files from jobs and report each chunk's outcomes on results. When it is
    to write, it writes their sections into new segments of its own and reports the segments last; otherwise
    the outcomes carry the sections. It ends when its parent process does."""
    exit_with_parent(parent)
    import traceback
    from dataclasses import replace

    from .documents import parse_one
    from .index_format import open_whoosh_index
    from .index_format.codec import CompactCodec
    from .index_format.schema import build_schema
    from .index_format.writing import SectionWriter
    from .sections import Sectioner

    try:
        writer = None
        if write:
            index = open_whoosh_index(Path(index_dir))
            writer = SectionWriter(index, _lk=False, codec=CompactCodec(), schema=build_schema(settings.lang, settings.weights))
        sectioner = Sectioner(site.heading_id)
        for chunk in iter(jobs.get, None):
            outcomes = [parse_one(sectioner, site, settings, *job) for job in chunk]
            if writer:
                for parsed in outcomes:
                    for document in parsed.documents:
                        writer.add_document(**document)
                outcomes = [replace(parsed, documents=()) for parsed in outcomes]
            results.put(("parsed", outcomes))
        results.put(("segments", writer.finish_segments() if writer else []))
    except BaseException:
        results.put(("error", traceback.format_exc()))


def exit_with_parent(parent: int, poll_seconds: float = 0.2) -> None:
    """End this worker process as soon as the process that started it (parent, its pid) is gone, even killed by
    SIGKILL before the worker got this far: an orphaned worker would wait for jobs for ever, holding the index's
    write lock it inherited."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
