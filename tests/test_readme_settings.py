"""Every setting the code reads is in the README's settings table (as Datasette checks its docs)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from lib.core import config

README = config.ROOT / "README.md"
TABLE_ROW = re.compile(r"^\| `(?P<name>[A-Z][A-Z0-9_]*)(?:=[^`]*)?` \|", re.MULTILINE)


def settings_read(folder: Path) -> dict[str, str]:
    """Each setting name the modules under `folder` read, with the first file and line that reads it:
    `setting("NAME", …)` and lib.core.config's other `…_setting("NAME", …)` helpers, and
    `os.environ.get("NAME", …)`, `os.environ["NAME"]`, `os.getenv("NAME")`."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            name = _setting_name(node)
            if name is not None:
                found.setdefault(name, f"{path.relative_to(folder.parent)}:{getattr(node, 'lineno', 0)}")
    return found


def _setting_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        function = node.func
        reads = (isinstance(function, ast.Name) and function.id.endswith("setting")) or (
            isinstance(function, ast.Attribute)
            and (
                function.attr.endswith("setting")
                or (function.attr in ("get", "getenv") and _is_environ(function.value))
            )
        )
        value = node.args[0].value
        return value if reads and isinstance(value, str) else None
    if isinstance(node, ast.Subscript) and _is_environ(node.value) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return None


def _is_environ(node: ast.AST) -> bool:
    """`os.environ` or `os` (for `os.getenv`)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "os"
    )


def documented() -> set[str]:
    return {match["name"] for match in TABLE_ROW.finditer(README.read_text(encoding="utf-8"))}


def test_every_setting_read_is_in_the_readme_table() -> None:
    read = settings_read(config.ROOT / "lib")
    assert {"DATABASE_URL", "DEFAULT_LANGUAGE", "MIN_SATISFACTION", "DEMO"} <= set(read)
    missing = {name: where for name, where in read.items() if name not in documented()}
    assert not missing, f"settings read but not in README.md's settings table: {missing}"


def test_a_new_setting_is_found_wherever_it_is_read(tmp_path: Path) -> None:
    package = tmp_path / "lib"
    package.mkdir()
    (package / "a.py").write_text(
        'import os\nfrom lib.core.config import setting\n\nx = setting("NEW_TARGET", "1")\n'
        'u = _share_setting("NEW_SHARE", 0.5)\n'
        'y = os.environ.get("NEW_FLAG")\nz = os.environ["NEW_PATH"]\nw = os.getenv("NEW_ENV")\n'
        'v = {"NOT_A_SETTING": 1}.get("NOT_A_SETTING")\n',
        encoding="utf-8",
    )
    assert settings_read(package) == {
        "NEW_TARGET": "lib/a.py:4",
        "NEW_SHARE": "lib/a.py:5",
        "NEW_FLAG": "lib/a.py:6",
        "NEW_PATH": "lib/a.py:7",
        "NEW_ENV": "lib/a.py:8",
    }
    assert not {"NEW_TARGET", "NEW_FLAG"} & documented()
