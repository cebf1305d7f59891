"""The code's shape, checked with the tests: ruff and mypy clean (their settings in pyproject.toml), and no
import circle among the package's modules, counting imports made inside functions and for type checking only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "search"


def test_ruff_finds_nothing():
    checked = subprocess.run([sys.executable, "-m", "ruff", "check", "search", "tests", "bench"], cwd=REPO, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_mypy_finds_nothing():
    checked = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def module_name(path: Path) -> str:
    parts = list(path.with_suffix("").relative_to(REPO).parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The package's modules a file imports, wherever the import stands (a function, `if TYPE_CHECKING:`)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            named = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in modules]
            found.update(named or ([target] if target in modules else []))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imported_modules(path, set(paths)) for name, path in paths.items()}


def circle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """An import path from start back to itself, if there is one."""
    stack, seen = [(start, [start])], set()
    while stack:
        module, path = stack.pop()
        for imported in graph[module]:
            if imported == start:
                return path + [start]
            if imported not in seen:
                seen.add(imported)
                stack.append((imported, path + [imported]))
    return None


def test_no_module_imports_one_that_imports_it_back():
    graph = import_graph()
    assert len(graph) > 30 and graph["search.query"]  # the walk sees the package and its imports
    circles = [circle for module in sorted(graph) if (circle := circle_from(module, graph))]
    assert not circles, " ; ".join(" -> ".join(circle) for circle in circles)


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
