"""Read one Markdown file into a Post: front matter normalised by one table, plus url, date and tags."""

from __future__ import annotations

import html
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, JSONHandler, SafeLoader, YAMLHandler

from .config import Settings
from .datetimes import as_datetime
from .errors import PostError
from .sites.base import Page, Site
from .sites.plain import PlainSite

JEKYLL_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[-_]")  # Jekyll's and Zola's
PATH_DATE = re.compile(r"(?:^|/)(\d{4})[/-](\d{2})[/-](\d{2})(?:[/-]|$)")



# Front matter is bounded by what it stands for, not by its bytes: YAML aliases repeat a value without repeating
# its text (a 460-byte "alias bomb" stood for 10^9 tags and took 93 s and 1.7 GB). Real front matter holds tens
# of values; the largest of the corpora in ../shared, a few hundred.
MAX_EXPANDED_VALUES = 20_000  # values (scalars, lists, tables) with every alias expanded
MAX_EXPANDED_CHARS = 1_000_000  # characters of its scalars with every alias expanded
MAX_TEXT_CHARS = {"title": 1_000, "description": 20_000, "lang": 40, "url": 2_000, "slug": 1_000}
MAX_LIST_VALUES = 500  # tags, categories, keywords or authors of one post
MAX_LIST_VALUE_CHARS = 300  # characters of one tag, category, keyword or author


class BoundedYAMLHandler(YAMLHandler):
    """YAML front matter, refused (ValueError) when its aliases expand past the bounds above, before any value
    is built; the document's nodes are composed first, which costs what its text costs."""

    def load(self, fm: str, **kwargs: object) -> Any:
        loader = SafeLoader(fm)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            check_expansion(node)
            return loader.construct_document(node)
        finally:
            loader.dispose()


def check_expansion(root: yaml.Node) -> None:
    """Raise ValueError when the YAML node graph, every alias expanded, holds more than MAX_EXPANDED_VALUES
    values or MAX_EXPANDED_CHARS characters, or refers to itself. Each node is visited once (sizes memoised)."""
    sizes: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()  # nodes whose children are being sized: meeting one again is a cycle
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        children = yaml_children(node)
        if children_done:
            open_nodes.discard(id(node))
            values = 1 + sum(sizes[id(child)][0] for child in children)
            chars = len(node.value) if isinstance(node, yaml.ScalarNode) else sum(sizes[id(c)][1] for c in children)
            if values > MAX_EXPANDED_VALUES or chars > MAX_EXPANDED_CHARS:
                raise ValueError(
                    f"front matter stands for more than {MAX_EXPANDED_VALUES:,} values or {MAX_EXPANDED_CHARS:,} "
                    "characters once its YAML aliases are expanded"
                )
            sizes[id(node)] = (values, chars)
        elif id(node) in open_nodes:
            raise ValueError("front matter refers to itself (a YAML alias inside its own anchor)")
        elif id(node) not in sizes:
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children)


def yaml_children(node: yaml.Node) -> list[yaml.Node]:
    """The nodes a YAML node holds (a mapping's keys and values)."""
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_field_sizes(fields: dict[str, Any]) -> None:
    """Raise ValueError when a normalised field is longer than its bound (a title, a tag list)."""
    for name, limit in MAX_TEXT_CHARS.items():
        value = fields.get(name)
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f"{name} is {len(value):,} characters long; at most {limit:,} are indexed")
    for name in ("tags", "categories", "keywords", "authors"):
        values = fields.get(name, ())
        if len(values) > MAX_LIST_VALUES:
            raise ValueError(f"{name} holds {len(values):,} values; at most {MAX_LIST_VALUES} are indexed")
        longest = max(values, key=len, default="")
        if len(longest) > MAX_LIST_VALUE_CHARS:
            raise ValueError(f"a value of {name} is {len(longest):,} characters long; at most {MAX_LIST_VALUE_CHARS} are indexed")


class TOMLHandler(BaseHandler):
    """TOML front matter between +++ lines, parsed with the standard library."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


@dataclass(frozen=True)
class Post:
    """One Markdown post with its front matter normalised."""

    path: Path
    relpath: str
    title: str
    body: str
    url: str
    date: datetime | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    description: str = ""
    lang: str = ""
    draft: bool = False
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)
    warnings: tuple[str, ...] = ()  # front matter that was ignored, each said so that it can be fixed


# --- value converters: each takes a raw front matter value and returns a normalised one ---


def as_text(value: Any) -> str:
    """A scalar as a stripped string; lists are joined with commas."""
    if isinstance(value, (list, tuple)):
        return ", ".join(as_text(v) for v in value)
    return "" if value is None else str(value).strip()


def as_list(value: Any) -> tuple[str, ...]:
    """A list, or a string split at commas (or spaces when it has no commas)."""
    if value is None:
        return ()
    if isinstance(value, str):
        parts = value.split(",") if "," in value else value.split()
    elif isinstance(value, (list, tuple, set)):
        parts = [as_text(v) for v in value]
    elif isinstance(value, dict):
        parts = [as_text(v) for v in value.values()]
    else:
        parts = [str(value)]
    return tuple(p.strip() for p in parts if p and p.strip())


def as_names(value: Any) -> tuple[str, ...]:
    """People: a string is one name, a list is several."""
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    return as_list(value)


def as_bool(value: Any) -> bool:
    """YAML-ish truthiness: true/yes/on/1 are true."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "on", "1"}
    return bool(value)


def as_not_bool(value: Any) -> bool:
    """The negation of as_bool, for `published: false`."""
    return not as_bool(value)


# Front matter key -> (Post field, converter). Earlier keys win for scalar fields; lists merge.
FIELD_TABLE: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("title", "title", as_text),
    ("date", "date", as_datetime),
    ("updated", "updated", as_datetime),
    ("lastmod", "updated", as_datetime),
    ("last_modified_at", "updated", as_datetime),
    ("author", "authors", as_names),
    ("authors", "authors", as_names),
    ("tags", "tags", as_list),
    ("categories", "categories", as_list),
    ("category", "categories", as_list),
    ("keywords", "keywords", as_list),
    ("description", "description", as_text),
    ("summary", "description", as_text),
    ("lang", "lang", as_text),
    ("language", "lang", as_text),
    ("draft", "draft", as_bool),
    ("published", "draft", as_not_bool),
    ("permalink", "url", as_text),
    ("url", "url", as_text),
    ("path", "url", as_text),
    ("slug", "slug", as_text),
)
KNOWN_KEYS = {key for key, _, _ in FIELD_TABLE}


DATE_HELP = "write it as 2024-05-17 or 2024-05-17 10:30:00 +0200"


def normalise_front_matter(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split raw front matter into normalised fields and the remaining metadata; fields["warnings"] lists the
    values that could not be read (a date that is not a date)."""
    lowered = {str(k).lower(): v for k, v in raw.items()}
    fields: dict[str, Any] = {}
    warnings: list[str] = []
    for key, target, convert in FIELD_TABLE:
        if key not in lowered:
            continue
        value = convert(lowered[key])
        if convert is as_datetime and value is None and lowered[key] not in (None, ""):
            warnings.append(f"{key}: {str(lowered[key])[:60]!r} is not a date ({DATE_HELP}); the post is indexed without it.")
        if isinstance(value, tuple):
            fields[target] = tuple(dict.fromkeys(fields.get(target, ()) + value))
        elif target not in fields and value not in (None, ""):
            fields[target] = value
    metadata = {k: v for k, v in raw.items() if str(k).lower() not in KNOWN_KEYS}
    if warnings:
        fields["warnings"] = tuple(warnings)
    return fields, metadata


# --- reading ---


def choose_handler(text: str) -> BaseHandler | None:
    """The front matter handler for the text's first line, or None when it has none."""
    first_line = text.split("\n", 1)[0].rstrip()
    if re.fullmatch(r"-{3,}", first_line):
        return BoundedYAMLHandler()
    if re.fullmatch(r"\+{3,}", first_line):
        return TOMLHandler()
    if first_line.startswith("{"):
        return JSONHandler()
    return None


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Front matter as a dict and the body; raises ValueError with the parser's message."""
    handler = choose_handler(text)
    if handler is None:
        return {}, text
    boundary = handler.FM_BOUNDARY
    if boundary is None or len(boundary.findall(text, 0)) < 2:
        if isinstance(handler, JSONHandler):
            raise ValueError("JSON front matter must open with a line holding only { and close with a line holding only }")
        raise ValueError(f"front matter opened with {handler.START_DELIMITER} is never closed")
    front, body = handler.split(text)
    raw = handler.load(front)
    if raw is None:  # nothing between the delimiters
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError(f"front matter is a {type(raw).__name__}, not a mapping of keys to values")
    return raw, body


def decode(data: bytes) -> str:
    """UTF-8 text without BOM and with \\n line ends; names the line of a bad byte."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValueError(f"not valid UTF-8 at line {line} (byte 0x{data[error.start]:02x})") from error
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_post(
    path: Path, root: Path, settings: Settings = Settings(), data: bytes | None = None, site: Site | None = None  # noqa: B008 (frozen)
) -> Post:
    """Read (or take the bytes already read of) one Markdown file and normalise it, its URL made by the site's
    rules (a plain folder's by default); raises PostError."""
    try:
        text = decode(path.read_bytes() if data is None else data)
        raw, body = split_front_matter(text)
        has_front_matter = choose_handler(text) is not None
    except OSError as error:
        raise PostError(path, error.strerror or str(error)) from error
    except Exception as error:  # parsers raise many types; each message names the line
        raise PostError(path, f"{type(error).__name__}: {error}".strip()) from error
    relpath = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    try:
        site = site or PlainSite(str(root), url_pattern=settings.url_pattern)
        return build_post(path, relpath, raw, body, settings, Page(relpath, {}, raw, has_front_matter), site)
    except (ValueError, RecursionError) as error:
        raise PostError(path, f"{type(error).__name__}: {error}") from error


def build_post(
    path: Path, relpath: str, raw: dict[str, Any], body: str, settings: Settings, page: Page, site: Site
) -> Post:
    """A Post from parsed front matter and body; a file the site makes no page of gets the url ''."""
    fields, metadata = normalise_front_matter(raw)
    check_field_sizes(fields)
    slug = fields.pop("slug", "") or slug_from_path(relpath)
    fields.setdefault("date", date_from_path(relpath, fields.get("url", "")))
    fields.setdefault("title", first_h1(body) or readable_name(slug))
    for name in ("title", "description"):  # "Entities &amp; raw" is shown as "Entities & raw" by every generator
        if "&" in fields.get(name, ""):
            fields[name] = html.unescape(fields[name])
    fields["url"] = site.url(replace(page, fields={**fields, "slug": slug})) or ""
    check_url(fields["url"])
    if "/_drafts/" in f"/{relpath}":
        fields["draft"] = True
    fields.setdefault("lang", settings.lang)
    return Post(path=path, relpath=relpath, body=body, metadata=json_safe(metadata), **fields)


def check_url(url: str) -> None:
    """Raise ValueError for a post URL that a browser could take off the site: one holding a control character
    (browsers drop tabs and line breaks, so "/\t/evil.example" is "//evil.example"), starting "//" or "/\\"
    (another host), or with a scheme other than http(s) (javascript:, data:)."""
    if any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in url):
        raise ValueError(f"the post's URL {url[:80]!r} holds a control character (a tab, a line break)")
    if url.startswith(("//", "/\\", "\\")):
        raise ValueError(f"the post's URL {url[:80]!r} would lead to another site: start it with a single /")
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
    if scheme and scheme[1].lower() not in ("http", "https"):
        raise ValueError(f"the post's URL {url[:80]!r} is not a page address: use a path such as /blog/post/")


def slug_from_path(relpath: str) -> str:
    """The slug a static site generator derives from the file name."""
    pure = PurePosixPath(relpath)
    stem = pure.stem
    if stem in {"index", "_index", "README", "readme"} and pure.parent.name:
        stem = pure.parent.name
    return JEKYLL_DATE_PREFIX.sub("", stem)


def date_from_path(relpath: str, url: str) -> datetime | None:
    """A date from a Jekyll YYYY-MM-DD- file name, or a /YYYY/MM/DD/ url or folder."""
    name = PurePosixPath(relpath).name
    match = JEKYLL_DATE_PREFIX.match(name) or PATH_DATE.search(url) or PATH_DATE.search(relpath)
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def first_h1(body: str) -> str:
    """The text of the body's first level-1 heading (# Title, or Title underlined with =), or ''; line by line,
    in linear time (a regex over the body took 5.8 s on "# a", 2,000 spaces and "b")."""
    previous = ""
    for line in body.split("\n"):
        if line[:1] == "#" and line[1:2] in (" ", "\t") and line[1:].strip(" \t#"):
            return without_attributes(closing_hashes_removed(line[1:].strip()))
        if previous[:1].strip() and line[:1] == "=" and not line.strip().strip("="):
            return without_attributes(previous.strip())
        previous = line
    return ""


def closing_hashes_removed(text: str) -> str:
    """A heading's text without the #s that close it."""
    return text.rstrip("#").rstrip() or text


def without_attributes(text: str) -> str:
    """A heading's text without a trailing {#id .class} attribute list."""
    start = text.rfind("{")
    if start >= 0 and text[start + 1 : start + 2] in ("#", ".") and text.endswith("}") and "}" not in text[start:-1]:
        return text[:start].rstrip()
    return text


def readable_name(slug: str) -> str:
    """A file name turned into a title: dashes and underscores become spaces."""
    words = re.sub(r"[-_]+", " ", slug).strip()
    return words[:1].upper() + words[1:] if words else slug


MAX_FRONT_MATTER_VALUES = 100_000  # a YAML alias "bomb" of 1 KB stands for a billion values


def json_safe(value: Any, budget: list[int] | None = None) -> Any:
    """Front matter values converted to what JSON can hold (dates become ISO strings); ValueError when they hold
    more than MAX_FRONT_MATTER_VALUES values (YAML aliases repeat a value without repeating its text)."""
    budget = [MAX_FRONT_MATTER_VALUES] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError(f"front matter holds more than {MAX_FRONT_MATTER_VALUES:,} values (YAML aliases repeating a value?)")
    if isinstance(value, dict):
        return {str(k): json_safe(v, budget) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v, budget) for v in value]
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.loads(json.dumps(value, default=str))
