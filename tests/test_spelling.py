"""Did you mean: each misspelt word corrected (field words too) to the nearest indexed word, weighed by how often
it occurs and whether it occurs with the query's other words; words the index holds are never changed."""

from __future__ import annotations

import pytest

POSTS = {
    "polonius.md": "---\ntitle: Polonius, the next borrow checker\ntags: [rust]\n---\nPolonius is a new borrow checker. Polonius handles lookahead.\n",
    "policy.md": "---\ntitle: Our policy\n---\nThe policy on policy documents. A major policy change. Policy again.\n",
    "macros.md": "---\ntitle: Procedural macros\ntags: [python]\n---\nProcedural macros in Rust take tokens. Macros are procedural.\n",
    "major.md": "---\ntitle: A major release\n---\nMajor changes: major, major, major. Look at the look of it.\n",
    "pages.md": "---\ntitle: Pagination and normalisation\n---\nPagination of lists; normalisation of text. Use page.title here.\n",
    "own.md": "---\ntitle: Ownership in ten minutes\n---\nOwnership and borrowing.\n",
}


@pytest.fixture
def searcher(make_index):
    return make_index(POSTS)


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("polonious", "polonius"),  # was corrected to "policy"
        ("procedural macors", "procedural macros"),  # was "procedural major"
        ("lookahed", "lookahead"),  # was "look"
        ("normalisaton", "normalisation"),  # had no suggestion
        ("paginaton", "pagination"),
        ("tag:pyhton", "tag:python"),  # field words are corrected in their field
        ("title:ownrship", "title:ownership"),
        ("Polonious borrow", "Polonius borrow"),  # the case the word was typed in
    ],
)
def test_misspelt_words_get_the_word_meant(searcher, typed, meant):
    results = searcher.search(typed)
    assert results.suggestion == meant
    assert results.corrected and results.total > 0  # corrected because the corrected query finds posts


@pytest.mark.parametrize("query", ["policy", "page.title", "major look", "tag:rust", "borrow checker"])
def test_words_the_index_holds_are_never_corrected(searcher, query):
    assert searcher.search(query).suggestion is None


def test_no_correction_that_finds_nothing_is_applied(searcher):
    """Both words are misspelt and their corrections never occur together: suggested, not applied."""
    results = searcher.search("polonious paginaton")
    assert results.suggestion == "polonius pagination"
    assert not results.corrected and results.total == 0
