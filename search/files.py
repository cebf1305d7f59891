"""Finding post files: every Markdown file below a folder, hidden folders skipped."""

from __future__ import annotations

import os
from pathlib import Path

from .config import MARKDOWN_SUFFIXES


def scan_posts(root: Path) -> list[tuple[str, Path, os.stat_result]]:
    """(relative posix path, path, stat) of every Markdown file under root, sorted by relative path."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if name.startswith(".") or os.path.splitext(name)[1].lower() not in MARKDOWN_SUFFIXES:
                continue
            path = Path(folder, name)
            try:
                stat = path.stat()
            except OSError:  # unreadable or a broken link: read_post will report it
                stat = os.stat_result((0,) * 10)
            if stat.st_mode == 0 or os.path.isfile(path):
                found.append((path.relative_to(root).as_posix(), path, stat))
    return sorted(found, key=lambda item: item[0])


def find_posts(root: Path) -> list[Path]:
    """Every Markdown file under root, sorted, skipping hidden folders."""
    return [path for _, path, _ in scan_posts(Path(root))]
