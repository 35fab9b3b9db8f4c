"""House rules from DESIGN.md, checked so nobody has to remember them.

Each lib/ folder has one import rule (README, "Layout"); a broken rule names the file and line.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lib.core import config

ROOT = config.ROOT
PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
LIB = sorted((ROOT / "lib").rglob("*.py"))

# folder → the lib folders its modules may import (besides itself). Top-level modules of lib
# (the command lines admin, prestart) have the key "".
MAY_IMPORT: dict[str, set[str]] = {
    "core": set(),
    "rules": {"core"},
    "queries": {"core", "rules"},
    "present": {"core", "rules"},
    "files": {"core", "rules", "queries", "present"},
    "services": {"core", "rules", "queries", "files"},
    "demo": {"core", "rules", "queries", "services", "present"},
    "ui": {"core", "rules", "queries", "services", "present", "files"},
    "": {"core", "rules", "queries", "services", "present", "files", "demo"},
}
# What a folder may not reach even through the modules it imports.
NEVER_REACHES: dict[str, set[str]] = {
    "rules": {"sqlalchemy", "streamlit"},
    "present": {"sqlalchemy", "streamlit"},
}
ANYWHERE_BUT_UI = {"streamlit"}


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str
    top_level: bool  # at module level (not inside a function, which runs only when called)

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} imports {self.module}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def _parsed(text: str) -> ast.Module:
    # the transitive checks read each module once per module that reaches it
    return ast.parse(text)


def imports(path: Path) -> Iterator[Import]:
    tree = _parsed(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name, id(node) in top)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from lib.queries import common` imports the module lib.queries.common
            for alias in node.names:
                named = f"{node.module}.{alias.name}"
                module = named if named in MODULES else node.module
                yield Import(path, node.lineno, module, id(node) in top)


def folder(module: str) -> str | None:
    """The lib folder of a dotted module name ("" for lib's top-level modules; None outside lib)."""
    parts = module.split(".")
    if parts[0] != "lib":
        return None
    if len(parts) >= 2 and (ROOT / "lib" / parts[1]).is_dir():
        return parts[1]
    return ""


MODULES = {_module_name(path): path for path in LIB}


def _lib_module(name: str) -> str | None:
    """The lib module a dotted import name refers to (a module, or the package holding a name)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def broken_import_rules(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        own = folder(_module_name(path))
        assert own is not None
        for item in imports(path):
            target = folder(item.module)
            if item.module.split(".")[0] in ANYWHERE_BUT_UI and own != "ui":
                found.append(f"{item}: only lib/ui imports streamlit")
            elif item.module.split(".")[0] == "pages":
                found.append(f"{item}: lib never imports pages")
            elif target is not None and target != own and target not in MAY_IMPORT[own]:
                found.append(f"{item}: lib/{own or '.'} may import only {sorted(MAY_IMPORT[own])}")
    return found


def reached(module: str) -> Iterator[tuple[str, Import]]:
    """Every module `module` imports at module level, directly or through lib modules, with the
    import that brought it in."""
    seen: set[str] = set()
    stack = [module]
    while stack:
        path = MODULES[stack.pop()]
        for item in imports(path):
            if not item.top_level:
                continue
            yield item.module, item
            inner = _lib_module(item.module)
            if inner is not None and inner not in seen:
                seen.add(inner)
                stack.append(inner)


def pure_rule_breaks(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        own = folder(_module_name(path))
        for name, item in reached(_module_name(path)):
            if own in NEVER_REACHES and name.split(".")[0] in NEVER_REACHES[own]:
                found.append(f"{path.relative_to(ROOT)} reaches {name.split('.')[0]} through {item}")
                break
    return found


def import_circles(paths: list[Path]) -> list[str]:
    graph = {
        _module_name(path): {
            target
            for item in imports(path)
            if item.top_level
            and (target := _lib_module(item.module)) is not None
            and target != _module_name(path)
        }
        for path in paths
    }
    circles: list[str] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if state.get(target) == 1:
                circles.append(" → ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    # a package and its own modules (lib.ui and lib.ui.shell) are one unit for this rule
    return [c for c in circles if not all(part.startswith(c.split(" → ")[0]) for part in c.split(" → "))]


def shell_first(path: Path) -> str | None:
    """None when the page's first statement after its docstring and imports is the shell call."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    rest = [
        node
        for node in body
        if not isinstance(node, ast.Import | ast.ImportFrom)
        and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    ]
    first = rest[0] if rest else None
    call = first.value if isinstance(first, ast.Expr | ast.Assign) else None
    if (
        first is not None
        and isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "open_page"
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "shell"
    ):
        imports_before = [node for node in body if node.lineno < first.lineno]
        if all(isinstance(node, ast.Import | ast.ImportFrom | ast.Expr) for node in imports_before):
            return None
    line = first.lineno if first else 1
    return f"{path.relative_to(ROOT)}:{line}: the page's first statement must be shell.open_page(...)"


# --- the rules, on the code --------------------------------------------------------------------


def test_each_folder_imports_only_what_its_rule_allows() -> None:
    assert broken_import_rules(LIB) == []


def test_rules_and_present_reach_no_sqlalchemy_and_no_streamlit() -> None:
    assert pure_rule_breaks(LIB) == []


def test_no_import_circles() -> None:
    assert import_circles(LIB) == []


def test_pages_open_with_the_shell() -> None:
    assert [problem for page in PAGES if (problem := shell_first(page))] == []


def test_only_the_demo_reads_the_demos_outlines() -> None:
    """data/geo is the demo's data (lib.present.geo): the map draws the outlines stored in the
    database (lib.queries.boundaries), so every server of a shared database draws the same map."""
    allowed = {ROOT / "lib" / "present" / "geo.py", *(ROOT / "lib" / "demo").glob("*.py")}
    found = [
        str(item)
        for path in [*LIB, *PAGES]
        if path not in allowed
        for item in imports(path)
        if item.module == "lib.present.geo"
    ]
    assert found == []
    assert [
        str(path.relative_to(ROOT))
        for path in [*LIB, *PAGES]
        if "GEO_DIR" in path.read_text(encoding="utf-8") and path not in allowed and path.name != "config.py"
    ] == []


def test_pages_import_neither_sqlalchemy_nor_models() -> None:
    found = [
        str(item)
        for page in PAGES
        for item in imports(page)
        if item.module.split(".")[0] == "sqlalchemy" or item.module.startswith("lib.core.models")
    ]
    assert found == []


def test_pages_hold_no_sql() -> None:
    sql = re.compile(r"\b(SELECT|INSERT INTO|UPDATE\s+\w+\s+SET|DELETE FROM)\b")
    assert [page.name for page in PAGES if sql.search(page.read_text(encoding="utf-8"))] == []


def test_pages_are_thin() -> None:
    assert [p.name for p in PAGES if len(p.read_text(encoding="utf-8").splitlines()) > 200] == []


def test_every_page_is_in_the_shells_menu() -> None:
    from lib.ui import shell

    assert {page.script for page in shell.PAGES} == {str(p.relative_to(ROOT)) for p in PAGES}


def test_pages_show_no_hard_coded_text() -> None:
    """Display calls take t(...) or data, never a string literal (labels go through the catalogs)."""
    display = {
        "title",
        "header",
        "subheader",
        "caption",
        "markdown",
        "write",
        "info",
        "warning",
        "error",
        "success",
        "metric",
        "button",
        "selectbox",
        "multiselect",
        "radio",
        "text_input",
        "badge",
    }
    found = [
        f"{page.name}:{node.lineno} shows a literal string"
        for page in PAGES
        for node in ast.walk(ast.parse(page.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in display
        and any(isinstance(arg, ast.Constant) and isinstance(arg.value, str) for arg in node.args[:1])
    ]
    assert found == []


# Colour emoji (and characters asked to show as emoji by U+FE0F) show as empty boxes on machines
# without an emoji font, which county offices' Windows and Kylin machines often are; icons are
# Streamlit's bundled `:material/…:` symbols, status marks are colour and words.
EMOJI = re.compile("[\U0001f000-\U0001faff]|.\ufe0f")


def _emoji_lines(paths: list[Path]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:60]}"
        for path in paths
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if EMOJI.search(line)
    ]


def test_no_colour_emoji_in_what_users_see() -> None:
    assert _emoji_lines(PAGES + LIB) == []


# --- the checks can fail -----------------------------------------------------------------------


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of lib/ and pages/ under a temporary ROOT, to plant violations in."""
    import shutil

    for name in ("lib", "pages"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    monkeypatch.setattr(
        __import__(__name__, fromlist=["MODULES"]),
        "MODULES",
        {_module_name(path): path for path in sorted((tmp_path / "lib").rglob("*.py"))},
    )
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")


def _lib(root: Path) -> list[Path]:
    return sorted((root / "lib").rglob("*.py"))


def test_a_query_importing_streamlit_is_named_with_its_line(planted: Path) -> None:
    target = planted / "lib" / "queries" / "villages.py"
    _append(target, "import streamlit")
    line = len(target.read_text(encoding="utf-8").splitlines())
    assert broken_import_rules(_lib(planted)) == [
        f"lib/queries/villages.py:{line} imports streamlit: only lib/ui imports streamlit"
    ]


def test_a_query_importing_a_service_is_named(planted: Path) -> None:
    _append(planted / "lib" / "queries" / "villages.py", "from lib.services import households")
    (problem,) = broken_import_rules(_lib(planted))
    assert problem.startswith("lib/queries/villages.py:") and "lib.services.households" in problem


def test_present_reaching_sqlalchemy_through_a_query_is_named(planted: Path) -> None:
    _append(planted / "lib" / "present" / "charts.py", "from lib.queries import common")
    assert any("lib/present/charts.py reaches sqlalchemy" in p for p in pure_rule_breaks(_lib(planted)))


def test_a_circle_is_named(planted: Path) -> None:
    _append(planted / "lib" / "core" / "domain.py", "from lib.core import config")
    assert any(
        "lib.core.config → lib.core.domain → lib.core.config" in c for c in import_circles(_lib(planted))
    )


def test_a_page_without_the_shell_first_is_named(planted: Path) -> None:
    page = planted / "pages" / "map.py"
    page.write_text(
        page.read_text(encoding="utf-8").replace("filters = shell.open_page", "filters = ui.open_page")
    )
    problem = shell_first(page)
    assert problem is not None and problem.startswith("pages/map.py:")


def test_an_emoji_icon_is_named(planted: Path) -> None:
    target = planted / "lib" / "ui" / "shell.py"
    _append(target, 'PLANTED = "\U0001f4e5"')
    found = _emoji_lines([target])
    assert len(found) == 1 and found[0].startswith("lib/ui/shell.py:")
