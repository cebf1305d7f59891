"""Eleventy's rules: the input folder, folder URLs, permalink front matter; headings without ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .base import Page, Site, identity, site_options, text_fragment

CONFIG_NAMES = (
    "eleventy.config.js", "eleventy.config.mjs", "eleventy.config.cjs", "eleventy.config.ts",
    ".eleventy.js", ".eleventy.cjs", ".eleventy.mjs",
)
DIR_OPTION = r"""\b{}\s*:\s*["'`]([^"'`]+)["'`]"""
TEMPLATED = re.compile(r"\{\{|\{%")


@dataclass(frozen=True)
class EleventySite(Site):
    """An Eleventy site. Its default Markdown (markdown-it) gives headings no id: sections are linked with a
    text fragment (#:~:text=...) unless the settings name the ids a plugin adds (anchors = "markdown-it-anchor")."""

    label = "Eleventy"
    config_names = CONFIG_NAMES

    input_dir: str = ""
    output_dir: str = "_site"
    includes_dir: str = "_includes"
    data_dir: str = "_data"
    ignored: tuple[str, ...] = ()

    @classmethod
    def load(cls, root: Path, **options: str) -> EleventySite:
        path = cls.config_file(root)
        text = path.read_text(encoding="utf-8", errors="replace") if path else ""
        found = {name: option(text, name) for name in ("input", "output", "includes", "data")}
        input_dir = found["input"].strip("./") if found["input"] not in ("", ".", "./") else ""
        return cls(
            str(root),
            **identity(root, path, ignore_file(root)),
            input_dir=input_dir,
            output_dir=found["output"].strip("./") or "_site",
            includes_dir=found["includes"].strip("./") or "_includes",
            data_dir=found["data"].strip("./") or "_data",
            ignored=tuple(line.strip().strip("./") for line in ignore_file(root).splitlines() if line.strip() and not line.startswith("#")),
            **site_options(options),
        )

    @property
    def prefix(self) -> str:
        return self.input_dir + "/" if self.input_dir else ""

    def skip_folder(self, relpath: str) -> bool:
        if self.prefix and not (relpath.startswith(self.prefix) or self.prefix.startswith(relpath)):
            return True
        inner = relpath[len(self.prefix) :] if relpath.startswith(self.prefix) else relpath
        skipped = ("node_modules/", self.output_dir + "/", self.includes_dir + "/", self.data_dir + "/")
        return relpath.startswith(skipped) or inner.startswith(skipped) or any(relpath.startswith(i.rstrip("/") + "/") for i in self.ignored)

    def includes(self, relpath: str) -> bool:
        return relpath.startswith(self.prefix) and relpath not in self.ignored

    def url(self, page: Page) -> str | None:
        permalink = page.front("permalink")
        if permalink is False:
            return None
        if isinstance(permalink, str) and permalink.strip() and not TEMPLATED.search(permalink):
            path = "/" + permalink.strip().lstrip("/")
            return self.with_base(re.sub(r"(^|/)index\.html$", r"\1", path))
        inner = PurePosixPath(page.relpath[len(self.prefix) :])
        folder = "" if str(inner.parent) == "." else inner.parent.as_posix() + "/"
        return self.with_base(folder if inner.stem == "index" else f"{folder}{inner.stem}/")

    def heading_id(self, text: str, source: str, used: set[str]) -> str:
        return super().heading_id(text, source, used) if self.anchors else text_fragment(text)


def option(config_text: str, name: str) -> str:
    """A dir option (input, output, ...) as written in an Eleventy config, or ''."""
    match = re.search(DIR_OPTION.format(name), config_text)
    return match[1] if match else ""


def ignore_file(root: Path) -> str:
    """The site's .eleventyignore, or ''."""
    try:
        return (Path(root) / ".eleventyignore").read_text(encoding="utf-8")
    except OSError:
        return ""
