"""Shared fixtures: real files in temporary folders, real indexes on disk."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from search.indexer import build_index
from search.query import SearchIndex, open_index

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora"


def write(folder: Path, name: str, text: str) -> Path:
    """Write a post (dedented) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def posts_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    folder.mkdir()
    return folder


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def make_index(posts_dir: Path, index_dir: Path) -> Callable[..., SearchIndex]:
    """Write the given {name: text} posts, index them, and open the index."""
    opened: list[SearchIndex] = []

    def make(posts: dict[str, str], **settings: object) -> SearchIndex:
        for name, text in posts.items():
            write(posts_dir, name, text)
        build_index(posts_dir, index_dir, **settings)
        opened.append(SearchIndex(index_dir))
        return opened[-1]

    yield make
    for searcher in opened:
        searcher.close()


def bulk_post() -> str:
    """A post of SMALL_SEGMENT_SECTIONS sections: indexed with others, it makes theirs a segment later runs keep
    (with its deleted sections) instead of merging it."""
    from search.index_format.writing import SMALL_SEGMENT_SECTIONS

    parts = "".join(f"## Part {n}\n\nPadding paragraph {n}.\n\n" for n in range(SMALL_SEGMENT_SECTIONS))
    return f"---\ntitle: Bulk\n---\n{parts}"


def corpus(name: str) -> Path:
    """A folder of ../shared/corpora, or skip the test when it is not on this machine."""
    folder = CORPORA / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is not on this machine (shared corpora are only in the team checkout and CI)")
    return folder


HOSTILE = """---
title: <img src=x onerror="window.__pwned=1"> hostile title
tags: ["<script>window.__pwned=1</script>", safe]
permalink: javascript:window.__pwned=1
---
Hostile zanzibar body <script>window.__pwned=1</script> and <img src=x onerror="window.__pwned=1">.

## Zanzibar <b onmouseover="window.__pwned=1">heading</b>

More zanzibar text.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The sample posts and a hostile one, indexed."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(REPO / "posts", root / "posts")
    write(root / "posts", "hostile.md", HOSTILE)
    build_index(root / "posts", root / "index")
    return root


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory) -> Iterator[SearchIndex]:
    """The sample posts, indexed and opened, shared by a module's tests."""
    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "posts", root / "posts")
    build_index(root / "posts", root / "index")
    index = open_index(root / "index")
    yield index
    index.close()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    """Processes a test starts, stopped at its end whatever its outcome: asked first (a server then ends the
    worker processes it started: killed at once, it left them running), killed when they do not end."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
