"""Issue 21's attacks, each measured again: queries on a large index, a server under hostile load, hostile posts.

Usage: python -m bench.attacks [--corpus cpp-docs] [--index DIR] [--seconds 10]

Queries (in-process, the server's 1 s limit, on a freshly opened index and again warm): exclusion chains
(`-a-a…-a x`), operator chains, a 480-character phrase, 40 misspelt words, 20 prefixes ORed with NOTs.
Server (`postsearch serve` on 127.0.0.1, wrk): 32 connections of 500-character queries, then 32 keep-alive
clients of cheap queries; meanwhile `/health` is asked on a new connection every 0.25 s. Posts (`postsearch
index` in a child process; time and its peak memory): a 460-byte YAML alias bomb in `tags:`, 80 KB posts shaped
against each pattern, a link to /etc/passwd, files a user left in the index folder. Writes
bench/results/attacks.json and .md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench.fuzz import ensure_index
from bench.load import POSTSEARCH, WRK_SCRIPT, free_port, search_path, start_server, wrk
from bench.run import machine, save_results, spread_ms
from search import open_index
from search.errors import QueryError

LIMIT = 1.0
TYPOS = " ".join(w[:-1] + "q" + w[-1] for w in ("template compiler warning linker runtime pointer memory struct class "
                                                  "object stream buffer format header module option " * 3).split()[:40])
QUERIES = {
    "`-a` x 25 + ` x` (52 chars)": "-a" * 25 + " x",
    "`-a` x 40 + ` x` (82 chars)": "-a" * 40 + " x",
    "`-a` x 249 + ` x` (500 chars)": "-a" * 249 + " x",
    "`a ANDNOT b ANDNOT …`, 18 words": " ANDNOT ".join("abcdefghijklmnopqr"),
    "`a ANDMAYBE b …`, 20 words": " ANDMAYBE ".join("abcdefghijklmnopqrst"),
    "a phrase of 80 words (480 chars)": '"' + " ".join(("the compiler and the linker of the " * 20).split()[:80]) + '"',
    "40 misspelt words": TYPOS,
    "20 prefixes ORed with NOTs (500 chars)": " OR ".join(f"{c}* OR NOT {c}x" for c in "abcdefghijklmnopqrst")[:500],
    "nine ranges": "[m TO op] [o TO er] [e TO cr] [c TO li] [l TO fl] [f TO af] [a TO fu] [f TO la] [l TO ad]",
}
ALIAS_BOMB = ('a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
              + "\n".join(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 9)) + "\ntags: *a8\n")
HOSTILE_BODIES = {
    "`# a` + 2,000 spaces + `b`": "# a" + " " * 2_000 + "b\n",
    "80 KB of `> `": "> " * 40_000 + "\n",
    "80 KB of `{% `": "{% " * 27_000,
    "80 KB of `{{< `": "{{< " * 20_000,
    "80 KB of `<div>` lines": "<div>\n" * 13_000,
    "80 KB of `>` lines then `[!NOTE]`": ">\n" * 40_000 + "> [!NOTE] x\n",
    "one 20 KB heading line": "## " + "a " * 10_000 + "\n",
}


def time_queries(index_dir: Path) -> list[dict[str, Any]]:
    """Each attack query on a freshly opened index (cold) and again (warm): wall time, partial, or its refusal."""
    rows = []
    for name, text in QUERIES.items():
        row: dict[str, Any] = {"attack": name, "characters": len(text)}
        with open_index(index_dir) as searcher:
            for run in ("cold", "warm"):
                started = time.perf_counter()
                try:
                    results = searcher.search(text, time_limit=LIMIT)
                    outcome = f"{results.total} posts" + (", partial" if results.partial else "")
                except QueryError as error:
                    outcome = f"refused: {str(error)[:60]}"
                row[f"{run}_s"], row["outcome"] = round(time.perf_counter() - started, 3), outcome
        rows.append(row)
    return rows


def probe_health(base: str, stop: threading.Event, waits: list[float]) -> None:
    """Ask /health on a new connection every 0.25 s until stopped; each answer's wait in ms."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            urllib.request.urlopen(base + "/health", timeout=30).read()
            waits.append((time.perf_counter() - started) * 1000)
        except OSError:
            waits.append(30_000.0)
        stop.wait(0.25)


def under_load(base: str, work: Path, queries: list[str], connections: int, seconds: int) -> dict[str, Any]:
    """wrk with these queries at this many keep-alive connections, and /health on new connections meanwhile."""
    script = work / "attack.lua"
    paths = ", ".join(json.dumps(search_path(q)) for q in queries)
    script.write_text(WRK_SCRIPT % paths, encoding="utf-8")
    waits: list[float] = []
    stop = threading.Event()
    prober = threading.Thread(target=probe_health, args=(base, stop, waits))
    prober.start()
    try:
        run = wrk(base, script, connections, seconds)
    finally:
        stop.set()
        prober.join()
    return {**run, "health_ms": spread_ms(waits)}


MEASURED_CHILD = ("import json, resource, subprocess, sys, time; started = time.perf_counter(); "
                  "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
                  "print(json.dumps([time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.stdout]))")


def index_run(posts: Path, index_dir: Path) -> dict[str, Any]:
    """`postsearch index --json` in a child process of a fresh Python: its wall time, its peak memory (the largest
    of it and its worker processes) and its summary."""
    command = [POSTSEARCH, "index", str(posts), "--index", str(index_dir), "--json"]
    measured = subprocess.run([sys.executable, "-c", MEASURED_CHILD, *command], capture_output=True, text=True, check=True)
    seconds, peak_kb, output = json.loads(measured.stdout)
    summary = json.loads(output) if output.strip().startswith("{") else {"error": output.strip()}
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak_kb / 1024), "summary": summary}


def hostile_posts(work: Path) -> list[dict[str, Any]]:
    """Each hostile post alone beside a good one: the run's time and memory, and what it said of the post."""
    rows = []
    cases = {"460-byte alias bomb in `tags:`": "---\ntitle: bomb\n" + ALIAS_BOMB + "---\nbody\n"}
    cases |= {shape: f"---\ntitle: shape\n---\n{body}" for shape, body in HOSTILE_BODIES.items()}
    for number, (name, text) in enumerate(cases.items()):
        posts = work / f"posts-{number}"
        posts.mkdir()
        (posts / "hostile.md").write_text(text, encoding="utf-8")
        (posts / "good.md").write_text("---\ntitle: Good\n---\nA good apple.\n", encoding="utf-8")
        run = index_run(posts, work / f"index-{number}")
        failed = {f["path"]: f["error"] for f in run["summary"].get("failed", [])}
        outcome = f"failed: {failed['hostile.md'][:70]}" if "hostile.md" in failed else f"indexed ({run['summary'].get('added')} posts)"
        rows.append({"attack": name, "bytes": len(text.encode()), "seconds": run["seconds"], "peak_rss_mb": run["peak_rss_mb"], "outcome": outcome})
    return rows


def files_outside(work: Path) -> dict[str, Any]:
    """A link to /etc/passwd and a linked folder outside the posts; user files in the index folder."""
    posts, outside, index_dir = work / "site", work / "outside", work / "site-index"
    posts.mkdir()
    outside.mkdir()
    (outside / "secret.md").write_text("---\ntitle: Secret\n---\nroot daemon secret\n")
    (posts / "good.md").write_text("---\ntitle: Good\n---\nA good apple.\n")
    (posts / "x.md").symlink_to("/etc/passwd")
    (posts / "linked").symlink_to(outside, target_is_directory=True)
    first = index_run(posts, index_dir)
    kept = ["MAIN_x.seg", "_MAIN_99.toc", "photo.ctmp", "postsearch-posts-backup.npy", "postsearch-posts-notes.txt"]
    for name in kept:
        (index_dir / name).write_text("mine")
    (index_dir / "MAIN_dir.tmp").mkdir()
    (index_dir / "MAIN_dir.tmp" / "file").write_text("mine")
    kept.append("MAIN_dir.tmp/file")
    (posts / "good.md").write_text("---\ntitle: Good\n---\nA good apple, changed.\n")
    index_run(posts, index_dir)
    with open_index(index_dir) as searcher:
        leaked = searcher.search("root daemon").total + searcher.search("secret").total
    return {
        "reported": sorted(f["path"] for f in first["summary"].get("failed", [])),
        "posts_found_from_outside": leaked,
        "user_files_kept": sum((index_dir / name).exists() for name in kept),
        "user_files": len(kept),
    }


def measure(corpus: str, index_dir: Path, seconds: int) -> dict[str, Any]:
    ensure_index(corpus, index_dir)
    queries = time_queries(index_dir)
    with tempfile.TemporaryDirectory(prefix="postsearch-attacks-") as folder:
        work = Path(folder)
        hostile_load, keep_alive = loads(index_dir, work, seconds)
        posts = hostile_posts(work)
        outside = files_outside(work)
    return {"corpus": corpus, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
            "queries": queries, "hostile_load": hostile_load, "keep_alive": keep_alive, "posts": posts, "outside": outside}


def loads(index_dir: Path, work: Path, seconds: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """`postsearch serve` under 32 connections of attack queries, then of cheap ones."""
    port = free_port()
    server = start_server(index_dir, port, None)
    base = f"http://127.0.0.1:{port}"
    try:
        long_queries = [text for text in QUERIES.values() if len(text) >= 400]
        hostile_load = under_load(base, work, long_queries, 32, seconds)
        cheap = ["vector", "template class", "std string", "memory order", "iterator"]
        keep_alive = under_load(base, work, cheap, 32, seconds)
    finally:
        server.terminate()
        server.wait(10)
    return hostile_load, keep_alive


def table(result: dict[str, Any]) -> str:
    lines = [f"# Attacks, {result['corpus']}, {result['when']}", "", "| query (1 s limit) | cold | warm | outcome |", "|---|---|---|---|"]
    lines += [f"| {q['attack']} | {q['cold_s']:.2f} s | {q['warm_s']:.2f} s | {q['outcome']} |" for q in result["queries"]]
    lines += ["", "| load (wrk, 32 keep-alive connections) | requests/s | p50 / p99 | errors | `/health` on a new connection: p50 / p95 / max |", "|---|---|---|---|---|"]
    for name, key in (("500-character attack queries", "hostile_load"), ("cheap queries", "keep_alive")):
        run = result[key]
        health = run["health_ms"]
        lines.append(f"| {name} | {run['requests_per_s']:.0f} | {run['p50_ms']:.0f} / {run['p99_ms']:.0f} ms | {run['errors']} | "
                     f"{health['p50']:.0f} / {health['p95']:.0f} / {health['max']:.0f} ms ({health['count']} probes) |")
    lines += ["", "| post | bytes | run | peak RSS | outcome |", "|---|---|---|---|---|"]
    lines += [f"| {p['attack']} | {p['bytes']:,} | {p['seconds']:.2f} s | {p['peak_rss_mb']} MB | {p['outcome']} |" for p in result["posts"]]
    outside = result["outside"]
    lines += ["", f"Links out of the site: reported {', '.join(outside['reported'])}; posts found from outside: "
              f"{outside['posts_found_from_outside']}; a user's files in the index folder kept after two runs: "
              f"{outside['user_files_kept']} of {outside['user_files']}.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="cpp-docs")
    parser.add_argument("--index", type=Path, default=Path("/tmp/postsearch-fuzz-index"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--load-only", action="store_true", help="only the server under load (printed, not saved)")
    args = parser.parse_args()
    if args.load_only:
        with tempfile.TemporaryDirectory(prefix="postsearch-attacks-") as folder:
            print(json.dumps(loads(args.index, Path(folder), args.seconds), indent=1))
        return 0
    result = measure(args.corpus, args.index, args.seconds)
    markdown = table(result)
    save_results("attacks", result, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
