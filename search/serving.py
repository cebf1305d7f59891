"""`postsearch serve`: the WSGI app (web.py) on granian, a Rust HTTP server for Python applications.

Queries are CPU-bound Python, so threads in one process share one core under the GIL: granian runs one worker
process per core, and each worker searches one request at a time (web.py's turns: two searches at once only
took turns at the GIL, which made p95 at 8 connections 38 ms instead of 5 ms). The worker's other threads
(THREADS_PER_WORKER) wait for their turn without the GIL, and answer /health, the page and its files at once.
Every worker opens the index itself: its files are memory-mapped, and the pages of a mapped file are one copy
in the kernel's page cache, however many processes map them. A commit is picked up on each worker's next request.

Measured on rust-blog with wrk (bench/load.py's queries, 2 cores): gunicorn (gthread, 2 workers) answered one
connection at p50 2.8 ms (1.25 ms above the same work in-process) and 8 connections at 747 requests/s, p95
23 ms; granian as configured here 1.6 ms and 1,093 requests/s, p95 5.4 ms.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .config import INDEX_ENV

CORS_ENV = "POSTSEARCH_CORS_ORIGINS"  # origins, one per line, handed to the worker processes
ACCESS_LOG_ENV = "POSTSEARCH_ACCESS_LOG"  # "1": the workers write the access log
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
# granian's backpressure bounds the connections a worker holds: at 2, keep-alive clients held both places and a
# new connection waited until they closed (/health 10 s under 32 wrk clients).
CONNECTIONS_PER_WORKER = 128
# Threads a worker calls the app from: past the clients a worker usually serves at once, so that a request that
# needs no search turn (/health) finds one free while the others wait for theirs (at 1, /health waited behind
# every queued search: 4.3 s under 32 connections of 1-second queries).
THREADS_PER_WORKER = 32


def application() -> Any:
    """The WSGI app of the index named by the environment (granian's workers build it with this factory)."""
    from .web import create_app

    origins = [origin for origin in os.environ.get(CORS_ENV, "").splitlines() if origin]
    app = create_app(os.environ[INDEX_ENV], cors_origins=origins)
    return AccessLog(app) if os.environ.get(ACCESS_LOG_ENV) == "1" else app


class AccessLog:
    """WSGI middleware writing one line a request to stderr, in the common log format with the time taken. The
    path and query are written escaped: granian's own log wrote them decoded, so %0D%0A forged a log line and
    %1B reached the operator's terminal."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started, status = time.perf_counter(), ["-"]

        def recording(line: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            status[0] = line.split(" ", 1)[0]
            return start_response(line, headers, *exc_info)

        try:
            return self.app(environ, recording)
        finally:
            target = log_escaped(environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", ""))
            request = f"{log_escaped(environ.get('REQUEST_METHOD', ''))} {target} {log_escaped(environ.get('SERVER_PROTOCOL', ''))}"
            moment = time.strftime("%Y-%m-%d %H:%M:%S %z")
            elapsed = (time.perf_counter() - started) * 1000
            sys.stderr.write(f'{environ.get("REMOTE_ADDR", "-")} - - [{moment}] "{request}" {status[0]} - {elapsed:.3f}ms\n')
            sys.stderr.flush()


def log_escaped(text: str) -> str:
    """Text for a log line: control characters, quotes, backslashes and bytes past ASCII as \\xNN."""
    return "".join(char if " " <= char <= "~" and char not in '"\\' else f"\\x{ord(char):02x}" for char in text)


def worker_count() -> int:
    """One worker process per core."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def logging_to_stderr() -> dict[str, Any]:
    """granian's logging configuration, its server and access logs on stderr (stdout is left to the app), without
    its warning that THREADS_PER_WORKER is many for the cores (only one of them searches at a time)."""
    stream = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "filters": ["threads"]}
    return {
        "filters": {"threads": {"()": "search.serving.ThreadCountWarningFilter"}},
        "handlers": {"console": {**stream, "formatter": "generic"}, "access": {**stream, "formatter": "access"}},
    }


class ThreadCountWarningFilter(logging.Filter):
    """Drops granian's warning about the number of Python threads a worker may run."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Python threads" not in record.getMessage()


def serve_message(index_dir: Path, posts: int, sections: int, host: str, port: int) -> list[str]:
    """What `postsearch serve` says on start: what it serves where, and a warning when every interface listens."""
    shown_host = f"[{host}]" if ":" in host else host
    lines = [f"Serving {index_dir} ({posts:,} posts, {sections:,} sections) at http://{shown_host}:{port}/ (Ctrl-C stops)"]
    if host not in LOOPBACK_HOSTS:
        lines.append(f"Warning: listening on {host}: anyone who can reach this machine on port {port} can search the index.")
    return lines


def serve(
    index_dir: Path, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None,
    cors_origins: Iterable[str] = (), access_log: bool = True,
) -> None:
    """Serve the index over HTTP until interrupted."""
    from granian import Granian
    from granian.constants import Interfaces, RuntimeModes
    from granian.log import LogLevels

    from .web import create_app

    app = create_app(index_dir)  # a missing or unreadable index is said here, before any worker starts
    stats = app.index().stats()
    app.close()
    for line in serve_message(Path(index_dir), stats.posts, stats.sections, host, port):
        print(line, file=sys.stderr, flush=True)
    os.environ[INDEX_ENV] = os.path.abspath(index_dir)  # not resolved: a `current` link must stay a link
    os.environ[CORS_ENV] = "\n".join(cors_origins)
    os.environ[ACCESS_LOG_ENV] = "1" if access_log else "0"
    Granian(
        "search.serving:application",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        websockets=False,  # WSGI has none: granian said so on every start
        log_level=LogLevels.warning,  # its start-up lines say nothing a user needs: serve_message() does
        workers=workers or worker_count(),
        blocking_threads=THREADS_PER_WORKER,
        backpressure=CONNECTIONS_PER_WORKER,
        runtime_mode=RuntimeModes.st,
        log_dictconfig=logging_to_stderr(),
        log_access=False,  # written by AccessLog, escaped
        respawn_failed_workers=True,
    ).serve()
