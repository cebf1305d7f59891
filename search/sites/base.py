"""What every site generator module provides: a Site that turns a post into a URL and a heading into an id."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import yaml
from markdown.extensions.toc import slugify as toc_slugify
from markdown.extensions.toc import unique as toc_unique

from ..errors import SettingsError
from ..textfragments import text_directive

HeadingId = Callable[[str, str, set[str]], str]  # (rendered text, Markdown source, ids used so far) -> id


@dataclass(frozen=True)
class Page:
    """What a site's rules read of one post: its path from the site root and its front matter."""

    relpath: str
    fields: Mapping[str, Any]  # normalised front matter (title, date, slug, url, categories, ...)
    raw: Mapping[str, Any] = field(default_factory=dict)  # front matter as written
    has_front_matter: bool = True

    @property
    def stem(self) -> str:
        return PurePosixPath(self.relpath).stem

    @property
    def date(self) -> datetime | None:
        return self.fields.get("date")

    def front(self, key: str, default: Any = None) -> Any:
        """A front matter value as written (keys compared without case)."""
        for name, value in self.raw.items():
            if str(name).lower() == key:
                return value
        return default


@dataclass(frozen=True)
class Site:
    """A folder of posts and the rules of the generator that builds it (this base: no generator)."""

    label: ClassVar[str] = "plain Markdown folder (no site config found)"
    config_names: ClassVar[tuple[str, ...]] = ()

    root: str
    config: str = ""  # the config file read, relative to root
    base_path: str = ""  # the URL path the site is served under, e.g. /blog
    anchors: str = ""  # a heading id style chosen in the settings, instead of the generator's
    fingerprint: str = ""  # changes when the config file does: the index is then built again

    @property
    def name(self) -> str:
        return type(self).__module__.rsplit(".", 1)[-1]

    @classmethod
    def config_file(cls, root: Path) -> Path | None:
        """The generator's config file in root, or None when root is not such a site."""
        return next((root / name for name in cls.config_names if (root / name).is_file()), None)

    @classmethod
    def load(cls, root: Path, **options: str) -> Site:
        """The site at root with its config read (each generator reads its own keys)."""
        return cls(str(root), **site_options(options))

    def describe(self) -> str:
        """One line naming the generator and the config file it was found by."""
        return f"{self.label} site ({self.config})" if self.config else self.label

    def skip_folder(self, relpath: str) -> bool:
        """Whether a folder below the root (posix path, trailing /) holds no posts of the site."""
        return False

    def includes(self, relpath: str) -> bool:
        """Whether the Markdown file at relpath (from the root) is a source of the site's pages."""
        return True

    def url(self, page: Page) -> str | None:
        """The page's URL path (base path included), or None when the generator makes no page of it."""
        raise NotImplementedError

    def heading_id(self, text: str, source: str, used: set[str]) -> str:
        """The id the generator gives a heading (text as rendered, source as written in Markdown)."""
        style = ANCHOR_STYLES.get(self.anchors or "github", ANCHOR_STYLES["github"])
        return style(text, source, used)

    def with_base(self, path: str) -> str:
        """A path from the site's root as a URL path under the base path, its unsafe characters escaped."""
        path = "/" + path.lstrip("/")
        return quote(self.base_path.rstrip("/") + path, safe="/%:@!$&'()*+,;=~")


def site_options(options: Mapping[str, str], config_base_url: str = "") -> dict[str, str]:
    """The options every Site takes, from open_site's keywords: a base URL given in the settings wins over the
    generator's."""
    return {"anchors": options.get("anchors", ""), "base_path": base_path(options.get("base_url") or config_base_url)}


def base_path(url: str) -> str:
    """The path part of a site's base URL: https://example.org/blog/ -> /blog ('' for the root)."""
    path = urlsplit(str(url or "")).path if "://" in str(url or "") else str(url or "")
    return "/" + path.strip("/") if path.strip("/") else ""


def fingerprint(*texts: str) -> str:
    """A short digest of config text."""
    return hashlib.blake2b("\0".join(texts).encode(), digest_size=8).hexdigest()


def identity(root: Path, path: Path | None, *more: str) -> dict[str, str]:
    """The `config` (the config file, from the root) and `fingerprint` (a digest of its text and of more text the
    rules depend on) of a site."""
    if path is None:
        return {"config": "", "fingerprint": fingerprint(*more) if more else ""}
    text = path.read_text(encoding="utf-8", errors="replace")
    return {"config": path.relative_to(root).as_posix(), "fingerprint": fingerprint(text, *more)}


def table(config: dict[str, Any], key: str) -> dict[str, Any]:
    """A table of a site's config (kramdown:, [permalinks]), or {} when it is missing or not a table."""
    found = config.get(key)
    return found if isinstance(found, dict) else {}


def read_config(path: Path) -> dict[str, Any]:
    """A YAML, TOML or JSON config file as a dict; a file that cannot be read is a SettingsError naming it."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=TolerantLoader)  # noqa: S506 (a safe loader that ignores unknown tags)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise SettingsError(f"Cannot read the site config {path}: {error}") from error
    return data if isinstance(data, dict) else {}


class TolerantLoader(yaml.SafeLoader):
    """YAML's safe loader that reads MkDocs' !!python/name: and !ENV tags as their text instead of failing."""


@dataclass(frozen=True)
class PythonTag:
    """A !!python/... value of a YAML config: the Python name it points to and its arguments."""

    name: str
    arguments: Any = None


def python_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> PythonTag:
    return PythonTag(suffix.split(":", 1)[-1], node_value(loader, node))


def node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", python_tag)
TolerantLoader.add_multi_constructor("!", lambda loader, suffix, node: node_value(loader, node))


# --- heading ids shared by several generators ---


def dash_suffix(slug: str, used: set[str]) -> str:
    """Make slug unique with -1, -2 ... as GitHub, Goldmark, kramdown and Zola do."""
    candidate, count = slug, 0
    while candidate in used:
        count += 1
        candidate = f"{slug}-{count}"
    used.add(candidate)
    return candidate


def github_slug(text: str) -> str:
    """GitHub's id (Goldmark's 'github' type): lower case; letters, digits, '_' and '-' kept; spaces become '-'."""
    kept = "".join(ch for ch in text.strip().lower() if ch in "- _" or ch.isalnum())
    return kept.replace(" ", "-")


def github_id(text: str, source: str, used: set[str]) -> str:
    return dash_suffix(github_slug(text), used)


def kramdown_slug(text: str) -> str:
    """kramdown's own auto id (its 'kramdown' input; Jekyll sites use the GFM one)."""
    slug = re.sub(r"^[^a-zA-Z]+", "", text)
    slug = re.sub(r"[^a-zA-Z0-9 -]", "", slug).replace(" ", "-").lower()
    return slug or "section"


def kramdown_id(text: str, source: str, used: set[str]) -> str:
    return dash_suffix(kramdown_slug(text), used)


def python_markdown_id(text: str, source: str, used: set[str]) -> str:
    """Python-Markdown's toc extension: its slugify, made unique with _1, _2 ..."""
    return toc_unique(toc_slugify(text, "-"), used)


def markdown_it_anchor_id(text: str, source: str, used: set[str]) -> str:
    """markdown-it-anchor's default slugify (Eleventy sites that add it): trimmed, lower case, spaces to '-',
    then percent-encoded as encodeURIComponent does."""
    slug = quote(re.sub(r"\s+", "-", text.strip().lower()), safe="-_.!~*'()")
    return dash_suffix(slug, used)


def text_fragment(text: str, source: str = "", used: set[str] | None = None) -> str:
    """A text fragment (#:~:text=...) that browsers scroll to: for headings that have no id."""
    return text_directive(text)


ANCHOR_STYLES: dict[str, HeadingId] = {
    "github": github_id,
    "kramdown": kramdown_id,
    "python-markdown": python_markdown_id,
    "markdown-it-anchor": markdown_it_anchor_id,
    "text-fragment": text_fragment,
}
