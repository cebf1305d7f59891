"""Faults: SIGKILL `postsearch index` at moments spread over a run, and check what the index answers after.

Usage: python -m bench.faults [--corpus jekyll-posts] [--kills 20] [--mode rebuild|incremental|both]
Each round starts from an index of the posts in state "old" (a marker word in every third post), switches the
posts to state "new" (another marker), starts a run and kills it with SIGKILL at the round's moment (spread over
the run's measured length, the last ones at its very end, during the commit). After the kill the index must open
and answer exactly as it did before the run or as a clean build of the new state does, never a mix and never an
error; the next run must then converge to the clean build. Prints one line per mode and exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import CORPORA
from search.files import find_posts
from search.query import open_index

POSTSEARCH = str(Path(sys.executable).parent / "postsearch")
QUERIES = ("faultold", "faultnew", "release", "install configuration", "title:jekyll", "theme OR plugin")


def set_state(posts: Path, marked: list[Path], originals: dict[Path, str], state: str) -> None:
    """Write the marker of a state at the end of every marked post."""
    for path in marked:
        path.write_text(originals[path] + f"\n\nMarker fault{state} paragraph.\n", encoding="utf-8")


def answers(index_dir: Path) -> list[tuple[int, list[str]]]:
    """Each query's total and the set of posts it finds (as a sorted list): what the index answers. Sets, not
    rankings: an index updated in place weighs words by statistics that still count its deleted sections, so
    its order can differ a little from a clean build's while it finds the same posts."""
    with open_index(index_dir) as index:
        found = [index.search(q, per_page=1000) for q in QUERIES]
        return [(r.total, sorted(h.path for h in r.hits)) for r in found]


def index_run(posts: Path, index_dir: Path, rebuild: bool) -> subprocess.Popen:
    command = [POSTSEARCH, "index", str(posts), "--index", str(index_dir), "--allow-mass-delete"]
    return subprocess.Popen(command + (["--rebuild"] if rebuild else []), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(run: subprocess.Popen) -> None:
    _, errors = run.communicate()
    if run.returncode:
        raise RuntimeError(f"an index run failed: {errors.decode()[-500:]}")


def soak(corpus: str, kills: int, rebuild: bool) -> dict:
    """Kill runs of one mode at `kills` moments; count the outcomes."""
    with tempfile.TemporaryDirectory() as work:
        posts, index_dir, clean_dir = Path(work) / "posts", Path(work) / "index", Path(work) / "clean"
        shutil.copytree(CORPORA / corpus, posts)
        marked = find_posts(posts)[::3]
        originals = {path: path.read_text(encoding="utf-8") for path in marked}
        set_state(posts, marked, originals, "new")
        finish(index_run(posts, clean_dir, True))
        after = answers(clean_dir)
        set_state(posts, marked, originals, "old")
        finish(index_run(posts, index_dir, True))
        before = answers(index_dir)
        set_state(posts, marked, originals, "new")
        started = time.perf_counter()
        finish(index_run(posts, index_dir, rebuild))
        length = time.perf_counter() - started
        outcome = {"kills": 0, "before": 0, "after": 0, "mixed": 0, "errors": 0, "converged": 0, "run_s": round(length, 2)}
        moments = [length * i / (kills - 2) for i in range(1, kills - 2)] + [length * 0.97, length * 0.99, length * 1.01]
        for moment in moments[:kills]:
            set_state(posts, marked, originals, "old")
            finish(index_run(posts, index_dir, True))
            set_state(posts, marked, originals, "new")
            run = index_run(posts, index_dir, rebuild)
            time.sleep(moment)
            run.send_signal(signal.SIGKILL)
            run.wait()
            outcome["kills"] += 1
            try:
                now = answers(index_dir)
                outcome["before" if now == before else "after" if now == after else "mixed"] += 1
            except Exception as error:  # an index that cannot be opened after a kill is the failure counted
                outcome["errors"] += 1
                print(f"  after a kill at {moment:.2f} s: {type(error).__name__}: {error}", file=sys.stderr)
            finish(index_run(posts, index_dir, False))
            outcome["converged"] += answers(index_dir) == after
        return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="jekyll-posts")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--mode", choices=("rebuild", "incremental", "both"), default="both")
    options = parser.parse_args()
    failed = False
    for mode in (("rebuild", "incremental") if options.mode == "both" else (options.mode,)):
        result = soak(options.corpus, options.kills, mode == "rebuild")
        print(f"{options.corpus}, {mode} ({result['run_s']} s a run): " + json.dumps(result))
        failed |= bool(result["mixed"] or result["errors"] or result["converged"] != result["kills"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
