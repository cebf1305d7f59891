"""Snippets three ways, on the same shown sections and queries: postsearch's highlighter, and Whoosh's own, once
from character offsets stored in its postings (PinpointFragmenter) and once re-analysing the text
(ContextFragmenter, Whoosh's default).

Usage: python -m bench.snippets [--corpus rust-blog|cpp-docs|...] [--queries 200] [--passes 3]
Writes bench/results/snippets-<corpus>.json and .md and prints the table.

The sections are those postsearch shows for each query (up to 3 for each of 10 posts), and only their body
text is highlighted. Whoosh's index holds only those sections (shorter posting lists to read than a whole
site's, which flatters Whoosh's pinpoint highlighting).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from whoosh import highlight
from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import OrGroup, QueryParser
from whoosh.query import Or, Term

from bench.run import CORPORA, corpus_parser, extract_sections, latency, machine, make_queries, save_results
from search.indexer import build_index
from search.parsing import highlight_terms
from search.query import SearchIndex, open_index
from search.snippets import Highlighter, to_html

FRAGMENT_CHARS = 160  # postsearch's fragment size, given to Whoosh's fragmenters too
Shown = dict[str, list[int]]  # query -> keys (positions in the extracted sections) of the sections shown


def shown_sections(index: SearchIndex, documents: list[dict], queries: list[str]) -> Shown:
    """For each query, the sections postsearch shows that have body text."""
    by_url = {d["url"]: key for key, d in enumerate(documents)}
    shown = {}
    for query in queries:
        urls = [s.url for hit in index.search(query, per_page=10).hits for s in hit.sections]
        shown[query] = [by_url[url] for url in urls if url in by_url and documents[by_url[url]]["body"]]
    return shown


Snippets = Callable[[str, list[int]], tuple[int, float]]  # (query, shown keys) -> (snippets made, seconds)


def ours(index: SearchIndex, documents: list[dict]) -> Snippets:
    """postsearch: the query's stems found in each section's stored text, fragments rendered as HTML."""
    with index.snapshot() as snap:
        highlighter: Highlighter = snap.highlighter
        parse = snap.parser.parse

    def snippets(query: str, keys: list[int]) -> tuple[int, float]:
        words, prefixes = highlight_terms(parse(query).query)  # parsing is not part of what is timed
        started = time.perf_counter()
        made = sum(bool(to_html(highlighter.fragments(documents[k]["body"], words, prefixes))) for k in keys)
        return made, time.perf_counter() - started

    return snippets


def whoosh_index_of(folder: Path, documents: list[dict], keys: set[int]) -> whoosh_index.Index:
    """Stock Whoosh: the sections' body text with character offsets in its postings."""
    # every word kept, as postsearch indexes them (a query of common words shows sections that hold only them)
    schema = Schema(key=ID(stored=True), body=TEXT(analyzer=StemmingAnalyzer(stoplist=None), stored=True, chars=True))
    index = whoosh_index.create_in(str(folder), schema)
    writer = index.writer()
    for key in sorted(keys):
        writer.add_document(key=str(key), body=documents[key]["body"])
    writer.commit()
    return index


def whoosh_highlights(searcher, fragmenter: highlight.Fragmenter, retokenize: bool) -> Snippets:
    """Stock Whoosh: the shown sections found with the query's terms recorded, then each hit's highlights."""
    parser = QueryParser("body", searcher.schema, group=OrGroup)
    prepared = {}

    def snippets(query: str, keys: list[int]) -> tuple[int, float]:
        if query not in prepared:  # parsing and searching are not part of what is timed
            q, only = parser.parse(query), Or([Term("key", str(k)) for k in keys])
            prepared[query] = q, only
        q, only = prepared[query]
        results = searcher.search(q, filter=only, limit=None, terms=True)
        results.highlighter = highlight.Highlighter(fragmenter=fragmenter, always_retokenize=retokenize)
        started = time.perf_counter()
        made = sum(bool(hit.highlights("body", top=3)) for hit in results)
        return made, time.perf_counter() - started

    return snippets


def timed(snippets: Snippets, shown: Shown, passes: int) -> tuple[list[float], int]:
    """Median seconds per query over the timed passes (after a warm-up pass), and the snippets made."""
    taken: dict[str, list[float]] = {query: [] for query in shown}
    made = 0
    for timed_pass in range(passes + 1):
        for query, keys in shown.items():
            count, seconds = snippets(query, keys)
            if timed_pass:
                taken[query].append(seconds)
            else:
                made += count
    return [statistics.median(t) for t in taken.values()], made


def measure(corpus: str, query_count: int, passes: int) -> dict[str, object]:
    source = CORPORA / corpus
    if not source.is_dir():
        raise SystemExit(f"No corpus at {source}")
    documents = extract_sections(source)
    queries = make_queries(documents, query_count)
    with tempfile.TemporaryDirectory() as work:
        build_index(source, Path(work) / "index")
        with open_index(Path(work) / "index") as index:
            shown = shown_sections(index, documents, queries)
            rows = {"postsearch": timed(ours(index, documents), shown, passes)}
        (Path(work) / "whoosh").mkdir()
        stock = whoosh_index_of(Path(work) / "whoosh", documents, {k for keys in shown.values() for k in keys})
        with stock.searcher() as searcher:
            pinpoint = highlight.PinpointFragmenter(maxchars=FRAGMENT_CHARS, surround=FRAGMENT_CHARS // 4)
            context = highlight.ContextFragmenter(maxchars=FRAGMENT_CHARS, surround=FRAGMENT_CHARS // 4)
            rows["whoosh_pinpoint"] = timed(whoosh_highlights(searcher, pinpoint, False), shown, passes)
            rows["whoosh_reanalysing"] = timed(whoosh_highlights(searcher, context, True), shown, passes)
    sections = sum(len(keys) for keys in shown.values())
    return {
        "corpus": corpus,
        "queries": len(queries),
        "sections_shown": sections,
        "engines": {
            name: {**latency(times), "mean_ms": round(statistics.mean(times) * 1000, 3),
                   "per_section_us": round(sum(times) / max(1, sections) * 1e6, 1), "snippets": made}
            for name, (times, made) in rows.items()
        },
        "passes": passes,
        "machine": machine(),
        "taken": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def table(result: dict) -> str:
    lines = [
        f"### Snippets, {result['corpus']}: {result['queries']} queries, {result['sections_shown']} shown sections "
        f"({result['taken']})",
        "",
        "| highlighter | per query p50 (ms) | p95 (ms) | mean (ms) | per section (µs) | snippets made |",
        "|---|---|---|---|---|---|",
    ]
    labels = {"postsearch": "postsearch", "whoosh_pinpoint": "Whoosh, character offsets (PinpointFragmenter)",
              "whoosh_reanalysing": "Whoosh, re-analysing (ContextFragmenter)"}
    for name, row in result["engines"].items():
        lines.append(f"| {labels[name]} | {row['p50_ms']} | {row['p95_ms']} | {row['mean_ms']} | "
                     f"{row['per_section_us']} | {row['snippets']} |")
    lines += ["", f"Each query's median over {result['passes']} timed passes after a warm-up pass. Whoosh's rows time "
              "only the highlighting of results already found (with their terms recorded)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = corpus_parser(__doc__.splitlines()[0]).parse_args(argv)
    result = measure(args.corpus, args.queries, args.passes)
    save_results(f"snippets-{args.corpus}", result, table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
