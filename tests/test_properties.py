"""Property-based tests (hypothesis): whatever a query or a post file holds, the library answers or reports it."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from search.config import Settings
from search.documents import parse_one
from search.errors import QueryError
from search.sections import Sectioner
from search.sites.plain import PlainSite

QUERY_PIECES = st.sampled_from(
    ["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "(", ")", '"', "*", "?", "~", "^", "-", "+", ":", "[", "]", "{",
     "}", "title:", "tag:", "date:", "date:2023", "date:[2021 to", "author:", "foo:", "git", "bisect", "caché", "東京",
     "\x00", "\x1b[2J", "🙂", "\u202e", " ", "  ", "x" * 300]
)
QUERIES = st.one_of(
    st.text(max_size=120),
    st.lists(st.one_of(QUERY_PIECES, st.text(max_size=8)), max_size=30).map(" ".join),
    st.lists(st.one_of(QUERY_PIECES, st.text(max_size=8)), max_size=30).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES)
@example(query="[0TO]")  # a range running past its field's last word into the date field's bytes
@example(query="code:[z TO]")
def test_any_query_gives_results_or_a_query_error(sample_index, query):
    try:
        results = sample_index.search(query, per_page=5, facets=True)
    except QueryError as error:
        assert str(error)
        return
    assert results.total >= len(results.hits)
    assert all(s.url.startswith(hit.url) for hit in results.hits for s in hit.sections)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.builds(lambda fm, body: f"---\n{fm}\n---\n{body}".encode("utf-8", "surrogatepass"), st.text(max_size=300), st.text(max_size=500)),
        st.builds(lambda fm, body: f"+++\n{fm}\n+++\n{body}".encode("utf-8", "surrogatepass"), st.text(max_size=300), st.text(max_size=500)),
        st.text(max_size=500).map(lambda t: ("\ufeff" + t).encode("utf-16")),
    )
)
def test_any_post_file_is_indexed_or_reported_with_a_reason(tmp_path, data):
    """A file of any bytes ends as section documents or as an error with its reason; reading never raises."""
    path = tmp_path / "post.md"
    path.write_bytes(data)
    parsed = parse_one(Sectioner(), PlainSite(str(tmp_path)), Settings(), str(path), "post.md", 0, len(data), "")
    if parsed.error:
        assert not parsed.documents and not parsed.record.indexed
    else:
        assert parsed.draft or (parsed.record.indexed and len(parsed.documents) == parsed.record.sections)


LEAVES = st.sampled_from(
    ["git", "bisect", "python", "release", "title:git", "gi*", "pyth?n", '"git bisect"', '"git bisect"~3', "relase~1",
     "date:[2000 TO 2030]", "date:2023", "[gi TO gz]", "heading:install", "tag:git"]
)
OPERATOR_TREES = st.recursive(
    LEAVES,
    lambda inner: st.tuples(inner, st.sampled_from(["AND", "OR", "AND NOT", "ANDMAYBE", "ANDNOT", "REQUIRE"]), inner).map(
        lambda parts: f"({parts[0]} {parts[1]} {parts[2]})"
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=OPERATOR_TREES)
def test_set_operations_match_what_whoosh_matches(sample_index, text):
    """docs() does AND, OR, NOT, ANDMAYBE and REQUIRE as set operations on arrays (the fast path); they must
    give what Whoosh's matchers find for each leaf, combined by the operators' meaning. (Not Whoosh's own
    combination: its AndNot matcher kept a section that both of its sides hold, for (git ANDNOT [gi TO gz]).)"""
    from search.matching import bounded, docs

    with sample_index.snapshot() as snap:
        q = snap.parser.parse(text).query
        assert sorted(docs(snap, q).tolist()) == sorted(reference_docs(snap, bounded(snap, q)))


def reference_docs(snap, q) -> set[int]:
    """The sections a query matches: Whoosh's matches of each leaf, combined with Python sets."""
    from whoosh import query as wq

    if isinstance(q, wq.Or):
        return set().union(*(reference_docs(snap, part) for part in q.subqueries))
    if isinstance(q, wq.Not):  # every live section but those (Whoosh's Not of an AndNot keeps its bug)
        return set(snap.reader.all_doc_ids()) - reference_docs(snap, q.query)
    if isinstance(q, wq.And) and q.subqueries:
        kept = [reference_docs(snap, p) for p in q.subqueries if not isinstance(p, wq.Not)] or [set(snap.reader.all_doc_ids())]
        dropped = [reference_docs(snap, p.query) for p in q.subqueries if isinstance(p, wq.Not)]
        return set.intersection(*kept).difference(*dropped)
    if isinstance(q, wq.AndMaybe):
        return reference_docs(snap, q.a)
    if isinstance(q, wq.AndNot):
        return reference_docs(snap, q.a) - reference_docs(snap, q.b)
    if isinstance(q, wq.Require):
        return reference_docs(snap, q.a) & reference_docs(snap, q.b)
    return set(snap.searcher.docs_for_query(q))
