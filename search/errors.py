"""Exceptions raised by postsearch. Each knows the exit code and HTTP status it stands for, so the command line
and a server translate an error the same way."""

from __future__ import annotations

from pathlib import Path


def shown(path: Path | str) -> str:
    """A folder as messages show it: a bare relative name as ./name, so that it reads as a path."""
    text = str(path)
    return text if Path(text).is_absolute() or text.startswith(".") or "/" in text else f"./{text}"


class PostsearchError(Exception):
    """Base class of every error postsearch raises on purpose."""

    hint: str = ""
    exit_code: int = 1  # for the command line
    http_status: int = 500  # for a server: the client did nothing wrong
    retry_after_seconds: int | None = None  # for a server: when a client may try again (a Retry-After header)

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


class BuiltSiteNotFound(PathError):
    """The folder of a built site to check links against does not exist."""

    exit_code = 2
    hint = "Build the site first (jekyll build, hugo, mkdocs build, npx @11ty/eleventy) and pass its output folder."


class IndexNotFound(PathError):
    """No index exists at the given folder."""

    hint = "Run 'postsearch index POSTS_DIR' first, or pass --index."
    http_status = 503


class NotAnIndex(PathError):
    """The folder exists but does not hold a postsearch index."""

    hint = "Pass the folder that 'postsearch index' wrote, or a new or empty folder to build in."
    http_status = 503


class IndexVersionMismatch(PathError):
    """The index was written by another schema version, or cannot be read by this one."""

    hint = "Run 'postsearch index --rebuild' to build it again."
    http_status = 503


class IndexDamaged(PathError):
    """A file of the index cannot be read (truncated, missing or overwritten)."""

    hint = "Run 'postsearch index' to rebuild it (a run that finds the index damaged builds it again)."
    http_status = 503


class IndexWriteError(PathError):
    """The index folder cannot be written (read-only, full disk)."""


class MassDelete(PathError):
    """An index run that would delete most of the index's posts."""

    exit_code = 4


class IndexSwapped(PathError):
    """The index folder was replaced (renamed, its link switched) while a generation was being opened."""

    http_status = 503


class IncompleteBuild(PathError):
    """An index folder to deploy that is not whole (a copy stopped half-way, a build still running)."""

    hint = "Copy the whole folder again (rsync resumes), then switch; the link still names the build it did."


class IndexClosed(PathError):
    """A search on an index object after close()."""


class IndexBusy(PathError):
    """Another process is writing the index."""

    exit_code = 75  # EX_TEMPFAIL: try again later


class ServerBusy(PostsearchError):
    """A server's searches are all taken for longer than a request may wait for one: try again shortly."""

    http_status = 503
    retry_after_seconds = 1


class SettingsError(PostsearchError):
    """A setting with a value postsearch cannot use (from a flag, the environment or the index)."""

    exit_code = 2  # as a usage error


class QueryError(PostsearchError):
    """A query that cannot be run as written."""

    exit_code = 2
    http_status = 400

    def __init__(self, query: str, reason: str) -> None:
        super().__init__(reason)
        self.query = query
        self.reason = reason
