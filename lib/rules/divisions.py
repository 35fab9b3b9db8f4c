"""Administrative divisions as a county's files give them: the 12-digit statistical division code
(统计用区划代码) and the English name made from the Chinese one.

A code has 12 digits: province (2), city (2), county (2), town (3), village (3). A town's code ends in
000 and a county's in 000000. In the database a town keeps its first 9 digits (349901105) and a
village all 12 (349901105204), so a village's town is the first 9 digits of its code.

English names follow the usual form for place names: the pinyin of the name without its last word,
run together and capitalised, and that word translated (八里河镇 → Balihe Town, 黄坝乡 → Huangba
Township). An apostrophe separates a syllable that starts with a, o or e (平安村 → Ping'an Village).
pypinyin reads a character with several readings by its most common one, so a made name can be
wrong (单县 is Shan, not Dan): made names are a starting point people may correct.
"""

from __future__ import annotations

import re
from typing import Literal

from pypinyin import lazy_pinyin

Level = Literal["county", "town", "village"]

CODE_DIGITS = 12
TOWN_CODE_DIGITS = 9
_CODE = re.compile(r"[0-9]{12}")  # ASCII digits only: \d would take full-width ones

# The last word of a name and its English, longest first so 街道办事处 wins over 街道.
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("街道办事处", "Subdistrict"),
    ("民族乡", "Ethnic Township"),
    ("居委会", "Community"),
    ("村委会", "Village"),
    ("街道", "Subdistrict"),
    ("社区", "Community"),
    ("镇", "Town"),
    ("乡", "Township"),
    ("村", "Village"),
    ("县", "County"),
)
# Words a level column may hold for each level (lower-cased).
LEVEL_WORDS: dict[str, Level] = {
    **dict.fromkeys(("县", "区", "县级", "county", "district"), "county"),
    **dict.fromkeys(("乡镇", "镇", "乡", "街道", "乡级", "town", "township", "subdistrict"), "town"),
    **dict.fromkeys(("村", "社区", "居委会", "村委会", "村级", "village", "community"), "village"),
}


def clean_code(value: object) -> str | None:
    """The 12-digit code in a cell, or None when it is not one.

    Spreadsheets often hold codes as numbers (349901105204, or 349901105204.0 after a round trip);
    text may carry spaces. Anything else is not a code.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() and value >= 0 else ""
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(".0"):
            text = text[:-2]
    else:
        return None
    return text if _CODE.fullmatch(text) else None


def level_of(code: str) -> Level:
    """The level a 12-digit code names: a county (…000000), a town (…000) or a village."""
    if code.endswith("000000"):
        return "county"
    return "town" if code.endswith("000") else "village"


def level_from_word(word: object) -> Level | None:
    """The level a level column's word names (镇, 村, town, …); None when it names none."""
    return LEVEL_WORDS.get(word.strip().lower()) if isinstance(word, str) else None


def stored_code(code: str) -> str:
    """The code as the database keeps it: a town's first 9 digits, a village's 12."""
    return code[:TOWN_CODE_DIGITS] if level_of(code) == "town" else code


def town_of(village_code: str) -> str:
    """The stored code of a village's town."""
    return village_code[:TOWN_CODE_DIGITS]


def english_name(name_zh: str) -> str:
    """The English name made from a Chinese place name (八里河镇 → Balihe Town); "" for no name."""
    name = name_zh.strip()
    suffix_en = ""
    for suffix, english in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name, suffix_en = name[: -len(suffix)], english
            break
    return " ".join(part for part in (_pinyin(name), suffix_en) if part)


def _pinyin(text: str) -> str:
    syllables = [syllable for syllable in lazy_pinyin(text) if syllable.strip()]
    joined = ""
    for syllable in syllables:
        if joined and syllable[:1] in "aoe" and joined[-1:].isalpha():
            joined += "'"
        joined += syllable
    return joined[:1].upper() + joined[1:]
