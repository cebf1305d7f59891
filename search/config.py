"""Settings, resolved in one place: explicit values (flags, API arguments), then the environment, then what the
index was built with, then the defaults; validated once, into one typed object."""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from string import ascii_uppercase
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
KIND_NAMES = {str: "a string", bool: "true or false", dict: "a table", int: "a whole number", tuple: "a list of strings"}


def setting(
    default: Any, help: str, option: str | None = None, choices: tuple[str, ...] = (),
    check: Callable[[Any], list[str]] | None = None, in_file: bool = True, label: str = "",
) -> Any:
    """A Settings field with all that is said of it, in one place: its default, its help (the flag's and `postsearch
    config`'s), its command-line flag (None: none), the values it may take, its check (what is wrong with a
    value, each problem said so that it can be fixed), whether a config file may set it and what messages call
    it. The TOML type, the click option, the checks, `postsearch config` and `postsearch stats` are all read
    from here."""
    metadata = {"help": help, "option": option, "choices": choices, "check": check, "in_file": in_file, "label": label}
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=metadata)
    return field(default=default, metadata=metadata)


def language_problems(value: Any) -> list[str]:
    if isinstance(value, str) and LANGUAGE_CODE.fullmatch(value):
        return []
    return [f"Unknown language {value!r}: give a language code such as 'en', 'de' or 'pt-BR'."]


def snippet_length_problems(value: Any) -> list[str]:
    low, high = SNIPPET_LENGTHS
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return []
    return [f"snippet_length must be a whole number of characters from {low} to {high}, not {value!r}."]


def globs_problems(value: Any) -> list[str]:
    if isinstance(value, tuple) and all(isinstance(glob, str) and glob for glob in value):
        return []
    return [f"must be a list of globs such as ['blog/**/*.md'], not {value!r}."]


@dataclass(frozen=True)
class Settings:
    """How posts are read and indexed; stored in the index so later runs agree. Each field is declared once, with
    setting(); the rest of the program reads them from there (SETTINGS)."""

    url_pattern: str = setting(
        DEFAULT_URL_PATTERN, "Plain folders: url of posts without one, e.g. '/:year/:month/:day/:slug/'.", "--url-pattern",
        check=lambda value: url_pattern_problems(value),
    )
    anchors: str = setting(
        "", "Whose heading ids to link to (default: the generator's; github).", "--anchors", ANCHOR_STYLES, label="anchor style"
    )
    drafts: bool = setting(False, "Index drafts too (default: skip them).", "--drafts")
    lang: str = setting("en", "Language of posts without `lang` front matter (default en).", "--lang", check=language_problems)
    generator: str = setting("", "The site's generator (default: found from its config file).", "--generator", GENERATOR_NAMES)
    base_url: str = setting("", "The URL the site is served under, e.g. /blog (default: the generator's config).", "--base-url")
    weights: dict[str, float] = setting({}, "Field weights over the defaults (title 2, ...), e.g. {title = 3.0}.", check=lambda value: weight_problems(value))
    snippet_length: int = setting(DEFAULT_SNIPPET_LENGTH, "Characters of a snippet's fragment.", check=snippet_length_problems)
    include: tuple[str, ...] = setting((), "Only posts matching this glob, from the posts folder (repeatable).", "--include", check=globs_problems)
    exclude: tuple[str, ...] = setting((), "Leave out posts matching this glob (repeatable).", "--exclude", check=globs_problems)
    follow_links: bool = setting(
        False, "Index posts and folders that links lead to outside the posts folder (default: report them, not followed).", "--follow-links"
    )
    site: str = setting("", "The generator found and a digest of its config: set by the index run.", in_file=False)

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


SETTINGS = fields(Settings)  # the declarations: name, default, and the metadata setting() gives each


def value_kind(item: Any) -> type:
    """The kind of value a setting holds, from its default: str, bool, int, dict or tuple."""
    default = {} if item.default is MISSING else item.default
    return type(default)


def settings_problems(settings: Settings) -> list[str]:
    """What is wrong with the settings, each said so that it can be fixed."""
    problems = []
    for item in SETTINGS:
        value, kind = getattr(settings, item.name), value_kind(item)
        choices, check = item.metadata["choices"], item.metadata["check"]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            problems.append(f"{item.name} must be {KIND_NAMES[kind]}, not {value!r}.")
        elif choices and value and value not in choices:
            problems.append(f"Unknown {item.metadata['label'] or item.name} {value!r}: use one of {', '.join(choices)}.")
        elif check:
            problems.extend(problem if problem.startswith((item.name, *ascii_uppercase)) else f"{item.name} {problem}" for problem in check(value))
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
SETTING_TYPES: dict[str, type] = {  # as TOML writes them: a tuple setting is a list
    item.name: list if value_kind(item) is tuple else value_kind(item) for item in SETTINGS if item.metadata["in_file"]
}
CONFIG_KEYS = FOLDER_KEYS + tuple(SETTING_TYPES)


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
