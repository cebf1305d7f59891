"""The snippet benchmark runs each highlighter over the same shown sections (on a small real corpus)."""

from conftest import corpus

from bench.snippets import measure, table


def test_snippet_benchmark_highlights_the_same_sections_three_ways():
    corpus("jekyll-posts")
    result = measure("jekyll-posts", 20, 1)
    shown = result["sections_shown"]
    assert shown > 50
    assert set(result["engines"]) == {"postsearch", "whoosh_pinpoint", "whoosh_reanalysing"}
    for row in result["engines"].values():
        assert 0.9 * shown <= row["snippets"] <= shown and row["p50_ms"] > 0
    assert table(result).count("\n| ") == 4  # the header and a row for each highlighter
