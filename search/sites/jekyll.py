"""Jekyll's rules (4.x): permalinks from _config.yml and front matter, categories, collections, kramdown's ids."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .base import Page, Site, dash_suffix, identity, kramdown_id, read_config, site_options, table

# Jekyll's built-in permalink styles (Jekyll::Utils#permalink_style)
STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
DATE_NAME = re.compile(r"^(\d{2,4}-\d{1,2}-\d{1,2})-(.*)$")
PLACEHOLDER = re.compile(r":([a-z_]+)")
SKIPPED_PREFIXES = ("_", ".", "#", "~")
DEFAULT_EXCLUDES = ("node_modules/", "vendor/", "Gemfile", "gemfiles/", "_site/", ".jekyll-cache/", ".sass-cache/")
# kramdown's GFM parser makes ids from the heading's text after its typographic conversions; these turn into
# characters the id drops (– — … « »)
TYPOGRAPHY = re.compile(r"---|--|\.\.\.|<<|>>")


@dataclass(frozen=True)
class JekyllSite(Site):
    """A Jekyll site: _posts and _drafts, pages with front matter, and collections with output: true."""

    label = "Jekyll"
    config_names = ("_config.yml", "_config.yaml", "_config.toml")

    permalink: str = STYLES["date"]
    collections: tuple[tuple[str, str], ...] = ()  # (label, permalink) of each collection with output: true
    excluded: tuple[str, ...] = DEFAULT_EXCLUDES
    gfm_ids: bool = True  # kramdown's GFM input (Jekyll's default); False: kramdown's own ids
    transliterated: bool = False
    future: bool = False  # Jekyll's `future`: build posts dated later than now
    timezone: str = ""  # Jekyll's `timezone` (IANA name); '' : the machine's, as a build here would use

    @classmethod
    def load(cls, root: Path, **options: str) -> JekyllSite:
        path = cls.config_file(root)
        config = read_config(path) if path else {}
        kramdown = table(config, "kramdown")
        permalink = str(config.get("permalink") or "date")
        excluded = tuple(str(item) for item in config.get("exclude") or ()) + DEFAULT_EXCLUDES
        return cls(
            str(root),
            **identity(root, path),
            permalink=STYLES.get(permalink, permalink),
            collections=output_collections(config.get("collections"), permalink),
            excluded=excluded,
            gfm_ids=str(kramdown.get("input", "GFM")).lower() == "gfm",
            transliterated=bool(kramdown.get("transliterated_header_ids", False)),
            future=bool(config.get("future", False)),
            timezone=str(config.get("timezone") or ""),
            **site_options(options, str(config.get("baseurl") or "")),
        )

    def skip_folder(self, relpath: str) -> bool:
        top = relpath.split("/", 1)[0]
        if top in ("_posts", "_drafts") or relpath.startswith(self.collection_folders):
            return False
        return top.startswith(SKIPPED_PREFIXES) or relpath.startswith(self.excluded)

    @property
    def collection_folders(self) -> tuple[str, ...]:
        return tuple(f"_{label}/" for label, _ in self.collections)

    def includes(self, relpath: str) -> bool:
        parts = relpath.split("/")
        if relpath.startswith(self.excluded) or parts[-1].startswith(SKIPPED_PREFIXES):
            return False
        if "_posts" in parts or "_drafts" in parts or relpath.startswith(self.collection_folders):
            return True
        return not any(part.startswith(SKIPPED_PREFIXES) for part in parts)

    def url(self, page: Page) -> str | None:
        if not page.has_front_matter:  # Jekyll copies such a file as it is
            return None
        parts = page.relpath.split("/")
        if "_posts" in parts or "_drafts" in parts:
            path = self.post_url(page, parts)
            if path is None:
                return None
        elif parts[0].startswith("_"):
            template = dict(self.collections).get(parts[0][1:])
            if template is None:
                return None
            path = self.fill(page.front("permalink") or template, self.document_values(page, parts[0][1:], parts[1:]))
        else:
            path = self.page_url(page)
        return self.with_base(path)

    def post_url(self, page: Page, parts: list[str]) -> str | None:
        folder = "_posts" if "_posts" in parts else "_drafts"
        if folder == "_posts" and not DATE_NAME.match(parts[-1]):
            return None  # Jekyll reads only YYYY-MM-DD-title files in _posts
        if page.date and page.date.replace(tzinfo=None) > datetime.now() and not self.future:
            return None  # built only once its date has come (future: true builds it now)
        categories = post_categories(page, parts[: parts.index(folder)])
        values = self.document_values(page, "posts", parts[parts.index(folder) + 1 :])
        values["categories"] = "/".join(str(c).lower() for c in categories)
        return self.fill(str(page.front("permalink") or self.permalink), values)

    def document_values(self, page: Page, collection: str, inner: list[str]) -> dict[str, str]:
        """The placeholders of a document in a collection (posts included)."""
        when = self.site_time(page.date or datetime(1970, 1, 1))
        name = PurePosixPath(inner[-1]).stem if inner else page.stem
        match = DATE_NAME.match(name)
        base = match[2] if match and collection == "posts" else name
        slug_source = str(page.front("slug") or base)
        return {
            "collection": collection,
            "path": "/".join([*inner[:-1], name]),
            "name": slugify(base),
            "title": slugify(slug_source, "pretty", cased=True),
            "slug": slugify(slug_source),
            "year": f"{when:%Y}", "month": f"{when:%m}", "day": f"{when:%d}",
            "i_month": str(when.month), "i_day": str(when.day), "short_year": f"{when:%y}",
            "y_day": f"{when:%j}", "week": f"{when:%V}", "short_day": f"{when:%a}", "long_day": f"{when:%A}",
            "short_month": f"{when:%b}", "long_month": f"{when:%B}",
            "hour": f"{when:%H}", "minute": f"{when:%M}", "second": f"{when:%S}",
            "output_ext": ".html", "categories": "",
        }

    def site_time(self, when: datetime) -> datetime:
        """A date with a UTC offset (2016-04-26 17:40:44 -0700) as the site's clock shows it: Jekyll builds URLs
        from the time in its timezone, so that post's URL is dated the 27th on a site in UTC."""
        if when.tzinfo is None:
            return when
        try:
            return when.astimezone(ZoneInfo(self.timezone)) if self.timezone else when.astimezone()
        except (ZoneInfoNotFoundError, ValueError):
            return when.astimezone()

    def page_url(self, page: Page) -> str:
        """A page outside _posts: its permalink, else its path (index.md is its folder's page)."""
        pure = PurePosixPath(page.relpath)
        folder = "" if str(pure.parent) == "." else pure.parent.as_posix()
        pretty = self.permalink.endswith("/")
        values = {"path": folder, "basename": pure.stem, "output_ext": ".html", "name": slugify(pure.stem)}
        if page.front("permalink"):
            return self.fill(str(page.front("permalink")), values)
        if pure.stem == "index":
            return f"/{folder}/" if folder else "/"
        return self.fill("/:path/:basename/" if pretty else "/:path/:basename:output_ext", values)

    @staticmethod
    def fill(template: str, values: dict[str, str]) -> str:
        """A permalink template with its placeholders filled (an unknown one is left as written)."""
        url = PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), template)
        url = re.sub(r"/{2,}", "/", "/" + url)
        return url

    def heading_id(self, text: str, source: str, used: set[str]) -> str:
        if self.anchors:
            return super().heading_id(text, source, used)
        if self.transliterated:
            text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        text = TYPOGRAPHY.sub("\u2013", text)
        if not self.gfm_ids:
            return kramdown_id(text, source, used)
        slug = re.sub(r"[^\w\- \t]", "", text.lower()).replace(" ", "-").replace("\t", "-")
        return dash_suffix(slug, used) if slug else ""


def post_categories(page: Page, folders: list[str]) -> list[str]:
    """A post's categories in Jekyll's order: the folders above _posts, front matter `categories` (a string split
    at spaces), then `category` (one category, spaces and all)."""
    plural = page.front("categories")
    plural = plural.split() if isinstance(plural, str) else [str(c) for c in plural or () if c is not None]
    singular = page.front("category")
    extra = [str(singular)] if singular not in (None, "") else plural
    return list(dict.fromkeys([*folders, *plural, *extra]))


def output_collections(collections: Any, permalink: str) -> tuple[tuple[str, str], ...]:
    """(label, permalink template) of each collection Jekyll writes pages for."""
    if isinstance(collections, list):
        collections = {str(label): {} for label in collections}
    if not isinstance(collections, dict):
        return ()
    found = []
    for label, options in collections.items():
        options = options if isinstance(options, dict) else {}
        if label != "posts" and options.get("output"):
            found.append((str(label), str(options.get("permalink") or "/:collection/:path:output_ext")))
    return tuple(found)


PRETTY_KEPT = set("._~!$&'()+,;=@")


def slugify(text: str, mode: str = "default", cased: bool = False) -> str:
    """Jekyll::Utils.slugify: each run of characters that are not letters, marks or digits (in 'pretty' mode,
    nor ._~!$&'()+,;=@) becomes one '-', trimmed at both ends."""
    kept = [ch if kept_in_slug(ch, mode) else "-" for ch in text]
    slug = re.sub(r"-{2,}", "-", "".join(kept)).strip("-")
    return slug if cased else slug.lower()


def kept_in_slug(ch: str, mode: str) -> bool:
    if ch == "-":
        return False  # joined into the run it belongs to
    category = unicodedata.category(ch)
    return category[0] in "LM" or category == "Nd" or (mode == "pretty" and ch in PRETTY_KEPT)
