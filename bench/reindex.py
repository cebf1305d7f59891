"""A site's life in fast motion: many incremental runs in a row, each changing a tenth of the posts, while
`postsearch serve` answers; does a run, or the server's memory, cost more the older the index is?

Usage: python -m bench.reindex [--corpus rust-blog] [--runs 200] [--queries 20]
Copies the corpus, builds it, starts the server, then runs `postsearch index` --runs times, each after giving a
tenth of the posts a new marker word; after each run it sends --queries searches (the marker among them, so every
server process opens the new generation) and samples the server's memory (all its processes). Reports the run
times (first, middle, last, and the medians of the first and last tenth), the index's size and the memory at each
tenth; writes bench/results/reindex-<corpus>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.load import POSTSEARCH, free_port, search_path, server_memory_mb, start_server
from bench.run import CORPORA, RESULTS, folder_size, machine
from search.files import find_posts

MARKER = "lifemarker"


def run_series(posts: Path, index_dir: Path, base: str, pid: int, runs: int, queries: int) -> list[dict]:
    """The runs: each one's seconds, the index's size and the server's memory after it."""
    files, rng = find_posts(posts), random.Random(5)
    originals = {path: path.read_text(encoding="utf-8") for path in files}
    words = [word for path in files[:50] for word in originals[path].split() if word.isalpha() and len(word) > 4]
    series = []
    for number in range(1, runs + 1):
        for path in rng.sample(files, max(1, len(files) // 10)):
            path.write_text(originals[path] + f"\n\n{MARKER}{number} paragraph.\n", encoding="utf-8")
        started = time.perf_counter()
        subprocess.run([POSTSEARCH, "index", str(posts), "--index", str(index_dir)], check=True, capture_output=True)
        seconds = time.perf_counter() - started
        found = ask(base, f"{MARKER}{number}")
        for word in rng.sample(words, min(queries, len(words))):
            ask(base, word)
        series.append({"run": number, "seconds": round(seconds, 3), "found": found,
                       "index_mb": round(folder_size(index_dir) / 1e6, 1), "memory_mb": server_memory_mb(pid)})
    return series


def ask(base: str, query: str) -> int:
    """One search through the server: how many posts it found."""
    with urllib.request.urlopen(base + search_path(query), timeout=30) as response:
        return int(json.loads(response.read())["total"])


def summary(series: list[dict]) -> dict:
    times = [run["seconds"] for run in series]
    tenth = max(1, len(series) // 10)
    return {
        "runs": len(series),
        "first_s": times[0], "middle_s": times[len(times) // 2], "last_s": times[-1],
        "first_tenth_median_s": round(statistics.median(times[:tenth]), 3),
        "last_tenth_median_s": round(statistics.median(times[-tenth:]), 3),
        "at_each_tenth": [series[i] for i in range(tenth - 1, len(series), tenth)],
        "marker_missed": sum(run["found"] == 0 for run in series),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="rust-blog")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="postsearch-reindex-") as work:
        posts, index_dir = Path(work) / "posts", Path(work) / "index"
        shutil.copytree(CORPORA / args.corpus, posts)
        subprocess.run([POSTSEARCH, "index", str(posts), "--index", str(index_dir)], check=True, capture_output=True)
        port = free_port()
        server = start_server(index_dir, port, None)
        try:
            base = f"http://127.0.0.1:{port}"
            ask(base, "warm")
            series = run_series(posts, index_dir, base, server.pid, args.runs, args.queries)
        finally:
            server.terminate()
            server.wait(10)
    result = {"corpus": args.corpus, "machine": machine(), **summary(series), "series": series}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"reindex-{args.corpus}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"reindex-{args.corpus}.md").write_text(markdown(result))
    print(markdown(result))
    return 1 if result["marker_missed"] else 0


def markdown(result: dict) -> str:
    lines = [
        f"# {result['runs']} incremental runs in a row: {result['corpus']}\n",
        f"Run time: first {result['first_s']} s, middle {result['middle_s']} s, last {result['last_s']} s; median of "
        f"the first tenth {result['first_tenth_median_s']} s, of the last tenth {result['last_tenth_median_s']} s. "
        f"Runs whose marker the server did not find: {result['marker_missed']}.\n",
        "| run | seconds | index (MB) | server memory (MB) |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r['run']} | {r['seconds']} | {r['index_mb']} | {r['memory_mb']} |" for r in result["at_each_tenth"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
