"""The index's write lock: one run writes at a time; a run may wait for another, and learns which process holds it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import IndexBusy, shown
from .index_format import INDEX_NAME
from .manifest import latest_generation

WRITER_FILE = "postsearch-writer.pid"  # the process id of the run holding the write lock
LOCK_POLL_SECONDS = 0.2
ORPHAN_GRACE_SECONDS = 3.0  # how long a run waits for the workers of a killed run to end and free the lock


def wait_for_writer(index_dir: Path, wait: float) -> None:
    """Wait up to `wait` seconds while another run holds the index's write lock (the run itself takes it later)."""
    if latest_generation(index_dir) < 0 and not (index_dir / WRITER_FILE).exists():
        return
    from whoosh.filedb.filestore import FileStorage

    lock = FileStorage(str(index_dir)).lock(f"{INDEX_NAME}_WRITELOCK")
    deadline = time.monotonic() + wait
    while writer_busy(index_dir, lock):
        if time.monotonic() >= deadline:
            return  # take_writer says who holds it
        time.sleep(LOCK_POLL_SECONDS)


def writer_busy(index_dir: Path, lock: Any) -> bool:
    """Whether another run holds the write lock, or has committed but not yet saved its manifest (its process
    id is still in WRITER_FILE): planning before that would read the manifest of the run before it."""
    if not lock.acquire(blocking=False):
        return True
    lock.release()
    try:
        holder = (index_dir / WRITER_FILE).read_text().strip()
    except OSError:
        return False
    return holder.isdigit() and holder != str(os.getpid()) and process_alive(holder)


def process_alive(pid: str) -> bool:
    """Whether a process of that id runs (True when the id is unknown)."""
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def take_writer(index_dir: Path, make_writer: Callable[[], Any], wait: float) -> Any:
    """A writer holding the index's lock, waiting up to `wait` seconds while another run holds it (IndexBusy,
    naming that run's process, when it still does); the run's process id is left in WRITER_FILE meanwhile."""
    from whoosh.index import LockError

    deadline = time.monotonic() + wait
    grace_given = False
    while True:
        try:
            writer = make_writer()
        except LockError as error:
            holder = (index_dir / WRITER_FILE).read_text().strip() if (index_dir / WRITER_FILE).exists() else "?"
            if not grace_given and not process_alive(holder):
                # the run that held the lock is gone (killed): its worker processes follow it within a second
                deadline, grace_given = max(deadline, time.monotonic() + ORPHAN_GRACE_SECONDS), True
            if time.monotonic() < deadline:
                time.sleep(LOCK_POLL_SECONDS)
                continue
            message = f"Another 'postsearch index' (process {holder}) is writing to {shown(index_dir)}"
            raise IndexBusy(index_dir, message + (f"; waited {wait:g} s." if wait else "; pass --wait SECONDS to wait for it.")) from error
        (index_dir / WRITER_FILE).write_text(str(os.getpid()))
        return writer
