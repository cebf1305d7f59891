"""Bounds on one post: a file over the size limit, a post of 100,000 headings, a post that takes too long. Each ends
as a failed post with its reason, or indexed within the bounds; the other posts are indexed as usual."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import write

from search import documents, open_index
from search.cli import main


def index(posts, index_dir) -> dict:
    result = CliRunner().invoke(main, ["index", str(posts), "--index", str(index_dir), "--json"])
    return json.loads(result.output)


def test_a_post_over_the_size_limit_is_skipped_with_its_size(posts_dir, index_dir):
    write(posts_dir, "fine.md", "---\ntitle: Fine\n---\nsmall post\n")
    with open(posts_dir / "huge.md", "w") as file:
        file.write("---\ntitle: Huge\n---\n" + ("words " * 170 + "\n\n") * 9500)  # ~9.7 MB
    summary = index(posts_dir, index_dir)
    assert summary["added"] == 1
    assert summary["failed"] == [{"path": "huge.md", "error": "The file is 9.3 MB; posts over 8 MB are skipped."}]


def test_a_post_of_100000_headings_keeps_2000_sections_and_all_its_text(posts_dir, index_dir):
    write(posts_dir, "many.md", "---\ntitle: Many\n---\n" + "".join(f"## Heading {n}\n\nword{n}\n\n" for n in range(100_000)))
    summary = index(posts_dir, index_dir)
    assert summary["sections"] == 2000 and summary["failed"] == []
    with open_index(index_dir) as searcher:
        last = searcher.search("word99999").hits[0].sections[0]
        first = searcher.search("word5").hits[0].sections[0]
    assert last.heading == "Heading 1999" and "word99999" in last.snippet
    assert first.heading == "Heading 5" and first.url == "/many/#heading-5"


def test_a_post_that_takes_too_long_is_skipped_and_the_run_goes_on(posts_dir, index_dir, monkeypatch):
    monkeypatch.setattr(documents, "POST_SECONDS", 0.2)  # the real bound is 20 s; this post takes seconds
    write(posts_dir, "slow.md", "---\ntitle: Slow\n---\n" + "".join(f"## H{n}\n\n*a* **b** `c`\n\n" for n in range(60_000)))
    write(posts_dir, "quick.md", "---\ntitle: Quick\n---\nquick words\n")
    summary = index(posts_dir, index_dir)
    assert summary["failed"] == [{"path": "slow.md", "error": "Reading the post took over 0.2 s; it is skipped."}]
    with open_index(index_dir) as searcher:
        assert [hit.path for hit in searcher.search("quick").hits] == ["quick.md"]
