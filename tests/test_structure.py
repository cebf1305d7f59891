"""The code's shape, checked with the tests: ruff and mypy clean (their settings in pyproject.toml), and no
import circle among the package's modules and no import up a floor (bench/modules.py's FLOORS), counting imports
made inside functions and for type checking only."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

from bench.modules import FLOORS, circles, floor_of, import_graph

PACKAGE = REPO / "search"


def test_ruff_finds_nothing():
    checked = subprocess.run([sys.executable, "-m", "ruff", "check", "search", "tests", "bench"], cwd=REPO, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_mypy_finds_nothing():
    checked = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_no_module_imports_one_that_imports_it_back():
    graph = import_graph(PACKAGE)
    assert len(graph) > 30 and graph["search.query"]  # the walk sees the package and its imports
    loops = circles(graph)
    assert not loops, " ; ".join(" -> ".join(loop) for loop in loops)


def test_every_module_imports_only_from_its_floor_or_below():
    graph, floors = import_graph(PACKAGE), floor_of()
    assert sorted(graph) == sorted(floors), "a module missing from FLOORS (or gone): place it on its floor"
    upward = [
        f"{module} ({list(FLOORS)[floors[module]]}) imports {imported} ({list(FLOORS)[floors[imported]]})"
        for module in sorted(graph)
        for imported in sorted(graph[module])
        if floors[imported] > floors[module]
    ]
    assert not upward, "; ".join(upward)


def test_each_setting_declared_once_reaches_the_file_check_the_flags_config_and_stats(tmp_path):
    """Settings are declared once (config.Settings, with setting()); the config file's types, the command-line
    flags, `postsearch config` and `postsearch stats` all follow from the declaration, and the names a setting
    may take are the sites' own."""
    import json

    from click.testing import CliRunner

    from search.cli import main
    from search.config import ANCHOR_STYLES, GENERATOR_NAMES, SETTING_TYPES, SETTINGS
    from search.sites import GENERATORS
    from search.sites.base import ANCHOR_STYLES as ANCHOR_FUNCTIONS

    runner = CliRunner()
    index_help = runner.invoke(main, ["index", "--help"]).output
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "a.md").write_text("---\ntitle: A\n---\nbody\n")
    assert runner.invoke(main, ["index", str(tmp_path / "posts"), "--index", str(tmp_path / "index")]).exit_code == 0
    config_rows = json.loads(runner.invoke(main, ["config", str(tmp_path / "posts"), "--index", str(tmp_path / "index"), "--json"]).output)
    stats = runner.invoke(main, ["stats", "--index", str(tmp_path / "index")]).output
    for item in SETTINGS:
        if item.name == "site":  # set by the index run, never by users
            continue
        assert item.name in SETTING_TYPES and f"{item.name}=" in stats and item.name in json.dumps(config_rows)
        if item.metadata["option"]:
            assert item.metadata["option"] in index_help
    assert set(GENERATOR_NAMES) == set(GENERATORS) and set(ANCHOR_STYLES) == set(ANCHOR_FUNCTIONS)
