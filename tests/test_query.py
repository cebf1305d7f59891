import pytest
from conftest import bulk_post
from whoosh import query as wq

from search.errors import QueryError
from search.parsing import relax, repair

POSTS = {
    "both.md": "---\ntitle: Gardening notes\ndate: 2020-01-01\ntags: [garden]\n---\nTomato plants need sun and water every day.\n",
    "one.md": "---\ntitle: Kitchen notes\ndate: 2022-05-05\ntags: [food]\ncategories: [cooking]\nauthor: Ann Lee\n---\nA tomato salad is quick.\n",
    "far.md": (
        "---\ntitle: Scattered words\ndate: 2021-01-01\n---\nThe sun rose.\n\n" + "filler words here. " * 30 + "\n\nTomato later.\n"
    ),
    "near.md": "---\ntitle: Close words\ndate: 2019-01-01\n---\nSun tomato together.\n\n" + "other text. " * 30 + "\n",
    "rust.md": (
        "---\ntitle: Ownership in Rust\ndate: 2023-03-03\ntags: [rust]\n---\nIntro about memory.\n\n"
        "## Borrowing\n\nReferences borrow values.\n\n## Moves\n\nValues move.\n\n## Lifetimes\n\nRegions.\n\n## Drops\n\nDrop runs.\n"
    ),
    "xss.md": "---\ntitle: Escaping\n---\nNever trust <script>alert(1)</script> in comments.\n",
}


@pytest.fixture
def searcher(make_index):
    return make_index(POSTS)


def paths(results):
    return [hit.path for hit in results.hits]


def test_all_words_rank_above_some_words(searcher):
    results = searcher.search("tomato sun")
    assert set(paths(results)[:3]) == {"both.md", "far.md", "near.md"}
    assert "one.md" in paths(results)[3:]


def test_missing_word_does_not_empty_the_result(searcher):
    assert paths(searcher.search("tomato zebra")) != []


def test_pasted_sentence_finds_best_partial_match(searcher):
    results = searcher.search("how long should I water my tomato plants in the sun")
    assert paths(results)[0] == "both.md"


def test_exact_phrase(searcher):
    assert paths(searcher.search('"tomato salad"')) == ["one.md"]


def test_excluded_word_removes_whole_posts(searcher):
    found = paths(searcher.search("tomato -salad"))
    assert "one.md" not in found and "both.md" in found


def test_or(searcher):
    assert set(paths(searcher.search("salad OR borrow"))) == {"one.md", "rust.md"}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("title:kitchen", ["one.md"]),
        ("tag:garden", ["both.md"]),
        ("category:cooking", ["one.md"]),
        ("author:lee", ["one.md"]),
        ("tomato date:2020", ["both.md"]),
        ("tomato date:[2021 to 2022]", ["far.md", "one.md"]),
        ("(tomato AND date:2020)", ["both.md"]),  # the bracket closes the group, not the date
    ],
)
def test_field_and_date_filters(searcher, query, expected):
    assert sorted(paths(searcher.search(query))) == expected


def test_prefix_search_and_its_highlight(searcher):
    results = searcher.search("tomat*")
    assert len(results.hits) == 4
    assert all("<mark>" in s.snippet for hit in results.hits for s in hit.sections)


def test_leading_wildcard_is_refused_with_a_fix(searcher):
    with pytest.raises(QueryError, match="put the \\* at the end"):
        searcher.search("*mato")


def test_unbalanced_quotes_and_parentheses_still_answer(searcher):
    assert "one.md" in paths(searcher.search('"tomato salad'))
    assert "one.md" in paths(searcher.search("(tomato OR salad"))
    assert "one.md" in paths(searcher.search("tomato) salad)"))


@pytest.mark.parametrize("query", ["tomato (+)- salad", "tomato (-) salad", "salad + tomato", "salad - tomato", "(+) salad"])
def test_a_lone_plus_or_minus_is_text_not_an_operator(searcher, query):
    """Pasted text such as "alpha (+)- thalassemia" is searched, not refused; only +word and -word are operators."""
    assert paths(searcher.search(query))[0] == "one.md"


def test_repair():
    assert repair('a "b c') == "a b c"
    assert repair("(a OR (b") == "(a OR (b))"
    assert repair("a) b") == "a b"


def test_suggestion_and_correction(searcher):
    results = searcher.search("tomatto")
    assert results.suggestion == "tomato" and results.corrected
    assert len(results.hits) == 4
    partial = searcher.search("tomato sallad")  # no post holds both words as typed; "tomato salad" does
    assert partial.suggestion == "tomato salad" and partial.corrected


def test_grouping_three_sections_per_post_best_first(searcher):
    hit = searcher.search("borrow OR move OR regions OR drop OR memory").hits[0]
    assert hit.path == "rust.md" and len(hit.sections) == 3
    scores = [s.score for s in hit.sections]
    assert scores == sorted(scores, reverse=True) and hit.score == scores[0]
    assert hit.sections[0].url.startswith("/2023/03/03/rust/#")


def test_sections_listed_match_as_fully_as_the_best_one(make_index):
    post = (
        "---\ntitle: Garden diary\n---\nIntro.\n\n## Spring\n\nSowing tomato seeds in pots.\n\n"
        "## Summer\n\nTomato plants in the sun.\n\n## Autumn\n\nA last tomato.\n\n## Winter\n\nNo sun at all.\n"
    )
    searcher = make_index({"diary.md": post})
    assert [s.anchor for s in searcher.search("tomato sun").hits[0].sections] == ["summer"]
    some_words = searcher.search("seeds sun").hits[0]  # no section holds both: those with either are listed
    assert {s.anchor for s in some_words.sections} == {"spring", "summer", "winter"}


def test_post_title_is_context_for_every_section(searcher):
    hit = searcher.search("ownership lifetimes").hits[0]
    assert hit.path == "rust.md" and hit.sections[0].anchor == "lifetimes"


def test_sort_by_date_and_pagination(searcher):
    newest = searcher.search("tomato", sort="date")
    assert paths(newest) == ["one.md", "far.md", "both.md", "near.md"]
    page2 = searcher.search("tomato", sort="date", page=2, per_page=3)
    assert (page2.total, page2.pages, paths(page2)) == (4, 2, ["near.md"])


def test_sort_by_date_follows_an_updated_date(make_index, posts_dir, index_dir):
    """A post whose date changed sorts by its new date, though its old sections still sit deleted in the index."""
    from conftest import write

    from search.indexer import build_index
    from search.query import SearchIndex

    make_index({"old.md": "---\ndate: 2020-01-01\n---\nsoup\n", "mid.md": "---\ndate: 2022-01-01\n---\nsoup\n", "bulk.md": bulk_post()})
    write(posts_dir, "old.md", "---\ndate: 2024-01-01\n---\nsoup\n")
    build_index(posts_dir, index_dir)
    with SearchIndex(index_dir) as searcher:
        with searcher.snapshot() as snap:
            assert snap.reader.has_deletions()  # the old sections are still there, deleted
        assert paths(searcher.search("soup", sort="date")) == ["old.md", "mid.md"]


def test_ties_break_deterministically(make_index):
    text = "---\ntitle: Same\n---\nidentical words\n"
    searcher = make_index({"b.md": text, "a.md": text})
    assert paths(searcher.search("identical")) == ["a.md", "b.md"]


def test_exact_title_ranks_first(make_index):
    searcher = make_index(
        {
            "target.md": "---\ntitle: Memory safety\n---\nA short note.\n",
            "noisy.md": "---\ntitle: Other\n---\n" + "memory safety memory safety. " * 20,
        }
    )
    assert paths(searcher.search('"memory safety"'))[0] == "target.md"
    assert paths(searcher.search("Memory Safety"))[0] == "target.md"


def test_script_in_text_is_escaped(searcher):
    snippet = searcher.search("alert comments").hits[0].sections[0].snippet
    assert "&lt;script&gt;" in snippet and "<script>" not in snippet and "<mark>" in snippet


def test_snippets_show_the_sections_own_text_marking_its_matches(searcher):
    """A snippet marks the query's words where the section's text holds them; where only the heading or the
    post title does, it shows the section's opening text, never the title and heading path again."""
    for query in ["tomato", "sun water", "ownership", "kitchen"]:
        for hit in searcher.search(query).hits:
            for section in hit.sections:
                assert not section.snippet.startswith(hit.title), (query, hit.path)
                assert section.snippet and " > " not in section.snippet, (query, hit.path)
    marked = [s.snippet for h in searcher.search("tomato").hits for s in h.sections]
    assert marked and all("<mark>" in snippet for snippet in marked)


def test_snippets_show_whitespace_runs_as_single_spaces(make_index):
    """Line breaks, indents and tabs of prose and code come out as single spaces (the index stores them so)."""
    post = "---\ntitle: Layout\n---\nA first line\nwith   wrapping\tand tabs.\n\n```\nfn main() {\n    wrapping();\n}\n```\n"
    searcher = make_index({"layout.md": post})
    (prose,) = searcher.search("tabs").hits[0].sections
    (code,) = searcher.search("main").hits[0].sections
    assert prose.snippet == "A first line with wrapping and <mark>tabs</mark>."
    assert code.snippet == "fn <mark>main</mark>() { wrapping(); }"


def test_results_are_frozen_dataclasses_and_serialise(searcher):
    results = searcher.search("tomato")
    with pytest.raises(AttributeError):
        results.total = 0
    data = results.to_dict()
    assert set(data) >= {"query", "total", "page", "pages", "suggestion", "hits"}
    assert set(data["hits"][0]) >= {"path", "url", "title", "date", "tags", "score", "sections"}
    assert set(data["hits"][0]["sections"][0]) >= {"heading", "anchor", "url", "snippet"}


def test_unknown_sort_is_an_error(searcher):
    with pytest.raises(QueryError, match="relevance, date"):
        searcher.search("tomato", sort="random")


def test_searcher_sees_a_newer_generation(searcher, posts_dir, index_dir):
    from conftest import write

    from search.indexer import build_index

    write(posts_dir, "new.md", "---\ntitle: New\n---\nKumquat arrives.\n")
    build_index(posts_dir, index_dir)
    assert paths(searcher.search("kumquat")) == ["new.md"]


def test_searcher_sees_a_newer_generation_of_a_folder_long_unchanged(searcher, posts_dir, index_dir):
    """Once the folder's time is settled, a search only stats it; a commit still shows, as a new time."""
    import os

    from conftest import write

    from search.indexer import build_index

    past = os.stat(index_dir).st_mtime - 60
    os.utime(index_dir, (past, past))
    assert paths(searcher.search("kumquat")) == []
    assert searcher.checked_stamp is not None
    write(posts_dir, "new.md", "---\ntitle: New\n---\nKumquat arrives.\n")
    build_index(posts_dir, index_dir)
    assert paths(searcher.search("kumquat")) == ["new.md"]


def test_searcher_drops_what_a_newer_generation_deleted(make_index, posts_dir, index_dir):
    """An open index that sees a post updated no longer finds the post's old text."""
    from search.indexer import build_index

    searcher = make_index({"a.md": "---\ntitle: A\n---\nApple banana.\n", "b.md": "---\ntitle: B\n---\nBanana cherry.\n"})
    assert paths(searcher.search("apple")) == ["a.md"]
    (posts_dir / "a.md").write_text("---\ntitle: A\n---\nCherry only.\n", encoding="utf-8")
    build_index(posts_dir, index_dir)
    assert paths(searcher.search("apple")) == []
    assert sorted(paths(searcher.search("cherry"))) == ["a.md", "b.md"]


def test_words_close_together_outrank_scattered_and_phrase_outranks_both(make_index):
    filler = "plain filler text. " * 12
    searcher = make_index(
        {
            "scattered.md": f"---\ntitle: A\n---\nmemory {filler} leak here.\n",
            "close.md": f"---\ntitle: B\n---\nmemory can slowly leak {filler}\n",
            "phrase.md": f"---\ntitle: C\n---\nA memory leak {filler}\n",
        }
    )
    assert paths(searcher.search("memory leak")) == ["phrase.md", "close.md", "scattered.md"]


def test_heading_match_lifts_its_section(make_index):
    searcher = make_index(
        {"p.md": "---\ntitle: Guide\n---\n## Install\n\nRun the installer once.\n\n## Caching\n\nThe installer keeps a cache.\n"}
    )
    hit = searcher.search("caching").hits[0]
    assert hit.sections[0].anchor == "caching"


def test_recent_boost_is_off_by_default_and_favours_newer_posts(make_index):
    from datetime import date, timedelta

    today = date.today().isoformat()
    old = (date.today() - timedelta(days=3650)).isoformat()
    searcher = make_index(
        {
            "old.md": f"---\ntitle: Old\ndate: {old}\n---\nKumquat jam.\n",
            "new.md": f"---\ntitle: New\ndate: {today}\n---\nKumquat jam with peel.\n",
        }
    )
    assert paths(searcher.search("kumquat")) == ["old.md", "new.md"]
    assert paths(searcher.search("kumquat", recent_boost=True)) == ["new.md", "old.md"]


def test_a_title_made_of_stop_words_is_still_found(make_index):
    searcher = make_index(
        {"with.md": "---\ntitle: with\n---\nThe with statement binds a value.\n", "other.md": "---\ntitle: Other\n---\nWords.\n"}
    )
    assert paths(searcher.search('"with"')) == ["with.md"]
    assert paths(searcher.search("With")) == ["with.md"]


def test_a_split_word_is_a_phrase_but_not_a_requirement(make_index):
    searcher = make_index(
        {
            "both.md": "---\ntitle: A\n---\nAn x-ray of the knee.\n",
            "knee.md": "---\ntitle: B\n---\nThe knee hurts; no ray of hope.\n",
        }
    )
    assert paths(searcher.search("x-ray knee")) == ["both.md", "knee.md"]
    assert paths(searcher.search("x-ray"))[0] == "both.md"


PLAIN = ["tomato sun", "Tomato", "the", "the sun and water", "sun sun", "water sun water", "plant plants", "Häuser über Straße", " tomato  salad ", "1 20 rust", "plants needs watering"]
NOT_PLAIN = ["tomato OR salad", "x-ray", "1.20", "it's", "title:rust", '"tomato salad"', "tomato*", "東京 タワー", "snake_case"]


def test_plain_words_are_built_exactly_as_the_parser_builds_them(searcher):
    """The parser is skipped for plain words; the query built instead must be the parser's own."""
    from search.parsing import make_parser, words_query

    with searcher.snapshot() as snap:
        parser = make_parser(snap.searcher.schema)
        for text in PLAIN:
            assert words_query(snap.parser.plain_stems(text)) == parser.parse(text), text
        for text in NOT_PLAIN:
            assert snap.parser.plain_stems(text) is None, text


def test_a_query_the_parser_cannot_read_is_searched_as_words(searcher):
    """Operators in an order Whoosh's parser fails on do not make an error: the words are searched."""
    assert "one.md" in paths(searcher.search(". TO )NOT AND # salad"))


def test_question_mark_ends_a_question_and_a_lone_star_is_dropped(searcher):
    """"salad?" finds what "salad" finds (it is not a one-letter wildcard); "*" alone does not expand to every word."""
    assert paths(searcher.search("tomato salad?")) == paths(searcher.search("tomato salad"))
    assert paths(searcher.search("is it a salad?")) == paths(searcher.search("is it a salad"))
    assert paths(searcher.search("salad *")) == paths(searcher.search("salad"))
    assert "one.md" in paths(searcher.search("sal*"))
    assert searcher.search("*").total == 0


@pytest.mark.parametrize(
    "query",
    ["tomato", "tomato sun", "tomato OR borrow", "tomato -salad", "tomato NOT salad", "(tomato OR sun) NOT water",
     "tom*", "-tom* sun", "tag:garden", "tag:garden tomato", '"tomato salad"', "title:notes tomato", "zebra",
     "NOT salad", "NOT salad NOT water", "(NOT salad) OR water", "tomato OR NOT sun"],
)
def test_documents_from_posting_lists_equal_whoosh_matching(make_index, posts_dir, index_dir, query):
    """The set operations over posting lists find exactly the sections Whoosh's matchers find, also in a
    segment holding deleted sections."""
    from search.indexer import build_index

    garden = "---\ntitle: Garden notes\ntags: [garden]\n---\nTomato plants need sun.\n\n## Water\n\nWater daily.\n"
    searcher = make_index({"a.md": "---\ntitle: Kitchen notes\n---\nA tomato salad.\n", "b.md": garden, "bulk.md": bulk_post()})
    (posts_dir / "a.md").write_text("---\ntitle: Kitchen notes\n---\nA sun salad, no tomato.\n", encoding="utf-8")
    build_index(posts_dir, index_dir)
    from search.matching import bounded, docs

    with searcher.snapshot() as snap:
        assert snap.reader.has_deletions()
        parsed = snap.parser.parse(query).query
        shapes = [parsed, relax(parsed)]
        if isinstance(parsed, wq.And):  # an AND of NOTs alone, as leaving out common words leaves it
            shapes.append(wq.And([part for part in parsed.subqueries if isinstance(part, wq.Not)] or [parsed]))
        for q in shapes:
            expected = sorted(snap.searcher.docs_for_query(bounded(snap, q)))
            assert docs(snap, q).tolist() == expected, q


def test_leading_order_is_the_start_of_the_full_order():
    """The partial sort gives the first entries of the full sort, with keys full of ties."""
    import numpy as np

    from search.ranking import leading_order

    rng = np.random.default_rng(3)
    for size in (1, 5, 40, 300):
        keys = [rng.integers(0, 6, size).astype(np.float64), rng.integers(0, 4, size).astype(np.float64)]
        full = np.lexsort(keys[::-1])
        for needed in (1, 3, 11, 40):
            leading = leading_order(keys, needed)
            shown = min(needed, size)
            assert leading[:shown].tolist() == full[:shown].tolist()  # stable: ties keep their index order


def test_results_show_their_posts_fields_after_updates_deletions_and_merges(make_index, posts_dir, index_dir):
    """A post's path, URL, title, date and tags are stored once, with its first section: a match in a later
    section shows them, also after runs that change and delete posts and merge the index's segments."""
    from conftest import write

    from search.config import Settings
    from search.indexer import build_index
    from search.posts import read_post
    from search.query import SearchIndex

    def post(n: int, run: int) -> str:
        return (
            f"---\ntitle: Post {n} run {run}\ndate: 2020-01-{n + 1:02d}\ntags: [t{n}, shared]\n---\n"
            f"Intro.\n\n## Part\n\nzebra {run}\n\n## Later\n\nquagga\n"
        )

    make_index({**{f"p{n}.md": post(n, 0) for n in range(12)}, "bulk.md": bulk_post()})
    segments = []
    for run in range(1, 6):  # each run changes a post and deletes one: the last run's small segment is merged
        write(posts_dir, f"p{run + 6}.md", post(run + 6, run))
        (posts_dir / f"p{run - 1}.md").unlink()
        build_index(posts_dir, index_dir)
        with SearchIndex(index_dir) as searcher, searcher.snapshot() as snap:
            segments.append(len(snap.scorer.segments))
    assert segments == [2] * 5
    runs = {5: 0, 6: 0, 7: 1, 8: 2, 9: 3, 10: 4, 11: 5}
    with SearchIndex(index_dir) as searcher:
        hits = searcher.search("quagga", per_page=50).hits
        assert sorted(hit.path for hit in hits) == sorted(f"p{n}.md" for n in runs)
        for hit in hits:
            n = int(hit.path[1:-3])
            expected = read_post(posts_dir / hit.path, posts_dir, Settings())
            shown = (hit.title, hit.url, hit.date, hit.tags)
            assert shown == (f"Post {n} run {runs[n]}", expected.url, f"2020-01-{n + 1:02d}", (f"t{n}", "shared"))
            assert [s.url for s in hit.sections] == [f"{expected.url}#later"]


def test_a_time_limit_stops_a_slow_query_shape_and_marks_the_result_partial(make_index):
    """A query Whoosh's own matchers answer (a prefix in a tag) stops at its time limit with what it has, marked
    partial, and gives no suggestion; without a limit the same query is complete."""
    searcher = make_index({f"p{n}.md": f"---\ntitle: Post {n}\ntags: [soup]\n---\nsoup of the day {n}\n" for n in range(30)})
    complete = searcher.search("tag:so* day")
    assert complete.total == 30 and not complete.partial
    cut = searcher.search("tag:so* day", time_limit=0)
    assert cut.partial and cut.total < complete.total and cut.suggestion is None
    assert cut.to_dict()["partial"] is True
    assert not searcher.search("soup", time_limit=0).partial  # posting lists need no cut
    assert not searcher.search("so* date:2023", time_limit=0).partial  # nor prefixes with dates


def test_facets_still_to_be_read_are_left_out_of_an_answer_out_of_time(make_index):
    """Reading a generation's facet table takes ~0.1 s on a large site: a query whose time is spent answers
    without facets (partial) rather than past its limit; one with time reads the table, and later ones use it."""
    searcher = make_index({f"p{n}.md": f"---\ntitle: Post {n}\ntags: [soup]\n---\nsoup\n" for n in range(5)})
    late = searcher.search("soup", facets=True, time_limit=0)
    assert late.facets is None and late.partial and late.total == 5
    assert searcher.search("soup", facets=True).facets.tags == (("soup", 5),)
    assert searcher.search("soup", facets=True, time_limit=0).facets.tags == (("soup", 5),)  # read once: no wait


def test_facets_count_each_value_once_per_matching_post(make_index):
    searcher = make_index(
        {
            "a.md": "---\ntitle: A\ndate: 2021-03-01\ntags: [rust, web]\ncategories: [notes]\nauthor: Ann Lee\n---\nsoup\n\n## Again\n\nsoup\n",
            "b.md": "---\ntitle: B\ndate: 2022-01-01\ntags: [rust]\nauthor: Bo\n---\nsoup\n",
            "c.md": "---\ntitle: C\ntags: [web, rust, rust]\n---\nsoup\n",
            "d.md": "---\ntitle: D\ndate: 2022-05-05\ntags: [other]\n---\nnothing\n",
        }
    )
    facets = searcher.search("soup", facets=True).facets
    assert facets.tags == (("rust", 3), ("web", 2))
    assert facets.categories == (("notes", 1),)
    assert facets.authors == (("Ann Lee", 1), ("Bo", 1))
    assert facets.years == (("2021", 1), ("2022", 1))
    assert searcher.search("soup", filters={"tag": "web"}, facets=True).facets.tags == (("rust", 2), ("web", 2))
    assert searcher.search("soup", filters={"author": "ann"}).total == 1
    assert searcher.search("nothing at all here", facets=True).facets.tags in ((), (("other", 1),))


def test_a_year_filter_keeps_the_posts_of_that_year_as_the_years_facet_counts_them(make_index):
    searcher = make_index(
        {
            "new-year.md": "---\ntitle: New year\ndate: 2022-01-01 00:30:00 +0900\n---\nsoup\n",
            "eve.md": "---\ntitle: Eve\ndate: 2021-12-31T23:59:00\n---\nsoup\n\n## More\n\nsoup again\n",
            "mid.md": "---\ntitle: Mid\ndate: 2022-06-15\n---\nsoup\n",
            "undated.md": "---\ntitle: Undated\n---\nsoup\n",
        }
    )
    years = dict(searcher.search("soup", facets=True).facets.years)
    for year, count in years.items():
        found = searcher.search("soup", filters={"year": year})
        assert found.total == count
    assert {h.title for h in searcher.search("soup", filters={"year": "2022"}).hits} == {"New year", "Mid"}
    assert [h.title for h in searcher.search("soup", filters={"year": "2021"}).hits] == ["Eve"]
    assert searcher.search("soup", filters={"year": "1999"}).total == 0
    assert searcher.search("soup", filters={"year": ["2021", "2022"]}).total == 0  # every filter's value, as tags
    for odd in ("last", "²", "9" * 5000, "0", "-1", "20 22"):
        with pytest.raises(QueryError, match="year"):
            searcher.search("soup", filters={"year": odd})


def test_sort_by_date_lists_the_newest_posts_holding_every_word(make_index):
    searcher = make_index(
        {
            "both-old.md": "---\ndate: 2020-01-01\n---\ngreen tea\n",
            "both-new.md": "---\ndate: 2022-01-01\n---\ngreen tea\n",
            "one-newest.md": "---\ndate: 2024-01-01\n---\ngreen apples\n",
        }
    )
    assert paths(searcher.search("green tea", sort="date")) == ["both-new.md", "both-old.md"]
    assert paths(searcher.search("green", sort="date")) == ["one-newest.md", "both-new.md", "both-old.md"]


DATED = {
    "a.md": "---\ndate: 2021-06-30T23:30:00+02:00\n---\nsoup\n",
    "b.md": "---\ndate: 2021-07-01\n---\nsoup\n",
    "c.md": "---\ndate: 2023-05-17\n---\nsoup\n",
    "d.md": "---\ndate: 2024-01-31\n---\nsoup\n",
    "e.md": "---\ndate: 2024-02-01\n---\nsoup\n",
    "f.md": "---\ntitle: undated\n---\nsoup\n",
}


@pytest.mark.parametrize(
    "dates, expected",
    [("date:2023-05-17", ["c.md"]), ("date:[2023-05-17 to 2023-05-17]", ["c.md"]), ("date:[2024-02 to]", ["e.md"]),
     ("date:[to 2021-06]", ["a.md"]), ("date:2021-06", ["a.md"]), ("date:>2023", ["d.md", "e.md"]),
     ("date:>=2023-05", ["c.md", "d.md", "e.md"]), ("date:<2021-07", ["a.md"]), ("date:<=2021-07", ["a.md", "b.md"]),
     ("date:2021..2023", ["a.md", "b.md", "c.md"]), ("date:2024..", ["d.md", "e.md"]), ("date:..2021", ["a.md", "b.md"]),
     ("DATE:2024", ["d.md", "e.md"])],
)
def test_date_filters_at_the_precision_given_in_the_posts_own_time(make_index, dates, expected):
    """A day means that day, a month that month, as each post's date is written (a.md is 30 June at +02:00)."""
    searcher = make_index(DATED)
    assert sorted(paths(searcher.search(f"soup {dates}", per_page=20))) == expected
    assert sorted(paths(searcher.search(dates, per_page=20))) == expected  # dates alone: every post in them


@pytest.mark.parametrize("dates", ["date:foo", "date:2021-13", "date:[2021 to", "date:>>2023", "date:2021...2022", "date:"])
def test_an_unreadable_date_filter_is_an_error_showing_the_accepted_forms(make_index, dates):
    searcher = make_index(DATED)
    with pytest.raises(QueryError, match=r"date:2023-05|There is no date"):
        searcher.search(f"soup {dates}")


def test_field_names_are_case_insensitive_and_a_word_before_a_colon_naming_no_field_is_text(make_index):
    searcher = make_index({"v.md": "---\ntitle: Vim macros\ntags: [Editors]\n---\nRecord keys.\n",
                           "w.md": "---\ntitle: \"Walkthrough: Using MSBuild\"\n---\nSteps.\n"})
    assert paths(searcher.search("Title:vim")) == paths(searcher.search("TAG:editors")) == ["v.md"]
    assert paths(searcher.search("Walkthrough: Using MSBuild")) == ["w.md"]  # a title pasted in, colon and all
    assert paths(searcher.search("vim record:keys")) == ["v.md"]
    assert searcher.search('"foo:bar"').total == 0  # quoted: text, not a field
    assert searcher.search("see http://example.com/vim").total >= 0  # a URL is not a field


def test_exclusions_alone_find_every_post_without_the_words(make_index):
    searcher = make_index({"git.md": "git tips\n", "win.md": "windows tips\n", "both.md": "git on windows\n", "none.md": "tea\n"})
    assert sorted(paths(searcher.search("-windows"))) == sorted(paths(searcher.search("NOT windows"))) == ["git.md", "none.md"]
    assert paths(searcher.search("-git -windows")) == ["none.md"]


def test_a_query_equal_to_a_heading_puts_that_section_first(make_index):
    """As an exact title puts its post first, an exact heading (case and punctuation aside) puts its section first,
    before posts with many sections titled with one of its words."""
    community = "".join(f"## Rust community {n}\n\nThe Rust community, rust and community again {n}.\n\n" for n in range(4))
    searcher = make_index(
        {
            **{f"news-{n}.md": f"---\ntitle: Rust community news {n}\n---\n{community}" for n in range(5)},
            "team.md": "---\ntitle: Team update\n---\nIntro.\n\n## Rust in Community!\n\nA short note.\n",
        }
    )
    first = searcher.search("rust in community").hits[0]
    assert first.path == "team.md" and first.sections[0].heading == "Rust in Community!"


def test_a_post_titled_with_the_query_beats_a_digest_heading_equal_to_it(make_index):
    """Where the words are before how often: a roll-up post's heading "Const generics" among many others ranks
    below the post whose own title holds both words, and above posts that only mention them."""
    topics = "".join(f"## Topic {n}\n\nProgress on topic {n} and more.\n\n" for n in range(12))
    searcher = make_index({
        "digest.md": f"---\ntitle: Project goals update\n---\n{topics}## Const generics\n\nConst generics: "
                     + "const generics progress. The team met twice this month and reviewed the open work. " + "\n",
        "mvp.md": "---\ntitle: Const generics MVP hits beta\n---\nConst generics are in beta: const generics let types be generic over values.\n",
        "mention.md": "---\ntitle: Notes\n---\nSome const here, some generics there.\n",
    })
    assert paths(searcher.search("const generics")) == ["mvp.md", "digest.md", "mention.md"]


def test_an_identifier_is_found_by_its_parts_and_whole(make_index):
    """about_Preference_Variables is indexed whole and in parts: its parts as words or as a phrase find it,
    the identifier written another way (if_not_exists for __if_not_exists) too, and snippets mark the parts."""
    searcher = make_index({
        "prefs.md": "---\ntitle: about_Preference_Variables\n---\nVariables that customize behaviour.\n",
        "exists.md": "---\ntitle: __if_not_exists Statement\n---\nThe __if_not_exists statement tests whether an identifier exists.\n",
        "other.md": "---\ntitle: Statements\n---\nIf a statement does not exist, nothing happens. Preferences.\n",
    })
    assert paths(searcher.search("preference variables"))[0] == "prefs.md"
    assert paths(searcher.search('"preference variables"')) == ["prefs.md"]
    assert paths(searcher.search("about_preference_variables"))[0] == "prefs.md"
    assert paths(searcher.search("if_not_exists statement"))[0] == "exists.md"
    assert paths(searcher.search("__if_not_ex", typing=True))[0] == "exists.md"
    assert paths(searcher.search("about_pref*")) == ["prefs.md"]  # a prefix of the whole identifier
    hit = searcher.search("if not exists").hits[0]
    assert hit.path == "exists.md" and "__<mark>if</mark>_<mark>not</mark>_<mark>exists</mark>" in hit.sections[0].snippet


def test_accents_are_folded_in_every_field_both_ways(make_index):
    """cafe finds café and café finds cafe, in titles, headings, text and author names; snippets mark the word."""
    searcher = make_index(
        {
            "fr.md": "---\ntitle: Le café crème\nauthor: Tomás Núñez\n---\nIntro.\n\n## Über Näherung\n\nUn café noir.\n",
            "en.md": "---\ntitle: Plain cafe\n---\nA cafe near the station.\n",
        }
    )
    assert sorted(paths(searcher.search("cafe"))) == sorted(paths(searcher.search("café"))) == ["en.md", "fr.md"]
    assert paths(searcher.search("author:tomas")) == paths(searcher.search("author:Tomás")) == ["fr.md"]
    assert paths(searcher.search("uber naherung")) == ["fr.md"]
    assert paths(searcher.search("le cafe creme"))[0] == "fr.md"  # the exact title, accents aside
    hit = next(h for h in searcher.search("cafe").hits if h.path == "fr.md")
    assert any("<mark>café</mark>" in s.snippet for s in hit.sections)


def test_stop_words_are_searchable(make_index):
    searcher = make_index({
        "hamlet.md": "---\ntitle: Hamlet\n---\nTo be, or not to be, that is the question.\n",
        "band.md": "---\ntitle: The Who live\n---\nThe Who played in 1969.\n",
        "other.md": "---\ntitle: Other\n---\nA question of time, not of being.\n",
    })
    assert paths(searcher.search('"to be or not to be"')) == ["hamlet.md"]
    assert paths(searcher.search("the who"))[0] == "band.md"
    assert searcher.search("of").total == 1 and searcher.search("a").total == 1


def test_version_numbers_and_dotted_names_are_words(make_index):
    searcher = make_index({
        "four.md": "---\ntitle: Jekyll 4.0.0 released\n---\nThe 4.0 release is out.\n",
        "three.md": "---\ntitle: Jekyll 3.4 released\n---\nVersion 3.4 has 0 bugs fixed in 4 days; released today.\n",
        "liquid.md": "---\ntitle: Liquid\n---\nUse page.title in a layout.\n",
        "apart.md": "---\ntitle: Apart\n---\nThe page has a title somewhere.\n",
    })
    assert paths(searcher.search("jekyll 4.0 released"))[0] == "four.md"
    assert paths(searcher.search("page.title"))[0] == "liquid.md"  # the words apart only after (some words)


def test_a_section_without_the_querys_common_words_still_holds_the_whole_query(make_index):
    """'of' is in most sections: a section on history and rust holds "history of rust" as fully as one with 'of'
    in it. Sorted by date, where only posts holding the whole query are listed, the newer one comes first (with
    'of' required it was left out)."""
    posts = {f"filler{n}.md": f"---\ntitle: Filler {n}\n---\nA lot of words of all sorts, number {n}.\n" for n in range(210)}
    posts["short.md"] = "---\ntitle: Rust history\ndate: 2024-05-01\n---\nRust history, told briefly.\n"
    posts["long.md"] = "---\ntitle: Notes\ndate: 2020-01-01\n---\nSome notes. History of Rust is one topic.\n"
    searcher = make_index(posts)
    assert paths(searcher.search("history of rust", sort="date")) == ["short.md", "long.md"]
    assert searcher.search("of").total == 211  # still a word of the index


def test_while_typing_the_last_word_is_the_start_of_a_word_and_is_never_corrected(make_index):
    searcher = make_index({
        "borrow.md": "---\ntitle: The borrow checker\n---\nThe borrow checker rejects this.\n",
        "other.md": "---\ntitle: Borrowing the mower\n---\nWe borrow the neighbour's mower.\n",
        "kube.md": "---\ntitle: Küber\n---\nKüber is a name.\n",
    })
    typed = searcher.search("borrow che", typing=True)
    assert paths(typed)[0] == "borrow.md" and typed.suggestion is None and not typed.corrected
    assert searcher.search("kubern", typing=True).suggestion is None  # never "küber" for a word half-typed
    assert searcher.search("borrw che", typing=True).suggestion == "borrow che"  # the words before it are
    finished = searcher.search("borrow che ", typing=True)  # a space after the word: it is a whole word again
    assert finished.total == 0 or finished.suggestion is not None
    assert searcher.search("borrow che").suggestion is not None  # not typing: "che" is a word like any other
    for text in ("(borrow che", "clippy::che", "@che", "“che"):  # a mark typed just before the word: the same
        typed = searcher.search(text, typing=True)
        assert paths(typed)[0] == "borrow.md" and typed.suggestion is None, text
    assert paths(searcher.search("title:che", typing=True)) == ["borrow.md"]  # a field's word being typed


def test_what_readers_see_liquid_raw_text_entities_in_titles_and_authors_in_any_case(make_index):
    searcher = make_index({
        "a.md": "---\ntitle: Tips &amp; tricks\nauthor: DirtyF\n---\nWrite `{% raw %}{{ site.url }}{% endraw %}` in a layout.\n",
        "b.md": "---\ntitle: More\nauthor: dirtyf\n---\nA layout again.\n",
        "c.md": "---\ntitle: Third\nauthor: DirtyF\n---\nLayout notes.\n",
    })
    found = searcher.search("site url layout", facets=True)
    assert found.hits[0].title == "Tips & tricks" and "{{ <mark>site</mark>.<mark>url</mark> }}" in found.hits[0].sections[0].snippet
    assert searcher.search("layout", facets=True).facets.authors == (("DirtyF", 3),)  # as most posts write it


def test_a_prefix_cut_short_by_its_time_limit_is_finished_by_the_next_query(make_index, tmp_path):
    """A prefix standing for thousands of words stops at the query's time limit (the answer marked partial);
    the next query for it goes on from there and answers as an index that never cut it does."""
    from search.query import SearchIndex

    posts = {f"p{n}.md": f"---\ntitle: Post {n}\n---\n" + " ".join(f"wobble{n}x{k}" for k in range(6)) + "\n"
             for n in range(200)}
    posts["many.md"] = "---\ntitle: Many\n---\n" + " ".join(f"wobble{n}x0" for n in range(0, 200, 2)) + "\n"
    searcher = make_index(posts)
    cut = searcher.search("wob*", time_limit=0)
    assert cut.partial
    resumed = searcher.search("wob*")
    with SearchIndex(searcher.index_dir) as fresh:
        whole = fresh.search("wob*")
    assert not resumed.partial and resumed.total == whole.total > 0
    assert [h.path for h in resumed.hits] == [h.path for h in whole.hits]
    assert cut.total < whole.total  # the cut answer came from the words scanned before the limit only
