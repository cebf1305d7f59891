"""Exceptions raised by postsearch; the CLI and web layer turn them into messages."""

from __future__ import annotations

from pathlib import Path


class PostsearchError(Exception):
    """Base class of every error postsearch raises on purpose."""

    hint: str = ""

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message} {self.hint}".strip() if self.hint else message


class PathError(PostsearchError):
    """An error about one path (a post, a folder or an index)."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(reason)
        self.path = Path(path)
        self.reason = reason


class PostError(PathError):
    """A post that cannot be read or parsed."""


class PostsDirNotFound(PathError):
    """The posts folder does not exist."""

    hint = "Pass the folder of your Markdown posts, e.g. 'postsearch index ./posts'."


class IndexNotFound(PathError):
    """No index exists at the given folder."""

    hint = "Run 'postsearch index POSTS_DIR' first, or pass --index."


class NotAnIndex(PathError):
    """The folder exists but does not hold a postsearch index."""

    hint = "Pass the folder that 'postsearch index' wrote, or a new or empty folder to build in."


class IndexVersionMismatch(PathError):
    """The index was written by another schema version."""

    hint = "Run 'postsearch index --rebuild' to build it again."


class QueryError(PostsearchError):
    """A query that cannot be run as written."""

    def __init__(self, query: str, reason: str) -> None:
        super().__init__(reason)
        self.query = query
        self.reason = reason
