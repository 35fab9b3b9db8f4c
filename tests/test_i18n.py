"""Both catalogs are complete, agree on placeholders, and cover every key the code asks for."""

from __future__ import annotations

import re
import string

import pytest

from lib.core import config
from lib.core.i18n import CATALOGS, localized, set_language, t

KEY_LITERAL = re.compile(r"""\bt\(\s*f?["']([a-z_]+\.[a-z0-9_.{}]+)["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys() -> None:
    assert set(CATALOGS["zh"]) == set(CATALOGS["en"])


@pytest.mark.parametrize("key", sorted(CATALOGS["en"]))
def test_placeholders_agree(key: str) -> None:
    assert _placeholders(CATALOGS["zh"][key]) == _placeholders(CATALOGS["en"][key])


def test_every_literal_key_used_in_the_code_exists() -> None:
    sources = [
        config.ROOT / "app.py",
        *(config.ROOT / "pages").glob("*.py"),
        *(config.ROOT / "lib").rglob("*.py"),
    ]
    missing: set[str] = set()
    for path in sources:
        for key in KEY_LITERAL.findall(path.read_text(encoding="utf-8")):
            if "{" in key:  # f-string keys: check the fixed prefix has at least one entry
                prefix = key.split("{")[0]
                if not any(k.startswith(prefix) for k in CATALOGS["en"]):
                    missing.add(key)
            elif key not in CATALOGS["en"]:
                missing.add(key)
    assert not missing, f"keys used in code but missing from the catalogs: {sorted(missing)}"


def test_language_switch_and_fallbacks() -> None:
    set_language("en")
    assert t("overview.title") == "County overview"
    assert t("kpi.verified_help", verified=3, total=9) == "3 of 9 households"
    assert localized("甲镇", "Jia Town") == "Jia Town"
    assert localized("甲镇", None) == "甲镇"
    assert set_language("xx") == "zh"
    assert t("overview.title") == "全县概览"
    assert t("no.such.key") == "no.such.key"


@pytest.mark.parametrize(("lang", "expected"), [("en", "All 2,100 towns"), ("zh", "全部 2,100 个乡镇")])
def test_a_province_s_town_count_has_a_thousands_separator(lang: str, expected: str) -> None:
    set_language(lang)
    assert t("overview.scope_all", n=2100) == expected
    set_language("zh")
