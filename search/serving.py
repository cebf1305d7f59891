"""`postsearch serve`: the WSGI app (web.py) on granian, a Rust HTTP server for Python applications.

Queries are CPU-bound Python, so threads in one process share one core under the GIL: granian runs one worker
process per core, each calling the app from one thread (more would only wait for the GIL, and their turns made
p95 at 8 connections 38 ms instead of 5 ms), and holds at most two requests per worker in Python at a time.
Every worker opens the index itself: its files are memory-mapped, and the pages of a mapped file are one copy
in the kernel's page cache, however many processes map them. A commit is picked up on each worker's next request.

Measured on rust-blog with wrk (bench/load.py's queries, 2 cores): gunicorn (gthread, 2 workers) answered one
connection at p50 2.8 ms (1.25 ms above the same work in-process) and 8 connections at 747 requests/s, p95
23 ms; granian as configured here 1.6 ms and 1,093 requests/s, p95 5.4 ms.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from .config import INDEX_ENV

CORS_ENV = "POSTSEARCH_CORS_ORIGINS"  # origins, one per line, handed to the worker processes
ACCESS_LOG_FORMAT = '%(addr)s - - [%(time)s] "%(method)s %(path)s?%(query_string)s %(protocol)s" %(status)d - %(dt_ms).3fms'


def application() -> Any:
    """The WSGI app of the index named by the environment (granian's workers build it with this factory)."""
    from .web import create_app

    origins = [origin for origin in os.environ.get(CORS_ENV, "").splitlines() if origin]
    return create_app(os.environ[INDEX_ENV], cors_origins=origins)


def worker_count() -> int:
    """One worker process per core."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def logging_to_stderr() -> dict[str, Any]:
    """granian's logging configuration, its server and access logs on stderr (stdout is left to the app)."""
    stream = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    return {"handlers": {"console": {**stream, "formatter": "generic"}, "access": {**stream, "formatter": "access"}}}


def serve(
    index_dir: Path, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None,
    cors_origins: Iterable[str] = (), access_log: bool = True,
) -> None:
    """Serve the index over HTTP until interrupted."""
    from granian import Granian
    from granian.constants import Interfaces, RuntimeModes

    from .web import create_app

    create_app(index_dir).close()  # a missing or unreadable index is said here, before any worker starts
    os.environ[INDEX_ENV] = str(Path(index_dir).resolve())
    os.environ[CORS_ENV] = "\n".join(cors_origins)
    Granian(
        "search.serving:application",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers or worker_count(),
        blocking_threads=1,
        backpressure=2,
        runtime_mode=RuntimeModes.st,
        log_dictconfig=logging_to_stderr(),
        log_access=access_log,
        log_access_format=ACCESS_LOG_FORMAT,
        respawn_failed_workers=True,
    ).serve()
