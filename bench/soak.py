"""Soak: `postsearch serve` under a steady stream of mixed requests from several clients for minutes, while the
posts change and are re-indexed every 30 s.

Usage: python -m bench.soak [--corpus rust-blog] [--minutes 3] [--connections 8] [--reindex-every 30]
Needs Debian's wrk. The requests mix /search (pages, sorts, filters, facets), /suggest for typed prefixes and
/health. Every --reindex-every seconds a tenth of the posts get a new marker word and `postsearch index` runs
(incremental). Reports requests, errors (must be 0), p50/p95/p99 latency, the re-index runs, and the server's
memory and open file descriptors (all its processes) after the warm-up and at the end; exits 1 on any error, a
failed re-index, a server that does not see the last marker, or descriptors still growing in the second half of
the runs (each run adds a segment up to the merge policy's bound, then they stay level but for a swap). Writes
bench/results/soak-<corpus>.json and .md.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench.load import POSTSEARCH, WRK_SCRIPT, free_port, search_path, server_memory_mb, server_processes, start_server
from bench.run import CORPORA, RESULTS, corpus_parser, extract_sections, machine, make_queries
from search.files import find_posts

MARKER = "soakmarker"


def mixed_paths(queries: list[str], rng: random.Random) -> list[str]:
    """Requests as a site's readers make them: searches, later pages, date sorts, facets, typed prefixes."""
    paths = []
    for query in queries:
        paths.append(search_path(query))
        extra = rng.choice(({"page": 2}, {"sort": "date"}, {"facets": 1}, {"recent": 1}, {}))
        paths.append("/search?" + urllib.parse.urlencode({"q": query, **extra}))
        paths.append("/suggest?" + urllib.parse.urlencode({"q": query[: rng.randint(1, len(query))]}))
    paths.append("/health")
    rng.shuffle(paths)
    return paths


def server_fds(pid: int) -> int:
    """Open file descriptors of a process and its children."""
    total = 0
    for entry in server_processes(pid):
        try:
            total += len(os.listdir(entry / "fd"))
        except OSError:
            continue
    return total


def reindexer(
    posts: Path, index_dir: Path, every: float, stop: threading.Event, runs: list[dict], sample: Callable[[], dict]
) -> None:
    """Every `every` seconds: mark a tenth of the posts with a new marker word, then run an incremental index;
    each run's record holds the server's memory and descriptors sampled just before it."""
    files, rng, round_number = find_posts(posts), random.Random(3), 0
    originals = {path: path.read_text(encoding="utf-8") for path in files}
    while not stop.wait(every):
        round_number += 1
        for path in rng.sample(files, max(1, len(files) // 10)):
            path.write_text(originals[path] + f"\n\n{MARKER}{round_number} paragraph.\n", encoding="utf-8")
        before = sample()
        started = time.perf_counter()
        run = subprocess.run([POSTSEARCH, "index", str(posts), "--index", str(index_dir), "--json", "--wait", "30"],
                             capture_output=True, text=True)
        summary = json.loads(run.stdout) if run.returncode == 0 else {}
        runs.append({"round": round_number, "exit": run.returncode, "seconds": round(time.perf_counter() - started, 2),
                     "updated": summary.get("updated"), "error": run.stderr[-300:] if run.returncode else "", **before})


def wrk_run(base: str, script: Path, connections: int, seconds: int) -> dict:
    """One long wrk run: totals and latency percentiles in ms."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), base]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    requests, duration_us, p50, p95, p99, socket_errors, status_errors, _, slowest = map(int, line.split()[1:])
    return {"requests": requests, "requests_per_s": round(requests / (duration_us / 1e6), 1), "p50_ms": p50 / 1000,
            "p95_ms": p95 / 1000, "p99_ms": p99 / 1000, "max_ms": slowest / 1000, "errors": socket_errors + status_errors}


def soak(corpus: str, minutes: float, connections: int, every: float) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as work:
        posts, index_dir, script = Path(work) / "posts", Path(work) / "index", Path(work) / "mixed.lua"
        shutil.copytree(CORPORA / corpus, posts)
        queries = make_queries(extract_sections(posts), 200)
        script.write_text(WRK_SCRIPT % ", ".join(json.dumps(p) for p in mixed_paths(queries, rng)), encoding="utf-8")
        subprocess.run([POSTSEARCH, "index", str(posts), "--index", str(index_dir)], check=True, capture_output=True)
        port = free_port()
        server = start_server(index_dir, port, None)
        base = f"http://127.0.0.1:{port}"
        stop, runs = threading.Event(), list[dict]()
        try:
            wrk_run(base, script, 2, 5)  # warm-up: every worker has opened the index
            def sample() -> dict:
                return {"memory_mb": server_memory_mb(server.pid), "fds": server_fds(server.pid)}

            start = sample()
            thread = threading.Thread(target=reindexer, args=(posts, index_dir, every, stop, runs, sample))
            thread.start()
            load = wrk_run(base, script, connections, int(minutes * 60))
            stop.set()
            thread.join()
            time.sleep(1.5)  # the server notices the last generation on its next request
            last = f"{MARKER}{runs[-1]['round']}" if runs else MARKER
            urllib.request.urlopen(f"{base}/search?q=warm", timeout=10).read()
            seen = json.loads(urllib.request.urlopen(f"{base}/search?q={last}", timeout=10).read())["total"]
            end = sample()
        finally:
            stop.set()
            server.terminate()
            server.wait(timeout=10)
    return {"corpus": corpus, "minutes": minutes, "connections": connections, "reindex_every_s": every,
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(), "load": load,
            "reindex_runs": runs, "last_marker_found": seen, "start": start, "end": end}


def report(result: dict) -> str:
    load, runs = result["load"], result["reindex_runs"]
    failed = [run for run in runs if run["exit"]]
    return "\n".join([
        f"### Soak on {result['corpus']}: {result['minutes']} min, {result['connections']} connections, re-index every "
        f"{result['reindex_every_s']:g} s ({result['when']})",
        "",
        f"- requests: {load['requests']} ({load['requests_per_s']}/s), errors: {load['errors']}",
        f"- latency: p50 {load['p50_ms']:.2f} ms, p95 {load['p95_ms']:.2f} ms, p99 {load['p99_ms']:.2f} ms, max {load['max_ms']:.1f} ms",
        f"- re-index runs: {len(runs)}, failed: {len(failed)}, each {', '.join(str(r['seconds']) for r in runs)} s; "
        f"the last marker found in {result['last_marker_found']} posts through the server",
        f"- server memory: {result['start']['memory_mb']} MB after warm-up, {result['end']['memory_mb']} MB at the end",
        f"- server open file descriptors: {result['start']['fds']} after warm-up, {result['end']['fds']} at the end",
        f"- before each re-index: memory {', '.join(str(r['memory_mb']) for r in runs)} MB; descriptors "
        f"{', '.join(str(r['fds']) for r in runs)}",
    ]) + "\n"


def main() -> int:
    parser = corpus_parser(__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--reindex-every", type=float, default=30)
    options = parser.parse_args()
    result = soak(options.corpus, options.minutes, options.connections, options.reindex_every)
    text = report(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"soak-{options.corpus}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"soak-{options.corpus}.md").write_text(text)
    print(text)
    bad = result["load"]["errors"] or any(r["exit"] for r in result["reindex_runs"]) or not result["last_marker_found"]
    return 1 if bad or not flat(result) else 0


SWAP_FILES = 2  # while a new generation opens, a worker holds the old one's files until its last search ends


def flat(result: dict) -> bool:
    """Whether the server's descriptors stopped growing: each re-index adds a segment until the merge policy's
    bound (search/index_format/writing.py), so the second half of the runs must see no new high beyond a swap."""
    counts = [run["fds"] for run in result["reindex_runs"]] + [result["end"]["fds"]]
    half = len(counts) // 2
    return half > 0 and max(counts[half:]) <= max(counts[:half]) + SWAP_FILES


if __name__ == "__main__":
    raise SystemExit(main())
