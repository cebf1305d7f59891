"""Full builds of a corpus by this code and by another checkout of postsearch, taking turns, and where a build's
time goes.

    python -m bench.builds [--corpus rust-blog] [--against DIR] [--runs 3]

Each run is a whole `postsearch index --rebuild`-like build into a fresh folder, in a child process (wall time
and peak RSS from the operating system); with --against, the checkout in DIR (e.g. a `git worktree` of an older
commit) builds in turns with this one, so both meet the machine's same mood. Stage shares come from one build
in a single process under cProfile: reading posts (front matter), Python-Markdown (the sectioner's render, from
source to element tree), sectioning the tree, analysis and postings (adding sections to the writer) and the
commit, each as a share of the profiled total.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from bench.run import CORPORA, REPO, RESULTS, run_child

BUILD = "import sys; from pathlib import Path; from search.indexer import build_index; build_index(Path(sys.argv[1]), Path(sys.argv[2]))"
PROFILE = """
import cProfile, json, pstats, sys
from pathlib import Path
from search.indexer import build_index
profile = cProfile.Profile()
profile.enable()
build_index(Path(sys.argv[1]), Path(sys.argv[2]), workers=1)
profile.disable()
stats = pstats.Stats(profile).stats

def entered(inside):
    # time spent in functions matching inside, counted where they are called from outside them
    return sum(c[3] for f, s in stats.items() if inside(f) for caller, c in s[4].items() if not inside(caller))

def named(path_end, name):
    return lambda f: f[0].endswith(path_end) and f[2] == name

total = max(s[3] for s in stats.values())
markdown = entered(lambda f: f[0].endswith("search/sections.py") and f[2] in ("render_source", "render"))
stages = {
    "reading posts": entered(named("search/posts.py", "read_post")),
    "Python-Markdown": markdown,
    "sectioning": entered(named("search/sections.py", "split")) - markdown,
    "analysis and postings": entered(named("index_format/writing.py", "add_document")),
    "commit": entered(named("index_format/writing.py", "commit")),
}
stages["the rest"] = total - sum(stages.values())
print(json.dumps({name: round(seconds / total, 3) for name, seconds in stages.items()}))
"""


def build_once(code: Path, corpus: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one full build of the corpus by the code in that checkout."""
    with tempfile.TemporaryDirectory(prefix="postsearch-build-") as folder:
        seconds, rss, _ = run_child([sys.executable, "-c", BUILD, str(corpus), folder], cwd=code)
    return seconds, rss


def stage_shares(code: Path, corpus: Path) -> dict[str, float]:
    """Each stage's share of one profiled single-process build by the code in that checkout."""
    with tempfile.TemporaryDirectory(prefix="postsearch-build-") as folder:
        _, _, output = run_child([sys.executable, "-c", PROFILE, str(corpus), folder], cwd=code)
    return json.loads(output)


def compare(corpus: str, against: Path | None, runs: int) -> dict:
    """Builds by this code (and the other, in turns): each run's seconds and peak RSS, and the stage shares."""
    codes = {"this": REPO, **({"other": against} if against else {})}
    timed: dict[str, list[tuple[float, int]]] = {name: [] for name in codes}
    for _ in range(runs):
        for name, code in codes.items():
            timed[name].append(build_once(code, CORPORA / corpus))
    builds: dict[str, dict] = {}
    for name, code in codes.items():
        seconds = [s for s, _ in timed[name]]
        builds[name] = {
            "seconds": [round(s, 2) for s in seconds], "median_s": round(statistics.median(seconds), 2),
            "peak_rss_mb": max(r for _, r in timed[name]), "stage_shares": stage_shares(code, CORPORA / corpus),
        }
    return {"corpus": corpus, "runs": runs, "against": str(against) if against else None, "builds": builds}


def markdown(result: dict) -> str:
    """The comparison as a Markdown table."""
    builds = result["builds"]
    stages = list(next(iter(builds.values()))["stage_shares"])
    lines = [f"# Full builds: {result['corpus']} ({result['runs']} runs each, taking turns)", "",
             "| code | runs (s) | median | peak RSS | " + " | ".join(stages) + " |", "|---" * (4 + len(stages)) + "|"]
    for name, build in builds.items():
        label = "this checkout" if name == "this" else f"`{result['against']}`"
        shares = " | ".join(f"{build['stage_shares'][stage]:.0%}" for stage in stages)
        lines.append(f"| {label} | {', '.join(map(str, build['seconds']))} | {build['median_s']} s | {build['peak_rss_mb']} MB | {shares} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="rust-blog")
    parser.add_argument("--against", type=Path, help="another checkout of postsearch to build in turns with this one")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    result = compare(args.corpus, args.against.resolve() if args.against else None, args.runs)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"builds-{args.corpus}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"builds-{args.corpus}.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
