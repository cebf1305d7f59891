"""The package's module map: lines per module, the package's modules each imports, import circles and imports
that go up a floor. `python -m bench.modules [FOLDER]` prints it for the package in FOLDER (default: this clone's
`search/`; give an older checkout's to compare). tests/test_structure.py checks the same graph."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

# The package's floors, lowest first: a module imports only from its own floor or those below (README's shape of
# the code). Within a floor the circle test above keeps the imports one way.
FLOORS = {
    "base": "errors config languages datetimes dates analysis textfragments",
    "index format": "index_format index_format.codec index_format.fields index_format.schema index_format.segments "
    "index_format.posts index_format.writing manifest",
    "sites": "sites sites.base sites.eleventy sites.hugo sites.jekyll sites.mkdocs sites.plain sites.zola",
    "posts and sections": "posts files sections documents",
    "indexing": "indexer locking workers watching settings_report",
    "query layer": "vocabulary snippets results facets parsing scoring matching ranking spelling completion snapshot "
    "query links",
    "front ends": "__init__ deploy pagehtml web serving cli",
}


def floor_of() -> dict[str, int]:
    """Each module's floor (0: the lowest)."""
    return {
        "search" if name == "__init__" else f"search.{name}": level
        for level, names in enumerate(FLOORS.values())
        for name in names.split()
    }


def module_name(path: Path, root: Path) -> str:
    """The dotted name of a module file under root (the folder holding the package)."""
    parts = list(path.with_suffix("").relative_to(root).parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path, modules: set[str]) -> set[str]:
    """The package's modules a file imports, wherever the import stands (a function, `if TYPE_CHECKING:`)."""
    name = module_name(path, root)
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


def import_graph(package: Path) -> dict[str, set[str]]:
    """Each module of the package -> the package's modules it imports."""
    paths = {module_name(path, package.parent): path for path in package.rglob("*.py")}
    return {name: imported_modules(path, package.parent, set(paths)) for name, path in paths.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import paths from a module back to itself (one for each module on a circle)."""
    found = []
    for start in sorted(graph):
        stack, seen = [(start, [start])], set[str]()
        while stack:
            module, path = stack.pop()
            if start in graph[module]:
                found.append(path + [start])
                break
            for imported in graph[module] - seen:
                seen.add(imported)
                stack.append((imported, path + [imported]))
    return found


def module_map(package: Path) -> str:
    """A Markdown table: each module's lines, floor and imports; then the circles and the upward imports."""
    graph, floors = import_graph(package), floor_of()
    names = list(FLOORS)
    rows = ["| module | lines | floor | imports |", "|---|---|---|---|"]
    for module in sorted(graph, key=lambda m: (floors.get(m, -1), m)):
        path = package.parent / (module.replace(".", "/") + ("/__init__.py" if (package.parent / module.replace(".", "/")).is_dir() else ".py"))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        floor = names[floors[module]] if module in floors else "?"
        rows.append(f"| {module} | {lines} | {floor} | {', '.join(sorted(m.removeprefix('search.') for m in graph[module]))} |")
    loops = circles(graph)
    upward = [f"{m} -> {i}" for m in sorted(graph) for i in sorted(graph[m]) if m in floors and i in floors and floors[i] > floors[m]]
    total = sum(int(row.split("|")[2]) for row in rows[2:])
    rows += ["", f"{len(graph)} modules, {total} lines; circles: {len(loops)}; imports up a floor: {len(upward)}"]
    rows += [" -> ".join(loop) for loop in loops] + upward
    return "\n".join(rows)


if __name__ == "__main__":
    print(module_map(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent.parent / "search").resolve()))
