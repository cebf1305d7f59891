"""Settings, resolved in one place: explicit values (flags, API arguments), then the environment, then what the
index was built with, then the defaults; validated once, into one typed object."""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, cast

from .errors import SettingsError

ANCHOR_STYLES = ("github", "kramdown", "python-markdown", "markdown-it-anchor", "text-fragment")
GENERATOR_NAMES = ("jekyll", "hugo", "zola", "mkdocs", "eleventy", "plain")
SORTS = ("relevance", "date")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
DEFAULT_URL_PATTERN = "/:year/:month/:day/:slug/"
UNDATED_URL_PATTERN = "/:slug/"
URL_PLACEHOLDERS = ("year", "month", "day", "slug", "title", "categories", "path", "section")
DEFAULT_SNIPPET_LENGTH = 160
SNIPPET_LENGTHS = (40, 2000)
WEIGHTED_FIELDS = ("title", "heading", "body", "code")
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
    weights: dict[str, float] = field(default_factory=dict)  # field -> weight, over the defaults (title 2, ...)
    snippet_length: int = DEFAULT_SNIPPET_LENGTH  # characters of a snippet's fragment
    include: tuple[str, ...] = ()  # globs of the posts to index, from the posts folder ('*' crosses folders)
    exclude: tuple[str, ...] = ()  # globs of the posts to leave out
    follow_links: bool = False  # index posts and folders linked from outside the posts folder
    site: str = ""  # the generator found and a digest of its config: set by the index run, not by users

    def __post_init__(self) -> None:
        for problem in settings_problems(self):
            raise SettingsError(problem)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Settings from a stored dict, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)

    def merged(self, **overrides: Any) -> Settings:
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
    for name in ("drafts", "follow_links"):
        if not isinstance(getattr(settings, name), bool):
            problems.append(f"{name} must be true or false, not {getattr(settings, name)!r}.")
    if not isinstance(settings.lang, str) or not LANGUAGE_CODE.fullmatch(settings.lang):
        problems.append(f"Unknown language {settings.lang!r}: give a language code such as 'en', 'de' or 'pt-BR'.")
    problems.extend(weight_problems(settings.weights))
    low, high = SNIPPET_LENGTHS
    if isinstance(settings.snippet_length, bool) or not isinstance(settings.snippet_length, int) or not low <= settings.snippet_length <= high:
        problems.append(f"snippet_length must be a whole number of characters from {low} to {high}, not {settings.snippet_length!r}.")
    for name in ("include", "exclude"):
        globs = getattr(settings, name)
        if not isinstance(globs, tuple) or not all(isinstance(glob, str) and glob for glob in globs):
            problems.append(f"{name} must be a list of globs such as ['blog/**/*.md'], not {globs!r}.")
    problems.extend(url_pattern_problems(settings.url_pattern))
    return problems


def weight_problems(weights: Any) -> list[str]:
    """What is wrong with field weights: a table of known fields to positive numbers."""
    if not isinstance(weights, dict):
        return [f"weights must be a table such as {{title = 2.0, body = 1.0}}, not {weights!r}."]
    for name, weight in weights.items():
        if name not in WEIGHTED_FIELDS:
            return [f"Unknown field {name!r} in weights: use {', '.join(WEIGHTED_FIELDS)}."]
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 100:
            return [f"The weight of {name} must be a number above 0 and at most 100, not {weight!r}."]
    return []


def selected(relpath: str, settings: Settings) -> bool:
    """Whether the settings' include and exclude globs keep the post at relpath."""
    if settings.include and not any(fnmatch.fnmatchcase(relpath, glob) for glob in settings.include):
        return False
    return not any(fnmatch.fnmatchcase(relpath, glob) for glob in settings.exclude)


def url_pattern_problems(pattern: Any) -> list[str]:
    """What is wrong with a URL pattern: it must be a path from the site's root, with known placeholders."""
    if not isinstance(pattern, str) or not pattern.startswith("/"):
        return [f"The URL pattern {pattern!r} must start with '/', e.g. '{DEFAULT_URL_PATTERN}'."]
    unknown = [name for name in re.findall(r":([A-Za-z_]+)", pattern) if name not in URL_PLACEHOLDERS]
    if unknown:
        known = ", ".join(f":{name}" for name in URL_PLACEHOLDERS)
        return [f"Unknown placeholder :{unknown[0]} in the URL pattern {pattern!r}: use {known}."]
    return []


# --- the config file: postsearch.toml, or [tool.postsearch] in pyproject.toml ---

CONFIG_FILE = "postsearch.toml"
FOLDER_KEYS = ("posts", "index")  # paths, read from the config file's folder
SETTING_TYPES: dict[str, type] = {
    "url_pattern": str, "anchors": str, "drafts": bool, "lang": str, "generator": str, "base_url": str,
    "include": list, "exclude": list, "weights": dict, "snippet_length": int, "follow_links": bool,
}
CONFIG_KEYS = FOLDER_KEYS + tuple(SETTING_TYPES)
KIND_NAMES = {str: "a string", bool: "true or false", dict: "a table", int: "a whole number"}


@dataclass(frozen=True)
class ConfigFile:
    """The values of a config file, checked: folders made absolute, lists made tuples."""

    path: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.path) if self.path else ""

    def settings(self) -> dict[str, Any]:
        """The values that are Settings fields."""
        return {key: value for key, value in self.values.items() if key in SETTING_TYPES}


def load_config_file(folder: Path | str) -> ConfigFile:
    """The postsearch.toml in folder, else the [tool.postsearch] table of its pyproject.toml, else none. An
    unknown key or a wrong type is a SettingsError that names the key and the file."""
    folder = Path(folder)
    path, section = folder / CONFIG_FILE, cast(tuple[str, ...], ())
    if not path.is_file():
        path, section = folder / "pyproject.toml", ("tool", "postsearch")
        if not path.is_file():
            return ConfigFile()
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"Cannot read {path}: {error}") from error
    for key in section:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    if not data:
        return ConfigFile() if section else ConfigFile(path)
    return ConfigFile(path, checked_values(data, path, ".".join(section)))


def checked_values(data: dict[str, Any], path: Path, table: str) -> dict[str, Any]:
    """The config values, each checked for its key and type."""
    where = f"{path}" + (f" [{table}]" if table else "")
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        name = "lang" if name == "language" else name
        if name not in CONFIG_KEYS:
            raise SettingsError(f"Unknown key {key!r} in {where}: use one of {', '.join(CONFIG_KEYS)}.")
        expected = SETTING_TYPES.get(name, str)
        wrong_type = not isinstance(value, expected) or (expected is int and isinstance(value, bool))
        if wrong_type or (expected is list and not all(isinstance(v, str) for v in value)):
            kind = "a list of strings" if expected is list else KIND_NAMES[expected]
            raise SettingsError(f"{key} in {where} must be {kind}, not {value!r}.")
        if name in FOLDER_KEYS:
            value = str((path.parent / value).resolve())
        values[name] = tuple(value) if isinstance(value, list) else value
    return values


# --- resolution: flags, then the environment, then the config file, then the index, then the defaults ---


def resolve_settings(stored: Settings | None, config: ConfigFile | None = None, **overrides: Any) -> Settings:
    """Explicit values win, then the config file's, then what the index was built with, then the defaults. A site
    with a config file is described by it alone: a key taken out of the file goes back to its default."""
    base = Settings() if stored is None or (config and config.path) else stored
    return base.merged(**(config.settings() if config else {})).merged(**overrides)


def resolve_index_dir(
    explicit: Path | str | None, environ: Mapping[str, str] = os.environ, config: ConfigFile = ConfigFile()
) -> Path:
    """The index folder: the explicit one, else POSTSEARCH_INDEX, else the config file's, else ./index."""
    return Path(explicit or environ.get(INDEX_ENV) or config.values.get("index") or DEFAULT_INDEX)


def resolve_posts_dir(
    explicit: Path | str | None,
    recorded: str | None = None,
    environ: Mapping[str, str] = os.environ,
    config: ConfigFile = ConfigFile(),
) -> Path:
    """The posts folder (or site root): the explicit one, else POSTSEARCH_POSTS, else the config file's, else
    the one the index was built from (recorded), else ./posts."""
    return Path(explicit or environ.get(POSTS_ENV) or config.values.get("posts") or recorded or DEFAULT_POSTS)
