"""Deploys under load: `postsearch serve --index LINK` under wrk while builds made by another process are switched
in with `postsearch switch`, as a replica's deploy job would.

Usage: python -m bench.swap [--corpus rust-blog] [--switches 20] [--connections 8] [--workers N]
Needs Debian's wrk. Each build is a full `postsearch index --rebuild` of the corpus into a new folder (every other
one leaves out one post, so /health's post count shows which is answering). Reports wrk's requests and errors
(socket errors and non-2xx answers) over the whole run; for each switch the time until /health first answers from
the new build and until 20 answers in a row do (new connections, spread over the workers); and the server's
memory and open files (and those of deleted files) after the first and the last switch.
Writes bench/results/swap-<corpus>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.run import CORPORA, RESULTS, machine

POSTSEARCH = str(Path(sys.executable).parent / "postsearch")
IN_A_ROW = 20  # answers from the new build in a row that count as "every worker switched"
WRK_SCRIPT = """
local queries = {"rust", "async+await", "borrow+checker", "compiler", "cargo+build", "error+handling"}
local at = 0
request = function()
  at = at + 1
  return wrk.format("GET", "/search?q=" .. queries[(at % #queries) + 1])
end
"""


def health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
        return json.loads(response.read())


def server_processes(root_pid: int) -> list[int]:
    """The server's process and its workers."""
    found = [root_pid]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if int(Path(f"/proc/{pid}/stat").read_text().split()[3]) == root_pid:
                    found.append(int(pid))
            except OSError:
                continue
    return found


def resources(root_pid: int) -> dict[str, float]:
    """Memory (RSS, MB) and open files, all and deleted ones, of the server's processes."""
    rss = files = deleted = 0
    for pid in server_processes(root_pid):
        status = Path(f"/proc/{pid}/status").read_text()
        rss += int(re.findall(r"VmRSS:\s+(\d+)", status)[0])
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            files += 1
            deleted += target.endswith("(deleted)")
    return {"rss_mb": round(rss / 1024, 1), "open_files": files, "deleted_files_open": deleted}


def build(corpus: Path, folder: Path, leave_out: str | None) -> str:
    """A full build into a new folder, in another process; its build id."""
    command = [POSTSEARCH, "index", str(corpus), "--index", str(folder), "--rebuild", "--json"]
    if leave_out:
        command += ["--exclude", leave_out]
    subprocess.run(command, check=True, capture_output=True)
    return json.loads((folder / "postsearch-state.json").read_text())["build_id"]


def wait_for_build(port: int, build_id: str, started: float) -> tuple[float, float]:
    """Seconds from started until /health first names the build, and until IN_A_ROW answers in a row do."""
    first = None
    in_a_row = 0
    while in_a_row < IN_A_ROW:
        answer = health(port)
        if answer["build_id"] == build_id:
            first = first if first is not None else time.monotonic() - started
            in_a_row += 1
        else:
            in_a_row = 0
        if time.monotonic() - started > 60:
            raise SystemExit(f"build {build_id} not answered from after 60 s")
    return first or 0.0, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="rust-blog")
    parser.add_argument("--switches", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    corpus = CORPORA / args.corpus
    one_post = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*.md"))[0]
    work = Path(tempfile.mkdtemp(prefix="postsearch-swap-"))
    link = work / "live"
    try:
        build(corpus, work / "build-0", None)
        subprocess.run([POSTSEARCH, "switch", str(link), str(work / "build-0")], check=True, capture_output=True)
        serve = [POSTSEARCH, "serve", "--index", str(link), "--port", str(args.port)]
        if args.workers:
            serve += ["--workers", str(args.workers)]
        server = subprocess.Popen(serve, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        while True:
            try:
                health(args.port)
                break
            except OSError:
                time.sleep(0.2)
        script = work / "load.lua"
        script.write_text(WRK_SCRIPT)
        seconds = 30 + 12 * args.switches  # longer than the builds take
        wrk = subprocess.Popen(["wrk", "-t2", f"-c{args.connections}", f"-d{seconds}s", "-s", str(script),
                                f"http://127.0.0.1:{args.port}/"], stdout=subprocess.PIPE, text=True)
        switches, after_first = [], {}
        for number in range(1, args.switches + 1):
            folder = work / f"build-{number}"
            build_id = build(corpus, folder, one_post if number % 2 else None)
            subprocess.run([POSTSEARCH, "switch", str(link), str(folder)], check=True, capture_output=True)
            first, every = wait_for_build(args.port, build_id, time.monotonic())  # from the link's rename on
            posts = health(args.port)["posts"]
            shutil.rmtree(work / f"build-{number - 1}")  # the old build, deleted as a deploy would
            switches.append({"switch": number, "first_answer_ms": round(first * 1000, 1),
                             "all_workers_ms": round(every * 1000, 1), "posts": posts})
            if number == 1:
                after_first = resources(server.pid)
            print(f"switch {number}: first answer {first * 1000:.0f} ms, {IN_A_ROW} in a row {every * 1000:.0f} ms, "
                  f"{posts} posts", flush=True)
        time.sleep(2)
        after_last = resources(server.pid)
        wrk.send_signal(signal.SIGINT)  # wrk prints its summary when interrupted
        output = wrk.communicate()[0]
        server.terminate()
        server.wait(10)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    requests = int(re.findall(r"(\d+) requests in", output)[0])
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1])
    result = {
        "corpus": args.corpus, "switches": args.switches, "connections": args.connections, "machine": machine(),
        "requests": requests, "socket_errors": socket_errors, "non_2xx": non_2xx,
        "first_answer_ms": {"median": round(statistics.median(s["first_answer_ms"] for s in switches), 1),
                            "max": max(s["first_answer_ms"] for s in switches)},
        "all_workers_ms": {"median": round(statistics.median(s["all_workers_ms"] for s in switches), 1),
                           "max": max(s["all_workers_ms"] for s in switches)},
        "after_first_switch": after_first, "after_last_switch": after_last, "per_switch": switches,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"swap-{args.corpus}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"swap-{args.corpus}.md").write_text(markdown(result))
    print(markdown(result))
    return 0 if socket_errors == 0 and non_2xx == 0 else 1


def markdown(result: dict) -> str:
    first, every = result["first_answer_ms"], result["all_workers_ms"]
    one, last = result["after_first_switch"], result["after_last_switch"]
    return (
        f"# Swap under load: {result['corpus']}, {result['switches']} switches, {result['connections']} wrk connections\n\n"
        f"| measure | value |\n|---|---|\n"
        f"| requests (wrk) | {result['requests']:,} |\n"
        f"| errors (socket / non-2xx) | {result['socket_errors']} / {result['non_2xx']} |\n"
        f"| switch -> first answer from the new build | median {first['median']} ms, max {first['max']} ms |\n"
        f"| switch -> {IN_A_ROW} answers in a row from it | median {every['median']} ms, max {every['max']} ms |\n"
        f"| server memory after switch 1 / last | {one['rss_mb']} / {last['rss_mb']} MB |\n"
        f"| open files after switch 1 / last (of deleted files) | {one['open_files']} ({one['deleted_files_open']}) / "
        f"{last['open_files']} ({last['deleted_files_open']}) |\n"
    )


if __name__ == "__main__":
    sys.exit(main())
