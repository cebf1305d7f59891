"""The report behind `postsearch config`: each setting an index run would use, its value and where it comes from
(the command line, the environment, the config file, the index, the site's generator or the default)."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from .config import CONFIG_FILE, INDEX_ENV, POSTS_ENV, ConfigFile, Settings, resolve_settings
from .index_format.schema import FIELD_BOOSTS
from .manifest import load_manifest_settings, recorded_posts_dir
from .sites import site_for


def setting_sources(stored: Settings | None, config: ConfigFile, **overrides: Any) -> dict[str, str]:
    """Where each setting's effective value comes from."""
    sources = {}
    for item in fields(Settings):
        if overrides.get(item.name) is not None:
            sources[item.name] = "command line"
        elif item.name in config.values:
            sources[item.name] = config.name
        elif stored is not None and not config.path and getattr(stored, item.name) != item.default:
            sources[item.name] = "the index (as it was built)"
        else:
            sources[item.name] = "default"
    return sources


def folder_source(explicit: Any, env_name: str, config: ConfigFile, key: str, recorded: str | None = None) -> str:
    """Where a folder setting (posts, index) comes from."""
    if explicit:
        return "command line"
    if os.environ.get(env_name):
        return f"environment ({env_name})"
    if key in config.values:
        return config.name
    return "the index (as it was built)" if recorded else "default"


def effective_settings(
    config: ConfigFile, posts_dir: Path, index_dir: Path, posts_arg: Any, index_arg: Any, **overrides: Any
) -> list[tuple[str, Any, str]]:
    """(name, value, where it comes from) of each setting an index run would use, folders first."""
    stored = load_manifest_settings(index_dir)
    settings = resolve_settings(stored, config, **overrides)
    sources = setting_sources(stored, config, **overrides)
    rows: list[tuple[str, Any, str]] = [
        ("posts", str(posts_dir), folder_source(posts_arg, POSTS_ENV, config, "posts", recorded_posts_dir(index_dir))),
        ("index", str(index_dir), folder_source(index_arg, INDEX_ENV, config, "index")),
        ("config_file", config.name or "none", "found" if config.path else f"no {CONFIG_FILE} or [tool.postsearch]"),
    ]
    shown = [item.name for item in fields(Settings) if item.name != "site"]
    rows += [(name, getattr(settings, name), sources[name]) for name in shown]
    rows = [(name, {**FIELD_BOOSTS, **value} if name == "weights" else value, source) for name, value, source in rows]
    return rows if not posts_dir.is_dir() else [site_row(row, posts_dir, settings) for row in rows]


def site_row(row: tuple[str, Any, str], posts_dir: Path, settings: Settings) -> tuple[str, Any, str]:
    """A row of effective_settings with the generator's own value where the setting leaves it to the generator."""
    name, value, source = row
    if value or name not in ("generator", "base_url", "anchors"):
        return row
    site = site_for(posts_dir, settings)
    found = f"the {site.label} config {site.config}" if site.config else "no site config found"
    if name == "generator":
        return name, site.name, f"detected: {found}"
    if name == "base_url":
        return name, site.base_path or "/", found if site.base_path else "default"
    return name, "the generator's", "default"


def settings_in_effect(stored: dict[str, Any]) -> list[tuple[str, Any]]:
    """An index's stored settings as `postsearch config` shows them: the field weights with their defaults, the
    generator the run found and the anchors left to it said so, not as empty values."""
    settings = Settings.from_dict(stored)
    generator = settings.generator or settings.site.split(":", 1)[0] or "plain"
    shown: list[tuple[str, Any]] = []
    for item in fields(Settings):
        value = getattr(settings, item.name)
        if item.name == "site":
            continue
        if item.name == "weights":
            value = {**FIELD_BOOSTS, **value}
        elif item.name == "generator":
            value = generator
        elif item.name == "anchors" and not value:
            value = f"the generator's ({generator})"
        shown.append((item.name, value))
    return shown
