import json

import pytest
from click.testing import CliRunner
from conftest import write

from search import __version__
from search.cli import main

POST = "---\ntitle: Tea brewing\ndate: 2021-02-03\ntags: [tea]\n---\nGreen tea wants cooler water.\n\n## Black tea\n\nBoiling water.\n"


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("POSTSEARCH_INDEX", raising=False)
    monkeypatch.delenv("POSTSEARCH_POSTS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return CliRunner()


def run(runner, *args, **kwargs):
    return runner.invoke(main, [str(a) for a in args], **kwargs)


def test_index_json_summary(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    write(posts_dir, "bad.md", "---\na: [\n---\n")
    result = run(runner, "index", posts_dir, "--index", index_dir, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert {k: summary[k] for k in ("added", "updated", "unchanged", "deleted", "skipped", "sections")} == {
        "added": 1, "updated": 0, "unchanged": 0, "deleted": 0, "skipped": 1, "sections": 2
    }
    assert summary["failed"][0]["path"] == "bad.md" and "line" in summary["failed"][0]["error"]


def test_index_text_summary_lists_failures_on_stderr(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    write(posts_dir, "bad.md", "---\na: [\n---\n")
    result = run(runner, "index", posts_dir, "--index", index_dir)
    assert result.exit_code == 0
    assert "1 added" in result.stdout and "(1 failed)" in result.stdout
    assert result.stderr.startswith("Skipped bad.md: ")


def test_query_json_shape(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    run(runner, "index", posts_dir, "--index", index_dir)
    result = run(runner, "query", "boiling", "--index", index_dir, "--json")
    data = json.loads(result.output)
    assert (data["query"], data["total"], data["page"], data["pages"], data["suggestion"]) == ("boiling", 1, 1, 1, None)
    hit = data["hits"][0]
    assert (hit["path"], hit["url"], hit["title"], hit["date"], hit["tags"]) == (
        "tea.md", "/2021/02/03/tea/", "Tea brewing", "2021-02-03", ["tea"]
    )
    section = hit["sections"][0]
    assert (section["heading"], section["anchor"], section["url"]) == ("Black tea", "black-tea", "/2021/02/03/tea/#black-tea")
    assert section["snippet"] == "<mark>Boiling</mark> water."


def test_query_text_output_has_no_colour_when_piped(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    run(runner, "index", posts_dir, "--index", index_dir)
    result = run(runner, "query", "green", "tea", "--index", index_dir)
    assert "1. Tea brewing" in result.output and "\x1b[" not in result.output
    coloured = run(runner, "query", "green", "--index", index_dir, "--color")
    assert "\x1b[1;33mGreen\x1b[0m" in coloured.output


def test_query_builds_missing_index_and_says_so(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    result = run(runner, "query", "tea", "--index", index_dir, "--posts", posts_dir)
    assert result.exit_code == 0
    assert "indexing" in result.stderr and "1. Tea brewing" in result.stdout


def test_environment_variables_choose_folders(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    env = {"POSTSEARCH_POSTS": str(posts_dir), "POSTSEARCH_INDEX": str(index_dir)}
    assert run(runner, "index", env=env).exit_code == 0
    assert "Tea brewing" in run(runner, "query", "tea", env=env).output


def test_missing_index_error(runner, tmp_path):
    result = run(runner, "query", "x", "--index", tmp_path / "none", "--posts", tmp_path / "noposts")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: No index in {tmp_path / 'none'}, and no posts folder {tmp_path / 'noposts'} to build one from. "
        "Run 'postsearch index POSTS_DIR' first, or pass --index.\n"
    )


def test_a_site_without_posts_answers_every_query_with_no_matches(runner, posts_dir, index_dir):
    posts_dir.mkdir(exist_ok=True)
    assert run(runner, "index", posts_dir, "--index", index_dir).exit_code == 0
    for query in ("tea", "te*", '"green tea" -black', "title:tea"):
        result = run(runner, "query", query, "--index", index_dir, "--json")
        assert result.exit_code == 1, result.output  # nothing found, as grep
        assert json.loads(result.stdout)["total"] == 0
    assert "No matching posts." in run(runner, "query", "tea", "--index", index_dir).stdout


def test_missing_posts_folder_error(runner, tmp_path):
    result = run(runner, "index", tmp_path / "nope", "--index", tmp_path / "ix")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: Posts folder {tmp_path / 'nope'} does not exist. Pass the folder")


def test_folder_that_is_not_an_index(runner, posts_dir, tmp_path):
    write(tmp_path / "stuff", "notes.txt", "x")
    write(posts_dir, "tea.md", POST)
    result = run(runner, "index", posts_dir, "--index", tmp_path / "stuff")
    assert result.exit_code == 1 and "is not a postsearch index" in result.stderr
    query = run(runner, "query", "tea", "--index", tmp_path / "stuff")
    assert query.exit_code == 1 and query.stderr.startswith("Error: ") and "Traceback" not in query.output


def test_jobs_option_sets_worker_processes(runner, posts_dir, tmp_path):
    for number in range(210):
        write(posts_dir, f"p{number:03}.md", f"---\ntitle: Post {number}\n---\nword{number} tea\n")
    summaries = []
    for jobs in (1, 2):
        result = run(runner, "index", posts_dir, "--index", tmp_path / f"ix{jobs}", "--json", "--jobs", jobs)
        assert result.exit_code == 0, result.output
        summaries.append(json.loads(result.stdout))
        found = json.loads(run(runner, "query", "word42", "--index", tmp_path / f"ix{jobs}", "--json").stdout)
        assert [hit["path"] for hit in found["hits"]] == ["p042.md"]
    assert summaries[0] == summaries[1] and summaries[0]["added"] == 210
    result = run(runner, "index", posts_dir, "--index", tmp_path / "ix0", "--jobs", 0)
    assert result.exit_code == 2 and "Invalid value for '--jobs'" in result.stderr


def test_leading_wildcard_error_is_one_line(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    run(runner, "index", posts_dir, "--index", index_dir)
    result = run(runner, "query", "*tea", "--index", index_dir)
    assert result.exit_code == 2  # a query error is a usage error, as grep's
    assert result.stderr == "Error: Leading wildcards are not supported: put the * at the end of a word, e.g. 'rust*'.\n"


def test_bad_option_value_is_a_usage_error(runner):
    result = run(runner, "query", "x", "--sort", "random")
    assert result.exit_code == 2 and "Invalid value for '--sort'" in result.stderr


def test_stats(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    run(runner, "index", posts_dir, "--index", index_dir)
    data = json.loads(run(runner, "stats", "--index", index_dir, "--json").output)
    assert (data["posts"], data["sections"]) == (1, 2) and data["size_bytes"] > 0 and data["built_at"]
    assert "Sections:   2" in run(runner, "stats", "--index", index_dir).output


def test_reindex_without_argument_uses_recorded_posts_folder(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    run(runner, "index", posts_dir, "--index", index_dir)
    result = run(runner, "index", "--index", index_dir, "--json")
    assert json.loads(result.output)["unchanged"] == 1


def test_version_and_help(runner):
    assert run(runner, "--version").output.strip() == f"postsearch, version {__version__}"
    for command in ("index", "query", "stats"):
        assert run(runner, command, "--help").exit_code == 0


def test_a_query_process_imports_nothing_it_does_not_use(posts_dir, index_dir):
    """`postsearch query` loads no Markdown, YAML, front matter or numpy.ma (see bench/), and leaves the standard
    library as it is: nothing stands in for a module, so anything may import urllib.request after it."""
    import subprocess
    import sys

    write(posts_dir, "tea.md", POST)
    CliRunner().invoke(main, ["index", str(posts_dir), "--index", str(index_dir)])
    script = (
        "import sys\nfrom search.cli import main\n"
        f"main(['query', 'tea', '--index', {str(index_dir)!r}], standalone_mode=False)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
        "print('numpy.ma' in sys.modules)\n"
        "from urllib.request import urlopen\nfrom whoosh.lang.morph_en import variations\n"
        "print(callable(urlopen), sorted(variations('fish'))[:2])"
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    modules, masked_arrays, real_modules = output.splitlines()[-3:]
    assert "whoosh" in modules.split() and "Tea brewing" in output
    assert not {"markdown", "yaml", "frontmatter"} & set(modules.split())
    assert masked_arrays == "False"
    assert real_modules == "True ['fish', 'fished']"


def test_an_index_process_does_not_scan_installed_packages(posts_dir, index_dir):
    """`postsearch index` builds its Markdown renderer without importlib.metadata, which looking an extension
    up by name loads to scan every installed package's entry points (~40 ms of a one-post update)."""
    import subprocess
    import sys

    write(posts_dir, "tea.md", POST)
    script = (
        "import sys\nfrom search.cli import main\n"
        f"main(['index', {str(posts_dir)!r}, '--index', {str(index_dir)!r}], standalone_mode=False)\n"
        "print('importlib.metadata' in sys.modules)"
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "1 added" in output and output.splitlines()[-1] == "False"


def test_a_word_with_a_minus_is_part_of_the_query_not_an_option(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    write(posts_dir, "coffee.md", "---\ntitle: Coffee\n---\nCoffee wants hot water.\n")
    run(runner, "index", posts_dir, "--index", index_dir)
    result = run(runner, "query", "water", "-tea", "--index", index_dir, "--json")
    assert result.exit_code == 0, result.output
    assert [hit["path"] for hit in json.loads(result.output)["hits"]] == ["coffee.md"]


def test_query_exit_codes_follow_grep_and_counts_are_singular(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    run(runner, "index", posts_dir, "--index", index_dir)
    found = run(runner, "query", "green", "--index", index_dir, "--no-color")
    assert found.exit_code == 0 and "1 matching post." in found.output and "tea.md" in found.output
    missing = run(runner, "query", "zeppelin", "--index", index_dir, "--no-color")
    assert missing.exit_code == 1 and "No matching posts." in missing.output
    assert run(runner, "query", "green", "--page", "9", "--index", index_dir).exit_code == 1


def test_control_characters_of_posts_never_reach_the_terminal(runner, posts_dir, index_dir):
    write(posts_dir, "evil.md", "---\ntitle: \"Evil \\e]0;PWNED\\a\\e[2J title\"\n---\nA \x1b[31mred\x1b[0m kettle.\n")
    run(runner, "index", posts_dir, "--index", index_dir)
    for colour in ("--color", "--no-color"):
        result = run(runner, "query", "kettle", "--index", index_dir, colour)
        assert result.exit_code == 0 and "Evil ]0;PWNED[2J title" in result.output
        assert "\x07" not in result.output and "\x1b]" not in result.output and "\x1b[2J" not in result.output
        assert "\x1b[31m" not in result.output


@pytest.mark.parametrize(
    "option, message",
    [(["--url-pattern", "noslash"], "must start with '/'"), (["--url-pattern", "/:bogus/:slug/"], "Unknown placeholder :bogus"),
     (["--lang", "english"], "Unknown language 'english'")],
)
def test_a_bad_setting_is_one_error_line_and_writes_nothing(runner, posts_dir, index_dir, option, message):
    write(posts_dir, "tea.md", POST)
    result = run(runner, "index", posts_dir, "--index", index_dir, *option)
    assert result.exit_code == 2 and result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1 and not index_dir.exists()


def test_a_damaged_index_is_named_and_the_next_run_rebuilds_it(runner, posts_dir, index_dir):
    from search.errors import IndexDamaged
    from search.query import open_index

    write(posts_dir, "tea.md", POST)
    run(runner, "index", posts_dir, "--index", index_dir)
    [segment] = index_dir.glob("*.seg")
    segment.write_bytes(segment.read_bytes()[:1000])
    with pytest.raises(IndexDamaged, match=segment.name):
        open_index(index_dir)
    result = run(runner, "query", "green", "--index", index_dir)
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: The index file {segment}") and "rebuild" in result.stderr
    assert json.loads(run(runner, "index", posts_dir, "--index", index_dir, "--json").output)["added"] == 1
    assert run(runner, "query", "green", "--index", index_dir).exit_code == 0


def test_search_arguments_of_the_wrong_type_are_query_errors(runner, posts_dir, index_dir):
    from search.errors import QueryError
    from search.query import open_index

    write(posts_dir, "tea.md", POST)
    run(runner, "index", posts_dir, "--index", index_dir)
    with open_index(index_dir) as index:
        with pytest.raises(QueryError, match="page must be a whole number"):
            index.search("tea", page="a")
        with pytest.raises(QueryError, match="Unknown filter"):
            index.search("tea", filters={"colour": "green"})


def test_a_run_that_would_delete_most_posts_is_refused(runner, tmp_path, monkeypatch):
    """Build site A's index, then run it from site B's folder: refused (exit 4) and nothing changed, until
    --allow-mass-delete; a run from elsewhere without a folder re-indexes site A's posts (stored absolute)."""
    site_a, site_b = tmp_path / "a", tmp_path / "b"
    for n in range(8):
        write(site_a / "posts", f"p{n}.md", f"---\ntitle: A{n}\n---\nalpha words {n}\n")
    write(site_b / "posts", "only.md", "---\ntitle: B\n---\nbeta words\n")
    monkeypatch.chdir(site_a)
    assert run(runner, "index", "posts").exit_code == 0  # relative paths, as a user types them
    monkeypatch.chdir(site_b)
    refused = run(runner, "index", "posts", "--index", "../a/index")
    assert refused.exit_code == 4 and "8 of the 8 posts in the index are not in posts" in refused.stderr
    assert json.loads(run(runner, "index", "--index", "../a/index", "--json").output)["unchanged"] == 8
    allowed = run(runner, "index", "posts", "--index", "../a/index", "--allow-mass-delete", "--json")
    assert (json.loads(allowed.output)["deleted"], json.loads(allowed.output)["added"]) == (8, 1)


def test_strict_index_runs_exit_3_when_a_post_failed(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    write(posts_dir, "bad.md", "---\na: [\n---\n")
    assert run(runner, "index", posts_dir, "--index", index_dir).exit_code == 0
    assert run(runner, "index", posts_dir, "--index", index_dir, "--rebuild", "--strict").exit_code == 3


def test_dangling_links_and_folders_named_like_posts_are_reported(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    (posts_dir / "gone.md").symlink_to(posts_dir / "missing.md")
    write(posts_dir, "odd.md/inner.md", "---\ntitle: Inner\n---\ninner text\n")
    result = run(runner, "index", posts_dir, "--index", index_dir, "--json")
    failed = {f["path"]: f["error"] for f in json.loads(result.output)["failed"]}
    assert failed == {"gone.md": "A link to nothing (its target is missing).", "odd.md": "A folder, not a post (its posts are read)."}
    assert json.loads(result.output)["added"] == 2


def test_stats_sizes_small_indexes_in_kb_and_query_help_shows_the_syntax(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    run(runner, "index", posts_dir, "--index", index_dir)
    assert " KB" in run(runner, "stats", "--index", index_dir).output
    help_text = run(runner, "query", "--help").output
    assert '"exact phrase"' in help_text and "date:[2021 to 2022]" in help_text and "kube*" in help_text


def test_query_json_carries_the_facets_of_all_matching_posts(runner, posts_dir, index_dir):
    write(posts_dir, "tea.md", POST)
    write(posts_dir, "green.md", "---\ntitle: Green\ndate: 2022-01-01\ntags: [tea, green]\n---\nGreen tea leaves.\n")
    run(runner, "index", posts_dir, "--index", index_dir)
    data = json.loads(run(runner, "query", "tea", "--index", index_dir, "--json", "--limit", "1").output)
    assert data["total"] == 2 and len(data["hits"]) == 1
    assert data["facets"]["tags"] == [{"value": "tea", "count": 2}, {"value": "green", "count": 1}]
    assert data["facets"]["years"] == [{"value": "2021", "count": 1}, {"value": "2022", "count": 1}]


def test_a_date_that_is_not_a_date_is_a_warning_naming_the_post(tmp_path):
    from click.testing import CliRunner

    from search.cli import main

    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "bad.md").write_text("---\ntitle: Bad date\ndate: not-a-date\n---\ntext\n")
    (posts / "good.md").write_text("---\ntitle: Good\ndate: 2024-05-17\n---\ntext\n")
    result = CliRunner().invoke(main, ["index", str(posts), "--index", str(tmp_path / "index")])
    assert result.exit_code == 0
    assert ("Warning: bad.md: date: 'not-a-date' is not a date (write it as 2024-05-17 or 2024-05-17 10:30:00 +0200); "
            "the post is indexed without it.") in result.output.splitlines()
    summary = json.loads(CliRunner().invoke(main, ["index", str(posts), "--index", str(tmp_path / "i2"), "--json"]).output)
    assert summary["added"] == 2 and [w["path"] for w in summary["warnings"]] == ["bad.md"]


def test_the_default_index_folder_is_shown_as_a_path(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from search.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POSTSEARCH_INDEX", raising=False)
    result = CliRunner().invoke(main, ["stats"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: No index in ./index.")


def test_text_output_shows_the_file_beside_the_url_and_json_on_a_terminal_is_indented(runner, posts_dir, index_dir):
    import os
    import pty
    import subprocess
    import sys

    write(posts_dir, "2021-02-03-tea.md", POST)
    run(runner, "index", posts_dir, "--index", index_dir)
    first = run(runner, "query", "green", "--index", index_dir).output.splitlines()[0]
    assert first.endswith("/2021/02/03/tea/  2021-02-03-tea.md")
    piped = run(runner, "query", "green", "--index", index_dir, "--json").output
    assert piped.count("\n") == 1  # one line for a program reading a pipe
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "search.cli", "query", "green", "--index", str(index_dir), "--json"]
    subprocess.run(command, stdout=follower, stderr=subprocess.DEVNULL, check=True, timeout=60)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert shown.decode().startswith('{\r\n  "query": "green",')  # indented for a person at a terminal
