"""The `postsearch` command: index, query and stats, a thin layer over the library."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import (
    DEFAULT_INDEX,
    DEFAULT_POSTS,
    INDEX_ENV,
    POSTS_ENV,
    SETTINGS,
    SORTS,
    ConfigFile,
    load_config_file,
    resolve_index_dir,
    resolve_posts_dir,
    value_kind,
)
from .errors import PostsearchError, shown
from .snippets import printable


class LibraryError(click.ClickException):
    """A library error as one `Error:` line, with the error's own exit code."""

    def __init__(self, error: PostsearchError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code  # type: ignore[misc]  # click reads it from the instance too


class Group(click.Group):
    """Turns library errors into one `Error:` line and the error's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PostsearchError as error:
            raise LibraryError(error) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="postsearch")
def main() -> None:
    """Full-text search for a folder of Markdown posts."""


def folder_option(flag: str, name: str, help_text: str) -> Callable:
    """A folder option; the library resolves it when absent (search.config)."""
    return click.option(flag, name, type=click.Path(file_okay=False, path_type=Path), help=help_text)


index_option = folder_option("--index", "index_dir", f"Index folder (default: env {INDEX_ENV}, else ./{DEFAULT_INDEX}).")


def json_option(command: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")(command)


def folders(posts_arg: Path | None, index_arg: Path | None) -> tuple[ConfigFile, Path, Path]:
    """The config file (in the posts folder given, else here) and the posts and index folders it all resolves to."""
    from .manifest import recorded_posts_dir

    config = load_config_file(posts_arg or Path.cwd())
    index_dir = resolve_index_dir(index_arg, config=config)
    posts_dir = resolve_posts_dir(posts_arg, recorded_posts_dir(index_dir), config=config)
    if posts_dir == Path(DEFAULT_POSTS) and not posts_dir.exists() and in_site_root():
        posts_dir = Path(".")  # `postsearch index` in a Jekyll, Hugo, ... site's root indexes that site
    return config, posts_dir, index_dir


def in_site_root() -> bool:
    """Whether the current folder holds a site generator's config file."""
    from .sites import detect_site

    return detect_site(Path.cwd()) != "plain"


def setting_options(command: Callable) -> Callable:
    """The options that override the config file's and the index's settings: one for each setting declared with a
    flag (config.Settings), in the order declared."""
    for item in reversed([item for item in SETTINGS if item.metadata["option"]]):
        command = setting_option(item)(command)
    return command


def setting_option(item: Any) -> Callable:
    """The click option of a setting: --x/--no-x for true or false, repeatable for a list, a choice for names."""
    flag, kind, help_text = item.metadata["option"], value_kind(item), item.metadata["help"]
    if kind is bool:
        return click.option(f"{flag}/--no-{flag[2:]}", item.name, default=None, help=help_text)
    if kind is tuple:
        return click.option(flag, item.name, multiple=True, help=help_text)
    choices = item.metadata["choices"]
    return click.option(flag, item.name, type=click.Choice(choices) if choices else None, help=help_text)


def setting_overrides(**values: Any) -> dict[str, Any]:
    """Command-line settings that were given (repeatable options: when given at least once)."""
    return {key: (tuple(value) if isinstance(value, tuple) else value) for key, value in values.items() if value not in (None, ())}


@main.command("index")
@click.argument("posts_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Re-read every post instead of only the changed ones.")
@json_option
@setting_options
@click.option("--strict", is_flag=True, help="Exit with code 3 when a post could not be read (for a site's CI).")
@click.option("--allow-mass-delete", is_flag=True, help="Delete the posts that are gone even when they are most of them.")
@click.option("--wait", type=click.FloatRange(min=0), default=0, show_default=True, help="Seconds to wait for another run writing the index.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="Processes that read posts at once (default: one per core, at most 4).",
)
@click.option("--watch", is_flag=True, help="Then index again each time a post is saved, added, renamed or deleted (Ctrl-C stops).")
def index_command(
    posts_dir: Path | None,
    index_dir: Path | None,
    rebuild: bool,
    as_json: bool,
    strict: bool,
    allow_mass_delete: bool,
    wait: float,
    jobs: int | None,
    watch: bool,
    **settings: Any,
) -> None:
    """Index the site or folder of Markdown posts in POSTS_DIR. A Jekyll, Hugo, MkDocs, Zola or Eleventy site is
    found by its config file, and its URLs and heading ids made as that generator makes them. Without POSTS_DIR:
    env POSTSEARCH_POSTS, else postsearch.toml's `posts`, else the folder the index was built from, else ./posts
    (in a site's root without a posts folder: the site).
    Only changed posts are read again; a run that would delete most of the posts indexed stops unless
    --allow-mass-delete. Exits 3 under --strict when a post could not be read."""
    from .indexer import build_index

    config, posts_dir, index_dir = folders(posts_dir, index_dir)

    def run(rebuild: bool, wait: float) -> Any:
        return build_index(
            posts_dir,
            index_dir,
            rebuild=rebuild,
            progress_start=progress_bar if sys.stderr.isatty() and not as_json else None,
            workers=jobs,
            allow_mass_delete=allow_mass_delete,
            wait=wait,
            config=config,
            **setting_overrides(**settings),
        )

    summary = run(rebuild, wait)
    report(summary, posts_dir, index_dir, as_json)
    if watch:
        watch_posts(posts_dir, index_dir, lambda: report(run(False, 10.0), posts_dir, index_dir, as_json))
        return
    if summary.failed and not (summary.added or summary.updated or summary.unchanged):
        sys.exit(1)
    if summary.failed and strict:
        sys.exit(3)


def report(summary: Any, posts_dir: Path, index_dir: Path, as_json: bool) -> None:
    """An index run's summary, as JSON or as lines for a person."""
    if as_json:
        click.echo(dump_json(summary.to_dict()))
    else:
        report_summary(summary, posts_dir, index_dir)


def watch_posts(posts_dir: Path, index_dir: Path, reindex: Callable[[], None]) -> None:
    """Call reindex after each burst of changes to the posts folder (not the index inside it) until Ctrl-C."""
    from .watching import watch_changes

    click.echo(f"Watching {posts_dir} for changes (Ctrl-C stops).", err=True)
    try:
        for _ in watch_changes(posts_dir, index_dir):
            try:
                reindex()
            except PostsearchError as error:  # a bad moment (a half-saved config): said, and the watch goes on
                click.echo(f"Error: {printable(str(error))}", err=True)
    except KeyboardInterrupt:
        pass
    click.echo("Stopped watching.", err=True)


def dump_json(data: Any) -> str:
    """One JSON object: indented for a person at a terminal, on one line for a program reading a pipe."""
    return json.dumps(data, ensure_ascii=False, indent=2 if sys.stdout.isatty() else None)


def readable_size(size: int) -> str:
    """Bytes as KB below a megabyte, else MB."""
    return f"{size / 1024:.0f} KB" if size < 1_048_576 else f"{size / 1_048_576:.1f} MB"


def progress_bar(total: int) -> Callable[[int], None]:
    """A progress bar on stderr; returns the callback that advances it."""
    bar = click.progressbar(length=total, label="Indexing", file=sys.stderr)
    bar.__enter__()
    done = [0]

    def advance(count: int) -> None:
        bar.update(count)
        done[0] += count
        if done[0] >= total:
            bar.__exit__(None, None, None)

    return advance


def report_summary(summary: Any, posts_dir: Path, index_dir: Path) -> None:
    """One summary line, then each failure with its reason."""
    click.echo(f"Site: {summary.site}")
    for failure in summary.failed:
        click.echo(f"Skipped {failure.path}: {failure.error}", err=True)
    for warning in summary.warnings:
        click.echo(f"Warning: {warning.path}: {warning.error}", err=True)
    click.echo(
        f"Indexed {shown(posts_dir)} into {shown(index_dir)}: {summary.added} added, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {summary.deleted} deleted, {summary.skipped} skipped "
        f"({len(summary.failed)} failed); {summary.sections} sections."
    )


@main.command("query", context_settings={"ignore_unknown_options": True})
@click.argument("text", nargs=-1, required=True, type=click.UNPROCESSED)
@index_option
@folder_option("--posts", "posts_dir", f"Posts folder, indexed first when there is no index (default: env {POSTS_ENV}, else ./posts).")
@json_option
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True, help="Posts per page.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--recent", is_flag=True, help="Gently favour newer posts (up to 1.25x, halving every year).")
@click.option("--color/--no-color", default=None, help="Colour the matches (default: on a terminal, unless NO_COLOR).")
def query_command(
    text: tuple[str, ...],
    index_dir: Path | None,
    posts_dir: Path | None,
    as_json: bool,
    sort: str,
    limit: int,
    page: int,
    recent: bool,
    color: bool | None,
) -> None:
    """Search the index for TEXT. Exits 0 when posts were found, 1 when none, 2 for a bad query.

    \b
    borrow checker        posts with both words first, then those with some
    "exact phrase"        the words next to each other, in order
    -word, NOT word       posts without the word (postsearch query git -windows)
    rust OR go            either word; (a OR b) c groups
    title:, tag:, category:, author:, heading:   a word in that field
    date:2023, date:2023-05, date:[2021 to 2022]   posts dated in that range
    kube*                 words starting with kube
    """
    from .query import open_or_build

    query = " ".join(text)
    if not query.strip():
        raise click.UsageError("The query is empty: give at least one word.")
    notify = partial(click.echo, err=True)
    _, posts_dir, index_dir = folders(posts_dir, index_dir)
    with open_or_build(index_dir, posts_dir, notify) as searcher:
        results = searcher.search(query, page=page, per_page=limit, sort=sort, recent_boost=recent, facets=as_json)
    if as_json:
        click.echo(dump_json(results.to_dict()))
    else:
        print_results(results, use_color(color))
    if not results.hits:
        sys.exit(1)  # as grep: nothing found


def use_color(flag: bool | None) -> bool:
    """Colour when asked, else only on a terminal and when NO_COLOR is unset."""
    if flag is not None:
        return flag
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def print_results(results: Any, color: bool) -> None:
    """Results for a person at a terminal."""
    from .results import plural
    from .snippets import printable, to_ansi, to_plain

    render = to_ansi if color else to_plain
    plain_style = click.style if color else (lambda text, **_: text)

    def style(text: str, **styles: Any) -> str:
        return plain_style(printable(text), **styles)

    echo = partial(click.echo, color=color)
    if results.suggestion and results.corrected:
        echo(printable(f"No results for {results.query!r}; showing results for {results.suggestion!r}."))
    elif results.suggestion:
        echo(printable(f"Did you mean: {results.suggestion}?"))
    if not results.hits:
        echo("No matching posts." if results.total == 0 else f"No posts on page {results.page}.")
        return
    for number, hit in enumerate(results.hits, start=1):
        dated = f"  {hit.date[:10]}" if hit.date else ""
        echo(style(f"{number}. {hit.title}", bold=True) + style(dated, dim=True) + "  " + style(hit.url, fg="blue") + "  " + style(hit.path, dim=True))
        for section in hit.sections:
            label = " › ".join(section.heading_path[1:]) or "(intro)"
            echo(f"   {style(label, fg='cyan')}  {printable(section.url)}")
            if section.fragments:
                echo(f"      {render(section.fragments)}")
    echo(f"\nPage {results.page} of {results.pages}: {plural(results.total, 'matching post')}.")



@main.command("switch")
@click.argument("link", type=click.Path(path_type=Path))
@click.argument("build", type=click.Path(file_okay=False, exists=True, path_type=Path))
def switch_command(link: Path, build: Path) -> None:
    """Point LINK (what `serve --index LINK` reads) at the index folder BUILD, built elsewhere and copied here,
    with one atomic rename, once BUILD is checked whole. Servers answer from it at their next request."""
    from .deploy import switch

    manifest = switch(link, build)
    click.echo(f"{link} -> {build.resolve()} (build {manifest.build_id}, {manifest.posts} posts, {manifest.sections} sections)")


@main.command("stats")
@index_option
@json_option
def stats_command(index_dir: Path | None, as_json: bool) -> None:
    """Posts, sections, size and last build of the index."""
    from .query import open_index

    with open_index(folders(None, index_dir)[2]) as searcher:
        stats = searcher.stats()
    if as_json:
        click.echo(dump_json(stats.__dict__))
        return
    click.echo(f"Index:      {stats.index_dir}")
    click.echo(f"Posts from: {stats.posts_dir}")
    click.echo(f"Posts:      {stats.posts}")
    click.echo(f"Sections:   {stats.sections}")
    click.echo(f"Size:       {readable_size(stats.size_bytes)}")
    click.echo(f"Last build: {stats.built_at} (build {stats.build_id}, generation {stats.generation})")
    from .settings_report import settings_in_effect

    click.echo("Settings:   " + ", ".join(f"{name}={value}" for name, value in settings_in_effect(stats.settings)))


@main.command("serve")
@index_option
@folder_option("--posts", "posts_dir", f"Posts folder, indexed first when there is no index (default: env {POSTS_ENV}, else ./posts).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: one per core).")
@click.option("--cors-origin", "cors_origins", multiple=True, help="An origin whose pages may call the API (repeatable).")
def serve_command(
    index_dir: Path | None, posts_dir: Path | None, host: str, port: int, workers: int | None, cors_origins: tuple[str, ...]
) -> None:
    """Serve the search API and page over HTTP: /search, /suggest, /health and / (the search page). Without an
    index, the posts are indexed first."""
    from .query import open_or_build
    from .serving import serve

    _, posts_dir, index_dir = folders(posts_dir, index_dir)
    open_or_build(index_dir, posts_dir, partial(click.echo, err=True)).close()
    serve(index_dir, host, port, workers, cors_origins)


EMPTY = "''"  # how `postsearch config` shows an empty value


def readable_setting(value: Any) -> str:
    """A setting's value as `postsearch config` prints it."""
    if isinstance(value, dict):
        return ", ".join(f"{key}={weight}" for key, weight in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(value)
    return json.dumps(value) if isinstance(value, bool) else str(value)


@main.command("config")
@click.argument("posts_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@index_option
@json_option
@setting_options
def config_command(posts_dir: Path | None, index_dir: Path | None, as_json: bool, **settings: Any) -> None:
    """Print the settings an index run of POSTS_DIR would use, and where each comes from: the command line, the
    environment, postsearch.toml (or pyproject.toml's [tool.postsearch]), the index, or the defaults."""
    from .settings_report import effective_settings

    config, posts, index = folders(posts_dir, index_dir)
    rows = effective_settings(config, posts, index, posts_dir, index_dir, **setting_overrides(**settings))
    if as_json:
        click.echo(dump_json({name: {"value": value, "from": source} for name, value, source in rows}))
        return
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        shown = readable_setting(value)
        click.echo(f"{name.ljust(width)}  {printable(str(shown)) or EMPTY}  ({source})")


@main.command("check-links")
@click.argument("site_dir", type=click.Path(file_okay=False, path_type=Path))
@index_option
@json_option
def check_links_command(site_dir: Path, index_dir: Path | None, as_json: bool) -> None:
    """Check that every URL and #id the index links to exists in the built site in SITE_DIR (Jekyll's _site,
    Hugo's public, MkDocs' site, ...). Exits 1 when any is missing."""
    from . import open_index
    from .links import check_links
    from .results import plural
    from .sites import site_for

    index_dir = folders(None, index_dir)[2]
    with open_index(index_dir) as searcher:
        posts_dir, settings, links = Path(searcher.stats().posts_dir), searcher.settings(), searcher.links()
    base_path = site_for(posts_dir, settings).base_path if posts_dir.is_dir() else ""
    result = check_links(links, site_dir, base_path)
    if as_json:
        click.echo(dump_json(result.to_dict()))
    else:
        for link, reason in result.missing:
            click.echo(f"Missing: {printable(link.url)} ({printable(link.path)}): {printable(reason)}")
        found = result.checked - len(result.missing)
        click.echo(f"Checked {plural(result.checked, 'link')} on {plural(result.pages, 'page')} of {site_dir}: {found} resolve, {len(result.missing)} missing.")
    if result.missing:
        sys.exit(1)


if __name__ == "__main__":
    main()
