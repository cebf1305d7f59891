"""Spelling: how often "did you mean" gives back the word a typo was made from, and how often it corrects a
query that was spelled right.

Usage: python -m bench.spelling [--words 500] [--seed 13]
Takes --words words (half from rust-blog's section headings, half from hugo-docs', 4 letters or more, seeded),
makes one random edit of each (a letter inserted, deleted, replaced, or two neighbours swapped; typos that are
words of the index themselves are drawn again), searches each typo alone and counts the suggestions equal to the
original word. Then runs the 211 benchmark queries of rust-blog (bench/run.py's, spelled right) and counts those
given a suggestion. Writes bench/results/spelling.json and prints the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import CORPORA, RESULTS, extract_sections, make_queries
from search import open_index

POSTSEARCH = str(Path(sys.executable).parent / "postsearch")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def one_edit(word: str, rng: random.Random) -> str:
    """The word with one random edit."""
    at = rng.randrange(len(word))
    kind = rng.choice(("insert", "delete", "replace", "swap"))
    if kind == "insert":
        return word[:at] + rng.choice(LETTERS) + word[at:]
    if kind == "delete":
        return word[:at] + word[at + 1 :]
    if kind == "replace":
        return word[:at] + rng.choice(LETTERS.replace(word[at], "")) + word[at + 1 :]
    at = min(at, len(word) - 2)
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def heading_words(searcher, count: int, rng: random.Random) -> list[str]:
    words = sorted({w.lower() for link in searcher.links() if link.heading for w in re.findall(r"[A-Za-z]{4,}", link.heading)})
    return rng.sample(words, min(count, len(words)))


def typo_round(searcher, words: list[str], rng: random.Random) -> tuple[int, list[dict]]:
    """How many typos get their word back; the cases, for reading."""
    right, cases = 0, []
    for word in words:
        for _ in range(20):
            typo = one_edit(word, rng)
            results = searcher.search(typo, per_page=1)
            if typo != word and (results.corrected or results.total == 0):  # not itself a word of the index
                break
        else:
            continue
        suggestion = results.suggestion
        right += (suggestion or "").lower() == word
        cases.append({"word": word, "typo": typo, "suggestion": suggestion})
    return right, cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=500)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    result: dict = {"words": 0, "right": 0, "cases": [], "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with tempfile.TemporaryDirectory() as work:
        for corpus in ("rust-blog", "hugo-docs"):
            index_dir = Path(work) / corpus
            subprocess.run([POSTSEARCH, "index", str(CORPORA / corpus), "--index", str(index_dir)], check=True, capture_output=True)
            with open_index(index_dir) as searcher:
                started = time.perf_counter()
                right, cases = typo_round(searcher, heading_words(searcher, args.words // 2, rng), rng)
                result[f"{corpus}_seconds"] = round(time.perf_counter() - started, 1)
                result["words"] += len(cases)
                result["right"] += right
                result["cases"] += [{**case, "corpus": corpus} for case in cases]
                if corpus == "rust-blog":
                    queries = make_queries(extract_sections(CORPORA / corpus), 200)
                    corrected = [q for q in queries if searcher.search(q, per_page=1).suggestion]
                    result.update(benchmark_queries=len(queries), corrected_queries=corrected)
    share = result["right"] / max(1, result["words"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "spelling.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"typos: {result['right']} of {result['words']} suggestions are the original word ({share:.1%}); "
          f"benchmark queries spelled right given a suggestion: {len(result['corrected_queries'])} of {result['benchmark_queries']}")
    wrong = [c for c in result["cases"] if (c["suggestion"] or "").lower() != c["word"]]
    for case in wrong[:15]:
        print(f"  {case['corpus']}: {case['typo']!r} -> {case['suggestion']!r} (was {case['word']!r})")
    for query in result["corrected_queries"][:10]:
        print(f"  corrected a right query: {query!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
