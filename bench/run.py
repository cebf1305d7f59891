"""Speed, side by side: postsearch against SQLite FTS5 on the same corpus, sections and queries.

Usage: python -m bench [--corpus rust-blog|cpp-docs|...] [--queries 200] [--cold-runs 5]
Writes bench/results/<corpus>.json and .md and prints the table with ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from search.config import Settings
from search.documents import section_documents
from search.files import find_posts
from search.index_format.schema import FIELD_BOOSTS
from search.posts import read_post
from search.query import open_index
from search.sections import Sectioner

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora"
RESULTS = REPO / "bench" / "results"
FTS_COLUMNS = ("title", "heading", "body", "code")
FTS_WEIGHTS = ", ".join(str(FIELD_BOOSTS[c]) for c in FTS_COLUMNS) + ", 0, 0"  # bm25()'s, as postsearch's boosts


def run_child(command: list[str], cwd: Path | None = None, ok: tuple[int, ...] = (0,)) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MB and stdout of one child process (an exit code outside ok raises)."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    output = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in ok:
        raise RuntimeError(f"{' '.join(command)} exited {child.returncode}")
    return elapsed, usage.ru_maxrss // 1024, output


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def extract_sections(posts: Path) -> list[dict]:
    """The section documents postsearch indexes, for FTS5 to index too."""
    sectioner, settings = Sectioner(), Settings()
    documents: list[dict] = []
    for path in find_posts(posts):
        try:
            post = read_post(path, posts, settings)
        except Exception:
            continue
        if not post.draft:
            sections = section_documents(post, sectioner.split(post), settings.lang)
            documents.extend({**d, "url": f"{post.url}#{d['anchor']}" if d["anchor"] else post.url} for d in sections)
    return documents


def build_fts(documents: list[dict], database: Path) -> float:
    """Index the sections in FTS5 (porter stemming); seconds taken."""
    started = time.perf_counter()
    connection = sqlite3.connect(database)
    connection.execute(
        "CREATE VIRTUAL TABLE sections USING fts5(title, heading, body, code, path UNINDEXED, url UNINDEXED, tokenize='porter unicode61')"
    )
    connection.executemany(
        "INSERT INTO sections VALUES (?, ?, ?, ?, ?, ?)",
        ((d["title"], d["heading"], d["body"], d["code"], d["path"], d["url"]) for d in documents),
    )
    connection.commit()
    connection.execute("INSERT INTO sections(sections) VALUES('optimize')")
    connection.commit()
    connection.close()
    return time.perf_counter() - started


def make_queries(documents: list[dict], count: int, seed: int = 42) -> list[str]:
    """Seeded 1-3 word queries drawn from the corpus, plus phrases and a prefix query."""
    rng = random.Random(seed)
    texts = [d["body"] for d in documents if len(d["body"]) > 200]
    queries: list[str] = []
    while len(queries) < count:
        words = [w for w in re.findall(r"[A-Za-z]{4,}", rng.choice(texts))]
        if len(words) < 3:
            continue
        size = rng.choice((1, 2, 3))
        queries.append(" ".join(rng.sample(words, size)).lower())
    for _ in range(max(5, count // 20)):
        words = re.findall(r"[A-Za-z]{4,}", rng.choice(texts))
        if len(words) >= 2:
            start = rng.randrange(len(words) - 1)
            queries.append(f'"{words[start]} {words[start + 1]}"'.lower())
    queries.append(queries[0].split()[0][:4] + "*")
    return queries


def fts_expression(query: str, joiner: str) -> str:
    """The same query for FTS5: phrases kept, a prefix kept, words joined by AND (FTS5's default) or OR."""
    if query.startswith('"'):
        return query
    if query.endswith("*"):
        return f'"{query[:-1]}"*'
    return f" {joiner} ".join(f'"{word}"' for word in query.split())


def fts_answerer(connection: sqlite3.Connection, joiner: str) -> Callable[[str], None]:
    """FTS5's answer to a query: top-10 posts by best section, exact post total, snippets of shown sections."""
    top = (
        "SELECT path, min(r) FROM (SELECT path, rank AS r FROM sections WHERE sections MATCH ?) "
        "GROUP BY path ORDER BY 2 LIMIT 10"
    )
    total = "SELECT count(DISTINCT path) FROM sections WHERE sections MATCH ?"
    shown = (
        f"SELECT heading, url, snippet(sections, 2, '<mark>', '</mark>', '…', 24) FROM sections "
        f"WHERE sections MATCH ? AND path = ? ORDER BY bm25(sections, {FTS_WEIGHTS}) LIMIT 3"
    )

    def answer(query: str) -> None:
        expression = fts_expression(query, joiner)
        posts = connection.execute(top, (expression,)).fetchall()
        connection.execute(total, (expression,)).fetchone()
        for path, _ in posts:
            connection.execute(shown, (expression, path)).fetchall()

    return answer


def build_tantivy(documents: list[dict], folder: Path) -> tuple[Any, float] | None:
    """The same sections in a tantivy index (PyPI's tantivy, when installed; its English stemmer), and the
    seconds the insert took; None without tantivy."""
    try:
        import tantivy
    except ImportError:
        return None
    builder = tantivy.SchemaBuilder()
    for name in ("title", "heading", "body", "code"):
        builder.add_text_field(name, stored=name == "body", tokenizer_name="en_stem")
    builder.add_text_field("path", stored=True, tokenizer_name="raw")
    index = tantivy.Index(builder.build(), path=str(folder))
    started = time.perf_counter()
    writer = index.writer()
    for d in documents:
        writer.add_document(tantivy.Document(title=d["title"], heading=d["heading"], body=d["body"], code=d["code"], path=d["path"]))
    writer.commit()
    seconds = time.perf_counter() - started
    index.reload()
    return index, seconds


def tantivy_answerer(index: Any) -> Callable[[str], None]:
    """tantivy's answer to a query: the words OR'ed over the four fields, the best sections grouped into the top
    10 posts, a snippet of each post's best three sections."""
    import tantivy

    searcher, schema = index.searcher(), index.schema

    def answer(query: str) -> None:
        words = re.sub(r"[^\w\s]", " ", query).split()
        if not words:
            return
        parsed = index.parse_query(" ".join(words), ["title", "heading", "body", "code"])
        shown: dict[str, list[Any]] = {}
        for _, address in searcher.search(parsed, 100).hits:
            document = searcher.doc(address)
            sections = shown.setdefault(document["path"][0], [])
            if len(sections) < 3 and (len(shown) <= 10 or sections):
                sections.append(document)
        snippets = tantivy.SnippetGenerator.create(searcher, parsed, schema, "body")
        for sections in list(shown.values())[:10]:
            for document in sections:
                snippets.snippet_from_doc(document).to_html()

    return answer


def time_engines(index_dir: Path, database: Path, queries: list[str], passes: int, tantivy_index: Any = None) -> dict[str, list[float]]:
    """Per-query seconds of postsearch (top-10 posts with snippets, through the public API), of FTS5 with AND and
    with OR and of tantivy (when installed), warm and in-process."""
    connection = sqlite3.connect(database)
    connection.execute(f"INSERT INTO sections(sections, rank) VALUES('rank', 'bm25({FTS_WEIGHTS})')")  # rank: weighted
    try:
        with open_index(index_dir) as index:
            engines: dict[str, Callable[[str], object]] = {
                "postsearch": lambda query: index.search(query, per_page=10),
                "fts5": fts_answerer(connection, "AND"),
                "fts5_or": fts_answerer(connection, "OR"),
            }
            if tantivy_index is not None:
                engines["tantivy"] = tantivy_answerer(tantivy_index)
            return interleaved_timings(engines, queries, passes)
    finally:
        connection.close()


def interleaved_timings(engines: dict[str, Callable[[str], object]], queries: list[str], passes: int) -> dict[str, list[float]]:
    """Each engine's median seconds per query over `passes` timed passes, after one pass that warms the caches.
    The engines take turns pass by pass, so a slow spell of this shared machine (a single pass swings by 10-30%)
    slows them alike, while each pass runs warm."""
    timings: dict[str, list[list[float]]] = {name: [[] for _ in queries] for name in engines}
    for timed_pass in range(passes + 1):
        for name, answer in engines.items():
            for number, query in enumerate(queries):
                started = time.perf_counter()
                answer(query)
                if timed_pass:
                    timings[name][number].append(time.perf_counter() - started)
    return {name: [statistics.median(taken) for taken in per_query] for name, per_query in timings.items()}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency(values: list[float]) -> dict[str, float]:
    return {f"p{int(q * 100)}_ms": round(percentile(values, q) * 1000, 2) for q in (0.5, 0.95, 0.99)}


def spread_ms(values_ms: list[float]) -> dict[str, float]:
    """p50, p95 and the largest of times already in milliseconds, and how many there were."""
    if not values_ms:
        return {"p50": float("nan"), "p95": float("nan"), "max": float("nan"), "count": 0}
    return {"p50": round(percentile(values_ms, 0.5), 1), "p95": round(percentile(values_ms, 0.95), 1),
            "max": round(max(values_ms), 1), "count": len(values_ms)}


def machine() -> dict[str, object]:
    cpu = platform.processor()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    libraries = ("whoosh-reloaded", "markdown", "python-frontmatter", "click", "numpy", "lz4", "pystemmer")
    versions = {name: metadata.version(name) for name in libraries}
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, **versions}


def measure(
    corpus: str, query_count: int, cold_runs: int, passes: int, build_runs: int, incremental_runs: int, copies: int = 1
) -> dict[str, object]:
    source = CORPORA / corpus
    if not source.is_dir():
        raise SystemExit(f"No corpus at {source}")
    postsearch = [str(Path(sys.executable).parent / "postsearch")]
    with tempfile.TemporaryDirectory() as work:
        posts, index_dir, database = Path(work) / "posts", Path(work) / "index", Path(work) / "fts.db"
        for copy in range(copies):  # a larger site: the corpus again in folders of its own
            shutil.copytree(source, posts / f"copy-{copy + 1}" if copies > 1 else posts)
        index = postsearch + ["index", str(posts), "--index", str(index_dir), "--json"]
        builds = []
        for _ in range(build_runs):
            shutil.rmtree(index_dir, ignore_errors=True)
            builds.append(run_child(index))
        build_seconds, build_rss = statistics.median(b[0] for b in builds), max(b[1] for b in builds)
        sections = json.loads(builds[-1][2])["sections"]
        noop_runs = [run_child(index)[0] for _ in range(incremental_runs)]
        changed = find_posts(posts)[len(find_posts(posts)) // 2]
        one_runs = []
        for edit in range(incremental_runs):
            text = changed.read_text(encoding="utf-8") + f"\n\nBenchmark edit {edit} mentions zyzzyva.\n"
            changed.write_text(text, encoding="utf-8")
            one_runs.append(run_child(index)[0])
        documents = extract_sections(posts)
        fts_seconds = build_fts(documents, database)
        (Path(work) / "tantivy").mkdir()
        tantivy = build_tantivy(documents, Path(work) / "tantivy")
        queries = make_queries(documents, query_count)
        timings = time_engines(index_dir, database, queries, passes, tantivy[0] if tantivy else None)
        ours, theirs, theirs_or = timings["postsearch"], timings["fts5"], timings["fts5_or"]
        query = postsearch + ["query", "--index", str(index_dir), "--"]
        cold = [run_child(query + [queries[i]], ok=(0, 1))[0] for i in range(cold_runs)]  # 1: nothing found
        return {
            "corpus": corpus if copies == 1 else f"{corpus} x{copies}",
            "sections": sections,
            "queries": len(queries),
            "postsearch": {
                "full_build_s": round(build_seconds, 2),
                "full_build_runs_s": [round(b[0], 2) for b in builds],
                "sections_per_s": round(sections / build_seconds),
                "peak_rss_mb": build_rss,
                "size_mb": round(folder_size(index_dir) / 1e6, 1),
                "one_changed_s": round(statistics.median(one_runs), 3),
                "one_changed_runs_s": [round(t, 3) for t in one_runs],
                "nothing_changed_s": round(statistics.median(noop_runs), 3),
                "nothing_changed_runs_s": [round(t, 3) for t in noop_runs],
                "cold_query_s": round(statistics.median(cold), 3),
                **latency(ours),
            },
            "fts5": {
                "full_build_s": round(fts_seconds, 2),
                "sections_per_s": round(len(documents) / fts_seconds),
                "size_mb": round(database.stat().st_size / 1e6, 1),
                **latency(theirs),
            },
            "fts5_or": latency(theirs_or),
            **({"tantivy": {"full_build_s": round(tantivy[1], 2), **latency(timings["tantivy"])}} if tantivy else {}),
            "machine": machine(),
            "taken": datetime.now(UTC).isoformat(timespec="seconds"),
        }


def table(result: dict) -> str:
    ours, fts = result["postsearch"], result["fts5"]
    rows = [
        ("full build (s)", "full_build_s"),
        ("sections / s", "sections_per_s"),
        ("index size (MB)", "size_mb"),
        ("query p50 (ms)", "p50_ms"),
        ("query p95 (ms)", "p95_ms"),
        ("query p99 (ms)", "p99_ms"),
    ]
    lines = [
        f"### {result['corpus']}: {result['sections']} sections, {result['queries']} queries ({result['taken']})",
        "",
        "| measure | postsearch | SQLite FTS5 | ratio |",
        "|---|---|---|---|",
    ]
    for label, key in rows:
        ratio = ours[key] / fts[key] if fts.get(key) else float("nan")
        lines.append(f"| {label} | {ours[key]} | {fts[key]} | {ratio:.2f}x |")
    for label, key in (("query p50 (ms)", "p50_ms"), ("query p95 (ms)", "p95_ms")):
        other = result["fts5_or"][key]
        lines.append(f"| {label}, FTS5 with OR | {ours[key]} | {other} | {ours[key] / other:.2f}x |")
    if "tantivy" in result:
        for label, key in (("query p50 (ms)", "p50_ms"), ("query p95 (ms)", "p95_ms"), ("full build (s)", "full_build_s")):
            other = result["tantivy"][key]
            lines.append(f"| {label}, tantivy | {ours[key]} | {other} | {ours[key] / other:.2f}x |")
    for label, key in (("peak RSS, build (MB)", "peak_rss_mb"), ("one post changed (s)", "one_changed_s"),
                       ("nothing changed (s)", "nothing_changed_s"), ("cold `postsearch query` (s)", "cold_query_s")):
        lines.append(f"| {label} | {ours[key]} | | |")
    info = result["machine"]
    lines += ["", f"Machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, SQLite {info['sqlite']}, "
              f"whoosh-reloaded {info['whoosh-reloaded']}. FTS5 rows use AND (its default; postsearch also returns posts with "
              "only some of the words, after those with all); the 'FTS5 with OR' rows match what postsearch matches. FTS5 build time is the insert of already-extracted sections "
              "(in-process); postsearch's is the whole `postsearch index` process, Markdown parsing included."]
    method = result.get("method")
    if method:
        runs = ", ".join(map(str, ours.get("full_build_runs_s", [])))
        lines += ["", f"Query times are each query's median over {method['passes']} timed passes after a warm-up pass, "
                  "the engines taking turns pass by pass; the full build is the median of "
                  f"{method['build_runs']} builds ({runs} s)."]
        if "one_changed_runs_s" in ours:
            lines[-1] += (f" The incremental rows are medians of {method['incremental_runs']} runs (one post changed: "
                          f"{', '.join(map(str, ours['one_changed_runs_s']))} s; nothing changed: "
                          f"{', '.join(map(str, ours['nothing_changed_runs_s']))} s); queries run after them.")
    return "\n".join(lines) + "\n"


def corpus_parser(description: str) -> argparse.ArgumentParser:
    """The options every speed benchmark takes: the corpus, how many queries, how many timed passes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--corpus", default="rust-blog")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the queries (median per query)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = corpus_parser(__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--build-runs", type=int, default=3, help="full builds (the median is reported)")
    parser.add_argument("--incremental-runs", type=int, default=3, help="runs of each incremental case (median)")
    parser.add_argument("--copies", type=int, default=1, help="the corpus copied this many times (3 x cpp-docs: 29,238 posts)")
    args = parser.parse_args(argv)
    copies = max(1, args.copies)
    result = measure(args.corpus, args.queries, args.cold_runs, args.passes, args.build_runs, args.incremental_runs, copies)
    result["method"] = {"passes": args.passes, "build_runs": args.build_runs, "incremental_runs": args.incremental_runs}
    save_results(args.corpus if copies == 1 else f"{args.corpus}-x{copies}", result, table(result))
    return 0


def save_results(name: str, result: dict, markdown: str) -> None:
    """Write bench/results/<name>.json and .md, and print the Markdown table."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown, encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    sys.exit(main())
