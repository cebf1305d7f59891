"""MkDocs' rules (1.x): docs_dir, use_directory_urls, index.md/README.md pages, ids from the toc's slugify."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from markdown.extensions.toc import slugify as toc_slugify
from markdown.extensions.toc import unique as toc_unique

from .base import Page, PythonTag, Site, identity, read_config, site_options

# The slugify functions a config may name (MkDocs imports any; postsearch only these, and never runs other code)
KNOWN_SLUGIFY_MODULES = ("markdown.extensions.toc", "pymdownx.slugs")


@dataclass(frozen=True)
class MkDocsSite(Site):
    """An MkDocs site: pages under docs_dir, folder URLs, Python-Markdown's toc ids."""

    label = "MkDocs"
    config_names = ("mkdocs.yml", "mkdocs.yaml")

    docs_dir: str = "docs"
    directory_urls: bool = True
    slugify: str = "markdown.extensions.toc.slugify"  # the toc extension's slugify, by Python name
    slugify_options: tuple[tuple[str, Any], ...] = ()
    separator: str = "-"

    @classmethod
    def load(cls, root: Path, **options: str) -> MkDocsSite:
        path = cls.config_file(root)
        config = read_config(path) if path else {}
        toc = toc_options(config.get("markdown_extensions"))
        slugify = toc.get("slugify")
        name, slugify_options = "markdown.extensions.toc.slugify", ()
        if isinstance(slugify, PythonTag):
            name = slugify.name
            arguments = slugify.arguments if isinstance(slugify.arguments, dict) else {}
            slugify_options = tuple(sorted((arguments.get("kwds") or {}).items()))
        return cls(
            str(root),
            **identity(root, path),
            docs_dir=str(config.get("docs_dir") or "docs").strip("/"),
            directory_urls=bool(config.get("use_directory_urls", True)),
            slugify=name,
            slugify_options=slugify_options,
            separator=str(toc.get("separator") or "-"),
            **site_options(options, str(config.get("site_url") or "")),
        )

    def skip_folder(self, relpath: str) -> bool:
        return not (relpath.startswith(self.docs_dir + "/") or f"{self.docs_dir}/".startswith(relpath))

    def includes(self, relpath: str) -> bool:
        return relpath.startswith(self.docs_dir + "/")

    def url(self, page: Page) -> str:
        inner = PurePosixPath(page.relpath[len(self.docs_dir) + 1 :])
        folder = "" if str(inner.parent) == "." else inner.parent.as_posix() + "/"
        is_index = inner.stem == "index" or (
            inner.stem.lower() == "readme" and not (Path(self.root) / self.docs_dir / folder / "index.md").exists()
        )
        if is_index:
            path = folder if self.directory_urls else folder + "index.html"
        else:
            path = f"{folder}{inner.stem}/" if self.directory_urls else f"{folder}{inner.stem}.html"
        return self.with_base(path)

    def heading_id(self, text: str, source: str, used: set[str]) -> str:
        if self.anchors:
            return super().heading_id(text, source, used)
        return toc_unique(self.slugify_function()(text, self.separator), used)

    def slugify_function(self) -> Callable[[str, str], str]:
        """The configured slugify when it is one of the known ones and can be imported, else the toc's own."""
        module_name, _, attribute = self.slugify.rpartition(".")
        if module_name not in KNOWN_SLUGIFY_MODULES:
            return toc_slugify
        try:
            function = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError):
            return toc_slugify
        return function(**dict(self.slugify_options)) if self.slugify_options else function


def toc_options(extensions: Any) -> dict[str, Any]:
    """The options of the toc extension in MkDocs' markdown_extensions list."""
    for item in extensions or ():
        if isinstance(item, dict):
            for name, options in item.items():
                if str(name) in ("toc", "markdown.extensions.toc") and isinstance(options, dict):
                    return options
    return {}
