"""Each generator's URL and id rules on their own: Zola's (no Zola binary in the package registries) from its
documentation and slugs.rs, and the options of the others that the built test sites do not use."""

from __future__ import annotations

from datetime import datetime

import pytest
from click.testing import CliRunner
from conftest import write

from search import open_index
from search.cli import main
from search.sites import Page, detect_site, open_site
from search.sites.hugo import goldmark_slug
from search.sites.jekyll import slugify


def page(relpath: str, **front) -> Page:
    fields = {"title": front.get("title", ""), "date": front.pop("when", None)}
    return Page(relpath, fields, front)


def ids(site, *headings: str) -> list[str]:
    used: set[str] = set()
    return [site.heading_id(text, text, used) for text in headings]


# --- Zola ---


@pytest.fixture
def zola(tmp_path):
    def make(config: str = ""):
        write(tmp_path, "config.toml", f'base_url = "https://example.org/blog/"\ntitle = "x"\n{config}')
        (tmp_path / "content").mkdir(exist_ok=True)
        return open_site(tmp_path)

    return make


def test_zola_is_told_from_hugo_by_base_url(tmp_path, zola):
    zola()
    assert detect_site(tmp_path) == "zola"
    write(tmp_path, "config.toml", 'baseURL = "https://example.org/"\n')
    assert detect_site(tmp_path) == "hugo"


def test_zola_page_urls(zola):
    site = zola()
    assert site.url(page("content/blog/2024-01-02-my-first-post.md")) == "/blog/blog/my-first-post/"
    assert site.url(page("content/blog/2024-01-02_Café Crème.md")) == "/blog/blog/cafe-creme/"
    assert site.url(page("content/blog/post.md", slug="Hello World")) == "/blog/blog/hello-world/"
    assert site.url(page("content/blog/post.md", path="elsewhere/here")) == "/blog/elsewhere/here/"
    assert site.url(page("content/blog/bundle/index.md")) == "/blog/blog/bundle/"
    assert site.url(page("content/blog/_index.md")) == "/blog/blog/"
    assert site.url(page("content/_index.md")) == "/blog/"


def test_zola_slugify_strategies(zola):
    safe = zola('[slugify]\npaths = "safe"\nanchors = "safe"\n')
    assert safe.url(page("content/notes/Über <b> file.md")) == "/blog/notes/%C3%9Cber_b_file/"
    assert ids(safe, "Hello World (draft)", "Hello World (draft)") == ["Hello_World_draft", "Hello_World_draft-1"]
    off = zola('[slugify]\npaths = "off"\nanchors = "off"\n')
    assert off.url(page("content/notes/Keep This.md")) == "/blog/notes/Keep%20This/"
    on = zola()
    assert ids(on, "Über café crème", "C++ & Python: 2024!", "Intro", "Intro") == [
        "uber-cafe-creme", "c-python-2024", "intro", "intro-1"
    ]


# --- Jekyll ---


@pytest.mark.parametrize(
    "style, url",
    [
        ("date", "/blog/web%20dev/2024/03/05/Hello-World.html"),
        ("pretty", "/blog/web%20dev/2024/03/05/Hello-World/"),
        ("ordinal", "/blog/web%20dev/2024/065/Hello-World.html"),
        ("none", "/blog/web%20dev/Hello-World.html"),
        ("/:year/:i_month/:i_day/:slug/", "/blog/2024/3/5/hello-world/"),
        ("/:short_year/:y_day/:title:output_ext", "/blog/24/065/Hello-World.html"),
    ],
)
def test_jekyll_permalink_styles(tmp_path, style, url):
    write(tmp_path, "_config.yml", f"baseurl: /blog\npermalink: {style}\n")
    site = open_site(tmp_path)
    post = page("_posts/2024-03-05-Hello-World.md", categories=["Web Dev"], when=datetime(2024, 3, 5))
    post = Page(post.relpath, {**post.fields, "categories": ("Web Dev",)}, post.raw)
    assert site.url(post) == url


def test_jekyll_slugify_modes():
    assert slugify("Hello, World! 2.0") == "hello-world-2-0"
    assert slugify("Hello, World! 2.0", "pretty", cased=True) == "Hello,-World!-2.0"
    assert slugify("  Ünïcode — text  ") == "ünïcode-text"


def test_jekyll_kramdown_input_and_transliterated_ids(tmp_path):
    write(tmp_path, "_config.yml", "kramdown:\n  input: kramdown\n  transliterated_header_ids: true\n")
    site = open_site(tmp_path)
    assert ids(site, "Über café", "3 reasons", "Intro", "Intro") == ["uber-cafe", "reasons", "intro", "intro-1"]


def test_jekyll_files_without_front_matter_are_not_pages(tmp_path):
    write(tmp_path, "_config.yml", "title: x\n")
    assert open_site(tmp_path).url(Page("notes.md", {}, {}, has_front_matter=False)) is None


# --- Hugo ---


def test_hugo_ugly_urls_and_case(tmp_path):
    write(tmp_path, "hugo.toml", 'baseURL = "/"\nuglyURLs = true\ndisablePathToLower = true\n')
    (tmp_path / "content").mkdir()
    site = open_site(tmp_path)
    assert site.url(page("content/posts/My-Post.md")) == "/posts/My-Post.html"


@pytest.mark.parametrize(
    "id_type, expected",
    [
        ("github", "über-café--c-python-2024"),
        ("github-ascii", "uber-cafe--c-python-2024"),
        ("blackfriday", "über-café-c-python-2024"),
    ],
)
def test_goldmark_id_types(id_type, expected):
    assert goldmark_slug("Über café & C++ Python: 2024!", id_type) == expected


def test_hugo_permalink_tokens(tmp_path):
    write(tmp_path, "hugo.toml", '[permalinks]\nposts = "/:sections/:year/:monthname/:filename/"\n')
    (tmp_path / "content").mkdir()
    site = open_site(tmp_path)
    assert site.url(page("content/posts/tips/My Tip.md", when=datetime(2023, 2, 1))) == "/posts/tips/2023/february/my-tip/"


# --- detection and settings ---


def test_a_folder_without_a_site_config_is_plain(tmp_path):
    assert detect_site(tmp_path) == "plain"
    assert open_site(tmp_path).describe().startswith("plain Markdown folder")


def test_a_generator_named_in_the_settings_must_find_its_config(tmp_path):
    result = CliRunner().invoke(main, ["index", str(tmp_path), "--index", str(tmp_path / "i"), "--generator", "hugo"])
    assert result.exit_code == 2
    assert result.output == f"Error: {tmp_path} is not a Hugo site: it has no hugo.toml or hugo.yaml or hugo.yml.\n"


def test_eleventy_links_markdown_it_anchor_ids_when_the_config_says_so(tmp_path):
    write(tmp_path, "eleventy.config.js", "export default function (c) {}\n")
    write(tmp_path, "postsearch.toml", 'anchors = "markdown-it-anchor"\n')
    write(tmp_path, "notes/hello.md", "---\ntitle: Hello\n---\n## Über café crème\n\ntext\n")
    result = CliRunner().invoke(main, ["index", str(tmp_path), "--index", str(tmp_path / "i")])
    assert result.exit_code == 0, result.output
    with open_index(tmp_path / "i") as searcher:
        urls = [link.url for link in searcher.links()]
    assert urls == ["/notes/hello/", "/notes/hello/#%C3%BCber-caf%C3%A9-cr%C3%A8me"]


def test_a_changed_site_config_rebuilds_the_index(tmp_path):
    write(tmp_path, "_config.yml", "baseurl: /old\n")
    write(tmp_path, "_posts/2024-01-01-a.md", "---\ntitle: A\n---\ntext\n")
    index = tmp_path.parent / f"{tmp_path.name}-index"
    assert CliRunner().invoke(main, ["index", str(tmp_path), "--index", str(index)]).exit_code == 0
    write(tmp_path, "_config.yml", "baseurl: /new\n")
    assert CliRunner().invoke(main, ["index", str(tmp_path), "--index", str(index)]).exit_code == 0
    with open_index(index) as searcher:
        assert [link.url for link in searcher.links()] == ["/new/2024/01/01/a.html"]


def test_jekyll_categories_in_jekylls_order(tmp_path):
    write(tmp_path, "_config.yml", "permalink: /:categories/:title/\n")
    site = open_site(tmp_path)
    when = {"date": datetime(2024, 1, 1), "title": "x"}
    plural = Page("web/_posts/2024-01-01-a.md", when, {"categories": "Big Ideas"})
    singular = Page("web/_posts/2024-01-01-a.md", when, {"category": "Big Ideas"})
    both = Page("web/_posts/2024-01-01-a.md", when, {"categories": ["One", "Two"], "category": "Solo"})
    assert site.url(plural) == "/web/big/ideas/a/"  # as the real Jekyll 4.3 builds them
    assert site.url(both) == "/web/one/two/solo/a/"
    assert site.url(singular) == "/web/big%20ideas/a/"


def test_jekyll_and_hugo_leave_out_what_they_do_not_build(tmp_path):
    write(tmp_path, "_config.yml", "title: x\n")
    jekyll = open_site(tmp_path)
    assert jekyll.url(Page("_posts/notes.md", {"date": None}, {})) is None  # not a YYYY-MM-DD- name
    assert jekyll.url(Page("_posts/2999-01-01-later.md", {"date": datetime(2999, 1, 1)}, {})) is None
    (tmp_path / "_config.yml").unlink()
    write(tmp_path, "hugo.toml", "title = 'x'\n")
    (tmp_path / "content").mkdir()
    hugo = open_site(tmp_path)
    assert hugo.url(Page("content/posts/a.md", {"date": datetime(2999, 1, 1)}, {"date": "2999-01-01"})) is None
    assert hugo.url(Page("content/posts/a.md", {}, {"expiryDate": "2001-01-01"})) is None
    assert hugo.url(Page("content/posts/a.md", {}, {"date": "2001-01-01"})) == "/posts/a/"


def test_hugo_without_heading_ids_links_text_fragments(tmp_path):
    write(tmp_path, "hugo.toml", "[markup.goldmark.parser]\nautoHeadingID = false\n")
    (tmp_path / "content").mkdir()
    assert ids(open_site(tmp_path), "Hello -- World") == [":~:text=Hello%20%2D%2D%20World"]


def test_check_links_without_a_built_site_says_to_build_it(tmp_path):
    write(tmp_path, "posts/a.md", "---\ntitle: A\n---\ntext\n")
    assert CliRunner().invoke(main, ["index", str(tmp_path / "posts"), "--index", str(tmp_path / "i")]).exit_code == 0
    result = CliRunner().invoke(main, ["check-links", str(tmp_path / "_site"), "--index", str(tmp_path / "i")])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: Built site folder {tmp_path / '_site'} does not exist. Build the site first (jekyll build, hugo, "
        "mkdocs build, npx @11ty/eleventy) and pass its output folder.\n"
    )


def test_index_without_a_folder_in_a_site_root_indexes_the_site(tmp_path, monkeypatch):
    write(tmp_path, "_config.yml", "title: x\n")
    write(tmp_path, "_posts/2024-01-01-hello.md", "---\ntitle: Hello\n---\n## Greeting\n\nhi\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POSTSEARCH_POSTS", raising=False)
    monkeypatch.delenv("POSTSEARCH_INDEX", raising=False)
    result = CliRunner().invoke(main, ["index"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Site: Jekyll site (_config.yml)"
    with open_index(tmp_path / "index") as searcher:
        assert [link.url for link in searcher.links()] == ["/2024/01/01/hello.html", "/2024/01/01/hello.html#greeting"]
