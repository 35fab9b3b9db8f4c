"""lib.rules.divisions: division codes as files hold them, and English names made from Chinese."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.core import config
from lib.rules.divisions import (
    clean_code,
    english_name,
    level_from_word,
    level_of,
    stored_code,
    town_of,
)


def _shipped_towns() -> list[tuple[str, str]]:
    towns = json.loads((config.ROOT / "data" / "geo" / "towns.geojson").read_text(encoding="utf-8"))
    return [(f["properties"]["name_zh"], f["properties"]["name_en"]) for f in towns["features"]]


def test_the_shipped_town_names_are_made_as_written_there() -> None:
    """The demo's 25 towns were named by hand in data/geo/towns.geojson (19 镇, 6 乡)."""
    pairs = _shipped_towns()
    assert len(pairs) == 25
    assert [english_name(zh) for zh, _ in pairs] == [en for _, en in pairs]


@pytest.mark.parametrize(
    ("zh", "en"),
    [
        ("八里河镇", "Balihe Town"),
        ("雷寨村", "Leizhai Village"),
        ("黄坝乡", "Huangba Township"),
        ("六十铺镇", "Liushipu Town"),
        ("平安村", "Ping'an Village"),  # a syllable starting with a, o or e after another
        ("西安", "Xi'an"),  # no suffix: all pinyin
        ("城关街道办事处", "Chengguan Subdistrict"),  # the longest suffix wins
        ("城关街道", "Chengguan Subdistrict"),
        ("和平社区", "Heping Community"),
        ("回族民族乡", "Huizu Ethnic Township"),
        ("  八里河镇 ", "Balihe Town"),
        ("镇", "Zhen"),  # a suffix alone is the name
        ("A1村", "A1 Village"),
        ("", ""),
    ],
)
def test_english_names(zh: str, en: str) -> None:
    assert english_name(zh) == en


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("349901105204", "349901105204"),
        (" 349901105204 ", "349901105204"),
        ("349901105204.0", "349901105204"),
        (349901105204, "349901105204"),
        (349901105204.0, "349901105204"),
        (3.49901105204e11, "349901105204"),
        ("34990110520", None),  # 11 digits
        ("3499011052041", None),  # 13
        ("34990110520X", None),
        ("３４９９０１１０５２０４", None),  # full-width digits
        (-349901105204, None),
        (349901105204.5, None),
        (math.nan, None),
        (True, None),
        (None, None),
        ("", None),
    ],
)
def test_clean_code(value: object, code: str | None) -> None:
    assert clean_code(value) == code


def test_levels_and_stored_codes() -> None:
    assert level_of("349901000000") == "county"
    assert level_of("349901105000") == "town"
    assert level_of("349901105204") == "village"
    assert stored_code("349901105000") == "349901105"
    assert stored_code("349901105204") == "349901105204"
    assert town_of("349901105204") == "349901105"


@pytest.mark.parametrize(
    ("word", "level"),
    [
        ("镇", "town"),
        ("乡", "town"),
        ("街道", "town"),
        (" Town ", "town"),
        ("村", "village"),
        ("社区", "village"),
        ("Village", "village"),
        ("县", "county"),
        ("组", None),
        ("", None),
        (3, None),
    ],
)
def test_level_words(word: object, level: str | None) -> None:
    assert level_from_word(word) == level


@given(st.one_of(st.text(), st.integers(), st.floats(), st.none(), st.booleans()))
def test_clean_code_takes_any_cell(value: object) -> None:
    code = clean_code(value)
    assert code is None or (len(code) == 12 and code.isascii() and code.isdigit())


@given(st.text())
def test_english_name_takes_any_text(text: str) -> None:
    assert isinstance(english_name(text), str)
