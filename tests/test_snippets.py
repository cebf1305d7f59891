import pytest

from search.analysis import language_rules
from search.snippets import Highlighter, to_ansi, to_html, to_plain

stem = language_rules("en")[1]


def highlighter(size=160):
    return Highlighter([lambda word: word.rstrip("s")], size=size)


def test_marks_matches_and_escapes_html_first():
    fragments = highlighter().fragments("a <b>cat</b> & cats \"cat's\" plain", frozenset({"cat"}))
    assert to_html(fragments) == (
        "a &lt;b&gt;<mark>cat</mark>&lt;/b&gt; &amp; <mark>cats</mark> &quot;<mark>cat</mark>&#x27;s&quot; plain"
    )


def test_long_text_gives_at_most_three_fragments_of_about_the_size():
    text = " ".join(f"word{i}" for i in range(400)).replace("word50 ", "needle ").replace("word300 ", "needle ")
    fragments = highlighter(size=80).fragments(text, frozenset({"needle"}))
    assert len(fragments) == 2
    assert all(len("".join(t for t, _ in f.pieces)) <= 80 for f in fragments)
    html = to_html(fragments)
    assert html.startswith("…") and html.count("<mark>needle</mark>") == 2


def test_prefers_the_window_with_most_distinct_terms():
    text = "alpha " + "x " * 200 + "alpha beta gamma " + "y " * 200
    fragments = highlighter(size=60).fragments(text, frozenset({"alpha", "beta", "gamma"}))
    first_best = max(fragments, key=lambda f: sum(m for _, m in f.pieces))
    assert {t for t, m in first_best.pieces if m} == {"alpha", "beta", "gamma"}


def test_prefixes_are_marked():
    fragments = highlighter().fragments("Tomatoes and tomb", frozenset(), ("toma",))
    assert to_plain(fragments) == "Tomatoes and tomb" and to_html(fragments).count("<mark>") == 1


def test_ansi_and_plain_renderings():
    fragments = highlighter().fragments("red cat", frozenset({"cat"}))
    assert to_ansi(fragments) == "red \x1b[1;33mcat\x1b[0m"
    assert to_plain(fragments) == "red cat"


def test_no_match_gives_no_fragments_and_lead_gives_the_start():
    h = highlighter(size=10)
    assert h.fragments("nothing here", frozenset({"cat"})) == ()
    assert to_plain(h.lead("one two three four")) == "one two…"


@pytest.mark.parametrize(
    "text",
    [
        "Running runners ran; the RUN-time runs. Unrunnable? rerun! run_fast run",
        "İstanbul runs: a capital İ lengthens in lower case, so the running falls back",
        "Tomatoes, tomato's and TOMATO-based sauces; atomatoes is not one.",
    ],
)
def test_quick_candidate_search_finds_what_walking_every_word_finds(text):
    """The str.find pre-filter for English marks exactly the words that stemming every word would."""
    terms, prefixes = frozenset({stem("running"), stem("tomatoes")}), ("sauc",)
    quick = Highlighter([stem], prefilter=True).matches(text, terms, prefixes)
    walked = Highlighter([stem], prefilter=False).matches(text, terms, prefixes)
    assert quick == walked and quick


def test_best_windows_agree_with_counting_every_window():
    """The sliding count of matches per window gives what counting each window from scratch gives."""
    import random

    from search.snippets import Match

    rng = random.Random(7)
    finder = Highlighter([stem], size=60, max_fragments=3)
    for case in range(400):
        found, position = [], 0
        for _ in range(rng.randrange(1, 60 if case % 2 else 5)):  # every other case a few matches, maybe close
            position += rng.randrange(1, 30)
            length = rng.choice([3, 5, 8, 50])  # some matches longer than a window's tail
            found.append(Match(position, position + length, rng.choice("abcd")))
            position += length
        expected = []
        for i, first in enumerate(found):
            start = max(0, first.start - 15)
            inside = [m for m in found[i : i + 40] if m.end <= start + 60]
            expected.append((-len({m.term for m in inside}), -len(inside), start, start + 60))
        chosen = []
        for _, _, start, end in sorted(expected):
            if all(end <= s or start >= e for s, e in chosen) and len(chosen) < 3:
                chosen.append((start, end))
        assert finder.best_windows("", found) == chosen


def test_text_with_non_ascii_characters_is_matched_at_whole_words_only():
    """Curly quotes, dashes and accented letters change nothing: words match whole, in any case, and a word
    that ends a longer word of accented letters is not marked."""
    text = "“Cats”—the CATS of Zoë’s café; écats and naïvecats are not cats."
    html = to_html(highlighter().fragments(text, frozenset({"cat", "café"})))
    assert html == (
        "“<mark>Cats</mark>”—the <mark>CATS</mark> of Zoë’s <mark>café</mark>; écats and naïvecats are not <mark>cats</mark>."
    )
