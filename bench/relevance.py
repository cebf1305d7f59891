"""Ranking quality on SciFact: index its abstracts as posts, run the training queries, score the ranking.

Usage: python -m bench.relevance [--collection ../shared/relevance/scifact] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from bench.metrics import mrr_at, ndcg_at, recall_at
from search import build_index, open_index
from search.errors import QueryError

REPO = Path(__file__).resolve().parent.parent
DEFAULT_COLLECTION = REPO.parent / "shared" / "relevance" / "scifact"
PUBLISHED = {"nDCG@10": 0.6789, "Recall@100": 0.9253}  # BM25, Anserini flat index, SciFact test queries


def write_posts(collection: Path, folder: Path) -> int:
    """One post per abstract: JSON front matter with the title, the abstract as the body."""
    count = 0
    with open(collection / "corpus.jsonl", encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            front = json.dumps({"title": doc["title"]}, ensure_ascii=False, indent=1)
            (folder / f"{doc['_id']}.md").write_text(f"{front}\n\n{doc['text']}\n", encoding="utf-8")
            count += 1
    return count


def load_judgements(collection: Path) -> dict[str, dict[str, int]]:
    judged: dict[str, dict[str, int]] = defaultdict(dict)
    with open(collection / "qrels" / "train.tsv", encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            judged[row["query-id"]][row["corpus-id"]] = int(row["score"])
    return judged


def load_queries(collection: Path, judged: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    with open(collection / "queries-train.jsonl", encoding="utf-8") as lines:
        queries = [json.loads(line) for line in lines]
    return [(q["_id"], q["text"]) for q in queries if q["_id"] in judged]


def evaluate(index_dir: Path, queries: list[tuple[str, str]], judged: dict[str, dict[str, int]]) -> dict[str, float]:
    """Mean nDCG@10, Recall@100 and MRR@10 through the public search API."""
    scores: dict[str, list[float]] = defaultdict(list)
    errors = 0
    with open_index(index_dir) as index:
        for query_id, text in queries:
            try:
                hits = index.search(text, per_page=100).hits
            except QueryError:
                hits, errors = (), errors + 1
            ranked = [Path(hit.path).stem for hit in hits]
            relevant = judged[query_id]
            scores["nDCG@10"].append(ndcg_at(10, ranked, relevant))
            scores["Recall@100"].append(recall_at(100, ranked, relevant))
            scores["MRR@10"].append(mrr_at(10, ranked, relevant))
    result = {name: round(statistics.fmean(values), 4) for name, values in scores.items()}
    result["query errors"] = errors
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collection", type=Path, default=DEFAULT_COLLECTION)
    parser.add_argument("--limit", type=int, default=0, help="only the first N queries")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "relevance-scifact.json")
    args = parser.parse_args(argv)
    if not (args.collection / "corpus.jsonl").exists():
        print(f"No collection at {args.collection}", file=sys.stderr)
        return 2
    judged = load_judgements(args.collection)
    queries = load_queries(args.collection, judged)[: args.limit or None]
    with tempfile.TemporaryDirectory() as work:
        posts, index_dir = Path(work) / "posts", Path(work) / "index"
        posts.mkdir()
        documents = write_posts(args.collection, posts)
        started = time.perf_counter()
        build_index(posts, index_dir, url_pattern="/:slug/")
        built = time.perf_counter() - started
        started = time.perf_counter()
        figures = evaluate(index_dir, queries, judged)
        searched = time.perf_counter() - started
    report = {
        "collection": str(args.collection),
        "documents": documents,
        "queries": len(queries),
        "figures": figures,
        "published_bm25_test": PUBLISHED,
        "index_seconds": round(built, 1),
        "search_seconds": round(searched, 1),
        "taken": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"SciFact train: {len(queries)} queries over {documents} abstracts")
    for name, value in figures.items():
        reference = PUBLISHED.get(name)
        print(f"  {name:<12} {value}" + (f"   (published BM25 on test: {reference})" if reference else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
