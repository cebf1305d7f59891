"""Hugo's rules (0.11x): content paths, [permalinks], slug and url front matter, bundles, Goldmark's ids."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from ..datetimes import as_datetime, local_naive
from .base import Page, Site, dash_suffix, identity, read_config, site_options, table, text_fragment

CONFIG_NAMES = tuple(f"{stem}.{suffix}" for stem in ("hugo", "config") for suffix in ("toml", "yaml", "yml", "json"))
PLACEHOLDER = re.compile(r":([a-z]+)")
ATTRIBUTES = re.compile(r"\s*\{[^{}]*\}\s*$")  # a heading's {#id .class} attribute block


@dataclass(frozen=True)
class HugoSite(Site):
    """A Hugo site: pages under content/, sections from folders, ids from Goldmark."""

    label = "Hugo"
    config_names = CONFIG_NAMES + tuple(f"config/_default/{name}" for name in CONFIG_NAMES)

    content_dir: str = "content"
    permalinks: tuple[tuple[str, str], ...] = ()
    ugly_urls: bool = False
    lower_paths: bool = True
    id_type: str = "github"  # Goldmark's autoHeadingIDType: github, github-ascii or blackfriday
    auto_ids: bool = True  # Goldmark's autoHeadingID: false gives headings no id (sections get text fragments)
    future: bool = False  # buildFuture

    @classmethod
    def config_file(cls, root: Path) -> Path | None:
        path = super().config_file(root)
        if path is None or path.name.startswith("hugo."):
            return path
        keys = {str(key).lower() for key in read_config(path)}  # config.toml: Hugo's, or Zola's (base_url)
        return path if "base_url" not in keys and (root / "content").is_dir() else None

    @classmethod
    def load(cls, root: Path, **options: str) -> HugoSite:
        path = cls.config_file(root)
        config = {str(k).lower(): v for k, v in (read_config(path) if path else {}).items()}
        parser = nested(config, "markup", "goldmark", "parser")
        permalinks = table(config, "permalinks")
        if isinstance(permalinks.get("page"), dict):  # Hugo 0.115's [permalinks.page]
            permalinks = permalinks["page"]
        return cls(
            str(root),
            **identity(root, path),
            content_dir=str(config.get("contentdir") or "content").strip("/"),
            permalinks=tuple((str(k), str(v)) for k, v in permalinks.items() if isinstance(v, str)),
            ugly_urls=bool(config.get("uglyurls", False)),
            lower_paths=not config.get("disablepathtolower", False),
            id_type=str(parser.get("autoHeadingIDType") or parser.get("autoheadingidtype") or "github").lower(),
            auto_ids=parser.get("autoHeadingID", parser.get("autoheadingid", True)) is not False,
            future=bool(config.get("buildfuture", False)),
            **site_options(options, str(config.get("baseurl") or "")),
        )

    def skip_folder(self, relpath: str) -> bool:
        return not (relpath.startswith(self.content_dir + "/") or f"{self.content_dir}/".startswith(relpath))

    def includes(self, relpath: str) -> bool:
        return relpath.startswith(self.content_dir + "/")

    def url(self, page: Page) -> str | None:
        if not self.published(page):
            return None
        inner = PurePosixPath(page.relpath[len(self.content_dir) + 1 :])
        explicit = page.front("url")
        if explicit:
            return self.with_base(str(explicit))
        if inner.name in ("_index.md", "index.md") and inner.stem == "_index":
            folder = inner.parent.as_posix()
            path = "/" if folder == "." else f"/{folder}/"
            return self.with_base(self.tidy(path))
        bundle = inner.stem == "index" and str(inner.parent) != "."
        sections = list(inner.parent.parts[:-1] if bundle else inner.parent.parts)
        filename = inner.parent.name if bundle else inner.stem
        title = str(page.fields.get("title") or "")
        slug = str(page.front("slug") or "")
        pattern = dict(self.permalinks).get(sections[0] if sections else "")
        if pattern:
            values = self.values(page.date, sections, filename, urlize(slug or title), urlize(title))
            path = PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), pattern)
        else:
            path = "/".join([*sections, slug or filename])
        path = "/" + path.strip("/")
        path = path + ".html" if self.ugly_urls else path + "/"
        return self.with_base(self.tidy(path))

    def published(self, page: Page) -> bool:
        """Whether Hugo builds the page now: not dated (or to be published) later unless buildFuture, not
        expired, not headless."""
        now = datetime.now()
        later = [as_date(page.front(key)) for key in ("publishdate", "pubdate", "date")]
        if not self.future and any(when and when > now for when in later):
            return False
        expiry = as_date(page.front("expirydate"))
        return not (expiry and expiry <= now) and page.front("headless") is not True

    def tidy(self, path: str) -> str:
        """Hugo's path clean-up: spaces become '-', and the path is lower case unless disablePathToLower."""
        path = re.sub(r"/{2,}", "/", path.replace(" ", "-"))
        return path.lower() if self.lower_paths else path

    @staticmethod
    def values(when: datetime | None, sections: list[str], filename: str, slug: str, title: str) -> dict[str, str]:
        when = when or datetime(1, 1, 1)
        return {
            "year": f"{when:%Y}", "month": f"{when:%m}", "monthname": f"{when:%B}".lower(), "day": f"{when:%d}",
            "weekday": str(when.isoweekday() % 7), "weekdayname": f"{when:%A}".lower(), "yearday": str(when.timetuple().tm_yday),
            "section": sections[0] if sections else "", "sections": "/".join(sections),
            "title": title, "slug": slug, "filename": filename, "slugorfilename": slug or filename,
            "contentbasename": filename,
        }

    def heading_id(self, text: str, source: str, used: set[str]) -> str:
        if self.anchors:
            return super().heading_id(text, source, used)
        if not self.auto_ids:
            return text_fragment(text)
        written = ATTRIBUTES.sub("", source) if source else text
        return dash_suffix(goldmark_slug(written, self.id_type) or "heading", used)


def goldmark_slug(text: str, id_type: str = "github") -> str:
    """The id Hugo's Goldmark gives a heading of this (Markdown) text."""
    if id_type == "blackfriday":
        return blackfriday_slug(text)
    if id_type == "github-ascii":
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    kept = []
    for ch in text.strip():
        if id_type == "github-ascii" and not ch.isascii():
            continue
        if ch in "- ":
            kept.append("-")
        elif ch == "_" or ch.isalpha() or unicodedata.category(ch) == "Nd":
            kept.append(ch.lower())
    return "".join(kept)


def blackfriday_slug(text: str) -> str:
    """Blackfriday's SanitizedAnchorName: letters and digits kept, each run of anything else one '-'."""
    out: list[str] = []
    dash = False
    for ch in text:
        if ch.isalpha() or ch.isnumeric():
            if dash and out:
                out.append("-")
            dash = False
            out.append(ch.lower())
        else:
            dash = True
    return "".join(out)


def urlize(text: str) -> str:
    """Hugo's urlize: spaces become '-', characters not allowed in a path are removed, lower case."""
    text = text.strip().replace(" ", "-")
    kept = "".join(ch for ch in text if ch.isalnum() or ch in "./\\_-#+~")
    return kept.lower()


def as_date(value: Any) -> datetime | None:
    """A front matter date as a naive datetime (None when it is not one)."""

    return local_naive(as_datetime(value))


def nested(config: dict[str, Any], *keys: str) -> dict[str, Any]:
    """config[a][b][c] (keys without case), or {} when any level is missing."""
    for key in keys:
        found = next((v for k, v in config.items() if str(k).lower() == key), None)
        config = found if isinstance(found, dict) else {}
    return config
