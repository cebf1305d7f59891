"""Pruning: scoring only the best tier's sections (or a typed query's matching ones) gives the page that scoring
every section gives, on every benchmark query of rust-blog and cpp-docs and typed forms of them (skipped where
../shared is missing). The exhaustive side is the
ranking with pruning turned off (Request(prune=False)): the only place tests reach below open_index."""

import pytest
from conftest import corpus

from bench.run import extract_sections, make_queries
from search.indexer import build_index
from search.matching import filter_docs
from search.query import SearchIndex, translations
from search.ranking import Request, candidates, rank

BENCHMARK_QUERIES = 200  # as python -m bench draws them (its seed, its 1-3 words, phrases and a prefix)


@pytest.fixture(scope="module")
def benchmark(tmp_path_factory):
    """Each corpus indexed once, with the benchmark's queries, and each query again with common words around it."""
    built = {}

    def build(name):
        if name not in built:
            folder = corpus(name)
            index_dir = tmp_path_factory.mktemp(name)
            build_index(folder, index_dir)
            queries = make_queries(extract_sections(folder), BENCHMARK_QUERIES)
            common = [f"the {query}" for query in queries[:40]] + [f"{query} of the" for query in queries[:40]]
            built[name] = (index_dir, queries + common + ["the", "the of", "of the"] + typed(queries[:40]))
        return built[name]

    return build


def typed(queries):
    """Typed forms of queries of several words (their sections are found before they are scored): a phrase,
    a word left out, a word in the heading, an OR, and a phrase of common words."""
    found = ["\"of the\"", "\"in the\" -the"]
    for query in queries:
        words = query.replace('"', "").replace("*", "").split()
        if len(words) > 1:
            first, last = words[0], words[-1]
            found += [f'"{" ".join(words)}"', f"{first} -{last}", f"heading:{first} {last}", f"{first} OR {last}"]
    return found


def page(snap, query, prune, start=0):
    """Everything a page's ranking says: the total, the posts with their shown sections' scores and docnums, the
    matching posts, the terms found, whether it is complete and the common words."""
    parsed, translated = snap.parser.parse(query), translations(snap, query)
    found = rank(snap, parsed, translated, Request(start=start, prune=prune))
    return found.total, found.posts, found.matched.tolist(), found.terms_found, found.complete, found.common_terms


@pytest.mark.parametrize("name", ["rust-blog", "cpp-docs"])
def test_pruned_pages_are_the_pages_of_scoring_every_section(benchmark, name):
    index_dir, queries = benchmark(name)
    with SearchIndex(index_dir) as index, index.snapshot() as snap:
        differ = [(q, start) for q in queries for start in (0, 10) if page(snap, q, True, start) != page(snap, q, False, start)]
    assert differ == []


@pytest.mark.parametrize("name", ["rust-blog", "cpp-docs"])
def test_pruning_scores_fewer_sections_for_most_queries(benchmark, name):
    index_dir, queries = benchmark(name)
    pruned = 0
    with SearchIndex(index_dir) as index, index.snapshot() as snap:
        for query in queries:
            parsed, translated = snap.parser.parse(query), translations(snap, query)
            few = candidates(snap, parsed, translated, Request(prune=True))[0].docnums
            every = candidates(snap, parsed, translated, Request(prune=False))[0].docnums
            assert set(few.tolist()) <= set(every.tolist())
            pruned += len(few) < len(every)
    assert pruned > len(queries) / 4  # a query of one word has one tier: all its sections are the best


REQUESTS = [
    {"sort": "date"},
    {"recent_boost": True},
    {"start": 100},
    {"count": 3},
    {"filters": {"year": "2023"}},
    {"filters": {"author": "The Rust Release Team"}, "sort": "date"},
]


@pytest.mark.parametrize("asked", REQUESTS, ids=lambda asked: "-".join(f"{k}={v}" for k, v in asked.items()))
def test_pruned_pages_hold_for_every_kind_of_request(benchmark, asked):
    index_dir, queries = benchmark("rust-blog")
    filters = asked.get("filters")
    options = {k: v for k, v in asked.items() if k != "filters"}
    differ = []
    with SearchIndex(index_dir) as index, index.snapshot() as snap:
        allowed = filter_docs(snap, filters)
        for query in queries:
            parsed, translated = snap.parser.parse(query), translations(snap, query)
            pruned = rank(snap, parsed, translated, Request(**options, allowed=allowed, prune=True))
            every = rank(snap, parsed, translated, Request(**options, allowed=allowed, prune=False))
            if (pruned.total, pruned.posts, pruned.matched.tolist()) != (every.total, every.posts, every.matched.tolist()):
                differ.append(query)
    assert differ == []
