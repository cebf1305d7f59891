from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import write

from search.config import Settings
from search.errors import PostError
from search.files import find_posts
from search.posts import as_datetime, as_list, read_post


def read(folder: Path, name: str, text: str, **settings: object):
    return read_post(write(folder, name, text), folder, Settings().merged(**settings))


def test_yaml_front_matter_is_normalised(tmp_path):
    post = read(tmp_path, "a.md", """
        ---
        title: "Hello"
        date: 2019-07-02 11:21:02 -0400
        author: Jane Doe
        tags: python, web
        category: notes
        summary: Short.
        custom: 7
        ---
        Body text.
        """)
    assert post.title == "Hello"
    assert post.date == datetime(2019, 7, 2, 11, 21, 2, tzinfo=timezone(timedelta(hours=-4)))
    assert post.authors == ("Jane Doe",)
    assert post.tags == ("python", "web")
    assert post.categories == ("notes",)
    assert post.description == "Short."
    assert post.metadata == {"custom": 7}
    assert post.body.strip() == "Body text."


def test_toml_front_matter_uses_tomllib_and_path_gives_url_and_date(tmp_path):
    post = read(tmp_path, "Rust-1.20.md", """
        +++
        path = "2017/08/31/Rust-1.20"
        title = "Announcing Rust 1.20"
        authors = ["The Rust Core Team"]
        +++
        Text.
        """)
    assert post.title == "Announcing Rust 1.20"
    assert post.url == "/2017/08/31/Rust-1.20/"
    assert post.date == datetime(2017, 8, 31)
    assert post.authors == ("The Rust Core Team",)


def test_json_front_matter(tmp_path):
    post = read(tmp_path, "j.md", """
        {
          "title": "From JSON",
          "tags": ["a", "b"],
          "date": "2021-03-04"
        }

        Body.
        """)
    assert (post.title, post.tags, post.date) == ("From JSON", ("a", "b"), datetime(2021, 3, 4))


def test_bom_and_crlf_do_not_hide_front_matter(tmp_path):
    path = tmp_path / "win.md"
    path.write_bytes(b"\xef\xbb\xbf---\r\ntitle: Windows\r\ntags: [x]\r\n---\r\nHello\r\n")
    post = read_post(path, tmp_path)
    assert post.title == "Windows" and post.tags == ("x",)
    assert "\r" not in post.body


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2020-11-22", datetime(2020, 11, 22)),
        ("2020-11-22 19:00:00 +0530", datetime(2020, 11, 22, 19, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
        ("2016-06-03T13:21:02Z", datetime(2016, 6, 3, 13, 21, 2, tzinfo=UTC)),
        ("March 5, 2021", datetime(2021, 3, 5)),
        ("not a date", None),
    ],
)
def test_date_forms(value, expected):
    assert as_datetime(value) == expected


def test_jekyll_file_name_gives_date_slug_and_default_url(tmp_path):
    post = read(tmp_path, "_posts/2020-11-22-my-first-post.md", "---\ntitle: T\n---\nx\n")
    assert post.date == datetime(2020, 11, 22)
    assert post.url == "/2020/11/22/my-first-post/"
    assert post.relpath == "_posts/2020-11-22-my-first-post.md"


def test_url_pattern_option_and_undated_default(tmp_path):
    dated = read(tmp_path, "2020-01-02-x.md", "---\ntitle: T\n---\n", url_pattern="/blog/:year/:slug.html")
    undated = read(tmp_path, "notes/plain.md", "no front matter\n")
    assert dated.url == "/blog/2020/x.html"
    assert undated.url == "/plain/"


def test_permalink_wins_and_may_use_placeholders(tmp_path):
    post = read(tmp_path, "2020-01-02-x.md", "---\ntitle: T\ncategories: [News]\npermalink: /:categories/:title/\n---\n")
    assert post.url == "/news/x/"


def test_title_falls_back_to_first_h1_then_file_name(tmp_path):
    assert read(tmp_path, "a.md", "Intro\n\n# The Heading {#id}\n\ntext\n").title == "The Heading"
    assert read(tmp_path, "2020-01-01-my_great-post.md", "just text\n").title == "My great post"


def test_keywords_split_on_spaces_and_categories_merge(tmp_path):
    post = read(tmp_path, "a.md", "---\nkeywords: alpha beta\ncategory: one\ncategories: [two]\n---\n")
    assert post.keywords == ("alpha", "beta")
    assert sorted(post.categories) == ["one", "two"]


def test_drafts_and_unpublished_are_marked(tmp_path):
    assert read(tmp_path, "a.md", "---\ndraft: true\n---\n").draft
    assert read(tmp_path, "b.md", "---\npublished: false\n---\n").draft
    assert read(tmp_path, "_drafts/c.md", "---\ntitle: c\n---\n").draft
    assert not read(tmp_path, "d.md", "---\npublished: true\n---\n").draft


def test_broken_yaml_names_the_line(tmp_path):
    with pytest.raises(PostError) as caught:
        read(tmp_path, "bad.md", "---\ntitle: ok\naliases: - %\n---\nbody\n")
    assert caught.value.path.name == "bad.md"
    assert "line 3" in caught.value.reason


def test_invalid_utf8_is_reported_with_line(tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes(b"---\ntitle: x\n---\ncaf\xe9\n")
    with pytest.raises(PostError, match="not valid UTF-8 at line 4"):
        read_post(path, tmp_path)


def test_unclosed_front_matter_is_an_error(tmp_path):
    with pytest.raises(PostError, match="never closed"):
        read(tmp_path, "open.md", "+++\ntitle = 'x'\n")


def test_as_list_accepts_strings_and_lists():
    assert as_list("a, b,c") == ("a", "b", "c")
    assert as_list(["x", 1]) == ("x", "1")
    assert as_list(None) == ()


def test_find_posts_takes_markdown_suffixes_and_skips_hidden(tmp_path):
    for name in ["a.md", "b.markdown", "c.mdown", "d.mkd", "e.txt", ".git/f.md", "sub/g.MD"]:
        write(tmp_path, name, "x")
    assert [p.relative_to(tmp_path).as_posix() for p in find_posts(tmp_path)] == [
        "a.md", "b.markdown", "c.mdown", "d.mkd", "sub/g.MD"
    ]
