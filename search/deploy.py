"""Deploying an index built elsewhere: a `current` link that `postsearch switch` points at a checked build.

A replica serves `--index LINK`; each deploy copies a whole index folder built elsewhere beside the others and
switches the link to it with one rename (atomic: a server, or a replica restarted mid-switch, sees the old build
or the new one, never a mix). Every server process picks the new build up on its next request (its build id
differs, whatever its generation number) and keeps answering from the old one until then.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import IncompleteBuild, PostsearchError, shown
from .index_format import sync_file
from .index_format.posts import POSTS_FILE
from .index_format.schema import SCHEMA_VERSION
from .manifest import Manifest, latest_generation, load_manifest, segments_changed
from .query import open_index


def check_whole(build: Path) -> Manifest:
    """The build's manifest once every file it names is there at its size and the index opens and answers;
    IncompleteBuild otherwise (a copy stopped half-way, a build still running)."""
    try:
        manifest = load_manifest(build, SCHEMA_VERSION)
    except PostsearchError as error:
        raise IncompleteBuild(build, f"{shown(build)} is not a whole index: {error}") from error
    problem = whole_problem(build, manifest)
    if problem or manifest is None:
        raise IncompleteBuild(build, f"{shown(build)} is not a whole index: {problem or 'it has no manifest'}.")
    try:
        with open_index(build) as index:
            index.search("a")
    except (PostsearchError, OSError, EOFError, ValueError) as error:
        raise IncompleteBuild(build, f"{shown(build)} is not a whole index: it does not open ({error}).") from error
    return manifest


def whole_problem(build: Path, manifest: Manifest | None) -> str:
    """What is missing from a build folder, or ''."""
    if manifest is None:
        return "it has no manifest"
    if latest_generation(build) != manifest.generation:
        return f"its newest table of contents is not generation {manifest.generation}, which its manifest names"
    if segments_changed(build, manifest):
        return "a segment file is missing or not at its size"
    if not (build / POSTS_FILE.format(generation=manifest.generation)).is_file():
        return "its per-post arrays are missing"
    return ""


def switch(link: Path, build: Path) -> Manifest:
    """Point link at build (made absolute) with one atomic rename, once build is checked whole."""
    manifest = check_whole(build)
    if link.exists() and not link.is_symlink():
        raise IncompleteBuild(
            link, f"{shown(link)} is a folder, not a link: move it aside once (mv {link} {link}.first) and switch again."
        )
    temporary = link.with_name(f".{link.name}.switching-{os.getpid()}")
    temporary.unlink(missing_ok=True)
    os.symlink(build.resolve(), temporary)
    os.replace(temporary, link)  # rename(2): the link names the old build or the new one, never neither
    sync_file(link.parent.resolve())
    return manifest
