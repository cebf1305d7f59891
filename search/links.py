"""Check an index's links against a built site: every page a result links to exists, and so does every #id."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import BuiltSiteNotFound
from .results import Link, LinkCheck
from .textfragments import TEXT_DIRECTIVE


class PageTargets(HTMLParser):
    """The ids (and <a name>s) of an HTML page, and its text for text fragments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name == "id" or (name == "name" and tag == "a")):
                self.ids.add(value)
        if tag in ("script", "style"):
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.text.append(data)


def page_targets(path: Path) -> tuple[frozenset[str], str]:
    """The ids of the page at path and its visible text, single-spaced and lower case."""
    parser = PageTargets()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return frozenset(parser.ids), " ".join(" ".join(parser.text).split()).lower()


def page_file(site_dir: Path, url: str, base_path: str) -> Path | None:
    """The file a web server would send for url from the built site (folder URLs: their index.html)."""
    path = unquote(urlsplit(url).path)
    if base_path and (path == base_path or path.startswith(base_path.rstrip("/") + "/")):
        path = path[len(base_path.rstrip("/")) :]
    relative = path.lstrip("/")
    candidates = [relative + "index.html"] if path.endswith("/") else [relative, relative + ".html", relative + "/index.html"]
    for candidate in candidates:
        file = site_dir / candidate
        if file.is_file():
            return file
    return None


def check_links(links: tuple[Link, ...], site_dir: Path | str, base_path: str = "") -> LinkCheck:
    """Which links the built site in site_dir does not hold: a page that is missing, an #id the page does not
    have, or the text of a text fragment that is not on the page."""
    site_dir = Path(site_dir)
    if not site_dir.is_dir():
        raise BuiltSiteNotFound(site_dir, f"Built site folder {site_dir} does not exist.")
    targets: dict[Path, tuple[frozenset[str], str]] = {}  # each page read once
    missing: list[tuple[Link, str]] = []
    pages: set[Path] = set()
    for link in links:
        url, _, fragment = link.url.partition("#")
        file = page_file(site_dir, url, base_path)
        if file is None:
            missing.append((link, f"no page {url} in {site_dir}"))
            continue
        pages.add(file)
        if fragment and file not in targets:
            targets[file] = page_targets(file)
        reason = fragment_problem(file, targets[file], unquote(fragment)) if fragment else ""
        if reason:
            missing.append((link, reason))
    return LinkCheck(len(links), len(pages), tuple(missing))


def fragment_problem(file: Path, targets: tuple[frozenset[str], str], fragment: str) -> str:
    """Why a page (its ids and text) does not hold a fragment's target ('' when it does)."""
    ids, text = targets
    if fragment.startswith(TEXT_DIRECTIVE):
        wanted = " ".join(fragment[len(TEXT_DIRECTIVE) :].split()).lower()
        return "" if re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", text) else f"the text {wanted!r} is not on {file}"
    return "" if fragment in ids else f"{file} has no element with id {fragment!r}"
