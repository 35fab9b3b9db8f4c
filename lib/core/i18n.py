"""Every label shown passes through `t()`: simplified Chinese and English catalogs.

The language is per script run (a context variable), set by the app shell from the `lang` query
parameter, so two users can read the same server in different languages.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from contextvars import ContextVar

from lib.core import locales

LANGUAGE_NAMES = {"zh": "简体中文", "en": "English"}

_language: ContextVar[str] = ContextVar("language", default="zh")


def _merge_catalogs() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {"zh": {}, "en": {}}
    for area in sorted(info.name for info in pkgutil.iter_modules(locales.__path__)):
        module = importlib.import_module(f"lib.core.locales.{area}")
        for lang, catalog in (("zh", module.ZH), ("en", module.EN)):
            clash = set(catalog) & set(merged[lang])
            if clash:
                raise ValueError(f"label keys defined twice (lib/core/locales/{area}.py): {sorted(clash)}")
            merged[lang].update(catalog)
    return merged


CATALOGS: dict[str, dict[str, str]] = _merge_catalogs()


def set_language(lang: str) -> str:
    """Use `lang` for this script run; unknown codes fall back to Chinese. Returns the code used."""
    code = lang if lang in CATALOGS else "zh"
    _language.set(code)
    return code


def get_language() -> str:
    return _language.get()


def t(key: str, /, **params: object) -> str:
    """The label for `key` in the current language, with `{name}` placeholders filled from params.

    A missing key shows as the key itself (tests check both catalogs have every key).
    """
    catalog = CATALOGS[_language.get()]
    if params.get("n") == 1 and f"{key}.one" in catalog:
        key = f"{key}.one"  # singular form, where a language has one
    text = catalog.get(key) or CATALOGS["en"].get(key) or key
    return text.format(**params) if params else text


def localized(zh: str | None, en: str | None) -> str:
    """Pick a record's own name in the current language, falling back to the other one."""
    zh_text = zh if isinstance(zh, str) else ""
    en_text = en if isinstance(en, str) else ""
    if _language.get() == "en":
        return en_text or zh_text
    return zh_text or en_text


def format_share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def format_count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def format_date(day: dt.date) -> str:
    """A date in the reader's language: 2020年9月30日, 30 Sep 2020."""
    if _language.get() == "en":
        return f"{day.day} {day:%b %Y}"
    return f"{day.year}年{day.month}月{day.day}日"
