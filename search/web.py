"""The HTTP API and the search page: a WSGI application over one shared SearchIndex.

create_app(index_dir) returns a standard WSGI callable for any WSGI server (gunicorn, waitress, uWSGI, or a
framework that mounts WSGI apps); `postsearch serve` runs it on granian. Routes (GET or HEAD):

- /search?q=&page=&per_page=&sort=&tag=&category=&author=&lang=&year= the JSON of `postsearch query --json`, facets
- /suggest?q=&limit=                                               as-you-type completions
- /health                                                          index stats and generation
- / (the search page), /postsearch.js, /postsearch.css             the page and its assets

Errors are JSON {"error": ..., "parameter": ...} with the error's HTTP status; nothing a client sends gives a 500.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson

from .config import SORTS
from .errors import IndexNotFound, PostsearchError, QueryError, ServerBusy
from .matching import FILTER_NAMES
from .snippets import escape as escape_html

MAX_QUERY_LENGTH = 500
MAX_PER_PAGE = 50
MAX_PAGE = 1000
MAX_COMPLETIONS = 20
QUERY_TIME_LIMIT = 1.0  # seconds a search may take before it answers with what it found (marked partial)
# One search at a time a process (they are CPU-bound: two at once only share the GIL, and each takes twice as
# long); the others wait for their turn without the GIL, so /health, the page and its files are answered by the
# server's other threads meanwhile. A search that waits longer than this is answered 503 with Retry-After: under
# 32 connections of 1-second queries /health waited 4.3 s in the queue of searches before.
SEARCHES_AT_ONCE = 1
TURN_WAIT_SECONDS = 1.0
ASSETS = {
    "/": ("search.html", "text/html; charset=utf-8"),
    "/postsearch.js": ("postsearch.js", "text/javascript; charset=utf-8"),
    "/postsearch.css": ("postsearch.css", "text/css; charset=utf-8"),
}
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
STATUS_TEXT = {200: "OK", 204: "No Content", 304: "Not Modified", 400: "Bad Request", 404: "Not Found",
               405: "Method Not Allowed", 500: "Internal Server Error", 503: "Service Unavailable"}
Environ = dict[str, Any]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class BadParameter(QueryError):
    """A request parameter the API cannot use."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__("", reason)
        self.parameter = parameter


@dataclass
class Response:
    """A response on its way out."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, start_response: StartResponse, head_only: bool) -> Iterable[bytes]:
        headers = {"Content-Length": str(len(self.body)), "X-Content-Type-Options": "nosniff", **self.headers}
        start_response(f"{self.status} {STATUS_TEXT.get(self.status, '')}".strip(), list(headers.items()))
        return [b""] if head_only else [self.body]


def json_response(status: int, data: Any, **headers: str) -> Response:
    """A JSON response, never cached without revalidation. orjson encodes a page of results in ~40 µs, the
    standard library's json in ~150 µs (rust-blog /search answers)."""
    body = orjson.dumps(data)
    base = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-cache"}
    return Response(status, body, {**base, **headers})


def error_response(error: PostsearchError) -> Response:
    """A library error as JSON with its HTTP status."""
    data = {"error": str(error)}
    if isinstance(error, BadParameter):
        data["parameter"] = error.parameter
    retry = {} if error.retry_after_seconds is None else {"Retry-After": str(error.retry_after_seconds)}
    return json_response(error.http_status, data, **retry)


class Turns:
    """Requests that search take turns, in the order they came: `at_once` at a time, each waiting at most `wait`
    seconds for its turn (ServerBusy after that). A semaphore wakes waiters in no order: its p99 and 503s were
    those of the unlucky ones."""

    def __init__(self, at_once: int, wait: float) -> None:
        self.free, self.wait = at_once, wait
        self.waiting: deque[threading.Event] = deque()
        self.guard = threading.Lock()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn for the block."""
        if not self.acquire():
            raise ServerBusy("The server is busy with other searches; try again in a moment.")
        try:
            yield
        finally:
            self.release()

    def acquire(self) -> bool:
        with self.guard:
            if self.free and not self.waiting:
                self.free -= 1
                return True
            ticket = threading.Event()
            self.waiting.append(ticket)
        if ticket.wait(self.wait):
            return True
        with self.guard:
            if ticket.is_set():  # handed the turn just as the wait ran out
                return True
            self.waiting.remove(ticket)
            return False

    def release(self) -> None:
        with self.guard:
            if self.waiting:
                self.waiting.popleft().set()  # the turn passes straight to the longest waiting
            else:
                self.free += 1


class SearchApp:
    """The WSGI application: one SearchIndex shared by the server's threads, opened on first use."""

    def __init__(self, index_dir: Path | str, cors_origins: Iterable[str] = (), time_limit: float = QUERY_TIME_LIMIT) -> None:
        self.index_dir = Path(index_dir)
        self.cors_origins = frozenset(origin.rstrip("/") for origin in cors_origins)
        self.time_limit = time_limit
        self.opening = threading.Lock()
        self.opened: Any = None
        self.turns = Turns(SEARCHES_AT_ONCE, TURN_WAIT_SECONDS)
        self.assets = {path: read_asset(name, kind) for path, (name, kind) in ASSETS.items()}
        try:
            self.index()  # opened now when it exists, so a pre-forking server shares it with its workers
        except PostsearchError:
            pass  # no index yet: /health says so, and the first request after a build opens it

    def index(self) -> Any:
        """The shared SearchIndex, opened once."""
        if self.opened is None:
            with self.opening:
                if self.opened is None:
                    from .query import open_index

                    self.opened = open_index(self.index_dir)
        return self.opened

    def close(self) -> None:
        """Close the index."""
        if self.opened is not None:
            self.opened.close()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            response = self.respond(environ)
        except PostsearchError as error:
            response = error_response(error)
        except Exception:  # a bug of ours: logged for the operator, never shown to the client
            traceback.print_exc(file=sys.stderr)
            response = json_response(500, {"error": "Internal error; the server's log has the details."})
        response.headers.update(self.cors_headers(environ))
        return response.send(start_response, environ.get("REQUEST_METHOD") == "HEAD")

    def respond(self, environ: Environ) -> Response:
        """Route a request."""
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/") or "/"
        if method == "OPTIONS":
            return Response(204, headers={"Access-Control-Allow-Methods": "GET, HEAD", "Access-Control-Max-Age": "600"})
        if method not in ("GET", "HEAD"):
            return json_response(405, {"error": f"{method} is not supported: use GET."}, Allow="GET, HEAD")
        if path in self.assets:
            return self.asset(path, environ)
        if path == "/health":
            return self.health(Parameters.of(environ), environ)
        routes = {"/search": self.search, "/suggest": self.suggest}
        if path not in routes:
            return json_response(404, {"error": f"No such page: {path}. Try /search?q=..., /suggest?q=... or /."})
        with self.turns.turn():  # the whole request, its answer's encoding too: two at once fight for the GIL
            return routes[path](Parameters.of(environ), environ)

    def search(self, params: Parameters, environ: Environ) -> Response:
        """GET /search: a page of results with facets."""
        query = params.text("q", required=True)
        page = params.number("page", 1, 1, MAX_PAGE)
        per_page = params.number("per_page", 10, 1, MAX_PER_PAGE)
        sort = params.choice("sort", SORTS)
        filters = {name: params.all(name) for name in FILTER_NAMES if params.all(name)}
        index = self.index()
        unchanged = not_modified(index, environ)
        if unchanged:
            return unchanged
        typing = params.choice("typing", ("0", "1")) == "1"
        results = index.search(
            query, page=page, per_page=per_page, sort=sort, filters=filters, facets=True, time_limit=self.time_limit,
            typing=typing,
        )
        # the generation that answered (a commit may have come in since the check above); none for a partial
        # answer, which may be complete next time
        headers = {} if results.partial else {"ETag": etag(results.build_id, environ)}
        return json_response(200, results.to_dict(), **headers)

    def suggest(self, params: Parameters, environ: Environ) -> Response:
        """GET /suggest: completions for what has been typed."""
        text = params.text("q", required=False)
        limit = params.number("limit", 8, 1, MAX_COMPLETIONS)
        index = self.index()
        unchanged = not_modified(index, environ)
        if unchanged:
            return unchanged
        completions = index.suggest(text, limit)
        return json_response(200, completions.to_dict(), ETag=etag(index.build_id, environ))

    def health(self, params: Parameters, environ: Environ) -> Response:
        """GET /health: whether the index answers, its size and generation."""
        try:
            index = self.index()
            index.refresh()
            stats = index.stats()
        except IndexNotFound as error:
            return json_response(503, {"status": "no index", "error": str(error)})
        data = {"status": "ok", "generation": stats.generation, "build_id": stats.build_id, "posts": stats.posts,
                "sections": stats.sections, "size_bytes": stats.size_bytes, "built_at": stats.built_at}
        return json_response(200, data)

    def asset(self, path: str, environ: Environ) -> Response:
        """The page or one of its files, cached for five minutes and revalidated by ETag; the page with a query
        (/?q=...) holds its results as plain HTML, for readers (and crawlers, text browsers) without JavaScript."""
        body, kind, etag = self.assets[path]
        headers = {"Content-Type": kind, "Cache-Control": "public, max-age=300", "ETag": etag}
        if path == "/":
            headers.update({"Content-Security-Policy": PAGE_POLICY, "Referrer-Policy": "same-origin"})
            body = body.replace(b"<!--results-->", self.static_results(Parameters.of(environ)).encode())
            if environ.get("QUERY_STRING"):  # the page of one query: revalidated, its ETag its own
                headers.update({"Cache-Control": "no-cache", "ETag": etag_of(body)})
        if etag_matches(environ, etag):
            return Response(304, headers=headers)
        return Response(200, body, headers)

    def static_results(self, params: Parameters) -> str:
        """A search form and, for a query, the first page of results as escaped HTML (see pagehtml.py)."""
        from .pagehtml import results_html, search_form

        query = params.text("q", required=False).strip()
        if not query:
            return search_form("")
        try:
            with self.turns.turn():
                results = self.index().search(query, per_page=10, time_limit=self.time_limit)
        except PostsearchError as error:  # a bad query, a busy server: said on the page
            return search_form(query) + f'<p class="ps-status">{escape_html(str(error))}</p>'
        return search_form(query) + results_html(results)

    def cors_headers(self, environ: Environ) -> dict[str, str]:
        """CORS headers for an allowed origin (none for others). `*` allows every page to read the API without
        credentials: the header is then `*` itself, never the caller's origin echoed (which `null` included)."""
        if "*" in self.cors_origins:
            return {"Access-Control-Allow-Origin": "*"}
        origin = environ.get("HTTP_ORIGIN", "")
        if origin and origin != "null" and origin.rstrip("/") in self.cors_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {"Vary": "Origin"} if self.cors_origins else {}


@dataclass(frozen=True)
class Parameters:
    """A request's query-string parameters, read with checks that name what is wrong."""

    values: dict[str, list[str]]

    @classmethod
    def of(cls, environ: Environ) -> Parameters:
        raw = environ.get("QUERY_STRING", "")
        try:
            return cls(parse_qs(raw, keep_blank_values=True, max_num_fields=100, errors="strict"))
        except (ValueError, UnicodeDecodeError) as error:
            raise BadParameter("", f"The query string cannot be read: {error}.") from None

    def all(self, name: str) -> list[str]:
        return [value for value in self.values.get(name, []) if value.strip()]

    def text(self, name: str, required: bool) -> str:
        value = (self.values.get(name) or [""])[-1]
        if required and not value.strip():
            raise BadParameter(name, f"Give the query in {name}, e.g. /search?{name}=git+bisect.")
        if len(value) > MAX_QUERY_LENGTH:
            raise BadParameter(name, f"{name} is {len(value)} characters long; at most {MAX_QUERY_LENGTH} are searched.")
        return value

    def number(self, name: str, default: int, low: int, high: int) -> int:
        values = self.values.get(name)
        if not values or not values[-1]:
            return default
        try:
            number = int(values[-1])
        except ValueError:
            raise BadParameter(name, f"{name} must be a whole number, not {values[-1][:40]!r}.") from None
        if not low <= number <= high:
            raise BadParameter(name, f"{name} must be from {low} to {high}, not {number}.")
        return number

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = (self.values.get(name) or [choices[0]])[-1] or choices[0]
        if value not in choices:
            raise BadParameter(name, f"{name} must be one of {', '.join(choices)}, not {value[:40]!r}.")
        return value


def not_modified(index: Any, environ: Environ) -> Response | None:
    """A 304 when the client's copy was answered by the index generation that would answer it now, else None."""
    index.refresh()
    tag = etag(index.build_id, environ)
    if etag_matches(environ, tag):
        return Response(304, headers={"ETag": tag, "Cache-Control": "no-cache"})
    return None


def etag_matches(environ: Environ, tag: str) -> bool:
    """Whether the request's If-None-Match names the tag (compared whole, weak or strong, as RFC 9110 says for
    GET) or is *."""
    header = environ.get("HTTP_IF_NONE_MATCH", "").strip()
    if header == "*":
        return True
    return any(candidate.strip().removeprefix("W/") == tag for candidate in header.split(","))


def etag(build_id: str, environ: Environ) -> str:
    """An ETag for a request: its parameters and the index build that answers it (not its generation number,
    which another build swapped in may share)."""
    digest = hashlib.blake2b((build_id + "?" + environ.get("QUERY_STRING", "")).encode(), digest_size=8).hexdigest()
    return f'"b{digest}"'


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'


def read_asset(name: str, kind: str) -> tuple[bytes, str, str]:
    """A file of the page, its content type and ETag."""
    body = resources.files("search").joinpath("static", name).read_bytes()
    return body, kind, etag_of(body)


def create_app(index_dir: Path | str = "index", cors_origins: Iterable[str] = (), time_limit: float = QUERY_TIME_LIMIT) -> SearchApp:
    """The WSGI application serving the index in index_dir (see the module's docstring)."""
    return SearchApp(index_dir, cors_origins, time_limit)
