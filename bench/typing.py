"""Searching as one types: every keystroke of real queries, searched in typing mode, as the search page does.

Usage: python -m bench.typing [--corpus rust-blog] [--queries 400] [--seed 7]
The queries are the link texts of bench.anchors (words people chose to name a post of their site). Each is
typed a letter at a time; every keystroke of its last word from that word's third letter on is searched
with `search(typing=True)`. Reported: how often the first five posts already hold the post the finished query
(searched as usual) puts first, how often a word still being typed was corrected (the goal is never), and the
time per keystroke (warm, in-process, top 10 with snippets). Writes bench/results/typing-<corpus>.json and .md.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.anchors import POSTSEARCH, link_text_options, link_texts, read_posts
from bench.run import CORPORA, RESULTS, machine, percentile
from search import SearchIndex, open_index
from search.errors import QueryError

FIRST_LETTERS = 3  # a word being typed is searched from its third letter on
SHOWN = 5  # what "already found" means: among the first five posts


def keystrokes(query: str) -> list[str]:
    """What the box holds at each keystroke of the query's last word from its FIRST_LETTERS-th letter on."""
    last = query.rstrip().rsplit(None, 1)[-1]
    start = len(query.rstrip()) - len(last)
    return [query[: start + end] for end in range(FIRST_LETTERS, len(last) + 1)]


def unfinished_word_corrected(text: str, suggestion: str | None) -> bool:
    """Whether a suggestion changed the word still being typed (the last one, no space after it)."""
    return bool(suggestion) and suggestion.split()[-1] != text.split()[-1]  # type: ignore[union-attr]


def measure(index: SearchIndex, queries: list[str]) -> dict[str, object]:
    """Keystrokes searched, share whose first five hold the finished query's first post, corrections, times."""
    searched = found = corrected = 0
    seconds: list[float] = []
    for query in queries:
        try:
            final = index.search(query, per_page=1).hits
        except QueryError:
            continue
        if not final:
            continue
        for text in keystrokes(query):
            started = time.perf_counter()
            results = index.search(text, per_page=10, typing=True)
            seconds.append(time.perf_counter() - started)
            searched += 1
            found += final[0].path in [hit.path for hit in results.hits[:SHOWN]]
            corrected += unfinished_word_corrected(text, results.suggestion)
    return {
        "keystrokes": searched,
        "first_post_in_first_five": round(found / max(1, searched), 3),
        "unfinished_word_corrections": corrected,
        "ms_p50": round(statistics.median(seconds) * 1e3, 2) if seconds else 0.0,
        "ms_p95": round(percentile(seconds, 0.95) * 1e3, 2) if seconds else 0.0,
    }


def main() -> int:
    args = link_text_options(__doc__).parse_args()
    with tempfile.TemporaryDirectory(prefix="postsearch-typing-") as work:
        index_dir = Path(work) / "index"
        subprocess.run([POSTSEARCH, "index", str(CORPORA / args.corpus), "--index", str(index_dir)], check=True, capture_output=True)
        posts = read_posts(index_dir)
        site_root = Path(json.loads((index_dir / "postsearch-state.json").read_text())["posts_dir"])
        texts = sorted({q.text for q in link_texts(site_root, posts) if q.kind == "main"})
        texts = random.Random(args.seed).sample(texts, min(args.queries, len(texts)))
        with open_index(index_dir) as index:
            for text in texts[:20]:  # warm
                index.search(text, typing=True)
            result = {"corpus": args.corpus, "machine": machine(), "queries": len(texts), **measure(index, texts)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"typing-{args.corpus}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"typing-{args.corpus}.md").write_text(markdown(result))
    print(markdown(result))
    return 0


def markdown(result: dict) -> str:
    return (
        f"# Typing: {result['corpus']}\n\n"
        f"{result['queries']} link texts typed a letter at a time; {result['keystrokes']} keystrokes searched "
        f"(the last word from its letter {FIRST_LETTERS} on).\n\n"
        "| measure | value |\n|---|---|\n"
        f"| keystrokes whose first {SHOWN} posts hold the finished query's first post | {result['first_post_in_first_five']:.1%} |\n"
        f"| corrections of a word being typed | {result['unfinished_word_corrections']} |\n"
        f"| time per keystroke p50 / p95 (ms) | {result['ms_p50']} / {result['ms_p95']} |\n"
    )


if __name__ == "__main__":
    sys.exit(main())
