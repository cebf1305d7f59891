"""Zola's rules: content/ sections, date prefixes in file names, slug and path front matter, slugify strategies.

No Zola binary is in the package registries: these rules follow Zola's documentation and its slugs.rs, and the
tests check them as unit tests."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .base import Page, Site, dash_suffix, identity, read_config, site_options, table

DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?[_-]")
UNSAFE_IN_PATHS = '<>:/|?*#()[]\n"\\\r\t'
UNSAFE_IN_ANCHORS = '"#%<>[\\]()^`{|}'


@dataclass(frozen=True)
class ZolaSite(Site):
    """A Zola site: pages under content/, URLs from the section path and the slug."""

    label = "Zola"
    config_names = ("config.toml", "zola.toml")

    paths: str = "on"  # [slugify] paths: on, safe or off
    anchors_strategy: str = "on"  # [slugify] anchors

    @classmethod
    def config_file(cls, root: Path) -> Path | None:
        path = super().config_file(root)
        return path if path is not None and "base_url" in read_config(path) else None

    @classmethod
    def load(cls, root: Path, **options: str) -> ZolaSite:
        path = cls.config_file(root)
        config = read_config(path) if path else {}
        slugify = table(config, "slugify")
        return cls(
            str(root),
            **identity(root, path),
            paths=str(slugify.get("paths", "on")),
            anchors_strategy=str(slugify.get("anchors", "on")),
            **site_options(options, str(config.get("base_url") or "")),
        )

    def skip_folder(self, relpath: str) -> bool:
        return not (relpath.startswith("content/") or "content/".startswith(relpath))

    def includes(self, relpath: str) -> bool:
        return relpath.startswith("content/")

    def url(self, page: Page) -> str:
        inner = PurePosixPath(page.relpath[len("content/") :])
        explicit = page.front("path")
        if explicit:
            return self.with_base("/" + str(explicit).strip("/") + "/")
        if inner.stem == "_index":
            folder = inner.parent.as_posix()
            return self.with_base("/" if folder == "." else f"/{folder}/")
        bundle = inner.stem == "index" and str(inner.parent) != "."
        parents = inner.parent.parts[:-1] if bundle else inner.parent.parts
        name = inner.parent.name if bundle else inner.stem
        slug = zola_slugify(str(page.front("slug") or DATE_PREFIX.sub("", name)), self.paths, UNSAFE_IN_PATHS)
        return self.with_base("/" + "/".join([*parents, slug]) + "/")

    def heading_id(self, text: str, source: str, used: set[str]) -> str:
        if self.anchors:
            return super().heading_id(text, source, used)
        return dash_suffix(zola_slugify(text, self.anchors_strategy, UNSAFE_IN_ANCHORS), used)


def zola_slugify(text: str, strategy: str, unsafe: str) -> str:
    """Zola's slugify_paths / slugify_anchors: 'on' makes an ASCII slug; 'safe' removes only unsafe characters
    (spaces become '_'); 'off' keeps the text."""
    if strategy == "off":
        return text
    if strategy == "safe":
        text = text.rstrip(" .") if unsafe == UNSAFE_IN_PATHS else text
        return "".join(ch for ch in text.replace(" ", "_") if ch not in unsafe)
    return ascii_slug(text)


def ascii_slug(text: str) -> str:
    """The slug crate's slugify: transliterated to ASCII, lower case, each run of other characters one '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
