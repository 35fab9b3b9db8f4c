"""Deterministic demo data: the fictional 示范县 (Demo County) as of 2020-10-31.

    python -m lib.demo --scale county --seed 42 [--reset [--i-know]]

`generate()` fills an empty, migrated database with bulk Core inserts and explicit integer ids, so
the same seed gives the same rows on SQLite and PostgreSQL. Fixed dates only; the one source of
randomness is `random.Random(seed)`. The data follows the work (see docs and DESIGN.md): registered
poor households with causes, incomes and exit steps; one industry per household, one product per
village; enterprises and cooperatives carrying households; first secretaries and work teams with
their history; rotation training and the Bijie study tour; verification visits before assessment.
A few flaws are put in on purpose (missing or disordered exit steps, an income below the line,
unsafe housing marked as guaranteed, villages without coordinates) so checks have something to find.
It also adds four documented demo accounts (README, "Accounts") with the password "demo-password".

`--scale city` (10 counties, ≈3.6k villages, ≈300k households) and `--scale province` (84 counties,
≈30k villages, ≈3M households) run `_CountyBuilder` once per county with a derived seed, region code
3499nn and the shipped outlines moved to a grid (lib.geo.moved_towns); they are inserted a county
at a time (COPY on PostgreSQL), so memory stays that of one county.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lib import geo
from lib.auth import hash_password
from lib.db import DatabaseError, check_connection, describe_url, make_engine, session_factory
from lib.domain import poverty_line
from lib.models import (
    Attendance,
    AttendanceStatus,
    Base,
    BenefitType,
    Cadre,
    Household,
    HouseholdCause,
    HouseholdIncome,
    HouseholdStatus,
    HousingGrade,
    Industry,
    IndustryCategory,
    IndustryPlan,
    Meta,
    Organisation,
    OrganisationLink,
    OrgKind,
    PlanStage,
    PlanStageChange,
    Posting,
    PostingRole,
    PovertyCause,
    ProgrammeKind,
    Role,
    SessionTopic,
    Town,
    TrainingProgramme,
    TrainingSession,
    TrainingTopic,
    User,
    VerificationVisit,
    Village,
)
from lib.queries.accounts import BROWSE_KEY
from lib.schema import advance_id_sequences, upgrade
from lib.services import rollups

T = TypeVar("T")
Row = dict[str, Any]

AS_OF = dt.date(2020, 10, 31)
COUNTY_CODE = "349901"  # 示范县; a city will number its counties 349901, 349902, …
INCOME_YEARS = range(2014, 2021)
SCALES = ("county", "city", "province")
CHUNK_SIZE = 5_000
DATA_VERSION = "1"

# --- catalogues ----------------------------------------------------------------------------------

# (code, category, name_zh, name_en, expected annual income range in yuan)
INDUSTRIES: list[tuple[str, IndustryCategory, str, str, tuple[int, int]]] = [
    ("yellow_peach", IndustryCategory.PLANTING, "黄桃", "Yellow peaches", (6_000, 12_000)),
    ("herbal_medicine", IndustryCategory.PLANTING, "中药材", "Chinese herbal medicine", (5_000, 10_000)),
    ("edible_fungi", IndustryCategory.PLANTING, "食用菌", "Edible fungi", (6_000, 15_000)),
    ("vegetables", IndustryCategory.PLANTING, "蔬菜", "Vegetables", (4_000, 10_000)),
    ("rice_crayfish", IndustryCategory.PLANTING, "稻虾共养", "Rice–crayfish co-culture", (8_000, 15_000)),
    ("lotus_root", IndustryCategory.PLANTING, "莲藕", "Lotus root", (4_000, 9_000)),
    ("beef_cattle", IndustryCategory.LIVESTOCK, "肉牛", "Beef cattle", (8_000, 15_000)),
    ("pigs", IndustryCategory.LIVESTOCK, "生猪", "Pigs", (5_000, 12_000)),
    ("goats", IndustryCategory.LIVESTOCK, "山羊", "Goats", (3_000, 8_000)),
    ("poultry", IndustryCategory.LIVESTOCK, "家禽", "Poultry", (2_000, 5_000)),
    ("crayfish", IndustryCategory.LIVESTOCK, "小龙虾", "Crayfish", (8_000, 15_000)),
    ("wicker_weaving", IndustryCategory.PROCESSING, "杞柳编织", "Wicker weaving", (3_000, 8_000)),
    (
        "agri_processing",
        IndustryCategory.PROCESSING,
        "农产品加工",
        "Farm produce processing",
        (6_000, 12_000),
    ),
    ("farm_stay", IndustryCategory.TOURISM, "农家乐", "Farm-stay restaurants", (10_000, 30_000)),
    ("homestay", IndustryCategory.TOURISM, "民宿", "Homestays", (8_000, 25_000)),
    ("rural_ecommerce", IndustryCategory.ECOMMERCE, "农村电商", "Rural e-commerce", (4_000, 10_000)),
    ("migrant_work", IndustryCategory.MIGRANT_WORK, "外出务工", "Migrant work", (15_000, 30_000)),
    (
        "local_work",
        IndustryCategory.MIGRANT_WORK,
        "就近务工（扶贫车间）",
        "Local jobs (poverty-alleviation workshop)",
        (10_000, 18_000),
    ),
    ("photovoltaic", IndustryCategory.SHARES, "光伏收益", "Photovoltaic income", (2_500, 3_500)),
    ("asset_income", IndustryCategory.SHARES, "资产收益入股", "Asset-income shares", (500, 1_500)),
]
INDUSTRY_IDS = {code: i for i, (code, *_rest) in enumerate(INDUSTRIES, start=1)}
INDUSTRY_CATEGORY = {code: category for code, category, *_rest in INDUSTRIES}
INDUSTRY_INCOME = {code: income for code, _c, _z, _e, income in INDUSTRIES}
INDUSTRY_NAMES = {code: (zh, en) for code, _c, zh, en, _i in INDUSTRIES}
SHARE_INDUSTRIES = ["photovoltaic", "asset_income"]

# What a household with labour takes up when it does not follow the village product.
HOUSEHOLD_INDUSTRY_WEIGHTS: dict[str, float] = {
    "migrant_work": 16,
    "local_work": 8,
    "yellow_peach": 5,
    "herbal_medicine": 6,
    "edible_fungi": 5,
    "vegetables": 8,
    "rice_crayfish": 5,
    "lotus_root": 2,
    "beef_cattle": 6,
    "pigs": 5,
    "goats": 6,
    "poultry": 6,
    "crayfish": 4,
    "wicker_weaving": 5,
    "agri_processing": 3,
    "farm_stay": 0.5,
    "homestay": 0.3,
    "rural_ecommerce": 3,
    "photovoltaic": 4,
    "asset_income": 3,
}

# Village signature products: (industry code, name_zh, name_en, weight outside Balihe).
PRODUCTS: list[tuple[str, str, str, float]] = [
    ("yellow_peach", "黄桃", "Yellow peaches", 8),
    ("herbal_medicine", "白芍", "Chinese peony root", 4),
    ("herbal_medicine", "丹参", "Red sage root", 2),
    ("herbal_medicine", "艾草", "Mugwort", 2),
    ("edible_fungi", "香菇", "Shiitake mushrooms", 4),
    ("edible_fungi", "平菇", "Oyster mushrooms", 3),
    ("vegetables", "大棚蔬菜", "Greenhouse vegetables", 6),
    ("vegetables", "芦笋", "Asparagus", 3),
    ("vegetables", "山药", "Chinese yam", 2),
    ("rice_crayfish", "稻虾米", "Rice–crayfish rice", 4),
    ("lotus_root", "莲藕", "Lotus root", 2),
    ("crayfish", "小龙虾", "Crayfish", 5),
    ("beef_cattle", "肉牛", "Beef cattle", 5),
    ("goats", "黄淮山羊", "Huanghuai goats", 4),
    ("poultry", "皖西白鹅", "Wanxi white geese", 3),
    ("poultry", "土鸡", "Free-range chickens", 2),
    ("pigs", "生猪", "Pigs", 3),
    ("wicker_weaving", "杞柳编织", "Wicker weaving", 7),
    ("agri_processing", "红薯粉丝", "Sweet-potato vermicelli", 2),
    ("agri_processing", "手工挂面", "Hand-made noodles", 2),
    ("rural_ecommerce", "农村电商", "Rural e-commerce", 2),
    ("photovoltaic", "村级光伏电站", "Village solar power station", 4),
    ("farm_stay", "农家乐", "Farm-stay restaurants", 0),
    ("homestay", "民宿", "Homestays", 0),
]
TOURISM_PRODUCTS = [p for p in PRODUCTS if p[0] in ("farm_stay", "homestay")] + [
    ("farm_stay", "乡村旅游", "Rural tourism", 0),
]

TOPICS: list[tuple[str, str, str]] = [
    ("funds_management", "扶贫资金管理", "Poverty-alleviation funds management"),
    ("policy_analysis", "政策解读", "Policy analysis"),
    ("rural_preaching", "农村宣讲技巧", "Rural preaching skills"),
    ("rural_tourism", "乡村旅游", "Rural tourism"),
    ("education", "教育扶贫", "Poverty alleviation through education"),
    ("ecommerce", "农村电商", "Rural e-commerce"),
]
TOPIC_IDS = {code: i for i, (code, _zh, _en) in enumerate(TOPICS, start=1)}

# (zh, en); the sending units of first secretaries and work teams, and the helpers' units.
UNITS: list[tuple[str, str]] = [
    ("县财政局", "County Finance Bureau"),
    ("县教育局", "County Education Bureau"),
    ("县卫健委", "County Health Commission"),
    ("县农业农村局", "County Agriculture and Rural Affairs Bureau"),
    ("县人社局", "County Human Resources and Social Security Bureau"),
    ("县民政局", "County Civil Affairs Bureau"),
    ("县水利局", "County Water Resources Bureau"),
    ("县交通运输局", "County Transport Bureau"),
    ("县住建局", "County Housing and Urban-Rural Development Bureau"),
    ("县自然资源局", "County Natural Resources Bureau"),
    ("县发改委", "County Development and Reform Commission"),
    ("县商务局", "County Commerce Bureau"),
    ("县扶贫办", "County Poverty Alleviation Office"),
    ("县委组织部", "County Party Organisation Department"),
    ("县委宣传部", "County Party Publicity Department"),
    ("县纪委监委", "County Commission for Discipline Inspection"),
    ("县市场监管局", "County Market Regulation Bureau"),
    ("县文旅局", "County Culture and Tourism Bureau"),
    ("县林业局", "County Forestry Bureau"),
    ("县科技局", "County Science and Technology Bureau"),
    ("县供电公司", "County Power Supply Company"),
    ("县农商银行", "County Rural Commercial Bank"),
    ("市农业农村局", "City Agriculture and Rural Affairs Bureau"),
    ("市财政局", "City Finance Bureau"),
    ("市扶贫办", "City Poverty Alleviation Office"),
    ("市生态环境局", "City Ecology and Environment Bureau"),
]
CITY_UNIT_WEIGHT = 0.35  # city units send fewer people than county units

# (zh, pinyin, weight): common surnames, each pinyin once so English village names stay unique.
SURNAMES: list[tuple[str, str, float]] = [
    ("王", "Wang", 10), ("李", "Li", 10), ("张", "Zhang", 10), ("刘", "Liu", 8), ("陈", "Chen", 6),
    ("杨", "Yang", 5), ("赵", "Zhao", 4), ("黄", "Huang", 4), ("周", "Zhou", 4), ("吴", "Wu", 4),
    ("徐", "Xu", 3), ("孙", "Sun", 3), ("胡", "Hu", 3), ("朱", "Zhu", 3), ("高", "Gao", 3),
    ("林", "Lin", 2), ("何", "He", 2), ("郭", "Guo", 2), ("马", "Ma", 2), ("罗", "Luo", 1.5),
    ("梁", "Liang", 1.5), ("宋", "Song", 1.5), ("郑", "Zheng", 1.5), ("谢", "Xie", 1.5),
    ("韩", "Han", 1.5), ("唐", "Tang", 1.5), ("冯", "Feng", 1.5), ("于", "Yu", 1.5),
    ("董", "Dong", 1.5), ("程", "Cheng", 1.2), ("曹", "Cao", 1.2), ("袁", "Yuan", 1.2),
    ("邓", "Deng", 1.2), ("沈", "Shen", 1), ("彭", "Peng", 1), ("苏", "Su", 1), ("卢", "Lu", 1),
    ("蒋", "Jiang", 1), ("蔡", "Cai", 1), ("贾", "Jia", 1), ("丁", "Ding", 1), ("魏", "Wei", 1),
    ("薛", "Xue", 1), ("叶", "Ye", 1), ("闫", "Yan", 1), ("潘", "Pan", 1), ("杜", "Du", 1),
    ("戴", "Dai", 1), ("夏", "Xia", 1), ("钟", "Zhong", 1), ("田", "Tian", 1), ("任", "Ren", 1),
    ("范", "Fan", 1), ("方", "Fang", 1), ("石", "Shi", 1), ("姚", "Yao", 1), ("葛", "Ge", 0.8),
    ("孔", "Kong", 0.8), ("白", "Bai", 0.8), ("崔", "Cui", 0.8), ("康", "Kang", 0.8),
    ("毛", "Mao", 0.8), ("秦", "Qin", 0.8), ("侯", "Hou", 0.8), ("孟", "Meng", 0.8),
    ("段", "Duan", 0.8), ("雷", "Lei", 0.8), ("钱", "Qian", 0.8), ("常", "Chang", 0.8),
    ("牛", "Niu", 0.8), ("鲍", "Bao", 0.6), ("岳", "Yue", 0.6), ("武", "Wu", 0),
]  # fmt: skip
SURNAMES = [s for s in SURNAMES if s[2] > 0]
SURNAME_WEIGHTS = [s[2] for s in SURNAMES]
# Village name suffixes common on the Huaihe plain: 庄 hamlet, 楼, 湾 bend, 岗 ridge, 集 market…
VILLAGE_SUFFIXES: list[tuple[str, str]] = [
    ("庄", "zhuang"), ("楼", "lou"), ("湾", "wan"), ("岗", "gang"), ("集", "ji"), ("圩", "wei"),
    ("桥", "qiao"), ("洼", "wa"), ("营", "ying"), ("寨", "zhai"), ("郢", "ying"), ("店", "dian"),
]  # fmt: skip
MALE_GIVEN = (
    "伟刚勇毅俊峰强军平保东文辉力明永健广志义兴良海山仁波贵福生龙元全国胜学祥才发武新"
    "利清飞富顺信杰涛昌成康光天达安中茂进林有和彪诚先振会庆磊民友河超浩亮宏朋斌栋维建"
    "家德树长金玉春"
)
FEMALE_GIVEN = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲环雪荣爱霞香"
    "月艳瑞佳琼勤珍莉桂叶晶秋丽敏"
)

# Organisation brand words (zh, pinyin).
BRANDS: list[tuple[str, str]] = [
    ("丰源", "Fengyuan"), ("金穗", "Jinsui"), ("惠农", "Huinong"), ("盛华", "Shenghua"),
    ("佳禾", "Jiahe"), ("鑫旺", "Xinwang"), ("正阳", "Zhengyang"), ("富民", "Fumin"),
    ("兴农", "Xingnong"), ("康源", "Kangyuan"), ("天禾", "Tianhe"), ("瑞丰", "Ruifeng"),
    ("永盛", "Yongsheng"), ("宏达", "Hongda"), ("春晖", "Chunhui"), ("淮润", "Huairun"),
    ("田园", "Tianyuan"), ("恒信", "Hengxin"), ("嘉诚", "Jiacheng"), ("聚丰", "Jufeng"),
    ("德众", "Dezhong"), ("和顺", "Heshun"), ("润丰", "Runfeng"), ("万家", "Wanjia"),
]  # fmt: skip

# Enterprise name endings by industry (zh, en); anything else is an agricultural technology company.
ENTERPRISE_KINDS: dict[str, tuple[str, str]] = {
    "beef_cattle": ("牧业有限公司", "Animal Husbandry Co., Ltd."),
    "pigs": ("牧业有限公司", "Animal Husbandry Co., Ltd."),
    "goats": ("牧业有限公司", "Animal Husbandry Co., Ltd."),
    "poultry": ("禽业有限公司", "Poultry Co., Ltd."),
    "crayfish": ("水产有限公司", "Aquatic Products Co., Ltd."),
    "rice_crayfish": ("生态农业有限公司", "Ecological Agriculture Co., Ltd."),
    "wicker_weaving": ("柳编工艺品有限公司", "Wicker Crafts Co., Ltd."),
    "agri_processing": ("食品有限公司", "Food Co., Ltd."),
    "farm_stay": ("旅游发展有限公司", "Tourism Development Co., Ltd."),
    "homestay": ("旅游发展有限公司", "Tourism Development Co., Ltd."),
    "rural_ecommerce": ("电子商务有限公司", "E-commerce Co., Ltd."),
    "local_work": ("服饰有限公司", "Garment Co., Ltd."),
    "photovoltaic": ("新能源有限公司", "New Energy Co., Ltd."),
}
DEFAULT_ENTERPRISE = ("农业科技有限公司", "Agricultural Technology Co., Ltd.")
# How a cooperative names its product, when not the industry's own name.
COOPERATIVE_PRODUCTS: dict[str, tuple[str, str]] = {
    "yellow_peach": ("黄桃", "Yellow Peach"),
    "edible_fungi": ("食用菌", "Mushroom"),
    "vegetables": ("蔬菜", "Vegetable"),
    "rice_crayfish": ("稻虾", "Rice-Crayfish"),
    "crayfish": ("小龙虾", "Crayfish"),
    "pigs": ("生猪", "Pig"),
    "goats": ("山羊", "Goat"),
    "wicker_weaving": ("杞柳编织", "Wicker Weaving"),
    "agri_processing": ("农产品加工", "Farm Produce Processing"),
}
ORG_FILLERS = [
    "local_work",
    "rural_ecommerce",
    "agri_processing",
    "vegetables",
    "beef_cattle",
    "photovoltaic",
]
COOPERATIVE_KINDS: dict[IndustryCategory, tuple[str, str]] = {
    IndustryCategory.PLANTING: ("种植专业合作社", "Planting Cooperative"),
    IndustryCategory.LIVESTOCK: ("养殖专业合作社", "Breeding Cooperative"),
    IndustryCategory.PROCESSING: ("专业合作社", "Cooperative"),
    IndustryCategory.TOURISM: ("乡村旅游专业合作社", "Rural Tourism Cooperative"),
    IndustryCategory.ECOMMERCE: ("电商专业合作社", "E-commerce Cooperative"),
}

CAUSE_WEIGHTS: dict[PovertyCause, float] = {
    PovertyCause.ILLNESS: 35,
    PovertyCause.DISABILITY: 15,
    PovertyCause.LACK_OF_LABOUR: 12,
    PovertyCause.LACK_OF_SKILLS: 12,
    PovertyCause.LACK_OF_CAPITAL: 10,
    PovertyCause.EDUCATION_COSTS: 7,
    PovertyCause.DISASTER: 5,
    PovertyCause.LACK_OF_LAND: 4,
}
# Share of households with no labour at all, by primary cause.
NO_LABOUR_SHARE: dict[PovertyCause, float] = {
    PovertyCause.LACK_OF_LABOUR: 0.75,
    PovertyCause.ILLNESS: 0.2,
    PovertyCause.DISABILITY: 0.25,
}
MEMBER_WEIGHTS = {1: 18, 2: 30, 3: 22, 4: 17, 5: 9, 6: 4}
EXIT_YEAR_WEIGHTS = {2014: 8, 2015: 14, 2016: 20, 2017: 20, 2018: 18, 2019: 14, 2020: 6}
LATE_EXIT_YEAR_WEIGHTS = {2014: 3, 2015: 6, 2016: 10, 2017: 14, 2018: 18, 2019: 25, 2020: 24}
VILLAGE_EXIT_YEAR_WEIGHTS = {2016: 15, 2017: 20, 2018: 25, 2019: 27, 2020: 13}

STAGES = list(PlanStage)
LEAD_STAGE_WEIGHTS = (0.06, 0.15, 0.31, 0.48)
LAG_STAGE_WEIGHTS = (0.25, 0.36, 0.26, 0.13)
# Earliest and latest planned_on for a plan that has reached each stage by AS_OF.
PLANNED_WINDOW: dict[PlanStage, tuple[dt.date, dt.date]] = {
    PlanStage.PLANNED: (dt.date(2019, 9, 1), dt.date(2020, 10, 15)),
    PlanStage.STARTED: (dt.date(2018, 3, 1), dt.date(2020, 6, 30)),
    PlanStage.PRODUCING: (dt.date(2016, 3, 1), dt.date(2019, 9, 30)),
    PlanStage.STABLE: (dt.date(2016, 3, 1), dt.date(2018, 12, 31)),
}
# Why a plan went back a stage, by industry category; anything else uses the general reasons.
SETBACK_REASONS: dict[IndustryCategory | None, list[str]] = {
    IndustryCategory.PLANTING: [
        "受2020年汛期洪涝影响减产",
        "市场价格下跌，暂缓扩大种植",
        "遭遇春季冻害，补种中",
    ],
    IndustryCategory.LIVESTOCK: ["养殖疫病，正在补栏", "饲料价格上涨，暂时缩小规模", "汛期鱼塘、虾塘被淹"],
    IndustryCategory.PROCESSING: ["订单减少，暂停加工", "合作社调整收购计划"],
    IndustryCategory.TOURISM: ["受新冠肺炎疫情影响暂停营业", "景区客流下降，暂停经营"],
    IndustryCategory.MIGRANT_WORK: ["受新冠肺炎疫情影响返乡待业", "扶贫车间订单减少，暂时停工"],
    None: ["户主生病住院，暂停经营", "主要劳动力外出务工，暂缓", "合作社调整收购计划"],
}

BENEFIT_WEIGHTS: dict[OrgKind, dict[BenefitType, float]] = {
    OrgKind.ENTERPRISE: {
        BenefitType.LAND_RENT: 35,
        BenefitType.WAGES: 35,
        BenefitType.DIVIDEND: 20,
        BenefitType.GUARANTEED_PURCHASE: 10,
    },
    OrgKind.COOPERATIVE: {
        BenefitType.DIVIDEND: 40,
        BenefitType.GUARANTEED_PURCHASE: 35,
        BenefitType.LAND_RENT: 20,
        BenefitType.WAGES: 5,
    },
}
BENEFIT_AMOUNT: dict[BenefitType, tuple[int, int]] = {
    BenefitType.LAND_RENT: (600, 2_000),
    BenefitType.DIVIDEND: (300, 1_500),
    BenefitType.WAGES: (8_000, 24_000),
    BenefitType.GUARANTEED_PURCHASE: (2_000, 8_000),
}

# Heads of poor households are mostly older.
HEAD_BIRTH_YEARS = list(range(1935, 1991))
HEAD_BIRTH_WEIGHTS = [1 + (1990 - y) / 20 for y in HEAD_BIRTH_YEARS]

VISIT_START = dt.date(2020, 5, 1)
VISIT_PROBLEMS = [
    "收入台账与实际不符",
    "家庭成员信息未及时更新",
    "帮扶措施记录缺失",
    "危房改造资料不全",
    "户主身份证号码有误",
    "2020年收入核算表未填写",
    "享受政策明细与台账不一致",
]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

ROTATION_2019_PHASES = (
    (1, dt.date(2019, 4, 15), dt.date(2019, 4, 19), 160),
    (2, dt.date(2019, 9, 16), dt.date(2019, 9, 20), 161),
)
ROTATION_2019_TRAINED = 321
BIJIE_TOUR_SIZE = 50


# --- small helpers -------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: Mapping[T, float]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def id_check_digit(first17: str) -> str:
    """ISO 7064 mod 11-2 check character of a Chinese resident ID number."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def _blend(t: float) -> list[float]:
    return [(1 - t) * lead + t * lag for lead, lag in zip(LEAD_STAGE_WEIGHTS, LAG_STAGE_WEIGHTS, strict=True)]


def _weighted_sample(rng: random.Random, items: Sequence[T], weights: Sequence[float], k: int) -> list[T]:
    """k items without replacement, chance proportional to weight (Efraimidis–Spirakis keys)."""
    keyed = sorted(
        ((rng.random() ** (1 / w), i) for i, w in enumerate(weights)), key=lambda kv: (-kv[0], kv[1])
    )
    return [items[i] for _key, i in keyed[:k]]


@dataclass
class DemoSummary:
    """Row counts of what `generate` inserted."""

    towns: int = 0
    villages: int = 0
    households: int = 0
    household_causes: int = 0
    household_incomes: int = 0
    industries: int = 0
    industry_plans: int = 0
    plan_stage_changes: int = 0
    organisations: int = 0
    organisation_links: int = 0
    cadres: int = 0
    postings: int = 0
    training_sessions: int = 0
    attendance: int = 0
    verification_visits: int = 0
    accounts: int = 0

    def line(self) -> str:
        return ", ".join(f"{f.name.replace('_', ' ')} {getattr(self, f.name):,}" for f in fields(self))

    def __str__(self) -> str:
        return self.line()


@dataclass
class _TownInfo:
    id: int
    code: str
    name_zh: str
    pinyin: str
    ring: geo.Ring
    scenic: tuple[float, float] | None
    stage_lag: float = 0.0  # 0 leads … 1 lags on industry plan stages
    poor_factor: float = 1.0
    visit_share: float = 0.75
    training_weight: float = 1.0
    # What the assessment would find: chance a visit finds the household satisfied,
    # chance a visit finds a non-registered household in need, extra chance an exited household
    # has no safe water recorded.
    satisfaction: float = 0.96
    missed_need: float = 0.001
    water_gap: float = 0.0
    villages: list[_VillageInfo] = field(default_factory=list)
    orgs: list[tuple[int, OrgKind, str]] = field(default_factory=list)  # (id, kind, industry code)


@dataclass
class _VillageInfo:
    id: int
    code: str
    town: _TownInfo
    surname: str
    is_poor: bool
    exit_year: int | None  # actual exit year of a poor village
    due_2020: bool
    industry: str | None
    cadres: list[tuple[str, str]] = field(default_factory=list)  # serving (name, unit_zh)


@dataclass
class _Rows:
    """Rows to insert, by model; INSERT_ORDER says in which order."""

    tables: dict[type[Base], list[Row]] = field(default_factory=dict)

    def add(self, model: type[Base], row: Row) -> None:
        self.tables.setdefault(model, []).append(row)

    def count(self, model: type[Base]) -> int:
        return len(self.tables.get(model, []))


INSERT_ORDER: list[type[Base]] = [
    Industry,
    Town,
    Village,
    Organisation,
    Cadre,
    Posting,
    Household,
    HouseholdCause,
    HouseholdIncome,
    IndustryPlan,
    PlanStageChange,
    OrganisationLink,
    TrainingProgramme,
    TrainingTopic,
    TrainingSession,
    SessionTopic,
    Attendance,
    VerificationVisit,
]


class _People:
    """Chinese personal names and fake but well-formed resident ID numbers."""

    def __init__(self, rng: random.Random, region_code: str) -> None:
        self.rng = rng
        self.region_code = region_code
        self.id_numbers: set[str] = set()

    def surname(self) -> tuple[str, str, float]:
        return self.rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]

    def name(self, *, male: bool, surname: str | None = None) -> str:
        chars = MALE_GIVEN if male else FEMALE_GIVEN
        given = self.rng.choice(chars)
        if self.rng.random() < 0.7:
            given += self.rng.choice(chars)
        return (surname or self.surname()[0]) + given

    def id_number(self, *, birth_year: int, male: bool) -> str:
        while True:
            born = dt.date(birth_year, 1, 1) + dt.timedelta(days=self.rng.randint(0, 364))
            seq = self.rng.randrange(1, 500) * 2 - (1 if male else 0)
            first17 = f"{self.region_code}{born:%Y%m%d}{seq:03d}"
            number = first17 + id_check_digit(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number


# --- the county ----------------------------------------------------------------------------------


class _CountyBuilder:
    """Builds one county's rows; a city or province will run one per county with shared ids."""

    def __init__(
        self,
        rng: random.Random,
        rows: _Rows,
        ids: dict[type[Base], int],
        *,
        county_code: str = COUNTY_CODE,
        households_factor: float = 1.0,
    ) -> None:
        self.rng = rng
        self.rows = rows
        self.ids = ids
        self.households_factor = households_factor
        self.towns: list[_TownInfo] = []
        self.village_list: list[_VillageInfo] = []
        self.people = _People(rng, county_code)
        # (cadre id, town) of every first secretary, past and present
        self.first_secretaries: list[tuple[int, _TownInfo]] = []
        # cadre id → start of the posting held during the 2019 training, for those who held one
        self.serving_fs_start: dict[int, dt.date] = {}
        self.departed_after_training: list[int] = []  # trained-eligible cadres who left or moved
        self.stats: dict[str, int] = {}
        self.village_rows: list[Row] = []

    def next_id(self, model: type[Base]) -> int:
        self.ids[model] = self.ids.get(model, 0) + 1
        return self.ids[model]

    # towns and villages -------------------------------------------------------------------------

    def build(self, towns_geojson: dict[str, Any]) -> None:
        features = sorted(towns_geojson["features"], key=lambda f: f["properties"]["code"])
        for feature in features:
            self._town(feature)
        self._town_profiles()
        for town in self.towns:
            self._villages(town)
        self._missing_coordinates()
        for town in self.towns:
            self._organisations(town)
        self._cadres()
        for town in self.towns:
            for village in town.villages:
                self._households(village)

    def _town(self, feature: dict[str, Any]) -> None:
        props = feature["properties"]
        town_id = self.next_id(Town)
        scenic = (props["scenic_lon"], props["scenic_lat"]) if props.get("scenic_lon") is not None else None
        self.rows.add(
            Town,
            {
                "id": town_id,
                "code": props["code"],
                "name_zh": props["name_zh"],
                "name_en": props["name_en"],
                "lon": props["lon"],
                "lat": props["lat"],
            },
        )
        self.towns.append(
            _TownInfo(
                id=town_id,
                code=props["code"],
                name_zh=props["name_zh"],
                pinyin=props["name_en"].split()[0],
                ring=geo.town_ring(feature),
                scenic=scenic,
            )
        )

    def _town_profiles(self) -> None:
        """Which towns lead and which lag, so rankings in a promotion meeting say something."""
        rng = self.rng
        candidates = [t for t in self.towns if t.scenic is None]
        for town in self.towns:
            town.stage_lag = rng.uniform(0.0, 0.25)
            town.visit_share = rng.uniform(0.62, 0.78)
        for town in rng.sample(candidates, 4):
            town.stage_lag = rng.uniform(0.8, 1.0)
            town.poor_factor = 1.35
        shuffled = rng.sample(self.towns, len(self.towns))
        for town in shuffled[:4]:
            town.visit_share = rng.uniform(0.36, 0.45)
        for town in shuffled[4:10]:
            town.visit_share = rng.uniform(0.93, 0.98)
        # Three of the well-visited towns would still fail the assessment, each for its own reason
        # (set without drawing, so every other figure stays as it was): households not satisfied,
        # visits finding households in need left off the register, exits without safe water.
        shuffled[4].satisfaction = 0.86
        shuffled[5].missed_need = 0.02
        shuffled[6].water_gap = 0.04
        shuffled = rng.sample(self.towns, len(self.towns))
        for town in shuffled[:3]:
            town.training_weight = 0.1
        for town in shuffled[3:10]:
            town.training_weight = 20.0

    def _villages(self, town: _TownInfo) -> None:
        rng = self.rng
        used: set[str] = set()
        count = rng.randint(12, 17)
        for n in range(1, count + 1):
            while True:
                surname, surname_py, _w = self.people.surname()
                suffix, suffix_py = rng.choice(VILLAGE_SUFFIXES)
                name_zh = f"{surname}{suffix}村"
                name_en = f"{surname_py}{suffix_py} Village"
                if name_zh not in used and name_en not in used:
                    used.update((name_zh, name_en))
                    break
            lon, lat = geo.random_point_in_polygon(rng, town.ring)
            is_poor = rng.random() < 0.4
            planned = actual = None
            due = False
            if is_poor:
                planned = _weighted(rng, VILLAGE_EXIT_YEAR_WEIGHTS)
                actual = planned if planned < 2020 else None
                if planned == 2019 and rng.random() < 0.03:
                    actual = None
                due = actual is None
            product = self._signature_product(town, lon, lat)
            village = _VillageInfo(
                id=self.next_id(Village),
                code=f"{town.code}{200 + n:03d}",
                town=town,
                surname=surname,
                is_poor=is_poor,
                exit_year=actual,
                due_2020=due,
                industry=product[0] if product else None,
            )
            village_row: Row = {
                "id": village.id,
                "code": village.code,
                "town_id": town.id,
                "name_zh": name_zh,
                "name_en": name_en,
                "lon": round(lon, 5),
                "lat": round(lat, 5),
                "is_poor": is_poor,
                "planned_exit_year": planned,
                "actual_exit_year": actual,
                "population": rng.randint(1_500, 4_500),
                "signature_product_zh": product[1] if product else None,
                "signature_product_en": product[2] if product else None,
                "signature_industry_id": INDUSTRY_IDS[product[0]] if product else None,
                "version": 1,
            }
            self.rows.add(Village, village_row)
            self.village_rows.append(village_row)
            town.villages.append(village)
            self.village_list.append(village)

    def _signature_product(
        self, town: _TownInfo, lon: float, lat: float
    ) -> tuple[str, str, str, float] | None:
        rng = self.rng
        if rng.random() < 0.05:
            return None
        if town.scenic is not None:
            # Distance in degrees is enough to tell "near the scenic area" inside one town.
            near = math.dist((lon, lat), town.scenic) < 0.06
            if near and rng.random() < 0.85:
                return rng.choice(TOURISM_PRODUCTS)
        return rng.choices(PRODUCTS, weights=[p[3] for p in PRODUCTS])[0]

    def _missing_coordinates(self) -> None:
        """Real registers have gaps: a few villages were never located."""
        village_rows = self.village_rows
        for index in sorted(self.rng.sample(range(len(village_rows)), self.rng.randint(2, 3))):
            village_rows[index]["lon"] = None
            village_rows[index]["lat"] = None

    # organisations ------------------------------------------------------------------------------

    def _organisations(self, town: _TownInfo) -> None:
        rng = self.rng
        counts: dict[str, int] = {}
        for village in town.villages:
            if village.industry and village.industry not in SHARE_INDUSTRIES:
                counts[village.industry] = counts.get(village.industry, 0) + 1
        local = sorted(counts, key=lambda code: (-counts[code], code))
        wanted: list[tuple[OrgKind, str]] = []
        if town.scenic is not None:
            wanted += [(OrgKind.ENTERPRISE, "farm_stay"), (OrgKind.COOPERATIVE, "homestay")]
        n = rng.randint(3, 6)
        for code in local:
            if len(wanted) >= n:
                break
            kind = OrgKind.COOPERATIVE if rng.random() < 0.55 else OrgKind.ENTERPRISE
            if INDUSTRY_CATEGORY[code] is IndustryCategory.ECOMMERCE:
                kind = OrgKind.ENTERPRISE
            if (kind, code) not in wanted:
                wanted.append((kind, code))
        fillers = [(OrgKind.ENTERPRISE, code) for code in ORG_FILLERS]
        for kind_code in rng.sample(fillers, len(fillers)):
            if len(wanted) >= n:
                break
            if kind_code not in wanted:
                wanted.append(kind_code)
        brands = rng.sample(BRANDS, len(wanted))
        short_zh = town.name_zh[:-1]
        for (kind, code), (brand_zh, brand_py) in zip(wanted, brands, strict=True):
            industry_zh, industry_en = INDUSTRY_NAMES[code]
            if kind is OrgKind.ENTERPRISE:
                if town.scenic is not None and code == "farm_stay":
                    name_zh, name_en = (
                        f"{short_zh}旅游发展有限公司",
                        f"{town.pinyin} Tourism Development Co., Ltd.",
                    )
                else:
                    end_zh, end_en = ENTERPRISE_KINDS.get(code, DEFAULT_ENTERPRISE)
                    name_zh = f"{short_zh}{brand_zh}{end_zh}"
                    name_en = f"{town.pinyin} {brand_py} {end_en}"
            else:
                category = INDUSTRY_CATEGORY[code]
                end_zh, end_en = COOPERATIVE_KINDS.get(category, ("专业合作社", "Cooperative"))
                if code == "homestay":
                    name_zh = f"{short_zh}{brand_zh}民宿专业合作社"
                    name_en = f"{town.pinyin} {brand_py} Homestay Cooperative"
                elif category in (IndustryCategory.TOURISM, IndustryCategory.ECOMMERCE):
                    name_zh = f"{short_zh}{brand_zh}{end_zh}"
                    name_en = f"{town.pinyin} {brand_py} {end_en}"
                else:
                    product_zh, product_en = COOPERATIVE_PRODUCTS.get(
                        code, (industry_zh, industry_en.title())
                    )
                    name_zh = f"{short_zh}{brand_zh}{product_zh}{end_zh}"
                    name_en = f"{town.pinyin} {brand_py} {product_en} {end_en}"
            org_id = self.next_id(Organisation)
            self.rows.add(
                Organisation,
                {
                    "id": org_id,
                    "kind": kind.value,
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "industry_id": INDUSTRY_IDS[code],
                    "town_id": town.id,
                },
            )
            town.orgs.append((org_id, kind, code))

    # first secretaries and work teams -----------------------------------------------------------

    def _cadre(self, *, first_secretary: bool, unit: tuple[str, str] | None = None) -> tuple[int, str, str]:
        rng = self.rng
        male = rng.random() < (0.85 if first_secretary else 0.7)
        name = self.people.name(male=male)
        if unit is None:
            unit = rng.choices(UNITS, weights=[CITY_UNIT_WEIGHT if u[0][0] == "市" else 1 for u in UNITS])[0]
        cadre_id = self.next_id(Cadre)
        self.rows.add(
            Cadre,
            {
                "id": cadre_id,
                "name": name,
                "gender": "M" if male else "F",
                "birth_year": rng.randint(1965, 1990) if first_secretary else rng.randint(1968, 1992),
                "sent_by_unit_zh": unit[0],
                "sent_by_unit_en": unit[1],
            },
        )
        return cadre_id, name, unit[0]

    def _posting(
        self, cadre_id: int, village: _VillageInfo, role: PostingRole, start: dt.date, end: dt.date | None
    ) -> None:
        self.rows.add(
            Posting,
            {
                "id": self.next_id(Posting),
                "cadre_id": cadre_id,
                "village_id": village.id,
                "role": role.value,
                "start_date": start,
                "end_date": end,
            },
        )

    def _cadres(self) -> None:
        """One serving first secretary per village, ≈45 replaced ones, some of whom moved on."""
        rng = self.rng
        fs = PostingRole.FIRST_SECRETARY
        replaced = rng.sample(self.village_list, 45)
        movers_from = replaced[:12]  # their first secretary moved to a village in movers_to
        movers_to = replaced[12:24]  # their first secretary left in late 2019, a mover came
        left_early = replaced[24:]  # their first secretary left before the 2019 training
        plan: dict[int, str] = {v.id: "from" for v in movers_from}
        plan.update({v.id: "to" for v in movers_to})
        plan.update({v.id: "early" for v in left_early})
        mover_dest = dict(zip([v.id for v in movers_from], movers_to, strict=True))
        arrivals: dict[int, tuple[int, str, str, dt.date]] = {}  # village id → mover arriving
        # When each replaced secretary left; a mover arrives only after the one they replace left.
        ends: dict[int, dt.date] = {}
        for village in left_early:
            ends[village.id] = _date_between(rng, dt.date(2017, 8, 15), dt.date(2019, 3, 31))
        for origin, dest in zip(movers_from, movers_to, strict=True):
            ends[origin.id] = _date_between(rng, dt.date(2019, 10, 8), dt.date(2019, 12, 10))
            ends[dest.id] = ends[origin.id] - dt.timedelta(days=rng.randint(0, 20))

        for village in self.village_list:
            kind = plan.get(village.id)
            if kind is None:
                start = _date_between(rng, dt.date(2017, 3, 1), dt.date(2019, 6, 30))
            else:
                first_start = _date_between(rng, dt.date(2015, 8, 1), dt.date(2016, 6, 30))
                end = ends[village.id]
                cadre_id, name, unit = self._cadre(first_secretary=True)
                self._posting(cadre_id, village, fs, first_start, end)
                self.first_secretaries.append((cadre_id, village.town))
                if end > ROTATION_2019_PHASES[0][1]:
                    self.serving_fs_start[cadre_id] = first_start
                    self.departed_after_training.append(cadre_id)
                start = end + dt.timedelta(days=rng.randint(1, 12))
                if kind == "from":
                    dest = mover_dest[village.id]
                    arrivals[dest.id] = (cadre_id, name, unit, start)
            if kind == "to":
                # Set up when the leaving secretary of that village was written: see arrivals.
                continue
            cadre_id, name, unit = self._cadre(first_secretary=True)
            self._posting(cadre_id, village, fs, start, None)
            self.first_secretaries.append((cadre_id, village.town))
            self.serving_fs_start[cadre_id] = start
            village.cadres.append((name, unit))
        # Movers arrive after their new village's secretary has left: postings kept in order.
        for village in movers_to:
            cadre_id, name, unit, start = arrivals[village.id]
            self._posting(cadre_id, village, fs, start, None)
            village.cadres.insert(0, (name, unit))

        for village in self.village_list:
            lead_unit = next(u for u in UNITS if u[0] == village.cadres[0][1])
            members = rng.choice((2, 2, 2, 3, 3)) if village.is_poor else rng.choice((1, 2))
            for _ in range(members):
                team_unit = lead_unit if rng.random() < 0.6 else None
                cadre_id, name, unit_zh = self._cadre(first_secretary=False, unit=team_unit)
                start = _date_between(rng, dt.date(2017, 6, 1), dt.date(2020, 6, 30))
                self._posting(cadre_id, village, PostingRole.TEAM_MEMBER, start, None)
                village.cadres.append((name, unit_zh))

    # households ---------------------------------------------------------------------------------

    def _households(self, village: _VillageInfo) -> None:
        rng = self.rng
        town = village.town
        count = rng.randint(80, 100) if village.is_poor else rng.randint(30, 45)
        if self.households_factor != 1.0:
            count = round(count * self.households_factor)
        p_poor = (0.25 if village.due_2020 else 0.052) * town.poor_factor
        p_monitored = 0.05
        helpers = self._helpers(village, count)
        for n in range(1, count + 1):
            self._household(village, n, p_poor, p_monitored, helpers)

    def _helpers(self, village: _VillageInfo, households: int) -> list[tuple[str, str]]:
        """帮扶责任人: the work team plus county and town staff, each helping a handful of households."""
        rng = self.rng
        pool = list(village.cadres)
        town_office = f"{village.town.name_zh}人民政府"
        while len(pool) < max(3, households // 6):
            unit = town_office if rng.random() < 0.35 else rng.choice(UNITS)[0]
            pool.append((self.people.name(male=rng.random() < 0.65), unit))
        return pool

    def _household(
        self,
        village: _VillageInfo,
        n: int,
        p_poor: float,
        p_monitored: float,
        helpers: list[tuple[str, str]],
    ) -> None:
        rng = self.rng
        household_id = self.next_id(Household)
        roll = rng.random()
        if roll < p_poor:
            status = HouseholdStatus.POOR
        elif roll < p_poor + p_monitored:
            status = HouseholdStatus.MONITORED
        else:
            status = HouseholdStatus.EXITED
        exited = status is not HouseholdStatus.POOR

        registered = _weighted(rng, {2014: 70, 2015: 18, 2016: 12})
        exit_year: int | None = None
        if exited:
            weights = LATE_EXIT_YEAR_WEIGHTS if village.due_2020 else EXIT_YEAR_WEIGHTS
            exit_year = _weighted(rng, {y: w for y, w in weights.items() if y >= registered})
            if village.exit_year and exit_year > village.exit_year and rng.random() < 0.85:
                exit_year = max(village.exit_year, registered)

        cause = _weighted(rng, CAUSE_WEIGHTS)
        members = _weighted(rng, MEMBER_WEIGHTS)
        if rng.random() < NO_LABOUR_SHARE.get(cause, 0.05):
            labour = 0
        else:
            labour = min(members, 1 + (rng.random() < 0.55) + (rng.random() < 0.15))
        male_head = rng.random() < 0.85
        head_birth_year = rng.choices(HEAD_BIRTH_YEARS, weights=HEAD_BIRTH_WEIGHTS)[0]
        surname = village.surname if rng.random() < 0.4 else None
        helper_name, helper_unit = rng.choice(helpers)

        grade = self._housing_grade(exited)
        flags = self._guarantees(exited, grade, water_gap=village.town.water_gap)

        problem: str | None = None
        if exited and rng.random() < 0.01:
            problem = rng.choice(("missing_step", "out_of_order", "income_below_line"))
            self.stats[f"problem_{problem}"] = self.stats.get(f"problem_{problem}", 0) + 1
        steps = self._exit_steps(exit_year, problem) if exit_year else [None] * 5

        self.rows.add(
            Household,
            {
                "id": household_id,
                "archive_no": f"{village.code}{n:04d}",
                "village_id": village.id,
                "head_name": self.people.name(male=male_head, surname=surname),
                "head_id_number": self.people.id_number(birth_year=head_birth_year, male=male_head),
                "members": members,
                "labour_count": labour,
                "primary_cause": cause.value,
                "housing_grade": grade.value,
                **flags,
                "status": status.value,
                "registered_year": registered,
                "exit_year": exit_year,
                "exit_appraised_on": steps[0],
                "exit_verified_on": steps[1],
                "exit_agreed_on": steps[2],
                "exit_noticed_on": steps[3],
                "exit_removed_on": steps[4],
                "helper_name": helper_name,
                "helper_unit": helper_unit,
                "version": 1,
            },
        )
        self.rows.add(HouseholdCause, {"household_id": household_id, "cause": cause.value})
        if rng.random() < 0.3:
            second = _weighted(rng, {c: w for c, w in CAUSE_WEIGHTS.items() if c is not cause})
            self.rows.add(HouseholdCause, {"household_id": household_id, "cause": second.value})

        partners = self._plans(household_id, village, status, labour)
        link_year, link_boost = self._links(household_id, village, status, partners)
        self._incomes(household_id, status, exit_year, link_year, link_boost, problem)
        self._visits(household_id, village, helper_name, problem)

    def _housing_grade(self, exited: bool) -> HousingGrade:
        weights = (
            {HousingGrade.A: 56, HousingGrade.B: 43.7, HousingGrade.C: 0.25, HousingGrade.D: 0.05}
            if exited
            else {HousingGrade.A: 35, HousingGrade.B: 52, HousingGrade.C: 10, HousingGrade.D: 3}
        )
        return _weighted(self.rng, weights)

    def _guarantees(self, exited: bool, grade: HousingGrade, *, water_gap: float = 0.0) -> dict[str, bool]:
        rng = self.rng
        if exited:
            miss = 0.0005
            flags = {
                "no_worry_food": rng.random() >= miss,
                "no_worry_clothing": rng.random() >= miss,
                "guarantee_education": rng.random() >= miss,
                "guarantee_medical": rng.random() >= miss,
                "guarantee_housing": rng.random() >= miss,
                "safe_water": rng.random() >= miss + water_gap,
            }
        else:
            flags = {
                "no_worry_food": rng.random() < 0.96,
                "no_worry_clothing": rng.random() < 0.96,
                "guarantee_education": rng.random() < 0.93,
                "guarantee_medical": rng.random() < 0.92,
                "guarantee_housing": rng.random() < 0.9,
                "safe_water": rng.random() < 0.85,
            }
        if grade in (HousingGrade.C, HousingGrade.D):
            # Unsafe housing is not guaranteed, except a handful of records that contradict it.
            contradiction = rng.random() < 0.03
            flags["guarantee_housing"] = contradiction
            if contradiction:
                self.stats["problem_housing_contradiction"] = (
                    self.stats.get("problem_housing_contradiction", 0) + 1
                )
        return flags

    def _exit_steps(self, year: int, problem: str | None) -> list[dt.date | None]:
        """Appraisal → verified → agreed → noticed (7-day public notice) → removed."""
        rng = self.rng
        if year < AS_OF.year:
            appraised = _date_between(rng, dt.date(year, 10, 8), dt.date(year, 11, 25))
        else:
            appraised = _date_between(rng, dt.date(year, 7, 1), dt.date(year, 10, 3))
        verified = appraised + dt.timedelta(days=rng.randint(3, 7))
        agreed = verified + dt.timedelta(days=rng.randint(1, 4))
        noticed = agreed + dt.timedelta(days=rng.randint(1, 3))
        removed = noticed + dt.timedelta(days=rng.randint(7, 10))
        steps: list[dt.date | None] = [appraised, verified, agreed, noticed, removed]
        if problem == "missing_step":
            steps[rng.randint(1, 3)] = None
        elif problem == "out_of_order":
            i = rng.randint(0, 3)
            steps[i], steps[i + 1] = steps[i + 1], steps[i]
        return steps

    def _plans(
        self, household_id: int, village: _VillageInfo, status: HouseholdStatus, labour: int
    ) -> list[int]:
        """One household, one industry: ≈75% of households with labour; shares for a few without."""
        rng = self.rng
        codes: list[str] = []
        if labour > 0:
            if rng.random() < 0.75:
                codes.append(self._household_industry(village))
                if rng.random() < 0.10:
                    second = self._household_industry(village)
                    while second == codes[0]:
                        second = _weighted(rng, HOUSEHOLD_INDUSTRY_WEIGHTS)
                    codes.append(second)
        elif rng.random() < 0.12:
            codes.append(rng.choice(SHARE_INDUSTRIES))
        lag = min(1.0, village.town.stage_lag + (0.3 if status is HouseholdStatus.POOR else 0.0))
        partners: list[int] = []
        for code in codes:
            partner = self._plan(household_id, village, code, lag)
            if partner is not None:
                partners.append(partner)
        return partners

    def _household_industry(self, village: _VillageInfo) -> str:
        rng = self.rng
        signature = village.industry
        if signature and signature not in SHARE_INDUSTRIES:
            share = 0.7 if INDUSTRY_CATEGORY[signature] is IndustryCategory.TOURISM else 0.35
            if rng.random() < share:
                return signature
        return _weighted(rng, HOUSEHOLD_INDUSTRY_WEIGHTS)

    def _plan(self, household_id: int, village: _VillageInfo, code: str, lag: float) -> int | None:
        rng = self.rng
        stage = rng.choices(STAGES, weights=_blend(lag))[0]
        low, high = PLANNED_WINDOW[stage]
        planned_on = _date_between(rng, low, high)
        path = STAGES[: stage.rank]
        setback = rng.random() < 0.02
        if setback:
            if stage is PlanStage.STABLE:
                path = [*path, PlanStage.PRODUCING, PlanStage.STABLE]
            else:
                path = [*STAGES[: stage.rank + 1], stage]
        # Dates of the moves after "planned": random gaps, squeezed to end by AS_OF.
        gaps = [rng.randint(45, 360) for _ in path[1:]]
        room = (AS_OF - planned_on).days - 1
        if sum(gaps) > room:
            gaps = [max(1, g * room // sum(gaps)) for g in gaps]
        dates = [planned_on]
        for gap in gaps:
            dates.append(dates[-1] + dt.timedelta(days=gap))
        plan_id = self.next_id(IndustryPlan)
        reason_at = next((i for i in range(1, len(path)) if path[i].rank < path[i - 1].rank), None)
        for i, (to_stage, changed_on) in enumerate(zip(path, dates, strict=True)):
            self.rows.add(
                PlanStageChange,
                {
                    "id": self.next_id(PlanStageChange),
                    "plan_id": plan_id,
                    "from_stage": path[i - 1].value if i else None,
                    "to_stage": to_stage.value,
                    "changed_on": changed_on,
                    "reason": self._setback_reason(code) if i == reason_at else None,
                },
            )
        started_on = dates[1] if len(path) > 1 else None

        low_income, high_income = INDUSTRY_INCOME[code]
        expected = round(rng.randint(low_income, high_income), -2)
        actual: int | None
        if stage is PlanStage.STABLE:
            actual = int(round(expected * rng.uniform(0.8, 1.25), -1))
        elif stage is PlanStage.PRODUCING:
            actual = int(round(expected * rng.uniform(0.4, 0.9), -1))
        elif stage is PlanStage.STARTED and rng.random() < 0.5:
            actual = int(round(expected * rng.uniform(0.0, 0.25), -1))
        else:
            actual = None

        partner: int | None = None
        same = [org_id for org_id, _kind, org_code in village.town.orgs if org_code == code]
        if same and rng.random() < 0.6:
            partner = rng.choice(same)
        self.rows.add(
            IndustryPlan,
            {
                "id": plan_id,
                "household_id": household_id,
                "industry_id": INDUSTRY_IDS[code],
                "stage": stage.value,
                "planned_on": planned_on,
                "started_on": started_on,
                "stage_since": dates[-1],
                "partner_org_id": partner,
                "expected_income": expected,
                "actual_income": actual,
                "version": 1,
            },
        )
        return partner

    def _setback_reason(self, code: str) -> str:
        reasons = SETBACK_REASONS.get(INDUSTRY_CATEGORY[code], SETBACK_REASONS[None])
        return self.rng.choice(reasons)

    def _links(
        self, household_id: int, village: _VillageInfo, status: HouseholdStatus, partners: list[int]
    ) -> tuple[int | None, float]:
        """Company + cooperative + poor households. Returns (first year linked, income boost)."""
        rng = self.rng
        p_link = 0.35 if status is HouseholdStatus.POOR else 0.46
        orgs = village.town.orgs
        if not orgs or rng.random() >= p_link:
            return None, 1.0
        n = _weighted(rng, {1: 75, 2: 20, 3: 5})
        chosen: list[tuple[int, BenefitType]] = []
        kinds = {org_id: kind for org_id, kind, _code in orgs}
        candidates = [*partners, *(org_id for org_id, _k, _c in orgs)]
        tries = 0
        while len(chosen) < n and tries < 20:
            tries += 1
            org_id = candidates[0] if not chosen and partners else rng.choice(candidates)
            benefit = _weighted(rng, BENEFIT_WEIGHTS[kinds[org_id]])
            if (org_id, benefit) not in chosen:
                chosen.append((org_id, benefit))
        first_year = AS_OF.year
        for org_id, benefit in chosen:
            since = _date_between(rng, dt.date(2016, 1, 1), dt.date(2020, 6, 30))
            first_year = min(first_year, since.year)
            low, high = BENEFIT_AMOUNT[benefit]
            self.rows.add(
                OrganisationLink,
                {
                    "id": self.next_id(OrganisationLink),
                    "organisation_id": org_id,
                    "household_id": household_id,
                    "benefit_type": benefit.value,
                    "since": since,
                    "annual_amount": round(rng.randint(low, high), -1),
                },
            )
        return first_year, rng.uniform(1.06, 1.2)

    def _incomes(
        self,
        household_id: int,
        status: HouseholdStatus,
        exit_year: int | None,
        link_year: int | None,
        link_boost: float,
        problem: str | None,
    ) -> None:
        """Per-capita income, rising; above the line from the exit year on, mostly below before."""
        rng = self.rng
        monitored = status is HouseholdStatus.MONITORED
        income = poverty_line(INCOME_YEARS[0]) * rng.uniform(0.45, 0.9)
        for year in INCOME_YEARS:
            line = poverty_line(year)
            if exit_year is None or year < exit_year:
                if year > INCOME_YEARS[0]:
                    income = max(income, min(income * rng.uniform(1.03, 1.15), 0.97 * line))
                if status is HouseholdStatus.POOR and year == AS_OF.year and rng.random() < 0.12:
                    income = line * rng.uniform(1.0, 1.12)  # ready to exit at year end
            elif year == exit_year:
                income = max(income, line * (rng.uniform(1.03, 1.2) if monitored else rng.uniform(1.08, 1.5)))
            else:
                growth = rng.uniform(1.0, 1.08) if monitored else rng.uniform(1.04, 1.15)
                income = max(income * growth, line * rng.uniform(1.02, 1.1))
            value = income
            if monitored and year == AS_OF.year and rng.random() < 0.5:
                value = max(line * rng.uniform(1.01, 1.06), income * rng.uniform(0.85, 0.97))
            if link_year is not None and exit_year is not None and year >= max(link_year, exit_year):
                value *= link_boost
            if problem == "income_below_line" and year == AS_OF.year:
                value = line * rng.uniform(0.8, 0.97)
            self.rows.add(
                HouseholdIncome,
                {"household_id": household_id, "year": year, "per_capita_income": round(value)},
            )

    def _visits(
        self, household_id: int, village: _VillageInfo, helper_name: str, problem: str | None
    ) -> None:
        rng = self.rng
        if rng.random() >= village.town.visit_share:
            return
        n = _weighted(rng, {1: 75, 2: 20, 3: 5})
        days = sorted(rng.sample(range((AS_OF - VISIT_START).days + 1), n))
        team = [name for name, _unit in village.cadres]
        town = village.town
        for day in days:
            found = rng.random() < (0.5 if problem else 0.05)
            satisfied_roll = rng.random()
            self.rows.add(
                VerificationVisit,
                {
                    "id": self.next_id(VerificationVisit),
                    "household_id": household_id,
                    "visited_on": VISIT_START + dt.timedelta(days=day),
                    "visitor_name": rng.choice(team) if rng.random() < 0.7 else helper_name,
                    "ledger_verified": not found,
                    "problems": rng.choice(VISIT_PROBLEMS) if found else None,
                    "satisfied": None if satisfied_roll < 0.01 else satisfied_roll < town.satisfaction,
                    "found_unregistered_need": rng.random() < town.missed_need,
                },
            )


# --- catalogue, training and meta ----------------------------------------------------------------


def _catalogue(rows: _Rows) -> None:
    for i, (code, category, name_zh, name_en, _income) in enumerate(INDUSTRIES, start=1):
        rows.add(
            Industry,
            {"id": i, "code": code, "category": category.value, "name_zh": name_zh, "name_en": name_en},
        )
    for i, (code, name_zh, name_en) in enumerate(TOPICS, start=1):
        rows.add(TrainingTopic, {"id": i, "code": code, "name_zh": name_zh, "name_en": name_en})


def _programmes(rows: _Rows) -> None:
    programmes = [
        (
            "rotation-2019",
            ProgrammeKind.ROTATION,
            "2019年第一书记轮训",
            "2019 First Secretary Rotation Training",
            2019,
            True,
            0.95,
        ),
        (
            "bijie-tour-2019",
            ProgrammeKind.STUDY_TOUR,
            "毕节农村电商考察学习",
            "Bijie Rural E-commerce Study Tour",
            2019,
            False,
            None,
        ),
        (
            "rotation-2020",
            ProgrammeKind.ROTATION,
            "2020年第一书记轮训",
            "2020 First Secretary Rotation Training",
            2020,
            True,
            0.95,
        ),
    ]
    for i, (code, kind, name_zh, name_en, year, required, target) in enumerate(programmes, start=1):
        rows.add(
            TrainingProgramme,
            {
                "id": i,
                "code": code,
                "kind": kind.value,
                "name_zh": name_zh,
                "name_en": name_en,
                "year": year,
                "required": required,
                "target_share": target,
            },
        )


def _training(
    rng: random.Random,
    rows: _Rows,
    county: _CountyBuilder,
    *,
    first_session_id: int = 1,
    first_attendance_id: int = 1,
    with_programmes: bool = True,
) -> dict[str, int]:
    """Rotation training 2019 (321 trained in two phases), the Bijie tour, and the 2020 phase ahead.

    In a city or province each county holds its own sessions of the shared programmes, numbered
    from `first_session_id`; attendance ids start at `first_attendance_id`.
    """
    if with_programmes:
        _programmes(rows)
    school = ("县委党校", "County Party School")
    first = first_session_id - 1
    sessions = [
        (first + 1, 1, school, ROTATION_2019_PHASES[0][1], ROTATION_2019_PHASES[0][2], 170, list(TOPIC_IDS)),
        (first + 2, 1, school, ROTATION_2019_PHASES[1][1], ROTATION_2019_PHASES[1][2], 170, list(TOPIC_IDS)),
        (
            first + 3,
            2,
            ("贵州省毕节市", "Bijie, Guizhou"),
            dt.date(2019, 11, 4),
            dt.date(2019, 11, 8),
            BIJIE_TOUR_SIZE,
            ["ecommerce", "rural_tourism"],
        ),
        (first + 4, 3, school, dt.date(2020, 11, 16), dt.date(2020, 11, 20), 60, list(TOPIC_IDS)),
    ]
    phase_of = {first + 1: 1, first + 2: 2, first + 3: 1, first + 4: 1}
    for session_id, programme_id, place, start, end, capacity, topics in sessions:
        rows.add(
            TrainingSession,
            {
                "id": session_id,
                "programme_id": programme_id,
                "phase": phase_of[session_id],
                "place_zh": place[0],
                "place_en": place[1],
                "start_date": start,
                "end_date": end,
                "days": (end - start).days + 1,
                "capacity": capacity,
            },
        )
        for code in topics:
            rows.add(SessionTopic, {"session_id": session_id, "topic_id": TOPIC_IDS[code]})

    # Who could attend: first secretaries serving during a phase; ~20 of them have left or moved.
    phase1_start, phase2_start = ROTATION_2019_PHASES[0][1], ROTATION_2019_PHASES[1][1]
    town_of = dict(county.first_secretaries)
    departed = set(county.departed_after_training)
    gone = sorted(rng.sample(county.departed_after_training, 20))
    stayed = [
        cadre_id
        for cadre_id, start in county.serving_fs_start.items()
        if start <= phase2_start and cadre_id not in departed
    ]
    stayed_trained = _weighted_sample(
        rng, stayed, [town_of[c].training_weight for c in stayed], ROTATION_2019_TRAINED - len(gone)
    )
    trained = sorted([*gone, *stayed_trained])
    phase1_ok = [c for c in trained if county.serving_fs_start[c] <= phase1_start]
    phase1 = set(rng.sample(phase1_ok, ROTATION_2019_PHASES[0][3]))
    phase2 = [c for c in trained if c not in phase1]
    trained_set = set(trained)
    phase1_ok_set = set(phase1_ok)
    untrained = [c for c in stayed if c not in trained_set]

    attendance: list[tuple[int, int, AttendanceStatus, bool]] = []
    absent_then_phase2 = sorted(rng.sample([c for c in phase2 if c in phase1_ok_set], 4))
    for cadre_id in sorted([*phase1, *absent_then_phase2]):
        status = AttendanceStatus.ABSENT if cadre_id in absent_then_phase2 else AttendanceStatus.ATTENDED
        attendance.append((first + 1, cadre_id, status, False))
    absent_phase2 = sorted(rng.sample(untrained, min(3, len(untrained))))
    for cadre_id in sorted([*phase2, *absent_phase2]):
        status = AttendanceStatus.ABSENT if cadre_id in absent_phase2 else AttendanceStatus.ATTENDED
        attendance.append((first + 2, cadre_id, status, False))
    for cadre_id in sorted(rng.sample(trained, BIJIE_TOUR_SIZE)):
        attendance.append((first + 3, cadre_id, AttendanceStatus.ATTENDED, True))
    for i, (session_id, cadre_id, status, selected) in enumerate(attendance, start=first_attendance_id):
        rows.add(
            Attendance,
            {
                "id": i,
                "session_id": session_id,
                "cadre_id": cadre_id,
                "status": status.value,
                "selected": selected,
            },
        )
    return {"trained_2019": len(trained), "trained_then_left_or_moved": len(gone)}


# --- demo accounts (documented in README.md) ------------------------------------------------------

DEMO_PASSWORD = "demo-password"
DEMO_TOWN_CODE = "349901105"  # 八里河镇 Balihe
DEMO_ACCOUNTS_CREATED = dt.datetime(2020, 10, 1, 9, 0)
# (username, role, display name, may see household heads' names, scope: None, "town" or "village")
DEMO_ACCOUNTS: list[tuple[str, Role, str, bool, str | None]] = [
    ("admin", Role.ADMIN, "系统管理员（演示）", False, None),
    ("leader", Role.LEADER, "县领导（演示）", True, None),
    ("balihe", Role.TOWN_EDITOR, "八里河镇录入员（演示）", True, "town"),
    ("balihe-village", Role.VILLAGE_EDITOR, "{village}录入员（演示）", True, "village"),
]


def demo_account_rows(rows: _Rows) -> list[Row]:
    """The demo accounts, all with the password DEMO_PASSWORD.

    The village editor works in Balihe's first registered poor village (by code). The password is
    hashed once per run (argon2 is slow on purpose) and its salt differs each run, so
    `password_hash` is the one value that is not the same for the same seed.
    """
    town = next(row for row in rows.tables[Town] if row["code"] == DEMO_TOWN_CODE)
    village = min(
        (row for row in rows.tables[Village] if row["town_id"] == town["id"] and row["is_poor"]),
        key=lambda row: row["code"],
    )
    password_hash = hash_password(DEMO_PASSWORD)
    return [
        {
            "id": number,
            "username": username,
            "display_name": display_name.format(village=village["name_zh"]),
            "password_hash": password_hash,
            "role": role.value,
            "town_id": town["id"] if scope else None,
            "village_id": village["id"] if scope == "village" else None,
            "can_see_names": can_see_names,
            "is_active": True,
            "created_at": DEMO_ACCOUNTS_CREATED,
        }
        for number, (username, role, display_name, can_see_names, scope) in enumerate(DEMO_ACCOUNTS, start=1)
    ]


def foreign_accounts(session: Session) -> list[str]:
    """Usernames of the accounts that are not the demo's: another name or role, or made at
    another time than the demo makes its own (DEMO_ACCOUNTS_CREATED), as an admin made with
    `python -m lib.admin` is even when it is called "admin". `--reset` keeps away from them."""
    demo = {(username, role.value) for username, role, *_ in DEMO_ACCOUNTS}
    rows = session.execute(select(User.username, User.role, User.created_at).order_by(User.username))
    return [
        username
        for username, role, created in rows
        if (username, role) not in demo or created != DEMO_ACCOUNTS_CREATED
    ]


def _insert_demo_accounts(session: Session, rows: _Rows) -> int:
    """Insert the demo accounts unless accounts exist already (e.g. an admin made with lib.admin)."""
    if has_data(session, models=[User]):
        return 0
    accounts = demo_account_rows(rows)
    session.execute(insert(User), accounts)
    advance_id_sequences(session)
    return len(accounts)


def _meta(session: Session, *, scale: str, seed: int) -> None:
    values = {
        "dataset": "demo",
        "demo_scale": scale,
        "demo_seed": str(seed),
        "as_of": AS_OF.isoformat(),
        "data_version": DATA_VERSION,
        BROWSE_KEY: "1",  # the demo is for showing: anyone may browse it without signing in
    }
    session.execute(delete(Meta).where(Meta.key.in_(list(values))))
    session.execute(insert(Meta), [{"key": k, "value": v} for k, v in values.items()])


def _chunks(rows: list[Row], size: int = CHUNK_SIZE) -> Iterable[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# --- scales: a city or province is a run of counties ----------------------------------------------


@dataclass(frozen=True)
class ScaleSpec:
    """How many counties a scale has, and how many more households per village than the county."""

    counties: int
    households_factor: float


# county: 359 villages, ≈20.8k households; city: ≈3.6k villages, ≈300k households, ≈4k first
# secretaries; province: ≈30k villages, ≈3M households.
SCALE_SPECS: dict[str, ScaleSpec] = {
    "county": ScaleSpec(1, 1.0),
    "city": ScaleSpec(10, 1.45),
    "province": ScaleSpec(84, 1.7),
}

# Fictional county names for demo counties 2…99 (county 1 is 示范县): two syllables each.
_COUNTY_FIRST = [
    ("东", "Dong"),
    ("西", "Xi"),
    ("南", "Nan"),
    ("北", "Bei"),
    ("青", "Qing"),
    ("白", "Bai"),
    ("云", "Yun"),
    ("石", "Shi"),
    ("金", "Jin"),
    ("龙", "Long"),
]
_COUNTY_SECOND = [
    ("山", "shan"),
    ("河", "he"),
    ("湖", "hu"),
    ("阳", "yang"),
    ("平", "ping"),
    ("安", "an"),
    ("宁", "ning"),
    ("丰", "feng"),
    ("源", "yuan"),
    ("川", "chuan"),
]


def county_names(index: int) -> tuple[str, str] | None:
    """(short zh, en) name of demo county `index`; None for county 1, which keeps its town names."""
    if index == 1:
        return None
    first, second = divmod(index - 2, len(_COUNTY_SECOND))
    zh1, en1 = _COUNTY_FIRST[first % len(_COUNTY_FIRST)]
    zh2, en2 = _COUNTY_SECOND[second]
    return zh1 + zh2, en1 + en2


def check_scale(scale: str) -> None:
    """Raise ValueError unless `scale` is one the demo can build."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")


def _county_count(scale: str, counties: int | None) -> int:
    wanted = SCALE_SPECS[scale].counties if counties is None else counties
    if not 1 <= wanted <= 99:
        raise ValueError("a demo has 1–99 counties")
    return wanted


def iter_rows(
    *, scale: str = "county", seed: int = 42, counties: int | None = None
) -> Iterator[tuple[_Rows, dict[str, int]]]:
    """The rows of a demo dataset in batches that can be inserted in turn, with facts for checks.

    The county scale is one batch. A city or province yields the shared catalogue first, then one
    batch per county: county n has its own seeded RNG (derived from `seed`), region code 3499nn,
    towns placed by moving the shipped outlines (lib.geo.moved_towns) and its own training
    sessions; ids run on across counties. `counties` overrides the scale's number of counties.
    """
    check_scale(scale)
    if scale == "county" and counties in (None, 1):
        rng = random.Random(seed)
        rows = _Rows()
        ids: dict[type[Base], int] = {}
        _catalogue(rows)
        county = _CountyBuilder(rng, rows, ids)
        county.build(geo.load_towns())
        facts = dict(county.stats)
        facts.update(_training(rng, rows, county))
        yield rows, facts
        return
    spec = SCALE_SPECS[scale]
    catalogue = _Rows()
    _catalogue(catalogue)
    _programmes(catalogue)
    yield catalogue, {}
    ids = {}
    next_attendance = 1
    for index in range(1, _county_count(scale, counties) + 1):
        rng = random.Random(f"{seed}:{scale}:{index}")
        rows = _Rows()
        county = _CountyBuilder(
            rng,
            rows,
            ids,
            county_code=geo.county_code(index),
            households_factor=spec.households_factor,
        )
        county.build(geo.moved_towns(index, county_names(index)))
        facts = dict(county.stats)
        facts.update(
            _training(
                rng,
                rows,
                county,
                first_session_id=4 * (index - 1) + 1,
                first_attendance_id=next_attendance,
                with_programmes=False,
            )
        )
        next_attendance += rows.count(Attendance)
        yield rows, facts


def build_rows(
    *, scale: str = "county", seed: int = 42, counties: int | None = None
) -> tuple[_Rows, dict[str, int]]:
    """All rows for a demo dataset, without touching a database; also a few facts for checks.

    Holds everything in memory: fine for a county or a few; `generate` streams larger scales.
    """
    merged = _Rows()
    facts: dict[str, int] = {}
    for rows, batch_facts in iter_rows(scale=scale, seed=seed, counties=counties):
        for model, table_rows in rows.tables.items():
            merged.tables.setdefault(model, []).extend(table_rows)
        for key, value in batch_facts.items():
            facts[key] = facts.get(key, 0) + value
    return merged, facts


def _copy_rows(session: Session, model: type[Base], rows: list[Row]) -> None:
    """PostgreSQL: COPY the rows in (several times faster than INSERT for large tables)."""
    table = Base.metadata.tables[model.__tablename__]
    names = list(rows[0])
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name not in names and default is not None and getattr(default, "is_scalar", False):
            defaults[column.name] = getattr(default, "arg", None)
    columns = [*names, *defaults]
    extra = tuple(defaults.values())
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    quoted = ", ".join(f'"{c}"' for c in columns)
    with dbapi.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row((*(row[name] for name in names), *extra))


def _insert_rows(session: Session, rows: _Rows) -> None:
    postgres = session.get_bind().dialect.name == "postgresql"
    for model in INSERT_ORDER:
        table_rows = rows.tables.get(model, [])
        if not table_rows:
            continue
        if postgres and len(table_rows) > 1_000:
            session.flush()
            _copy_rows(session, model, table_rows)
            continue
        # The table's Core insert, not the ORM's: the ORM leaves a None out of a row's columns,
        # so rows differing only in where their Nones fall were sent one statement each (116,000
        # statements for a two-county city). Like COPY above, a None is stored as NULL.
        table = Base.metadata.tables[model.__tablename__]
        for chunk in _chunks(table_rows):
            session.execute(insert(table), chunk)


def generate(
    session: Session,
    *,
    scale: str = "county",
    seed: int = 42,
    counties: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Insert a full demo dataset into an empty, migrated database; the caller commits.

    Larger scales are built and inserted a county at a time, so memory stays that of one county.
    """
    if has_data(session, models=INSERT_ORDER):
        raise ValueError("the database already has data; reset it first")
    counts: dict[type[Base], int] = {}
    accounts = 0
    accounts_done = False
    for number, (rows, _facts) in enumerate(iter_rows(scale=scale, seed=seed, counties=counties)):
        _insert_rows(session, rows)
        for model, table_rows in rows.tables.items():
            counts[model] = counts.get(model, 0) + len(table_rows)
        if Town in rows.tables and not accounts_done:
            accounts = _insert_demo_accounts(session, rows)
            accounts_done = True
        if progress is not None and number:
            progress(f"county {number}: {counts.get(Household, 0):,} households so far")
    advance_id_sequences(session)
    _meta(session, scale=scale, seed=seed)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))  # fresh tables have no statistics to plan the rollups with
    rollups.rebuild(session)
    return DemoSummary(
        towns=counts.get(Town, 0),
        villages=counts.get(Village, 0),
        households=counts.get(Household, 0),
        household_causes=counts.get(HouseholdCause, 0),
        household_incomes=counts.get(HouseholdIncome, 0),
        industries=counts.get(Industry, 0),
        industry_plans=counts.get(IndustryPlan, 0),
        plan_stage_changes=counts.get(PlanStageChange, 0),
        organisations=counts.get(Organisation, 0),
        organisation_links=counts.get(OrganisationLink, 0),
        cadres=counts.get(Cadre, 0),
        postings=counts.get(Posting, 0),
        training_sessions=counts.get(TrainingSession, 0),
        attendance=counts.get(Attendance, 0),
        verification_visits=counts.get(VerificationVisit, 0),
        accounts=accounts,
    )


def has_data(session: Session, *, models: Sequence[type[Base]] | None = None) -> bool:
    """True when any of `models`' tables (default: every table but app_meta) holds a row."""
    tables = (
        [model.__table__ for model in models]
        if models is not None
        else [t for t in Base.metadata.sorted_tables if t.name != Meta.__tablename__]
    )
    for table in tables:
        if session.execute(select(func.count()).select_from(select(table).limit(1).subquery())).scalar():
            return True
    return False


def reset(session: Session) -> None:
    """Delete every row of every table, children first; the schema stays. The caller commits."""
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))


# --- command line --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lib.demo", description="Write a deterministic demo dataset into DATABASE_URL."
    )
    parser.add_argument("--scale", choices=SCALES, default="county")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reset", action="store_true", help="delete all rows first (the schema stays)")
    parser.add_argument(
        "--i-know",
        action="store_true",
        help="let --reset delete a database whose accounts are not only the demo's",
    )
    parser.add_argument("--counties", type=int, default=None, help="override the scale's number of counties")
    args = parser.parse_args(argv)

    engine = None
    try:
        check_scale(args.scale)  # before touching the database, so --reset deletes nothing
        engine = make_engine()
        check_connection(engine)
        upgrade(engine)
        with session_factory(engine)() as session:
            if has_data(session):
                if not args.reset:
                    print(
                        f"The database at {describe_url(str(engine.url))} already has data; "
                        "run again with --reset to replace it with the demo.",
                        file=sys.stderr,
                    )
                    return 2
                others = foreign_accounts(session)
                if others and not args.i_know:
                    shown = ", ".join(others[:5]) + (", …" if len(others) > 5 else "")
                    print(
                        f"Error: the database at {describe_url(str(engine.url))} holds accounts that are "
                        f"not the demo's ({len(others)}: {shown}); --reset would delete them with all "
                        "the data. Run again with --reset --i-know to do that anyway.",
                        file=sys.stderr,
                    )
                    return 2
                reset(session)
            quiet = args.scale == "county"
            summary = generate(
                session,
                scale=args.scale,
                seed=args.seed,
                counties=args.counties,
                progress=None if quiet else lambda line: print(line, file=sys.stderr, flush=True),
            )
            session.commit()
        if engine.dialect.name == "postgresql":
            # After a bulk load PostgreSQL has no statistics and no visibility map yet: without
            # them it plans the aggregates badly and index-only scans still visit the heap.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
    except DatabaseError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"Error: the database refused the demo data: {reason}", file=sys.stderr)
        return 1
    finally:
        if engine is not None:
            engine.dispose()
    print(
        f"Demo {args.scale} (seed {args.seed}) written to {describe_url(str(engine.url))}: {summary.line()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
