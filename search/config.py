"""Settings, resolved in one place: explicit values (flags, API arguments), then the environment, then what the
index was built with, then the defaults; validated once, into one typed object."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import SettingsError

ANCHOR_STYLES = ("github", "kramdown", "python-markdown", "markdown-it-anchor", "text-fragment")
GENERATOR_NAMES = ("jekyll", "hugo", "zola", "mkdocs", "eleventy", "plain")
SORTS = ("relevance", "date")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
DEFAULT_URL_PATTERN = "/:year/:month/:day/:slug/"
UNDATED_URL_PATTERN = "/:slug/"
URL_PLACEHOLDERS = ("year", "month", "day", "slug", "title", "categories", "path", "section")
DEFAULT_POSTS = "posts"
DEFAULT_INDEX = "index"
POSTS_ENV, INDEX_ENV = "POSTSEARCH_POSTS", "POSTSEARCH_INDEX"
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")  # BCP 47 style: en, de-AT, pt_BR


@dataclass(frozen=True)
class Settings:
    """How posts are read and indexed; stored in the index so later runs agree."""

    url_pattern: str = DEFAULT_URL_PATTERN
    anchors: str = ""  # '': the generator's ids (GitHub's for a plain folder)
    drafts: bool = False
    lang: str = "en"
    generator: str = ""  # '': the one whose config file the site root holds
    base_url: str = ""  # '': the generator's (Jekyll's baseurl, Hugo's baseURL, ...)
    site: str = ""  # the generator found and a digest of its config: set by the index run, not by users

    def __post_init__(self) -> None:
        for problem in settings_problems(self):
            raise SettingsError(problem)

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


def settings_problems(settings: Settings) -> list[str]:
    """What is wrong with the settings, each said so that it can be fixed."""
    problems = []
    if settings.anchors and settings.anchors not in ANCHOR_STYLES:
        problems.append(f"Unknown anchor style {settings.anchors!r}: use one of {', '.join(ANCHOR_STYLES)}.")
    if settings.generator and settings.generator not in GENERATOR_NAMES:
        problems.append(f"Unknown generator {settings.generator!r}: use one of {', '.join(GENERATOR_NAMES)}.")
    if not isinstance(settings.base_url, str):
        problems.append(f"base_url must be text such as '/blog' or 'https://example.org/blog/', not {settings.base_url!r}.")
    if not isinstance(settings.drafts, bool):
        problems.append(f"drafts must be true or false, not {settings.drafts!r}.")
    if not isinstance(settings.lang, str) or not LANGUAGE_CODE.fullmatch(settings.lang):
        problems.append(f"Unknown language {settings.lang!r}: give a language code such as 'en', 'de' or 'pt-BR'.")
    problems.extend(url_pattern_problems(settings.url_pattern))
    return problems


def url_pattern_problems(pattern: Any) -> list[str]:
    """What is wrong with a URL pattern: it must be a path from the site's root, with known placeholders."""
    if not isinstance(pattern, str) or not pattern.startswith("/"):
        return [f"The URL pattern {pattern!r} must start with '/', e.g. '{DEFAULT_URL_PATTERN}'."]
    unknown = [name for name in re.findall(r":([A-Za-z_]+)", pattern) if name not in URL_PLACEHOLDERS]
    if unknown:
        known = ", ".join(f":{name}" for name in URL_PLACEHOLDERS)
        return [f"Unknown placeholder :{unknown[0]} in the URL pattern {pattern!r}: use {known}."]
    return []


def resolve_settings(stored: Settings | None, **overrides: Any) -> Settings:
    """Explicit values win, then what the index was built with, then the defaults."""
    return (stored or Settings()).merged(**overrides)


def resolve_index_dir(explicit: Path | str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """The index folder: the explicit one, else POSTSEARCH_INDEX, else ./index."""
    return Path(explicit or environ.get(INDEX_ENV) or DEFAULT_INDEX)


def resolve_posts_dir(
    explicit: Path | str | None, recorded: str | None = None, environ: Mapping[str, str] = os.environ
) -> Path:
    """The posts folder: the explicit one, else POSTSEARCH_POSTS, else the one the index was built from
    (recorded), else ./posts."""
    return Path(explicit or environ.get(POSTS_ENV) or recorded or DEFAULT_POSTS)
