"""A plain folder of Markdown posts: URLs from a pattern (--url-pattern), GitHub-style heading ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from ..config import DEFAULT_URL_PATTERN, UNDATED_URL_PATTERN, URL_PLACEHOLDERS
from .base import Page, Site, site_options

URL_PLACEHOLDER = re.compile(rf":({'|'.join(URL_PLACEHOLDERS)})\b")
FILE_SUFFIXES = {".html", ".htm", ".xml", ".json", ".txt", ".php", ".pdf"}


@dataclass(frozen=True)
class PlainSite(Site):
    """Posts whose URLs follow a pattern such as /:year/:month/:day/:slug/."""

    url_pattern: str = DEFAULT_URL_PATTERN

    @classmethod
    def load(cls, root: Path, **options: str) -> PlainSite:
        return cls(str(root), url_pattern=options.get("url_pattern") or DEFAULT_URL_PATTERN, **site_options(options))

    def url(self, page: Page) -> str:
        """The post's url: from front matter when given, else from the url pattern."""
        fields = page.fields
        explicit = fields.get("url", "")
        dated = fields.get("date") is not None
        pattern = self.url_pattern
        template = explicit or (pattern if dated or ":year" not in pattern else UNDATED_URL_PATTERN)
        url = expand_url(template, fields, fields["slug"], page.relpath)
        if not url.startswith(("/", "http://", "https://")):
            url = "/" + url
        if explicit and not url.endswith("/") and "#" not in url and not is_file_url(url):
            url += "/"
        if self.base_path and url.startswith("/"):
            url = self.base_path + url
        return url


def is_file_url(url: str) -> bool:
    """True for urls of a file (page.html), which must not get a trailing slash."""
    return PurePosixPath(url).suffix.lower() in FILE_SUFFIXES


def expand_url(template: str, fields: Any, slug: str, relpath: str) -> str:
    """Fill :year, :month, :day, :slug, :title, :categories, :path and :section into a template."""
    when: datetime | None = fields.get("date")
    parent = PurePosixPath(relpath).parent
    values = {
        "year": f"{when:%Y}" if when else "",
        "month": f"{when:%m}" if when else "",
        "day": f"{when:%d}" if when else "",
        "slug": slug,
        "title": slug,
        "categories": "/".join(c.lower().replace(" ", "-") for c in fields.get("categories", ())),
        "path": (parent / slug).as_posix().lstrip("./") if str(parent) != "." else slug,
        "section": parent.parts[0] if parent.parts else "",
    }
    url = URL_PLACEHOLDER.sub(lambda m: values[m[1]], template)
    return re.sub(r"(?<!:)/{2,}", "/", url)
