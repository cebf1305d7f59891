"""Fuzzed queries against a large real index: every query answers (results or the project's query error) and
in under a second, or says it is partial.

Usage: python -m bench.fuzz [--corpus cpp-docs] [--queries 2000] [--seed 7] [--index DIR] [--hostile]
--hostile: queries built as an attacker would (hostile_query: long operator chains, nested brackets, -a-a-a...,
long phrases, many typos, many prefixes and fuzzy words, up to the 500 characters a query may have), each with
the server's time limit (1 s); exits 1 when one took 1.2 s or more of wall time.
Builds the corpus's index first when --index does not hold one. Queries mix the index's own words with
prefixes, wildcards, fuzzy and boosted words, ranges with and without a field, dates, fields (known and
unknown), AND/OR/NOT/ANDMAYBE/ANDNOT/REQUIRE, quotes and brackets (balanced or not), control characters, emoji,
mixed scripts, and 10,000-character and 1,000-word queries. Prints the slowest queries with their times and
exits 1 when one raised anything but QueryError or took a second or more without being marked partial.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path

from bench.run import CORPORA
from search import open_index
from search.errors import QueryError

POSTSEARCH = str(Path(sys.executable).parent / "postsearch")
LIMIT_SECONDS = 1.0
OPERATORS = ("AND", "OR", "NOT", "ANDMAYBE", "ANDNOT", "REQUIRE", "-", "+")
FIELDS = ("title", "heading", "body", "code", "tag", "category", "author", "date", "lang", "nofield", "TITLE")
ODD = ("\x00", "\x1b[2J", "😀", "日本語", "Ωμέγα", "\u200b", "*", "?", "~", "^", '"', "(", ")", "[", "]", "{", "}", ":")


def words_of(index_dir: Path, count: int, rng: random.Random) -> list[str]:
    """Words the index holds, from a sample of its section headings."""
    with open_index(index_dir) as searcher:
        headings = [link.heading for link in searcher.links() if link.heading]
    words = sorted({w.lower() for h in rng.sample(headings, min(2000, len(headings))) for w in h.split() if w.isalpha()})
    return rng.sample(words, min(count, len(words)))


def term(rng: random.Random, words: list[str]) -> str:
    word = rng.choice(words)
    shape = rng.randrange(12)
    if shape == 0:
        return word[: rng.randint(1, 3)] + "*"
    if shape == 1:
        return word[:2] + "?" + word[3:] if len(word) > 3 else word + "?"
    if shape == 2:
        return word + "~" + rng.choice(("", "1", "2"))
    if shape == 3:
        return word + "^" + str(rng.randint(0, 5))
    if shape == 4:
        a, b = sorted(rng.sample(words, 2))
        return f"[{a[:rng.randint(1, 3)]} TO {b[:rng.randint(1, 3)]}]"
    if shape == 5:
        return f"date:{rng.choice(('2019', '2020..2023', '>2018', '[2000 TO 2030]', '2023-02', 'yesterday'))}"
    if shape == 6:
        return f"{rng.choice(FIELDS)}:{word}"
    if shape == 7:
        return '"' + " ".join(rng.sample(words, 2)) + rng.choice(('"', "", '"~3'))
    if shape == 8:
        return rng.choice(ODD) + word
    return word


def query(rng: random.Random, words: list[str]) -> str:
    kind = rng.randrange(20)
    if kind == 0:
        return "x" * 10_000
    if kind == 1:
        return " ".join(rng.choice(words) for _ in range(1000))
    parts = [term(rng, words) for _ in range(rng.randint(1, 6))]
    for i in range(1, len(parts)):
        if rng.random() < 0.5:
            parts[i] = rng.choice(OPERATORS) + (" " if rng.random() < 0.8 else "") + parts[i]
    text = " ".join(parts)
    if rng.random() < 0.2:
        text = "(" + text + rng.choice((")", ""))
    return text


def hostile_query(rng: random.Random, words: list[str]) -> str:
    """A query shaped to be slow: long chains, deep brackets, repetition, long phrases and typos, <= 500 chars."""
    count = rng.randint(2, 60)
    picked = [rng.choice(words) for _ in range(count)]
    kind = rng.randrange(10)
    if kind == 0:
        text = f" {rng.choice(OPERATORS[:6])} ".join(picked)
    elif kind == 1:
        depth = rng.randint(1, 40)
        text = "(" * depth + " OR ".join(picked[:4]) + ")" * rng.randint(0, depth)
    elif kind == 2:
        text = rng.choice(("-", "+", "-a", "a-", "*", "NOT ")) * count + " " + picked[0]
    elif kind == 3:
        text = '"' + " ".join(picked) + rng.choice(('"', '"~5', ""))
    elif kind == 4:  # typos: a letter dropped, doubled or swapped in each word
        text = " ".join(typo(rng, word) for word in picked)
    elif kind == 5:
        text = " ".join(word[: rng.randint(1, 3)] + "*" for word in picked)
    elif kind == 6:
        text = " ".join(f"{word}~{rng.randint(1, 2)}" for word in picked)
    elif kind == 7:
        text = " ".join(f"{rng.choice(FIELDS)}:{word}*" for word in picked)
    elif kind == 8:
        text = " ".join(f"[{a[:1]} TO {b[:2]}]" for a, b in zip(picked, picked[1:]))
    else:
        text = " ".join(term(rng, words) for _ in range(count))
    return text[:500]


def typo(rng: random.Random, word: str) -> str:
    """The word with one letter dropped, doubled or swapped with the next."""
    at = rng.randrange(max(1, len(word) - 1))
    return rng.choice((word[:at] + word[at + 1 :], word[:at] + word[at] * 2 + word[at + 1 :],
                       word[:at] + word[at + 1 : at + 2] + word[at : at + 1] + word[at + 2 :]))


def ensure_index(corpus: str, index_dir: Path) -> None:
    if not (index_dir / "postsearch.json").exists():
        subprocess.run([POSTSEARCH, "index", str(CORPORA / corpus), "--index", str(index_dir)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="cpp-docs")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--index", type=Path, default=Path("/tmp/postsearch-fuzz-index"))
    parser.add_argument("--hostile", action="store_true", help="hostile query shapes, with the server's 1 s limit")
    args = parser.parse_args()
    make, time_limit, limit = (hostile_query, 1.0, 1.2) if args.hostile else (query, None, LIMIT_SECONDS)
    ensure_index(args.corpus, args.index)
    rng = random.Random(args.seed)
    words = words_of(args.index, 400, rng)
    timings, failures, errors, partial = [], [], 0, 0
    with open_index(args.index) as searcher:
        searcher.search("warm up")
        for _ in range(args.queries):
            text = make(rng, words)
            started = time.perf_counter()
            try:
                partial += searcher.search(text, time_limit=time_limit).partial
            except QueryError:
                errors += 1
            except Exception as error:  # what this benchmark exists to find
                failures.append(f"{text[:80]!r}: {type(error).__name__}: {error}")
            timings.append((time.perf_counter() - started, text))
    timings.sort(reverse=True)
    slow = [(s, t) for s, t in timings if s >= limit]
    print(f"{args.queries} queries on {args.corpus}: {errors} query errors, {partial} partial, {len(failures)} other exceptions, "
          f"{len(slow)} at {limit:g} s or more; median {timings[len(timings) // 2][0] * 1000:.1f} ms")
    for seconds, text in timings[:10]:
        print(f"  {seconds * 1000:7.1f} ms  {text[:90]!r}")
    for failure in failures[:10]:
        print("  FAILED", failure)
    return 1 if failures or slow else 0


if __name__ == "__main__":
    sys.exit(main())
