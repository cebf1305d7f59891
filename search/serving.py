"""`postsearch serve`: the WSGI app (web.py) on gunicorn.

Queries are CPU-bound Python, so threads in one process share one core under the GIL; gunicorn runs one worker
process per core (its pre-fork model), each with a few threads for slow clients. The app is loaded before the
fork, so the workers start with the index already open: its files are memory-mapped, and the pages of a mapped
file are one copy in the kernel's page cache, however many processes map them. An index committed later is
opened by each worker on its next request.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from gunicorn.app.base import BaseApplication

from .web import create_app

ACCESS_LOG_FORMAT = '%(h)s - - %(t)s "%(r)s" %(s)s %(B)s %(D)sus'  # common log format, plus the microseconds taken


class Server(BaseApplication):
    """gunicorn running one application object with settings given in code (no config file, no argv)."""

    def __init__(self, application: Any, options: dict[str, Any]) -> None:
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


def worker_count() -> int:
    """One worker process per core."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def serve(
    index_dir: Path, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None, threads: int = 4,
    cors_origins: Iterable[str] = (), access_log: bool = True,
) -> None:
    """Serve the index over HTTP until interrupted."""
    app = create_app(index_dir, cors_origins=cors_origins)
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers or worker_count(),
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": True,
        "accesslog": "/dev/stderr" if access_log else None,  # "-" would be stdout
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "timeout": 30,
        "graceful_timeout": 5,
        "keepalive": 5,
        "proc_name": "postsearch",
    }
    Server(app, options).run()
