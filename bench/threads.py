"""One shared SearchIndex searched by many threads while another process re-indexes: every search must succeed
and every result must be the answer of one index generation, never a mix.

Usage: python -m bench.threads [--threads 8] [--commits 40] [--posts 60]
The posts folder flips between two states at each commit (state B renames a word in a third of the posts); each
query's expected matches in each state are known, and each result is checked against them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from search.indexer import build_index
from search.query import SearchIndex, open_index

QUERIES = ("apple", "zebras", "apple OR zebras", "orchard", "orchard -zebras", "appl*", '"green apple"')
WRITER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from bench.threads import write_posts
from search.indexer import build_index
posts, index, count, commits = Path({posts!r}), Path({index!r}), {count}, {commits}
for commit in range(commits):
    write_posts(posts, count, changed=commit % 2 == 0)
    build_index(posts, index, workers=1)
    print(commit, flush=True)
"""


@dataclass
class Report:
    """What the hammering saw."""

    searches: int = 0
    errors: list[str] = field(default_factory=list)
    mixed: list[str] = field(default_factory=list)  # results matching neither state
    generations: dict[int, set[str]] = field(default_factory=dict)  # generation -> the states all its results fit
    commits: int = 0
    seconds: float = 0.0
    open_files: int = 0  # files of the index this process holds open at the end (the last generation's)
    deleted_open: int = 0  # of those, files the writer has deleted: what a replaced generation failed to close

    def summary(self) -> str:
        """One line of figures."""
        split = sum(1 for states in self.generations.values() if not states)
        return (
            f"{self.searches} searches by the threads during {self.commits} commits in {self.seconds:.1f} s: "
            f"{len(self.errors)} errors, {len(self.mixed)} results of no single state, {len(self.generations)} "
            f"generations seen, {split} generations answering as both states; {self.open_files} index files open at the end, {self.deleted_open} of them deleted ones"
        )


def post_text(number: int, changed: bool) -> str:
    """Post `number` in state A, or in state B, where every third post says 'zebras' for 'apple'."""
    word = "zebras" if changed and number % 3 == 0 else "apple"
    return f"---\ntitle: Orchard note {number}\ndate: 2024-01-{number % 28 + 1:02d}\n---\nA green {word} in the orchard.\n\n## Harvest {number}\n\nThe {word} harvest.\n"


def write_posts(folder: Path, count: int, changed: bool) -> None:
    """Write the posts of one state (only the files that differ from the other state change)."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        path = folder / f"post-{number:03d}.md"
        text = post_text(number, changed)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def signature(index: SearchIndex, query: str) -> tuple[int, tuple[str, ...], int]:
    """A result's identity, how many posts matched and which (all of them on one page), and its generation."""
    results = index.search(query, per_page=100)
    return results.total, tuple(sorted(hit.path for hit in results.hits)), results.generation


def expected_signatures(work: Path, count: int) -> dict[str, dict[tuple, set[str]]]:
    """For each query, the states in which it gives each (total, paths), from fresh indexes of each state."""
    expected: dict[str, dict[tuple, set[str]]] = defaultdict(lambda: defaultdict(set))
    for state, changed in (("A", False), ("B", True)):
        posts, index_dir = work / f"expected-{state}" / "posts", work / f"expected-{state}" / "index"
        write_posts(posts, count, changed)
        build_index(posts, index_dir, workers=1)
        with open_index(index_dir) as index:
            for query in QUERIES:
                expected[query][signature(index, query)[:2]].add(state)
    return expected


def hammer(work: Path, threads: int = 8, commits: int = 40, count: int = 60) -> Report:
    """Search one shared SearchIndex from `threads` threads while another process commits `commits` times."""
    expected = expected_signatures(work, count)
    posts, index_dir = work / "live" / "posts", work / "live" / "index"
    write_posts(posts, count, changed=False)
    build_index(posts, index_dir, workers=1)
    repo = str(Path(__file__).resolve().parent.parent)
    script = WRITER.format(repo=repo, posts=str(posts), index=str(index_dir), count=count, commits=commits)
    report, lock = Report(), threading.Lock()
    with open_index(index_dir) as index:
        writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started = time.perf_counter()

        def search_until_done(offset: int) -> None:
            turn = offset
            while writer.poll() is None:
                query = QUERIES[turn % len(QUERIES)]
                turn += 1
                try:
                    total, paths, generation = signature(index, query)
                except Exception as error:  # any exception at all is a failure of the shared object
                    with lock:
                        report.errors.append(f"{query}: {type(error).__name__}: {error}")
                    continue
                states = expected[query].get((total, paths))
                with lock:
                    report.searches += 1
                    if states is None:
                        report.mixed.append(f"{query}: {total} posts at generation {generation}")
                    else:
                        report.generations[generation] = report.generations.get(generation, {"A", "B"}) & states

        workers = [threading.Thread(target=search_until_done, args=(n,)) for n in range(threads)]
        try:
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        finally:
            if writer.poll() is None:  # the threads failed: the writer must not outlive the run
                writer.kill()
        output, errors = writer.communicate()
        report.seconds = time.perf_counter() - started
        report.commits = len(output.split())
        if writer.returncode:
            report.errors.append(f"the writer process failed: {errors.strip()}")
        index.search(QUERIES[0])  # picks up the last commit and closes the generation before it
        still_open = open_files_in(index_dir)
        report.open_files = len(still_open)
        report.deleted_open = sum(1 for target in still_open if target.endswith("(deleted)"))
    return report


def open_files_in(folder: Path) -> list[str]:
    """The files below folder this process has open (Linux: /proc/self/fd), deleted ones included."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith(str(folder.resolve())):
            found.append(target)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--commits", type=int, default=40)
    parser.add_argument("--posts", type=int, default=60)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        report = hammer(Path(work), options.threads, options.commits, options.posts)
    print(report.summary())
    for line in (report.errors + report.mixed)[:10]:
        print("  ", line)
    return 1 if report.errors or report.mixed else 0


if __name__ == "__main__":
    sys.exit(main())
