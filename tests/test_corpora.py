"""End to end on real public posts from ../shared/corpora (skipped where that folder is missing)."""

import json
import random
from collections import Counter

import pytest
from click.testing import CliRunner
from conftest import corpus

from search.cli import main
from search.config import Settings
from search.files import find_posts
from search.posts import read_post
from search.query import SearchIndex
from search.sections import Sectioner

CORPORA = ["rust-blog", "jekyll-posts", "hugo-docs"]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """Each corpus indexed once through the CLI, with the --json summary."""
    built = {}

    def build(name):
        if name not in built:
            folder = corpus(name)
            index_dir = tmp_path_factory.mktemp(name)
            result = CliRunner().invoke(main, ["index", str(folder), "--index", str(index_dir), "--json"])
            assert result.exit_code == 0, result.output
            built[name] = (folder, index_dir, json.loads(result.stdout))
        return built[name]

    return build


@pytest.mark.parametrize("name", CORPORA)
def test_whole_corpus_indexes_without_failures(indexed, name):
    folder, _, summary = indexed(name)
    assert summary["failed"] == []
    assert summary["added"] + summary["skipped"] == len(find_posts(folder))


def test_rust_blog_titles_come_from_toml(indexed):
    folder, index_dir, _ = indexed("rust-blog")
    post = read_post(folder / "content" / "Rust-1.20.md", folder) if (folder / "content" / "Rust-1.20.md").exists() else None
    with SearchIndex(index_dir) as searcher:
        hit = searcher.search('"Announcing Rust 1.20"').hits[0]
    assert hit.title == "Announcing Rust 1.20"
    if post:
        assert post.title == hit.title


@pytest.mark.parametrize("name", CORPORA)
def test_known_item_titles_in_quotes_are_in_the_top_three(indexed, name):
    folder, index_dir, _ = indexed(name)
    settings = Settings()
    posts = [read_post(path, folder, settings) for path in find_posts(folder)]
    shared = Counter(p.title.lower() for p in posts)
    # A title that more than three posts share cannot put each of them in the top three.
    sample = random.Random(7).sample([p for p in posts if not p.draft and shared[p.title.lower()] <= 3], 40)
    misses = []
    with SearchIndex(index_dir) as searcher:
        for post in sample:
            found = [hit.path for hit in searcher.search(f'"{post.title}"', per_page=3).hits]
            if post.relpath not in found:
                misses.append((post.title, post.relpath))
    assert misses == []


@pytest.mark.parametrize("name", CORPORA)
def test_heading_search_links_to_the_renderer_anchor(indexed, name):
    folder, index_dir, _ = indexed(name)
    sectioner = Sectioner("github")
    titles = Counter(read_post(path, folder).title.lower() for path in find_posts(folder))
    rng = random.Random(11)
    checked = 0
    with SearchIndex(index_dir) as searcher:
        for path in rng.sample(find_posts(folder), min(150, len(find_posts(folder)))):
            post = read_post(path, folder)
            headed = [s for s in sectioner.split(post) if s.level and len(s.heading.split()) >= 3 and s.text]
            if post.draft or not headed or titles[post.title.lower()] > 3:
                continue
            section = rng.choice(headed)
            results = searcher.search(f'"{post.title}" "{section.heading}"', per_page=5)
            urls = [s.url for hit in results.hits if hit.path == post.relpath for s in hit.sections]
            assert f"{post.url}#{section.anchor}" in urls, (post.relpath, section.heading)
            checked += 1
            if checked == 25:
                break
    assert checked >= 5


def test_seed_post_is_found_by_its_heading(tmp_path):
    folder = corpus("seed-post")
    result = CliRunner().invoke(main, ["index", str(folder), "--index", str(tmp_path / "ix"), "--json"])
    assert json.loads(result.stdout)["added"] == 1
    with SearchIndex(tmp_path / "ix") as searcher:
        hit = searcher.search("hand wavy development").hits[0]
    assert hit.date.startswith("2020-11-22") and hit.url == "/2020/11/22/the-problem-with-machine-learning-and-data-science-jobs/"
    assert hit.sections[0].url.endswith("#hand-wavy-development-and-too-much-math")
