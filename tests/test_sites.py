"""Every result link lands on the live page: small sites built by the real Jekyll, Hugo, MkDocs and Eleventy, then
indexed from their sources, searched for every title and heading, and each link checked in the built HTML."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import corpus

from search import open_index
from search.cli import main
from search.links import check_links
from search.results import Link

SITES = Path(__file__).parent / "sites"
REPO = Path(__file__).parent.parent


def eleventy_command() -> list[str] | None:
    """Eleventy from PATH, or from the folder .ci/run installs it into."""
    local = REPO / ".tools" / "node_modules" / ".bin" / "eleventy"
    found = shutil.which("eleventy") or (str(local) if local.exists() else None)
    return [found] if found else None


def mkdocs_command() -> list[str] | None:
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "mkdocs"]


# site folder -> (label in `postsearch index`, builder command (None: not installed), folder of the built site,
# pages the site must have indexed)
BUILDS = {
    "jekyll": ("Jekyll", [shutil.which("jekyll")] if shutil.which("jekyll") else None, "_site", 8),
    "hugo": ("Hugo", [shutil.which("hugo")] if shutil.which("hugo") else None, "public", 7),
    "mkdocs": ("MkDocs", mkdocs_command(), "site", 4),
    "mkdocs-flat": ("MkDocs", mkdocs_command(), "site", 2),
    "eleventy": ("Eleventy", eleventy_command(), "_site", 5),
}
BUILD_ARGUMENTS = {
    "jekyll": ["build", "--quiet"],
    "hugo": ["--quiet"],
    "mkdocs": ["build", "--quiet"],
    "mkdocs-flat": ["build", "--quiet"],
    "eleventy": ["--quiet"],
}


@pytest.fixture(scope="module", params=sorted(BUILDS))
def built_site(request, tmp_path_factory) -> Iterator[tuple[str, Path, Path, Path]]:
    """(name, source folder, built site, index) of one site, built by its generator and indexed by postsearch."""
    name = request.param
    _, command, output, _ = BUILDS[name]
    if command is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it)")
    source = tmp_path_factory.mktemp(name) / "site"
    shutil.copytree(SITES / name, source)
    environment = {**os.environ, "JEKYLL_ENV": "production"}
    subprocess.run(command + BUILD_ARGUMENTS[name], cwd=source, check=True, capture_output=True, env=environment, timeout=300)
    index = source.parent / "index"
    result = CliRunner().invoke(main, ["index", str(source), "--index", str(index), "--json"])
    assert result.exit_code == 0, result.output
    request.node.index_output = result.output
    yield name, source, source / output, index


def words_of(text: str) -> str:
    """A heading or title as a plain query of its words (its punctuation is query syntax)."""
    return " ".join(re.findall(r"\w+", text))


def test_index_names_the_generator_it_found(built_site):
    name, source, _, index = built_site
    result = CliRunner().invoke(main, ["index", str(source), "--index", str(index), "--json"])
    summary = json.loads(result.output)
    assert summary["site"].startswith(BUILDS[name][0] + " site (")
    assert summary["failed"] == []
    text = CliRunner().invoke(main, ["index", str(source), "--index", str(index)]).output
    assert text.splitlines()[0] == f"Site: {summary['site']}"


def test_every_page_and_heading_link_exists_in_the_built_site(built_site):
    name, _, built, index = built_site
    with open_index(index) as searcher:
        links = searcher.links()
    pages = {link.url for link in links if "#" not in link.url}
    assert len(pages) == BUILDS[name][3]
    assert sum("#" in link.url for link in links) >= len(pages)
    result = check_links(links, built, base_path_of(index))
    assert result.missing == ()
    assert result.checked == len(links)


def test_searching_every_title_and_heading_returns_only_live_links(built_site):
    """Each heading's words find its section's link, each title's words its page's; every link returned exists."""
    _, _, built, index = built_site
    returned: set[str] = set()
    with open_index(index) as searcher:
        for link in searcher.links():
            results = searcher.search(words_of(link.heading or link.title), per_page=50)
            urls = {hit.url for hit in results.hits} | {section.url for hit in results.hits for section in hit.sections}
            assert link.url in urls, (link, sorted(urls))
            returned |= urls
    result = check_links(tuple(Link(url, "") for url in sorted(returned)), built, base_path_of(index))
    assert result.missing == ()
    assert result.checked == len(returned)


def test_check_links_command_finds_every_link(built_site):
    _, _, built, index = built_site
    result = CliRunner().invoke(main, ["check-links", str(built), "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith(" 0 missing.")


def test_check_links_lists_the_links_a_site_does_not_have(built_site, tmp_path):
    """The same site indexed with the wrong id style: check-links names the broken anchors and exits 1."""
    name, source, built, _ = built_site
    wrong = "github" if name in ("mkdocs", "mkdocs-flat", "eleventy") else "python-markdown"
    index = tmp_path / "wrong-index"
    CliRunner().invoke(main, ["index", str(source), "--index", str(index), "--anchors", wrong])
    result = CliRunner().invoke(main, ["check-links", str(built), "--index", str(index)])
    assert result.exit_code == 1
    missing = [line for line in result.output.splitlines() if line.startswith("Missing: ")]
    assert missing and all("has no element with id" in line for line in missing)


def base_path_of(index: Path) -> str:
    """The base path the index's site is served under, as check-links finds it."""
    from search.sites import site_for

    with open_index(index) as searcher:
        posts_dir, settings = Path(searcher.stats().posts_dir), searcher.settings()
    return site_for(posts_dir, settings).base_path


# --- the text fragments of an Eleventy site, followed by Chromium ---


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, Path]]:
    """The Eleventy test site, built, indexed and served over HTTP on 127.0.0.1."""
    command = eleventy_command()
    if command is None:
        pytest.skip("Eleventy is not installed (.ci/run installs it)")
    source = tmp_path / "site"
    shutil.copytree(SITES / "eleventy", source)
    subprocess.run(command + ["--quiet"], cwd=source, check=True, capture_output=True, timeout=300)
    assert CliRunner().invoke(main, ["index", str(source), "--index", str(tmp_path / "index")]).exit_code == 0
    handler = partial(SimpleHTTPRequestHandler, directory=str(source / "_site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path / "index"
    server.shutdown()
    server.server_close()


def test_chromium_scrolls_to_the_heading_of_a_text_fragment_link(served):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
    base, index = served
    with open_index(index) as searcher:
        hit = searcher.search("reasons test").hits[0]
    section = next(s for s in hit.sections if s.heading == "3 reasons to test")
    assert "#:~:text=" in section.url
    driver = start_chromium()
    try:
        driver.set_window_size(800, 300)  # short: the heading is below the first screen
        driver.get(base + section.url)
        top = driver.execute_script(
            "const h = [...document.querySelectorAll('h2')].find(e => e.textContent === arguments[0]);"
            "return h.getBoundingClientRect().top;",
            section.heading,
        )
        scrolled = driver.execute_script("return window.scrollY")
    finally:
        driver.quit()
    assert scrolled > 0
    assert 0 <= top < 300


def start_chromium():
    import tempfile

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='postsearch-chromium-')}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


# --- real posts nobody here wrote, built by the real generators ---

STUB_LINK_TAG = """# The corpus links to Jekyll's documentation pages, which are not part of it
class StubLink < Liquid::Tag
  def render(_context) = "/"
end
Liquid::Template.register_tag("link", StubLink)
"""
SHORTCODE = re.compile(r"\{\{[<%]\s*(/?)\s*([A-Za-z0-9_-][A-Za-z0-9_/-]*)")


def jekyll_corpus_site(root: Path) -> Path:
    """jekyll-posts as the _posts of a Jekyll site served under /news."""
    shutil.copytree(corpus("jekyll-posts") / "docs" / "_posts", root / "_posts")
    (root / "_config.yml").write_text("title: Jekyll news\nbaseurl: /news\n")
    (root / "_plugins").mkdir()
    (root / "_plugins" / "stub_link.rb").write_text(STUB_LINK_TAG)
    return root


def hugo_corpus_site(root: Path) -> Path:
    """hugo-docs as the content of a Hugo site under /docs/, each of its shortcodes a template that keeps the
    text inside it (Hugo stops at a shortcode it has no template for)."""
    shutil.copytree(corpus("hugo-docs") / "content", root / "content")
    (root / "hugo.toml").write_text('baseURL = "https://example.org/docs/"\ntitle = "Hugo docs"\n')
    layouts = root / "layouts"
    for kind in ("single", "list"):
        write_file(layouts / "_default" / f"{kind}.html", "<html><body>{{ .Content }}</body></html>\n")
    uses = [match for path in (root / "content").rglob("*.md") for match in SHORTCODE.findall(path.read_text(errors="replace"))]
    paired = {name for closing, name in uses if closing}
    for name in {name for _, name in uses}:
        write_file(layouts / "shortcodes" / f"{name}.html", "{{ .Inner }}" if name in paired else "")
    return root


def write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(
    "command, make_site, output, least_pages",
    [(["jekyll", "build", "--quiet"], jekyll_corpus_site, "_site", 102), (["hugo", "--quiet"], hugo_corpus_site, "public", 980)],
)
def test_every_link_into_a_real_corpus_site_resolves(tmp_path, command, make_site, output, least_pages):
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed (.ci/run installs it)")
    source = make_site(tmp_path / "site")
    subprocess.run(command, cwd=source, check=True, capture_output=True, timeout=600)
    index = tmp_path / "index"
    assert CliRunner().invoke(main, ["index", str(source), "--index", str(index)]).exit_code == 0
    with open_index(index) as searcher:
        links = searcher.links()
    result = check_links(links, source / output, base_path_of(index))
    assert result.pages >= least_pages
    assert result.missing == ()


def test_a_result_link_lands_on_the_words_that_matched(served):
    """A section's text_url carries a text fragment of the words around its snippet's match; Chromium, on the
    real Eleventy build, scrolls to them (far down a short window) and marks them."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
    base, index = served
    with open_index(index) as searcher:
        section = searcher.search("versions").hits[0].sections[0]
    assert section.text_url.endswith("#:~:text=Versions") and section.url != section.text_url
    driver = start_chromium()
    try:
        driver.set_window_size(800, 300)
        driver.get(base + section.text_url)
        top = driver.execute_script(
            "const p = [...document.querySelectorAll('p')].find(e => e.textContent.trim() === 'Versions.');"
            "return p.getBoundingClientRect().top;"
        )
        scrolled = driver.execute_script("return window.scrollY")
    finally:
        driver.quit()
    assert scrolled > 0 and 0 <= top < 300


LANDING_POST = """---
title: "A long walk"
date: 2024-05-01
---
## Where the words are

{filler}

The zeppelin hangar keeps seventeen marmalade barrels beside the gate.

{filler}
"""


@pytest.fixture
def hugo_served(tmp_path) -> Iterator[tuple[str, Path]]:
    """The Hugo test site with one long post, built by the real Hugo, indexed, and served under its base path."""
    if shutil.which("hugo") is None:
        pytest.skip("hugo is not installed (.ci/run installs it)")
    source = tmp_path / "site"
    shutil.copytree(SITES / "hugo", source)
    filler = "\n\n".join(f"Filler paragraph {n} says nothing of note at all." for n in range(60))
    (source / "content" / "posts" / "long-walk.md").write_text(LANDING_POST.format(filler=filler))
    subprocess.run(["hugo", "--quiet"], cwd=source, check=True, capture_output=True, timeout=300)
    index = tmp_path / "index"
    assert CliRunner().invoke(main, ["index", str(source), "--index", str(index)]).exit_code == 0
    www = tmp_path / "www"
    www.mkdir()
    (www / base_path_of(index).strip("/")).symlink_to(source / "public")  # served at its base path, /site/
    handler = partial(SimpleHTTPRequestHandler, directory=str(www))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", index
    server.shutdown()
    server.server_close()


def test_a_result_link_lands_on_the_matched_sentence_of_a_real_hugo_build(hugo_served):
    """The section's link (#where-the-words-are) would show its heading and the filler under it; the text_url
    (#where-the-words-are:~:text=...) lands sixty paragraphs further down, on the sentence that matched, in
    Chromium on the page the real Hugo built."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
    base, index = hugo_served
    with open_index(index) as searcher:
        hit = searcher.search("marmalade barrels").hits[0]
    section = hit.sections[0]
    assert hit.title == "A long walk" and section.url.endswith("#where-the-words-are")
    assert section.text_url.startswith(section.url + ":~:text=") and "marmalade" in section.text_url
    sentence = "const p = [...document.querySelectorAll('p')].find(e => e.textContent.includes('marmalade'));"
    driver = start_chromium()
    try:
        driver.set_window_size(800, 400)
        driver.get(base + section.url)  # the anchor alone: the heading at the top, the sentence far below
        anchor_top = driver.execute_script(sentence + "return p.getBoundingClientRect().top;")
        driver.get("about:blank")
        driver.get(base + section.text_url)
        landed_top = driver.execute_script(sentence + "return p.getBoundingClientRect().top;")
        scrolled = driver.execute_script("return window.scrollY")
    finally:
        driver.quit()
    assert anchor_top > 400  # below the window when landing on the heading
    assert scrolled > 0 and 0 <= landed_top < 400  # in the window when landing on the words
