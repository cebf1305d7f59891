"""A full disk: an index on a small tmpfs that a run outgrows. The run ends in one Error line, the previous index
keeps answering, the failed run's files are gone, and a later run that fits succeeds."""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write

from search import open_index
from search.cli import main


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 2 MB tmpfs (mounting needs root: skipped otherwise)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if not shutil.which("mount") or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                                                    capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (it needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def used_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_a_full_disk_leaves_the_previous_index_answering(tmp_path, small_disk):
    posts, index = tmp_path / "posts", small_disk / "index"
    for n in range(5):
        write(posts, f"small{n}.md", f"---\ntitle: Small {n}\n---\nkeepme words {n}\n")
    assert CliRunner().invoke(main, ["index", str(posts), "--index", str(index)]).exit_code == 0
    before = used_bytes(small_disk)
    rng = random.Random(5)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 10))) for _ in range(20000)]
    for n in range(400):
        write(posts, f"big{n}.md", f"---\ntitle: Big {n}\n---\n" + " ".join(rng.choices(vocabulary, k=900)) + "\n")
    result = CliRunner().invoke(main, ["index", str(posts), "--index", str(index)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith(f"Error: Cannot write the index in {index}: ")
    assert "No space left on device; the previous index is unchanged." in result.output
    with open_index(index) as searcher:
        assert searcher.search("keepme").total == 5
        assert searcher.stats().posts == 5
    assert used_bytes(small_disk) <= before + 64 * 1024  # what the failed run wrote is removed
    for path in posts.glob("big*.md"):
        path.unlink()
    write(posts, "small5.md", "---\ntitle: Small 5\n---\nkeepme words 5\n")
    again = CliRunner().invoke(main, ["index", str(posts), "--index", str(index)])
    assert again.exit_code == 0, again.output
    with open_index(index) as searcher:
        assert searcher.search("keepme").total == 6


def test_what_a_killed_run_left_does_not_fill_the_disk_for_the_next(tmp_path, small_disk):
    """A killed run's uncommitted segment takes most of the disk; the next run removes it before it writes, so it
    fits (it used to fail for want of space, freeing the space only on its way out)."""
    posts, index = tmp_path / "posts", small_disk / "index"
    write(posts, "a.md", "---\ntitle: A\n---\nalpha\n")
    assert CliRunner().invoke(main, ["index", str(posts), "--index", str(index)]).exit_code == 0
    (index / "MAIN_k1lledrun0000000.seg").write_bytes(b"x" * 1_500_000)
    rng = random.Random(3)
    for n in range(40):
        write(posts, f"p{n}.md", "---\ntitle: P\n---\n" + " ".join(f"w{rng.randrange(10**6)}" for _ in range(120)) + "\n")
    result = CliRunner().invoke(main, ["index", str(posts), "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert not (index / "MAIN_k1lledrun0000000.seg").exists()
    with open_index(index) as searcher:
        assert searcher.stats().posts == 41
