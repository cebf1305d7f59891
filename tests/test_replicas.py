"""Replicas: an index built elsewhere and swapped in (a folder renamed into place, a link switched) is answered
from at the next request, whatever its generation number; a folder half-copied or gone never stops answers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, write
from test_hostile import free_port

from search.errors import IncompleteBuild
from search.indexer import build_index
from search.query import open_index

POSTSEARCH = str(Path(sys.executable).parent / "postsearch")
ADDED = "---\ntitle: Zeppelin arrives\n---\nThe zeppelin post exists only in the new build.\n"


def two_builds(tmp_path: Path) -> tuple[Path, Path]:
    """Two independent builds of the sample posts, both generation 1; the second has one post more."""
    posts = tmp_path / "posts"
    shutil.copytree(REPO / "posts", posts)
    build_index(posts, tmp_path / "old", rebuild=True)
    write(posts, "zeppelin.md", ADDED)
    build_index(posts, tmp_path / "new", rebuild=True)
    return tmp_path / "old", tmp_path / "new"


def test_a_same_numbered_build_renamed_into_place_is_answered_from(tmp_path):
    old, new = two_builds(tmp_path)
    live = tmp_path / "live"
    old.rename(live)
    with open_index(live) as index:
        before = index.stats()
        assert index.search("zeppelin").total == 0 and index.generation == 1
        live.rename(tmp_path / "retired")
        new.rename(live)
        shutil.rmtree(tmp_path / "retired")
        assert index.search("zeppelin").hits[0].title == "Zeppelin arrives"
        after = index.stats()
        assert after.posts == before.posts + 1 and after.generation == 1 and after.build_id != before.build_id


def test_a_vanished_folder_leaves_the_old_build_answering_until_another_is_in_place(tmp_path):
    old, new = two_builds(tmp_path)
    with open_index(old) as index:
        old.rename(tmp_path / "moved")
        assert index.search("bisect").total > 0 and index.search("zeppelin").total == 0
        new.rename(old)
        assert index.search("zeppelin").total == 1


def test_switch_refuses_a_half_copied_build_and_keeps_the_link(tmp_path):
    old, new = two_builds(tmp_path)
    link = tmp_path / "live"
    subprocess.run([POSTSEARCH, "switch", str(link), str(old)], check=True, capture_output=True)
    half = tmp_path / "half"
    shutil.copytree(new, half)
    segment = next(half.glob("MAIN_*.seg"))
    segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])  # a copy stopped half-way
    refused = subprocess.run([POSTSEARCH, "switch", str(link), str(half)], capture_output=True, text=True)
    assert refused.returncode == 1 and "not a whole index" in refused.stderr
    assert os.readlink(link) == str(old.resolve())
    done = subprocess.run([POSTSEARCH, "switch", str(link), str(new)], capture_output=True, text=True, check=True)
    assert os.readlink(link) == str(new.resolve()) and "posts" in done.stdout


def test_switch_will_not_replace_a_folder(tmp_path):
    old, new = two_builds(tmp_path)
    with pytest.raises(IncompleteBuild, match="is a folder, not a link"):
        from search.deploy import switch

        switch(old, new)


def health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
        return json.loads(response.read())


def serve(link: Path, port: int, workers: int, processes: list) -> dict:
    """Start `postsearch serve` on the link and return its first /health answer."""
    processes.append(subprocess.Popen([POSTSEARCH, "serve", "--index", str(link), "--port", str(port), "--workers", str(workers)],
                                      stderr=subprocess.DEVNULL))
    deadline = time.monotonic() + 30
    while True:
        try:
            return health(port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_every_server_worker_answers_from_a_switched_build(tmp_path, processes):
    old, new = two_builds(tmp_path)
    link, port = tmp_path / "live", free_port()
    subprocess.run([POSTSEARCH, "switch", str(link), str(old)], check=True, capture_output=True)
    first = serve(link, port, 2, processes)
    subprocess.run([POSTSEARCH, "switch", str(link), str(new)], check=True, capture_output=True)
    answers = [health(port) for _ in range(40)]  # over both workers
    assert all(answer["build_id"] != first["build_id"] and answer["posts"] == first["posts"] + 1 for answer in answers)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q=zeppelin", timeout=10) as response:
        assert json.loads(response.read())["total"] == 1


def test_two_replicas_each_switched_by_the_recipe_answer_from_the_new_build(tmp_path, processes):
    """Two replicas on one machine (two ports, each with its own copy and link, as on two hosts): the build is
    copied beside each one's builds and each link switched; both answer from it, the old copies deleted."""
    old, new = two_builds(tmp_path)
    replicas = []
    for name in ("a", "b"):
        home, port = tmp_path / f"replica-{name}", free_port()
        shutil.copytree(old, home / "builds" / "old")
        subprocess.run([POSTSEARCH, "switch", str(home / "live"), str(home / "builds" / "old")], check=True, capture_output=True)
        replicas.append((home, port, serve(home / "live", port, 1, processes)))
    for home, port, before in replicas:
        shutil.copytree(new, home / "builds" / "new")  # the deploy's copy (rsync on another host)
        subprocess.run([POSTSEARCH, "switch", str(home / "live"), str(home / "builds" / "new")], check=True, capture_output=True)
        shutil.rmtree(home / "builds" / "old")
        after = health(port)
        assert after["build_id"] != before["build_id"] and after["posts"] == before["posts"] + 1
    assert len({health(port)["build_id"] for _, port, _ in replicas}) == 1  # both serve the one build
