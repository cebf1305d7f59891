"""Site generators: which one built a site, and how it turns a post into a URL and a heading into an id.

Each generator's rules live in a module of their own (jekyll, hugo, mkdocs, zola, eleventy, plain) as a Site
subclass; detect_site() picks the one whose config file the site root holds."""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..errors import SettingsError
from .base import Page, Site
from .eleventy import EleventySite
from .hugo import HugoSite
from .jekyll import JekyllSite
from .mkdocs import MkDocsSite
from .plain import PlainSite
from .zola import ZolaSite

# In the order they are tried: a Hugo or Zola site may also hold an mkdocs.yml or _config.yml of a tool
GENERATORS: dict[str, type[Site]] = {
    "jekyll": JekyllSite,
    "hugo": HugoSite,
    "zola": ZolaSite,
    "mkdocs": MkDocsSite,
    "eleventy": EleventySite,
    "plain": PlainSite,
}

__all__ = ["GENERATORS", "Page", "Site", "detect_site", "open_site", "site_for"]


def detect_site(root: Path) -> str:
    """The name of the generator whose config file is in root ('plain' when none is)."""
    for name, kind in GENERATORS.items():
        if kind.config_file(Path(root)) is not None:
            return name
    return "plain"


def site_for(root: Path, settings: Settings) -> Site:
    """The site at root as the settings describe it."""
    return open_site(root, settings.generator, settings.url_pattern, settings.anchors, settings.base_url)


def open_site(root: Path, generator: str = "", url_pattern: str = "", anchors: str = "", base_url: str = "") -> Site:
    """The site at root, by the named generator or the one detected; its config file read now."""
    name = generator or detect_site(root)
    if name not in GENERATORS:
        raise SettingsError(f"Unknown generator {name!r}: use one of {', '.join(GENERATORS)}.")
    if name != "plain" and GENERATORS[name].config_file(Path(root)) is None:
        names = " or ".join(GENERATORS[name].config_names[:3])
        raise SettingsError(f"{root} is not a {GENERATORS[name].label} site: it has no {names}.")
    return GENERATORS[name].load(Path(root), url_pattern=url_pattern, anchors=anchors, base_url=base_url)
