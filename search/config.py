"""Settings: one typed object with every default in one place."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

ANCHOR_STYLES = ("github", "kramdown", "python-markdown")
SORTS = ("relevance", "date")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
DEFAULT_URL_PATTERN = "/:year/:month/:day/:slug/"
UNDATED_URL_PATTERN = "/:slug/"


@dataclass(frozen=True)
class Settings:
    """How posts are read and indexed; stored in the index so later runs agree."""

    url_pattern: str = DEFAULT_URL_PATTERN
    anchors: str = "github"
    drafts: bool = False
    lang: str = "en"

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Settings":
        """Settings from a stored dict, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def merged(self, **overrides: Any) -> "Settings":
        """A copy with the overrides that are not None."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})
