"""The standard catalogue of poverty-alleviation industries, and the words a county's files use
for them.

Plans and enterprises name an industry (`Industry`: code, category, Chinese and English name).
The demo county brings its own industries table; a county that loads its own files
(`python -m lib.load organisations | plans`) starts with an empty one, so a file may name any
industry of this catalogue (by code, Chinese or English name, or a common other word) and the
load adds that industry the first time a row needs it (lib.services.loading_industry).

The entries are the demo county's (lib/demo/catalogues.py INDUSTRIES, less its income ranges):
tests/test_load_industry.py holds the two lists equal. Pure: no database, no streamlit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from lib.core.domain import IndustryCategory


@dataclass(frozen=True)
class CatalogueIndustry:
    code: str
    category: IndustryCategory
    name_zh: str
    name_en: str


STANDARD_INDUSTRIES: tuple[CatalogueIndustry, ...] = tuple(
    CatalogueIndustry(code, category, zh, en)
    for code, category, zh, en in (
        ("yellow_peach", IndustryCategory.PLANTING, "黄桃", "Yellow peaches"),
        ("herbal_medicine", IndustryCategory.PLANTING, "中药材", "Chinese herbal medicine"),
        ("edible_fungi", IndustryCategory.PLANTING, "食用菌", "Edible fungi"),
        ("vegetables", IndustryCategory.PLANTING, "蔬菜", "Vegetables"),
        ("rice_crayfish", IndustryCategory.PLANTING, "稻虾共养", "Rice–crayfish co-culture"),
        ("lotus_root", IndustryCategory.PLANTING, "莲藕", "Lotus root"),
        ("beef_cattle", IndustryCategory.LIVESTOCK, "肉牛", "Beef cattle"),
        ("pigs", IndustryCategory.LIVESTOCK, "生猪", "Pigs"),
        ("goats", IndustryCategory.LIVESTOCK, "山羊", "Goats"),
        ("poultry", IndustryCategory.LIVESTOCK, "家禽", "Poultry"),
        ("crayfish", IndustryCategory.LIVESTOCK, "小龙虾", "Crayfish"),
        ("wicker_weaving", IndustryCategory.PROCESSING, "杞柳编织", "Wicker weaving"),
        ("agri_processing", IndustryCategory.PROCESSING, "农产品加工", "Farm produce processing"),
        ("farm_stay", IndustryCategory.TOURISM, "农家乐", "Farm-stay restaurants"),
        ("homestay", IndustryCategory.TOURISM, "民宿", "Homestays"),
        ("rural_ecommerce", IndustryCategory.ECOMMERCE, "农村电商", "Rural e-commerce"),
        ("migrant_work", IndustryCategory.MIGRANT_WORK, "外出务工", "Migrant work"),
        (
            "local_work",
            IndustryCategory.MIGRANT_WORK,
            "就近务工（扶贫车间）",
            "Local jobs (poverty-alleviation workshop)",
        ),
        ("photovoltaic", IndustryCategory.SHARES, "光伏收益", "Photovoltaic income"),
        ("asset_income", IndustryCategory.SHARES, "资产收益入股", "Asset-income shares"),
    )
)

# Other words county files use for a catalogue industry (compared as `word_key` makes them).
OTHER_WORDS: dict[str, str] = {
    "中草药": "herbal_medicine",
    "药材": "herbal_medicine",
    "菌菇": "edible_fungi",
    "香菇": "edible_fungi",
    "大棚蔬菜": "vegetables",
    "稻虾": "rice_crayfish",
    "稻虾连作": "rice_crayfish",
    "养牛": "beef_cattle",
    "养猪": "pigs",
    "养羊": "goats",
    "养鸡": "poultry",
    "养鹅": "poultry",
    "杞柳": "wicker_weaving",
    "乡村旅游": "farm_stay",
    "电商": "rural_ecommerce",
    "电子商务": "rural_ecommerce",
    "务工": "migrant_work",
    "外出务工就业": "migrant_work",
    "就近务工": "local_work",
    "扶贫车间": "local_work",
    "光伏": "photovoltaic",
    "光伏发电": "photovoltaic",
    "资产收益": "asset_income",
    "资金入股": "asset_income",
}


def word_key(text: str) -> str:
    """A name as compared: NFKC (full-width brackets and letters as ASCII), no spaces, no case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


_BY_WORD: dict[str, CatalogueIndustry] = {}
for _entry in STANDARD_INDUSTRIES:
    for _word in (_entry.code, _entry.name_zh, _entry.name_en):
        _BY_WORD[word_key(_word)] = _entry
for _word, _code in OTHER_WORDS.items():
    _BY_WORD.setdefault(word_key(_word), next(e for e in STANDARD_INDUSTRIES if e.code == _code))


def catalogue_industry(text: str) -> CatalogueIndustry | None:
    """The catalogue industry a file's word names (its code, either name or another word), or None."""
    return _BY_WORD.get(word_key(text))
