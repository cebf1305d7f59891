"""The BM25F scorer's per-segment arrays agree with what Whoosh reads one document at a time."""

import random
from typing import Any

import numpy as np
import pytest
from conftest import bulk_post

from search.index_format.schema import SEARCH_FIELDS
from search.index_format.segments import column_array
from search.query import SearchIndex
from search.scoring import B, chunk_positions, closest_pair, distinct, smallest_window, tightness


def test_arrays_match_whoosh_per_document_reads(make_index):
    searcher = make_index(
        {
            "a.md": "---\ntitle: A\ndate: 2020-01-01\n---\nIntro.\n\n## Code\n\n```\nlet x = 1;\n```\n",
            "b.md": "---\ntitle: B\n---\nOnly prose, no heading and no code at the end.\n",
        }
    )
    with searcher.snapshot() as snap:
        scorer, reader = snap.scorer, snap.reader
    for segment, norms in zip(scorer.segments, scorer.norms):
        leaf = segment.reader
        for field in SEARCH_FIELDS:
            average = reader.field_length(field) / reader.doc_count()
            expected = [
                (1 - B) + B * (leaf.doc_field_length(d, field) or 0) / average if average else 1.0 for d in range(segment.size)
            ]
            assert np.allclose(norms[field], expected)
        for field in ("post_key", "date_order"):
            assert list(column_array(leaf, field, np.int64)) == [leaf.column_reader(field)[d] for d in range(segment.size)]


def test_distinct_is_numpys_unique_of_the_arrays_joined():
    rng = np.random.default_rng(3)
    for _ in range(200):
        arrays = [rng.integers(0, 50, rng.integers(0, 30)) for _ in range(rng.integers(1, 4))]
        assert distinct(arrays).tolist() == np.unique(np.concatenate(arrays)).tolist()


def test_tightness():
    assert tightness([[3], [4]]) == 1.0
    assert tightness([[3], [7]]) == 0.25
    assert tightness([[1], []]) == 0.0
    assert tightness([[1, 20], [22], [30]]) == pytest.approx(2 / 10)


def test_closest_pair_is_the_two_term_smallest_window():
    """The two-list shortcut gives what the general sweep gives, on random position lists."""
    rng = random.Random(7)
    for _ in range(500):
        first = sorted(rng.sample(range(200), rng.randint(1, 12)))
        second = sorted(rng.sample(range(200), rng.randint(1, 12)))
        assert closest_pair(first, second) == smallest_window([first, second])


def test_updated_post_leaves_no_trace_in_scores(make_index, posts_dir, index_dir):
    """After an update deletes a post's old sections, term scores equal Whoosh's own (deletion-filtered) postings."""
    from search.indexer import build_index
    from search.query import open_index

    make_index({"a.md": "---\ntitle: A\n---\nApple banana apple.\n", "b.md": "---\ntitle: B\n---\nBanana cherry.\n", "bulk.md": bulk_post()})
    (posts_dir / "a.md").write_text("---\ntitle: A\n---\nCherry only.\n", encoding="utf-8")
    build_index(posts_dir, index_dir)
    with open_index(index_dir) as searcher, searcher.snapshot() as snap:
        reader, scorer = snap.reader, snap.scorer
        assert reader.has_deletions()
        for word in ("apple", "banana", "cherry"):
            scores = scorer.score_all([(snap.stem(word),)]).totals
            live = {d for d in range(scorer.total) if not reader.is_deleted(d)}
            holding = set(snap.searcher.docs_for_query(snap.parser.parse(word).query))
            assert set(np.flatnonzero(scores)) == holding and holding <= live
        assert [hit.path for hit in searcher.search("apple").hits] == []


def test_stored_fields_match_whoosh_across_segments(make_index, posts_dir, index_dir):
    """Stored fields read straight from segments equal Whoosh's, whichever segment a document is in."""
    from search.indexer import build_index
    from search.query import open_index

    make_index({"a.md": "---\ntitle: A\n---\nFirst.\n\n## Part\n\nMore.\n", "b.md": "---\ntitle: B\n---\nSecond.\n", "bulk.md": bulk_post()})
    (posts_dir / "c.md").write_text("---\ntitle: C\n---\nThird.\n", encoding="utf-8")
    build_index(posts_dir, index_dir)
    with open_index(index_dir) as searcher, searcher.snapshot() as snap:
        scorer = snap.scorer
        assert len(scorer.segments) > 1
        for docnum in range(scorer.total):
            assert scorer.stored_fields(docnum) == snap.searcher.stored_fields(docnum)


def test_body_positions_match_whoosh_across_segments(make_index, posts_dir, index_dir):
    """Positions for proximity, whether kept from scoring or read afresh, equal Whoosh's, in every segment."""
    from search.indexer import build_index
    from search.query import open_index

    make_index({"a.md": "---\ntitle: A\n---\nRust tools and more rust.\n", "b.md": "---\ntitle: B\n---\nNo match.\n", "bulk.md": bulk_post()})
    (posts_dir / "c.md").write_text("---\ntitle: C\n---\nWords then rust tools.\n", encoding="utf-8")
    build_index(posts_dir, index_dir)
    with open_index(index_dir) as searcher, searcher.snapshot() as snap:
        scorer, reader = snap.scorer, snap.reader
        assert len(scorer.segments) > 1
        everything = np.arange(scorer.total)
        for term in ("rust", "tool"):
            expected = {}
            matcher = reader.postings("body", term)
            while matcher.is_active():
                expected[matcher.id()] = matcher.value_as("positions")
                matcher.next()
            assert len(expected) == 2
            decode = scorer.decoders["body"]
            unscored = scorer.score_all([])
            assert positions_in(scorer.body_blocks(term, unscored), everything, decode) == expected  # read afresh
            scored = scorer.score_all([(term,)])
            assert term in scored.body_blocks
            assert positions_in(scorer.body_blocks(term, scored), everything, decode) == expected  # kept from scoring
            places = scorer.body_blocks(term, scored).places(everything)  # for proximity: found, not decoded
            assert {doc: decode(values[index]) for doc, (values, index) in places.items()} == expected


def positions_in(blocks: Any, docnums: Any, decode: Any) -> dict[int, list[int]]:
    """The positions chunk_positions finds for each docnum, as lists."""
    docs, positions = chunk_positions([(ids, None, values) for ids, values in blocks.blocks], docnums, decode)
    found: dict[int, list[int]] = {}
    for doc, position in zip(docs.tolist(), positions.tolist()):
        found.setdefault(doc, []).append(position)
    return found


def test_phrase_documents_equal_whoosh_phrase_matching(make_index, posts_dir, index_dir):
    """Sections holding a phrase, found from posting lists and positions, are those Whoosh's Phrase matcher
    finds: random phrases (repeated words, stop words inside, words absent) over posts with long posting lists
    (several blocks) in several segments, some sections deleted."""
    from whoosh.query import Phrase

    from search.indexer import build_index

    rng = random.Random(7)
    vocabulary = ["red", "green", "blue", "the", "of", "stone", "river", "light", "dark", "open"]

    def text() -> str:
        words = " ".join(rng.choice(vocabulary) for _ in range(rng.randrange(3, 40)))
        if rng.random() < 0.1:  # a gap of 255 words or more: positions stored wide
            return f"{words} {'filler ' * rng.randrange(250, 400)}{words}"
        return words

    def post(n: int) -> str:
        return f"---\ntitle: {text()}\n---\n{text()}\n\n## {text()}\n\n{text()}\n\n```\n{text()}\n```\n"

    make_index({f"p{n}.md": post(n) for n in range(1000)}, workers=1)
    for n in range(0, 1000, 7):  # changed posts: their old sections stay behind, deleted
        (posts_dir / f"p{n}.md").write_text(post(n), encoding="utf-8")
    build_index(posts_dir, index_dir)
    with SearchIndex(index_dir) as searcher, searcher.snapshot() as snap:
        assert len(snap.scorer.segments) > 1 and snap.reader.has_deletions()
        assert max(len(s.postings("body", "red")[2]) for s in snap.scorer.segments) > 1  # a list of several blocks
        everything, decode = np.arange(snap.scorer.total), snap.scorer.decoders["body"]
        for word in vocabulary:  # proximity's look-up of positions, across blocks and segments
            term, expected = snap.stem(word), {}
            matcher = snap.reader.postings("body", snap.stem(word))
            while matcher.is_active():
                expected[matcher.id()] = matcher.value_as("positions")
                matcher.next()
            places = snap.scorer.body_blocks(term, snap.scorer.score_all([])).places(everything)
            found = {doc: decode(values[index]) for doc, (values, index) in places.items() if snap.scorer.live[doc]}
            assert found == expected and expected  # Whoosh's matcher leaves deleted sections out
        found = []
        for _ in range(150):
            words = [snap.stem(rng.choice(vocabulary + ["absent"])) for _ in range(rng.randrange(2, 5))]
            field = rng.choice(SEARCH_FIELDS)
            expected = sorted(snap.searcher.docs_for_query(Phrase(field, words)))
            assert snap.scorer.phrase_docs(field, words).tolist() == expected, (field, words)
            found.append(len(expected))
        assert sum(map(bool, found)) > 50


def test_closeness_of_two_terms_equals_tightness():
    """The two-term shortcut gives each document what tightness() gives it, 0 where a term is missing."""
    from search.index_format.codec import CompactPositions
    from search.scoring import pair_closeness

    rng, encoding = random.Random(5), CompactPositions()
    spots = [[sorted(rng.sample(range(rng.choice([40, 300, 2000])), rng.randint(1, 6))) for _ in range(2)] for _ in range(300)]
    places = [{doc: ([encoding.encode(pair[term])], 0) for doc, pair in enumerate(spots)} for term in (0, 1)]
    places[0][300], places[1][301] = ([encoding.encode([3])], 0), ([encoding.encode([4])], 0)  # one term each
    docnums = np.arange(302)[::-1]
    expected = [tightness(spots[doc]) if doc < 300 else 0.0 for doc in docnums]
    assert pair_closeness(docnums, places, encoding.decode_positions).tolist() == pytest.approx(expected)
    assert 0 < min(expected[2:]) and max(expected) == 1.0  # both near and far pairs


def test_scores_where_a_term_is_held_equal_its_scores_over_every_document(make_index, posts_dir, index_dir):
    """A prefix's rarer expansions are scored only where they are held: the same bits as the array of every
    document, and the same heading and title marks, over several segments with deleted sections."""
    from search.indexer import build_index
    from search.scoring import Places

    rng = random.Random(3)
    vocabulary = [f"word{n}" for n in range(60)]

    def post() -> str:
        def text() -> str:
            return " ".join(rng.choice(vocabulary) for _ in range(rng.randrange(1, 30)))

        return f"---\ntitle: {text()}\n---\n{text()}\n\n## {text()}\n\n{text()}\n\n```\n{text()}\n```\n"

    make_index({f"p{n}.md": post() for n in range(300)}, workers=1)
    for n in range(0, 300, 5):
        (posts_dir / f"p{n}.md").write_text(post(), encoding="utf-8")
    build_index(posts_dir, index_dir)
    with SearchIndex(index_dir) as searcher, searcher.snapshot() as snap:
        scorer = snap.scorer
        assert len(scorer.segments) > 1 and scorer.has_deletions
        for word in vocabulary:
            postings = scorer.term_postings(snap.stem(word))
            dense_marks = {"heading": np.zeros(scorer.total, bool), "title": np.zeros(scorer.total, bool)}
            marks = {"heading": np.zeros(scorer.total, bool), "title": np.zeros(scorer.total, bool)}
            dense = scorer.term_scores(postings, dense_marks, Places(None, scorer.total))
            held, scores = scorer.held_term_scores(postings, marks)
            spread = np.zeros(scorer.total, np.float32)
            spread[held] = scores
            assert spread.tobytes() == dense.tobytes() and dense.any()
            assert all((marks[f] == dense_marks[f]).all() for f in marks) and marks["heading"].any()
