"""postsearch.toml (or [tool.postsearch] in pyproject.toml): read by index runs, overridden by flags, shown by
`postsearch config`; --watch re-indexes saved posts."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write

from search import open_index
from search.cli import main


@pytest.fixture
def blog(tmp_path) -> Path:
    root = tmp_path / "blog"
    write(root, "posts/2024-01-01-kept.md", "---\ntitle: Kept post\n---\n## Zebra\n\nstripes\n")
    write(root, "posts/drafts/skip.md", "---\ntitle: Skipped post\n---\n## Zebra\n\nstripes too\n")
    return root


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_the_config_file_sets_folders_and_settings(blog):
    write(blog, "postsearch.toml", 'index = "search-index"\nexclude = ["posts/drafts/*"]\nurl_pattern = "/notes/:slug/"\n')
    result = run("index", str(blog))
    assert result.exit_code == 0, result.output
    with open_index(blog / "search-index") as searcher:
        assert [link.url for link in searcher.links() if "#" not in link.url] == ["/notes/kept/"]


def test_flags_win_over_the_config_file(blog):
    write(blog, "postsearch.toml", 'index = "search-index"\nurl_pattern = "/notes/:slug/"\n')
    assert run("index", str(blog), "--url-pattern", "/p/:slug/").exit_code == 0
    with open_index(blog / "search-index") as searcher:
        assert {link.url for link in searcher.links() if "#" not in link.url} == {"/p/kept/", "/p/skip/"}


def test_pyproject_tool_table_is_read(blog):
    write(blog, "pyproject.toml", '[project]\nname = "x"\n\n[tool.postsearch]\ninclude = ["posts/*-kept.md"]\nindex = "idx"\n')
    assert run("index", str(blog)).exit_code == 0
    with open_index(blog / "idx") as searcher:
        assert searcher.stats().posts == 1


@pytest.mark.parametrize(
    "text, message",
    [
        ('indx = "x"\n', "Unknown key 'indx' in {file}: use one of posts, index, url_pattern, anchors, drafts, lang, "
         "generator, base_url, weights, snippet_length, include, exclude, follow_links."),
        ('drafts = "yes"\n', "drafts in {file} must be true or false, not 'yes'."),
        ("exclude = [1]\n", "exclude in {file} must be a list of strings, not [1]."),
        ('anchors = "nope"\n', "Unknown anchor style 'nope': use one of github, kramdown, python-markdown, "
         "markdown-it-anchor, text-fragment."),
        ("lang = \n", None),
    ],
)
def test_a_bad_config_file_is_one_error_line_naming_key_and_file(blog, text, message):
    write(blog, "postsearch.toml", text)
    result = run("index", str(blog))
    assert result.exit_code == 2
    file = blog / "postsearch.toml"
    if message is None:  # not TOML at all: the parser's reason, after the file's name
        assert result.output.startswith(f"Error: Cannot read {file}: ") and result.output.count("\n") == 1
    else:
        assert result.output == f"Error: {message.format(file=file)}\n"


def test_config_command_says_where_each_setting_comes_from(blog, monkeypatch):
    write(blog, "_config.yml", "baseurl: /site\n")
    write(blog, "postsearch.toml", 'index = "search-index"\nlang = "de"\n')
    monkeypatch.delenv("POSTSEARCH_INDEX", raising=False)
    result = run("config", str(blog), "--drafts", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows["index"] == {"value": str(blog / "search-index"), "from": str(blog / "postsearch.toml")}
    assert rows["lang"] == {"value": "de", "from": str(blog / "postsearch.toml")}
    assert rows["drafts"] == {"value": True, "from": "command line"}
    assert rows["generator"] == {"value": "jekyll", "from": "detected: the Jekyll config _config.yml"}
    assert rows["base_url"] == {"value": "/site", "from": "the Jekyll config _config.yml"}
    assert rows["url_pattern"]["from"] == "default"
    text = run("config", str(blog)).output.splitlines()
    assert any(line.split() == ["lang", "de", f"({blog / 'postsearch.toml'})"] for line in text)


def test_watch_reindexes_a_saved_post_within_a_second_and_stops_on_ctrl_c(tmp_path, processes):
    posts = tmp_path / "posts"
    write(posts, "first.md", "---\ntitle: First\n---\nalpha words\n")
    index = tmp_path / "index"
    command = [sys.executable, "-m", "search.cli", "index", str(posts), "--index", str(index), "--watch"]
    # Ctrl-C reaches it even when the tests run as a background job (whose children start with SIGINT ignored)
    restore_ctrl_c = partial(signal.signal, signal.SIGINT, signal.SIG_DFL)
    watcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=restore_ctrl_c)
    processes.append(watcher)
    wait_for(lambda: index.exists() and found(index, "alpha") == 1, 20)
    time.sleep(0.5)  # the watch starts after the first run's summary
    write(posts, "second.md", "---\ntitle: Second\n---\nbravo words\n")
    (posts / "first.md").write_text("---\ntitle: First\n---\nalpha and bravo words\n")
    wait_for(lambda: found(index, "bravo") == 2, 10)
    (posts / "second.md").rename(posts / "renamed.md")
    wait_for(lambda: {hit.path for hit in search(index, "bravo").hits} == {"first.md", "renamed.md"}, 10)
    (posts / "renamed.md").unlink()
    wait_for(lambda: found(index, "bravo") == 1, 10)
    watcher.send_signal(signal.SIGINT)
    out, err = watcher.communicate(timeout=10)
    assert watcher.returncode == 0
    assert "Stopped watching." in err and "Traceback" not in err
    assert out.count("Indexed ") >= 4  # the first run, then one per change (a save's writes are one update)


def search(index: Path, text: str):
    with open_index(index) as searcher:
        return searcher.search(text)


def found(index: Path, word: str) -> int:
    try:
        return search(index, word).total
    except Exception:  # the index may be between runs
        return -1


def wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not true after {seconds} s")


def test_field_weights_from_the_config_file_change_the_ranking(tmp_path):
    posts = tmp_path / "posts"
    write(posts, "titled.md", "---\ntitle: Quokka facts\n---\nSmall animals of Rottnest.\n")
    write(posts, "bodied.md", "---\ntitle: Island wildlife\n---\nThe quokka lives here, and quokka photos are popular.\n")
    top = {}
    for name, weights in (("default", ""), ("body-heavy", "weights = {title = 0.5, body = 20.0}\n")):
        write(posts, "postsearch.toml", f'index = "{name}"\n{weights}')
        assert run("index", str(posts)).exit_code == 0
        with open_index(posts / name) as searcher:
            top[name] = searcher.search("quokka").hits[0].path
    assert top == {"default": "titled.md", "body-heavy": "bodied.md"}


def test_snippet_length_from_the_config_file(tmp_path):
    posts = tmp_path / "posts"
    words = " ".join(f"filler{n}" for n in range(200))
    write(posts, "long.md", f"---\ntitle: Long\n---\n{words} needle {words}\n")
    lengths = {}
    for length in (60, 600):
        write(posts, "postsearch.toml", f'index = "i{length}"\nsnippet_length = {length}\n')
        assert run("index", str(posts)).exit_code == 0
        with open_index(posts / f"i{length}") as searcher:
            fragment = searcher.search("needle").hits[0].sections[0].fragments[0]
        lengths[length] = len("".join(text for text, _ in fragment.pieces))
    assert 40 <= lengths[60] <= 90 and 550 <= lengths[600] <= 650


@pytest.mark.parametrize(
    "text, message",
    [
        ("weights = {titel = 2.0}\n", "Unknown field 'titel' in weights: use title, heading, body, code."),
        ("weights = {title = -1}\n", "The weight of title must be a number above 0 and at most 100, not -1."),
        ('weights = "heavy"\n', "weights in {file} must be a table, not 'heavy'."),
        ("snippet_length = 5\n", "snippet_length must be a whole number of characters from 40 to 2000, not 5."),
        ("snippet_length = true\n", "snippet_length in {file} must be a whole number, not True."),
    ],
)
def test_bad_weights_and_snippet_lengths_are_one_error_line(blog, text, message):
    write(blog, "postsearch.toml", text)
    result = run("index", str(blog))
    assert result.exit_code == 2
    assert result.output == f"Error: {message.format(file=blog / 'postsearch.toml')}\n"
