"""Finding post files: every Markdown file below a folder, hidden folders skipped."""

from __future__ import annotations

import os
from pathlib import Path

from .config import MARKDOWN_SUFFIXES


def scan_posts(root: Path) -> list[tuple[str, str, os.stat_result]]:
    """(relative posix path, file path, stat) of every Markdown file under root, sorted by relative path."""
    found: list[tuple[str, str, os.stat_result]] = []
    walk(str(root), "", found)
    return sorted(found, key=lambda item: item[0])


def walk(folder: str, prefix: str, found: list[tuple[str, str, os.stat_result]]) -> None:
    """Collect Markdown files below folder (os.scandir: one stat per file, no Path until needed)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:  # an unreadable folder holds nothing we can index
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        relpath = prefix + entry.name
        if entry.is_dir():
            walk(entry.path, relpath + "/", found)
        elif os.path.splitext(entry.name)[1].lower() in MARKDOWN_SUFFIXES and entry.is_file():
            try:
                stat = entry.stat()
            except OSError:  # vanished or unreadable: read_post will report it
                stat = os.stat_result((0,) * 10)
            found.append((relpath, entry.path, stat))


def find_posts(root: Path) -> list[Path]:
    """Every Markdown file under root, sorted, skipping hidden folders."""
    return [Path(path) for _, path, _ in scan_posts(Path(root))]
