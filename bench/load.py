"""Load: `postsearch serve` driven by wrk over the benchmark's seeded queries, beside the same queries in-process.

Usage: python -m bench.load [--corpus rust-blog] [--queries 200] [--seconds 10] [--workers N]
Needs Debian's wrk. Reports requests per second, p50/p95/p99 and errors at 1 and 8 connections, the in-process
p50 of the same /search work (facets included), /suggest's in-process latency, and the server's memory (all its
processes) before and after 10,000 more requests. Writes bench/results/load-<corpus>.json and .md.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.run import CORPORA, corpus_parser, extract_sections, machine, make_queries, percentile, save_results
from search.query import open_index

POSTSEARCH = str(Path(sys.executable).parent / "postsearch")
WRK_SCRIPT = """
local paths = {%s}
local at = 0
request = function()
  at = at + 1
  return wrk.format("GET", paths[(at %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.bytes, latency.max))
end
"""


def search_path(query: str) -> str:
    return "/search?" + urllib.parse.urlencode({"q": query, "per_page": 10})


def in_process(index_dir: Path, queries: list[str], passes: int = 3) -> dict[str, float]:
    """Each query's median time through the Python API doing what /search does, and /suggest's latency."""
    with open_index(index_dir) as index:
        for query in queries:
            index.search(query, per_page=10, facets=True, time_limit=1.0)
        times: dict[str, list[float]] = {query: [] for query in queries}
        for _ in range(passes):
            for query in queries:
                started = time.perf_counter()
                index.search(query, per_page=10, facets=True, time_limit=1.0)
                times[query].append(time.perf_counter() - started)
        medians = sorted(statistics.median(values) for values in times.values())
        typed = [query[: n] for query in queries for n in range(1, len(query) + 1)]  # every keystroke of each query
        suggest_times = []
        for text in typed:
            started = time.perf_counter()
            index.suggest(text)
            suggest_times.append(time.perf_counter() - started)
    return {
        "search_p50_ms": round(percentile(medians, 0.5) * 1000, 3),
        "search_p95_ms": round(percentile(medians, 0.95) * 1000, 3),
        "suggest_calls": len(typed),
        "suggest_p50_ms": round(percentile(sorted(suggest_times), 0.5) * 1000, 3),
        "suggest_p95_ms": round(percentile(sorted(suggest_times), 0.95) * 1000, 3),
        "suggest_p99_ms": round(percentile(sorted(suggest_times), 0.99) * 1000, 3),
    }


def wrk(base: str, script: Path, connections: int, seconds: int) -> dict[str, float]:
    """One wrk run: requests per second, latency percentiles (ms) and errors."""
    threads = min(connections, 2)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script), base]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    requests, duration_us, p50, p95, p99, socket_errors, status_errors, _, _ = map(int, line.split()[1:])
    return {
        "connections": connections,
        "requests": requests,
        "requests_per_s": round(requests / (duration_us / 1e6), 1),
        "p50_ms": round(p50 / 1000, 3),
        "p95_ms": round(p95 / 1000, 3),
        "p99_ms": round(p99 / 1000, 3),
        "errors": socket_errors + status_errors,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_processes(pid: int) -> list[Path]:
    """The /proc folders of a process and its children (the server's main process and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if int(entry.name) == pid or parent == pid:
            found.append(entry)
    return found


def server_memory_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    for entry in server_processes(pid):
        try:
            total += int((entry / "stat").read_text().rsplit(")", 1)[1].split()[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return round(total / 1e6, 1)


def start_server(index_dir: Path, port: int, workers: int | None) -> subprocess.Popen:
    command = [POSTSEARCH, "serve", "--index", str(index_dir), "--port", str(port)]
    if workers:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("postsearch serve did not start")


def measure(corpus: str, query_count: int, seconds: int, workers: int | None) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    posts = CORPORA / corpus
    queries = make_queries(extract_sections(posts), query_count)
    with tempfile.TemporaryDirectory() as work:
        index_dir, script = Path(work) / "index", Path(work) / "queries.lua"
        subprocess.run([POSTSEARCH, "index", str(posts), "--index", str(index_dir), "--json"], check=True, capture_output=True)
        script.write_text(WRK_SCRIPT % ", ".join(json.dumps(search_path(q)) for q in queries), encoding="utf-8")
        local = in_process(index_dir, queries)
        port = free_port()
        server = start_server(index_dir, port, workers)
        base = f"http://127.0.0.1:{port}"
        try:
            wrk(base, script, 2, 2)  # warm-up: every worker has opened and touched the index
            runs = [wrk(base, script, connections, seconds) for connections in (1, 8)]
            memory_before = server_memory_mb(server.pid)
            soak: dict[str, float] = {"requests": 0, "errors": 0}
            while soak["requests"] < 10_000:
                run = wrk(base, script, 8, 3)
                soak = {"requests": soak["requests"] + run["requests"], "errors": soak["errors"] + run["errors"]}
            memory_after = server_memory_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)
    return {
        "corpus": corpus,
        "queries": len(queries),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "workers": workers or len(os.sched_getaffinity(0)),
        "in_process": local,
        "wrk": runs,
        "memory": {"before_mb": memory_before, "after_mb": memory_after, **soak},
    }


def table(result: dict) -> str:
    one, eight = result["wrk"]
    local = result["in_process"]
    lines = [
        f"### Load on {result['corpus']}: {result['queries']} queries, {result['workers']} workers ({result['when']})",
        "",
        "| | requests/s | p50 (ms) | p95 (ms) | p99 (ms) | errors |",
        "|---|---|---|---|---|---|",
        f"| in-process search (facets, top 10, snippets) | | {local['search_p50_ms']} | {local['search_p95_ms']} | | |",
    ]
    for run in (one, eight):
        lines.append(f"| HTTP, {run['connections']} connection(s), {run['requests']} requests | {run['requests_per_s']} | "
                     f"{run['p50_ms']} | {run['p95_ms']} | {run['p99_ms']} | {run['errors']} |")
    memory = result["memory"]
    lines += [
        "",
        f"8 connections give {eight['requests_per_s'] / one['requests_per_s']:.2f}x the requests per second of 1; "
        f"at 1 connection the HTTP p50 is {one['p50_ms'] - local['search_p50_ms']:.2f} ms above the in-process p50.",
        f"Server memory (all processes): {memory['before_mb']} MB before and {memory['after_mb']} MB after "
        f"{memory['requests']} more requests ({memory['errors']} errors).",
        f"/suggest in-process over {local['suggest_calls']} keystrokes: p50 {local['suggest_p50_ms']} ms, "
        f"p95 {local['suggest_p95_ms']} ms, p99 {local['suggest_p99_ms']} ms.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = corpus_parser(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int)
    options = parser.parse_args()
    result = measure(options.corpus, options.queries, options.seconds, options.workers)
    markdown = table(result)
    save_results(f"load-{options.corpus}", result, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
