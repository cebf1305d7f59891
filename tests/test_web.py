"""The HTTP API, served by `postsearch serve` (granian) on 127.0.0.1, asked over the socket."""

from __future__ import annotations

import html
import json
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from conftest import REPO

from search.indexer import build_index

POSTSEARCH = str(Path(sys.executable).parent / "postsearch")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A `postsearch serve` process on a free port, with its stderr (the access log) kept."""

    def __init__(self, index_dir: Path, *options: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = index_dir.parent / f"serve-{self.port}.log"
        command = [POSTSEARCH, "serve", "--index", str(index_dir), "--port", str(self.port), *options]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self.log.open("wb"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if get(self.base + "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not start: {self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    """Status, headers (names in any case) and body of a GET, errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def get_json(url: str, **headers: str) -> tuple[int, dict]:
    status, _, body = get(url, headers)
    return status, json.loads(body)


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[Server]:
    running = Server(site / "index", "--workers", "2", "--cors-origin", "https://blog.example")
    yield running
    running.stop()


def test_search_returns_hits_with_section_urls_and_marked_snippets(server):
    status, headers, body = get(server.base + "/search?q=git+bisect")
    data = json.loads(body)
    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache" and headers["ETag"].startswith('"b')
    first = data["hits"][0]
    assert first["title"] == "Git bisect finds the commit that broke it"
    assert all(s["url"].startswith(first["url"] + "#") for s in first["sections"])
    assert "<mark>bisect</mark>" in first["sections"][0]["snippet"].lower()
    assert get(server.base + "/search?q=git+bisect", {"If-None-Match": headers["ETag"]})[0] == 304


def test_search_counts_facets_of_all_matching_posts_and_filters_by_them(server):
    _, everything = get_json(server.base + "/search?q=s*&per_page=1")
    tags = {facet["value"]: facet["count"] for facet in everything["facets"]["tags"]}
    assert everything["total"] > 5 and len(everything["hits"]) == 1 and tags
    tag, count = max(tags.items(), key=lambda item: item[1])
    _, filtered = get_json(server.base + f"/search?q=s*&tag={tag}&per_page=50")
    assert filtered["total"] == count and all(tag in hit["tags"] for hit in filtered["hits"])
    years = {facet["value"] for facet in everything["facets"]["years"]}
    assert "2024" in years


def test_suggest_completes_the_last_word(server):
    status, data = get_json(server.base + "/suggest?q=kube")
    assert status == 200
    assert any(title["text"].startswith("Kubernetes") for title in data["titles"])
    assert "kubernetes" in data["words"]
    _, data = get_json(server.base + "/suggest?q=git+bis")
    assert any("bisect" in heading["text"].lower() and "#" in heading["url"] for heading in data["headings"])


def test_health_gives_the_generation_and_size(server, site):
    status, data = get_json(server.base + "/health")
    assert status == 200 and data["status"] == "ok" and data["posts"] == 22 and data["generation"] >= 1


@pytest.mark.parametrize(
    "path, parameter",
    [("/search", "q"), ("/search?q=", "q"), ("/search?q=x&per_page=51", "per_page"), ("/search?q=x&page=0", "page"),
     ("/search?q=x&page=abc", "page"), ("/search?q=x&sort=random", "sort"), ("/search?q=" + "a" * 501, "q"),
     ("/search?q=%ff%fe", ""), ("/suggest?q=x&limit=0", "limit")],
)
def test_a_bad_parameter_is_a_400_saying_what_is_wrong(server, path, parameter):
    status, data = get_json(server.base + path)
    assert status == 400 and data["error"] and data["parameter"] == parameter


def test_unknown_paths_and_methods_are_json_errors(server):
    assert get_json(server.base + "/nope")[0] == 404
    request = urllib.request.Request(server.base + "/search?q=x", method="POST", data=b"")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405


def test_a_query_error_is_a_400(server):
    status, data = get_json(server.base + "/search?q=*leading")
    assert status == 400 and "Leading wildcards" in data["error"]


def test_nothing_a_client_sends_gives_a_500(server):
    rng = random.Random(11)
    alphabet = list("abc xyz\"'()[]{}*?~^:+-!|&%#/\\<>") + ["AND", "OR", "NOT", "TO", "date:", "tag:", "\u00e9", "\U0001f600", "\x00", "\u202e"]
    for _ in range(150):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 25)))
        extra = rng.choice(["", "&page=2", "&sort=date", "&tag=%3Cx%3E", "&per_page=50", "&author=", "&lang=de"])
        path = rng.choice(["/search", "/suggest"])
        status, _, body = get(server.base + f"{path}?q={urllib.request.quote(query)}{extra}")
        assert status in (200, 400), (query, status, body[:200])
        json.loads(body)


def test_cors_only_for_named_origins(server):
    _, allowed, _ = get(server.base + "/search?q=vim", {"Origin": "https://blog.example"})
    _, other, _ = get(server.base + "/search?q=vim", {"Origin": "https://evil.example"})
    assert allowed["Access-Control-Allow-Origin"] == "https://blog.example"
    assert "Access-Control-Allow-Origin" not in other


def test_the_page_and_its_files_are_served_with_a_content_security_policy(server):
    status, headers, body = get(server.base + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"] and b"postsearch.js" in body
    status, headers, _ = get(server.base + "/postsearch.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert get(server.base + "/postsearch.css", {"If-None-Match": get(server.base + "/postsearch.css")[1]["ETag"]})[0] == 304


def test_every_request_is_in_the_access_log(server):
    get(server.base + "/search?q=access-log-probe")
    probe = re.compile(r'127\.0\.0\.1 - - \[.+\] "GET /search\?q=access-log-probe HTTP/1\.1" 200 - [\d.]+ms$')
    deadline = time.monotonic() + 5  # the workers write their log lines as they go
    while not any(probe.match(line) for line in server.log.read_text().splitlines()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert any(probe.match(line) for line in server.log.read_text().splitlines())


def test_hostile_fields_come_back_as_text_in_json(server):
    _, data = get_json(server.base + "/search?q=zanzibar")
    hit = data["hits"][0]
    assert hit["title"].startswith("<img")  # the JSON carries the text; the page shows it as text
    assert all("<script>" not in s["snippet"] and "<img" not in s["snippet"] for s in hit["sections"])


def test_eight_clients_while_another_process_reindexes(tmp_path):
    """8 threads x 50 requests while `postsearch index` commits in another process: every response a 200, and
    each result one of the two states the posts flip between, the same for every result of a generation."""
    from bench.threads import QUERIES, expected_signatures, write_posts

    expected = expected_signatures(tmp_path, 45)
    posts, index_dir = tmp_path / "live" / "posts", tmp_path / "live" / "index"
    write_posts(posts, 45, changed=False)
    build_index(posts, index_dir, workers=1)
    running = Server(index_dir, "--workers", "2")
    stop, committed = threading.Event(), threading.Event()

    def reindex() -> None:
        flip = True
        while not stop.is_set():
            write_posts(posts, 45, changed=flip)
            subprocess.run([POSTSEARCH, "index", str(posts), "--index", str(index_dir)], check=True, capture_output=True)
            committed.set()
            flip = not flip

    failures, states = [], {}
    lock = threading.Lock()

    def client(offset: int) -> None:
        for turn in range(50):
            time.sleep(0.03)  # spread over several commits (a request takes a few ms, a commit ~0.4 s)
            query = QUERIES[(offset + turn) % len(QUERIES)]
            status, headers, body = get(f"{running.base}/search?per_page=50&q={urllib.request.quote(query)}")
            with lock:
                if status != 200:
                    failures.append((query, status, body[:200]))
                    continue
                data = json.loads(body)
                fits = expected[query].get((data["total"], tuple(sorted(hit["path"] for hit in data["hits"]))))
                generation = headers["ETag"]  # none on a partial answer (out of time under load): not grouped
                if fits is None:
                    failures.append((query, "fits no state", data["total"]))
                elif generation:
                    states[generation] = states.get(generation, {"A", "B"}) & fits

    writer = threading.Thread(target=reindex)
    writer.start()
    try:
        committed.wait(timeout=30)
        clients = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
    finally:
        stop.set()
        writer.join()
        running.stop()
    assert failures == []
    assert len(states) > 1 and all(states.values()), states


def test_the_readme_flask_and_fastapi_snippets_run(site, monkeypatch):
    """The README's Flask and FastAPI examples, run as written against the site's index."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = {block.splitlines()[0][2:]: block for block in re.findall(r"```python\n(# (?:Flask|FastAPI)\n.*?)```", readme, re.S)}
    assert set(blocks) == {"Flask", "FastAPI"}
    monkeypatch.chdir(site)
    flask_app: dict = {"__name__": "readme_flask"}
    exec(compile(blocks["Flask"], "README.md (Flask)", "exec"), flask_app)
    client = flask_app["app"].test_client()
    response = client.get("/api/search?q=git+bisect")
    assert response.status_code == 200 and response.json["hits"][0]["title"].startswith("Git bisect")
    assert client.get("/api/search?q=*x").status_code == 400

    from fastapi.testclient import TestClient

    fastapi_app: dict = {"__name__": "readme_fastapi"}
    exec(compile(blocks["FastAPI"], "README.md (FastAPI)", "exec"), fastapi_app)
    with TestClient(fastapi_app["app"]) as api:
        response = api.get("/api/search", params={"q": "vim macros"})
        assert response.status_code == 200 and response.json()["total"] >= 1
        assert api.get("/api/search", params={"q": "*x"}).status_code == 400


def test_serve_indexes_the_posts_first_when_there_is_no_index(tmp_path):
    shutil.copytree(REPO / "posts", tmp_path / "posts")
    running = Server(tmp_path / "index", "--posts", str(tmp_path / "posts"), "--workers", "1")
    try:
        status, data = get_json(running.base + "/search?q=vim+macros")
        assert status == 200 and data["hits"][0]["sections"][0]["url"].startswith(data["hits"][0]["url"])
        assert "No index in" in running.log.read_text()
    finally:
        running.stop()


def test_typing_searches_the_last_word_as_the_start_of_a_word(server):
    _, typed = get_json(server.base + "/search?q=git+bise&typing=1")
    assert typed["hits"][0]["title"] == "Git bisect finds the commit that broke it" and typed["suggestion"] is None
    status, _ = get_json(server.base + "/search?q=git&typing=yes")
    assert status == 400


def test_the_page_answers_a_query_as_plain_html_for_readers_without_javascript(server):
    status, headers, body = get(server.base + "/?q=git+bisect")
    page = body.decode()
    assert status == 200 and 'name="q" value="git bisect"' in page and 'method="get"' in page
    assert "Git bisect finds the commit that broke it" in page and "<mark>" in page.lower()
    assert re.search(r'<a href="/[^"]*#[^"]+">', page)  # section links with their anchors
    _, _, hostile = get(server.base + "/?q=zanzibar")
    assert "<img src=x" not in hostile.decode() and "&lt;img src=x" in hostile.decode()  # fields escaped
    assert 'href="javascript:' not in hostile.decode()
    _, _, bare = get(server.base + "/?q=%22%3Cscript%3E")
    assert "<script>" not in bare.decode().split("</h1>", 1)[1].replace('<script src="postsearch.js" defer></script>', "")


def test_each_section_has_a_short_snippet_of_its_best_fragment(server):
    _, found = get_json(server.base + "/search?q=the")
    sections = [section for hit in found["hits"] for section in hit["sections"]]
    assert sections and all(s["short_snippet"] and len(s["short_snippet"]) <= len(s["snippet"]) for s in sections)
    longer = [s for s in sections if s["short_snippet"] != s["snippet"]]
    assert longer and all(s["short_snippet"].strip("… ") in s["snippet"] for s in longer)  # one of its fragments
    landing = [s for s in sections if ":~:text=" in s["text_url"]]
    assert landing and all(s["text_url"] == s["url"] for s in sections if s not in landing)  # no match shown: no words
    for s in landing:  # the link lands on words of the short snippet (a text fragment), after the section's id
        page, _, directive = s["text_url"].partition(":~:text=")
        assert page == (s["url"] if "#" in s["url"] else s["url"] + "#")
        assert unquote(directive).split()[0] in html.unescape(re.sub("<[^>]+>", "", s["short_snippet"]))


def test_searches_take_turns_in_arrival_order_and_a_long_wait_is_answered_busy():
    """A server's searches run one at a time a process, in the order they came; one that would wait past its
    limit is refused with ServerBusy (503, Retry-After) instead of holding a thread."""
    from search.errors import ServerBusy
    from search.web import Turns, error_response

    turns, order, holding = Turns(1, wait=5.0), [], threading.Event()

    def search(name: str, seconds: float) -> None:
        with turns.turn():
            order.append(name)
            holding.set()
            time.sleep(seconds)

    first = threading.Thread(target=search, args=("first", 0.5))
    first.start()
    holding.wait(5)
    waiting = []
    for name in ("b", "c", "d", "e"):
        waiting.append(threading.Thread(target=search, args=(name, 0.01)))
        waiting[-1].start()
        time.sleep(0.05)  # each arrives after the one before
    for thread in [first, *waiting]:
        thread.join(10)
    assert order == ["first", "b", "c", "d", "e"]

    impatient = Turns(1, wait=0.1)
    with impatient.turn():
        with pytest.raises(ServerBusy) as busy:
            with impatient.turn():
                pass
    response = error_response(busy.value)
    assert response.status == 503 and response.headers["Retry-After"] == "1"
    with impatient.turn():  # the turn was given back
        pass
