"""Finding post files: every Markdown file below a folder, hidden folders skipped, unreadable folders reported."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .config import MARKDOWN_SUFFIXES
from .sites.base import Site


@dataclass
class Scan:
    """What a walk of the posts folder found: (relative posix path, file path, stat) of each Markdown file,
    sorted by relative path; the folders it could not read (relative path with a trailing /, reason); and the
    entries named like posts that are not (dangling links, folders), with the reason."""

    files: list[tuple[str, str, os.stat_result]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    not_posts: list[tuple[str, str]] = field(default_factory=list)
    folders_read: set[tuple[int, int]] = field(default_factory=set)  # (device, inode): a linked folder is read once
    confined_to: str | None = None  # the real path of the posts folder, when links out of it are not followed

    def under_unreadable(self, relpath: str) -> bool:
        """Whether a post's relative path lies in a folder that could not be read (its state is unknown)."""
        return any(relpath.startswith(folder) for folder, _ in self.unreadable)


def scan_posts(root: Path, site: Site | None = None, follow_links: bool = False) -> Scan:
    """Every Markdown file under root that is a source of the site's pages (all of them in a plain folder), and
    the folders below it that could not be read. A link (to a post or a folder) whose target lies outside root
    is reported in not_posts and not followed, unless follow_links."""
    scan = Scan(confined_to=None if follow_links else os.path.realpath(root))
    walk(str(root), "", scan, site or Site(str(root)))
    scan.files.sort(key=lambda item: item[0])
    return scan


def walk(folder: str, prefix: str, scan: Scan, site: Site) -> None:
    """Collect Markdown files below folder (os.scandir: one stat per file, no Path until needed); a folder met
    again through a link (a loop such as `ln -s . loop`, or two links to one folder) is read only once."""
    try:
        identity = os.stat(folder)
        if (identity.st_dev, identity.st_ino) in scan.folders_read:
            return
        scan.folders_read.add((identity.st_dev, identity.st_ino))
        entries = list(os.scandir(folder))
    except OSError as error:
        scan.unreadable.append((prefix, f"Cannot read the folder: {error.strerror or error}."))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        relpath = prefix + entry.name
        try:
            is_folder = entry.is_dir()
        except OSError:  # a link whose target cannot be checked: read_post will say why if it is a post
            is_folder = False
        is_markdown = os.path.splitext(entry.name)[1].lower() in MARKDOWN_SUFFIXES
        if (is_folder or is_markdown) and scan.confined_to and entry.is_symlink():
            target = os.path.realpath(entry.path)
            if not within(target, scan.confined_to):
                reason = f"A link to {target}, outside the posts folder: not followed (--follow-links indexes it)."
                scan.not_posts.append((relpath + ("/" if is_folder else ""), reason))
                continue
        if is_folder:
            if site.skip_folder(relpath + "/"):
                continue
            if is_markdown:
                scan.not_posts.append((relpath, "A folder, not a post (its posts are read)."))
            walk(entry.path, relpath + "/", scan, site)
        elif is_markdown and not site.includes(relpath):
            continue
        elif is_markdown and not entry.is_file():
            reason = "A link to nothing (its target is missing)." if entry.is_symlink() else "Not a regular file."
            scan.not_posts.append((relpath, reason))
        elif is_markdown:
            try:
                stat = entry.stat()
            except OSError:  # vanished or unreadable: read_post will report it
                stat = os.stat_result((0,) * 10)
            scan.files.append((relpath, entry.path, stat))


def within(path: str, folder: str) -> bool:
    """Whether a real path is the folder or lies inside it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def find_posts(root: Path) -> list[Path]:
    """Every Markdown file under root, sorted, skipping hidden folders."""
    return [Path(path) for _, path, _ in scan_posts(Path(root)).files]
