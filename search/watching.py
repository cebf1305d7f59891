"""Watch a posts folder: one notice per burst of changes to its posts or its site config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .config import CONFIG_FILE, MARKDOWN_SUFFIXES

DEBOUNCE_MS = 300  # an editor's save is often several writes (temporary file, rename): one update for them
CONFIG_NAMES = {CONFIG_FILE, "pyproject.toml", "_config.yml", "hugo.toml", "config.toml", "mkdocs.yml"}


def watch_changes(posts_dir: Path, index_dir: Path) -> Iterator[set[str]]:
    """Yield the changed paths of each burst of changes to posts (or config files) below posts_dir; changes in
    index_dir (which may lie inside posts_dir) are ignored. Ctrl-C ends it with KeyboardInterrupt."""
    from watchfiles import watch

    index = str(Path(index_dir).resolve())

    def wanted(change: object, path: str) -> bool:
        if path.startswith(index + "/") or path == index:
            return False
        return Path(path).suffix.lower() in MARKDOWN_SUFFIXES or Path(path).name in CONFIG_NAMES

    for changes in watch(Path(posts_dir).resolve(), watch_filter=wanted, debounce=DEBOUNCE_MS, step=50, raise_interrupt=True):
        yield {path for _, path in changes}
