"""Every page, read in Chinese by an administrator (who sees every section), on the hand-worked
county: no English month names, no English label standing where its Chinese one should, and
charts whose vertical titles read upright and whose dates are Chinese."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine
from streamlit.testing.v1 import AppTest

from lib.core import config
from lib.core.i18n import CATALOGS
from lib.ui import shell
from tests.support.accounts import created_actor

VILLAGE = "349901100202"
ENGLISH_MONTHS = re.compile(
    r"\b(January|February|March|April|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b"
)
# Labels whose English and Chinese are the same word or a code (kept short: a label of one word
# or less than four letters cannot be told apart from data).
WORDS = re.compile(r"[A-Za-z]{2,}(?:\s+[A-Za-z]{2,})+")


def _english_only_labels() -> set[str]:
    """English catalogue texts of two words or more that differ from their Chinese."""
    zh, en = CATALOGS["zh"], CATALOGS["en"]
    return {
        text
        for key, text in en.items()
        if "{" not in text and text != zh.get(key) and WORDS.search(text) and len(text) < 120
    }


def _strings(message: Any) -> Iterator[str]:
    """Every string field of a proto message, nested ones too."""
    for field, value in message.ListFields():
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            items = list(value.values())  # a map field: its values (strings or messages)
            if items and isinstance(items[0], str):
                yield from items
                continue
        else:
            items = value if field.is_repeated else [value]
        if field.type == field.TYPE_MESSAGE:
            for item in items:
                yield from _strings(item)
        elif field.type == field.TYPE_STRING:
            yield from items


def _elements(at: AppTest) -> Iterator[Any]:
    def walk(node: Any) -> Iterator[Any]:
        if getattr(node, "proto", None) is not None:
            yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    yield from walk(at._tree)


def _chart_specs(at: AppTest) -> list[dict[str, Any]]:
    return [
        json.loads(element.proto.spec)
        for element in _elements(at)
        if element.type == "vega_lite_chart" and element.proto.spec
    ]


def _y_axes(spec: Any) -> Iterator[dict[str, Any]]:
    """Every titled `y` encoding of a chart spec (every layer and concatenated view)."""
    if isinstance(spec, dict):
        y = spec.get("encoding", {}).get("y") if isinstance(spec.get("encoding"), dict) else None
        if isinstance(y, dict) and y.get("title") and (y.get("axis") is not None or "title" in y):
            yield y
        for value in spec.values():
            yield from _y_axes(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _y_axes(value)


@pytest.fixture(scope="module")
def admin_id(module_hand_sqlite_url: str) -> int:
    engine = create_engine(module_hand_sqlite_url)
    try:
        user_id = created_actor(engine, "zh-admin", "admin").user_id
        assert user_id is not None
        return user_id
    finally:
        engine.dispose()


@pytest.mark.parametrize("page", [page for page in shell.PAGES], ids=lambda page: page.name or "overview")
def test_a_page_in_chinese_shows_no_english_label_or_month(
    page: shell.Page,
    module_hand_sqlite_url: str,
    admin_id: int,
    monkeypatch: pytest.MonkeyPatch,
    clean_streamlit_caches: None,
) -> None:
    monkeypatch.setenv("DATABASE_URL", module_hand_sqlite_url)
    at = AppTest.from_file(str(config.ROOT / "app.py"), default_timeout=60)
    at.session_state["account"] = {"user_id": admin_id, "username": "zh-admin"}
    at.query_params["lang"] = "zh"
    at.run()
    if page.script != "app.py":
        if page.name == "village":
            at.query_params["code"] = VILLAGE
        at.switch_page(page.script)
        at.run()
    assert not at.exception, at.exception

    texts = [text for element in _elements(at) for text in _strings(element.proto)]
    months = sorted({m for text in texts for m in ENGLISH_MONTHS.findall(text)})
    assert months == [], f"English month names on {page.name or '/'}"
    english = sorted(set(texts) & _english_only_labels())
    assert english == [], f"English labels on {page.name or '/'}"

    for spec in _chart_specs(at):
        for y in _y_axes(spec):
            assert (y.get("axis") or {}).get("titleAngle") == 0, f"a sideways axis title: {y['title']}"


def test_the_upload_box_speaks_chinese_and_states_the_real_limit() -> None:
    """Streamlit writes the drop zone's button and limit line in English only; CSS writes them in
    Chinese, as characters (CSS reads JSON's \\uXXXX escapes as the letter u and four digits)."""
    import tomllib

    from lib.core.i18n import set_language
    from lib.ui import widgets

    with (config.ROOT / ".streamlit" / "config.toml").open("rb") as handle:
        assert tomllib.load(handle)["server"]["maxUploadSize"] == 5
    set_language("zh")
    try:
        css = widgets._uploader_style("load_upload_households_0", ["xlsx", "csv"])
    finally:
        set_language("zh")
    assert 'content: "每个文件最大 5 MB · XLSX、CSV"' in css
    assert 'content: "选择文件"' in css
    assert ".st-key-load_upload_households_0 " in css
