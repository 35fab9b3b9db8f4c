"""House rules from DESIGN.md, checked so nobody has to remember them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from lib.core import config

ROOT = config.ROOT
PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
LIB = sorted((ROOT / "lib").rglob("*.py"))
UI = ROOT / "lib" / "ui"
STABLE_PATHS = {"", "map", "village", "training", "industry", "assessment", "updates", "data", "admin"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_ui_imports_streamlit() -> None:
    """Only the lib/ui package touches streamlit; the rest of lib runs without it."""
    offenders = [
        p.relative_to(ROOT)
        for p in LIB
        if UI not in p.parents and any(n.startswith("streamlit") for n in _imports(p))
    ]
    assert not offenders


def test_lib_never_imports_pages() -> None:
    assert not [p for p in LIB if any(n.startswith("pages") for n in _imports(p))]


def test_pages_hold_no_sql() -> None:
    sql = re.compile(r"\b(SELECT|INSERT INTO|UPDATE\s+\w+\s+SET|DELETE FROM)\b")
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert not any(n.startswith("sqlalchemy") for n in _imports(page)), page.name
        assert not sql.search(text), page.name


def test_pages_are_thin() -> None:
    assert all(len(p.read_text(encoding="utf-8").splitlines()) <= 200 for p in PAGES)


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
    for page in PAGES:
        for node in ast.walk(ast.parse(page.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in display
            ):
                for arg in node.args[:1]:
                    assert not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)), (
                        f"{page.name}:{node.lineno} shows a literal string"
                    )


def test_ui_package_never_imports_its_own_parts_at_import_time() -> None:
    """lib/ui/__init__.py is imported by every part of it: it must not import them back (a cycle)."""
    assert not [n for n in _imports(UI / "__init__.py") if n.startswith("lib.ui")]
